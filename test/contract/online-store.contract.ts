// The OnlineStore contract: newest event time wins atomically, one entry per entity, reads in key
// order. Run against Redis standalone, a 3-master Redis Cluster, PostgreSQL and PGlite.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Unavailable } from '../../shared/core/errors.js';
import { joinedEntries } from '../../shared/core/online-joined.js';
import {
  sliceBatch,
  type OnlineEntry,
  type OnlineRead,
  type OnlineStore,
  type OnlineTable,
  type RestoreItem,
  type StoredBatch,
} from '../../shared/core/ports/online-store.js';

const table = (major = 1): OnlineTable => ({ project: `p_${randomBytes(4).toString('hex')}`, featureSet: 'fs', major });
/** Entries with their values as text (latin1: one byte per character) for readable assertions. */
type TextEntry = Omit<OnlineEntry, 'value'> & { value: string };
const entry = (key: string, eventTimeMicros: number, value = `v@${eventTimeMicros}`): TextEntry => ({ key, eventTimeMicros, value });
const bytes = (e: TextEntry): OnlineEntry => ({ ...e, value: Buffer.from(e.value, 'latin1') });
const text = (e: OnlineEntry | undefined): TextEntry | undefined => {
  if (!e) return undefined;
  assert.ok(e.value instanceof Uint8Array, 'values are read back as bytes');
  // A store may say where the value sits in a buffer it read; then both forms hold the same bytes.
  assert.equal(e.bytes === undefined, e.from === undefined, 'bytes and from come together');
  if (e.bytes) assert.deepEqual(Buffer.from(e.bytes.subarray(e.from)), Buffer.from(e.value), 'value is bytes from `from` on');
  const { bytes: _bytes, from: _from, ...plain } = e;
  return { ...plain, value: Buffer.from(e.value).toString('latin1') };
};

/** A StoredBatch of entries (distinct keys), as a bulk writer lays it out. */
function batchOf(entries: OnlineEntry[]): StoredBatch {
  const starts = new Int32Array(entries.length + 1);
  entries.forEach((e, i) => (starts[i + 1] = starts[i] + e.value.length));
  return {
    keys: entries.map((e) => e.key),
    eventTimeMicros: Float64Array.from(entries, (e) => e.eventTimeMicros),
    expireAtMicros: Float64Array.from(entries, (e) => e.expireAtMicros ?? NaN),
    bytes: Buffer.concat(entries.map((e) => e.value)),
    starts,
  };
}

/** The store under test, written and read with text values (the store itself sees and answers bytes). */
function textView(store: OnlineStore) {
  return {
    put: (t: OnlineTable, entries: TextEntry[]) => store.put(t, entries.map(bytes)),
    get: async (t: OnlineTable, keys: string[]) => (await store.get(t, keys)).map(text),
    getMany: async (reads: OnlineRead[]) => (await store.getMany(reads)).map((r) => r.map(text)),
    restore: (t: OnlineTable, items: { key: string; expected: { eventTimeMicros: number; value: string; legacyValue?: string }; replacement?: TextEntry }[]) =>
      store.restore(
        t,
        items.map((i): RestoreItem => ({
          key: i.key,
          expected: {
            eventTimeMicros: i.expected.eventTimeMicros,
            value: Buffer.from(i.expected.value, 'latin1'),
            ...(i.expected.legacyValue === undefined ? {} : { legacyValue: Buffer.from(i.expected.legacyValue, 'latin1') }),
          },
          ...(i.replacement ? { replacement: bytes(i.replacement) } : {}),
        })),
      ),
    reexpire: store.reexpire.bind(store),
    sweepExpired: store.sweepExpired.bind(store),
    drop: store.drop.bind(store),
  };
}

/** `unreachable` opens the store against a server that is not there (none for in-process PGlite). */
/**
 * `joins`: whether the store keeps joined entries (OnlineStore.join); a store that does not must say
 * so by answering getJoined with undefined.
 */
export function onlineStoreContract(
  name: string,
  open: () => Promise<{ store: OnlineStore; close(): Promise<void> }>,
  unreachable?: () => OnlineStore,
  options: { joins?: boolean } = {},
): void {
  describe(`OnlineStore contract: ${name}`, () => {
    let raw: OnlineStore;
    let store: ReturnType<typeof textView>;
    let close: () => Promise<void>;
    before(async () => {
      ({ store: raw, close } = await open());
      store = textView(raw);
    });
    after(() => close());

    it('reads entries back in the order asked, absent ones as undefined', async () => {
      const t = table();
      assert.deepEqual(await store.put(t, [entry('["a"]', 10), entry('["b"]', 20, 'x|y with | bars')]), [true, true]);
      assert.deepEqual(await store.get(t, ['["b"]', '["zz"]', '["a"]']), [entry('["b"]', 20, 'x|y with | bars'), undefined, entry('["a"]', 10)]);
      assert.deepEqual(await store.get(t, []), []);
    });

    it('reads several tables at once (a feature view), each in its key order, a key of one table absent from another', async () => {
      const [a, b, c] = [table(), table(2), table()];
      await store.put(a, [entry('["1"]', 10, 'a1'), entry('["2"]', 11, 'a2')]);
      await store.put(b, [entry('["2"]', 20, 'b2'), entry('["3"]', 21, 'b3')]);
      const reads = [
        { table: a, keys: ['["3"]', '["2"]', '["1"]'] },
        { table: b, keys: ['["1"]', '["2"]', '["3"]'] },
        { table: c, keys: ['["1"]'] },
        { table: a, keys: [] },
      ];
      assert.deepEqual(await store.getMany(reads), [
        [undefined, entry('["2"]', 11, 'a2'), entry('["1"]', 10, 'a1')],
        [undefined, entry('["2"]', 20, 'b2'), entry('["3"]', 21, 'b3')],
        [undefined],
        [],
      ]);
      assert.deepEqual(await store.getMany([{ table: b, keys: ['["3"]'] }]), [[entry('["3"]', 21, 'b3')]]);
      assert.deepEqual(await store.getMany([]), []);
    });

    it('reads keys of any text, few or many, several tables sharing one key list (a view keyed alike)', async () => {
      const [a, b] = [table(), table()];
      const odd = ['["plain"]', '["é"]', '["日本 🙂"]', '["line\\r\\nbreak"]', '["raw\r\nbreak"]', '[7,"$3"]'];
      const many = Array.from({ length: 60 }, (_, i) => `["k${i}"]`);
      const keys = [...odd, ...many];
      // Table a holds every key, b the even ones.
      await store.put(
        a,
        keys.map((k, i) => entry(k, 10 + i, `a${i}`)),
      );
      await store.put(
        b,
        keys.flatMap((k, i) => (i % 2 === 0 ? [entry(k, 20 + i, `b${i}`)] : [])),
      );
      const inA = (ks: string[]) => ks.map((k) => entry(k, 10 + keys.indexOf(k), `a${keys.indexOf(k)}`));
      const inB = (ks: string[]) => ks.map((k) => (keys.indexOf(k) % 2 === 0 ? entry(k, 20 + keys.indexOf(k), `b${keys.indexOf(k)}`) : undefined));
      // Few keys, many keys (Redis then sends a prepared command when all are ASCII), and many with non-ASCII ones.
      const ascii = [odd[0], odd[3], odd[4], odd[5]];
      for (const list of [odd, ascii, [...ascii, ...many], keys]) {
        assert.deepEqual(
          await store.getMany([
            { table: a, keys: list },
            { table: b, keys: list },
          ]),
          [inA(list), inB(list)],
          `${list.length} keys`,
        );
        // Each table with its own list, in another order.
        const reversed = [...list].reverse();
        assert.deepEqual(
          await store.getMany([
            { table: b, keys: reversed },
            { table: a, keys: list },
          ]),
          [inB(reversed), inA(list)],
        );
      }
    });

    it('answers reads made together (in one turn of the event loop) each with its own entries', async () => {
      const [a, b] = [table(), table()];
      const keys = Array.from({ length: 80 }, (_, i) => (i % 7 === 3 ? `["é${i}"]` : `["t${i}"]`));
      await store.put(
        a,
        keys.map((k, i) => entry(k, 100 + i, `a${i}`)),
      );
      await store.put(
        b,
        keys.flatMap((k, i) => (i % 2 ? [entry(k, 200 + i, `b${i}`)] : [])),
      );
      const at = (k: string) => keys.indexOf(k);
      const inA = (ks: string[]) => ks.map((k) => (at(k) >= 0 ? entry(k, 100 + at(k), `a${at(k)}`) : undefined));
      const inB = (ks: string[]) => ks.map((k) => (at(k) % 2 === 1 ? entry(k, 200 + at(k), `b${at(k)}`) : undefined));
      // 150 calls of 0 to 39 keys (about 3,000 in all: Redis batches several times over), one or both tables, absent keys too.
      const calls = Array.from({ length: 150 }, (_, c) => {
        const list = Array.from({ length: (c * 7) % 40 }, (_, j) => (j % 11 === 5 ? `["absent${c}"]` : keys[(c * 13 + j * 3) % keys.length]));
        return c % 3 === 0
          ? { reads: [{ table: a, keys: list }], want: [inA(list)] }
          : {
              reads: [
                { table: b, keys: list },
                { table: a, keys: list.slice(0, 5) },
              ],
              want: [inB(list), inA(list.slice(0, 5))],
            };
      });
      const answers = await Promise.all(
        calls.map((c) => (c.reads.length === 1 ? store.get(c.reads[0].table, c.reads[0].keys).then((x) => [x]) : store.getMany(c.reads))),
      );
      answers.forEach((got, c) => assert.deepEqual(got, calls[c].want, `call ${c}`));
    });

    it('stores any bytes: every byte value, bars and digits, an empty value', async () => {
      const t = table();
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const tricky = Buffer.from('12|34|\u0000|', 'latin1');
      await raw.put(t, [
        { key: 'all', eventTimeMicros: -5, value: all },
        { key: 'tricky', eventTimeMicros: 123456789012, value: tricky },
        { key: 'empty', eventTimeMicros: 0, value: Buffer.alloc(0) },
      ]);
      const got = await raw.get(t, ['all', 'tricky', 'empty']);
      assert.deepEqual(
        got.map((e) => e && [e.eventTimeMicros, Buffer.from(e.value).toString('hex')]),
        [
          [-5, all.toString('hex')],
          [123456789012, tricky.toString('hex')],
          [0, ''],
        ],
      );
    });

    it('restores over an entry in the legacy stored form: the reverted row matches in either form', async () => {
      const t = table();
      await store.put(t, [entry('legacy', 20, '[1.5]'), entry('legacy-gone', 20, '[2.5]'), entry('current', 20, 'wire')]);
      await store.restore(t, [
        { key: 'legacy', expected: { eventTimeMicros: 20, value: 'wire form', legacyValue: '[1.5]' }, replacement: entry('legacy', 10, 'restored') },
        { key: 'legacy-gone', expected: { eventTimeMicros: 20, value: 'wire form 2', legacyValue: '[2.5]' } },
        { key: 'current', expected: { eventTimeMicros: 20, value: 'wire', legacyValue: '[3.5]' } },
      ]);
      assert.deepEqual(await store.get(t, ['legacy', 'legacy-gone', 'current']), [entry('legacy', 10, 'restored'), undefined, undefined]);
    });

    it('keeps the newest event time: older writes are refused, equal ones replace', async () => {
      const t = table();
      const now = 1_795_000_000_000_000; // 2026, in microseconds
      await store.put(t, [entry('k', now)]);
      assert.deepEqual(await store.put(t, [entry('k', now - 1, 'older')]), [false]);
      assert.deepEqual(await store.put(t, [entry('k', now, 'same time, later write')]), [true]);
      assert.deepEqual(await store.get(t, ['k']), [entry('k', now, 'same time, later write')]);
      assert.deepEqual(await store.put(t, [entry('k', now + 1, 'newer')]), [true]);
      assert.deepEqual((await store.get(t, ['k']))[0]?.value, 'newer');
    });

    it('restores after a revert: the reverted row is replaced or removed, a row written since stays', async () => {
      const t = table();
      const reverted = (at: number) => ({ eventTimeMicros: at, value: `v@${at}` });
      await store.put(t, [entry('replaced', 20), entry('removed', 20), entry('newer', 30), entry('other', 20, 'written online since'), entry('older', 5)]);
      const items = [
        { key: 'replaced', expected: reverted(20), replacement: entry('replaced', 10, 'from the ingest still visible') },
        { key: 'removed', expected: reverted(20) },
        { key: 'newer', expected: reverted(20), replacement: entry('newer', 10) },
        { key: 'other', expected: reverted(20) },
        { key: 'older', expected: reverted(20), replacement: entry('older', 10, 'fills in newest-wins') },
        { key: 'absent', expected: reverted(20), replacement: entry('absent', 10) },
      ];
      await store.restore(t, items);
      const want = [
        entry('replaced', 10, 'from the ingest still visible'),
        undefined,
        entry('newer', 30),
        entry('other', 20, 'written online since'),
        entry('older', 10, 'fills in newest-wins'),
        entry('absent', 10),
      ];
      assert.deepEqual(
        await store.get(
          t,
          items.map((i) => i.key),
        ),
        want,
      );
      await store.restore(t, items);
      assert.deepEqual(
        await store.get(
          t,
          items.map((i) => i.key),
        ),
        want,
        'a repeated restore changes nothing',
      );
    });

    it('drops entries once their expiry passed, and re-expires a table when its TTL changes', async () => {
      const t = table();
      const now = Date.now() * 1000;
      const soon = now + 400_000;
      await store.put(t, [
        { ...entry('short', now - 1_000_000), expireAtMicros: soon },
        { ...entry('kept', now - 1_000_000), expireAtMicros: soon },
        entry('forever', now),
        entry('shortened', now - 2_000_000),
        { ...entry('renewed', now - 2_000_000), expireAtMicros: soon },
      ]);
      // A newer write replaces the expiry with its own: a set one, or none.
      assert.deepEqual(await store.put(t, [{ ...entry('shortened', now - 1_000_000), expireAtMicros: soon }, entry('renewed', now - 1_000_000)]), [true, true]);
      await store.restore(t, [
        { key: 'restored', expected: { eventTimeMicros: 1, value: 'x' }, replacement: { ...entry('restored', now - 1_000_000), expireAtMicros: soon } },
      ]);
      // A longer TTL for one table: its entries no longer expire soon (here: never).
      const other = table();
      await store.put(other, [{ ...entry('kept', now - 1_000_000), expireAtMicros: soon }]);
      await store.reexpire(other, undefined);
      const keys = ['short', 'kept', 'forever', 'restored', 'shortened', 'renewed'];
      assert.equal((await store.get(t, keys)).filter(Boolean).length, 6, 'nothing expired yet');
      await new Promise((r) => setTimeout(r, 700));
      await store.sweepExpired(Date.now() * 1000);
      assert.deepEqual(
        (await store.get(t, keys)).map((e) => e?.key),
        [undefined, undefined, 'forever', undefined, undefined, 'renewed'],
      );
      assert.deepEqual(
        (await store.get(other, ['kept'])).map((e) => e?.key),
        ['kept'],
      );
      // A shorter TTL: entries past it go.
      await store.reexpire(other, 500_000);
      await new Promise((r) => setTimeout(r, 50));
      await store.sweepExpired(Date.now() * 1000);
      assert.deepEqual(await store.get(other, ['kept']), [undefined]);
    });

    it('settles concurrent writers of one key on the newest event time', async () => {
      const t = table();
      const times = Array.from({ length: 60 }, (_, i) => 1000 + ((i * 37) % 60));
      await Promise.all(times.map((et) => store.put(t, [entry('hot', et)])));
      assert.deepEqual(await store.get(t, ['hot']), [entry('hot', 1059)]);
    });

    it('takes the newest of one key repeated in a batch, the later one on ties', async () => {
      const t = table();
      assert.deepEqual(await store.put(t, [entry('d', 5, 'first'), entry('d', 9, 'newest'), entry('d', 7, 'middle')]), [false, true, false]);
      assert.deepEqual((await store.get(t, ['d']))[0]?.value, 'newest');
      await store.put(t, [entry('e', 5, 'one'), entry('e', 5, 'two')]);
      assert.deepEqual((await store.get(t, ['e']))[0]?.value, 'two');
    });

    it('keeps tables apart and drops one without touching another', async () => {
      const v1 = table(1);
      const v2 = { ...v1, major: 2 };
      await store.put(v1, [entry('k', 1, 'one')]);
      await store.put(v2, [entry('k', 1, 'two')]);
      assert.deepEqual([(await store.get(v1, ['k']))[0]?.value, (await store.get(v2, ['k']))[0]?.value], ['one', 'two']);
      await store.drop(v1);
      assert.deepEqual([(await store.get(v1, ['k']))[0], (await store.get(v2, ['k']))[0]?.value], [undefined, 'two']);
    });

    it('writes a bulk batch (putBatch) newest-wins like put: any key text and bytes, expiries, several script calls, a slice', async () => {
      const t = table();
      const now = Date.now() * 1000;
      await store.put(t, [entry('["kept newer"]', 50, 'stored'), entry('["replaced"]', 5, 'stored')]);
      const keys = [
        '["kept newer"]',
        '["replaced"]',
        '["expires"]',
        '["a\\"b|c"]',
        '["empty"]',
        ...Array.from({ length: 445 }, (_, i) => JSON.stringify([`ключ-${i}`, i])),
      ];
      const values = keys.map((_, i) => (i === 4 ? Buffer.alloc(0) : Buffer.from(Array.from({ length: 1 + (i % 300) }, (_, j) => (i + j) % 256))));
      const batch = batchOf(
        keys.map((key, i) => ({ key, eventTimeMicros: i < 2 ? 10 : now - i, value: values[i], ...(i === 2 ? { expireAtMicros: now + 400_000 } : {}) })),
      );
      assert.equal(await raw.putBatch(t, batch), keys.length - 1, 'all but the key stored newer are written');
      const got = await raw.get(t, keys);
      assert.deepEqual(
        got.map((e) => e && [e.eventTimeMicros, Buffer.from(e.value)]),
        keys.map((_, i) => (i === 0 ? [50, Buffer.from('stored')] : [i < 2 ? 10 : now - i, values[i]])),
      );
      // A slice of the batch shares its bytes: only its entries go, each with its own value.
      const other = table();
      assert.equal(await raw.putBatch(other, sliceBatch(batch, 100, 300)), 200);
      const sliced = await raw.get(other, keys);
      assert.deepEqual(
        sliced.map((e) => e && Buffer.from(e.value)),
        keys.map((_, i) => (i >= 100 && i < 300 ? values[i] : undefined)),
      );
      assert.equal(await raw.putBatch(other, batchOf([])), 0);
      await new Promise((r) => setTimeout(r, 700));
      await raw.sweepExpired(Date.now() * 1000);
      assert.deepEqual(
        (await raw.get(t, keys.slice(1, 4))).map((e) => e?.key),
        ['["replaced"]', undefined, '["a\\"b|c"]'],
        'the entry given an expiry is gone, the others stay',
      );
    });

    it(
      options.joins
        ? 'keeps joined entries that read as the tables do, through writes, bulk writes, restores, TTL changes, expiry and a drop'
        : 'keeps no joined entries: getJoined answers undefined',
      async () => {
        const tables = [table(), table(), table()];
        const now = Date.now() * 1000;
        const soon = now + 600_000;
        const wire = (tag: string) => `\x01${tag}`; // the current stored form: its values are one run of wire bytes
        const keys = ['a', 'b|c', 'ключ', 'only-third', 'none', '{"k":[1,"x"]}'];
        await raw.put(tables[0], [bytes(entry('a', 10, wire('a0'))), bytes(entry('b|c', 11, 'legacy [1]')), bytes(entry('ключ', 12, ''))]);
        await raw.put(tables[1], [bytes(entry('a', 20, wire('a1'))), bytes(entry('{"k":[1,"x"]}', 21, wire('\x00\xff|')))]);
        await raw.join(tables);
        await raw.join(tables); // idempotent
        /** Each key's joined entry holds what reading each table finds, or none when no table has the key. */
        const agrees = async (why: string) => {
          const joined = await raw.getJoined(tables, keys);
          if (!options.joins) return assert.equal(joined, undefined, why);
          assert.ok(joined, `${why}: the tables are joined`);
          const each = await raw.getMany(tables.map((t) => ({ table: t, keys })));
          keys.forEach((key, i) => {
            const fromTables = each.map((found) => text(found[i]));
            const j = joined[i];
            if (j === null) return assert.deepEqual(fromTables, [undefined, undefined, undefined], `${why}: ${key} has no joined entry`);
            const plain = joinedEntries(key, j, 3, Date.now()).map((e) => (e ? { key: e.key, eventTimeMicros: e.eventTimeMicros, value: e.value } : undefined));
            assert.deepEqual(plain.map(text), fromTables, `${why}: ${key}`);
          });
        };
        await agrees('after the join (a backfill)');
        await raw.put(tables[2], [bytes(entry('only-third', 30, wire('t'))), { ...bytes(entry('a', 31, wire('a2'))), expireAtMicros: soon }]);
        await agrees('after a write to the third table');
        assert.deepEqual(await raw.put(tables[0], [bytes(entry('a', 5, wire('old')))]), [false]);
        await agrees('after a refused older write');
        await raw.putBatch(tables[1], batchOf([bytes(entry('b|c', 40, wire('bc1'))), bytes(entry('ключ', 41, wire('k1')))]));
        await agrees('after a bulk write');
        await raw.restore(tables[0], [
          { key: 'ключ', expected: { eventTimeMicros: 12, value: Buffer.alloc(0) } },
          { key: 'b|c', expected: { eventTimeMicros: 11, value: Buffer.from('legacy [1]', 'latin1') }, replacement: bytes(entry('b|c', 9, wire('bc0'))) },
        ]);
        await agrees('after a restore');
        await raw.reexpire(tables[1], undefined);
        await agrees('after a TTL change');
        if (options.joins) {
          // The third table's entry of 'a' expires soon: the joined entry then reads without it, as the table does.
          await new Promise((r) => setTimeout(r, 800));
          await agrees('after an expiry');
          const joined = (await raw.getJoined(tables, ['a']))![0]!;
          assert.deepEqual(
            joinedEntries('a', joined, 3, Date.now()).map((e) => e?.eventTimeMicros),
            [10, 20, undefined],
          );
        }
        await raw.drop(tables[1]);
        assert.equal(await raw.getJoined(tables, keys), undefined, 'a dropped table ends its joins');
        assert.equal(await raw.getJoined([tables[0]], keys), undefined, 'one table is no join');
        await raw.drop(tables[0]);
        await raw.drop(tables[2]);
      },
    );

    it('writes and reads a batch of 2,000 entities', async () => {
      const t = table();
      const keys = Array.from({ length: 2000 }, (_, i) => JSON.stringify([`user-${i}`, i]));
      assert.ok(
        (
          await store.put(
            t,
            keys.map((k, i) => entry(k, i)),
          )
        ).every(Boolean),
      );
      const got = await store.get(t, [...keys].reverse());
      assert.deepEqual(
        got.map((e) => e?.eventTimeMicros),
        keys.map((_, i) => 1999 - i),
      );
      // Again with every third entry older than what is stored: each answer lands on its own entry.
      const again = await store.put(
        t,
        keys.map((k, i) => entry(k, i % 3 === 0 ? i - 1 : i + 1, `again ${i}`)),
      );
      assert.deepEqual(
        again,
        keys.map((_, i) => i % 3 !== 0),
      );
      const after = await store.get(t, keys);
      assert.deepEqual(
        after.map((e) => e?.value),
        keys.map((_, i) => (i % 3 === 0 ? `v@${i}` : `again ${i}`)),
      );
    });

    if (unreachable) {
      it('answers Unavailable when the server cannot be reached', async () => {
        const down = unreachable();
        try {
          await assert.rejects(down.get(table(), ['k']), Unavailable);
          // Reads made together fail together, each with the error.
          await Promise.all([
            assert.rejects(down.get(table(), ['k']), Unavailable),
            assert.rejects(down.getMany([{ table: table(), keys: ['a', 'b'] }]), Unavailable),
          ]);
        } finally {
          await down.close();
        }
      });
    }
  });
}
