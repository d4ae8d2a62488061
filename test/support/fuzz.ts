// Structure-aware fuzzing of every RPC: messages generated from the proto descriptors (buf builds
// the image), encoded with @bufbuild/protobuf and sent as raw bytes, so any field may hold any value
// its wire type allows: unicode, injection strings, huge strings and lists, deep lists, enum
// numbers nobody defined, NaN. Used by test/reliability/fuzz.test.ts (a short run in `make test`)
// and scripts/reliability.mjs (a long one).
import { execFileSync } from 'node:child_process';
import { credentials, Client, Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { create, createFileRegistry, fromBinary, toBinary, type DescField, type DescMessage, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { REPO } from './process.js';

/** The featurestore.v1 services, read from the protos through `buf build`. */
export function services(): DescService[] {
  const image = execFileSync(`${REPO}node_modules/.bin/buf`, ['build', '-o', '-#format=binpb'], { cwd: `${REPO}proto`, maxBuffer: 64 * 2 ** 20 });
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, image));
  const out: DescService[] = [];
  for (const file of registry.files) for (const s of file.services) if (s.typeName.startsWith('featurestore.v1.')) out.push(s);
  return out;
}

const NASTY = [
  '',
  ' ',
  'a',
  'p_1',
  'users',
  'fraud',
  "'; DROP TABLE projects; --",
  '" OR 1=1 --',
  'Robert"); DELETE FROM jobs; --',
  '../../../../etc/passwd',
  'file:///etc/passwd',
  'file:///proc/self/environ',
  's3://bucket/../../x',
  'abfss://fs@acct.dfs.core.windows.net/../..',
  '%2e%2e%2f%2e%2e%2f',
  '\u0000',
  'nul\u0000byte',
  '😀👩‍👩‍👧‍👦',
  'ünïcödé',
  '\u202Eevil',
  '\ud800',
  'x'.repeat(300),
  '1.0',
  '-1',
  '99999999999999999999999999',
  '2026-11-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '00000000-0000-4000-8000-000000000000',
  '*',
  '%s%s%s%n',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
];

const INT64 = [0n, 1n, -1n, 2n ** 31n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
const DOUBLES = [0, -0, 1.5, -1e308, 1e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324];

/** A random value of a message, `depth` levels of nesting at most; `big` allows huge strings and lists. */
function messageArb(desc: DescMessage, depth: number, big: boolean): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  const oneofDone = new Set<string>();
  for (const field of desc.fields) {
    if (field.oneof) {
      if (oneofDone.has(field.oneof.localName)) continue;
      oneofDone.add(field.oneof.localName);
      const cases = field.oneof.fields.filter((f) => depth > 0 || f.fieldKind !== 'message');
      fields[field.oneof.localName] = fc.option(fc.oneof(...cases.map((f) => singleArb(f, depth, big).map((value) => ({ case: f.localName, value })))), {
        nil: undefined,
        freq: 3,
      });
      continue;
    }
    const arb = fieldArb(field, depth, big);
    if (arb) fields[field.localName] = fc.option(arb, { nil: undefined, freq: 4 });
  }
  return fc.record(fields, { requiredKeys: [] }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

function fieldArb(field: DescField, depth: number, big: boolean): fc.Arbitrary<unknown> | undefined {
  const maxLength = big ? 3000 : 8;
  switch (field.fieldKind) {
    case 'list':
      if (field.listKind === 'message' && depth <= 0) return fc.constant([]);
      return fc.array(listItemArb(field, depth, big), { maxLength });
    case 'map': {
      const value =
        field.mapKind === 'message'
          ? depth > 0
            ? messageArb(field.message, depth - 1, big)
            : undefined
          : field.mapKind === 'enum'
            ? enumArb(field.enum.values.map((v) => v.number))
            : scalarArb(field.scalar, big);
      if (!value) return undefined;
      return fc.dictionary(stringArb(big), value, { maxKeys: big ? 500 : 5 });
    }
    default:
      if (field.fieldKind === 'message' && depth <= 0) return undefined;
      return singleArb(field, depth, big);
  }
}

function listItemArb(field: DescField & { fieldKind: 'list' }, depth: number, big: boolean): fc.Arbitrary<unknown> {
  if (field.listKind === 'message') return messageArb(field.message, depth - 1, big);
  if (field.listKind === 'enum') return enumArb(field.enum.values.map((v) => v.number));
  return scalarArb(field.scalar, big);
}

function singleArb(field: DescField, depth: number, big: boolean): fc.Arbitrary<unknown> {
  if (field.fieldKind === 'message') return messageArb(field.message, depth - 1, big);
  if (field.fieldKind === 'enum') return enumArb(field.enum.values.map((v) => v.number));
  if (field.fieldKind === 'scalar') return scalarArb(field.scalar, big);
  return fc.constant(undefined);
}

const enumArb = (known: number[]) => fc.oneof(fc.constantFrom(...known), fc.integer({ min: -3, max: 99 }));

function stringArb(big: boolean): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [
    fc.constantFrom(...NASTY),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
  ];
  if (big) options.push(fc.integer({ min: 1000, max: 1_000_000 }).map((n) => 'y'.repeat(n)));
  return fc.oneof(...options);
}

// ScalarType numbers from descriptor.proto.
function scalarArb(scalar: number, big: boolean): fc.Arbitrary<unknown> {
  switch (scalar) {
    case 9: // string
      return stringArb(big);
    case 12: // bytes
      return fc.uint8Array({ maxLength: big ? 100_000 : 16 });
    case 8: // bool
      return fc.boolean();
    case 1: // double
    case 2: // float
      return fc.oneof(fc.constantFrom(...DOUBLES), fc.double());
    case 3: // int64
    case 16: // sint64
    case 15: // sfixed64
      return fc.oneof(fc.constantFrom(...INT64), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    case 4: // uint64
    case 6: // fixed64
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 13: // uint32
    case 7: // fixed32
      return fc.nat();
    default: // int32, sint32, sfixed32
      return fc.oneof(fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31)), fc.integer());
  }
}

/** Deeply nested list values (the Value message holds lists of values). */
export function deepValue(levels: number): Uint8Array {
  // Value.list_value = 10 { ListValue.values = 1 { ... } }: built from the inside out.
  let inner: Uint8Array = new Uint8Array();
  for (let i = 0; i < levels; i++) {
    const list = frame(1, inner);
    inner = frame(10, list);
  }
  return inner;
}

function frame(field: number, body: Uint8Array): Uint8Array {
  const tag = varint((field << 3) | 2);
  const len = varint(body.length);
  const out = new Uint8Array(tag.length + len.length + body.length);
  out.set(tag, 0);
  out.set(len, tag.length);
  out.set(body, tag.length + len.length);
  return out;
}

function varint(n: number): Uint8Array {
  const bytes: number[] = [];
  while (n > 127) {
    bytes.push((n & 127) | 128);
    n >>>= 7;
  }
  bytes.push(n);
  return Uint8Array.from(bytes);
}

export interface CallOutcome {
  method: string;
  code: number;
  details: string;
  /** For a fault: the message sent, as JSON (shortened), so it can be replayed. */
  input?: string;
}

/** Sends raw bytes to a method and reports the status (a stream is read to its end or for 2 s). */
export function call(client: Client, service: DescService, method: DescService['methods'][number], bytes: Uint8Array): Promise<CallOutcome> {
  const path = `/${service.typeName}/${method.name}`;
  const name = `${service.name}.${method.name}`;
  const deadline = new Date(Date.now() + 15_000);
  return new Promise((resolve) => {
    if (method.methodKind === 'server_streaming') {
      const stream = client.makeServerStreamRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        new Metadata(),
        { deadline },
      );
      const timer = setTimeout(() => stream.cancel(), 2000);
      stream.on('data', () => {});
      stream.on('error', (err: ServiceError) => {
        clearTimeout(timer);
        resolve({ method: name, code: err.code, details: err.details });
      });
      stream.on('end', () => {
        clearTimeout(timer);
        resolve({ method: name, code: grpcStatus.OK, details: '' });
      });
      return;
    }
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(bytes),
      new Metadata(),
      { deadline },
      (err) => {
        resolve(err ? { method: name, code: err.code, details: err.details } : { method: name, code: grpcStatus.OK, details: '' });
      },
    );
  });
}

export interface FuzzReport {
  calls: number;
  byCode: Record<string, number>;
  /** Outcomes a client mistake must never cause: INTERNAL, UNKNOWN, or the call not answered. */
  faults: CallOutcome[];
}

/**
 * Fuzzes every method of every service on `address`: `runs` generated messages per method
 * (fixed seed, so a failure repeats), a tenth of them with huge strings and lists, plus deep lists.
 */
export async function fuzz(address: string, runs: number, seed = 42): Promise<FuzzReport> {
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 2 ** 20,
    'grpc.max_receive_message_length': 64 * 2 ** 20,
  });
  const report: FuzzReport = { calls: 0, byCode: {}, faults: [] };
  const record = (o: CallOutcome, input: unknown) => {
    report.calls++;
    const code = grpcStatus[o.code] ?? String(o.code);
    report.byCode[code] = (report.byCode[code] ?? 0) + 1;
    if (o.code === grpcStatus.INTERNAL || o.code === grpcStatus.UNKNOWN || o.code === grpcStatus.DEADLINE_EXCEEDED || o.code === grpcStatus.UNAVAILABLE) {
      report.faults.push({
        ...o,
        input: JSON.stringify(input, (_k, v: unknown) =>
          typeof v === 'bigint'
            ? String(v)
            : v instanceof Uint8Array
              ? `<${v.length} bytes>`
              : typeof v === 'string' && v.length > 200
                ? `${v.slice(0, 50)}...<${v.length} chars>`
                : v,
        ).slice(0, 600),
      });
    }
  };
  try {
    for (const service of services()) {
      for (const method of service.methods) {
        const small = fc.sample(messageArb(method.input, 4, false), { numRuns: runs, seed });
        const large = fc.sample(messageArb(method.input, 2, true), { numRuns: Math.max(1, Math.floor(runs / 10)), seed: seed + 1 });
        for (const init of [...small, ...large]) {
          let bytes: Uint8Array;
          try {
            bytes = toBinary(method.input, create(method.input, init as never));
          } catch {
            continue; // a value the encoder itself refuses (e.g. a lone surrogate) never reaches the wire
          }
          record(await call(client, service, method, bytes), init);
        }
        // Garbage that is not the message at all.
        for (const junk of [Uint8Array.from([0xff, 0xff, 0xff, 0xff]), Uint8Array.from([0x0a, 0x80]), deepValue(200)])
          record(await call(client, service, method, junk), `<${junk.length} junk bytes>`);
      }
    }
  } finally {
    client.close();
  }
  return report;
}
