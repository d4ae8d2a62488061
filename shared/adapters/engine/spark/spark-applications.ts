// The Kubernetes side of the spark-k8s engine: a job as a SparkApplication
// (sparkoperator.k8s.io/v1beta2) for the Spark operator, created, watched and deleted with
// @kubernetes/client-node; every application state the operator writes maps to a job state.
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import type { JobState } from '../../../core/jobs.js';

export const GROUP = 'sparkoperator.k8s.io';
export const VERSION = 'v1beta2';
export const PLURAL = 'sparkapplications';

/** The states the operator writes in status.applicationState.state ('' before it has seen the application). */
export const APPLICATION_STATES = [
  '',
  'SUBMITTED',
  'RUNNING',
  'SUCCEEDING',
  'COMPLETED',
  'FAILING',
  'FAILED',
  'SUBMISSION_FAILED',
  'PENDING_RERUN',
  'INVALIDATING',
  'SUSPENDING',
  'SUSPENDED',
  'RESUMING',
  'UNKNOWN',
] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

/**
 * What each application state says about the job (the compiler checks every state is here;
 * `undefined`: nothing new). COMPLETED means the driver ended well; the job itself succeeds only
 * with the result its runner reported (the commit rule), and fails if there is none.
 */
export const JOB_STATE_OF: Readonly<Record<ApplicationState, JobState | undefined>> = {
  '': 'PENDING',
  SUBMITTED: 'RUNNING',
  RUNNING: 'RUNNING',
  SUCCEEDING: 'RUNNING',
  COMPLETED: 'SUCCEEDED',
  FAILING: 'RUNNING',
  FAILED: 'FAILED',
  SUBMISSION_FAILED: 'FAILED',
  PENDING_RERUN: 'RUNNING',
  INVALIDATING: 'RUNNING',
  SUSPENDING: 'RUNNING',
  SUSPENDED: 'RUNNING',
  RESUMING: 'RUNNING',
  UNKNOWN: undefined,
};

export interface SparkK8sSettings {
  namespace: string;
  image: string;
  sparkVersion: string;
  serviceAccount: string;
  driver: { cores: number; memory: string };
  executor: { instances: number; cores: number; memory: string };
  /** Spark configuration (no secrets: credentials come from `hadoopSecret`). */
  sparkConf: Record<string, string>;
  /** A Secret whose keys become the driver's and executors' environment (object-store credentials). */
  hadoopSecret?: string;
  /** The runner inside the image. */
  mainApplicationFile: string;
  /** host:port of the JobRunnerService the driver reports to (undefined: this process's own gRPC port, all-in-one only). */
  reportEndpoint?: string;
}

/** The driver's environment variable holding the job's credential (from the job's Secret, never inline). */
export const TOKEN_ENV = 'FEATURESTORE_JOB_TOKEN';
/** The key of the job's Secret that holds its credential. */
export const TOKEN_KEY = 'token';

export interface SparkApplication {
  apiVersion: string;
  kind: 'SparkApplication';
  metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion?: string; uid?: string };
  spec: Record<string, unknown>;
  status?: { applicationState?: { state: string; errorMessage?: string }; driverInfo?: { podName?: string } };
}

/**
 * The application of one job: one cluster per job, its arguments the plan's location and where it
 * reports; the driver's credential comes from the job's Secret (`tokenSecret`), object-store
 * credentials from the Hadoop Secret.
 */
export function sparkApplication(jobId: string, args: string[], tokenSecret: string, s: SparkK8sSettings): SparkApplication {
  const envFrom = s.hadoopSecret ? [{ secretRef: { name: s.hadoopSecret } }] : [];
  const env = [{ name: TOKEN_ENV, valueFrom: { secretKeyRef: { name: tokenSecret, key: TOKEN_KEY } } }];
  const labels = { 'app.kubernetes.io/part-of': 'featurestore', 'featurestore.dev/job': jobId };
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'SparkApplication',
    metadata: { name: applicationName(jobId), namespace: s.namespace, labels },
    spec: {
      type: 'Python',
      mode: 'cluster',
      sparkVersion: s.sparkVersion,
      image: s.image,
      mainApplicationFile: s.mainApplicationFile,
      arguments: args,
      sparkConf: s.sparkConf,
      restartPolicy: { type: 'Never' },
      driver: { cores: s.driver.cores, memory: s.driver.memory, serviceAccount: s.serviceAccount, labels, env, envFrom },
      executor: { instances: s.executor.instances, cores: s.executor.cores, memory: s.executor.memory, labels, envFrom },
    },
  };
}

/** A job's application name: a DNS label. */
export const applicationName = (jobId: string) => `featurestore-${jobId.toLowerCase()}`;

/** The Secret holding a job's credential: named after its application. */
export const tokenSecretName = (application: string) => `${application}-runner`;

export class SparkApplications {
  private readonly api: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Creates (or, for a repeated delivery, replaces) the Secret holding a job's credential. */
  async putSecret(name: string, labels: Record<string, string>, data: Record<string, string>): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: this.namespace, labels }, stringData: data };
    try {
      await this.core.createNamespacedSecret({ namespace: this.namespace, body });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      await this.core.replaceNamespacedSecret({ name, namespace: this.namespace, body });
    }
  }

  /** A Secret's values (decoded); undefined when it does not exist. */
  async readSecret(name: string): Promise<Record<string, string> | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** Deletes a Secret; false when it was gone already. */
  async deleteSecret(name: string): Promise<boolean> {
    try {
      await this.core.deleteNamespacedSecret({ name, namespace: this.namespace });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  }

  async create(app: SparkApplication): Promise<SparkApplication> {
    return (await this.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: this.namespace,
      plural: PLURAL,
      body: app,
    })) as SparkApplication;
  }

  async get(name: string): Promise<SparkApplication | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.namespace,
        plural: PLURAL,
        name,
      })) as SparkApplication;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** Deletes the application (and so its driver and executors); false when it was gone already. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL, name });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  }

  /** Writes status.applicationState, as the operator does (merge patch on the status subresource). */
  async setState(name: string, state: ApplicationState, errorMessage = ''): Promise<SparkApplication> {
    const body = { status: { applicationState: { state, errorMessage } } };
    return (await this.api.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL, name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as SparkApplication;
  }

  /** The applications now, and the resourceVersion a watch continues from. */
  async list(): Promise<{ items: SparkApplication[]; resourceVersion: string }> {
    const list = (await this.api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: PLURAL })) as {
      items: SparkApplication[];
      metadata: { resourceVersion: string };
    };
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  /** Follows every change from `resourceVersion` on; `done` runs when the server ends the watch (call again from the last version seen). */
  watch(resourceVersion: string, onChange: (type: string, app: SparkApplication) => void, done: (err?: unknown) => void): Promise<AbortController> {
    return new Watch(this.kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${PLURAL}`,
      { resourceVersion, allowWatchBookmarks: true },
      (type, obj: SparkApplication) => onChange(type, obj),
      (err: unknown) => done(err),
    );
  }
}
