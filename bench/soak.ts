// The soak (`make reliability`): `make services` (every function its own process over PostgreSQL,
// Redis, MinIO and Kafka) under mixed load for FEATURESTORE_SOAK_MINUTES (10): online reads at a
// fixed rate, online writes, an offline ingest and a training set every minute, the cron's sync
// tick. Per minute: calls, errors, read p50/p99, RSS of every process. At the end, exact
// reconciliation: every row accepted is found online, and offline once online-to-offline drained.
// Writes its figures as JSON to FEATURESTORE_SOAK_OUT (default .featurestore/soak.json).
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { Format, type Value } from '../shared/gen/featurestore/v1/common.js';
import { JobState, type Job } from '../shared/gen/featurestore/v1/job.js';
import { RowStatus } from '../shared/gen/featurestore/v1/retrieve.js';
import { timestampFromDate } from '../shared/runtime/api/proto-time.js';
import { clients, finishedJob, projectWithFeatureSet, unary } from '../test/support/grpc.js';
import { median, REPO } from './report.js';

const MINUTES = Number(process.env['FEATURESTORE_SOAK_MINUTES'] ?? 10);
const READS_PER_SECOND = 100;
const WRITES_PER_SECOND = 20;
const OFFLINE_ROWS = 10_000;
const OUT = process.env['FEATURESTORE_SOAK_OUT'] ?? join(REPO, '.featurestore', 'soak.json');
const PORT = 18080;
const data = mkdtempSync(join(tmpdir(), 'fs-soak-'));

const str = (value: string): Value => ({ kind: { $case: 'stringValue', value } });
const int = (n: number): Value => ({ kind: { $case: 'int64Value', value: String(n) } });
const now = (): Value => ({ kind: { $case: 'timestampValue', value: timestampFromDate(new Date(Date.now() - 1000)) } });
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : 0);

async function csv(name: string, prefix: string, rows: number): Promise<string> {
  const file = join(data, name);
  const out = createWriteStream(file);
  out.write('id,ts,v\n');
  for (let i = 0; i < rows; i++) if (!out.write(`${prefix}${i},2026-11-01T00:00:00Z,${i}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return pathToFileURL(file).href;
}

/** RSS (MiB) of the service-mode process and each function process under it. */
function rss(rootPid: number): Record<string, number> {
  const out: Record<string, number> = {};
  const text = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
  const procs = text
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), ppid: Number(m[2]), rss: Number(m[3]), args: m[4] };
    });
  const mine = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) {
      if (!mine.has(p.pid) && mine.has(p.ppid)) {
        mine.add(p.pid);
        grew = true;
      }
    }
  }
  for (const p of procs.filter((x) => mine.has(x.pid))) {
    const fn = /dist\/functions\/([a-z-]+)\.mjs/.exec(p.args)?.[1] ?? (p.pid === rootPid ? 'service-mode' : undefined);
    if (fn) out[fn] = Math.round(p.rss / 1024);
  }
  return out;
}

execFileSync('node', ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
const servicesDir = mkdtempSync(join(tmpdir(), 'fs-soak-services-'));
const child = spawn(process.execPath, [join(REPO, 'dist', 'service-mode.mjs')], {
  cwd: REPO,
  env: {
    ...process.env,
    PORT: String(PORT),
    FEATURESTORE_SERVICES_DIR: servicesDir,
    FEATURESTORE_PG_PORT: '25610',
    FEATURESTORE_REDIS_PORT: '20610',
    FEATURESTORE_MINIO_PORT: '29610',
    FEATURESTORE_KAFKA_PORT: '29692',
    FEATURESTORE_FILE_ROOTS: data,
    FEATURESTORE_SYNC_INTERVAL_SECONDS: '60',
    LOG_LEVEL: 'info', // the launcher waits for each function's "listening" line
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const errorsLogged: string[] = [];
await new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('service mode did not start in 15 minutes')), 900_000);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.includes('ready on 127.0.0.1')) {
      clearTimeout(timer);
      resolve();
    }
    if (/"level":(50|60)/.test(line)) errorsLogged.push(line.slice(0, 300));
  });
  child.once('exit', (code) => reject(new Error(`service mode exited with ${code}`)));
});

const c = clients(PORT);
const ref = { project: 'soak', name: 'users', version: '' };
const report: {
  minutes: {
    minute: number;
    reads: number;
    readErrors: number;
    readMissing: number;
    p50Ms: number;
    p99Ms: number;
    writes: number;
    writeErrors: number;
    jobs: string[];
    rssMiB: Record<string, number>;
  }[];
  accepted: number;
  offlineRows: number;
  reconciliation?: { onlineFound: number; onlineExpected: number; offlineFound: number; offlineExpected: number };
  errorsLogged: string[];
  startedAt: string;
} = { minutes: [], accepted: 0, offlineRows: 0, errorsLogged, startedAt: new Date().toISOString() };
try {
  await projectWithFeatureSet(c, 'soak');
  const ingest = async (prefix: string) => {
    const job = await unary(c.ingest, c.ingest.startIngest, {
      featureSet: ref,
      source: { uri: await csv(`${prefix}.csv`, prefix, OFFLINE_ROWS), format: Format.FORMAT_CSV, options: {} },
      extraColumns: 0,
      requestId: '',
    });
    const done = await finishedJob(c, job.id);
    if (done.state === JobState.JOB_STATE_SUCCEEDED) report.offlineRows += OFFLINE_ROWS;
    return `ingest ${JobState[done.state]}`;
  };
  const trainingSet = async (minute: number) => {
    const file = join(data, `entities-${minute}.csv`);
    writeFileSync(file, `id,at\n${Array.from({ length: 1000 }, (_, i) => `base${i},2026-11-02T00:00:00Z`).join('\n')}\n`);
    const job = await unary(c.retrieve, c.retrieve.startTrainingSet, {
      entities: { $case: 'entitySource', value: { uri: pathToFileURL(file).href, format: Format.FORMAT_CSV, options: {} } },
      timestampColumn: 'at',
      features: ['soak/users/*'],
      output: undefined,
    });
    return `training set ${JobState[(await finishedJob(c, job.id)).state]}`;
  };
  console.log(await ingest('base'));
  // Load starts once the base rows are online (offline-to-online copies them after the commit).
  for (const deadline = Date.now() + 120_000; ;) {
    const res = await unary(c.retrieve, c.retrieve.retrieveOnline, {
      featureSet: ref,
      keys: Array.from({ length: 1000 }, (_, i) => ({ values: [str(`base${i * 10}`)] })),
      features: ['v'],
    });
    if (res.rows.every((r) => r.status === RowStatus.ROW_STATUS_PRESENT)) break;
    if (Date.now() > deadline) throw new Error('the base rows did not reach the online store in 2 minutes');
    await new Promise((r) => setTimeout(r, 1000));
  }

  const written: number[] = [];
  let stop = false;
  let minute = { reads: 0, readErrors: 0, readMissing: 0, latencies: [] as number[], writes: 0, writeErrors: 0 };
  const reader = (async () => {
    const every = 1000 / READS_PER_SECOND;
    let next = performance.now();
    while (!stop) {
      next += every;
      const key = `base${Math.floor(Math.random() * OFFLINE_ROWS)}`;
      const t0 = performance.now();
      void unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref, keys: [{ values: [str(key)] }], features: ['v'] }).then(
        (res) => {
          minute.reads++;
          minute.latencies.push(performance.now() - t0);
          if (res.rows[0]?.status !== RowStatus.ROW_STATUS_PRESENT) minute.readMissing++;
        },
        () => (minute.reads++, minute.readErrors++),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  })();
  const writer = (async () => {
    let id = 0;
    while (!stop) {
      const batch = Array.from({ length: WRITES_PER_SECOND / 2 }, () => id++);
      const res = await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: ref,
        columns: ['id', 'ts', 'v'],
        rows: batch.map((i) => ({ values: [str(`online${i}`), now(), int(i)] })),
      }).catch(() => undefined);
      if (res && res.errors.length === 0) {
        written.push(...batch);
        minute.writes += batch.length;
      } else minute.writeErrors += batch.length;
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  for (let m = 1; m <= MINUTES; m++) {
    const started = Date.now();
    const jobs = await Promise.all([ingest(`minute${m}-`), trainingSet(m)]);
    await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - started))));
    const row = {
      minute: m,
      reads: minute.reads,
      readErrors: minute.readErrors,
      readMissing: minute.readMissing,
      p50Ms: median(minute.latencies),
      p99Ms: pct(minute.latencies, 0.99),
      writes: minute.writes,
      writeErrors: minute.writeErrors,
      jobs,
      rssMiB: rss(child.pid!),
    };
    minute = { reads: 0, readErrors: 0, readMissing: 0, latencies: [], writes: 0, writeErrors: 0 };
    report.minutes.push(row);
    console.log(JSON.stringify(row));
  }
  stop = true;
  await Promise.all([reader, writer]);
  report.accepted = written.length;

  // Reconciliation: every accepted online row online; offline, once the next sync ticks drained them.
  let onlineFound = 0;
  for (let from = 0; from < written.length; from += 1000) {
    const part = written.slice(from, from + 1000);
    const res = await unary(c.retrieve, c.retrieve.retrieveOnline, {
      featureSet: ref,
      keys: part.map((i) => ({ values: [str(`online${i}`)] })),
      features: ['v'],
    });
    onlineFound += res.rows.filter(
      (r, j) => r.status === RowStatus.ROW_STATUS_PRESENT && r.values[0]?.kind?.$case === 'int64Value' && r.values[0].kind.value === String(part[j]),
    ).length;
  }
  const offlineExpected = report.offlineRows + written.length;
  const countOffline = async () => {
    const job = await unary(c.retrieve, c.retrieve.startRetrieve, {
      featureSet: ref,
      features: [],
      startTime: undefined,
      endTime: undefined,
      asOf: undefined,
      output: undefined,
    });
    const done: Job = await finishedJob(c, job.id);
    const r = done.result?.$case === 'retrieveResult' ? done.result.value : undefined;
    if (!r) throw new Error(`retrieve failed: ${done.message}`);
    const local = join(data, `offline-${job.id}.parquet`);
    writeFileSync(local, Buffer.from(await (await fetch(r.downloadUrls[0])).arrayBuffer()));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (
      await duck.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS d FROM read_parquet('${local}')`)
    ).getRowObjectsJson()[0];
    duck.closeSync();
    if (rows['n'] !== rows['d']) throw new Error(`offline holds ${rows['n']} rows for ${rows['d']} ids: duplicates`);
    return Number(rows['n']);
  };
  let offlineFound = await countOffline();
  for (const deadline = Date.now() + 180_000; offlineFound < offlineExpected && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 10_000));
    offlineFound = await countOffline();
  }
  report.reconciliation = { onlineFound, onlineExpected: written.length, offlineFound, offlineExpected };
  console.log(JSON.stringify(report.reconciliation));
} finally {
  c.close();
  child.kill('SIGTERM');
  await once(child, 'exit');
  mkdirSync(join(REPO, '.featurestore'), { recursive: true });
  writeFileSync(OUT, JSON.stringify(report, null, 2));
}
console.log(`soak figures written to ${OUT}`);
