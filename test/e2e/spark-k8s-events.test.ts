// spark-k8s with FEATURESTORE_SPARK_K8S_FOLLOW=events, as deployed on Knative: the function that
// hands a job to a SparkApplication does not watch it; Knative's ApiServerSource adapter (built from
// knative.dev/eventing, run as eventing/apiserversource.yaml's ServiceAccount) sends the
// application's changes as CloudEvents to a spark-submit of its own (CloudEvents over HTTP, the
// same catalog), which ends the job: an ingest committed, a cancel CANCELLED. The operator's part
// is played by the local stand-in with a real spark-submit, on a genuine kube-apiserver.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { sparkSubmit } from '../../functions/spark-submit/index.js';
import { applicationName, SparkApplications } from '../../shared/adapters/engine/spark/spark-applications.js';
import { ApiServerEventTypes } from '../../shared/core/events.js';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { APISERVER_SOURCE, startApiServerSource, type RunningSource } from '../support/apiserver-source.js';
import { clients, finishedJob, fraudTx, unary } from '../support/grpc.js';
import { eventually } from '../support/helpers.js';
import { startTestHost } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';
import { KUBECONFIG, SPARK_SUBMIT, sparkNamespace } from '../support/spark.js';

const NAMESPACE = 'fs-spark-events';
const CSV = 'customer_id,event_time,amount,country\nc1,2026-11-01T10:00:00Z,42.5,DE\nc2,2026-11-01T11:30:00Z,1200,US\n';

describe(
  'spark-k8s on events: an ApiServerSource delivers the applications’ changes, and a spark-submit that never launched them ends their jobs',
  {
    skip:
      !(KUBECONFIG && SPARK_SUBMIT && APISERVER_SOURCE) &&
      'needs the test API server, Spark and the ApiServerSource adapter (make test builds and starts them)',
  },
  () => {
    let apps: SparkApplications;
    let operator: Awaited<ReturnType<typeof sparkNamespace>>['operator'];
    let source: RunningSource;
    let db: Awaited<ReturnType<typeof freshDatabase>>;
    let store: RunningHost;
    let follower: RunningHost;
    let counting: Server;
    let c: ReturnType<typeof clients>;
    const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-events-data-')));
    const offline = realpathSync(mkdtempSync(join(tmpdir(), 'fs-events-offline-')));
    /** Every ApiServerSource event the follower received, by type. */
    const received = new Map<string, number>();

    before(async () => {
      const k8s = await sparkNamespace(NAMESPACE);
      ({ apps, operator } = k8s);
      const kc = k8s.kc;
      db = await freshDatabase();
      const env = {
        FEATURESTORE_METADATA_URL: db.url,
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_OFFLINE_DIR: offline,
        FEATURESTORE_ENGINE: 'spark-k8s',
        FEATURESTORE_KUBECONFIG: KUBECONFIG!,
        FEATURESTORE_SPARK_K8S_NAMESPACE: NAMESPACE,
        FEATURESTORE_SPARK_K8S_FOLLOW: 'events',
      };
      // The store: every function in one process, handing jobs off but following nothing.
      store = await startTestHost(ALL_FUNCTIONS, env);
      c = clients(store.port);
      await fraudTx(c);
      // spark-submit on its own, as its Knative Service: CloudEvents over HTTP, the same catalog; the drivers report to the store's register.
      follower = await startTestHost([sparkSubmit], { ...env, FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT: `127.0.0.1:${store.port}` });
      counting = createServer((req, res) => {
        // A pass-through that counts what the source sends, then forwards it unchanged to the follower.
        const chunks: Buffer[] = [];
        req.on('data', (x: Buffer) => chunks.push(x));
        req.on('end', () => {
          const type = String(req.headers['ce-type']);
          received.set(type, (received.get(type) ?? 0) + 1);
          void fetch(`http://127.0.0.1:${follower.port}/`, {
            method: 'POST',
            headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('ce-') || k === 'content-type')) as Record<string, string>,
            body: Buffer.concat(chunks),
          }).then(
            async (reply) => res.writeHead(reply.status).end(await reply.text()),
            () => res.writeHead(502).end(),
          );
        });
      });
      await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve));
      const address = counting.address() as { port: number };
      source = await startApiServerSource(kc, NAMESPACE, `http://127.0.0.1:${address.port}/`);
    });
    after(async () => {
      await source?.stop();
      await store?.stop();
      await follower?.stop();
      counting?.close();
      await operator?.stop();
      await db?.drop();
    });

    const ingest = (name: string, text: string) => {
      const path = join(data, name);
      writeFileSync(path, text);
      return unary(c.ingest, c.ingest.startIngest, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        source: { uri: pathToFileURL(path).href, format: Format.FORMAT_UNSPECIFIED, options: {} },
        extraColumns: 0,
        requestId: '',
      });
    };

    it('an ingest ends committed by the events of its application', { timeout: 240_000 }, async () => {
      const job = await ingest('day1.csv', CSV);
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.message);
      const result = done.result?.$case === 'ingestResult' ? done.result.value : undefined;
      assert.equal(result?.rows, '2');
      const { ingests } = await unary(c.ingest, c.ingest.listIngests, {
        featureSet: { project: 'fraud', name: 'tx', version: '' },
        pageSize: 0,
        pageToken: '',
      });
      assert.deepEqual(
        ingests.map((i) => i.jobId),
        [job.id],
      );
      // Only the source's events could have ended it: the store does not watch (FEATURESTORE_SPARK_K8S_FOLLOW=events).
      // How many arrive depends on when the source listed (an application made before its list comes as one add).
      assert.ok((received.get(ApiServerEventTypes.add) ?? 0) + (received.get(ApiServerEventTypes.update) ?? 0) >= 1, JSON.stringify([...received]));
      assert.ok((await apps.get(applicationName(job.id)))?.status?.applicationState?.state === 'COMPLETED');
    });

    it('a cancel deletes the application, and its delete event ends the job CANCELLED', { timeout: 180_000 }, async () => {
      const job = await ingest('cancel.csv', `${CSV}c7,2026-11-07T00:00:00Z,7,NL\n`);
      await eventually(
        async () => {
          const { message } = await unary(c.jobs, c.jobs.getJob, { id: job.id });
          return message.endsWith('(RUNNING)') || message.startsWith('running on Spark: ');
        },
        60_000,
        'the application running',
      );
      await unary(c.jobs, c.jobs.cancelJob, { id: job.id });
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_CANCELLED, done.message);
      assert.ok((received.get(ApiServerEventTypes.delete) ?? 0) >= 1, 'the delete event came');
      assert.equal(await apps.get(applicationName(job.id)), undefined);
    });
  },
);
