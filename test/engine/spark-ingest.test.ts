// Ingest on Spark against ingest on DuckDB, the same plans over the same files: the table of
// conversion cases (JSON lines and CSV cells), more text forms and Parquet columns of many types
// (DuckDB is the oracle: each case must be refused on both engines with the same rows and columns,
// or stored as the same value), bad rows numbered across several files, dedupe against stored rows
// (rows whose nulls sit in different columns are not duplicates), rows repeated within an online-log
// source, extra and missing columns, event times too far ahead, and the statistics afterwards.
// Spark runs every plan in one session (spark-submit, local[2]).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../../shared/adapters/engine/duckdb/duckdb-engine.js';
import { sparkPlan } from '../../shared/adapters/engine/spark/spark-engine.js';
import { submitPlansSettled, type SparkResult } from '../../shared/adapters/engine/spark/spark-submit.js';
import { FeatureStoreError } from '../../shared/core/errors.js';
import type { DataType, Feature, Schema } from '../../shared/core/model.js';
import type { IngestPlan } from '../../shared/core/plans.js';
import type { IngestOutput } from '../../shared/core/ports/offline-engine.js';
import { CASES, csvCell } from '../support/conversion-cases.js';
import { modelFeature } from '../support/helpers.js';
import { dir, readParquet } from '../support/pit-histories.js';
import { canonical, SPARK_SUBMIT, statisticsRows } from '../support/spark.js';

const CORE_TYPES: Record<string, DataType> = {
  i32: 'INT32',
  i64: 'INT64',
  f32: 'FLOAT32',
  f64: 'FLOAT64',
  t: 'TIMESTAMP',
  d: 'DATE',
  s: 'STRING',
  b: 'BOOL',
  y: 'BYTES',
};
const WIDE: Schema = {
  features: [
    modelFeature('id', 'INT64'),
    modelFeature('ts', 'TIMESTAMP'),
    ...Object.entries(CORE_TYPES).map(([name, type]) => modelFeature(name, type)),
    { ...modelFeature('li64', 'INT64'), isList: true },
    { ...modelFeature('ls', 'STRING'), isList: true },
  ],
  primaryKey: ['id'],
  eventTimeColumn: 'ts',
};
const EVENT = '2026-11-01T00:00:00Z';
const NOW = new Date('2026-12-01T00:00:00Z');

/** More text forms than the table, for each type: whatever DuckDB does with them, Spark must do too. */
const MORE_TEXT: [string, string][] = [
  ['b', ' true'],
  ['b', 'yes'],
  ['b', 'on'],
  ['b', 'F'],
  ['y', 'aGk'],
  ['y', ''],
  ['y', 'aGk=aGk='],
  ['t', '2024-01-01T10:00Z'],
  ['t', '2024-1-1'],
  ['t', '20240101'],
  ['t', '2024-01-01 10:00:00+0200'],
  ['t', '2024-01-01 10:00:00+02'],
  ['d', '2024-02-30'],
  ['d', '2024-01-01'],
  ['f64', '1.5d'],
  ['f64', '0x10'],
  ['f64', '.5'],
  ['f64', '5.'],
  ['f64', ' 2.5 '],
  ['f32', '-0'],
  ['i64', '3.'],
  ['i64', '+5'],
  ['i64', '007'],
  ['i64', '1 2'],
  ['i32', '-2147483649'],
  ['li64', '[]'],
  ['li64', '[ 1 , null ]'],
  ['li64', '1, 2'],
  ['ls', '[a, b]'],
  ['ls', '[NULL]'],
];

/** Parquet sources of DuckDB types (one row each): the column's SQL value as DuckDB writes it. */
const PARQUET_CASES: [string, string][] = [
  ['i64', '3.0::DOUBLE'],
  ['i64', '3.5::DOUBLE'],
  ['i64', '3.00::DECIMAL(10,2)'],
  ['i64', '3.25::DECIMAL(10,2)'],
  ['i64', '4000000000::UINTEGER'],
  ['i32', '4000000000::UINTEGER'],
  ['i32', '7::TINYINT'],
  ['f32', '16777217::BIGINT'],
  ['f32', '16777216::BIGINT'],
  ['f32', '1e39::DOUBLE'],
  ['f64', '9007199254740993::BIGINT'],
  ['f64', "'nan'::DOUBLE"],
  ['t', "'2024-01-01'::DATE"],
  ['t', "'2024-01-01 10:00:00.123456'::TIMESTAMP"],
  ['t', "'2024-01-01 10:00:00+02'::TIMESTAMPTZ"],
  ['d', "'2024-01-01 00:00:00'::TIMESTAMP"],
  ['d', "'2024-01-01 00:00:01'::TIMESTAMP"],
  ['s', '3::INTEGER'],
  ['s', "'text'::VARCHAR"],
  ['b', 'true'],
  ['b', '1::INTEGER'],
  ['y', "'\\xAA\\x00'::BLOB"],
  ['y', "'aGk='::VARCHAR"],
  ['li64', '[1, 2]::INTEGER[]'],
  ['li64', '[1.0, 2.5]::DOUBLE[]'],
  ['li64', '1::BIGINT'],
  ['i64', '[1]::BIGINT[]'],
];

async function writeParquet(sql: string): Promise<string> {
  const file = join(dir(), 'source.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  await c.run(`COPY (${sql}) TO '${file}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
  return file;
}

function plan(source: IngestPlan['source'], more: Partial<IngestPlan> = {}): IngestPlan {
  return {
    kind: 'ingest',
    ingestId: 'test',
    ingestTime: NOW,
    schema: WIDE,
    source,
    extraColumns: 'FAIL',
    distinct: false,
    latestEventTime: new Date(NOW.getTime() + 86_400_000),
    latestEventTimeText: '1 day',
    existing: [],
    outputDir: dir(),
    ...more,
  };
}

const file = (name: string, text: string) => {
  const path = join(dir(), name);
  writeFileSync(path, text);
  return path;
};
const quoteCsv = (text: string) => `"${text.replace(/"/g, '""')}"`;

/** What an ingest did, as compared between engines: the refusal (rows, columns, what was wrong) or the rows and counts. */
async function outcome(r: IngestOutput | SparkResult | FeatureStoreError, schema: Schema): Promise<unknown> {
  if (r instanceof FeatureStoreError) {
    return {
      refused: r.status,
      field: r.field,
      // A value is quoted after the colon in each engine's own text form ("3.0" or "3"): the words before it must agree.
      details: r.details.map((d) => `${d.row} ${d.column} ${d.message.split(':')[0]}`),
    };
  }
  const files = (r.files ?? []).map((f) => (f.startsWith('file:') ? new URL(f).pathname : f));
  const rows = (await Promise.all(files.map(readParquet))).flat();
  return {
    rows: canonical(rows).sort(),
    inputRows: r.inputRows,
    written: r.rows,
    duplicateRows: r.duplicateRows,
    droppedColumns: r.droppedColumns,
    missingColumns: r.missingColumns,
    statistics: statisticsRows(r.statistics ?? {}).filter((s) => schema.features.some((f) => f.name === s.feature)),
  };
}

/** The same plan for Spark: local paths as file:// URIs, its output in a folder of its own. */
const forSpark = (p: IngestPlan): IngestPlan => sparkPlan({ ...p, outputDir: dir() });

describe('ingest on Spark = ingest on DuckDB', { skip: !SPARK_SUBMIT && 'needs Spark (make test installs it: scripts/services/spark.sh)' }, () => {
  const engine = new DuckDbEngine();
  after(() => engine.close());

  it('refuses or stores every conversion case alike: JSON values, CSV cells, Parquet columns', { timeout: 600_000 }, async () => {
    // One source per format with one row and a column per case: the refusal names every column
    // that does not convert; then the columns DuckDB accepted, ingested alone, must hold the same values.
    const typed = (column: string, name: string): Feature =>
      column === 'li64' || column === 'ls'
        ? { ...modelFeature(name, column === 'ls' ? 'STRING' : 'INT64'), isList: true }
        : modelFeature(name, CORE_TYPES[column]);
    const tables: { format: 'JSONL' | 'CSV' | 'PARQUET'; what: string[]; types: string[]; file: string }[] = [];
    const text = [
      ...CASES.map((k) => ({ column: k.column, json: k.json, cell: csvCell(k) })),
      ...MORE_TEXT.map(([column, cell]) => ({ column, json: JSON.stringify(cell), cell })),
    ];
    tables.push({
      format: 'JSONL',
      what: text.map((k) => `JSON ${k.column} ${k.json}`),
      types: text.map((k) => k.column),
      file: file('cases.jsonl', `{"id": 1, "ts": "${EVENT}", ${text.map((k, i) => `"c${i}": ${k.json}`).join(', ')}}\n`),
    });
    tables.push({
      format: 'CSV',
      what: text.map((k) => `CSV ${k.column} ${JSON.stringify(k.cell)}`),
      types: text.map((k) => k.column),
      file: file('cases.csv', `id,ts,${text.map((_, i) => `c${i}`).join(',')}\n1,${EVENT},${text.map((k) => quoteCsv(k.cell)).join(',')}\n`),
    });
    tables.push({
      format: 'PARQUET',
      what: PARQUET_CASES.map(([column, value]) => `Parquet ${column} ${value}`),
      types: PARQUET_CASES.map(([column]) => column),
      file: await writeParquet(`SELECT 1::BIGINT AS id, '${EVENT}'::TIMESTAMPTZ AS ts, ${PARQUET_CASES.map(([, value], i) => `${value} AS c${i}`).join(', ')}`),
    });
    const schemaOf = (types: string[], keep: (i: number) => boolean): Schema => ({
      features: [modelFeature('id', 'INT64'), modelFeature('ts', 'TIMESTAMP'), ...types.flatMap((t, i) => (keep(i) ? [typed(t, `c${i}`)] : []))],
      primaryKey: ['id'],
      eventTimeColumn: 'ts',
    });
    const refusedColumns = (r: IngestOutput | SparkResult | FeatureStoreError) => new Set(r instanceof FeatureStoreError ? r.details.map((d) => d.column) : []);
    const plans: IngestPlan[] = [];
    const duck: { refused: Set<string>; stored: Record<string, unknown> }[] = [];
    for (const t of tables) {
      const all = plan({ files: [t.file], format: t.format, csv: {} }, { schema: schemaOf(t.types, () => true) });
      const refused = refusedColumns(await engine.ingest(all, () => {}).catch((err: unknown) => err as FeatureStoreError));
      const accepted = plan(
        { files: [t.file], format: t.format, csv: {} },
        { schema: schemaOf(t.types, (i) => !refused.has(`c${i}`)), extraColumns: 'IGNORE' },
      );
      const out = await engine.ingest(accepted, () => {});
      duck.push({ refused, stored: (await readParquet(out.files[0]))[0] });
      plans.push(forSpark(all), forSpark(accepted));
    }
    const spark = await submitPlansSettled({ sparkSubmit: SPARK_SUBMIT!, master: 'local[2]' }, plans, mkdtempSync(join(tmpdir(), 'fs-spark-cases-')));
    const wrong: string[] = [];
    for (const [n, t] of tables.entries()) {
      // Columns Spark refuses in either source count as refused (the second holds only what DuckDB accepted).
      const refused = new Set([...refusedColumns(spark[2 * n]), ...refusedColumns(spark[2 * n + 1])]);
      const accepted = spark[2 * n + 1];
      const stored = accepted instanceof FeatureStoreError ? {} : (await readParquet(new URL(accepted.files![0]).pathname))[0];
      for (const [i, what] of t.what.entries()) {
        const c = `c${i}`;
        const want = duck[n].refused.has(c) ? 'refused' : canonical([{ v: duck[n].stored[c] }])[0];
        const got = refused.has(c) ? 'refused' : duck[n].refused.has(c) ? 'accepted' : canonical([{ v: stored[c] }])[0];
        if (got !== want) wrong.push(`${what}: DuckDB ${want}, Spark ${got}`);
      }
      assert.ok(duck[n].refused.size > 3 && duck[n].refused.size < t.what.length - 3, `${t.format}: ${duck[n].refused.size} of ${t.what.length} refused`);
    }
    assert.deepEqual(wrong, []);
  });

  it('names bad rows across files, dedupes against stored rows, reads online-log sources, columns and statistics alike', { timeout: 600_000 }, async () => {
    const cases: { what: string; plan: IngestPlan; schema?: Schema }[] = [];
    // Bad rows across three files, numbered in the plan's file order; a semicolon-separated file without a header.
    const lines = (from: number, n: number, bad: Record<number, string>) =>
      Array.from({ length: n }, (_, j) => bad[from + j] ?? `${from + j},${EVENT},${from + j}`).join('\n');
    const parts = [
      file('p1.csv', `id,ts,i32\n${lines(1, 5, { 2: `2,${EVENT},2.5`, 4: `,${EVENT},4` })}\n`),
      file('p2.csv', `id,ts,i32\n${lines(6, 3, { 7: `7,not a time,7` })}\n`),
      file('p3.csv', `id,ts,i32\n${lines(9, 4, { 9: `9,${EVENT},x`, 12: `12,2099-01-01T00:00:00Z,12` })}\n`),
    ];
    cases.push({ what: 'bad rows across files', plan: plan({ files: parts, format: 'CSV', csv: {} }) });
    cases.push({ what: 'the same files in another order', plan: plan({ files: [parts[2], parts[0], parts[1]], format: 'CSV', csv: {} }) });
    const noHeader = file('nh.csv', `1;${EVENT};3\n2;${EVENT};4\n`);
    cases.push({
      what: 'no header, semicolons',
      plan: plan({ files: [noHeader], format: 'CSV', csv: { header: false, delimiter: ';' } }, { extraColumns: 'IGNORE' }),
    });

    // Dedupe against stored rows: equal rows skipped, rows whose nulls sit in other columns kept,
    // rows repeated within the source kept (only an online-log source drops them).
    const TWO: Schema = {
      features: [modelFeature('id', 'STRING'), modelFeature('ts', 'TIMESTAMP'), modelFeature('x', 'FLOAT64'), modelFeature('y', 'FLOAT64')],
      primaryKey: ['id'],
      eventTimeColumn: 'ts',
    };
    const storedSource = file('stored.csv', `id,ts,x,y\na,${EVENT},,5\nb,${EVENT},1,2\nc,2026-10-01T00:00:00Z,3,\n`);
    const stored = await engine.ingest(plan({ files: [storedSource], format: 'CSV', csv: {} }, { schema: TWO }), () => {});
    const newSource = file('new.csv', `id,ts,x,y\na,${EVENT},5,\nb,${EVENT},1,2\nb,${EVENT},1,2\nc,2026-10-01T00:00:00Z,3,\nd,${EVENT},1,1\n`);
    cases.push({
      what: 'dedupe against stored rows',
      schema: TWO,
      plan: plan({ files: [newSource], format: 'CSV', csv: {} }, { schema: TWO, existing: stored.files }),
    });
    const log = file('log.jsonl', `{"id":"e","ts":"${EVENT}","x":1,"y":2}\n{"id":"e","ts":"${EVENT}","x":1,"y":2}\n{"id":"b","ts":"${EVENT}","x":1,"y":2}\n`);
    cases.push({
      what: 'an online-log source',
      schema: TWO,
      plan: plan({ files: [log], format: 'JSONL', csv: {} }, { schema: TWO, existing: stored.files, distinct: true }),
    });

    // Columns: extra ones ignored or refused, missing features stored as null, a missing key refused.
    const extra = file('extra.csv', `id,ts,x,extra1,extra2\nq,${EVENT},1,a,b\n`);
    cases.push({ what: 'extra columns ignored', schema: TWO, plan: plan({ files: [extra], format: 'CSV', csv: {} }, { schema: TWO, extraColumns: 'IGNORE' }) });
    cases.push({ what: 'extra columns refused', schema: TWO, plan: plan({ files: [extra], format: 'CSV', csv: {} }, { schema: TWO }) });
    const noKey = file('nokey.csv', `ts,x\n${EVENT},1\n`);
    cases.push({ what: 'a missing key', schema: TWO, plan: plan({ files: [noKey], format: 'CSV', csv: {} }, { schema: TWO }) });
    const empty = file('empty.csv', `id,ts,x,y\n`);
    cases.push({ what: 'no data rows', schema: TWO, plan: plan({ files: [empty], format: 'CSV', csv: {} }, { schema: TWO, existing: stored.files }) });
    const broken = file('broken.jsonl', `{"id":"a","ts":"${EVENT}"}\nnot json\n`);
    cases.push({ what: 'a line that is not JSON', schema: TWO, plan: plan({ files: [broken], format: 'JSONL', csv: {} }, { schema: TWO }) });

    const spark = await submitPlansSettled(
      { sparkSubmit: SPARK_SUBMIT!, master: 'local[2]' },
      cases.map((c) => forSpark(c.plan)),
      mkdtempSync(join(tmpdir(), 'fs-spark-ingest-')),
    );
    const wrong: string[] = [];
    for (const [i, c] of cases.entries()) {
      const schema = c.schema ?? WIDE;
      const duck = await outcome(
        await engine
          .ingest(c.plan, () => {})
          .catch((err: unknown) => {
            if (err instanceof FeatureStoreError) return err;
            throw err;
          }),
        schema,
      );
      const got = await outcome(spark[i], schema);
      if (JSON.stringify(got) !== JSON.stringify(duck)) wrong.push(`${c.what}:\n  DuckDB ${JSON.stringify(duck)}\n  Spark  ${JSON.stringify(got)}`);
    }
    assert.deepEqual(wrong, []);
    const refused = spark.filter((r) => r instanceof FeatureStoreError).length;
    assert.ok(refused >= 4 && refused <= spark.length - 4, `${refused} of ${spark.length} refused`);
  });
});
