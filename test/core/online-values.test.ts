// The entity key's text is JSON of the key values whatever path builds it (a one-value key takes a
// shortcut): stored keys written by earlier releases must keep matching.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Feature, Schema } from '../../shared/core/model.js';
import { encodeEntityKey, entriesFromStored, storedBatchOf } from '../../shared/core/online-values.js';
import { batchEntries, sliceBatch, type OnlineEntry } from '../../shared/core/ports/online-store.js';
import type { StoredValue } from '../../shared/core/values.js';

const scalar: fc.Arbitrary<StoredValue> = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(-0, 1e21, 5e-324, Number.MAX_SAFE_INTEGER),
  // Text JSON escapes, or does not: quotes, backslashes, controls, surrogate pairs and halves, U+2028.
  fc.constantFrom('"', '\\', '\u001f', 'a\u007fb', '\ud83d\ude00', '\ud83d', '\ude00x', '\u2028', '12345', ''),
);

test('an entity key is the JSON text of its values, one value or several', () => {
  fc.assert(
    fc.property(fc.array(scalar, { minLength: 1, maxLength: 3 }), (values) => {
      assert.equal(encodeEntityKey(values), JSON.stringify(values));
    }),
    { numRuns: 5000 },
  );
});

// A bulk write's batch (materialization) holds what entriesFromStored makes of the same rows, entry
// for entry: keys, event times, expiries and stored bytes; rows over the size limit left out.
const f = (name: string, type: Feature['type'], isList = false): Feature => ({ name, type, isList, description: '', sensitive: false, tags: {} });
const schema: Schema = {
  features: [
    f('id', 'INT64'),
    f('region', 'STRING'),
    f('ts', 'TIMESTAMP'),
    f('score', 'FLOAT64'),
    f('n', 'INT32'),
    f('tags', 'STRING', true),
    f('seen', 'TIMESTAMP'),
  ],
  primaryKey: ['id', 'region'],
  eventTimeColumn: 'ts',
};
const engineRow = fc.record({
  id: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  region: fc.string({ unit: 'binary', maxLength: 6 }),
  // Timestamps as an engine gives them: µs as a number, or as text beyond 2^53.
  ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 52 }), fc.bigInt({ min: 2n ** 53n, max: 2n ** 60n }).map(String)),
  score: fc.option(fc.double({ noNaN: true }), { nil: null }),
  n: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: null }),
  tags: fc.option(fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }), { nil: null }),
  seen: fc.option(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), { nil: null }),
});

const plain = (e: OnlineEntry) => ({ key: e.key, eventTimeMicros: e.eventTimeMicros, value: Buffer.from(e.value), expireAtMicros: e.expireAtMicros });

test('a stored batch holds the entries entriesFromStored makes, rows over the size limit left out', () => {
  fc.assert(
    fc.property(
      fc.array(engineRow, { maxLength: 40 }),
      fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
      fc.integer({ min: 8, max: 400 }),
      (rows, ttl, maxRowBytes) => {
        const expected = entriesFromStored(schema, rows, ttl).filter((e) => e.value.length <= maxRowBytes);
        const { batch, tooLarge } = storedBatchOf(schema, rows, ttl, maxRowBytes);
        assert.equal(tooLarge, rows.length - expected.length);
        assert.equal(batch.starts.length, batch.keys.length + 1);
        assert.deepEqual(batchEntries(batch).map(plain), expected.map(plain));
        // A slice is the same entries.
        const from = Math.floor(batch.keys.length / 3);
        assert.deepEqual(
          batchEntries(sliceBatch(batch, from, batch.keys.length)).map((e) => e.key),
          expected.slice(from).map((e) => e.key),
        );
      },
    ),
    { numRuns: 400 },
  );
});
