// The stored form of an online entry's features, chosen so that an online read is a copy of bytes:
// a format byte, then each stored feature's value (schema order) exactly as it appears in a
// RetrieveOnlineResponse row: one featurestore.v1.OnlineRow `values` field (tag 1, length,
// featurestore.v1.Value). A full row is one slice of the entry; a subset is picked by walking the
// fields. Entries of release 0.x (a JSON array of the values, first byte '[') are still read.
// The encoding is written here by hand (proto3 wire format, field numbers of proto/featurestore/v1);
// test/core/online-format.test.ts checks it byte for byte against the generated encoder.
import type { DataType, Feature } from './model.js';
import type { StoredValue } from './values.js';

/** The first byte of an entry in the current stored format. */
export const STORED_FORMAT = 1;
/** The first byte of a legacy entry: '[' of its JSON array. */
const LEGACY_JSON = 0x5b;

const LEN = 2;
const tag = (field: number, wireType: number) => (field << 3) | wireType;
const ROW_VALUE = tag(1, LEN);
const LIST = tag(10, LEN);
const TAGS: Record<DataType, number> = {
  STRING: tag(1, LEN),
  BOOL: tag(2, 0),
  INT32: tag(3, 0),
  INT64: tag(4, 0),
  FLOAT32: tag(5, 5),
  FLOAT64: tag(6, 1),
  TIMESTAMP: tag(7, LEN),
  DATE: tag(8, 0),
  BYTES: tag(9, LEN),
};

/**
 * An append-only protobuf writer over one reusable buffer: length-delimited fields reserve one
 * length byte and move their content when it needs more. `take` copies the bytes out and resets it.
 * Synchronous use only (one writer per module, never across an await).
 */
export class WireWriter {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private n = 0;

  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.n++] = b;
    return this;
  }

  /** A varint of 0 <= v < 2^53. */
  varint(v: number): this {
    this.ensure(8);
    if (v < 0x80000000) {
      while (v >= 0x80) {
        this.buf[this.n++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.n++] = v;
      return this;
    }
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
    return this;
  }

  /** An int32 or enum field's varint: negative values as their 64-bit two's complement (10 bytes). */
  int32(v: number): this {
    return v >= 0 ? this.varint(v) : this.varint64(v >>> 0, 0xffffffff);
  }

  /** An int64 varint (two's complement for negatives), from any integer form. */
  int64(v: number | string | bigint): this {
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) return this.varint(v);
    const u = BigInt.asUintN(64, BigInt(v));
    return this.varint64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  private varint64(lo: number, hi: number): this {
    this.ensure(10);
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.n++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.n++] = lo;
    return this;
  }

  float(v: number): this {
    this.ensure(4);
    this.n = this.buf.writeFloatLE(v, this.n);
    return this;
  }

  double(v: number): this {
    this.ensure(8);
    this.n = this.buf.writeDoubleLE(v, this.n);
    return this;
  }

  /** A length-delimited UTF-8 string. */
  string(s: string): this {
    const length = Buffer.byteLength(s);
    this.varint(length);
    this.ensure(length);
    this.n += this.buf.write(s, this.n, 'utf8');
    return this;
  }

  /** Bytes as they are (no length). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.n);
    this.n += bytes.length;
    return this;
  }

  /** The bytes of `bytes` from `start` on, as they are (no length). */
  rawFrom(bytes: Uint8Array, start: number): this {
    if (start === 0) return this.raw(bytes);
    const length = bytes.length - start;
    this.ensure(length);
    // A plain Uint8Array view costs less than a Buffer's subarray (issue #16).
    this.buf.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, length), this.n);
    this.n += length;
    return this;
  }

  /** Starts a length-delimited field's content; `end` with the returned mark closes it. */
  begin(): number {
    this.ensure(1);
    return this.n++;
  }

  end(mark: number): this {
    const length = this.n - mark - 1;
    if (length < 0x80) {
      this.buf[mark] = length;
      return this;
    }
    let extra = 0;
    for (let l = length; l >= 0x80; l = Math.floor(l / 0x80)) extra++;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.n);
    const end = this.n + extra;
    this.n = mark;
    this.varint(length);
    this.n = end;
    return this;
  }

  /**
   * The bytes written, not copied: valid only until this writer writes again (for a caller that
   * copies them at once, as grpc-js does with a reply's bytes); the writer starts again empty.
   */
  lend(): Buffer {
    const out = this.buf.subarray(0, this.n);
    this.n = 0;
    return out;
  }

  /** How many bytes are written. */
  get length(): number {
    return this.n;
  }

  /** Forgets what was written after the first `n` bytes. */
  truncate(n: number): void {
    if (n < this.n) this.n = n;
  }

  /** The bytes written, copied out; the writer starts again empty. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.n);
    this.buf.copy(out, 0, 0, this.n);
    this.n = 0;
    return out;
  }
}

/** google.protobuf.Timestamp's fields for `us` µs since the epoch (seconds floored, nanos 0..999,999,000); zero fields left out. */
export function writeTimestamp(w: WireWriter, us: number | bigint): void {
  if (typeof us === 'number' && Number.isSafeInteger(us)) {
    const seconds = Math.floor(us / 1e6);
    const nanos = (us - seconds * 1e6) * 1000;
    if (seconds !== 0) w.byte(0x08).int64(seconds);
    if (nanos !== 0) w.byte(0x10).varint(nanos);
    return;
  }
  const { seconds, nanos } = splitBig(us);
  if (seconds !== 0n) w.byte(0x08).int64(seconds);
  if (nanos !== 0) w.byte(0x10).varint(nanos);
}

/** The bytes writeTimestamp writes for `us`. */
export function timestampSize(us: number | bigint): number {
  let seconds: number;
  let nanos: number;
  if (typeof us === 'number' && Number.isSafeInteger(us)) {
    seconds = Math.floor(us / 1e6);
    nanos = (us - seconds * 1e6) * 1000;
  } else {
    const big = splitBig(us);
    // |seconds| < 2^63 / 10^6, so it is exact as a double.
    seconds = Number(big.seconds);
    nanos = big.nanos;
  }
  return (seconds === 0 ? 0 : 1 + (seconds < 0 ? 10 : varintSize(seconds))) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
}

/** Seconds (floored) and nanos of `us` beyond 2^53, through BigInt. */
function splitBig(us: number | bigint): { seconds: bigint; nanos: number } {
  const big = BigInt(us);
  const seconds = big / 1_000_000n - (big % 1_000_000n < 0n ? 1n : 0n);
  return { seconds, nanos: Number(big - seconds * 1_000_000n) * 1000 };
}

/** The bytes of a varint of 0 <= v < 2^53. */
export function varintSize(v: number): number {
  let size = 1;
  for (; v >= 0x80; size++) v = Math.floor(v / 0x80);
  return size;
}

/** A featurestore.v1.Value's fields for a stored value of `f` (null: none, the unset oneof). */
function writeValue(w: WireWriter, f: Pick<Feature, 'type' | 'isList'>, v: StoredValue, inList = false): void {
  if (v === null) return;
  if (f.isList && !inList) {
    w.byte(LIST);
    const list = w.begin();
    for (const x of v as StoredValue[]) {
      w.byte(ROW_VALUE);
      const item = w.begin();
      writeValue(w, f, x, true);
      w.end(item);
    }
    w.end(list);
    return;
  }
  w.byte(TAGS[f.type]);
  switch (f.type) {
    case 'STRING':
      w.string(v as string);
      return;
    case 'BOOL':
      w.byte(v ? 1 : 0);
      return;
    case 'INT32':
    case 'DATE':
      w.int32(v as number);
      return;
    case 'INT64':
      w.int64(v as string | number);
      return;
    case 'FLOAT32':
      w.float(v as number);
      return;
    case 'FLOAT64':
      w.double(v as number);
      return;
    case 'TIMESTAMP': {
      const m = w.begin();
      writeTimestamp(w, typeof v === 'number' ? v : BigInt(v as string));
      w.end(m);
      return;
    }
    case 'BYTES': {
      const bytes = Buffer.from(v as string, 'base64');
      w.varint(bytes.length).raw(bytes);
      return;
    }
  }
}

const writer = new WireWriter();

/** The stored form of one row's values (`features` their types, schema order). */
export function encodeStoredRow(features: readonly Pick<Feature, 'type' | 'isList'>[], values: readonly StoredValue[]): Buffer {
  writeStoredRow(writer, features, values);
  return writer.take();
}

/** encodeStoredRow's bytes, written on at the end of `w` (rows of a batch back to back). */
export function writeStoredRow(w: WireWriter, features: readonly Pick<Feature, 'type' | 'isList'>[], values: readonly StoredValue[]): void {
  w.byte(STORED_FORMAT);
  for (let i = 0; i < features.length; i++) {
    w.byte(ROW_VALUE);
    const m = w.begin();
    writeValue(w, features[i], values[i] ?? null);
    w.end(m);
  }
}

/** The same row in the legacy stored form (a JSON array), which entries written before format 1 hold. */
export function encodeLegacyRow(values: readonly StoredValue[]): Buffer {
  return Buffer.from(JSON.stringify(values));
}

/**
 * The value fields of a stored entry (after the format byte): one slice holding all of them. A
 * legacy entry is re-encoded from its JSON with `features`. Throws on an unknown format (an entry
 * written by a newer release).
 */
export function storedValues(features: readonly Pick<Feature, 'type' | 'isList'>[], entry: Uint8Array): Uint8Array {
  if (entry[0] === STORED_FORMAT) return entry.subarray(1);
  if (entry[0] === LEGACY_JSON) return encodeStoredRow(features, JSON.parse(Buffer.from(entry).toString('utf8')) as StoredValue[]).subarray(1);
  throw new Error(`an online entry has stored format ${entry[0]}, which this release cannot read; upgrade the functions reading it`);
}

/**
 * A read entry's value fields as storedValues gives them, appended to a row's pieces: `values` the
 * buffers, `starts` where each piece begins in its buffer. An entry whose store said where its value
 * sits (bytes, from) in the current format is appended as that buffer, without a view (issue #16).
 */
export function pushStoredValues(
  values: Uint8Array[],
  starts: number[],
  features: readonly Pick<Feature, 'type' | 'isList'>[],
  entry: { value: Uint8Array; bytes?: Uint8Array; from?: number },
): void {
  const bytes = entry.bytes;
  if (bytes !== undefined && bytes[entry.from!] === STORED_FORMAT) {
    values.push(bytes);
    starts.push(entry.from! + 1);
    return;
  }
  values.push(storedValues(features, entry.value));
  starts.push(0);
}

/**
 * Where each value field starts in `fields` (storedValues' slice), plus where the last one ends:
 * count + 1 offsets, then how many fields the row holds (fewer than `count` only if it is short).
 */
export function fieldOffsets(fields: Uint8Array, count: number): Int32Array {
  const at = new Int32Array(count + 2);
  let p = 0;
  let found = 0;
  for (let i = 0; i < count; i++) {
    at[i] = p;
    if (p >= fields.length) continue;
    p++; // the tag, one byte (field 1)
    let length = 0;
    let shift = 1;
    for (;;) {
      const b = fields[p++];
      length += (b & 0x7f) * shift;
      if (b < 0x80) break;
      shift *= 0x80;
    }
    p = Math.min(p + length, fields.length);
    found++;
  }
  at[count] = p;
  at[count + 1] = found;
  return at;
}

/**
 * The value fields at `positions` (stored order) of a stored row's `fields` (storedValues' slice) (`count` of them), as
 * slices: runs of neighbouring features are one slice. A field the row lacks answers null.
 */
export function pickFields(fields: Uint8Array, positions: readonly number[], count: number): Uint8Array[] {
  const at = fieldOffsets(fields, count);
  const found = at[count + 1];
  const out: Uint8Array[] = [];
  for (let i = 0; i < positions.length;) {
    if (positions[i] >= found) {
      out.push(nullFields(1));
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < positions.length && positions[j + 1] === positions[j] + 1 && positions[j + 1] < found) j++;
    out.push(fields.subarray(at[positions[i]], at[positions[j] + 1]));
    i = j + 1;
  }
  return out;
}

/** `count` null values as row value fields (an empty featurestore.v1.Value each). */
export function nullFields(count: number): Buffer {
  const out = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) out[2 * i] = ROW_VALUE;
  return out;
}
