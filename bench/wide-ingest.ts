// Offline ingest of wide and long inputs: 50 and 100,000 rows into feature sets of 10, 100, 500
// and 2,000 FLOAT64 features. Each ingest runs in a process of its own (the file is written by
// this one), so its peak RSS is the ingest's; the goal is under 1 GiB in every case, with time
// growing linearly with columns. Raw DuckDB copying the same CSV to Parquet is the baseline.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { machine, median, REPO, writeSection } from './report.js';

const COLUMNS = [10, 100, 500, 2000];
const ROWS = [50, 100_000];
const dir = mkdtempSync(join(tmpdir(), 'fs-wide-bench-data-'));

async function csv(cols: number, rows: number): Promise<string> {
  const file = join(dir, `wide-${cols}x${rows}.csv`);
  const out = createWriteStream(file);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  await write(['id', 'ts', ...Array.from({ length: cols }, (_, i) => `f${i}`)].join(','));
  for (let r = 0; r < rows; r++) {
    const values = Array.from({ length: cols }, (_, i) => ((r * 31 + i * 7) % 10_000) / 100);
    await write(`${r},2026-11-01T00:00:00Z,${values.join(',')}`);
  }
  out.end();
  await once(out, 'finish');
  return file;
}

/** What a function's pod gets by default: half of the 2 GiB the Knative Services request. */
const MEMORY_LIMIT = process.env['FEATURESTORE_DUCKDB_MEMORY_LIMIT'] ?? '1GiB';

function measure(mode: 'ours' | 'raw', file: string, cols: number): Record<string, number> {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'bench', 'wide-ingest-run.ts'), mode, file, String(cols)], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, FEATURESTORE_DUCKDB_MEMORY_LIMIT: MEMORY_LIMIT },
  });
  if (run.status !== 0) throw new Error(`${mode} ${cols} columns failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

const lines: string[] = [];
const peaks: { rows: number; cols: number; mib: number }[] = [];
let limit = '';
try {
  for (const rows of ROWS) {
    for (const cols of COLUMNS) {
      const file = await csv(cols, rows);
      const repeats = rows * cols > 10_000_000 ? 1 : 3;
      const ours = Array.from({ length: repeats }, () => measure('ours', file, cols));
      const raw = Array.from({ length: repeats }, () => measure('raw', file, cols));
      limit = String(ours[0]['memoryLimit']);
      const m = (xs: Record<string, number>[], k: string) => median(xs.map((x) => x[k]));
      const row = `| ${rows.toLocaleString('en-US')} | ${cols.toLocaleString('en-US')} | ${m(ours, 'ingestSeconds').toFixed(2)} | ${m(ours, 'dedupeSeconds').toFixed(2)} | ${m(ours, 'peakRssMiB')} | ${m(raw, 'ingestSeconds').toFixed(2)} | ${m(raw, 'peakRssMiB')} | ${(m(ours, 'ingestSeconds') / m(raw, 'ingestSeconds')).toFixed(1)}x | ${repeats} |`;
      console.log(row);
      lines.push(row);
      peaks.push({ rows, cols, mib: m(ours, 'peakRssMiB') });
      rmSync(file);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

writeSection(
  'wide-ingest',
  `## Offline ingest: wide and long inputs (time and peak memory)

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`bench/wide-ingest.ts\`: a CSV of N FLOAT64
features (plus key and event time) ingested by the DuckDB engine in a process of its own (every
value converted by the one rule, Parquet written, statistics in batches of 10 columns), then
ingested again deduplicating against the first (every row a duplicate). Raw: bare DuckDB copying
the same CSV to Parquet (no checks, no statistics), also in its own process, with DuckDB's own
defaults. Our DuckDB memory limit ${limit}: the default in a Knative pod, which requests 2 GiB (the
default is half the process's cgroup limit; on this 24 GiB machine without one it would be 12 GiB),
spill folder on local disk. Peak RSS is the process's
(\`getrusage\` max RSS). Medians of 3 runs (1 run for the 200M-value case).

| rows | features | ingest s | ingest again (dedupe) s | peak RSS MiB | raw DuckDB s | raw peak RSS MiB | ours / raw | runs |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${lines.join('\n')}

Goal: peak RSS under 1 GiB in every case, time growing linearly with columns.
${verdict()}
`,
);

/** Whether every case stayed under 1 GiB, computed from this run's figures. */
function verdict(): string {
  const over = peaks.filter((p) => p.mib >= 1024);
  const top = peaks.reduce((a, b) => (b.mib > a.mib ? b : a), peaks[0]);
  return over.length === 0
    ? `Met for memory: the highest peak is ${top.mib} MiB (${top.cols.toLocaleString('en-US')} features x ${top.rows.toLocaleString('en-US')} rows).`
    : `Not met for ${over.map((p) => `${p.cols.toLocaleString('en-US')} x ${p.rows.toLocaleString('en-US')} (${p.mib} MiB)`).join(', ')}.`;
}
