// The peer users would pick instead: Feast (PyPI, scripts/tools/feast.sh) with the same entities and
// FLOAT32 features on the same Redis, materialized with `feast materialize` and served by `feast
// serve` (its Python feature server, gunicorn), driven by wrk (C) at the same concurrency.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { freePort, REPO } from './report.js';

/** What scripts/tools/feast.sh installs. */
export const FEAST_VERSION = '0.66.0';

export interface Feast {
  port: number;
  pids: () => number[];
  /** `feast materialize` of every entity, wall seconds. */
  materializeSeconds: number;
  /** `feast materialize` of an empty time range: the command's fixed cost (Python, the registry), wall seconds. */
  emptyMaterializeSeconds: number;
  stop(): void;
}

/**
 * A Feast repo in `dir` whose feature view "wide" has `features` FLOAT32 features f0.. of `entities`
 * users (user_id 0..n-1), the values `valueSql(k)`, materialized into Redis and served on a port.
 */
export async function startFeast(o: {
  redisUrl: string;
  entities: number;
  features: number;
  /** Feature k's value for user `id`, in SQL (DuckDB, rounded to FLOAT). */
  valueSql: (k: number) => string;
  dir: string;
  workers: number;
}): Promise<Feast> {
  const bin = spawnSync(join(REPO, 'scripts', 'tools', 'feast.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).stdout.trim();
  if (!bin) throw new Error('scripts/tools/feast.sh did not install feast');
  mkdirSync(join(o.dir, 'data'), { recursive: true });
  const { hostname, port: redisPort } = new URL(o.redisUrl);
  writeFileSync(
    join(o.dir, 'feature_store.yaml'),
    `project: bench\nregistry: data/registry.db\nprovider: local\nonline_store:\n  type: redis\n  connection_string: "${hostname}:${redisPort}"\noffline_store:\n  type: file\nentity_key_serialization_version: 3\n`,
  );
  writeFileSync(
    join(o.dir, 'features.py'),
    [
      'from datetime import timedelta',
      'from feast import Entity, FeatureView, Field, FileSource',
      'from feast.types import Float32',
      'from feast.value_type import ValueType',
      'user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)',
      'source = FileSource(path="data/wide.parquet", timestamp_field="ts")',
      `wide = FeatureView(name="wide", entities=[user], ttl=timedelta(days=3650), schema=[Field(name=f"f{i}", dtype=Float32) for i in range(${o.features})], source=source, online=True)`,
      '',
    ].join('\n'),
  );
  // The same rows as ours, written by DuckDB.
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const columns = Array.from({ length: o.features }, (_, k) => `CAST(${o.valueSql(k)} AS FLOAT) AS f${k}`).join(', ');
  await c.run(
    `COPY (SELECT id::BIGINT AS user_id, now()::TIMESTAMPTZ - INTERVAL 1 HOUR AS ts, ${columns} FROM range(${o.entities}) t(id)) TO '${join(o.dir, 'data', 'wide.parquet')}' (FORMAT PARQUET)`,
  );
  c.closeSync();
  db.closeSync();
  const feast = (args: string[]) => {
    const run = spawnSync(join(bin, 'feast'), args, { cwd: o.dir, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    if (run.status !== 0) throw new Error(`feast ${args.join(' ')} failed:\n${run.stderr}\n${run.stdout}`);
  };
  feast(['apply']);
  const t0 = performance.now();
  feast(['materialize', '2000-01-01T00:00:00', '2000-01-01T00:00:01']);
  const emptyMaterializeSeconds = (performance.now() - t0) / 1000;
  const t = performance.now();
  feast(['materialize', '2000-01-01T00:00:00', new Date(Date.now() + 60_000).toISOString().slice(0, 19)]);
  const materializeSeconds = (performance.now() - t) / 1000;
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'feast'),
    ['serve', '-h', '127.0.0.1', '-p', String(port), '--no-access-log', '-w', String(o.workers), '--max-requests', '0'],
    { cwd: o.dir, stdio: ['ignore', 'ignore', 'inherit'], detached: true },
  );
  process.on('exit', () => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'));
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error('feast serve did not come up in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    // gunicorn's master and its workers: the whole process group.
    pids: () =>
      spawnSync('pgrep', ['-g', String(child.pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean)
        .map(Number),
    materializeSeconds,
    emptyMaterializeSeconds,
    stop: () => process.kill(-child.pid!, 'SIGTERM'),
  };
}

/** Feast's REST request for `ids` and every feature. */
export function feastRequest(ids: number[], features: number): string {
  return JSON.stringify({ features: Array.from({ length: features }, (_, k) => `wide:f${k}`), entities: { user_id: ids } });
}

export interface WrkFigures {
  rate: number;
  p50: number;
  p99: number;
}

/** wrk (C, one thread) POSTing `body` over `connections` for `seconds`; fails on any non-2xx answer or socket error (a 30 s timeout counts as one). */
export function wrk(o: { url: string; body: string; connections: number; seconds: number; dir: string }): WrkFigures {
  const script = join(o.dir, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(o.body)}\n`);
  const out = spawnSync('wrk', ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '30s', '--latency', '-s', script, o.url], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  if (/Non-2xx or 3xx responses: \d+/.test(out.stdout) || /Socket errors/.test(out.stdout)) throw new Error(`feast answered with errors:\n${out.stdout}`);
  const ms = (label: string) => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out.stdout);
    if (!m) throw new Error(`no ${label}th percentile in wrk's output:\n${out.stdout}`);
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  return { rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1]), p50: ms('50'), p99: ms('99') };
}
