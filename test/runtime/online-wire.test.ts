// The online answer assembled from stored entries (shared/core/online-format.ts) is byte for byte
// what the generated encoder writes from typed values, for every data type, lists, nulls, extremes,
// every row status and event time, a full row or any subset of its features, entries in the legacy
// JSON form too; and a client decodes it to the same rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DataType, Feature } from '../../shared/core/model.js';
import { encodeLegacyRow, encodeStoredRow, pickFields, STORED_FORMAT, storedValues } from '../../shared/core/online-format.js';
import type { RowStatus as Status, StoredOnlineAnswer } from '../../shared/core/use-cases/online.js';
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
/** An answer with its values typed: what the generated encoder is given. */
interface Sample {
  featureNames: string[];
  features: Feature[];
  withheld: string[];
  featureSets?: string[];
  rows: { values: StoredValue[]; eventTimeMicros?: number; status: Status; setStatuses?: Exclude<Status, 'PARTIAL'>[] }[];
}
/** The same answer as the read path hands it to the encoder: each row's values as its stored entry's bytes. */
const stored = (a: Sample): StoredOnlineAnswer => ({
  featureNames: a.featureNames,
  withheld: a.withheld,
  ...(a.featureSets ? { featureSets: a.featureSets } : {}),
  rows: a.rows.map((r) => ({ ...r, values: r.values.length === 0 ? [] : [storedValues(a.features, encodeStoredRow(a.features, r.values))] })),
});

const answer: fc.Arbitrary<Sample> = fc.array(feature, { maxLength: 6 }).chain((features) =>
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
const viewAnswer: fc.Arbitrary<Sample> = answer.chain((a) =>
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
const typed = (a: Sample): RetrieveOnlineResponse => ({
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
      const direct = encodeOnlineAnswer(stored(a));
      const generated = Buffer.from(RetrieveOnlineResponse.encode(typed(a)).finish());
      assert.ok(direct.equals(generated), `${direct.toString('hex')}\n!=\n${generated.toString('hex')}`);
      assert.deepEqual(RetrieveOnlineResponse.decode(direct), RetrieveOnlineResponse.decode(generated));
      // A frozen name list (a full read's) has its fields cached: the same bytes, the first time and again.
      const names = Object.freeze([...a.featureNames]);
      for (let i = 0; i < 2; i++) assert.ok(encodeOnlineAnswer({ ...stored(a), featureNames: names }).equals(generated));
      // Values handed as the buffer a store read, with where they start in it (no view made): the same bytes.
      const inPlace = stored(a);
      inPlace.rows = inPlace.rows.map((r) => {
        const values = r.values.map((v, k) => Buffer.concat([Buffer.from(`${k}${'|'.repeat(k)}1`), v]));
        return { ...r, values, starts: values.map((v, k) => v.length - r.values[k].length) };
      });
      assert.ok(encodeOnlineAnswer(inPlace).equals(generated));
    }),
    { numRuns: 2000 },
  );
});

test('a feature view’s answer (per-set statuses, PARTIAL rows, the sets named) is the generated encoder’s bytes too', () => {
  fc.assert(
    fc.property(viewAnswer, (a) => {
      const direct = encodeOnlineAnswer(stored(a));
      assert.ok(direct.equals(Buffer.from(RetrieveOnlineResponse.encode(typed(a)).finish())));
      // Frozen status lists (every set present, shared by the rows of a read) have their field cached: the same bytes, again.
      const frozen = stored(a);
      frozen.rows = frozen.rows.map((r) => ({ ...r, setStatuses: Object.freeze([...r.setStatuses!]) }));
      for (let i = 0; i < 2; i++) assert.ok(encodeOnlineAnswer(frozen).equals(direct));
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

test('edge values by hand: -0, float32 extremes, int64 bounds, timestamps before 1970 and at the range ends, empty strings and bytes, long values', () => {
  const f = (type: DataType, isList = false) => ({ name: type, type, isList }) as unknown as Feature;
  const features = [f('FLOAT32'), f('FLOAT64'), f('INT64'), f('TIMESTAMP'), f('TIMESTAMP'), f('STRING'), f('BYTES'), f('INT32', true)];
  const a: Sample = {
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
      // Event times of years 9999 and 1: beyond 2^53 µs (written through BigInt).
      { values: [1, 2, '3', 4, 5, 'x', 'AA==', [6]], eventTimeMicros: 253402300800000000, status: 'PRESENT' },
      { values: [], eventTimeMicros: -62135596800000000, status: 'EXPIRED' },
      // Lengths of two and three varint bytes: a value, a list and a row over 127 and 16,383 bytes.
      { values: [0, 0, '0', 0, 0, 'é'.repeat(10_000), Buffer.alloc(200, 7).toString('base64'), Array.from({ length: 40 }, (_x, i) => -i)], status: 'PRESENT' },
    ],
  };
  assert.ok(encodeOnlineAnswer(stored(a)).equals(Buffer.from(RetrieveOnlineResponse.encode(typed(a)).finish())));
});

/** A row of `features` with values, and a subset of its positions in stored order. */
const rowWithSubset = fc.array(feature, { minLength: 1, maxLength: 8 }).chain((features) =>
  fc.record({
    features: fc.constant(features),
    values: fc.tuple(...features.map(value)),
    positions: fc.subarray(
      features.map((_f, i) => i),
      { minLength: 1 },
    ),
  }),
);

test('a subset of a stored row (any features, runs of neighbours as one slice) is the stored form of that subset', () => {
  fc.assert(
    fc.property(rowWithSubset, ({ features, values, positions }) => {
      const row = encodeStoredRow(features, values);
      assert.equal(row[0], STORED_FORMAT);
      const picked = Buffer.concat(pickFields(storedValues(features, row), positions, features.length));
      const alone = storedValues(
        positions.map((p) => features[p]),
        encodeStoredRow(
          positions.map((p) => features[p]),
          positions.map((p) => values[p]),
        ),
      );
      assert.ok(picked.equals(alone), `${picked.toString('hex')} != ${Buffer.from(alone).toString('hex')}`);
    }),
    { numRuns: 1000 },
  );
});

test('a row shorter than its schema answers null for the features it lacks', () => {
  const f = (type: DataType) => ({ name: type, type, isList: false }) as unknown as Feature;
  const features = [f('INT32'), f('STRING'), f('FLOAT64')];
  const short = storedValues(features.slice(0, 1), encodeStoredRow(features.slice(0, 1), [7]));
  const picked = Buffer.concat(pickFields(short, [0, 1, 2], 3));
  assert.ok(picked.equals(storedValues(features, encodeStoredRow(features, [7, null, null]))));
});

test('an entry in the legacy JSON form reads as the same wire bytes; an unknown stored format is refused', () => {
  fc.assert(
    fc.property(rowWithSubset, ({ features, values }) => {
      // JSON keeps every stored value but -0 (it writes 0): legacy entries already held 0.
      const asJson = JSON.parse(JSON.stringify(values)) as StoredValue[];
      const legacy = storedValues(features, encodeLegacyRow(values));
      assert.ok(Buffer.from(legacy).equals(storedValues(features, encodeStoredRow(features, asJson))));
    }),
    { numRuns: 500 },
  );
  assert.throws(() => storedValues([], Buffer.from([9, 0])), /stored format 9/);
});
