// The DuckDB offline engine's ingest, on real files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../../shared/adapters/engine/duckdb/duckdb-engine.js';
import { BATCH_VALUES } from '../../shared/adapters/engine/duckdb/online-form.js';
import { Cancelled, InvalidArgument, ResourceExhausted } from '../../shared/core/errors.js';
import type { Schema } from '../../shared/core/model.js';
import type { IngestPlan, SourceFilesRead } from '../../shared/core/plans.js';
import { modelFeature } from '../support/helpers.js';

const f = modelFeature;
const schema: Schema = {
  features: [f('user_id', 'INT64'), f('ts', 'TIMESTAMP'), f('amount', 'FLOAT64'), f('country', 'STRING'), f('flags', 'INT32', true), f('day', 'DATE')],
  primaryKey: ['user_id'],
  eventTimeColumn: 'ts',
};

const root = mkdtempSync(join(tmpdir(), 'fs-engine-'));
let n = 0;
function file(name: string, text: string): string {
  const path = join(root, `${n++}-${name}`);
  writeFileSync(path, text);
  return path;
}
function spec(files: string[], extra: Partial<Omit<IngestPlan, 'kind' | 'source'>> & Partial<Omit<SourceFilesRead, 'files'>> = {}): IngestPlan {
  const outputDir = join(root, `out-${n++}`);
  mkdirSync(outputDir);
  const { format = 'CSV', csv = {}, ...rest } = extra;
  return {
    kind: 'ingest',
    ingestId: `ing-${n}`,
    ingestTime: new Date('2026-11-28T00:00:00Z'),
    schema,
    source: { files, format, csv },
    extraColumns: 'IGNORE',
    distinct: false,
    existing: [],
    outputDir,
    ...rest,
  };
}

async function read(files: string[], sql = 'SELECT * FROM t ORDER BY ALL'): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  await c.run(`CREATE VIEW t AS SELECT * FROM read_parquet([${files.map((x) => `'${x}'`).join(',')}])`);
  const rows = (await c.runAndReadAll(sql)).getRowObjectsJson();
  c.closeSync();
  db.closeSync();
  return rows;
}

const CSV = `user_id,ts,amount,country,flags,day
1,2026-11-01T10:00:00Z,12.5,DE,"[1,2]",2026-11-01
2,2026-11-01 11:30:00,7,US,[],2026-11-01
1,2026-11-02T09:00:00+02:00,,DE,,2026-11-02
`;

describe('DuckDB engine: ingest', () => {
  const engine = new DuckDbEngine();
  after(() => engine.close());
  const noProgress = () => {};

  it('casts every column to its feature type and writes Parquet of exactly the schema', async () => {
    const progress: number[] = [];
    const s = spec([file('a.csv', CSV)]);
    const out = await engine.ingest(s, (p) => progress.push(p));
    assert.deepEqual([out.inputRows, out.rows, out.duplicateRows, out.files.length], [3, 3, 0, 1]);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
    );
    assert.equal(progress.at(-1), 1);
    const rows = await read(out.files, 'SELECT user_id, CAST(ts AS VARCHAR) ts, amount, country, flags, CAST("day" AS VARCHAR) AS "day" FROM t ORDER BY ts');
    assert.deepEqual(rows, [
      { user_id: '1', ts: '2026-11-01 10:00:00+00', amount: 12.5, country: 'DE', flags: [1, 2], day: '2026-11-01' },
      { user_id: '2', ts: '2026-11-01 11:30:00+00', amount: 7, country: 'US', flags: [], day: '2026-11-01' },
      { user_id: '1', ts: '2026-11-02 07:00:00+00', amount: null, country: 'DE', flags: null, day: '2026-11-02' },
    ]);
    const types = await read(out.files, `SELECT column_name, column_type FROM (DESCRIBE t)`);
    assert.deepEqual(
      types.map((r) => r['column_type']),
      ['BIGINT', 'TIMESTAMP WITH TIME ZONE', 'DOUBLE', 'VARCHAR', 'INTEGER[]', 'DATE'],
    );
  });

  it('fails with row and column detail and writes nothing when rows do not fit', async () => {
    const s = spec([
      file(
        'bad.csv',
        `user_id,ts,amount,country,flags,day\n1,2026-11-01T10:00:00Z,abc,DE,,2026-11-01\n,2026-11-01T10:00:00Z,1,DE,,2026-11-01\n3,yesterday,1,DE,"[x]",2026-13-01\n4,2026-11-01T10:00:00Z,2,FR,,2026-11-01\n`,
      ),
    ]);
    await assert.rejects(engine.ingest(s, noProgress), (e: unknown) => {
      assert.ok(e instanceof InvalidArgument);
      assert.equal(e.field, 'source');
      assert.match(e.message, /^3 row\(s\) do not fit the schema; nothing was ingested/);
      assert.deepEqual(
        e.details.map((d) => [d.row, d.column]),
        [
          [1, 'amount'],
          [2, 'user_id'],
          [3, 'day'],
          [3, 'flags'],
          [3, 'ts'],
        ],
      );
      assert.match(e.details[0].message, /cannot be read as DOUBLE: abc/);
      assert.match(e.details[1].message, /is null but is part of the primary key/);
      return true;
    });
    assert.deepEqual(readdirSync(s.outputDir), []);
  });

  it('reads the dialect it sniffed once: quoted delimiters, doubled quotes, semicolons', async () => {
    const s = spec([file('q.csv', `user_id;ts;amount;country;flags;day\n1;2026-11-01T10:00:00Z;1.5;"D;""E""";"[1,2]";2026-11-01\n`)], {
      csv: { delimiter: ';' },
    });
    const out = await engine.ingest(s, () => {});
    assert.equal(out.rows, 1);
    assert.deepEqual(await read(out.files, 'SELECT country, flags FROM t'), [{ country: 'D;"E"', flags: [1, 2] }]);
  });

  it('keeps the cause of a reader error, without local paths', async () => {
    const s = spec([file('long.csv', `user_id,ts,amount,country,flags,day\n1,2026-11-01T10:00:00Z,${'9'.repeat(2_100_000)},DE,,2026-11-01\n`)]);
    await assert.rejects(engine.ingest(s, noProgress), (e: unknown) => {
      assert.ok(e instanceof InvalidArgument);
      assert.match(e.message, /^cannot read the source as CSV: .*Maximum line size of \d+ bytes exceeded/);
      assert.doesNotMatch(e.message, /\/tmp\/|fs-engine|Binder Error/);
      return true;
    });
  });

  it('stores missing optional columns as null, drops extra ones, and fails on missing keys or when asked to', async () => {
    const partial = file('partial.csv', 'user_id,ts,extra\n5,2026-11-01T00:00:00Z,zzz\n');
    const out = await engine.ingest(spec([partial]), noProgress);
    assert.deepEqual(out.missingColumns, ['amount', 'country', 'flags', 'day']);
    assert.deepEqual(out.droppedColumns, ['extra']);
    assert.deepEqual(await read(out.files, 'SELECT user_id, amount, country FROM t'), [{ user_id: '5', amount: null, country: null }]);
    await assert.rejects(
      engine.ingest(spec([partial], { extraColumns: 'FAIL' }), noProgress),
      (e: unknown) => e instanceof InvalidArgument && e.details[0]?.column === 'extra',
    );
    const noKey = file('nokey.csv', 'ts,amount\n2026-11-01T00:00:00Z,1\n');
    await assert.rejects(
      engine.ingest(spec([noKey]), noProgress),
      (e: unknown) => e instanceof InvalidArgument && /lacks required column\(s\) user_id/.test(e.message),
    );
  });

  it('skips rows already stored (null-safe), keeping rows repeated within one source', async () => {
    const first = await engine.ingest(spec([file('a.csv', CSV)]), noProgress);
    const again = `${CSV}3,2026-11-03T00:00:00Z,1,FR,,2026-11-03\n3,2026-11-03T00:00:00Z,1,FR,,2026-11-03\n`;
    const second = await engine.ingest(spec([file('b.csv', again)], { existing: first.files }), noProgress);
    assert.deepEqual([second.inputRows, second.rows, second.duplicateRows], [5, 2, 3]);
    const all = await read([...first.files, ...second.files], 'SELECT user_id, count(*)::INT n FROM t GROUP BY ALL ORDER BY ALL');
    assert.deepEqual(all, [
      { user_id: '1', n: 2 },
      { user_id: '2', n: 1 },
      { user_id: '3', n: 2 },
    ]);
    // A row differing from a stored one in a single (null) value is new.
    const changed = await engine.ingest(spec([file('d.csv', 'user_id,ts,amount\n1,2026-11-02T07:00:00Z,3\n')], { existing: first.files }), noProgress);
    assert.deepEqual([changed.rows, changed.duplicateRows], [1, 0]);
    const none = await engine.ingest(spec([file('c.csv', CSV)], { existing: [...first.files, ...second.files] }), noProgress);
    assert.deepEqual([none.rows, none.duplicateRows, none.files.length], [0, 3, 0]);
  });

  it('reads Parquet and JSON lines, and several files at once', async () => {
    const csvOut = await engine.ingest(spec([file('a.csv', CSV)]), noProgress);
    const fromParquet = await engine.ingest(spec(csvOut.files, { format: 'PARQUET' }), noProgress);
    assert.equal(fromParquet.rows, 3);
    const jsonl = [
      file('1.jsonl', '{"user_id":9,"ts":"2026-11-05T00:00:00Z","flags":[4]}\n'),
      file('2.jsonl', '{"user_id":10,"ts":"2026-11-06T00:00:00Z","amount":1.25}\n'),
    ];
    const fromJson = await engine.ingest(spec(jsonl, { format: 'JSONL' }), noProgress);
    assert.equal(fromJson.rows, 2);
    assert.deepEqual(await read(fromJson.files, 'SELECT user_id, amount, flags FROM t ORDER BY user_id'), [
      { user_id: '9', amount: null, flags: [4] },
      { user_id: '10', amount: 1.25, flags: null },
    ]);
  });

  it('computes statistics over every visible row', async () => {
    const out = await engine.ingest(spec([file('a.csv', CSV)]), noProgress);
    const amount = out.statistics['amount'];
    assert.deepEqual([amount.count, amount.nullCount, amount.min, amount.max, amount.mean], [2, 1, '7.0', '12.5', 9.75]);
    assert.ok(Math.abs(amount.stddev - 3.889) < 0.001);
    assert.equal(out.statistics['user_id'].approxDistinct, 2);
    assert.equal(out.statistics['country'].min, 'DE');
    assert.equal(out.statistics['flags'].min, '');
  });

  it('stops with Cancelled when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(engine.ingest(spec([file('a.csv', CSV)]), noProgress, controller.signal), Cancelled);
  });
});

describe('DuckDB engine: wide sources within a memory limit', () => {
  const engine = new DuckDbEngine({ memoryLimit: '192MiB', spillDir: join(root, 'spill') });
  after(() => engine.close());
  const COLUMNS = 1000;
  const wide: Schema = {
    features: [f('id', 'INT64'), f('ts', 'TIMESTAMP'), ...Array.from({ length: COLUMNS }, (_, i) => f(`f${i}`, 'FLOAT64'))],
    primaryKey: ['id'],
    eventTimeColumn: 'ts',
  };
  const source = (rows: number, badLast: boolean) => {
    const lines = [['id', 'ts', ...wide.features.slice(2).map((x) => x.name)].join(',')];
    for (let r = 0; r < rows; r++)
      lines.push(
        `${r},2026-11-01T00:00:00Z,${Array.from({ length: COLUMNS }, (_, i) => (badLast && r === rows - 1 && i === COLUMNS - 1 ? 'oops' : ((r + i) % 100) / 4)).join(',')}`,
      );
    return file('wide.csv', `${lines.join('\n')}\n`);
  };

  it('names the bad row and column of a 1,000-column source without holding it all', async () => {
    const s = spec([source(1500, true)], { schema: wide });
    await assert.rejects(
      engine.ingest(s, () => {}),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgument, String(e));
        assert.match(e.message, /^1 row\(s\) do not fit the schema/);
        assert.deepEqual(
          e.details.map((d) => [d.row, d.column, d.message]),
          [[1500, `f${COLUMNS - 1}`, 'cannot be read as DOUBLE: oops']],
        );
        return true;
      },
    );
    assert.deepEqual(readdirSync(s.outputDir), []);
  });

  it('leaves out rows already stored in the same pass that writes, for 1,000 columns, keeping new ones', async () => {
    const roomy = new DuckDbEngine({ memoryLimit: '512MiB', spillDir: join(root, 'spill-roomy') });
    const first = await roomy.ingest(spec([source(1000, false)], { schema: wide }), () => {});
    const phases: string[] = [];
    const again = await roomy
      .ingest(spec([source(1200, false)], { schema: wide, existing: first.files }), (_p, m) => phases.push(m))
      .finally(() => roomy.close());
    assert.deepEqual([again.inputRows, again.duplicateRows, again.rows], [1200, 1000, 200]);
    assert.deepEqual(
      (await read(again.files, 'SELECT min(id) AS lo, max(id) AS hi FROM t')).map((r) => [r['lo'], r['hi']]),
      [['1000', '1199']],
    );
    assert.ok(phases.includes('converting rows to the schema, leaving out rows already stored'), phases.join(' / '));
  });

  it('hands the newest rows of 1,000 features on a few rows at a time (BATCH_VALUES), every key once', async () => {
    const roomy = new DuckDbEngine({ memoryLimit: '512MiB', spillDir: join(root, 'spill-newest') });
    const sizes: number[] = [];
    const ids = new Set<unknown>();
    const found = await (async () => {
      const stored = await roomy.ingest(spec([source(2500, false)], { schema: wide }), () => {});
      return roomy.newestPerKey({ kind: 'newest-per-key', schema: wide, files: stored.files }, async (batch) => {
        sizes.push(batch.length);
        for (const row of batch) ids.add(row['id']);
        assert.equal(Object.keys(batch[0]).length, COLUMNS + 2);
      });
    })().finally(() => roomy.close());
    const most = Math.floor(BATCH_VALUES / (COLUMNS + 2));
    assert.deepEqual([found, ids.size], [2500, 2500]);
    assert.ok(
      sizes.every((n) => n >= 1 && n <= most),
      `batches of ${sizes.join(', ')} rows, at most ${most} each`,
    );
  });

  it('answers RESOURCE_EXHAUSTED, saying what to change, when the work does not fit the limit', async () => {
    const tiny = new DuckDbEngine({ memoryLimit: '48MiB', spillDir: join(root, 'spill-tiny') });
    try {
      const s = spec([source(1500, false)], { schema: wide });
      await assert.rejects(
        tiny.ingest(s, () => {}),
        (e: unknown) => {
          assert.ok(e instanceof ResourceExhausted, String(e));
          assert.match(e.message, /within its limit \(48MiB\).*FEATURESTORE_DUCKDB_MEMORY_LIMIT/);
          return true;
        },
      );
      assert.deepEqual(readdirSync(s.outputDir), []);
    } finally {
      await tiny.close();
    }
  });
});
