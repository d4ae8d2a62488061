// The Spark operator's part, played locally (no kubelet runs pods here): watches SparkApplications
// on a real API server, runs each with spark-submit on this machine, and writes
// status.applicationState as the operator does: SUBMITTED, RUNNING, SUCCEEDING, COMPLETED, or
// FAILING, FAILED with the driver's error, or SUBMISSION_FAILED when the driver cannot start. A
// deleted application's driver is killed. The driver's environment is its spec's `envFrom` Secrets
// and `env` with Secret references resolved, as the kubelet does (a missing Secret: the driver
// cannot start).
// Never deployed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { SparkApplications, type ApplicationState, type SparkApplication } from '../../shared/adapters/engine/spark/spark-applications.js';
import { jarArgs, startSparkSubmit } from '../../shared/adapters/engine/spark/spark-submit.js';

export interface OperatorOptions {
  kc: KubeConfig;
  namespace: string;
  sparkSubmit: string;
  master: string;
  /** Where `local://` application files are on this machine (the image's paths mapped), e.g. /opt/featurestore -> the repo's runner folder. */
  localPaths: Record<string, string>;
  /** Jars the image adds to Spark's own (the object-store connectors of Dockerfile.spark), on the driver's class path as in the image. */
  jars?: string[];
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

interface EnvFrom {
  secretRef?: { name: string };
}

interface Running {
  stop: () => Promise<void>;
  deleted: boolean;
}

/** The last lines of a driver's error output that say what went wrong. */
function driverError(stderr: string): string {
  const marked = stderr.split('\n').filter((l) => l.startsWith('featurestore-runner: error: '));
  if (marked.length > 0) return marked.at(-1)!.slice('featurestore-runner: error: '.length);
  return stderr.trim().split('\n').slice(-5).join('\n').slice(-2000) || 'the driver failed';
}

export async function startSparkOperator(o: OperatorOptions): Promise<{ stop(): Promise<void>; drivers(): number }> {
  const apps = new SparkApplications(o.kc, o.namespace);
  const running = new Map<string, Running>();
  let stopped = false;
  let controller: AbortController | undefined;

  const set = (name: string, state: ApplicationState, message = '') => apps.setState(name, state, message).catch(() => undefined); // gone meanwhile

  function localFile(uri: string): string | undefined {
    if (!uri.startsWith('local://')) return undefined;
    const path = uri.slice('local://'.length);
    for (const [prefix, local] of Object.entries(o.localPaths)) if (path.startsWith(prefix)) return join(local, path.slice(prefix.length));
    return path;
  }

  /** The driver's variables: literal values, and Secret keys read as the kubelet would; a message when one cannot be had. */
  async function driverEnv(from: EnvFrom[], vars: EnvVar[]): Promise<Record<string, string> | string> {
    const env: Record<string, string> = {};
    for (const f of from) {
      if (!f.secretRef) continue;
      const values = await apps.readSecret(f.secretRef.name);
      if (!values) return `failed to start the driver: secret "${f.secretRef.name}" not found`;
      Object.assign(env, values);
    }
    for (const v of vars) {
      const ref = v.valueFrom?.secretKeyRef;
      if (!ref) {
        env[v.name] = v.value ?? '';
        continue;
      }
      const value = (await apps.readSecret(ref.name))?.[ref.key];
      if (value === undefined) return `failed to start the driver: secret "${ref.name}" (key ${ref.key}) not found`;
      env[v.name] = value;
    }
    return env;
  }

  async function run(app: SparkApplication): Promise<void> {
    const name = app.metadata.name;
    const spec = app.spec as {
      mainApplicationFile: string;
      arguments?: string[];
      sparkConf?: Record<string, string>;
      driver?: { env?: EnvVar[]; envFrom?: EnvFrom[] };
    };
    await set(name, 'SUBMITTED');
    const main = localFile(spec.mainApplicationFile);
    if (!main || !existsSync(main)) {
      await set(name, 'SUBMISSION_FAILED', `failed to submit: the application file ${spec.mainApplicationFile} does not exist in the image`);
      return;
    }
    const env = await driverEnv(spec.driver?.envFrom ?? [], spec.driver?.env ?? []);
    if (typeof env === 'string') {
      await set(name, 'SUBMISSION_FAILED', env);
      return;
    }
    const { closed, output, stop } = startSparkSubmit(
      o.sparkSubmit,
      o.master,
      spec.sparkConf ?? {},
      [...jarArgs(o.jars), main, ...(spec.arguments ?? [])],
      20_000,
      env,
    );
    const entry: Running = { stop, deleted: false };
    running.set(name, entry);
    await set(name, 'RUNNING');
    const code = await closed;
    running.delete(name);
    if (entry.deleted) return;
    if (code === 0) {
      await set(name, 'SUCCEEDING');
      await set(name, 'COMPLETED');
    } else {
      const message = driverError(output());
      await set(name, 'FAILING', message);
      await set(name, 'FAILED', message);
    }
  }

  function onChange(type: string, app: SparkApplication) {
    const name = app.metadata.name;
    if (type === 'DELETED') {
      const r = running.get(name);
      if (r) {
        r.deleted = true;
        void r.stop();
      }
      return;
    }
    // New to the operator: no state yet, and not already taken.
    if (type === 'ADDED' && !app.status?.applicationState?.state && !running.has(name)) void run(app);
  }

  async function follow(): Promise<void> {
    const { items, resourceVersion } = await apps.list();
    for (const app of items) onChange('ADDED', app);
    controller = await apps.watch(resourceVersion, onChange, () => {
      if (!stopped) void follow().catch(() => setTimeout(() => void follow(), 500));
    });
  }
  await follow();
  return {
    drivers: () => running.size,
    async stop() {
      stopped = true;
      controller?.abort();
      await Promise.all([...running.values()].map((r) => r.stop()));
    },
  };
}
