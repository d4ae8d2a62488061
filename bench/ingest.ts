// Offline ingest throughput: a generated CSV ingested through the engine the store uses (DuckDB with
// validation, dedupe, statistics) beside raw DuckDB reading the same CSV into typed Parquet, in one run.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../shared/adapters/engine/duckdb/duckdb-engine.js';
import type { Feature, Schema } from '../shared/core/model.js';
import { machine, median, writeSection } from './report.js';

const ROWS = Number(process.env['BENCH_INGEST_ROWS'] ?? 10_000_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'fs-bench-ingest-'));
const csv = join(dir, 'data.csv');

const f = (name: string, type: Feature['type']): Feature => ({ name, type, isList: false, description: '', sensitive: false, tags: {} });
const schema: Schema = {
  features: [f('user_id', 'INT64'), f('event_time', 'TIMESTAMP'), f('amount', 'FLOAT64'), f('country', 'STRING'), f('clicks', 'INT32'), f('premium', 'BOOL')],
  primaryKey: ['user_id'],
  eventTimeColumn: 'event_time',
};

const duck = await DuckDBInstance.create(':memory:', { threads: '2' });
const raw = await duck.connect();
await raw.run(`SET TimeZone = 'UTC'`);
let t = performance.now();
await raw.run(`COPY (SELECT i % 100000 AS user_id, TIMESTAMPTZ '2026-01-01' + to_seconds(i) AS event_time, round(random() * 1000, 2) AS amount,
  ['DE','US','FR','IN','BR'][1 + i % 5] AS country, (i % 97)::INTEGER AS clicks, i % 3 = 0 AS premium FROM range(${ROWS}) r(i)) TO '${csv}' (HEADER)`);
const mb = statSync(csv).size / 2 ** 20;
console.log(`generated ${ROWS} rows (${mb.toFixed(0)} MiB CSV) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const engine = new DuckDbEngine({ threads: 2 });
const ours: number[] = [];
const baseline: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const rawOut = join(dir, `raw-${run}.parquet`);
  t = performance.now();
  await raw.run(`COPY (SELECT * FROM read_csv('${csv}', header = true, columns = {'user_id': 'BIGINT', 'event_time': 'TIMESTAMPTZ', 'amount': 'DOUBLE',
    'country': 'VARCHAR', 'clicks': 'INTEGER', 'premium': 'BOOLEAN'})) TO '${rawOut}' (FORMAT parquet, COMPRESSION zstd)`);
  baseline.push(performance.now() - t);

  const out = join(dir, `ours-${run}`);
  mkdirSync(out);
  t = performance.now();
  const result = await engine.ingest(
    {
      kind: 'ingest',
      ingestId: `bench-${run}`,
      ingestTime: new Date(),
      schema,
      source: { files: [csv], format: 'CSV', csv: {} },
      extraColumns: 'IGNORE',
      distinct: false,
      existing: [],
      outputDir: out,
    },
    () => {},
  );
  ours.push(performance.now() - t);
  if (result.inputRows !== ROWS) throw new Error(`engine read ${result.inputRows} rows, expected ${ROWS}`);
  console.log(`run ${run + 1}: raw DuckDB ${(baseline.at(-1)! / 1000).toFixed(2)} s, featurestore engine ${(ours.at(-1)! / 1000).toFixed(2)} s`);
}
await engine.close();
raw.closeSync();
duck.closeSync();
rmSync(dir, { recursive: true, force: true });

const rate = (ms: number) => ROWS / (ms / 1000);
const ratio = rate(median(ours)) / rate(median(baseline));
const table = [
  '| path | median s | rows/s | vs raw DuckDB |',
  '|---|---:|---:|---:|',
  `| raw DuckDB: typed read_csv -> Parquet | ${(median(baseline) / 1000).toFixed(2)} | ${Math.round(rate(median(baseline))).toLocaleString('en')} | 1.00x |`,
  `| featurestore engine ingest | ${(median(ours) / 1000).toFixed(2)} | ${Math.round(rate(median(ours))).toLocaleString('en')} | ${ratio.toFixed(2)}x |`,
].join('\n');
console.log(table);
writeSection(
  'ingest',
  `## Offline ingest (issue #3)

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${ROWS.toLocaleString('en')} rows, ${mb.toFixed(0)} MiB of CSV, ${RUNS} runs each, alternating, DuckDB with 2 threads for both.
The raw baseline reads the CSV with declared column types and writes zstd Parquet. The store's
engine (\`DuckDbEngine.ingest\`, what the spark-submit function runs) does the same in one pass while
checking every value against the schema (casting timestamps itself so that UTC offsets count, and
failing on a bad value or null key, which reruns an exact pass for row/column detail), then looks
for rows already stored in the new rows' event-time range (none here: a first ingest), and computes
statistics (count, nulls, min, max, mean, stddev, distinct estimate) over the feature set.
Goal: >= 0.7x the raw throughput.

${table}
`,
);
