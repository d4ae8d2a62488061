// RetrieveOnlineRequest read straight into the values the online read path takes: the keys come out
// as TypedValue rows, with no generated message objects in between (a 100-entity request made about
// 300 of them, and each int64 key went through a BigInt). The usual request (short field tags,
// scalar key values, non-negative integers) is read here; anything else (a timestamp or list key,
// a negative integer, an unusual encoding, bytes that are not a message) is handed to the generated
// decoder, so both read every request alike (test/runtime/online-request.test.ts compares them on
// random and corrupted messages).
import type { TypedValue } from '../../core/values.js';
import type { FeatureSetRef } from '../../gen/featurestore/v1/common.js';
import type { FeatureViewRef } from '../../gen/featurestore/v1/feature_view.js';
import { RetrieveOnlineRequest, RetrieveServiceService } from '../../gen/featurestore/v1/retrieve.js';
import { typedValueFromProto, typedValueToProto } from './mappers.js';

/** A RetrieveOnlineRequest as the read path takes it: each key's values already typed. */
export interface OnlineReadRequest {
  featureSet?: FeatureSetRef;
  keys: TypedValue[][];
  features: string[];
  featureView?: FeatureViewRef;
}

/** RetrieveService as the retrieve function serves it: RetrieveOnline requests read by decodeOnlineRequest. */
export const RetrieveServiceServed = {
  ...RetrieveServiceService,
  retrieveOnline: {
    ...RetrieveServiceService.retrieveOnline,
    requestSerialize: (value: OnlineReadRequest): Buffer =>
      RetrieveServiceService.retrieveOnline.requestSerialize({ ...value, keys: value.keys.map((k) => ({ values: k.map(typedValueToProto) })) }),
    requestDeserialize: (bytes: Buffer): OnlineReadRequest => decodeOnlineRequest(bytes),
  },
};

/** The generated decoder's reading, keys mapped (what the fast reading must equal). */
export function decodeOnlineRequestSlowly(bytes: Uint8Array): OnlineReadRequest {
  const req = RetrieveOnlineRequest.decode(bytes);
  return {
    featureSet: req.featureSet,
    keys: req.keys.map((k) => k.values.map(typedValueFromProto)),
    features: req.features,
    featureView: req.featureView,
  };
}

/** A RetrieveOnlineRequest from its bytes; throws as the generated decoder does on bytes that are not one. */
export function decodeOnlineRequest(bytes: Uint8Array): OnlineReadRequest {
  return readUsualOnlineRequest(bytes) ?? decodeOnlineRequestSlowly(bytes);
}

/** The request when it is of the usual shape this module reads, else undefined (never throws). */
export function readUsualOnlineRequest(bytes: Uint8Array): OnlineReadRequest | undefined {
  return new Reader(bytes).request();
}

/** The generated decoder's text decoding (a leading U+FEFF is text; bad UTF-8 becomes U+FFFD). */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const NULL: TypedValue = Object.freeze({ kind: 'null' });

/**
 * Thrown inside Reader when the bytes leave what it reads; caught by `request`, never seen outside.
 * Made once: throwing it again captures no stack.
 */
const ASIDE = new Error('left to the generated decoder');

class Reader {
  private pos = 0;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The request, or undefined when the generated decoder must read it. */
  request(): OnlineReadRequest | undefined {
    try {
      const out: OnlineReadRequest = { featureSet: undefined, keys: [], features: [], featureView: undefined };
      const end = this.buf.length;
      while (this.pos < end) {
        const tag = this.tag();
        if (tag === 18) out.keys.push(this.key(this.end()));
        else if (tag === 10) out.featureSet = this.ref(this.end());
        else if (tag === 26) out.features.push(this.string());
        else if (tag === 34) out.featureView = this.ref(this.end());
        else this.skip(tag);
      }
      return out;
    } catch (err) {
      if (err === ASIDE) return undefined;
      throw err;
    }
  }

  /** A one-byte field tag (all of this message's); longer ones, and tag 0, go to the generated decoder. */
  private tag(): number {
    const b = this.buf[this.pos++];
    if (b === undefined || b >= 0x80 || b < 8) throw ASIDE;
    return b;
  }

  /** A varint of at most 4 bytes (below 2^28): lengths, and the integers this reader takes. */
  private small(): number {
    const buf = this.buf;
    let b = buf[this.pos++];
    if (b < 0x80) return b;
    let v = b & 0x7f;
    b = buf[this.pos++];
    v |= (b & 0x7f) << 7;
    if (b < 0x80) return v;
    b = buf[this.pos++];
    v |= (b & 0x7f) << 14;
    if (b < 0x80) return v;
    b = buf[this.pos++];
    v |= (b & 0x7f) << 21;
    if (b < 0x80) return v;
    // Longer, or past the end (undefined compares false above).
    throw ASIDE;
  }

  /** Where a length-delimited field that starts here ends. */
  private end(): number {
    const len = this.small();
    const end = this.pos + len;
    if (end > this.buf.length) throw ASIDE;
    return end;
  }

  private string(): string {
    const end = this.end();
    const buf = this.buf;
    const start = this.pos;
    this.pos = end;
    for (let i = start; i < end; i++) if (buf[i] >= 0x80) return utf8.decode(buf.subarray(start, end));
    return buf.toString('latin1', start, end);
  }

  /** A FeatureSetRef or FeatureViewRef (project, name, version: fields 1-3, strings). */
  private ref(end: number): FeatureSetRef {
    const ref = { project: '', name: '', version: '' };
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === 10) ref.project = this.string();
      else if (tag === 18) ref.name = this.string();
      else if (tag === 26) ref.version = this.string();
      else this.skip(tag);
    }
    if (this.pos !== end) throw ASIDE;
    return ref;
  }

  /** An EntityKey: its values (field 1). */
  private key(end: number): TypedValue[] {
    const values: TypedValue[] = [];
    while (this.pos < end) {
      const tag = this.tag();
      if (tag === 10) values.push(this.value(this.end()));
      else this.skip(tag);
    }
    if (this.pos !== end) throw ASIDE;
    return values;
  }

  /** A Value; the last kind set wins, as in the generated decoder. */
  private value(end: number): TypedValue {
    let v = NULL;
    const buf = this.buf;
    while (this.pos < end) {
      const tag = this.tag();
      switch (tag) {
        case 32: // int64_value: below 2^49 here (7 varint bytes)
          v = { kind: 'int64', value: String(this.int64()) };
          break;
        case 10:
          v = { kind: 'string', value: this.string() };
          break;
        case 24:
          v = { kind: 'int32', value: this.small() };
          break;
        case 16: {
          const b = buf[this.pos++];
          if (b === undefined || b >= 0x80) throw ASIDE;
          v = { kind: 'bool', value: b !== 0 };
          break;
        }
        case 45:
          if (this.pos + 4 > end) throw ASIDE;
          v = { kind: 'float32', value: buf.readFloatLE(this.pos) };
          this.pos += 4;
          break;
        case 49:
          if (this.pos + 8 > end) throw ASIDE;
          v = { kind: 'float64', value: buf.readDoubleLE(this.pos) };
          this.pos += 8;
          break;
        case 64:
          v = { kind: 'date', value: this.small() };
          break;
        case 74: {
          const e = this.end();
          v = { kind: 'bytes', value: Buffer.from(buf.subarray(this.pos, e)) };
          this.pos = e;
          break;
        }
        default:
          // timestamp_value (58), list_value (82): the generated decoder's.
          if (tag === 58 || tag === 82) throw ASIDE;
          this.skip(tag);
      }
    }
    if (this.pos !== end) throw ASIDE;
    return v;
  }

  /** A non-negative int64 below 2^49 (at most 7 varint bytes). */
  private int64(): number {
    const buf = this.buf;
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = buf[this.pos++];
      if (b === undefined) throw ASIDE;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    throw ASIDE;
  }

  /** Passes over a field this reader does not keep (varint, fixed64, length-delimited or fixed32). */
  private skip(tag: number): void {
    switch (tag & 7) {
      case 0:
        for (let i = 0; i < 10; i++) {
          const b = this.buf[this.pos++];
          if (b === undefined) throw ASIDE;
          if (b < 0x80) return;
        }
        throw ASIDE;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.end();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        // Groups: the generated decoder's.
        throw ASIDE;
    }
    if (this.pos > this.buf.length) throw ASIDE;
  }
}
