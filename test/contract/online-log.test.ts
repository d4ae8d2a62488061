// The online rows log (the embedded default's and PostgreSQL's), against PGlite and a PostgreSQL
// server: ranges by position, trim, and the property the exactly-once drain rests on: a reader that
// repeatedly takes everything up to the current head sees every appended record exactly once, even
// while many writers append concurrently (positions are drawn before commit, out of commit order).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import { SqlOnlineLog } from '../../shared/adapters/online/sql-online-log.js';
import type { SqlClient } from '../../shared/adapters/sql/sql-client.js';
import type { StoredValue } from '../../shared/core/values.js';
import type { OnlineTable } from '../../shared/core/ports/online-store.js';
import { freshDatabase } from '../support/postgres.js';

const subjects = [
  { name: 'PGlite (embedded)', open: async () => ({ sql: (await openMetadataStore({ type: 'pglite', dataDir: undefined })).sql, drop: async () => {} }) },
  {
    name: 'PostgreSQL server',
    open: async () => {
      const db = await freshDatabase();
      return { sql: (await openMetadataStore({ type: 'postgres', url: db.url })).sql, drop: () => db.drop() };
    },
  },
];

async function collect(log: SqlOnlineLog, table: OnlineTable, after: number, through: number): Promise<StoredValue[][]> {
  const rows: StoredValue[][] = [];
  for await (const batch of log.read(table, after, through)) rows.push(...batch);
  return rows;
}

for (const subject of subjects) {
  describe(`online rows log: ${subject.name}`, () => {
    let sql: SqlClient;
    let drop: () => Promise<void>;
    let log: SqlOnlineLog;
    const a: OnlineTable = { project: 'p', featureSet: 'a', major: 1 };
    const b: OnlineTable = { project: 'p', featureSet: 'b', major: 1 };
    before(async () => {
      ({ sql, drop } = await subject.open());
      log = new SqlOnlineLog(sql);
    });
    after(async () => {
      await sql.close();
      await drop();
    });

    it('reads ranges by position per table, and trims what was drained', async () => {
      assert.deepEqual(await log.heads(), []);
      await log.append(a, [
        ['k1', 1, null],
        ['k2', 2, ['x']],
      ]);
      await log.append(b, [['other', 1, 'v']]);
      await log.append(a, [['k3', 3, 'é"\\']]);
      await log.append(a, []);
      const heads = await log.heads();
      assert.deepEqual(
        heads.map((h) => [h.table.featureSet, h.records]),
        [
          ['a', 2],
          ['b', 1],
        ],
      );
      const headA = heads[0].through;
      assert.deepEqual(await collect(log, a, 0, headA), [
        ['k1', 1, null],
        ['k2', 2, ['x']],
        ['k3', 3, 'é"\\'],
      ]);
      const all = await collect(log, a, 0, headA);
      const firstRecordEnd = headA - 2; // seq of the first record of a (b's record sits between)
      assert.deepEqual(await collect(log, a, firstRecordEnd, headA), [['k3', 3, 'é"\\']]);
      assert.equal(all.length, 3);
      await log.trim(a, firstRecordEnd);
      assert.deepEqual(await collect(log, a, 0, headA), [['k3', 3, 'é"\\']]);
      assert.deepEqual(
        (await log.heads()).map((h) => [h.table.featureSet, h.records]),
        [
          ['a', 1],
          ['b', 1],
        ],
      );
      await log.trim(a, headA);
      await log.trim(b, Number.MAX_SAFE_INTEGER);
      assert.deepEqual(await log.heads(), []);
    });

    it('never lets a record appear below a head already read, under concurrent writers', async () => {
      const t: OnlineTable = { project: 'p', featureSet: 'busy', major: 1 };
      const writers = 8;
      const perWriter = 40;
      let done = false;
      const writing = Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) await log.append(t, [[`w${w}`, i]]);
        }),
      ).finally(() => (done = true));
      const seen: StoredValue[][] = [];
      let position = 0;
      const drainOnce = async () => {
        const head = (await log.heads()).find((h) => h.table.featureSet === 'busy');
        if (!head || head.through <= position) return;
        seen.push(...(await collect(log, t, position, head.through)));
        await log.trim(t, head.through);
        position = head.through;
      };
      while (!done) await drainOnce();
      await writing;
      await drainOnce();
      assert.equal(seen.length, writers * perWriter, 'every record read once');
      for (let w = 0; w < writers; w++) {
        assert.deepEqual(
          seen.filter((r) => r[0] === `w${w}`).map((r) => r[1]),
          Array.from({ length: perWriter }, (_, i) => i),
          `writer ${w}'s records, in its order`,
        );
      }
    });
  });
}
