// Online serving against its floor (issue #16's method): RetrieveOnline of 1 and of 100 entities x
// 50 FLOAT32 features (Redis) on the retrieve function's bundle (catalog on PostgreSQL), with one
// worker and with two (node:cluster), beside a bare grpc-js server answering the
// same path with an empty message (the 1-entity floor) and with the very bytes of our 100-entity
// answer (the 100-entity floor), a bare node:http2 server (the transport's floor), and raw Redis (redis-benchmark GET / MGET of the stored entries),
// in one run. h2load drives every server with pre-encoded requests (a different random key set per
// run), closed loops of 32 connections x 1 stream, and 1 connection serially; every answer's size is
// checked (h2load counts HTTP 200s, and a gRPC error is one too); server CPU per call from /proc.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
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
import { redisBenchmark } from './redis-benchmark.js';
import { feastRequest, startFeast, wrk, FEAST_VERSION, type WrkFigures } from './feast.js';
import { ingestWideFloat32, registerWideFeatureSet } from './wide-set.js';
import { machine, median, untilServing, writeSection } from './report.js';
import { catalogDatabase, startedProcesses, startProcess } from './processes.js';

const REDIS_URL = process.env['FEATURESTORE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:46490';
const CONNECTIONS = 32;
const SECONDS = Number(process.env['BENCH_ONLINE_SECONDS'] ?? 5);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const ENTITIES = 10_000;
const FEATURES = 50;
const BATCH = 100;

const scratch = mkdtempSync(join(tmpdir(), 'fs-bench-floor-'));
// The catalog: a new database on the benchmarks' PostgreSQL, which the retrieve function's processes share.
const catalog = await catalogDatabase('bench_floor');
const common = { FEATURESTORE_BIND: '127.0.0.1', LOG_LEVEL: 'warn', FEATURESTORE_METADATA_URL: catalog.url, FEATURESTORE_ONLINE_URL: REDIS_URL };
// Setting up through the all-in-one bundle (authentication off; bench/online-auth.ts measures it on).
const setup = await startProcess(['dist/functions/all-in-one.mjs'], { ...common, FEATURESTORE_FILE_ROOTS: scratch });
const address = `127.0.0.1:${setup.port}`;
const projects = new ProjectServiceClient(address, credentials.createInsecure());
const featureSets = new FeatureSetServiceClient(address, credentials.createInsecure());
const ingest = new IngestServiceClient(address, credentials.createInsecure());
let retrieve = new RetrieveServiceClient(address, credentials.createInsecure());
await untilServing(() => unary(projects, projects.listProjects, { pageSize: 1, pageToken: '', namePrefix: '' }));
const project = `floor_${Date.now()}`;
const names = await registerWideFeatureSet({ projects, featureSets }, project, FEATURES, DataType.DATA_TYPE_FLOAT32);
const now = timestampFromDate(new Date());
await ingestWideFloat32(ingest, project, names, ENTITIES, now, (i, k) => i / 7 + k);

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
// Stored entries, for the floors that read Redis and for redis-benchmark.
const redis = new Redis(REDIS_URL);
const stored: string[] = [];
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `fs:*`, 'COUNT', 1000);
  cursor = next;
  stored.push(...keys);
} while (cursor !== '0' && stored.length < BATCH);
await redis.quit();
// What is measured: the retrieve function as deployed (its bundle), with one worker and with two.
const oneWorker = await startProcess(['dist/functions/retrieve.mjs'], { ...common, FEATURESTORE_WORKERS: '1' });
const twoWorkers = await startProcess(['dist/functions/retrieve.mjs'], { ...common, FEATURESTORE_WORKERS: '2' });
// The opt-in near cache (entries kept in the process, exact by Redis's tracking), room for every entity.
const nearCache = await startProcess(['dist/functions/retrieve.mjs'], {
  ...common,
  FEATURESTORE_WORKERS: '1',
  FEATURESTORE_ONLINE_CACHE_ENTRIES: String(2 * ENTITIES),
});
const bareEmpty = await startProcess(['bench/bare-retrieve-server.mjs'], {});
const bareBytes = await startProcess(['bench/bare-retrieve-server.mjs'], { REPLY_FILE: replyFile });
// The transport's own floor: a bare node:http2 server, which our unary calls are answered from (direct-unary.ts).
const bareHttp2 = await startProcess(['bench/bare-retrieve-server.mjs'], { TRANSPORT: 'http2' });
// The same floors reading what they answer from Redis first, as the online read path must: GET of one stored entry, MGET of 100.
const bareGet = await startProcess(['bench/bare-retrieve-server.mjs'], { REDIS_URL, REDIS_KEYS: stored[0] });
const bareMget = await startProcess(['bench/bare-retrieve-server.mjs'], { REDIS_URL, REDIS_KEYS: stored.slice(0, BATCH).join(','), REPLY_FILE: replyFile });
// The same two floors with two processes on the port (node:cluster, as our 2 workers): what a second process adds on this machine.
const bareGet2 = await startProcess(['bench/bare-retrieve-server.mjs'], { REDIS_URL, REDIS_KEYS: stored[0], PROCS: '2' });
const bareMget2 = await startProcess(['bench/bare-retrieve-server.mjs'], {
  REDIS_URL,
  REDIS_KEYS: stored.slice(0, BATCH).join(','),
  REPLY_FILE: replyFile,
  PROCS: '2',
});
await new Promise((r) => setTimeout(r, 3000));
// The answers are checked on the measured server from here on; the setup host (its timers, its
// relay) stops, so nothing but the measured servers, h2load and Redis runs.
retrieve.close();
retrieve = new RetrieveServiceClient(`127.0.0.1:${oneWorker.port}`, credentials.createInsecure());
setup.child.kill('SIGTERM');

/** A process and its children (a primary's workers). */
const family = (pid: number) => [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)];
type Server = { name: string; port: number; pid: number };
const servers = {
  ours: { name: 'retrieve, 1 worker', port: oneWorker.port, pid: oneWorker.child.pid! },
  two: { name: 'retrieve, 2 workers', port: twoWorkers.port, pid: twoWorkers.child.pid! },
  near: { name: 'retrieve, 1 worker, near cache', port: nearCache.port, pid: nearCache.child.pid! },
  empty: { name: 'bare, empty reply', port: bareEmpty.port, pid: bareEmpty.child.pid! },
  bytes: { name: 'bare, our 100-entity bytes', port: bareBytes.port, pid: bareBytes.child.pid! },
  http2: { name: 'bare node:http2, empty reply', port: bareHttp2.port, pid: bareHttp2.child.pid! },
  get: { name: 'bare, Redis GET, empty reply', port: bareGet.port, pid: bareGet.child.pid! },
  mget: { name: 'bare, Redis MGET, our 100-entity bytes', port: bareMget.port, pid: bareMget.child.pid! },
  get2: { name: 'bare, Redis GET, empty reply, 2 processes', port: bareGet2.port, pid: bareGet2.child.pid! },
  mget2: { name: 'bare, Redis MGET, our 100-entity bytes, 2 processes', port: bareMget2.port, pid: bareMget2.child.pid! },
} satisfies Record<string, Server>;

const run = (s: Server, body: Buffer, answerBytes: number, connections: number) =>
  h2load({
    url: `http://127.0.0.1:${s.port}/featurestore.v1.RetrieveService/RetrieveOnline`,
    body,
    answerBytes,
    connections,
    seconds: SECONDS,
    serverPids: family(s.pid),
    scratch,
  });

const results: Record<string, H2Figures[]> = {};
const record = (label: string, f: H2Figures) => {
  (results[label] ??= []).push(f);
  console.log(label, JSON.stringify(f));
};
for (let r = 0; r < RUNS; r++) {
  const one = await workload(randomKeys(1));
  const hundred = await workload(randomKeys(BATCH));
  // Alternating which goes first, so neither gains from the order.
  const pairs: Array<[string, () => H2Figures]> = [
    ['1 entity: ours', () => run(servers.ours, one.body, one.answerBytes, CONNECTIONS)],
    ['1 entity: bare, empty reply', () => run(servers.empty, one.body, 5, CONNECTIONS)],
    ['1 entity: bare, Redis GET + empty reply', () => run(servers.get, one.body, 5, CONNECTIONS)],
    ['1 entity: bare node:http2, empty reply', () => run(servers.http2, one.body, 5, CONNECTIONS)],
    ['1 entity: ours, 2 workers', () => run(servers.two, one.body, one.answerBytes, CONNECTIONS)],
    ['1 entity: bare, Redis GET + empty reply, 2 processes', () => run(servers.get2, one.body, 5, CONNECTIONS)],
    ['1 entity: ours, near cache', () => run(servers.near, one.body, one.answerBytes, CONNECTIONS)],
    ['100 entities: ours', () => run(servers.ours, hundred.body, hundred.answerBytes, CONNECTIONS)],
    ['100 entities: bare, same bytes', () => run(servers.bytes, hundred.body, sample.answerBytes, CONNECTIONS)],
    ['100 entities: bare, Redis MGET + same bytes', () => run(servers.mget, hundred.body, sample.answerBytes, CONNECTIONS)],
    ['100 entities: ours, 2 workers', () => run(servers.two, hundred.body, hundred.answerBytes, CONNECTIONS)],
    ['100 entities: bare, Redis MGET + same bytes, 2 processes', () => run(servers.mget2, hundred.body, sample.answerBytes, CONNECTIONS)],
    ['100 entities: ours, near cache', () => run(servers.near, hundred.body, hundred.answerBytes, CONNECTIONS)],
    ['serial, 1 entity: ours', () => run(servers.ours, one.body, one.answerBytes, 1)],
    ['serial, 1 entity: bare, empty reply', () => run(servers.empty, one.body, 5, 1)],
    ['serial, 100 entities: ours', () => run(servers.ours, hundred.body, hundred.answerBytes, 1)],
  ];
  for (const [label, go] of r % 2 ? [...pairs].reverse() : pairs) record(label, go());
}
// Every answer's status after the load, too.
await workload(randomKeys(BATCH));

// Raw Redis: the same stored entries by redis-benchmark (C), 32 clients: GET of one, MGET of 100.
const raw = (command: string[]) => redisBenchmark({ url: REDIS_URL, command, connections: CONNECTIONS, runs: RUNS }).rate;
const redisGet = raw(['GET', stored[0]]);
const redisMget = raw(['MGET', ...stored.slice(0, BATCH)]);

// Feast: the same entities and values on the same Redis, its Python feature server with a worker per CPU, wrk at the same concurrency.
for (const c of startedProcesses()) c.kill('SIGSTOP'); // our servers idle meanwhile, off the CPUs
const feast = await startFeast({
  redisUrl: REDIS_URL,
  entities: ENTITIES,
  features: FEATURES,
  valueSql: (k) => `id / 7 + ${k}`,
  dir: join(scratch, 'feast'),
  workers: 2,
});
const feastUrl = `http://127.0.0.1:${feast.port}/get-online-features`;
// One answer checked: the same value as ours for an entity.
const probe = (await (
  await fetch(feastUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: feastRequest([7], FEATURES) })
).json()) as { metadata: { feature_names: string[] }; results: { values: number[] }[] };
const f0 = probe.results[probe.metadata.feature_names.indexOf('f0')]?.values[0];
if (f0 === undefined || Math.abs(f0 - 7 / 7) > 1e-5) throw new Error(`feast answered ${JSON.stringify(probe).slice(0, 500)}: not user 7's f0`);
const feastResults: Record<string, WrkFigures[]> = {};
for (let r = 0; r < RUNS; r++) {
  for (const [label, n] of [
    ['1 entity', 1],
    ['100 entities', BATCH],
  ] as const)
    (feastResults[label] ??= []).push(
      wrk({ url: feastUrl, body: feastRequest(randomKeys(n), FEATURES), connections: CONNECTIONS, seconds: SECONDS, dir: scratch }),
    );
}
feast.stop();
for (const c of startedProcesses()) c.kill('SIGCONT');

const m = (label: string, k: keyof H2Figures) => median(results[label].map((x) => x[k]));
const row = (label: string) =>
  `| ${label} | ${Math.round(m(label, 'rate')).toLocaleString('en')} | ${m(label, 'p50').toFixed(2)} | ${m(label, 'p99').toFixed(2)} | ${m(label, 'serverCpuMs').toFixed(3)} | ${m(label, 'serverCores').toFixed(2)} | ${m(label, 'otherCpuMs').toFixed(3)} |`;
const ratio = (a: string, b: string) => m(a, 'rate') / m(b, 'rate');
const oneRatio = ratio('1 entity: ours', '1 entity: bare, empty reply');
const hundredRatio = ratio('100 entities: ours', '100 entities: bare, same bytes');
const oneRedisRatio = ratio('1 entity: ours', '1 entity: bare, Redis GET + empty reply');
const oneHttp2Ratio = ratio('1 entity: ours', '1 entity: bare node:http2, empty reply');
const hundredRedisRatio = ratio('100 entities: ours', '100 entities: bare, Redis MGET + same bytes');
const workersRatio = ratio('1 entity: ours, 2 workers', '1 entity: ours');
const nearRatio = ratio('1 entity: ours, near cache', '1 entity: bare, empty reply');
const nearRatio100 = ratio('100 entities: ours, near cache', '100 entities: bare, same bytes');
const f = (label: string, k: keyof WrkFigures) => median(feastResults[label].map((x) => x[k]));
const feastRow = (label: string) =>
  `| ${label}: Feast ${FEAST_VERSION} (Python, 2 workers, wrk) | ${Math.round(f(label, 'rate')).toLocaleString('en')} | ${f(label, 'p50').toFixed(2)} | ${f(label, 'p99').toFixed(2)} | | | |`;
const versus = (label: string) =>
  `**${(m(`${label}: ours, 2 workers`, 'rate') / f(label, 'rate')).toFixed(1)}x** its calls/s at **1/${(f(label, 'p99') / m(`${label}: ours, 2 workers`, 'p99')).toFixed(1)}** of its p99`;
const workersRatio100 = ratio('100 entities: ours, 2 workers', '100 entities: ours');
// The same multiple for the bare floors that read Redis: what a second process gives any server of this path here.
const bareTwo = ratio('1 entity: bare, Redis GET + empty reply, 2 processes', '1 entity: bare, Redis GET + empty reply');
const bareTwo100 = ratio('100 entities: bare, Redis MGET + same bytes, 2 processes', '100 entities: bare, Redis MGET + same bytes');
// What the whole machine could answer at one worker's CPU per call (server and everything else),
// as a multiple of one worker's calls/s: the most a second worker could add here.
const ceiling = (what: string) => (cpus().length * 1000) / (m(`${what}: ours`, 'serverCpuMs') + m(`${what}: ours`, 'otherCpuMs')) / m(`${what}: ours`, 'rate');
const workersNote = (what: string) =>
  `${what}: ceiling **${ceiling(what).toFixed(2)}x**, server CPU per call ${m(`${what}: ours`, 'serverCpuMs').toFixed(3)} ms with one worker and ${m(`${what}: ours, 2 workers`, 'serverCpuMs').toFixed(3)} ms with two`;
writeSection(
  'online-floor',
  `
## Online serving against its floor (h2load)

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`bench/online-floor.ts\`: RetrieveOnline of 1 and of ${BATCH} entities x ${FEATURES}
FLOAT32 features (Redis, ${ENTITIES.toLocaleString('en')} entities) on the retrieve function's bundle ("ours", below), beside a bare grpc-js
server on the same path answering an empty message, and one answering the very bytes of our ${BATCH}-entity answer
(${sample.answerBytes.toLocaleString('en')} bytes), and the same two reading Redis first (ioredis, auto-pipelined as ours: GET of a stored
entry, MGET of ${BATCH}): what any server that fetches its answer pays before its own work. h2load (C, one thread): ${CONNECTIONS} connections x 1 stream, or 1 connection serially,
after 1 s of warm-up, calls/s and CPU from a timed run of ${SECONDS} s without h2load's per-request log (its writes take CPU the server would use), p50 and p99 from a second run of about 2 s with the log; a new random key set each run, ${RUNS} runs interleaved, medians. Every answer's size is checked
(h2load counts HTTP 200s; a gRPC error is one too, without the body). CPU from /proc: the server's per call and in
cores over the run; "others" is the rest of the machine per call (h2load, Redis, the kernel).

| workload: server | calls/s | p50 ms | p99 ms | server CPU ms/call | server cores | others CPU ms/call |
|---|---|---|---|---|---|---|
${Object.keys(results).map(row).join('\n')}
${Object.keys(feastResults).map(feastRow).join('\n')}

Raw Redis (redis-benchmark, ${CONNECTIONS} clients, the stored entries): GET of one ${Math.round(redisGet).toLocaleString('en')}/s, MGET of ${BATCH} ${Math.round(redisMget).toLocaleString('en')}/s.

| goal (issue #16) | measured |
|---|---|
| 1 entity: >= 0.9x the bare server's calls/s | **${oneRatio.toFixed(2)}x** |
| (not a goal) 1 entity against a floor that reads Redis: the bare server doing one GET first | **${oneRedisRatio.toFixed(2)}x** |
| (not a goal) 1 entity against the transport's floor: a bare node:http2 server, empty reply | **${oneHttp2Ratio.toFixed(2)}x** |
| 1 entity: serial p99 <= 1 ms | **${m('serial, 1 entity: ours', 'p99').toFixed(2)} ms** |
| 100 entities: server CPU <= 0.5 ms per call | **${m('100 entities: ours', 'serverCpuMs').toFixed(2)} ms** |
| 100 entities: >= 0.5x the bare server sending the same bytes | **${hundredRatio.toFixed(2)}x** |
| (not a goal) 100 entities against a floor that reads Redis: the bare server doing the MGET of 100 first | **${hundredRedisRatio.toFixed(2)}x** |
| (opt-in near cache, every call a hit) 1 entity: against the bare server, empty reply | **${nearRatio.toFixed(2)}x** |
| (opt-in near cache, every call a hit) 100 entities: against the bare server sending the same bytes | **${nearRatio100.toFixed(2)}x** |
| Feast: >= 10x its calls/s at <= 1/10 of its p99 (ours with 2 workers, as Feast) | 1 entity: ${versus('1 entity')}; 100 entities: ${versus('100 entities')} |
| 2 workers >= 1.5x one worker's calls/s | **${workersRatio.toFixed(2)}x** (1 entity), **${workersRatio100.toFixed(2)}x** (100 entities) |
| (the floor of that goal) the bare servers reading Redis, 2 processes against 1 | **${bareTwo.toFixed(2)}x** (1 entity: GET), **${bareTwo100.toFixed(2)}x** (100 entities: MGET) |

The machine bounds what a second worker adds: with one worker, the server and the rest (h2load, Redis, the kernel) already
take the CPU per call in the table; ${cpus().length} CPUs at that cost answer at most this multiple of one worker's calls/s
(${workersNote('1 entity')}; ${workersNote('100 entities')}). The bare servers that read Redis before answering,
run as two processes on the port in the same way, gain ${bareTwo.toFixed(2)}x and ${bareTwo100.toFixed(2)}x from the second process: a server
that must wait on Redis shares this machine's two CPUs with Redis and h2load, whatever its own work.

"ours" is the retrieve function's bundle (\`dist/functions/retrieve.mjs\`, catalog on PostgreSQL, online store on Redis) with
\`FEATURESTORE_WORKERS=1\`; "2 workers" the same with two processes on the port (node:cluster). Its unary calls are answered straight
from node:http2 in front of grpc-js (\`shared/runtime/grpc/direct-unary.ts\`; grpc-js keeps the connections, streaming, health and
reflection), so the bare grpc-js server is no longer its floor: the bare node:http2 server is, and is measured beside it. On this 2-CPU machine h2load,
Redis and the kernel share the CPUs with the server: their CPU per call is the "others" column. Feast ${FEAST_VERSION} (PyPI) has the
same ${ENTITIES.toLocaleString('en')} entities and values on the same Redis (\`feast materialize\`: ${feast.materializeSeconds.toFixed(1)} s), served by \`feast serve\`
(gunicorn, 2 workers, \`--max-requests 0\`), driven by wrk (C, one thread) at ${CONNECTIONS} connections; our servers are paused meanwhile.

"near cache" is the same bundle with \`FEATURESTORE_ONLINE_CACHE_ENTRIES=${2 * ENTITIES}\` (off by default): entries kept in the process,
dropped on any change through Redis's client-side caching (CLIENT TRACKING). h2load repeats one request per run, so after the first
call every call is a hit: these rows are the best case (hot entities), not the read path, which the rows without it measure.
`,
);
console.log(JSON.stringify(results));
console.log(
  `1 entity ${oneRatio.toFixed(2)}x bare (${oneRedisRatio.toFixed(2)}x bare + GET, ${oneHttp2Ratio.toFixed(2)}x bare node:http2); 100 entities ${hundredRatio.toFixed(2)}x bare-bytes (${hundredRedisRatio.toFixed(2)}x bare + MGET), ${m('100 entities: ours', 'serverCpuMs').toFixed(2)} ms CPU/call`,
);
for (const c of [projects, featureSets, ingest, retrieve]) c.close();
for (const c of startedProcesses()) c.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 2000));
await catalog.drop();
process.exit(0);
