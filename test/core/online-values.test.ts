// The entity key's text is JSON of the key values whatever path builds it (a one-value key takes a
// shortcut): stored keys written by earlier releases must keep matching.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeEntityKey } from '../../shared/core/online-values.js';
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
