// DuckDB (in process) against Spark (spark-submit, local[2]) on one machine, in one run: the
// point-in-time training set of issue #3 (1M entities x two feature sets of 10M rows), an ingest of
// 10M rows, and Spark's fixed cost on a tiny job. Time and peak memory (the resident memory of this
// process and every process it started: DuckDB runs in it, Spark's JVM and Python driver under it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbEngine } from '../shared/adapters/engine/duckdb/duckdb-engine.js';
import { SparkSubmitEngine } from '../shared/adapters/engine/spark/spark-engine.js';
import type { OfflineEngine } from '../shared/core/ports/offline-engine.js';
import type { IngestPlan, StatisticsPlan, TrainingSetPlan } from '../shared/core/plans.js';
import { activity, generatePitData, profile } from './pit-data.js';
import { machine, median, REPO, writeSection } from './report.js';

const ENTITIES = Number(process.env['BENCH_PIT_ENTITIES'] ?? 1_000_000);
const FEATURE_ROWS = Number(process.env['BENCH_PIT_ROWS'] ?? 10_000_000);
const INGEST_ROWS = Number(process.env['BENCH_SPARK_INGEST_ROWS'] ?? 10_000_000);
const RUNS = Number(process.env['BENCH_SPARK_RUNS'] ?? 2);
const MEMORY = process.env['BENCH_SPARK_MEMORY'] ?? '4g';
const KEYS = Math.max(1, Math.floor(FEATURE_ROWS / 10));
const dir = mkdtempSync(join(tmpdir(), 'fs-bench-spark-'));
const sparkSubmit = execFileSync(join(REPO, 'scripts', 'services', 'spark.sh'), ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

const duck = await DuckDBInstance.create(':memory:', { threads: '2' });
const raw = await duck.connect();
await raw.run(`SET TimeZone = 'UTC'`);
const t = performance.now();
const { files, entities } = await generatePitData(raw, dir, ENTITIES, FEATURE_ROWS, KEYS);
const source = join(dir, 'ingest-source.parquet');
await raw.run(`COPY (SELECT (hash(i + 5) % ${KEYS})::BIGINT AS user_id, TIMESTAMPTZ '2026-01-01' + to_seconds((hash(i * 23) % 8640000)::BIGINT) AS event_time,
    (i % 50)::INTEGER AS clicks_7d, round((hash(i * 29) % 100000) / 100.0, 2)::DOUBLE AS spend_7d FROM range(${INGEST_ROWS}) r(i))
  TO '${source}' (FORMAT parquet, COMPRESSION zstd)`);
const tiny = join(dir, 'tiny.parquet');
await raw.run(
  `COPY (SELECT 1::BIGINT AS user_id, TIMESTAMPTZ '2026-01-01' AS event_time, 1::INTEGER AS clicks_7d, 1.0::DOUBLE AS spend_7d) TO '${tiny}' (FORMAT parquet)`,
);
raw.closeSync();
duck.closeSync();
console.log(`generated the data in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const engines: Record<'duckdb' | 'spark', OfflineEngine> = {
  duckdb: new DuckDbEngine({ threads: 2, memoryLimit: MEMORY.replace(/g$/i, 'GiB'), spillDir: join(dir, 'spill') }),
  spark: new SparkSubmitEngine({ sparkSubmit, master: 'local[2]', conf: { 'spark.driver.memory': MEMORY }, workDir: dir }),
};

const out = (name: string) => {
  const d = join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(d);
  return d;
};
const trainingSet = (): TrainingSetPlan => ({
  kind: 'training-set',
  entities: { files: [entities], format: 'PARQUET', csv: {} },
  timestampColumn: 'ts',
  sides: [
    {
      schema: activity,
      ttlSeconds: 30 * 86400,
      ingests: files['activity'].map((x) => [x]),
      features: ['clicks_7d', 'spend_7d'],
      entityKey: activity.primaryKey,
      project: 'bench',
      featureSet: 'activity',
    },
    {
      schema: profile,
      ttlSeconds: null,
      ingests: files['profile'].map((x) => [x]),
      features: ['segment', 'score'],
      entityKey: profile.primaryKey,
      project: 'bench',
      featureSet: 'profile',
    },
  ],
  format: 'PARQUET',
  outputDir: out('training-set'),
});
const ingest = (): IngestPlan => ({
  kind: 'ingest',
  ingestId: 'bench',
  ingestTime: new Date(),
  schema: activity,
  source: { files: [source], format: 'PARQUET', csv: {} },
  extraColumns: 'IGNORE',
  distinct: false,
  existing: [],
  outputDir: out('ingest'),
});
const statistics = (): StatisticsPlan => ({ kind: 'statistics', schema: activity, files: [tiny] });

/** Resident memory of this process and all its descendants, in bytes (from /proc). */
function treeRss(): number {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (pid: number): boolean => pid === process.pid || (parent.has(pid) && pid > 1 && inTree(parent.get(pid)!));
  let bytes = 0;
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try {
      bytes += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
    } catch {
      // gone meanwhile
    }
  }
  return bytes;
}

/** Time and peak memory of one run. */
async function measure(work: () => Promise<unknown>): Promise<{ s: number; peakMiB: number }> {
  let peak = treeRss();
  const sampler = setInterval(() => (peak = Math.max(peak, treeRss())), 200);
  const start = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return { s: (performance.now() - start) / 1000, peakMiB: Math.max(peak, treeRss()) / 2 ** 20 };
}

const shapes = {
  [`training set: ${ENTITIES.toLocaleString('en')} entities x 2 x ${FEATURE_ROWS.toLocaleString('en')} rows`]: async (e: OfflineEngine) => {
    const r = await e.trainingSet(trainingSet(), () => {});
    if (r.rows !== ENTITIES) throw new Error(`wrote ${r.rows} rows, expected ${ENTITIES}`);
  },
  [`ingest: ${INGEST_ROWS.toLocaleString('en')} rows (Parquet, converted, statistics)`]: async (e: OfflineEngine) => {
    const r = await e.ingest(ingest(), () => {});
    if (r.rows !== INGEST_ROWS) throw new Error(`wrote ${r.rows} rows, expected ${INGEST_ROWS}`);
  },
  'a tiny job (statistics of 1 row): the fixed cost': async (e: OfflineEngine) => {
    await e.statistics(statistics());
  },
};

const results: Record<string, Record<'duckdb' | 'spark', { s: number; peakMiB: number }[]>> = {};
for (const [shape, work] of Object.entries(shapes)) {
  results[shape] = { duckdb: [], spark: [] };
  for (let run = 0; run < RUNS; run++) {
    // Alternating which engine goes first.
    const order: ('duckdb' | 'spark')[] = run % 2 === 0 ? ['duckdb', 'spark'] : ['spark', 'duckdb'];
    for (const name of order) {
      const m = await measure(() => work(engines[name]));
      results[shape][name].push(m);
      console.log(`${shape}, run ${run + 1}, ${name}: ${m.s.toFixed(1)} s, peak ${Math.round(m.peakMiB)} MiB`);
    }
  }
}
await engines.duckdb.close();
rmSync(dir, { recursive: true, force: true });

const med = (xs: { s: number; peakMiB: number }[]) => ({ s: median(xs.map((x) => x.s)), peakMiB: median(xs.map((x) => x.peakMiB)) });
const rows = Object.entries(results).map(([shape, r]) => {
  const d = med(r.duckdb);
  const s = med(r.spark);
  return { shape, d, s, ratio: s.s / d.s };
});
const table = [
  '| shape | DuckDB s | Spark local[2] s | Spark / DuckDB | DuckDB peak MiB | Spark peak MiB |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) => `| ${r.shape} | ${r.d.s.toFixed(1)} | ${r.s.s.toFixed(1)} | ${r.ratio.toFixed(2)}x | ${Math.round(r.d.peakMiB)} | ${Math.round(r.s.peakMiB)} |`,
  ),
].join('\n');
console.log(table);
const big = rows.slice(0, 2);
writeSection(
  'spark',
  `## Spark against DuckDB on one machine (issue #15)

${new Date().toISOString().slice(0, 10)}, ${machine()}. The same plans through the store's two offline engines, ${RUNS} runs each
(medians), alternating which goes first: DuckDB in process (2 threads, memory limit ${MEMORY}), and Spark
${sparkSubmit.includes('4.1.1') ? '4.1.1 ' : ''}through spark-submit with master \`local[2]\` (driver memory ${MEMORY}; the runner
\`shared/adapters/engine/spark/job/runner.py\`), reading and writing local Parquet. Peak memory is the
resident memory of the benchmark process and every process it started (DuckDB runs inside it; Spark's
JVM and its Python driver under it), sampled every 200 ms. Goal: Spark within 3x of DuckDB on the 10M shapes.

${table}

Goal in this run: ${big.every((r) => r.ratio <= 3) ? 'met' : 'MISSED'} (${big.map((r) => `${r.ratio.toFixed(2)}x`).join(', ')}). See docs/spark.md for when Spark pays off.
`,
);
