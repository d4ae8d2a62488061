// SparkApplications against a genuine kube-apiserver (scripts/services/kube.sh: etcd and
// kube-apiserver built from the Go module proxy, the SparkApplication CRD installed): the server
// validates what we create, a status written through the status subresource (as the operator
// writes it) reaches a watch, every state maps to a job state, delete removes the application.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KUBECONFIG, TEST_SPARK_K8S } from '../support/spark.js';
import {
  APPLICATION_STATES,
  applicationName,
  JOB_STATE_OF,
  sparkApplication,
  SparkApplications,
  tokenSecretName,
  TOKEN_ENV,
  TOKEN_KEY,
  type SparkApplication,
} from '../../shared/adapters/engine/spark/spark-applications.js';

const settings = TEST_SPARK_K8S;

describe('SparkApplications on a real kube-apiserver', { skip: !KUBECONFIG && 'needs the test API server (make test starts it)' }, () => {
  let apps: SparkApplications;
  let kc: KubeConfig;
  before(() => {
    kc = new KubeConfig();
    kc.loadFromFile(KUBECONFIG!);
    apps = new SparkApplications(kc, 'default');
  });
  const created: string[] = [];
  after(async () => {
    for (const name of created) await apps.delete(name).catch(() => {});
  });

  it('every application state maps to a job state (or to no change)', () => {
    assert.deepEqual(Object.keys(JOB_STATE_OF).sort(), [...APPLICATION_STATES].sort());
    assert.equal(JOB_STATE_OF['SUBMISSION_FAILED'], 'FAILED');
    assert.equal(JOB_STATE_OF['RUNNING'], 'RUNNING');
  });

  it('creates an application the server accepts, with the secrets by reference only', async () => {
    const jobId = crypto.randomUUID();
    const name = applicationName(jobId);
    const app = await apps.create(sparkApplication(jobId, ['s3a://bucket/jobs/plan.json'], tokenSecretName(name), settings));
    created.push(app.metadata.name);
    assert.equal(app.metadata.name, name);
    assert.ok(app.metadata.uid && app.metadata.resourceVersion, 'stored by the server');
    const spec = app.spec as { executor: { instances: number; envFrom: unknown[] }; driver: { env: unknown[] }; arguments: string[] };
    assert.equal(spec.executor.instances, 3);
    assert.deepEqual(spec.executor.envFrom, [{ secretRef: { name: 'featurestore-spark-hadoop' } }], 'credentials come from a Secret, never inline');
    assert.deepEqual(
      spec.driver.env,
      [{ name: TOKEN_ENV, valueFrom: { secretKeyRef: { name: `${name}-runner`, key: TOKEN_KEY } } }],
      "the job's credential too: the server kept the reference",
    );
    // No value of a credential anywhere (the secretKeyRef above names one; it holds none).
    assert.doesNotMatch(JSON.stringify(app.spec), /password|fsjob_|secret_access_key|accountkey/i);
  });

  it("a job's credential Secret: created, replaced by a repeated delivery, read back decoded, deleted once", async () => {
    const name = `featurestore-${crypto.randomUUID()}-runner`;
    await apps.putSecret(name, { 'featurestore.dev/job': 'x' }, { [TOKEN_KEY]: 'first' });
    await apps.putSecret(name, { 'featurestore.dev/job': 'x' }, { [TOKEN_KEY]: 'second' });
    assert.deepEqual(await apps.readSecret(name), { [TOKEN_KEY]: 'second' });
    assert.equal(await apps.deleteSecret(name), true);
    assert.equal(await apps.deleteSecret(name), false, 'gone already');
    assert.equal(await apps.readSecret(name), undefined);
  });

  it('the server refuses an application without an executor, and a status sent on create is dropped', async () => {
    const bad = sparkApplication(crypto.randomUUID(), [], 'runner', settings);
    delete (bad.spec as { executor?: unknown }).executor;
    await assert.rejects(apps.create(bad), (err: { code?: number; body?: string }) => {
      assert.equal(err.code, 422);
      assert.match(String(err.body), /executor/);
      return true;
    });
    const withStatus: SparkApplication = {
      ...sparkApplication(crypto.randomUUID(), [], 'runner', settings),
      status: { applicationState: { state: 'COMPLETED' } },
    };
    const app = await apps.create(withStatus);
    created.push(app.metadata.name);
    assert.equal(app.status?.applicationState?.state, undefined, "status is the operator's (status subresource)");
  });

  it('a watch sees the operator-style status transitions, then the deletion', async () => {
    const jobId = crypto.randomUUID();
    const name = applicationName(jobId);
    const { resourceVersion } = await apps.list();
    const seen: string[] = [];
    let deleted!: () => void;
    const gone = new Promise<void>((r) => (deleted = r));
    const controller = await apps.watch(
      resourceVersion,
      (type, app) => {
        if (app.metadata.name !== name) return;
        if (type === 'DELETED') deleted();
        else if (app.status?.applicationState) seen.push(app.status.applicationState.state);
      },
      () => {},
    );
    try {
      await apps.create(sparkApplication(jobId, [], 'runner', settings));
      for (const state of ['SUBMITTED', 'RUNNING', 'FAILING', 'FAILED'] as const) await apps.setState(name, state, state === 'FAILED' ? 'driver exited 1' : '');
      assert.equal((await apps.get(name))?.status?.applicationState?.errorMessage, 'driver exited 1');
      assert.equal(await apps.delete(name), true);
      assert.equal(await apps.delete(name), false, 'deleting twice is fine');
      await gone;
      assert.deepEqual(seen, ['SUBMITTED', 'RUNNING', 'FAILING', 'FAILED']);
      assert.deepEqual(
        seen.map((s) => JOB_STATE_OF[s as keyof typeof JOB_STATE_OF]),
        ['RUNNING', 'RUNNING', 'RUNNING', 'FAILED'],
      );
    } finally {
      controller.abort();
    }
  });

  it("knative/spark-rbac.yaml lets the spark-submit function's ServiceAccount create, watch and delete SparkApplications and write its jobs' Secrets in its namespace, and nothing else", async () => {
    const admin = KubernetesObjectApi.makeApiClient(kc);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'featurestore' } } }).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
    const docs = parseAllDocuments(readFileSync(join(import.meta.dirname, '..', '..', 'knative', 'spark-rbac.yaml'), 'utf8')).map(
      (d) => d.toJS() as KubernetesObject,
    );
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['ServiceAccount', 'Role', 'RoleBinding', 'ServiceAccount', 'Role', 'RoleBinding'],
    );
    for (const doc of docs) {
      await admin.create(doc).catch(async (err: { code?: number }) => {
        if (err.code !== 409) throw err;
        await admin.replace(doc);
      });
    }
    // The ServiceAccount's own token (TokenRequest, as a pod would have it mounted).
    const token = await core.createNamespacedServiceAccountToken({
      name: 'featurestore-spark-submit',
      namespace: 'featurestore',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const cluster = kc.getCurrentCluster()!;
    const asFunction = new KubeConfig();
    asFunction.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'spark-submit', token: token.status!.token }],
      contexts: [{ name: 'spark-submit', cluster: cluster.name, user: 'spark-submit' }],
      currentContext: 'spark-submit',
    });
    const own = new SparkApplications(asFunction, 'featurestore');
    const jobId = crypto.randomUUID();
    const { resourceVersion } = await own.list();
    const controller = await own.watch(
      resourceVersion,
      () => {},
      () => {},
    );
    controller.abort();
    const app = await own.create(sparkApplication(jobId, [], 'runner', { ...settings, namespace: 'featurestore' }));
    assert.equal((await own.get(app.metadata.name))?.metadata.name, applicationName(jobId));
    assert.equal(await own.delete(app.metadata.name), true);
    // Its jobs' credential Secrets: written and deleted by name, never read or listed.
    const secret = tokenSecretName(app.metadata.name);
    await own.putSecret(secret, {}, { [TOKEN_KEY]: 'a' });
    await own.putSecret(secret, {}, { [TOKEN_KEY]: 'b' });
    await assert.rejects(own.readSecret(secret), (err: { code?: number }) => err.code === 403, 'reading secrets');
    assert.equal(await own.deleteSecret(secret), true);
    const forbidden = (err: { code?: number }) => err.code === 403;
    await assert.rejects(
      new SparkApplications(asFunction, 'default').create(sparkApplication(crypto.randomUUID(), [], 'runner', settings)),
      forbidden,
      'other namespaces',
    );
    await assert.rejects(asFunction.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'featurestore' }), forbidden, 'secrets');
    await assert.rejects(
      asFunction.makeApiClient(CoreV1Api).createNamespacedPod({
        namespace: 'featurestore',
        body: { metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'x' }] } },
      }),
      forbidden,
      'pods (the driver runs those)',
    );
    // The operator writes status; the function may not.
    await assert.rejects(own.setState(app.metadata.name, 'COMPLETED', ''), (err: { code?: number }) => err.code === 403 || err.code === 404);
  });
});
