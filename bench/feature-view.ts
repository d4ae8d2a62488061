// A feature view against one feature set (issue #16): RetrieveOnline of 1 and of 100 entities for 50
// FLOAT32 features, once as one feature set of 50 and once as a feature view over 5 feature sets of
// 10 (the same entities, Redis, catalog on PostgreSQL), on the retrieve function's bundle with one
// worker. h2load drives both with pre-encoded requests (a new random key set per run, runs
// interleaved), every answer's size checked; server CPU per call from /proc.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { unary } from '../cli/client.js';
import { DataType } from '../shared/gen/featurestore/v1/common.js';
import { FeatureSetServiceClient } from '../shared/gen/featurestore/v1/feature_set.js';
import { FeatureViewServiceClient } from '../shared/gen/featurestore/v1/feature_view.js';
import { IngestServiceClient } from '../shared/gen/featurestore/v1/ingest.js';
import { ProjectServiceClient } from '../shared/gen/featurestore/v1/project.js';
import { RetrieveOnlineRequest, RetrieveOnlineResponse, RetrieveServiceClient } from '../shared/gen/featurestore/v1/retrieve.js';
import { timestampFromDate } from '../shared/runtime/api/proto-time.js';
import { encodeEntityKey } from '../shared/core/online-values.js';
import { onlineNamespace } from '../shared/core/ports/online-store.js';
import { grpcFrame, h2load, type H2Figures } from './h2load.js';
import { redisBenchmark, redisPid } from './redis-benchmark.js';
import { ingestWideFloat32, registerWideFeatureSet } from './wide-set.js';
import { machine, median, untilServing, writeSection } from './report.js';
import { catalogDatabase, startedProcesses, startProcess } from './processes.js';

const REDIS_URL = process.env['FEATURESTORE_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:46490';
const CONNECTIONS = 32;
const SECONDS = Number(process.env['BENCH_ONLINE_SECONDS'] ?? 5);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const ENTITIES = 10_000;
const SETS = 5;
const PER_SET = 10;
const BATCH = 100;

const scratch = mkdtempSync(join(tmpdir(), 'fs-bench-view-'));
const catalog = await catalogDatabase('bench_view');
const common = { FEATURESTORE_BIND: '127.0.0.1', LOG_LEVEL: 'warn', FEATURESTORE_METADATA_URL: catalog.url, FEATURESTORE_ONLINE_URL: REDIS_URL };
const setup = await startProcess(['dist/functions/all-in-one.mjs'], { ...common, FEATURESTORE_FILE_ROOTS: scratch });
const address = `127.0.0.1:${setup.port}`;
const insecure = credentials.createInsecure();
const projects = new ProjectServiceClient(address, insecure);
const featureSets = new FeatureSetServiceClient(address, insecure);
const featureViews = new FeatureViewServiceClient(address, insecure);
const ingest = new IngestServiceClient(address, insecure);
let retrieve = new RetrieveServiceClient(address, insecure);
await untilServing(() => unary(projects, projects.listProjects, { pageSize: 1, pageToken: '', namePrefix: '' }));

// The same 50 values per entity: one set of 50, and 5 sets of 10 under one view.
const project = `view_${Date.now()}`;
const now = timestampFromDate(new Date());
const wide = await registerWideFeatureSet({ projects, featureSets }, project, SETS * PER_SET, DataType.DATA_TYPE_FLOAT32);
await ingestWideFloat32(ingest, project, wide, ENTITIES, now, (i, k) => i / 7 + k);
for (let s = 0; s < SETS; s++) {
  const names = await registerWideFeatureSet({ projects, featureSets }, project, PER_SET, DataType.DATA_TYPE_FLOAT32, {
    name: `part${s}`,
    prefix: `p${s}_f`,
    existing: true,
  });
  await ingestWideFloat32(ingest, project, names, ENTITIES, now, (i, k) => i / 7 + s * PER_SET + k, `part${s}`);
}
const registered = Date.now();
await unary(featureViews, featureViews.registerFeatureView, {
  project,
  name: 'model',
  sources: Array.from({ length: SETS }, (_, s) => ({ featureSet: `${project}/part${s}`, features: [], keyColumns: [] })),
  description: '',
  tags: {},
  owner: '',
});

// offline-to-online (in the setup host) hears of the view and joins its sets: one entry per entity
// for all five, backfilled from the entries already online (docs/design.md, "Joined entries").
const admin = new Redis(REDIS_URL);
const joinName = await (async () => {
  for (const until = Date.now() + 120_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    for (const key of await admin.keys('fsj:def:*')) if ((await admin.get(key))?.includes(`fs:${project}/part0/v1:`)) return key.slice('fsj:def:'.length);
  }
  throw new Error('offline-to-online never joined the view’s sets');
})();
const countJoined = async () => {
  let n = 0;
  let cursor = '0';
  do {
    const [next, found] = await admin.scan(cursor, 'MATCH', `fsj:${joinName}:*`, 'COUNT', 5000);
    n += found.length;
    cursor = next;
  } while (cursor !== '0');
  return n;
};
while ((await countJoined()) < ENTITIES) await new Promise((r) => setTimeout(r, 100));
const joinSeconds = (Date.now() - registered) / 1000;
console.log(`joined ${ENTITIES} entities of ${SETS} sets in ${joinSeconds.toFixed(1)} s after the view was registered`);

const server = await startProcess(['dist/functions/retrieve.mjs'], { ...common, FEATURESTORE_WORKERS: '1' });
await new Promise((r) => setTimeout(r, 3000));
// The answers are checked on the measured server; the setup host (its timers, its relay) stops.
retrieve.close();
retrieve = new RetrieveServiceClient(`127.0.0.1:${server.port}`, insecure);
setup.child.kill('SIGTERM');

const randomKeys = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * ENTITIES));
const request = (keys: number[], view: boolean): RetrieveOnlineRequest => ({
  ...(view ? { featureView: { project, name: 'model', version: '' } } : { featureSet: { project, name: 'wide', version: '' } }),
  keys: keys.map((k) => ({ values: [{ kind: { $case: 'int64Value', value: String(k) } }] })),
  features: [],
});
/** A request body and its answer's size; the answer checked with a real client: every row present, the same values either way. */
async function workload(keys: number[]) {
  const bodies = await Promise.all(
    [false, true].map(async (view) => {
      const req = request(keys, view);
      const res = await unary(retrieve, retrieve.retrieveOnline, req);
      if (res.rows.length !== keys.length || res.rows.some((r) => r.values.length !== SETS * PER_SET)) throw new Error('an entity came back incomplete');
      return { res, body: grpcFrame(RetrieveOnlineRequest.encode(req).finish()), answerBytes: 5 + RetrieveOnlineResponse.encode(res).finish().length };
    }),
  );
  const [set, view] = bodies;
  if (JSON.stringify(set.res.rows.map((r) => r.values)) !== JSON.stringify(view.res.rows.map((r) => r.values)))
    throw new Error('the view and the set disagree');
  return { set, view };
}

const run = (body: Buffer, answerBytes: number) =>
  h2load({
    url: `http://127.0.0.1:${server.port}/featurestore.v1.RetrieveService/RetrieveOnline`,
    body,
    answerBytes,
    connections: CONNECTIONS,
    seconds: SECONDS,
    serverPids: [server.child.pid!],
    scratch,
  });
const results: Record<string, H2Figures[]> = {};
for (let r = 0; r < RUNS; r++) {
  for (const n of [1, BATCH]) {
    const w = await workload(randomKeys(n));
    const what = n === 1 ? '1 entity' : `${BATCH} entities`;
    const pairs: Array<[string, () => H2Figures]> = [
      [`${what}: 1 set x ${SETS * PER_SET}`, () => run(w.set.body, w.set.answerBytes)],
      [`${what}: view of ${SETS} sets x ${PER_SET}`, () => run(w.view.body, w.view.answerBytes)],
    ];
    for (const [label, go] of r % 2 ? [...pairs].reverse() : pairs) {
      const f = go();
      (results[label] ??= []).push(f);
      console.log(label, JSON.stringify(f));
    }
  }
}
await workload(randomKeys(BATCH));

// The floor on Redis, whatever the server: one MGET of the same entities' entries, the set's 100 keys
// against the view's 500 (redis-benchmark, C, fixed keys), Redis's own CPU per call from /proc.
const pid = await redisPid(REDIS_URL);
const sample = randomKeys(BATCH);
const entries = (set: string) => sample.map((k) => `fs:${onlineNamespace({ project, featureSet: set, major: 1 })}:${encodeEntityKey([String(k)])}`);
const floorKeys = {
  set: entries('wide'),
  view: Array.from({ length: SETS }, (_, s) => entries(`part${s}`)).flat(),
  joined: sample.map((k) => `fsj:${joinName}:${encodeEntityKey([String(k)])}`),
};
const present = (await admin.exists(...floorKeys.set, ...floorKeys.view, ...floorKeys.joined)) === BATCH * (SETS + 2);
admin.disconnect();
if (!present) throw new Error('the raw floor reads keys the store does not hold: check the key layout (docs/design.md)');
const floor = {
  set: redisBenchmark({ url: REDIS_URL, command: ['MGET', ...floorKeys.set], connections: CONNECTIONS, runs: RUNS, requests: 20_000, pid }),
  view: redisBenchmark({ url: REDIS_URL, command: ['MGET', ...floorKeys.view], connections: CONNECTIONS, runs: RUNS, requests: 20_000, pid }),
  joined: redisBenchmark({ url: REDIS_URL, command: ['MGET', ...floorKeys.joined], connections: CONNECTIONS, runs: RUNS, requests: 20_000, pid }),
};
console.log('raw floor', JSON.stringify(floor));

const m = (label: string, k: keyof H2Figures) => median(results[label].map((x) => x[k]));
const row = (label: string) =>
  `| ${label} | ${Math.round(m(label, 'rate')).toLocaleString('en')} | ${m(label, 'p50').toFixed(2)} | ${m(label, 'p99').toFixed(2)} | ${m(label, 'serverCpuMs').toFixed(3)} |`;
const cost = (what: string) => m(`${what}: view of ${SETS} sets x ${PER_SET}`, 'serverCpuMs') / m(`${what}: 1 set x ${SETS * PER_SET}`, 'serverCpuMs');
const slower = (what: string) => m(`${what}: 1 set x ${SETS * PER_SET}`, 'rate') / m(`${what}: view of ${SETS} sets x ${PER_SET}`, 'rate');
writeSection(
  'feature-view',
  `
## A feature view against one feature set (h2load)

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`bench/feature-view.ts\`: RetrieveOnline of 1 and of ${BATCH} entities for ${SETS * PER_SET} FLOAT32
features, as one feature set of ${SETS * PER_SET} and as a feature view over ${SETS} feature sets of ${PER_SET} (the same ${ENTITIES.toLocaleString('en')}
entities and values, Redis; the view's sets kept joined, one entry per entity, read in one MGET), on the retrieve function's bundle with one worker, catalog on
PostgreSQL. h2load, ${CONNECTIONS} connections x 1 stream, calls/s and CPU from a timed run of ${SECONDS} s without h2load's per-request log, p50/p99 from a second run of about 2 s with it, a new random key set
per run, ${RUNS} runs interleaved, medians; every answer's size checked, and the two answers' values compared.

| workload | calls/s | p50 ms | p99 ms | server CPU ms/call |
|---|---|---|---|---|
${Object.keys(results).map(row).join('\n')}

| goal (issue #16) | measured |
|---|---|
| a view of ${SETS} sets x ${PER_SET} costs <= 1.3x one set x ${SETS * PER_SET} | 1 entity: **${cost('1 entity').toFixed(2)}x** server CPU per call (**${slower('1 entity').toFixed(2)}x** the time per call); ${BATCH} entities: **${cost(`${BATCH} entities`).toFixed(2)}x** (**${slower(`${BATCH} entities`).toFixed(2)}x**) |

The floor on Redis (redis-benchmark, ${CONNECTIONS} clients, one MGET of the same ${BATCH} entities, fixed keys, Redis's CPU per call from /proc):

| MGET of ${BATCH} entities | calls/s | Redis CPU ms/call |
|---|---|---|
| the set's ${BATCH} entries | ${Math.round(floor.set.rate).toLocaleString('en')} | ${floor.set.redisCpuMs!.toFixed(3)} |
| the view's ${BATCH} joined entries (what a view read takes) | ${Math.round(floor.joined.rate).toLocaleString('en')} | ${floor.joined.redisCpuMs!.toFixed(3)} |
| the view's sets' ${BATCH * SETS} entries (a view read without the join: cluster, or keys not yet joined) | ${Math.round(floor.view.rate).toLocaleString('en')} | ${floor.view.redisCpuMs!.toFixed(3)} |

Kept as entries per set only, a view of ${SETS} sets costs Redis **${(floor.view.redisCpuMs! / floor.set.redisCpuMs!).toFixed(2)}x** a set's CPU before any
server work; joined, **${(floor.joined.redisCpuMs! / floor.set.redisCpuMs!).toFixed(2)}x** (docs/design.md, "Joined entries"). The join's price is on the
write side: each write to a set rebuilds the entity's joined entry from the ${SETS} sets' entries in the same script. Joining the
${SETS} sets' ${ENTITIES.toLocaleString('en')} entities already online (the backfill) took ${joinSeconds.toFixed(1)} s from the view's registration.
`,
);
console.log(`view/set cost: 1 entity ${cost('1 entity').toFixed(2)}x, ${BATCH} entities ${cost(`${BATCH} entities`).toFixed(2)}x`);
for (const c of [projects, featureSets, featureViews, ingest, retrieve]) c.close();
for (const c of startedProcesses()) c.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 2000));
await catalog.drop();
process.exit(0);
