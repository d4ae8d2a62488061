// Installs the CRDs the tests need into the test API server (kube.sh start): the SparkApplication
// CRD, waited on until it is Established and its storage answers (for a moment after, list and
// watch answer 404 and then 429 "storage is (re)initializing").
// Usage: node --import tsx scripts/services/kube-crds.ts <kubeconfig>
import { readFileSync } from 'node:fs';
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, loadYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';

const kc = new KubeConfig();
kc.loadFromFile(process.argv[2]);
const crds = kc.makeApiClient(ApiextensionsV1Api);
const objects = kc.makeApiClient(CustomObjectsApi);
const REPO = new URL('../../', import.meta.url).pathname;

// loadYaml keeps x-kubernetes-preserve-unknown-fields (plain JSON objects would lose it, and the
// server would then prune every field it does not know).
const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(`${REPO}dev/spark-operator/sparkapplication-crd.yaml`, 'utf8'));
const name = crd.metadata!.name!;
try {
  const current = await crds.readCustomResourceDefinition({ name });
  crd.metadata!.resourceVersion = current.metadata!.resourceVersion;
  await crds.replaceCustomResourceDefinition({ name, body: crd });
} catch (err) {
  if ((err as { code?: number }).code !== 404) throw err;
  await crds.createCustomResourceDefinition({ body: crd });
}
const until = Date.now() + 30_000;
for (;;) {
  const now = await crds.readCustomResourceDefinition({ name });
  if (now.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
  if (Date.now() > until) throw new Error(`CRD ${name} was not Established in 30 s`);
  await new Promise((r) => setTimeout(r, 100));
}
for (;;) {
  try {
    await objects.listClusterCustomObject({ group: crd.spec.group, version: crd.spec.versions[0].name, plural: crd.spec.names.plural });
    break;
  } catch (err) {
    if (Date.now() > until) throw err;
    await new Promise((r) => setTimeout(r, 100));
  }
}
console.log(`${name} installed`);
