// The joined entry's layout as the read path takes it (the Redis scripts write it; the store contract
// checks the two against each other on a real Redis).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORED_FORMAT } from '../../shared/core/online-format.js';
import { PART_ABSENT, PART_HEAD, PART_STORED, PART_WIRE, joinedEntries, joinedValuesAt, wholeJoinedTime } from '../../shared/core/online-joined.js';

type Part = { kind: number; at: number; expireMs: number; value: number[] };

/** A joined entry laid out by hand: the count, a head per part, then the values back to back. */
function joined(parts: Part[]): Buffer {
  const head = Buffer.alloc(1 + parts.length * PART_HEAD);
  head[0] = parts.length;
  parts.forEach((p, j) => {
    const at = 1 + j * PART_HEAD;
    head[at] = p.kind;
    head.writeDoubleBE(p.at, at + 1);
    head.writeDoubleBE(p.expireMs, at + 9);
    head.writeUInt32BE(p.value.length, at + 17);
  });
  return Buffer.concat([head, ...parts.map((p) => Buffer.from(p.value))]);
}

const NOW_MS = 1_800_000_000_000;
const wire = (at: number, value: number[], expireMs = -1): Part => ({ kind: PART_WIRE, at, expireMs, value });

describe('joined entries', () => {
  it('answers a whole row when every part is wire bytes, kept and within its TTL: the oldest event time, values from the head on', () => {
    const bytes = joined([wire(5_000, [10, 1, 7]), wire(3_000, [10, 1, 8], NOW_MS + 1), wire(9_000, [])]);
    assert.equal(wholeJoinedTime(bytes, 3, NOW_MS, [0, 3_000, -Infinity]), 3_000);
    assert.equal(joinedValuesAt(3), 1 + 3 * PART_HEAD);
    assert.deepEqual([...bytes.subarray(joinedValuesAt(3))], [10, 1, 7, 10, 1, 8]);
  });

  it('answers no whole row when a part is absent, in another stored form, past its expiry or its TTL, or the count differs', () => {
    const parts = [wire(5_000, [1]), wire(6_000, [2])];
    const ok = [0, 0];
    assert.ok(Number.isNaN(wholeJoinedTime(joined([parts[0], { kind: PART_ABSENT, at: 0, expireMs: -1, value: [] }]), 2, NOW_MS, ok)));
    assert.ok(Number.isNaN(wholeJoinedTime(joined([parts[0], { ...parts[1], kind: PART_STORED }]), 2, NOW_MS, ok)));
    assert.ok(Number.isNaN(wholeJoinedTime(joined([parts[0], wire(6_000, [2], NOW_MS - 1)]), 2, NOW_MS, ok)), 'expired a millisecond ago');
    assert.equal(wholeJoinedTime(joined([parts[0], wire(6_000, [2], NOW_MS)]), 2, NOW_MS, ok), 5_000, 'kept through its expiry millisecond, as Redis keeps it');
    assert.ok(Number.isNaN(wholeJoinedTime(joined(parts), 2, NOW_MS, [0, 6_001])), 'older than the TTL allows');
    assert.equal(wholeJoinedTime(joined(parts), 2, NOW_MS, [0, 6_000]), 5_000, 'exactly at the TTL: still present');
    assert.ok(Number.isNaN(wholeJoinedTime(joined(parts), 3, NOW_MS, [0, 0, 0])));
  });

  it('reads each part as the table would: absent or expired parts as none, wire bytes with the format byte again, other forms as they are', () => {
    const bytes = joined([
      wire(5_000, [10, 1, 7], NOW_MS + 10),
      { kind: PART_ABSENT, at: 0, expireMs: -1, value: [] },
      { kind: PART_STORED, at: 7_000, expireMs: -1, value: [0x5b, 0x5d] },
      wire(8_000, [1], NOW_MS - 10),
    ]);
    const entries = joinedEntries('k', bytes, 4, NOW_MS);
    assert.deepEqual(
      entries.map((e) => e && { ...e, value: [...e.value] }),
      [
        { key: 'k', eventTimeMicros: 5_000, value: [STORED_FORMAT, 10, 1, 7], expireAtMicros: (NOW_MS + 10) * 1000 },
        undefined,
        { key: 'k', eventTimeMicros: 7_000, value: [0x5b, 0x5d] },
        undefined,
      ],
    );
  });

  it('refuses an entry of another number of tables, or one whose lengths do not add up', () => {
    const bytes = joined([wire(1, [1]), wire(2, [2])]);
    assert.throws(() => joinedEntries('k', bytes, 3, NOW_MS), /2 tables read as one of 3/);
    assert.throws(() => joinedEntries('k', Buffer.concat([bytes, Buffer.from([0])]), 2, NOW_MS), /holds/);
  });
});
