// spark-k8s end to end: the store on a genuine kube-apiserver, the operator's part played by the
// local stand-in (dev/spark-operator) with a real spark-submit. A job leaves the request: the
// function creates the SparkApplication and returns (the job holds no lease, so a 1-second lease
// does not end it), the operator's states come back through the watch, and the job ends by its
// application, whose runner reports progress and its result over gRPC with the job's credential
// (a Secret of its own, deleted after): ingest (committed, visible), retrieve, training set and materialize give the same
// answers as in process; bad rows come back with row and column; a cancel deletes the application;
// a driver that dies, a submission the operator cannot start and one Kubernetes refuses all end
// FAILED with their reason; nothing half-written stays. With the offline store and the source on S3
// (MinIO), the cluster reads and writes s3a:// itself, credentials from the Hadoop Secret.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { applicationName, SparkApplications, tokenSecretName, TOKEN_KEY } from '../../shared/adapters/engine/spark/spark-applications.js';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, fraudTx, unary } from '../support/grpc.js';
import { eventually, str } from '../support/helpers.js';
import { startTestHost } from '../support/hosts.js';
import { imageJars, KUBECONFIG, SPARK_SUBMIT, sparkNamespace } from '../support/spark.js';
import { freshBucket } from '../support/storage.js';

const NAMESPACE = 'fs-spark-k8s';
const CSV = 'customer_id,event_time,amount,country\nc1,2026-11-01T10:00:00Z,42.5,DE\nc2,2026-11-01T11:30:00Z,1200,US\nc1,2026-11-02T09:15:00Z,13.99,DE\n';

describe(
  'spark-k8s: jobs run as SparkApplications, outside the request',
  { skip: !(KUBECONFIG && SPARK_SUBMIT) && 'needs the test API server and Spark (make test starts them)' },
  () => {
    let kc: KubeConfig;
    let apps: SparkApplications;
    let operator: Awaited<ReturnType<typeof sparkNamespace>>['operator'];
    const hosts: RunningHost[] = [];
    let c: ReturnType<typeof clients>;
    const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-k8s-data-')));
    const offline = realpathSync(mkdtempSync(join(tmpdir(), 'fs-k8s-offline-')));

    /** A store on spark-k8s with project fraud and feature set tx; `env` overrides its settings. */
    async function store(env: Record<string, string> = {}) {
      const host = await startTestHost(ALL_FUNCTIONS, {
        FEATURESTORE_METADATA_URL: 'pglite:memory',
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_ENGINE: 'spark-k8s',
        FEATURESTORE_KUBECONFIG: KUBECONFIG!,
        FEATURESTORE_SPARK_K8S_NAMESPACE: NAMESPACE,
        FEATURESTORE_JOB_LEASE_SECONDS: '1',
        ...env,
      });
      hosts.push(host);
      const client = clients(host.port);
      await fraudTx(client);
      return client;
    }

    before(async () => {
      ({ kc, apps, operator } = await sparkNamespace(NAMESPACE, { jars: imageJars() }));
      c = await store({ FEATURESTORE_OFFLINE_DIR: offline });
    });
    after(async () => {
      for (const host of hosts) await host.stop();
      await operator.stop();
    });

    const file = (name: string, text: string) => {
      const path = join(data, name);
      writeFileSync(path, text);
      return pathToFileURL(path).href;
    };
    const ingest = (client: typeof c, uri: string) =>
      unary(client.ingest, client.ingest.startIngest, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        source: { uri, format: Format.FORMAT_UNSPECIFIED, options: {} },
        extraColumns: 0,
        requestId: '',
      });
    const history = async () =>
      (await unary(c.ingest, c.ingest.listIngests, { featureSet: { project: 'fraud', name: 'tx', version: '' }, pageSize: 0, pageToken: '' })).ingests;
    /** Waits until the job's application runs (the operator wrote RUNNING, or its runner reported). */
    const running = (id: string) =>
      eventually(
        async () => {
          const { message } = await unary(c.jobs, c.jobs.getJob, { id });
          return message.endsWith('(RUNNING)') || message.startsWith('running on Spark: ');
        },
        60_000,
        'the application running',
      );
    /** Files (not folders) under a path of the offline store. */
    const filesUnder = (path: string) =>
      existsSync(join(offline, path)) ? readdirSync(join(offline, path), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
    const ingestFolder = () => join(offline, 'fraud', 'tx', 'v1');
    const folders = () => (existsSync(ingestFolder()) ? readdirSync(ingestFolder()).sort() : []);

    it('ingests on the cluster: the request returns at once, the job ends by its application, the rows become visible', { timeout: 240_000 }, async () => {
      const job = await ingest(c, file('day1.csv', CSV));
      // The function handed the job off: the application exists, as configured.
      const app = await eventually(() => apps.get(applicationName(job.id)), 20_000, 'the SparkApplication');
      const spec = app.spec as { image: string; executor: { instances: number }; driver: { serviceAccount: string }; arguments: string[] };
      assert.deepEqual([spec.executor.instances, spec.driver.serviceAccount], [3, 'featurestore-spark-driver']);
      assert.match(spec.arguments[0], new RegExp(`^file://.*/jobs/${job.id}/plan\\.json$`));
      // The driver reports to this store's gRPC port with the job's credential, which is in a Secret of its own, not in the spec.
      assert.equal(spec.arguments[1], `grpc://127.0.0.1:${hosts[0].port}/jobs/${job.id}`);
      assert.doesNotMatch(JSON.stringify(app.spec), /fsjob_/);
      const secret = tokenSecretName(applicationName(job.id));
      assert.match((await apps.readSecret(secret))?.[TOKEN_KEY] ?? '', new RegExp(`^fsjob_${job.id}_`));
      assert.equal((await unary(c.jobs, c.jobs.getJob, { id: job.id })).state, JobState.JOB_STATE_RUNNING);
      // What the job says while it runs: the runner's own reports come through.
      const messages = new Set<string>();
      let watching = true;
      const watched = (async () => {
        while (watching) {
          messages.add((await unary(c.jobs, c.jobs.getJob, { id: job.id })).message);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const done = await finishedJob(c, job.id);
      watching = false;
      await watched;
      assert.ok(
        [...messages].some((m) => m.startsWith('running on Spark: ')),
        `a progress report from the runner among ${JSON.stringify([...messages])}`,
      );
      await eventually(async () => (await apps.readSecret(secret)) === undefined, 10_000, "the job's Secret deleted");
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.message);
      const result = done.result?.$case === 'ingestResult' ? done.result.value : undefined;
      assert.deepEqual([result?.rows, result?.duplicateRows], ['3', '0']);
      const [visible] = await history();
      assert.deepEqual([visible?.id, visible?.rows, visible?.jobId], [result?.ingestId, '3', job.id]);
      // Only the store's files stay: the ingest's Parquet, no staging or checksum files, no job folder.
      assert.deepEqual(readdirSync(join(ingestFolder(), `ingest=${result?.ingestId}`)), ['part-0.parquet']);
      assert.deepEqual(filesUnder(`jobs/${job.id}`), [], 'the job folder is emptied');
      // Statistics come from the cluster's run too.
      const fs = await unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'fraud', name: 'tx', version: '' });
      const amount = fs.schema?.features.find((f) => f.name === 'amount')?.statistics;
      assert.deepEqual([amount?.count, amount?.min, amount?.max], ['3', '13.99', '1200.0']);
    });

    it('retrieves, builds a training set and materializes on the cluster', { timeout: 300_000 }, async () => {
      const retrieve = await unary(c.retrieve, c.retrieve.startRetrieve, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        features: [],
        startTime: undefined,
        endTime: undefined,
        asOf: undefined,
        output: { format: Format.FORMAT_CSV, uri: '' },
      });
      const training = await unary(c.retrieve, c.retrieve.startTrainingSet, {
        entities: {
          $case: 'entityRows',
          value: {
            columns: ['customer_id', 'at'],
            rows: [
              { values: [str('c1'), str('2026-11-01T12:00:00Z')] },
              { values: [str('c1'), str('2026-11-03T00:00:00Z')] },
              { values: [str('c9'), str('2026-11-03T00:00:00Z')] },
            ],
          },
        },
        timestampColumn: 'at',
        features: ['fraud/tx/amount'],
        output: { format: Format.FORMAT_CSV, uri: '' },
      });
      const materialize = await unary(c.retrieve, c.retrieve.startMaterialize, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        startTime: undefined,
        endTime: undefined,
      });

      const r = await finishedJob(c, retrieve.id);
      assert.equal(r.state, JobState.JOB_STATE_SUCCEEDED, r.message);
      const rows = r.result?.$case === 'retrieveResult' ? r.result.value : undefined;
      assert.equal(rows?.rows, '3');
      const csv = readFileSync(fileURLToPath(rows?.uris[0] ?? ''), 'utf8');
      assert.equal(csv.split('\n')[0], 'customer_id,event_time,amount,country');
      assert.match(csv, /c2,2026-11-01 11:30:00\+00,1200\.0,US/);

      const t = await finishedJob(c, training.id);
      assert.equal(t.state, JobState.JOB_STATE_SUCCEEDED, t.message);
      const ts = t.result?.$case === 'retrieveResult' ? t.result.value : undefined;
      const lines = readFileSync(fileURLToPath(ts?.uris[0] ?? ''), 'utf8')
        .trim()
        .split('\n');
      assert.deepEqual(lines.slice(1), ['c1,2026-11-01 12:00:00+00,42.5', 'c1,2026-11-03 00:00:00+00,13.99', 'c9,2026-11-03 00:00:00+00,']);

      const m = await finishedJob(c, materialize.id);
      assert.equal(m.state, JobState.JOB_STATE_SUCCEEDED, m.message);
      const online = await unary(c.retrieve, c.retrieve.retrieveOnline, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        keys: [{ values: [str('c1')] }, { values: [str('c2')] }, { values: [str('c9')] }],
        features: ['amount'],
      });
      assert.deepEqual(
        online.rows.map((row) => [row.status, row.values[0]?.kind?.$case === 'float64Value' ? row.values[0].kind.value : undefined]),
        [
          [RowStatus.ROW_STATUS_PRESENT, 13.99],
          [RowStatus.ROW_STATUS_PRESENT, 1200],
          [RowStatus.ROW_STATUS_MISSING, undefined],
        ],
      );
    });

    it('refuses bad rows with row and column, leaving nothing visible or written', { timeout: 180_000 }, async () => {
      const before = [await history(), folders()];
      const job = await ingest(c, file('bad.csv', 'customer_id,event_time,amount,country\nc1,2026-11-01T10:00:00Z,abc,DE\nc2,not a time,1,US\n'));
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_FAILED);
      assert.equal(done.error?.code, 'INVALID_ARGUMENT');
      assert.deepEqual(
        done.error?.details.map((d) => [d.row, d.column]),
        [
          ['1', 'amount'],
          ['2', 'event_time'],
        ],
      );
      assert.deepEqual([await history(), folders()], before);
    });

    it('cancels by deleting the application: CANCELLED, no driver left, nothing visible', { timeout: 180_000 }, async () => {
      const before = [await history(), folders()];
      const job = await ingest(c, file('to-cancel.csv', `${CSV}c7,2026-11-07T00:00:00Z,7,NL\n`));
      await running(job.id);
      await unary(c.jobs, c.jobs.cancelJob, { id: job.id });
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_CANCELLED, done.message);
      assert.equal(await apps.get(applicationName(job.id)), undefined, 'the application is deleted');
      await eventually(async () => operator.drivers() === 0, 20_000, 'the driver stopped');
      assert.deepEqual([await history(), folders()], before);
      assert.deepEqual(filesUnder(`jobs/${job.id}`), []);
    });

    it('a driver that dies ends the job FAILED with its message', { timeout: 180_000 }, async () => {
      const before = [await history(), folders()];
      const job = await ingest(c, file('dies.csv', `${CSV}c8,2026-11-08T00:00:00Z,8,NL\n`));
      await running(job.id);
      await eventually(async () => spawnSync('pkill', ['-9', '-f', `jobs/${job.id}/plan.json`]).status === 0, 30_000, 'the driver killed');
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_FAILED);
      assert.equal(done.error?.code, 'UNAVAILABLE', 'a dead driver may run on another try');
      assert.match(done.error?.message ?? '', /^the Spark driver failed: .+; nothing was written$/s);
      assert.deepEqual([await history(), folders()], before);
    });

    it(
      'an offline store and a source on S3: the cluster reads and writes s3a:// itself, with credentials from the Hadoop Secret',
      { timeout: 300_000 },
      async () => {
        const loc = await freshBucket();
        const s3 = new S3Client({
          region: loc.region,
          endpoint: loc.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: loc.accessKeyId!, secretAccessKey: loc.secretAccessKey! },
        });
        const keys = async (prefix: string) =>
          ((await s3.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
        const text = async (uri: string) => {
          const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) ?? [];
          assert.equal(bucket, loc.bucket, uri);
          return (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).trim();
        };
        await s3.send(new PutObjectCommand({ Bucket: loc.bucket, Key: 'sources/day1.csv', Body: CSV }));
        // The keys reach the driver and executors only through this Secret (envFrom); the Spark conf holds no credential.
        const secret = `fs-s3-${loc.bucket}`;
        await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
          namespace: NAMESPACE,
          body: { metadata: { name: secret }, stringData: { AWS_ACCESS_KEY_ID: loc.accessKeyId!, AWS_SECRET_ACCESS_KEY: loc.secretAccessKey! } },
        });
        const s3c = await store({
          FEATURESTORE_OFFLINE_URL: `s3://${loc.bucket}/lake`,
          FEATURESTORE_S3_ENDPOINT: loc.endpoint!,
          FEATURESTORE_S3_ACCESS_KEY_ID: loc.accessKeyId!,
          FEATURESTORE_S3_SECRET_ACCESS_KEY: loc.secretAccessKey!,
          FEATURESTORE_SPARK_K8S_HADOOP_SECRET: secret,
          FEATURESTORE_SPARK_K8S_CONF: [
            `spark.hadoop.fs.s3a.endpoint=${loc.endpoint!}`,
            'spark.hadoop.fs.s3a.path.style.access=true',
            'spark.hadoop.fs.s3a.connection.ssl.enabled=false',
            `spark.hadoop.fs.s3a.endpoint.region=${loc.region}`,
          ].join(','),
        });
        const job = await ingest(s3c, `s3://${loc.bucket}/sources/day1.csv`);
        const app = await eventually(() => apps.get(applicationName(job.id)), 20_000, 'the SparkApplication');
        assert.match((app.spec as { arguments: string[] }).arguments[0], new RegExp(`^s3a://${loc.bucket}/lake/jobs/${job.id}/plan\\.json$`));
        assert.doesNotMatch(JSON.stringify(app.spec), new RegExp(loc.secretAccessKey!));
        const done = await finishedJob(s3c, job.id);
        assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.message);
        const result = done.result?.$case === 'ingestResult' ? done.result.value : undefined;
        assert.deepEqual([result?.rows, result?.duplicateRows], ['3', '0']);
        // Only the ingest's Parquet stays in the bucket: no staging, committer or job files.
        assert.deepEqual(await keys('lake/'), [`lake/fraud/tx/v1/ingest=${result?.ingestId}/part-0.parquet`]);
        const fs = await unary(s3c.featureSets, s3c.featureSets.getFeatureSet, { project: 'fraud', name: 'tx', version: '' });
        const amount = fs.schema?.features.find((f) => f.name === 'amount')?.statistics;
        assert.deepEqual([amount?.count, amount?.min, amount?.max], ['3', '13.99', '1200.0']);

        const training = await unary(s3c.retrieve, s3c.retrieve.startTrainingSet, {
          entities: {
            $case: 'entityRows',
            value: {
              columns: ['customer_id', 'at'],
              rows: [{ values: [str('c1'), str('2026-11-01T12:00:00Z')] }, { values: [str('c2'), str('2026-11-01T11:00:00Z')] }],
            },
          },
          timestampColumn: 'at',
          features: ['fraud/tx/amount'],
          output: { format: Format.FORMAT_CSV, uri: '' },
        });
        const t = await finishedJob(s3c, training.id);
        assert.equal(t.state, JobState.JOB_STATE_SUCCEEDED, t.message);
        const ts = t.result?.$case === 'retrieveResult' ? t.result.value : undefined;
        assert.match(ts?.uris[0] ?? '', new RegExp(`^s3://${loc.bucket}/lake/`));
        assert.deepEqual((await text(ts?.uris[0] ?? '')).split('\n').slice(1), ['c1,2026-11-01 12:00:00+00,42.5', 'c2,2026-11-01 11:00:00+00,']);
        s3c.close();
        s3.destroy();
      },
    );

    it('a submission the operator cannot start, and one Kubernetes refuses, end FAILED with the reason', { timeout: 120_000 }, async () => {
      const missing = await store({ FEATURESTORE_SPARK_K8S_MAIN: 'local:///opt/featurestore/missing.py' });
      const unsubmitted = await finishedJob(missing, (await ingest(missing, file('a.csv', CSV))).id);
      assert.equal(unsubmitted.state, JobState.JOB_STATE_FAILED);
      assert.equal(unsubmitted.error?.code, 'FAILED_PRECONDITION');
      assert.match(unsubmitted.error?.message ?? '', /^the Spark application could not be submitted: .*missing\.py does not exist/);

      const refused = await store({ FEATURESTORE_SPARK_K8S_NAMESPACE: 'fs-no-such-namespace' });
      const job = await finishedJob(refused, (await ingest(refused, file('b.csv', CSV))).id);
      assert.equal(job.state, JobState.JOB_STATE_FAILED);
      assert.equal(job.error?.code, 'FAILED_PRECONDITION');
      assert.match(job.error?.message ?? '', /namespaces "fs-no-such-namespace" not found/);
      missing.close();
      refused.close();
    });
  },
);
