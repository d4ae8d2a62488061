// `make test` / `npm test`: starts the servers the tests need (PostgreSQL, MinIO, Azurite, Redis, Kafka, an OpenID provider, a Kubernetes API server; Spark installed), runs every test file
// with Node's test runner through tsx, stops the servers, and ends with "N passed, N failed".
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const servicesDir = mkdtempSync(join(tmpdir(), 'featurestore-test-services-'));
// Ports apart from the ones `make bench` and a developer's own servers use, and below Linux's ephemeral range (32768-60999): a server started mid-run must not find its port taken by some client's outgoing connection. Redis Cluster nodes also listen on port + 10000 (the cluster bus), so Redis ports stay below 22758.
const env = {
  ...process.env,
  FEATURESTORE_SERVICES_DIR: servicesDir,
  FEATURESTORE_PG_PORT: process.env.FEATURESTORE_PG_PORT ?? '25433',
  FEATURESTORE_MINIO_PORT: process.env.FEATURESTORE_MINIO_PORT ?? '29100',
  // Azurite on its own default port: Hadoop's wasb:// emulator mode (test/engine/spark-azure.test.ts) dials 127.0.0.1:10000 and nothing else.
  FEATURESTORE_AZURITE_PORT: process.env.FEATURESTORE_AZURITE_PORT ?? '10000',
  FEATURESTORE_REDIS_PORT: process.env.FEATURESTORE_REDIS_PORT ?? '21390',
  FEATURESTORE_KAFKA_PORT: process.env.FEATURESTORE_KAFKA_PORT ?? '29192',
  FEATURESTORE_OIDC_PORT: process.env.FEATURESTORE_OIDC_PORT ?? '29400',
  FEATURESTORE_KUBE_PORT: process.env.FEATURESTORE_KUBE_PORT ?? '26443',
  FEATURESTORE_ETCD_PORT: process.env.FEATURESTORE_ETCD_PORT ?? '22379',
};
const SERVICES = ['postgres', 'minio', 'azurite', 'redis', 'kafka', 'oidc', 'spark', 'kube'];

function service(name, action) {
  return execFileSync(join(root, 'scripts', 'services', `${name}.sh`), [action], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = testFiles(join(root, 'test'))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
const tap = join(servicesDir, 'results.tap');
let status = 1;
try {
  const [pgUrl, s3Endpoint, azuriteEndpoint, redisUrls, kafkaBrokers, oidcIssuer, sparkSubmit, kubeconfig] = SERVICES.map((name) => service(name, 'start'));
  const [redisUrl, redisClusterUrl] = redisUrls.split(' ');
  // Knative's ApiServerSource adapter, built once per machine (Go); it runs inside the test that needs it.
  const apiServerSource = execFileSync(join(root, 'scripts', 'tools', 'apiserver-source.sh'), {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...env,
        FEATURESTORE_TEST_POSTGRES_URL: pgUrl,
        FEATURESTORE_TEST_S3_ENDPOINT: s3Endpoint,
        FEATURESTORE_TEST_AZURITE_ENDPOINT: azuriteEndpoint,
        FEATURESTORE_TEST_REDIS_URL: redisUrl,
        FEATURESTORE_TEST_REDIS_CLUSTER_URL: redisClusterUrl,
        FEATURESTORE_TEST_KAFKA_BROKERS: kafkaBrokers,
        FEATURESTORE_TEST_OIDC_ISSUER: oidcIssuer,
        FEATURESTORE_TEST_SPARK_SUBMIT: sparkSubmit,
        FEATURESTORE_TEST_KUBECONFIG: kubeconfig,
        FEATURESTORE_TEST_APISERVER_SOURCE: apiServerSource,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
    },
  );
  status = run.status ?? 1;
  const text = readFileSync(tap, 'utf8');
  const count = (label) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  console.log(`\n${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
} finally {
  for (const name of SERVICES) {
    try {
      service(name, 'stop');
    } catch (err) {
      console.error(`stopping ${name}: ${err.message}`);
    }
  }
  rmSync(servicesDir, { recursive: true, force: true });
}
process.exit(status);
