// Knative's ApiServerSource adapter (scripts/tools/apiserver-source, built by the test run) as its
// controller would run it for eventing/apiserversource.yaml: the same resources and selector, the
// source's own ServiceAccount (its token, its Role), the events sent to `sink`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { WATCHED_RESOURCES } from '../../functions/wiring.js';
import { REPO } from './process.js';

export const APISERVER_SOURCE = process.env['FEATURESTORE_TEST_APISERVER_SOURCE'];

interface SourceSpec {
  mode: string;
  serviceAccountName: string;
  resources: { apiVersion: string; kind: string; selector: { matchExpressions: { key: string; operator: string }[] } }[];
}

export interface RunningSource {
  /** Every line the adapter logged (JSON). */
  log: string[];
  stop(): Promise<void>;
}

/** Applies eventing/apiserversource.yaml's ServiceAccount and Role in `namespace` and runs the adapter as that ServiceAccount. */
export async function startApiServerSource(kc: KubeConfig, namespace: string, sink: string): Promise<RunningSource> {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'eventing', 'apiserversource.yaml'), 'utf8')).map((d) => d.toJS() as KubernetesObject);
  const source = docs.find((d) => d.kind === 'ApiServerSource') as KubernetesObject & { spec: SourceSpec };
  const admin = KubernetesObjectApi.makeApiClient(kc);
  for (const doc of docs.filter((d) => d.kind !== 'ApiServerSource')) {
    const body = JSON.parse(JSON.stringify(doc).replaceAll('"namespace":"featurestore"', `"namespace":"${namespace}"`)) as KubernetesObject;
    await admin.create(body).catch(async (err: { code?: number }) => {
      if (err.code !== 409) throw err;
      await admin.replace(body);
    });
  }
  const token = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: source.spec.serviceAccountName,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = kc.getCurrentCluster()!;
  const asSource = new KubeConfig();
  asSource.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'source', token: token.status!.token }],
    contexts: [{ name: 'source', cluster: cluster.name, user: 'source' }],
    currentContext: 'source',
  });
  const dir = mkdtempSync(join(tmpdir(), 'fs-apiserver-source-'));
  writeFileSync(join(dir, 'kubeconfig'), asSource.exportConfig(), { mode: 0o600 });
  // What Knative's controller hands its adapter (K_SOURCE_CONFIG): the resources as group/version/resource, the selector as text.
  const resources = source.spec.resources.map((r) => {
    const watched = Object.values(WATCHED_RESOURCES)
      .flat()
      .find((w) => w.apiVersion === r.apiVersion && w.kind === r.kind)!;
    const [group, version] = r.apiVersion.split('/');
    const selector = r.selector.matchExpressions.map((e) => (e.operator === 'Exists' ? e.key : `${e.key} ${e.operator}`)).join(',');
    return { gvr: { Group: group, Version: version, Resource: watched.resource }, selector };
  });
  const child = spawn(APISERVER_SOURCE!, [], {
    env: {
      PATH: process.env['PATH'],
      KUBECONFIG: join(dir, 'kubeconfig'),
      K_SINK: sink,
      NAMESPACE: namespace,
      NAME: source.metadata!.name!,
      K_SOURCE_CONFIG: JSON.stringify({ namespaces: [namespace], allNamespaces: false, resources, mode: source.spec.mode }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const collect = (chunk: Buffer) => log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
