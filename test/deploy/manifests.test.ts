import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Broker } from '@kubernetes-models/knative/eventing.knative.dev/v1/Broker';
import { Trigger } from '@kubernetes-models/knative/eventing.knative.dev/v1/Trigger';
import { Service } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { ApiServerSource } from '@kubernetes-models/knative/sources.knative.dev/v1/ApiServerSource';
import { PingSource } from '@kubernetes-models/knative/sources.knative.dev/v1/PingSource';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { parse, parseAllDocuments } from 'yaml';
import { PARTITIONS, Topics, topicOf } from '../../shared/adapters/events/topics.js';
import { loadConfig, SETTINGS } from '../../shared/runtime/config.js';
import { checkAuthExposure } from '../../shared/runtime/host.js';
import {
  ALWAYS_ON_FUNCTIONS,
  CRON_SCHEDULES,
  EVENT_SUBSCRIPTIONS,
  GRPC_FUNCTIONS,
  PINGED_FUNCTIONS,
  SERVICE_MODE_FUNCTIONS,
  WATCHED_RESOURCES,
} from '../../functions/wiring.js';
import { ApiServerEventTypes } from '../../shared/core/events.js';
import { healthCheck } from '../support/hosts.js';
import { REPO, safeJson, spawnListening } from '../support/process.js';

// The deployment (knative/, eventing/, Dockerfile) checked against Knative's and Kubernetes' own
// schemas (@kubernetes-models, generated from their Go types), the Services also by Knative
// Serving's webhook validation (scripts/tools/knative-validate, Go), and against the code: the
// wiring table, the topic catalogue, the settings the functions read, the bundles the image runs.

type Manifest = { file: string; obj: any };

interface Validatable {
  validate(): void;
}
const MODELS: Record<string, new (data: any) => Validatable> = {
  'serving.knative.dev/v1/Service': Service,
  'eventing.knative.dev/v1/Broker': Broker,
  'eventing.knative.dev/v1/Trigger': Trigger,
  'sources.knative.dev/v1/PingSource': PingSource,
  'sources.knative.dev/v1/ApiServerSource': ApiServerSource,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

const DIRS = ['knative', 'eventing'];

function yamlFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir))
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort();
}

function loadManifests(): Manifest[] {
  return DIRS.flatMap((dir) =>
    yamlFiles(dir).flatMap((name) => {
      const file = `${dir}/${name}`;
      return parseAllDocuments(readFileSync(join(REPO, file), 'utf8')).map((doc) => {
        assert.deepEqual(doc.errors.map(String), [], `${file} is not valid YAML`);
        return { file, obj: doc.toJS() };
      });
    }),
  );
}

const manifests = loadManifests();
const ofKind = (kind: string) => manifests.filter((m) => m.obj.kind === kind).map((m) => m.obj);
const services = ofKind('Service');
const brokers = ofKind('Broker');
const triggers = ofKind('Trigger');
const pingSources = ofKind('PingSource');
const apiServerSources = ofKind('ApiServerSource');
const configMaps = ofKind('ConfigMap');

function validate(obj: any): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

test('every manifest in knative/ and eventing/ is valid against its Knative or Kubernetes schema', () => {
  assert.ok(manifests.length >= 14, `expected the whole deployment, found ${manifests.length} manifests`);
  for (const { file, obj } of manifests) {
    assert.doesNotThrow(() => validate(obj), `${file}: ${obj.kind} ${obj.metadata?.name}`);
    assert.equal(
      obj.metadata.namespace ?? obj.metadata.name,
      'featurestore',
      `${file}: ${obj.kind} ${obj.metadata.name} belongs in the featurestore namespace`,
    );
  }
});

test('the schemas reject broken manifests (the validation above can fail)', () => {
  const service = structuredClone(services.find((s) => s.metadata.name === 'register'));
  service.spec.template.spec.containers[0].ports[0].containerPort = 'eight thousand';
  assert.throws(() => validate(service), /containerPort/);
  const trigger = structuredClone(triggers[0]);
  trigger.spec.delivery.retry = 'ten';
  assert.throws(() => validate(trigger), /retry/);
  const ping = structuredClone(pingSources[0]);
  delete ping.spec.sink;
  ping.spec.sink = { ref: { kind: 'Service' } };
  assert.throws(() => validate(ping), /name|apiVersion/);
  assert.throws(() => validate({ apiVersion: 'sources.knative.dev/v1beta1', kind: 'KafkaSource', metadata: { name: 'x' } }), /no schema/);
});

interface WebhookResult {
  file: string;
  name: string;
  errors: string[];
  warnings: string[];
}

/** Knative Serving's own admission checks (SetDefaults + Validate from knative.dev/serving, in Go). */
function knativeWebhook(files: string[]): { code: number; results: WebhookResult[] } {
  const bin = execFileSync(join(REPO, 'scripts', 'tools', 'knative-validate.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const run = spawnSync(bin, files, { encoding: 'utf8' });
  assert.equal(run.stderr, '', 'knative-validate could not read its input');
  return {
    code: run.status ?? -1,
    results: run.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as WebhookResult),
  };
}

test("Knative Serving's webhook validation accepts every Service without a warning, and rejects broken ones", () => {
  const files = yamlFiles('knative').map((f) => join(REPO, 'knative', f));
  const { code, results } = knativeWebhook(files);
  assert.deepEqual(results.map((r) => r.name).sort(), services.map((s) => s.metadata.name).sort());
  for (const r of results) assert.deepEqual({ errors: r.errors, warnings: r.warnings }, { errors: [], warnings: [] }, `${r.file}: ${r.name}`);
  assert.equal(code, 0);

  // What the JSON schemas let through and the webhook refuses.
  const dir = mkdtempSync(join(tmpdir(), 'featurestore-knative-'));
  try {
    const register = readFileSync(join(REPO, 'knative', 'register.yaml'), 'utf8');
    const broken: Record<string, [string, string, RegExp]> = {
      'min-over-max': ['min-scale: "0"', 'min-scale: "50"', /max-scale=10 is less than min-scale=50/],
      timeout: ['timeoutSeconds: 60', 'timeoutSeconds: 3600', /timeoutSeconds/],
      'port-name': ['name: h2c', 'name: grpc', /Port name grpc is not allowed/],
    };
    for (const [name, [from, to]] of Object.entries(broken)) {
      assert.ok(register.includes(from), `knative/register.yaml has ${from}`);
      writeFileSync(join(dir, `${name}.yaml`), register.replace(from, to));
    }
    const rejected = knativeWebhook(Object.keys(broken).map((n) => join(dir, `${n}.yaml`)));
    assert.equal(rejected.code, 1);
    for (const [name, [, , message]] of Object.entries(broken)) {
      const r = rejected.results.find((x) => x.file.endsWith(`/${name}.yaml`));
      assert.match(r?.errors.join('; ') ?? '', message, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each kustomization lists every manifest of its folder', () => {
  for (const dir of DIRS) {
    const kustomization = parse(readFileSync(join(REPO, dir, 'kustomization.yaml'), 'utf8'));
    assert.deepEqual([...kustomization.resources].sort(), yamlFiles(dir), `${dir}/kustomization.yaml`);
  }
});

test('a Knative Service per function: scale to zero, concurrency target, h2c for gRPC, probes, 2 CPU / 2 GiB', () => {
  assert.deepEqual(services.map((s) => s.metadata.name).sort(), [...SERVICE_MODE_FUNCTIONS].sort());
  for (const fn of SERVICE_MODE_FUNCTIONS) {
    const svc = services.find((s) => s.metadata.name === fn);
    const annotations = svc.spec.template.metadata.annotations;
    const spec = svc.spec.template.spec;
    assert.equal(spec.containers.length, 1, fn);
    const [c] = spec.containers;
    assert.ok(existsSync(join(REPO, 'functions', fn, 'main.ts')), `${fn}: no bundle entry functions/${fn}/main.ts`);
    assert.deepEqual(c.env, [{ name: 'FUNCTION', value: fn }], `${fn}: FUNCTION picks the bundle`);
    const grpc = GRPC_FUNCTIONS.includes(fn);
    assert.deepEqual(c.ports, [{ name: grpc ? 'h2c' : 'http1', containerPort: 8080 }], `${fn}: port`);
    assert.deepEqual(c.resources.requests, { cpu: '2', memory: '2Gi' }, `${fn}: requests`);
    if (ALWAYS_ON_FUNCTIONS.includes(fn)) {
      assert.equal(annotations['autoscaling.knative.dev/min-scale'], '1', 'the relay always runs');
      assert.equal(annotations['autoscaling.knative.dev/max-scale'], '1', 'one relay keeps the outbox order');
    } else {
      assert.equal(annotations['autoscaling.knative.dev/min-scale'], '0', `${fn}: scales to zero`);
      const target = Number(annotations['autoscaling.knative.dev/target']);
      assert.ok(target > 0 || spec.containerConcurrency > 0, `${fn}: a concurrency target`);
      if (spec.containerConcurrency > 0) assert.ok(target <= spec.containerConcurrency, `${fn}: the soft target is within the hard limit`);
    }
    if (grpc) {
      assert.deepEqual(c.readinessProbe.grpc, { port: 8080 }, `${fn}: gRPC health readiness`);
      assert.deepEqual(c.livenessProbe.grpc, { port: 8080 }, `${fn}: gRPC health liveness`);
    } else {
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 8080 }, fn);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 8080 }, fn);
    }
    assert.ok(
      c.envFrom.some((from: any) => from.secretRef?.name === 'featurestore-oidc'),
      `${fn}: the OpenID provider's settings come from the Secret featurestore-oidc`,
    );
    for (const from of c.envFrom) {
      if (from.configMapRef)
        assert.ok(
          configMaps.some((m) => m.metadata.name === from.configMapRef.name),
          `${fn}: ConfigMap ${from.configMapRef.name} is not in the manifests`,
        );
    }
  }
});

test('the settings ConfigMap names only settings the functions read, with values they accept', () => {
  const config = configMaps.find((m) => m.metadata.name === 'featurestore-config');
  for (const key of Object.keys(config.data)) assert.ok(SETTINGS.includes(key), `knative/config.yaml: unknown setting ${key}`);
  // The Secrets supply the catalog URL and the issuer; everything else must parse as it stands.
  const parsed = loadConfig({
    ...config.data,
    FEATURESTORE_METADATA_URL: 'postgres://featurestore:secret@postgres:5432/featurestore',
    FEATURESTORE_OIDC_ISSUER: 'https://login.example.com/realms/main',
  });
  assert.equal(parsed.syncIntervalMs, 0, 'the PingSource drives the sync, not an in-process timer');
  assert.ok(parsed.kafkaBrokers.length > 0, 'the relay needs the brokers');
  assert.ok(!('FEATURESTORE_OIDC_ISSUER' in config.data), 'the issuer comes from the Secret featurestore-oidc');
  // One gRPC process per CPU a pod requests (no CPU limit: "auto" would see the node's every CPU).
  for (const fn of GRPC_FUNCTIONS) {
    const cpu = services.find((s) => s.metadata.name === fn).spec.template.spec.containers[0].resources.requests.cpu;
    assert.equal(parsed.workers, Number(cpu), `${fn}: FEATURESTORE_WORKERS follows its CPU request`);
  }
});

test('a deployed function refuses to start without an OpenID provider, unless told FEATURESTORE_AUTH=insecure', () => {
  const config = configMaps.find((m) => m.metadata.name === 'featurestore-config');
  const secrets = { FEATURESTORE_METADATA_URL: 'postgres://featurestore:secret@postgres:5432/featurestore' };
  // The Secret featurestore-oidc missing: the ConfigMap's FEATURESTORE_AUTH=oidc has no issuer.
  assert.throws(() => loadConfig({ ...config.data, ...secrets }), /oidc needs FEATURESTORE_OIDC_ISSUER/);
  const parsed = loadConfig({ ...config.data, ...secrets, FEATURESTORE_OIDC_ISSUER: 'https://login.example.com/realms/main' });
  assert.equal(parsed.auth, 'oidc');
  assert.equal(parsed.bind, '0.0.0.0', 'a deployed function listens on every address');
  checkAuthExposure(parsed);
  // Without the ConfigMap's FEATURESTORE_AUTH and without an issuer, authentication would be off on 0.0.0.0.
  const { FEATURESTORE_AUTH: _auth, ...withoutAuth } = config.data as Record<string, string>;
  assert.throws(() => checkAuthExposure(loadConfig({ ...withoutAuth, ...secrets })), /bind address 0\.0\.0\.0 is not loopback: set FEATURESTORE_OIDC_ISSUER/);
  checkAuthExposure(loadConfig({ ...withoutAuth, ...secrets, FEATURESTORE_AUTH: 'insecure' }));
  checkAuthExposure(loadConfig({ ...withoutAuth, ...secrets, FEATURESTORE_BIND: '127.0.0.1' }));
});

test('eventing/ follows the wiring table: a Trigger per subscription on the Broker of its topic, dead letters, the PingSource', () => {
  const brokerByName = new Map(brokers.map((b) => [b.metadata.name, b]));
  const topicOfBroker = (b: any) => b.metadata.annotations['kafka.eventing.knative.dev/external.topic'];
  for (const b of brokers) {
    assert.equal(b.metadata.annotations['eventing.knative.dev/broker.class'], 'Kafka', `${b.metadata.name}: a Kafka-class Broker`);
    assert.ok(topicOfBroker(b) in PARTITIONS, `${b.metadata.name}: topic ${topicOfBroker(b)} is not in the topic catalogue (ensureTopics would not create it)`);
    const cm = configMaps.find((m) => m.metadata.name === b.spec.config.name);
    assert.ok(cm?.data['bootstrap.servers'], `${b.metadata.name}: its config names the bootstrap servers`);
  }
  const deadLetter = brokers.filter((b) => topicOfBroker(b) === Topics.deadLetter);
  assert.equal(deadLetter.length, 1, 'one dead-letter Broker on the dead-letter topic');
  const isDeadLetterSink = (sink: any) => sink?.ref?.kind === 'Broker' && sink.ref.name === deadLetter[0].metadata.name;

  let expected = 0;
  for (const [fn, types] of Object.entries(EVENT_SUBSCRIPTIONS)) {
    for (const type of types) {
      expected += 1;
      const matching = triggers.filter((t) => t.spec.filter?.attributes?.type === type && t.spec.subscriber.ref.name === fn);
      assert.equal(matching.length, 1, `one Trigger for ${fn} on ${type}`);
      const [t] = matching;
      assert.deepEqual(t.spec.subscriber.ref, { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: fn });
      const broker = brokerByName.get(t.spec.broker);
      assert.ok(broker, `${t.metadata.name}: no Broker ${t.spec.broker}`);
      assert.equal(topicOfBroker(broker), topicOf(type), `${t.metadata.name}: ${type} travels on ${topicOf(type)}`);
      assert.ok(isDeadLetterSink(t.spec.delivery.deadLetterSink), `${t.metadata.name}: dead letters go to the dead-letter Broker`);
      assert.ok(t.spec.delivery.retry >= 3, `${t.metadata.name}: retries`);
      assert.equal(t.spec.delivery.backoffPolicy, 'exponential', t.metadata.name);
      assert.equal(
        t.metadata.annotations['kafka.eventing.knative.dev/delivery.order'],
        'ordered',
        `${t.metadata.name}: in order per partition, as the local dispatcher`,
      );
    }
  }
  assert.equal(triggers.length, expected, 'no Trigger outside the wiring table');
  for (const b of brokers.filter((x) => x !== deadLetter[0]))
    assert.ok(isDeadLetterSink(b.spec.delivery?.deadLetterSink), `${b.metadata.name}: a broker-wide dead-letter sink`);

  assert.deepEqual(pingSources.map((p) => p.spec.sink.ref.name).sort(), [...PINGED_FUNCTIONS].sort());
  for (const p of pingSources) {
    assert.equal(p.spec.sink.ref.kind, 'Service');
    assert.equal(p.spec.schedule.trim().split(/\s+/).length, 5, `${p.metadata.name}: a five-field cron schedule`);
    assert.equal(p.spec.schedule, CRON_SCHEDULES[p.spec.sink.ref.name], `${p.metadata.name}: the schedule its function declares`);
  }
});

test('eventing/ has an ApiServerSource per watched resource: its changes, whole, to the Broker of their topic, read with a ServiceAccount that may only read them', () => {
  const watched = Object.entries(WATCHED_RESOURCES).flatMap(([fn, resources]) => resources.map((r) => ({ fn, ...r })));
  assert.ok(watched.length > 0, 'spark-submit takes its SparkApplications from an ApiServerSource');
  assert.equal(apiServerSources.length, watched.length, 'one ApiServerSource per watched resource');
  for (const w of watched) {
    const source = apiServerSources.find((s) => s.spec.resources.some((r: any) => r.apiVersion === w.apiVersion && r.kind === w.kind));
    assert.ok(source, `an ApiServerSource for ${w.kind}`);
    assert.equal(source.spec.mode, 'Resource', `${source.metadata.name}: the whole object (the function reads its status)`);
    const [resource] = source.spec.resources;
    assert.deepEqual(resource.selector, { matchExpressions: [{ key: w.label, operator: 'Exists' }] }, `${source.metadata.name}: only the store's`);
    const broker = brokers.find((b) => b.metadata.name === source.spec.sink.ref.name && source.spec.sink.ref.kind === 'Broker');
    assert.ok(broker, `${source.metadata.name}: sinks to a Broker (retries and dead letters through its Triggers)`);
    for (const type of Object.values(ApiServerEventTypes)) {
      assert.ok(EVENT_SUBSCRIPTIONS[w.fn].includes(type), `${w.fn} takes ${type}`);
      assert.equal(broker.metadata.annotations['kafka.eventing.knative.dev/external.topic'], topicOf(type), `${type} travels on its Broker's topic`);
    }
    // Its ServiceAccount reads that resource, and nothing else.
    const binding = manifests.find((m) => m.obj.kind === 'RoleBinding' && m.obj.subjects.some((x: any) => x.name === source.spec.serviceAccountName))?.obj;
    const role = manifests.find((m) => m.obj.kind === 'Role' && m.obj.metadata.name === binding?.roleRef.name)?.obj;
    assert.ok(manifests.some((m) => m.obj.kind === 'ServiceAccount' && m.obj.metadata.name === source.spec.serviceAccountName));
    assert.deepEqual(role?.rules, [{ apiGroups: [w.apiVersion.split('/')[0]], resources: [w.resource], verbs: ['get', 'list', 'watch'] }]);
  }
});

test('Dockerfile.spark, the job image: the Spark and grpcio the tests run with, the runner and its proto where the settings say', () => {
  const dockerfile = readFileSync(join(REPO, 'Dockerfile.spark'), 'utf8');
  const script = readFileSync(join(REPO, 'scripts', 'services', 'spark.sh'), 'utf8');
  const spark = /^VERSION=(\S+)$/m.exec(script)?.[1];
  const grpc = /^GRPC_VERSION=(\S+)$/m.exec(script)?.[1];
  assert.match(dockerfile, new RegExp(`^FROM apache/spark:${spark}-`, 'm'), 'the Spark version the tests run');
  assert.equal(loadConfig({}).sparkK8s.sparkVersion, spark, 'the sparkVersion applications declare');
  assert.match(dockerfile, new RegExp(`grpcio-tools==${grpc}\\b`), 'the grpcio the tests run');
  const copies = [...dockerfile.matchAll(/^COPY (\S+) (\S+)$/gm)].map(([, src, dst]) => [src, dst]);
  for (const [src] of copies) assert.ok(existsSync(join(REPO, src)), `Dockerfile.spark copies ${src}, which does not exist`);
  assert.deepEqual(
    copies.find(([, dst]) => `local://${dst}` === loadConfig({}).sparkK8s.mainApplicationFile)?.[0],
    'shared/adapters/engine/spark/job/runner.py',
  );
  assert.deepEqual(copies.find(([src]) => src === 'proto')?.[1], '/opt/featurestore/proto', 'beside the runner, where it looks');
  // The object-store connectors: the pom the tests fetch them with, into Spark's own jars.
  assert.match(script, /-f "\$\(dirname "\$0"\)\/spark\/pom\.xml"/);
  assert.deepEqual(copies.find(([src]) => src === 'scripts/services/spark/pom.xml')?.[1], '/build/pom.xml');
  assert.match(dockerfile, /^COPY --from=connectors \/build\/jars\/ \/opt\/spark\/jars\/$/m);
  const pom = readFileSync(join(REPO, 'scripts', 'services', 'spark', 'pom.xml'), 'utf8');
  for (const connector of ['hadoop-aws', 'hadoop-azure'])
    assert.match(pom, new RegExp(`<artifactId>${connector}</artifactId><version>3\\.4\\.2</version>`), `${connector} at the Hadoop of Spark ${spark}`);
});

test('the Dockerfile builds every bundle and its entrypoint runs the function FUNCTION names', async () => {
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const engines = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).engines.node as string;
  for (const from of dockerfile.matchAll(/^FROM node:(\d+)/gm)) assert.equal(`>=${from[1]}`, engines, 'the image runs the Node version package.json names');
  assert.match(dockerfile, /^ENTRYPOINT \["\/app\/scripts\/container-entry\.sh"\]$/m);
  assert.match(dockerfile, /^RUN node scripts\/build\.mjs$/m);
  for (const copy of dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)) {
    const sources = copy[1].trim().split(/\s+/).slice(0, -1);
    for (const src of sources) assert.ok(existsSync(join(REPO, src)), `Dockerfile copies ${src}, which does not exist`);
  }
  const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n');
  assert.ok(ignored.includes('node_modules') && ignored.includes('dist'), 'the build context leaves out node_modules and dist');

  // The entrypoint, as the image runs it (dist/ beside scripts/), on freshly built bundles.
  execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'ignore' });
  const entry = join(REPO, 'scripts', 'container-entry.sh');
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp' };
  for (const [value, message] of [
    [undefined, /FUNCTION is not set: set it to one of: .*\bregister\b/],
    ['bogus', /no function named bogus: set FUNCTION to one of: .*\bspark-submit\b/],
    ['../functions/register', /FUNCTION must be a function name/],
  ] as const) {
    const run = await runToExit(entry, value === undefined ? env : { ...env, FUNCTION: value });
    assert.equal(run.code, 64, `FUNCTION=${value}`);
    assert.match(run.stderr, message);
  }

  const { child, port, lines, exited } = await spawnListening(entry, [], {
    ...env,
    FUNCTION: 'register',
    PORT: '0',
    FEATURESTORE_BIND: '127.0.0.1',
    FEATURESTORE_METADATA_URL: 'pglite:memory',
    LOG_LEVEL: 'info',
  });
  try {
    assert.equal(await healthCheck(port), 'SERVING');
    // exec: the shell is gone, node itself gets SIGTERM and drains.
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(
      lines.some((l) => safeJson(l)?.['msg'] === 'stopped'),
      `register did not drain:\n${lines.join('\n')}`,
    );
  } finally {
    child.kill('SIGKILL');
  }
});

function runToExit(cmd: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}
