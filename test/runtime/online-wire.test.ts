// The online answer written straight from stored values is byte for byte what the generated
// encoder writes from typed values, for every data type, lists, nulls, extremes, every row status
// and event time; and a client decodes it to the same rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DataType, Feature } from '../../shared/core/model.js';
import type { StoredOnlineAnswer } from '../../shared/core/use-cases/online.js';
import { storedMicros, toTypedValue, type StoredValue } from '../../shared/core/values.js';
import { RetrieveOnlineResponse, RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import { typedValueToProto } from '../../shared/runtime/api/mappers.js';
import { encodeOnlineAnswer } from '../../shared/runtime/api/online-wire.js';
import { timestampFromMicros } from '../../shared/runtime/api/proto-time.js';

const TYPES: DataType[] = ['STRING', 'BOOL', 'INT32', 'INT64', 'FLOAT32', 'FLOAT64', 'TIMESTAMP', 'DATE', 'BYTES'];
/** µs of google.protobuf.Timestamp's range (years 1 to 9999). */
const MICROS = { min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n };

const scalar = (type: DataType): fc.Arbitrary<StoredValue> => {
  switch (type) {
    case 'STRING':
      return fc.string({ unit: 'binary', maxLength: 12 });
    case 'BOOL':
      return fc.boolean();
    case 'INT32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'INT64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
    case 'FLOAT32':
      return fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround);
    case 'FLOAT64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'TIMESTAMP':
      return fc.oneof(fc.bigInt(MICROS), fc.bigInt({ min: -3_000_000n, max: 3_000_000n })).map(storedMicros);
    case 'DATE':
      return fc.integer({ min: -719_162, max: 2_932_896 });
    case 'BYTES':
      return fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64'));
  }
};
const value = (f: Feature): fc.Arbitrary<StoredValue> => {
  const one = f.isList ? fc.array(fc.option(scalar(f.type), { nil: null }), { maxLength: 4 }) : scalar(f.type);
  return fc.option(one, { nil: null, freq: 4 });
};
const feature = fc
  .record({ name: fc.constantFrom('a', 'b', 'é', 'long_name_x'), type: fc.constantFrom(...TYPES), isList: fc.boolean() })
  .map((f) => ({ ...f, description: '', sensitive: false, tags: {} }));
const answer: fc.Arbitrary<StoredOnlineAnswer> = fc.array(feature, { maxLength: 6 }).chain((features) =>
  fc.record({
    featureNames: fc.constant(features.map((f) => f.name)),
    features: fc.constant(features),
    withheld: fc.array(fc.constantFrom('secret', 'ssn'), { maxLength: 2 }),
    rows: fc.array(
      fc.oneof(
        fc.record({
          values: fc.tuple(...features.map(value)),
          eventTimeMicros: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
          status: fc.constant('PRESENT' as const),
        }),
        fc.record({ values: fc.constant([] as StoredValue[]), status: fc.constant('MISSING' as const) }),
        fc.record({ values: fc.constant([] as StoredValue[]), eventTimeMicros: fc.integer({ min: 0, max: 2 ** 52 }), status: fc.constant('EXPIRED' as const) }),
      ),
      { maxLength: 5 },
    ),
  }),
);
/** A feature view's answer: some rows PARTIAL, every row with its sets' statuses, the sets named. */
const viewAnswer: fc.Arbitrary<StoredOnlineAnswer> = answer.chain((a) =>
  fc.integer({ min: 1, max: 4 }).chain((sets) =>
    fc
      .record({
        featureSets: fc.constant(Array.from({ length: sets }, (_x, i) => `p/set${i}:1`)),
        rows: fc.tuple(
          ...a.rows.map((r) =>
            fc
              .record({
                partial: fc.boolean(),
                setStatuses: fc.array(fc.constantFrom('PRESENT' as const, 'MISSING' as const, 'EXPIRED' as const), { minLength: sets, maxLength: sets }),
              })
              .map(({ partial, setStatuses }) => ({ ...r, status: partial ? ('PARTIAL' as const) : r.status, setStatuses })),
          ),
        ),
      })
      .map((v) => ({ ...a, ...v })),
  ),
);

const STATUS = {
  PRESENT: RowStatus.ROW_STATUS_PRESENT,
  MISSING: RowStatus.ROW_STATUS_MISSING,
  EXPIRED: RowStatus.ROW_STATUS_EXPIRED,
  PARTIAL: RowStatus.ROW_STATUS_PARTIAL,
} as const;
/** The answer as the typed path builds it for the generated encoder. */
const typed = (a: StoredOnlineAnswer): RetrieveOnlineResponse => ({
  featureNames: a.featureNames,
  withheldFeatures: a.withheld,
  rows: a.rows.map((r) => ({
    values: r.values.map((v, i) => typedValueToProto(toTypedValue(a.features[i], v))),
    eventTime: r.eventTimeMicros === undefined ? undefined : timestampFromMicros(r.eventTimeMicros),
    status: STATUS[r.status],
    setStatuses: (r.setStatuses ?? []).map((s) => STATUS[s]),
  })),
  featureSets: a.featureSets ?? [],
});

test('the direct encoder writes the generated encoder’s bytes for every type, list, null and row status', () => {
  fc.assert(
    fc.property(answer, (a) => {
      const direct = encodeOnlineAnswer(a);
      const generated = Buffer.from(RetrieveOnlineResponse.encode(typed(a)).finish());
      assert.ok(direct.equals(generated), `${direct.toString('hex')}\n!=\n${generated.toString('hex')}`);
      assert.deepEqual(RetrieveOnlineResponse.decode(direct), RetrieveOnlineResponse.decode(generated));
    }),
    { numRuns: 2000 },
  );
});

test('a feature view’s answer (per-set statuses, PARTIAL rows, the sets named) is the generated encoder’s bytes too', () => {
  fc.assert(
    fc.property(viewAnswer, (a) => {
      const direct = encodeOnlineAnswer(a);
      assert.ok(direct.equals(Buffer.from(RetrieveOnlineResponse.encode(typed(a)).finish())));
      const decoded = RetrieveOnlineResponse.decode(direct);
      assert.deepEqual(decoded.featureSets, a.featureSets);
      assert.deepEqual(
        decoded.rows.map((r) => r.setStatuses),
        a.rows.map((r) => r.setStatuses!.map((s) => STATUS[s])),
      );
    }),
    { numRuns: 500 },
  );
});

test('edge values by hand: -0, float32 extremes, int64 bounds, timestamps before 1970 and at the range ends, empty strings and bytes', () => {
  const f = (type: DataType, isList = false) => ({ name: type, type, isList }) as unknown as Feature;
  const features = [f('FLOAT32'), f('FLOAT64'), f('INT64'), f('TIMESTAMP'), f('TIMESTAMP'), f('STRING'), f('BYTES'), f('INT32', true)];
  const a: StoredOnlineAnswer = {
    featureNames: features.map((x) => x.name),
    features,
    withheld: [],
    rows: [
      { values: [-0, 3.4028234663852886e38, '-9223372036854775808', -1, '-62135596800000000', '', '', []], eventTimeMicros: -1, status: 'PRESENT' },
      {
        values: [1.401298464324817e-45, -0, '9223372036854775807', '253402300799999999', 0, 'ü\u{1F600}', 'AA==', [null, -1, 2147483647]],
        eventTimeMicros: 0,
        status: 'PRESENT',
      },
    ],
  };
  assert.ok(encodeOnlineAnswer(a).equals(Buffer.from(RetrieveOnlineResponse.encode(typed(a)).finish())));
});
