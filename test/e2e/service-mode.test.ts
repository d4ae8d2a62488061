// Service mode end to end: every function its own process (as on Knative), events through a real
// Kafka broker (outbox relay -> topics -> dispatcher -> HTTP CloudEvents), the catalog on
// PostgreSQL, the online store on Redis, the offline store on MinIO (S3), gRPC through one ingress.
// Then the faults: every event delivered again, the broker restarted mid-pipeline, a function
// killed with SIGKILL mid-job.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CloudEvent, HTTP } from 'cloudevents';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { cloudEventOf } from '../../shared/adapters/events/kafka-publisher.js';
import { topicOf } from '../../shared/adapters/events/topics.js';
import { PING_EVENT_TYPE } from '../../shared/core/events.js';
import { DataType } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import { startLocalKnative, type LocalKnative } from '../../dev/local-knative/local-knative.js';
import { EVENT_SUBSCRIPTIONS } from '../../functions/wiring.js';
import { clients, finishedJob, unary } from '../support/grpc.js';
import { offlineRows } from '../support/offline-rows.js';
import { freshDatabase } from '../support/postgres.js';
import { REPO } from '../support/process.js';
import { testLogger } from '../support/silent-logger.js';
import { freshBucket } from '../support/storage.js';
import { eventually, f64, feature, str, ts } from '../support/helpers.js';

const brokers = () => (process.env['FEATURESTORE_TEST_KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);

describe('service mode: each function a process, over Kafka, PostgreSQL, Redis and MinIO', () => {
  const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-service-mode-')));
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let kn: LocalKnative;
  let c: ReturnType<typeof clients>;
  const lines: string[] = [];
  const project = 'svc';

  const register = async (name: string) => {
    await unary(c.featureSets, c.featureSets.registerFeatureSet, {
      project,
      name,
      schema: {
        features: [feature('id', DataType.DATA_TYPE_STRING), feature('at', DataType.DATA_TYPE_TIMESTAMP), feature('amount', DataType.DATA_TYPE_FLOAT64)],
        primaryKey: ['id'],
        eventTimeColumn: 'at',
      },
      description: '',
      tags: {},
      ttl: undefined,
      owner: '',
    });
  };
  const csv = (name: string, rows: [string, string, number][]) => {
    const path = join(data, name);
    writeFileSync(path, `id,at,amount\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    return pathToFileURL(path).toString();
  };
  const startIngest = (name: string, uri: string) =>
    unary(c.ingest, c.ingest.startIngest, {
      featureSet: { project, name, version: '' },
      source: { uri, format: 0, options: {} },
      extraColumns: 0,
      requestId: '',
    });
  const history = async (name: string) =>
    (await unary(c.ingest, c.ingest.listIngests, { featureSet: { project, name, version: '' }, pageSize: 0, pageToken: '' })).ingests;
  const online = async (name: string, ids: string[]) => {
    const res = await unary(c.retrieve, c.retrieve.retrieveOnline, {
      featureSet: { project, name, version: '' },
      keys: ids.map((id) => ({ values: [str(id)] })),
      features: ['amount'],
    });
    return res.rows.map((r) => (r.status === RowStatus.ROW_STATUS_PRESENT ? r.values[0] : undefined));
  };
  const sql = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  };

  before(async () => {
    db = await freshDatabase();
    const bucket = await freshBucket();
    kn = await startLocalKnative({
      env: {
        FEATURESTORE_METADATA_URL: db.url,
        FEATURESTORE_ONLINE_URL: process.env['FEATURESTORE_TEST_REDIS_URL']!,
        FEATURESTORE_OFFLINE_URL: `s3://${bucket.bucket}/lake`,
        FEATURESTORE_S3_ENDPOINT: bucket.endpoint!,
        FEATURESTORE_S3_ACCESS_KEY_ID: bucket.accessKeyId!,
        FEATURESTORE_S3_SECRET_ACCESS_KEY: bucket.secretAccessKey!,
        FEATURESTORE_KAFKA_BROKERS: brokers().join(','),
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_JOB_LEASE_SECONDS: '3',
        FEATURESTORE_REGISTRY_MAX_AGE_MS: '0',
        FEATURESTORE_DRAIN_SECONDS: '2',
        LOG_LEVEL: 'info',
      },
      command: (fn) => [process.execPath, '--import', 'tsx', join(REPO, 'functions', fn, 'main.ts')],
      bind: '127.0.0.1',
      ingressPort: 0,
      pingEveryMs: 1000,
      brokers: brokers(),
      logger: testLogger,
      onLine: (fn, line) => lines.push(`${fn}: ${line}`),
      dispatcher: { groupPrefix: `fs-test-${Date.now()}-`, backoffMs: 200, maxBackoffMs: 2000, attempts: 40 },
    });
    c = clients(kn.ingressPort);
    await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
  });
  after(async () => {
    c?.close();
    await kn?.stop();
    await db?.drop();
    // A kafkajs consumer that crashed while the broker was down may restart after its disconnect
    // (a timer) and keep this file's process alive: exit if anything still holds it (unref'd, so a
    // clean shutdown exits at once).
    setTimeout(() => process.exit(), 5000).unref();
  });
  const dumpOnFailure = (t: { name: string }) => (err: unknown) => {
    console.log(`--- function logs (${t.name}) ---\n${lines.slice(-150).join('\n')}`);
    throw err;
  };

  it('gRPC ingest -> job.requested -> spark-submit -> job.status -> status-handler -> ingest.committed -> offline-to-online: readable online', async (t) => {
    await (async () => {
      await register('tx');
      const job = await startIngest(
        'tx',
        csv('tx.csv', [
          ['a', '2026-11-01T10:00:00Z', 1.5],
          ['b', '2026-11-01T11:00:00Z', 2.5],
          ['a', '2026-11-02T10:00:00Z', 3.5],
        ]),
      );
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      assert.equal((await history('tx')).length, 1);
      // The newest row per key, once offline-to-online has had the ingest.committed event.
      assert.deepEqual(
        await eventually(async () => ((await online('tx', ['a', 'b'])).every(Boolean) ? online('tx', ['a', 'b']) : undefined), 30_000, 'the ingest online'),
        [f64(3.5), f64(2.5)],
      );
    })().catch(dumpOnFailure(t));
  });

  it('cron (ping) -> online-to-offline: rows written online are retrievable offline', async (t) => {
    await (async () => {
      await register('clicks');
      const put = await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: { project, name: 'clicks', version: '' },
        columns: ['id', 'at', 'amount'],
        rows: [{ values: [str('u1'), ts(new Date('2026-11-03T00:00:00Z')), f64(7)] }, { values: [str('u2'), ts(new Date('2026-11-03T01:00:00Z')), f64(8)] }],
      });
      assert.equal(put.accepted, 2);
      const rows = await eventually(
        async () => {
          const r = await offlineRows(c, project, 'clicks', 'id', 'id, amount');
          return r.length >= 2 && r;
        },
        45_000,
        'the online rows offline',
      );
      assert.deepEqual(rows, [
        { id: 'u1', amount: 7 },
        { id: 'u2', amount: 8 },
      ]);
    })().catch(dumpOnFailure(t));
  });

  it('redelivering every event (and a repeated ping) has no second effect', async (t) => {
    await (async () => {
      // Quiet first: nothing pending in the outbox, every job ended.
      await eventually(
        async () => (await sql(`SELECT count(*)::int AS n FROM outbox WHERE publish_time IS NULL AND dead_letter_time IS NULL`))[0]['n'] === 0,
        30_000,
        'the outbox drained',
      );
      await eventually(
        async () => (await sql(`SELECT count(*)::int AS n FROM jobs WHERE state IN ('PENDING', 'RUNNING')`))[0]['n'] === 0,
        30_000,
        'the jobs ended',
      );
      const ours = new Set((await sql<{ id: string }>(`SELECT event_id::text AS id FROM outbox`)).map((r) => r.id));
      const state = async () => ({
        jobs: await sql(`SELECT id, state, attempt, revision FROM jobs ORDER BY id`),
        ingests: await sql(`SELECT id, state, rows FROM ingests ORDER BY id`),
        online: await online('tx', ['a', 'b']),
        offline: await sql(`SELECT count(*)::int AS n FROM ingests WHERE state = 'COMMITTED'`),
      });
      // (The local PingSource keeps pinging meanwhile: its pings are left out of the count.)
      const handled = async () => (await sql(`SELECT count(*)::int AS n FROM processed_events WHERE source NOT LIKE '/local/pingsources/%'`))[0]['n'];
      const handledBefore = await handled();
      const before = await state();

      // Every event of this catalog, read back from its topic as the dispatcher would get it.
      const kafka = new Kafka({ clientId: 'fs-test-redeliver', brokers: brokers(), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `fs-test-redeliver-${Date.now()}`, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
      const events: CloudEvent[] = [];
      const topics = [...new Set(Object.values(EVENT_SUBSCRIPTIONS).flat().map(topicOf))];
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      // Topics carry types nobody subscribes to as well (the catalog topic's project changes): only subscribed ones count.
      const subscribed = new Set(Object.values(EVENT_SUBSCRIPTIONS).flat());
      await consumer.run({
        eachMessage: async ({ message }) => {
          const event = cloudEventOf(message);
          if (ours.has(event.id) && subscribed.has(event.type)) events.push(event as CloudEvent);
        },
      });
      const expected = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE type = ANY($1)`, [Object.values(EVENT_SUBSCRIPTIONS).flat()]))[0]
        .n;
      await eventually(async () => events.length >= expected, 30_000, `${expected} events read back`);
      await consumer.disconnect();
      assert.ok(expected >= 6, `the pipeline produced its events (${expected})`);

      const replies: number[] = [];
      for (const event of events) {
        const fn = Object.entries(EVENT_SUBSCRIPTIONS).find(([, types]) => types.includes(event.type))![0];
        const { headers, body } = HTTP.binary(event);
        const res = await fetch(`http://127.0.0.1:${kn.functions.get(fn)!.port}/`, {
          method: 'POST',
          headers: headers as Record<string, string>,
          body: JSON.stringify(body),
        });
        replies.push(res.status);
      }
      assert.deepEqual(new Set(replies), new Set([200]), 'every redelivery is recognised as handled before');
      // A PingSource that sends the same ping twice (an at-least-once retry) starts nothing twice.
      const ping = new CloudEvent({ id: 'ping-1', source: '/test/pingsources/cron', type: PING_EVENT_TYPE, data: {} });
      const pingOnce = async () => {
        const { headers, body } = HTTP.binary(ping);
        return (
          await fetch(`http://127.0.0.1:${kn.functions.get('online-to-offline')!.port}/`, {
            method: 'POST',
            headers: headers as Record<string, string>,
            body: JSON.stringify(body),
          })
        ).status;
      };
      assert.deepEqual([await pingOnce(), await pingOnce()], [202, 200]);
      assert.deepEqual(await state(), before, 'no job, ingest or online value changed');
      assert.equal(await handled(), handledBefore + 1, 'only the new ping was recorded');
    })().catch(dumpOnFailure(t));
  });

  it('a Kafka broker restart mid-pipeline: every ingest commits exactly once and no event is lost', async (t) => {
    await (async () => {
      await register('orders');
      const jobs = [];
      for (let i = 0; i < 4; i++) jobs.push(await startIngest('orders', csv(`orders-${i}.csv`, [[`k${i}`, `2026-11-0${i + 1}T00:00:00Z`, i]])));
      // The broker goes away while these jobs' events are on their way, and comes back.
      const env = { ...process.env };
      execFileSync(join(REPO, 'scripts/services/kafka.sh'), ['stop'], { env, stdio: 'ignore' });
      for (let i = 4; i < 6; i++) jobs.push(await startIngest('orders', csv(`orders-${i}.csv`, [[`k${i}`, `2026-11-0${i + 1}T00:00:00Z`, i]])));
      execFileSync(join(REPO, 'scripts/services/kafka.sh'), ['start'], { env, stdio: 'ignore' });
      for (let i = 6; i < 8; i++) jobs.push(await startIngest('orders', csv(`orders-${i}.csv`, [[`k${i}`, `2026-11-0${i + 1}T00:00:00Z`, i]])));
      const states = await Promise.all(
        jobs.map(
          async (j) =>
            (
              await eventually(
                async () => {
                  const job = await unary(c.jobs, c.jobs.getJob, { id: j.id });
                  return job.state === JobState.JOB_STATE_SUCCEEDED || job.state === JobState.JOB_STATE_FAILED ? job : undefined;
                },
                120_000,
                `job ${j.id}`,
              )
            ).state,
        ),
      );
      assert.deepEqual(
        states,
        jobs.map(() => JobState.JOB_STATE_SUCCEEDED),
      );
      const ingests = await history('orders');
      assert.equal(ingests.length, 8, 'one committed ingest per job, none twice');
      assert.deepEqual(new Set(ingests.map((i) => i.jobId)), new Set(jobs.map((j) => j.id)));
      const ids = jobs.map((_, i) => `k${i}`);
      assert.deepEqual(
        await eventually(async () => ((await online('orders', ids)).every(Boolean) ? online('orders', ids) : undefined), 60_000, 'every ingest online'),
        ids.map((_, i) => f64(i)),
      );
    })().catch(dumpOnFailure(t));
  });

  it('kill -9 of spark-submit mid-job: after its restart the job completes, once', async (t) => {
    await (async () => {
      await register('big');
      const rows: [string, string, number][] = [];
      for (let i = 0; i < 400_000; i++) rows.push([`e${i}`, '2026-11-10T00:00:00Z', i]);
      const job = await startIngest('big', csv('big.csv', rows));
      const spark = kn.functions.get('spark-submit')!;
      await eventually(async () => (await unary(c.jobs, c.jobs.getJob, { id: job.id })).state === JobState.JOB_STATE_RUNNING, 60_000, 'the job running');
      spark.child.kill('SIGKILL');
      await spark.exited;
      await kn.restart('spark-submit');
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const [row] = await sql<{ attempt: number }>(`SELECT attempt FROM jobs WHERE id = $1`, [job.id]);
      assert.equal(row.attempt, 2, 'the restarted worker took the job over from the killed one');
      const ingests = await history('big');
      assert.deepEqual(
        ingests.map((i) => [i.jobId, Number(i.rows)]),
        [[job.id, 400_000]],
      );
      assert.deepEqual(
        await eventually(
          async () => ((await online('big', ['e0', 'e399999'])).every(Boolean) ? online('big', ['e0', 'e399999']) : undefined),
          60_000,
          'online',
        ),
        [f64(0), f64(399_999)],
      );
    })().catch(dumpOnFailure(t));
  });
});
