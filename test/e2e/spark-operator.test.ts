// The local stand-in of the Spark operator (dev/spark-operator) on a genuine kube-apiserver with a
// real spark-submit: an application runs to COMPLETED through the operator's states, a failing
// driver ends FAILED with the runner's error, a missing application file is SUBMISSION_FAILED, and
// deleting an application mid-run kills its driver.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KUBECONFIG, SPARK_SUBMIT, TEST_SPARK_K8S } from '../support/spark.js';
import { startSparkOperator } from '../../dev/spark-operator/operator.js';
import { SPARK_RUNNER } from '../../shared/adapters/engine/spark/spark-submit.js';
import { applicationName, sparkApplication, SparkApplications, tokenSecretName, TOKEN_KEY } from '../../shared/adapters/engine/spark/spark-applications.js';
import { A } from '../support/pit-histories.js';

const settings = TEST_SPARK_K8S;

describe('the Spark operator stand-in', { skip: !(KUBECONFIG && SPARK_SUBMIT) && 'needs the test API server and Spark (make test starts them)' }, () => {
  let apps: SparkApplications;
  let operator: Awaited<ReturnType<typeof startSparkOperator>>;
  const work = mkdtempSync(join(tmpdir(), 'fs-operator-'));
  before(async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(KUBECONFIG!);
    apps = new SparkApplications(kc, 'default');
    operator = await startSparkOperator({
      kc,
      namespace: 'default',
      sparkSubmit: SPARK_SUBMIT!,
      master: 'local[1]',
      localPaths: { '/opt/featurestore/': `${dirname(SPARK_RUNNER)}/` },
    });
    // The applications' Hadoop Secret (object-store credentials in a deployment), which their drivers get through envFrom.
    await apps.putSecret(settings.hadoopSecret!, {}, { FEATURESTORE_TEST_HADOOP: 'yes' });
  });
  after(() => operator.stop());

  /** Submits an application for `plan` and records every state the operator writes, until `last` (or the deletion). */
  async function submit(
    plan: object,
    o: { main?: string; until: string[]; onState?: (state: string, name: string) => Promise<void>; withoutSecret?: boolean; hadoopSecret?: string },
  ) {
    const jobId = crypto.randomUUID();
    const dir = mkdtempSync(join(work, 'job-'));
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    const secret = tokenSecretName(applicationName(jobId));
    if (!o.withoutSecret) await apps.putSecret(secret, {}, { [TOKEN_KEY]: 'fsjob_test' });
    const app = sparkApplication(jobId, [join(dir, 'plan.json'), join(dir, 'result.json')], secret, {
      ...settings,
      mainApplicationFile: o.main ?? settings.mainApplicationFile,
      hadoopSecret: o.hadoopSecret ?? settings.hadoopSecret,
    });
    const { resourceVersion } = await apps.list();
    const states: Array<{ state: string; message: string }> = [];
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const controller = await apps.watch(
      resourceVersion,
      (type, a) => {
        if (a.metadata.name !== app.metadata.name) return;
        if (type === 'DELETED') return finish();
        const s = a.status?.applicationState;
        if (!s || states.at(-1)?.state === s.state) return;
        states.push({ state: s.state, message: s.errorMessage ?? '' });
        void o.onState?.(s.state, a.metadata.name);
        if (o.until.includes(s.state)) finish();
      },
      () => {},
    );
    await apps.create(app);
    await done;
    controller.abort();
    return { states, dir, name: app.metadata.name };
  }

  it('runs an application to COMPLETED through the operator states', { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(work, 'out-'));
    const plan = { kind: 'retrieve', schema: A, files: [], columns: ['id', 'et', 'x', 'y'], orderBy: ['id', 'et'], format: 'CSV', outputDir: `file://${out}` };
    const { states, dir, name } = await submit(plan, { until: ['COMPLETED', 'FAILED'] });
    assert.deepEqual(
      states.map((s) => s.state),
      ['SUBMITTED', 'RUNNING', 'SUCCEEDING', 'COMPLETED'],
    );
    assert.equal((JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { rows: number }).rows, 0);
    await apps.delete(name);
  });

  it('a failing driver ends FAILED with its error; a missing application file is SUBMISSION_FAILED', { timeout: 120_000 }, async () => {
    const failed = await submit({ kind: 'bogus' }, { until: ['COMPLETED', 'FAILED'] });
    assert.deepEqual(
      failed.states.map((s) => s.state),
      ['SUBMITTED', 'RUNNING', 'FAILING', 'FAILED'],
    );
    assert.equal(failed.states.at(-1)!.message, 'plan kind bogus is not run by this runner yet');
    await apps.delete(failed.name);

    const unsubmitted = await submit({ kind: 'retrieve' }, { main: 'local:///opt/featurestore/missing.py', until: ['SUBMISSION_FAILED'] });
    assert.deepEqual(
      unsubmitted.states.map((s) => s.state),
      ['SUBMITTED', 'SUBMISSION_FAILED'],
    );
    assert.match(unsubmitted.states.at(-1)!.message, /missing\.py does not exist/);
    await apps.delete(unsubmitted.name);

    // The driver's credential comes from the job's Secret: without it the driver cannot start.
    const noSecret = await submit({ kind: 'retrieve' }, { until: ['SUBMISSION_FAILED', 'COMPLETED', 'FAILED'], withoutSecret: true });
    assert.deepEqual(
      noSecret.states.map((s) => s.state),
      ['SUBMITTED', 'SUBMISSION_FAILED'],
    );
    assert.match(noSecret.states.at(-1)!.message, /secret "featurestore-.*-runner" \(key token\) not found/);
    await apps.delete(noSecret.name);
    // Nor without the Secret its environment comes from.
    const noHadoop = await submit({ kind: 'retrieve' }, { until: ['SUBMISSION_FAILED', 'COMPLETED', 'FAILED'], hadoopSecret: 'fs-no-such-hadoop-secret' });
    assert.deepEqual(
      noHadoop.states.map((s) => s.state),
      ['SUBMITTED', 'SUBMISSION_FAILED'],
    );
    assert.equal(noHadoop.states.at(-1)!.message, 'failed to start the driver: secret "fs-no-such-hadoop-secret" not found');
    await apps.delete(noHadoop.name);
  });

  it('deleting an application mid-run kills its driver; nothing more is written', { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(work, 'out-'));
    const plan = { kind: 'retrieve', schema: A, files: [], columns: ['id', 'et'], orderBy: ['id', 'et'], format: 'CSV', outputDir: `file://${out}` };
    const { states, dir } = await submit(plan, {
      until: ['COMPLETED', 'FAILED'],
      onState: async (state, name) => {
        if (state === 'RUNNING') await apps.delete(name);
      },
    });
    assert.deepEqual(
      states.map((s) => s.state),
      ['SUBMITTED', 'RUNNING'],
    );
    for (let i = 0; i < 50 && operator.drivers() > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(operator.drivers(), 0, 'the driver was killed');
    assert.ok(!existsSync(join(dir, 'result.json')), 'the killed driver wrote no result');
  });
});
