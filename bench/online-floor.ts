// Online serving against its floor (issue #16's method): RetrieveOnline of 1 and of 100 entities x
// 50 FLOAT32 features (Redis) on the all-in-one bundle, beside a bare grpc-js server answering the
// same path with an empty message (the 1-entity floor) and with the very bytes of our 100-entity
// answer (the 100-entity floor), and raw Redis (redis-benchmark GET / MGET of the stored entries),
// in one run. h2load drives every server with pre-encoded requests (a different random key set per
// run), closed loops of 32 connections x 1 stream, and 1 connection serially; every answer's size is
// checked (h2load counts HTTP 200s, and a gRPC error is one too); server CPU per call from /proc.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { unary } from '../cli/client.js';
import { DataType } from '../shared/gen/featurestore/v1/common.js';
import { FeatureSetServiceClient } from '../shared/gen/featurestore/v1/feature_set.js';
import { IngestServiceClient } from '../shared/gen/featurestore/v1/ingest.js';
import { ProjectServiceClient } from '../shared/gen/featurestore/v1/project.js';
import { RetrieveOnlineRequest, RetrieveOnlineResponse, RetrieveServiceClient } from '../shared/gen/featurestore/v1/retrieve.js';
import { timestampFromDate } from '../shared/runtime/api/proto-time.js';
import { grpcFrame, h2load, type H2Figures } from './h2load.js';
import { registerWideFeatureSet } from './wide-set.js';
import { freePort, machine, median, REPO, untilServing, writeSection } from './report.js';

const REDIS_URL = process.env['FEATURESTORE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:46490';
const CONNECTIONS = 32;
const SECONDS = Number(process.env['BENCH_ONLINE_SECONDS'] ?? 5);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const ENTITIES = 10_000;
const FEATURES = 50;
const BATCH = 100;

const scratch = mkdtempSync(join(tmpdir(), 'fs-bench-floor-'));
const { NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

async function startProcess(args: string[], extra: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...env, PORT: String(port), ...extra }, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  return { child, port };
}

// Our server: the all-in-one bundle, Redis online store, authentication off (bench/online-auth.ts measures it on).
const ours = await startProcess(['dist/functions/all-in-one.mjs'], {
  FEATURESTORE_BIND: '127.0.0.1',
  LOG_LEVEL: 'warn',
  FEATURESTORE_METADATA_URL: 'pglite:memory',
  FEATURESTORE_ONLINE_URL: REDIS_URL,
  FEATURESTORE_FILE_ROOTS: scratch,
});
const address = `127.0.0.1:${ours.port}`;
const projects = new ProjectServiceClient(address, credentials.createInsecure());
const featureSets = new FeatureSetServiceClient(address, credentials.createInsecure());
const ingest = new IngestServiceClient(address, credentials.createInsecure());
const retrieve = new RetrieveServiceClient(address, credentials.createInsecure());
await untilServing(() => unary(projects, projects.listProjects, { pageSize: 1, pageToken: '', namePrefix: '' }));
const project = `floor_${Date.now()}`;
const names = await registerWideFeatureSet({ projects, featureSets }, project, FEATURES, DataType.DATA_TYPE_FLOAT32);
const now = timestampFromDate(new Date());
for (let b = 0; b < ENTITIES / 500; b++) {
  const rows = Array.from({ length: 500 }, (_, j) => ({
    values: [
      { kind: { $case: 'int64Value' as const, value: String(b * 500 + j) } },
      { kind: { $case: 'timestampValue' as const, value: now } },
      ...names.map((_, k) => ({ kind: { $case: 'float32Value' as const, value: (b * 500 + j) / 7 + k } })),
    ],
  }));
  await unary(ingest, ingest.ingestOnline, { featureSet: { project, name: 'wide', version: '' }, columns: ['user_id', 'ts', ...names], rows });
}

const randomKeys = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * ENTITIES));
const request = (keys: number[]): RetrieveOnlineRequest => ({
  featureSet: { project, name: 'wide', version: '' },
  keys: keys.map((k) => ({ values: [{ kind: { $case: 'int64Value', value: String(k) } }] })),
  features: [],
});
/** A request body and the size of its answer, the answer checked with a real client (every row present, every value). */
async function workload(keys: number[]) {
  const req = request(keys);
  const res = await unary(retrieve, retrieve.retrieveOnline, req);
  if (res.rows.length !== keys.length || res.rows.some((r) => r.values.length !== FEATURES)) throw new Error('an entity came back incomplete');
  const answer = RetrieveOnlineResponse.encode(res).finish();
  return { body: grpcFrame(RetrieveOnlineRequest.encode(req).finish()), answer, answerBytes: 5 + answer.length };
}

// The floors: an empty reply, and our 100-entity answer's own bytes.
const sample = await workload(randomKeys(BATCH));
const replyFile = join(scratch, 'reply.bin');
writeFileSync(replyFile, sample.answer);
const bareEmpty = await startProcess(['bench/bare-retrieve-server.mjs'], {});
const bareBytes = await startProcess(['bench/bare-retrieve-server.mjs'], { REPLY_FILE: replyFile });
await new Promise((r) => setTimeout(r, 1000));

type Server = { name: string; port: number; pid: number };
const servers = {
  ours: { name: 'ours', port: ours.port, pid: ours.child.pid! },
  empty: { name: 'bare, empty reply', port: bareEmpty.port, pid: bareEmpty.child.pid! },
  bytes: { name: 'bare, our 100-entity bytes', port: bareBytes.port, pid: bareBytes.child.pid! },
} satisfies Record<string, Server>;

const run = (s: Server, body: Buffer, answerBytes: number, connections: number) =>
  h2load({
    url: `http://127.0.0.1:${s.port}/featurestore.v1.RetrieveService/RetrieveOnline`,
    body,
    answerBytes,
    connections,
    seconds: SECONDS,
    serverPids: [s.pid],
    scratch,
  });

const results: Record<string, H2Figures[]> = {};
const record = (label: string, f: H2Figures) => (results[label] ??= []).push(f);
for (let r = 0; r < RUNS; r++) {
  const one = await workload(randomKeys(1));
  const hundred = await workload(randomKeys(BATCH));
  // Alternating which goes first, so neither gains from the order.
  const pairs: Array<[string, () => H2Figures]> = [
    ['1 entity: ours', () => run(servers.ours, one.body, one.answerBytes, CONNECTIONS)],
    ['1 entity: bare, empty reply', () => run(servers.empty, one.body, 5, CONNECTIONS)],
    ['100 entities: ours', () => run(servers.ours, hundred.body, hundred.answerBytes, CONNECTIONS)],
    ['100 entities: bare, same bytes', () => run(servers.bytes, hundred.body, sample.answerBytes, CONNECTIONS)],
    ['serial, 1 entity: ours', () => run(servers.ours, one.body, one.answerBytes, 1)],
    ['serial, 1 entity: bare, empty reply', () => run(servers.empty, one.body, 5, 1)],
    ['serial, 100 entities: ours', () => run(servers.ours, hundred.body, hundred.answerBytes, 1)],
  ];
  for (const [label, go] of r % 2 ? [...pairs].reverse() : pairs) record(label, go());
}
// Every answer's status after the load, too.
await workload(randomKeys(BATCH));

// Raw Redis: the same stored entries by redis-benchmark (C), 32 clients: GET of one, MGET of 100.
const redis = new Redis(REDIS_URL);
const stored: string[] = [];
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `fs:*`, 'COUNT', 1000);
  cursor = next;
  stored.push(...keys);
} while (cursor !== '0' && stored.length < BATCH);
await redis.quit();
const { hostname, port: redisPort } = new URL(REDIS_URL);
function redisBenchmark(command: string[]): number {
  const rates = Array.from({ length: RUNS }, () => {
    const out = spawnSync('redis-benchmark', ['-h', hostname, '-p', redisPort, '-c', String(CONNECTIONS), '-n', '100000', '--csv', ...command], {
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`redis-benchmark failed: ${out.stderr}`);
    return Number(/"([\d.]+)"/.exec(out.stdout.trim().split('\n').at(-1)!)?.[1]);
  });
  return median(rates);
}
const redisGet = redisBenchmark(['GET', stored[0]]);
const redisMget = redisBenchmark(['MGET', ...stored.slice(0, BATCH)]);

const m = (label: string, k: keyof H2Figures) => median(results[label].map((x) => x[k]));
const row = (label: string) =>
  `| ${label} | ${Math.round(m(label, 'rate')).toLocaleString('en')} | ${m(label, 'p50').toFixed(2)} | ${m(label, 'p99').toFixed(2)} | ${m(label, 'serverCpuMs').toFixed(3)} | ${m(label, 'serverCores').toFixed(2)} | ${m(label, 'otherCpuMs').toFixed(3)} |`;
const ratio = (a: string, b: string) => m(a, 'rate') / m(b, 'rate');
const oneRatio = ratio('1 entity: ours', '1 entity: bare, empty reply');
const hundredRatio = ratio('100 entities: ours', '100 entities: bare, same bytes');
writeSection(
  'online-floor',
  `
## Online serving against its floor (h2load)

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`bench/online-floor.ts\`: RetrieveOnline of 1 and of ${BATCH} entities x ${FEATURES}
FLOAT32 features (Redis, ${ENTITIES.toLocaleString('en')} entities) on the all-in-one bundle (one process), beside a bare grpc-js server
on the same path answering an empty message, and one answering the very bytes of our ${BATCH}-entity answer
(${sample.answerBytes.toLocaleString('en')} bytes). h2load (C, one thread): ${CONNECTIONS} connections x 1 stream, or 1 connection serially,
${SECONDS} s after 1 s of warm-up, a new random key set each run, ${RUNS} runs interleaved, medians. Every answer's size is checked
(h2load counts HTTP 200s; a gRPC error is one too, without the body). CPU from /proc: the server's per call and in
cores over the run; "others" is the rest of the machine per call (h2load, Redis, the kernel).

| workload: server | calls/s | p50 ms | p99 ms | server CPU ms/call | server cores | others CPU ms/call |
|---|---|---|---|---|---|---|
${Object.keys(results).map(row).join('\n')}

Raw Redis (redis-benchmark, ${CONNECTIONS} clients, the stored entries): GET of one ${Math.round(redisGet).toLocaleString('en')}/s, MGET of ${BATCH} ${Math.round(redisMget).toLocaleString('en')}/s.

| goal (issue #16) | measured |
|---|---|
| 1 entity: >= 0.9x the bare server's calls/s | **${oneRatio.toFixed(2)}x** |
| 1 entity: serial p99 <= 1 ms | **${m('serial, 1 entity: ours', 'p99').toFixed(2)} ms** |
| 100 entities: server CPU <= 0.5 ms per call | **${m('100 entities: ours', 'serverCpuMs').toFixed(2)} ms** |
| 100 entities: >= 0.5x the bare server sending the same bytes | **${hundredRatio.toFixed(2)}x** |
`,
);
console.log(JSON.stringify(results));
console.log(
  `1 entity ${oneRatio.toFixed(2)}x bare; 100 entities ${hundredRatio.toFixed(2)}x bare-bytes, ${m('100 entities: ours', 'serverCpuMs').toFixed(2)} ms CPU/call`,
);
for (const c of [projects, featureSets, ingest, retrieve]) c.close();
for (const c of children) c.kill('SIGTERM');
process.exit(0);
