// One measured process of bench/wide-ingest.ts: ingests a CSV into a feature set of N FLOAT64
// features with the DuckDB engine (conversion, statistics), then again with dedupe against the
// first, or (`raw`) copies it to Parquet with bare DuckDB. Prints times and the process's peak RSS.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestPlan } from '../shared/core/plans.js';
import { DuckDbEngine } from '../shared/adapters/engine/duckdb/duckdb-engine.js';
import type { Schema } from '../shared/core/model.js';
import { loadConfig } from '../shared/runtime/config.js';

const [mode, file, colsText] = process.argv.slice(2) as [string, string, string];
const cols = Number(colsText);
const out = mkdtempSync(join(tmpdir(), 'fs-wide-bench-'));
const config = loadConfig();
const result: Record<string, number | string> = { memoryLimit: config.duckdb.memoryLimit };
if (mode === 'raw') {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect(); // DuckDB's own defaults otherwise
  result['memoryLimit'] = 'DuckDB default (80% of RAM)';
  const t0 = performance.now();
  await db.run(`COPY (SELECT * FROM read_csv('${file}')) TO '${join(out, 'raw.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
  result['ingestSeconds'] = (performance.now() - t0) / 1000;
} else {
  const schema: Schema = {
    features: [
      { name: 'id', type: 'INT64', isList: false, description: '', sensitive: false, tags: {} },
      { name: 'ts', type: 'TIMESTAMP', isList: false, description: '', sensitive: false, tags: {} },
      ...Array.from({ length: cols }, (_, i) => ({ name: `f${i}`, type: 'FLOAT64' as const, isList: false, description: '', sensitive: false, tags: {} })),
    ],
    primaryKey: ['id'],
    eventTimeColumn: 'ts',
  };
  const engine = new DuckDbEngine({ memoryLimit: config.duckdb.memoryLimit, spillDir: join(out, 'spill') });
  const spec = (existing: string[], dir: string): IngestPlan => ({
    kind: 'ingest',
    ingestId: 'bench',
    ingestTime: new Date(),
    schema,
    source: { files: [file], format: 'CSV', csv: {} },
    extraColumns: 'FAIL',
    distinct: false,
    existing,
    outputDir: dir,
  });
  const t0 = performance.now();
  const first = await engine.ingest(spec([], out), () => {});
  const t1 = performance.now();
  const again = await engine.ingest(spec(first.files, mkdtempSync(join(tmpdir(), 'fs-wide-bench-'))), () => {});
  const t2 = performance.now();
  if (again.duplicateRows !== first.rows) throw new Error(`dedupe found ${again.duplicateRows} of ${first.rows}`);
  Object.assign(result, { ingestSeconds: (t1 - t0) / 1000, dedupeSeconds: (t2 - t1) / 1000 });
  await engine.close();
}
result['peakRssMiB'] = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(result));
