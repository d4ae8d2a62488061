// The Kubernetes side of the spark-k8s engine: a job as a SparkApplication
// (sparkoperator.k8s.io/v1beta2) for the Spark operator, created, watched and deleted with
// @kubernetes/client-node; every application state the operator writes maps to a job state.
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
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
}

export interface SparkApplication {
  apiVersion: string;
  kind: 'SparkApplication';
  metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion?: string; uid?: string };
  spec: Record<string, unknown>;
  status?: { applicationState?: { state: string; errorMessage?: string }; driverInfo?: { podName?: string } };
}

/** The application of one job: one cluster per job, its arguments the plan's and result's locations. */
export function sparkApplication(jobId: string, args: string[], s: SparkK8sSettings): SparkApplication {
  const envFrom = s.hadoopSecret ? [{ secretRef: { name: s.hadoopSecret } }] : [];
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
      driver: { cores: s.driver.cores, memory: s.driver.memory, serviceAccount: s.serviceAccount, labels, envFrom },
      executor: { instances: s.executor.instances, cores: s.executor.cores, memory: s.executor.memory, labels, envFrom },
    },
  };
}

/** A job's application name: a DNS label. */
export const applicationName = (jobId: string) => `featurestore-${jobId.toLowerCase()}`;

export class SparkApplications {
  private readonly api: CustomObjectsApi;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
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
