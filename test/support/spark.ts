// What the Spark tests share: the servers the test run started, and SparkApplication settings.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startSparkOperator } from '../../dev/spark-operator/operator.js';
import { SparkApplications, type SparkK8sSettings } from '../../shared/adapters/engine/spark/spark-applications.js';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO } from './process.js';
import type { FeatureStatistics } from '../../shared/core/model.js';

export const KUBECONFIG = process.env['FEATURESTORE_TEST_KUBECONFIG'];
export const SPARK_SUBMIT = process.env['FEATURESTORE_TEST_SPARK_SUBMIT'];

/**
 * The jars Dockerfile.spark adds to the image's Spark (the object-store connectors of
 * scripts/services/spark/pom.xml), as scripts/services/spark.sh fetched them: its cache holds
 * venv/bin/spark-submit and jars/.
 */
export function imageJars(): string[] {
  const dir = join(dirname(SPARK_SUBMIT!), '..', '..', 'jars');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => join(dir, f));
}

/** A job's application in the test namespace: small resources, credentials by Secret reference. */
export const TEST_SPARK_K8S: SparkK8sSettings = {
  namespace: 'default',
  image: 'ghcr.io/featurestore/spark-runner:0.1.0',
  sparkVersion: '4.1.1',
  serviceAccount: 'featurestore-spark-driver',
  driver: { cores: 1, memory: '1g' },
  executor: { instances: 3, cores: 1, memory: '2g' },
  sparkConf: { 'spark.ui.enabled': 'false' },
  hadoopSecret: 'featurestore-spark-hadoop',
  mainApplicationFile: 'local:///opt/featurestore/runner.py',
};

/**
 * The job image's /opt/featurestore, assembled from Dockerfile.spark's COPY lines into a new folder
 * (no Docker engine here): the operator stand-in runs the runner from there, as a pod would.
 */
export function jobImage(): string {
  const image = mkdtempSync(join(tmpdir(), 'fs-job-image-'));
  const dockerfile = readFileSync(join(REPO, 'Dockerfile.spark'), 'utf8');
  for (const [, src, dst] of dockerfile.matchAll(/^COPY (\S+) \/opt\/featurestore\/(\S*)$/gm)) cpSync(join(REPO, src), join(image, dst), { recursive: true });
  return image;
}

/** Rows compared as text, whatever type each engine gave a value (DuckDB's JSON rows; integers as numbers or text). */
export const canonical = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(normalize(r)));
function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  // Timestamps: DuckDB's JSON text "2026-11-01 00:10:00+00" and the same instant written by Spark.
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/.test(v)) return new Date(v.replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString();
  return String(v);
}
export const jsonLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Statistics as rows to compare: mean and standard deviation to 12 significant digits (sums may be added in another order). */
export const statisticsRows = (stats: Record<string, Omit<FeatureStatistics, 'computeTime'>>) =>
  Object.entries(stats).map(([feature, s]) => ({
    feature,
    count: s.count,
    nullCount: s.nullCount,
    min: s.min,
    max: s.max,
    mean: Number(s.mean).toPrecision(12),
    stddev: Number(s.stddev).toPrecision(12),
    approxDistinct: s.approxDistinct,
  }));

/** The engines end-to-end journeys run on: DuckDB in process, and Spark through spark-submit when the test run installed it. */
export const TEST_ENGINES: { name: string; env: Record<string, string>; skip: string | false }[] = [
  { name: 'embedded default', env: {}, skip: false },
  {
    name: 'spark-local',
    env: { FEATURESTORE_ENGINE: 'spark-local', FEATURESTORE_SPARK_SUBMIT: SPARK_SUBMIT ?? '', FEATURESTORE_SPARK_MASTER: 'local[2]' },
    skip: !SPARK_SUBMIT && 'needs Spark (make test installs it: scripts/services/spark.sh)',
  },
];

/**
 * The test API server's `namespace` (made if missing), its SparkApplications, and the operator
 * stand-in running them with the job image's runner and the test run's spark-submit.
 */
export async function sparkNamespace(namespace: string, options: { jars?: string[] } = {}) {
  const kc = new KubeConfig();
  kc.loadFromFile(KUBECONFIG!);
  await kc
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } })
    .catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  const operator = await startSparkOperator({
    kc,
    namespace,
    sparkSubmit: SPARK_SUBMIT!,
    master: 'local[1]',
    localPaths: { '/opt/featurestore/': `${jobImage()}/` },
    jars: options.jars,
  });
  return { kc, apps: new SparkApplications(kc, namespace), operator };
}
