// Faults, each with exact counts, on servers of the test's own (stopped and started by the repo's
// scripts): Redis restarted (reads answer UNAVAILABLE, never wrong data; StartMaterialize rebuilds),
// the object store stopped during an ingest (the job fails cleanly, a retry succeeds), PostgreSQL
// restarted during an offline ingest and during online writes (every acknowledged write is found
// exactly once). Kafka restarts are in test/e2e/service-mode.test.ts.
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { JobState, type Job } from '../../shared/gen/featurestore/v1/job.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, projectWithFeatureSet, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { privateService, type PrivateService } from '../support/private-services.js';
import { eventually, str } from '../support/helpers.js';

const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-faults-')));

async function setUp(env: Record<string, string>): Promise<{ host: RunningHost; c: ReturnType<typeof clients> }> {
  const host = await startTestHost(ALL_FUNCTIONS, {
    FEATURESTORE_FILE_ROOTS: data,
    FEATURESTORE_REGISTRY_MAX_AGE_MS: '0',
    FEATURESTORE_SYNC_INTERVAL_SECONDS: '0',
    ...env,
  });
  const c = clients(host.port);
  await projectWithFeatureSet(c, 'faults');
  return { host, c };
}

const ref = { project: 'faults', name: 'users', version: '' };

/** A CSV of `rows` entities k0.. with v = index. */
async function csv(name: string, rows: number): Promise<string> {
  const file = join(data, name);
  const out = createWriteStream(file);
  out.write('id,ts,v\n');
  for (let i = 0; i < rows; i++) if (!out.write(`k${i},2026-11-01T00:00:00Z,${i}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return pathToFileURL(file).href;
}

const startIngest = (c: ReturnType<typeof clients>, uri: string) =>
  unary(c.ingest, c.ingest.startIngest, { featureSet: ref, source: { uri, format: Format.FORMAT_CSV, options: {} }, extraColumns: 0, requestId: '' });

/** Entities k0..k(n-1) as served online: how many PRESENT with v = their index, and how many present but wrong. */
async function onlineCounts(c: ReturnType<typeof clients>, n: number): Promise<{ right: number; wrong: number; missing: number }> {
  const out = { right: 0, wrong: 0, missing: 0 };
  for (let from = 0; from < n; from += 1000) {
    const ids = Array.from({ length: Math.min(1000, n - from) }, (_, i) => from + i);
    const res = await unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref, keys: ids.map((i) => ({ values: [str(`k${i}`)] })), features: ['v'] });
    res.rows.forEach((r, j) => {
      if (r.status !== RowStatus.ROW_STATUS_PRESENT) out.missing++;
      else if (r.values[0]?.kind?.$case === 'int64Value' && r.values[0].kind.value === String(ids[j])) out.right++;
      else out.wrong++;
    });
  }
  return out;
}

/** One online write (a new entity k1000000, k1000001, ...) every 20 ms until stopped (and `atLeast` in all); which were acknowledged. */
function onlineWriter(c: ReturnType<typeof clients>) {
  const acknowledged: number[] = [];
  const refused: number[] = [];
  let writing = true;
  let atLeast = 0;
  const done = (async () => {
    for (let i = 0; writing || i < atLeast; i++) {
      const id = 1_000_000 + i;
      const ok = await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: ref,
        columns: ['id', 'ts', 'v'],
        rows: [
          {
            values: [
              str(`k${id}`),
              { kind: { $case: 'timestampValue', value: timestampFromDate(new Date('2026-11-02T00:00:00Z')) } },
              { kind: { $case: 'int64Value', value: String(id) } },
            ],
          },
        ],
      }).then(
        (r) => r.accepted === 1,
        () => false,
      );
      (ok ? acknowledged : refused).push(id);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop(total = 0) {
      atLeast = total;
      writing = false;
      await done;
      return { acknowledged, refused };
    },
  };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => status.OK,
    (e: ServiceError) => e.code,
  );

describe('faults', () => {
  const started: PrivateService[] = [];
  after(() => {
    for (const s of started) s.dispose();
  });

  it('Redis restarted: reads answer UNAVAILABLE meanwhile, never wrong data; StartMaterialize rebuilds every key', async () => {
    const redis = privateService('redis', { FEATURESTORE_REDIS_PORT: '22390' });
    started.push(redis);
    const { host, c } = await setUp({ FEATURESTORE_METADATA_URL: 'pglite:memory', FEATURESTORE_ONLINE_URL: redis.address.split(' ')[0] });
    try {
      const N = 3000;
      assert.equal((await finishedJob(c, (await startIngest(c, await csv('redis.csv', N))).id)).state, JobState.JOB_STATE_SUCCEEDED);
      await eventually(async () => (await onlineCounts(c, N)).right === N, 30_000, 'the ingest online');
      redis.stop();
      assert.equal(await codeOf(onlineCounts(c, 10)), status.UNAVAILABLE, 'reads while Redis is down');
      const write = unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: ref,
        columns: ['id', 'ts', 'v'],
        rows: [
          { values: [str('k0'), { kind: { $case: 'timestampValue', value: timestampFromDate(new Date()) } }, { kind: { $case: 'int64Value', value: '0' } }] },
        ],
      });
      assert.equal(await codeOf(write), status.UNAVAILABLE, 'writes while Redis is down');
      redis.start(); // empty: no persistence
      await eventually(async () => (await codeOf(onlineCounts(c, 1))) === status.OK, 20_000, 'Redis back');
      assert.deepEqual(await onlineCounts(c, N), { right: 0, wrong: 0, missing: N }, 'an empty Redis answers MISSING, never a wrong value');
      const job = await unary(c.retrieve, c.retrieve.startMaterialize, { featureSet: ref, startTime: undefined, endTime: undefined });
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.message);
      assert.deepEqual(done.result?.$case === 'materializeResult' ? [done.result.value.rows, done.result.value.written] : [], [String(N), String(N)]);
      assert.deepEqual(await onlineCounts(c, N), { right: N, wrong: 0, missing: 0 });
    } finally {
      c.close();
      await host.stop();
    }
  });

  it('a Redis Cluster master killed (3 masters + 3 replicas): a replica takes over, every key written before is served, writes during the failover are acknowledged or refused', async () => {
    const redis = privateService('redis', { FEATURESTORE_REDIS_PORT: '22400', FEATURESTORE_REDIS_CLUSTER_REPLICAS: '1' });
    started.push(redis);
    const cluster = redis.address.split(' ')[1];
    const { host, c } = await setUp({ FEATURESTORE_METADATA_URL: 'pglite:memory', FEATURESTORE_ONLINE_URL: cluster });
    try {
      const N = 3000;
      assert.equal((await finishedJob(c, (await startIngest(c, await csv('cluster.csv', N))).id)).state, JobState.JOB_STATE_SUCCEEDED);
      await eventually(async () => (await onlineCounts(c, N)).right === N, 30_000, 'the ingest online');
      await new Promise((r) => setTimeout(r, 500)); // replication is asynchronous: let the replicas catch up
      const port = Number(cluster.split(',')[0].split(':').at(-1));
      const victim = readFileSync(join(redis.dir, `redis-${port}.pid`), 'utf8').trim();
      const writes = onlineWriter(c);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(Number(victim), 'SIGKILL');
      const killedAt = Date.now();
      // The cluster fails over (node timeout 2 s); reads come back whole.
      await eventually(async () => (await onlineCounts(c, N).catch(() => ({ right: 0 }))).right === N, 30_000, 'every key served again after the failover');
      const recovered = Date.now() - killedAt;
      await new Promise((r) => setTimeout(r, 500));
      const { acknowledged, refused } = await writes.stop();
      assert.deepEqual(await onlineCounts(c, N), { right: N, wrong: 0, missing: 0 });
      const res = await unary(c.retrieve, c.retrieve.retrieveOnline, {
        featureSet: ref,
        keys: acknowledged.map((id) => ({ values: [str(`k${id}`)] })),
        features: ['v'],
      });
      const lost = acknowledged.filter(
        (id, j) =>
          !(
            res.rows[j].status === RowStatus.ROW_STATUS_PRESENT &&
            res.rows[j].values[0]?.kind?.$case === 'int64Value' &&
            res.rows[j].values[0].kind.value === String(id)
          ),
      );
      console.log(
        `faults: Redis Cluster master killed: served again after ${recovered} ms; online writes ${acknowledged.length} acknowledged, ${refused.length} refused, ${lost.length} acknowledged but lost`,
      );
      assert.deepEqual(lost, [], 'acknowledged writes survive the failover');
    } finally {
      c.close();
      await host.stop();
    }
  });

  it('the object store stopped during an ingest: the job fails cleanly, nothing is visible, a retry succeeds once', async () => {
    const minio = privateService('minio', { FEATURESTORE_MINIO_PORT: '29300' });
    started.push(minio);
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: minio.address,
      forcePathStyle: true,
      credentials: { accessKeyId: 'featurestore', secretAccessKey: 'featurestore-secret' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    s3.destroy();
    const { host, c } = await setUp({
      FEATURESTORE_METADATA_URL: 'pglite:memory',
      FEATURESTORE_OFFLINE_URL: 's3://lake/data',
      FEATURESTORE_S3_ENDPOINT: minio.address,
      FEATURESTORE_S3_ACCESS_KEY_ID: 'featurestore',
      FEATURESTORE_S3_SECRET_ACCESS_KEY: 'featurestore-secret',
    });
    try {
      const N = 400_000;
      const uri = await csv('s3.csv', N);
      const job = await startIngest(c, uri);
      await eventually(
        async () => ((await unary(c.jobs, c.jobs.getJob, { id: job.id })).state === JobState.JOB_STATE_RUNNING ? true : false),
        20_000,
        'the job running',
      );
      minio.stop();
      const failed = await finishedJob(c, job.id);
      minio.start();
      assert.equal(failed.state, JobState.JOB_STATE_FAILED, failed.message);
      assert.equal(failed.error?.code, 'UNAVAILABLE', failed.error?.message);
      assert.equal((await unary(c.ingest, c.ingest.listIngests, { featureSet: ref, pageSize: 0, pageToken: '' })).ingests.length, 0, 'nothing visible');
      const retry = await finishedJob(c, (await startIngest(c, uri)).id);
      assert.equal(retry.state, JobState.JOB_STATE_SUCCEEDED, retry.message);
      const ingests = (await unary(c.ingest, c.ingest.listIngests, { featureSet: ref, pageSize: 0, pageToken: '' })).ingests;
      assert.deepEqual(
        ingests.map((i) => i.rows),
        [String(N)],
        'one ingest of every row',
      );
    } finally {
      c.close();
      await host.stop();
    }
  });

  it('PostgreSQL restarted during an offline ingest and during online writes: every acknowledged write is found exactly once', async () => {
    const pg = privateService('postgres', { FEATURESTORE_PG_PORT: '25500' });
    started.push(pg);
    const { host, c } = await setUp({ FEATURESTORE_METADATA_URL: pg.address, FEATURESTORE_JOB_LEASE_SECONDS: '3' });
    try {
      const N = 300_000;
      const job = await startIngest(c, await csv('pg.csv', N));
      await eventually(
        async () => ((await unary(c.jobs, c.jobs.getJob, { id: job.id })).state === JobState.JOB_STATE_RUNNING ? true : false),
        20_000,
        'the job running',
      );
      // Online writes keep coming while the database restarts; each call is acknowledged or refused.
      const writes = onlineWriter(c);
      await new Promise((r) => setTimeout(r, 300));
      pg.stop();
      await new Promise((r) => setTimeout(r, 1500));
      pg.start();
      const { acknowledged, refused } = await writes.stop(20);
      // The acknowledged ingest ends, once: its worker lost the database mid-job, so it is retried or taken over.
      const done: Job = await eventually(
        async () => {
          const j = await unary(c.jobs, c.jobs.getJob, { id: job.id }).catch(() => undefined);
          return j && [JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED].includes(j.state) ? j : undefined;
        },
        120_000,
        'the ingest ended',
      );
      const ingests = (await unary(c.ingest, c.ingest.listIngests, { featureSet: ref, pageSize: 0, pageToken: '' })).ingests;
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, `${done.message} ${done.error?.message ?? ''}`);
      assert.deepEqual(
        ingests.map((i) => i.rows),
        [String(N)],
        'exactly one ingest of every row',
      );
      assert.ok(
        acknowledged.length > 0 && refused.length > 0,
        `writes before, during and after the restart (${acknowledged.length} acknowledged, ${refused.length} refused)`,
      );
      const res = await unary(c.retrieve, c.retrieve.retrieveOnline, {
        featureSet: ref,
        keys: acknowledged.map((id) => ({ values: [str(`k${id}`)] })),
        features: ['v'],
      });
      const right = res.rows.filter(
        (r, j) => r.status === RowStatus.ROW_STATUS_PRESENT && r.values[0]?.kind?.$case === 'int64Value' && r.values[0].kind.value === String(acknowledged[j]),
      );
      assert.equal(right.length, acknowledged.length, 'every acknowledged online write is there');
      console.log(
        `faults: PostgreSQL restart: the ingest ended ${JobState[done.state]} (${done.message}); online writes ${acknowledged.length} acknowledged and found, ${refused.length} refused`,
      );
    } finally {
      c.close();
      await host.stop();
    }
  });
});
