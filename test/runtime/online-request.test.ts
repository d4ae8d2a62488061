// RetrieveOnlineRequest read by the retrieve function's own decoder (shared/runtime/api/online-request.ts)
// is exactly what the generated decoder reads, keys mapped to typed values: on random requests of every
// value kind (with unknown fields mixed in), and on corrupted bytes, where both throw or both read the
// same. The usual request (scalar keys, non-negative integers) is read by the own decoder, not handed on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Value } from '../../shared/gen/featurestore/v1/common.js';
import { RetrieveOnlineRequest } from '../../shared/gen/featurestore/v1/retrieve.js';
import { decodeOnlineRequest, decodeOnlineRequestSlowly, readUsualOnlineRequest, RetrieveServiceServed } from '../../shared/runtime/api/online-request.js';

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constant('\uFEFFbom'));
const int64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 49n + 5n }),
  fc.constantFrom(0n, 127n, 128n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 53n, 2n ** 63n - 1n, -1n, -(2n ** 63n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);
const int32 = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 28 + 5 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom(0, 2 ** 28 - 1, 2 ** 28, -1),
);
const scalarKind: fc.Arbitrary<Value['kind']> = fc.oneof(
  fc.constant(undefined),
  text.map((value) => ({ $case: 'stringValue' as const, value })),
  fc.boolean().map((value) => ({ $case: 'boolValue' as const, value })),
  int32.map((value) => ({ $case: 'int32Value' as const, value })),
  int64.map((v) => ({ $case: 'int64Value' as const, value: String(v) })),
  fc.float({ noDefaultInfinity: false }).map((value) => ({ $case: 'float32Value' as const, value })),
  fc.double().map((value) => ({ $case: 'float64Value' as const, value })),
  int32.map((value) => ({ $case: 'dateValue' as const, value })),
  fc.uint8Array({ maxLength: 8 }).map((value) => ({ $case: 'bytesValue' as const, value: Buffer.from(value) })),
);
const kind: fc.Arbitrary<Value['kind']> = fc.oneof(
  { arbitrary: scalarKind, weight: 8 },
  fc
    .record({ seconds: fc.integer({ min: -1e10, max: 1e10 }), nanos: fc.integer({ min: 0, max: 999_999_999 }) })
    .map(({ seconds, nanos }) => ({ $case: 'timestampValue' as const, value: { seconds: String(seconds), nanos } })),
  fc.array(scalarKind, { maxLength: 3 }).map((kinds) => ({ $case: 'listValue' as const, value: { values: kinds.map((k) => ({ kind: k })) } })),
);
const ref = fc.record({ project: text, name: text, version: text });
const request = (values: fc.Arbitrary<Value['kind']>): fc.Arbitrary<RetrieveOnlineRequest> =>
  fc.record({
    featureSet: fc.option(ref, { nil: undefined }),
    keys: fc.array(
      fc.array(values, { maxLength: 3 }).map((kinds) => ({ values: kinds.map((k) => ({ kind: k })) })),
      { maxLength: 6 },
    ),
    features: fc.array(text, { maxLength: 3 }),
    featureView: fc.option(ref, { nil: undefined }),
  });

/** Unknown fields (varint, fixed64, length-delimited, fixed32, with field numbers beyond the message's) put at the start. */
const unknown = fc.array(
  fc.constantFrom(
    Buffer.from([0x28, 0x96, 0x01]), // field 5 varint
    Buffer.from([0x31, 1, 2, 3, 4, 5, 6, 7, 8]), // field 6 fixed64
    Buffer.from([0x3a, 2, 0x61, 0x62]), // field 7 bytes
    Buffer.from([0x45, 1, 2, 3, 4]), // field 8 fixed32
    Buffer.from([0x80, 0x01, 0x01]), // field 16 varint (a two-byte tag)
  ),
  { maxLength: 3 },
);

const outcome = (decode: (b: Buffer) => unknown, bytes: Buffer) => {
  try {
    return { value: decode(bytes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
};

test('random requests of every value kind read the same as with the generated decoder', () => {
  fc.assert(
    fc.property(request(kind), unknown, (req, extra) => {
      const encoded = Buffer.from(RetrieveOnlineRequest.encode(req).finish());
      for (const bytes of [encoded, Buffer.concat([...extra, encoded])]) assert.deepEqual(decodeOnlineRequest(bytes), decodeOnlineRequestSlowly(bytes));
    }),
    { numRuns: 2000 },
  );
});

test('the usual request (scalar keys, non-negative integers below 2^49 and 2^28) is read without the generated decoder', () => {
  const usual: fc.Arbitrary<Value['kind']> = fc.oneof(
    text.map((value) => ({ $case: 'stringValue' as const, value })),
    fc.bigInt({ min: 0n, max: 2n ** 49n - 1n }).map((v) => ({ $case: 'int64Value' as const, value: String(v) })),
    fc.integer({ min: 0, max: 2 ** 28 - 1 }).map((value) => ({ $case: 'int32Value' as const, value })),
    fc.boolean().map((value) => ({ $case: 'boolValue' as const, value })),
    fc.double().map((value) => ({ $case: 'float64Value' as const, value })),
  );
  fc.assert(
    fc.property(request(usual), (req) => {
      const bytes = Buffer.from(RetrieveOnlineRequest.encode(req).finish());
      const own = readUsualOnlineRequest(bytes);
      assert.ok(own, 'read by the own decoder');
      assert.deepEqual(own, decodeOnlineRequestSlowly(bytes));
    }),
    { numRuns: 1000 },
  );
  // And what it hands on: a key it does not read itself.
  const handedOn = [
    { $case: 'int64Value' as const, value: '-5' },
    { $case: 'int64Value' as const, value: String(2n ** 49n) },
    { $case: 'timestampValue' as const, value: { seconds: '5', nanos: 0 } },
    { $case: 'listValue' as const, value: { values: [] } },
  ];
  for (const k of handedOn) {
    const bytes = Buffer.from(RetrieveOnlineRequest.encode({ keys: [{ values: [{ kind: k }] }], features: [] }).finish());
    assert.equal(readUsualOnlineRequest(bytes), undefined, k.$case);
    assert.deepEqual(decodeOnlineRequest(bytes), decodeOnlineRequestSlowly(bytes));
  }
});

test('corrupted requests: both decoders throw, or both read the same', () => {
  let threw = 0;
  let read = 0;
  fc.assert(
    fc.property(
      request(kind),
      fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), how: fc.constantFrom('set', 'cut', 'insert') }), {
        minLength: 1,
        maxLength: 3,
      }),
      (req, edits) => {
        let bytes = Buffer.from(RetrieveOnlineRequest.encode(req).finish());
        for (const e of edits) {
          if (bytes.length === 0) break;
          const at = e.at % bytes.length;
          if (e.how === 'set') bytes[at] = e.byte;
          else if (e.how === 'cut') bytes = bytes.subarray(0, at);
          else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([e.byte]), bytes.subarray(at)]);
        }
        const ours = outcome(decodeOnlineRequest, bytes);
        assert.deepEqual(ours, outcome(decodeOnlineRequestSlowly, bytes));
        if ('error' in ours) threw++;
        else read++;
      },
    ),
    { numRuns: 3000 },
  );
  // Both sides were exercised: corruptions that are refused and ones that still read.
  assert.ok(threw > 100 && read > 100, `threw ${threw}, read ${read}`);
});

test('odd encodings (a zero tag, groups, long varints, overlong lengths) read as the generated decoder reads them', () => {
  const a = Buffer.from(RetrieveOnlineRequest.encode({ keys: [{ values: [{ kind: { $case: 'int64Value', value: '7' } }] }], features: ['x'] }).finish());
  const cases = [
    Buffer.concat([a, Buffer.from([0x00]), a]), // a zero tag: the generated decoder stops there
    Buffer.concat([a, Buffer.from([0x2b, 0x2c]), a]), // a group (field 5) and its end
    Buffer.concat([a, Buffer.from([0x2c]), a]), // an end-group tag alone
    Buffer.concat([Buffer.from([0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), a]), // a 10-byte varint
    Buffer.concat([Buffer.from([0x12, 0x80, 0x80, 0x80, 0x80, 0x01]), a]), // a length of 2^28
    Buffer.from([0x12, 0x04, 0x0a, 0x02, 0x20, 0x07]), // a key whose value ends where the key does
    Buffer.from([0x12, 0x02, 0x0a, 0x03, 0x20, 0x07]), // a value longer than its key
  ];
  for (const bytes of cases) assert.deepEqual(outcome(decodeOnlineRequest, bytes), outcome(decodeOnlineRequestSlowly, bytes), bytes.toString('hex'));
});

test("the served definition's request encoder and decoder are inverse", () => {
  const m = RetrieveServiceServed.retrieveOnline;
  const req = {
    featureSet: { project: 'p', name: 'n', version: '1' },
    keys: [
      [
        { kind: 'int64' as const, value: '42' },
        { kind: 'string' as const, value: 'é' },
      ],
    ],
    features: ['f'],
  };
  assert.deepEqual(m.requestDeserialize(m.requestSerialize({ ...req, featureView: undefined })), { ...req, featureView: undefined });
});
