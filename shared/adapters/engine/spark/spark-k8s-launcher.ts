// `spark-k8s`: a job's plan runs as one SparkApplication for the Spark operator. The launcher
// creates and deletes applications; `followApplications` turns the operator's status changes into
// job outcomes (the watch of the function that launched them).
import { FailedPrecondition, PermissionDenied, Unavailable } from '../../../core/errors.js';
import type { Job } from '../../../core/jobs.js';
import type { ApplicationChange, JobLauncher } from '../../../core/ports/job-launcher.js';
import type { ObjectStore } from '../../../core/ports/object-store.js';
import type { OfflineEngine } from '../../../core/ports/offline-engine.js';
import { StoredResultEngine } from './spark-engine.js';
import type { RunnerOutcome } from './spark-submit.js';
import {
  applicationName,
  JOB_STATE_OF,
  sparkApplication,
  tokenSecretName,
  TOKEN_KEY,
  type ApplicationState,
  type SparkApplication,
  type SparkApplications,
  type SparkK8sSettings,
} from './spark-applications.js';

/** The label naming an application's job. */
export const JOB_LABEL = 'featurestore.dev/job';

export class SparkK8sLauncher implements JobLauncher {
  constructor(
    private readonly apps: SparkApplications,
    private readonly settings: SparkK8sSettings,
    private readonly offline: ObjectStore,
    /** Where drivers report when no endpoint is configured: this process's own gRPC port, once it listens (all-in-one). */
    private readonly ownEndpoint: () => string | undefined = () => undefined,
  ) {}

  /** Spark reads S3 through the s3a connector; abfss:// and file:// are its own names. */
  engineUri(uri: string): string {
    return uri.replace(/^s3:\/\//, 's3a://');
  }

  async launch(job: Job, folder: string, credential: string): Promise<string> {
    const endpoint = this.settings.reportEndpoint ?? this.ownEndpoint();
    if (!endpoint)
      throw new FailedPrecondition(
        "set FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT to the register function's host:port as the Spark drivers reach it (they report progress and results there)",
      );
    const name = applicationName(job.id);
    const secret = tokenSecretName(name);
    const core = endpoint.startsWith('grpcs://') ? endpoint : `grpc://${endpoint}`;
    const app = sparkApplication(job.id, [this.engineUri(this.offline.uri(`${folder}/plan.json`)), `${core}/jobs/${job.id}`], secret, this.settings);
    try {
      // The credential first: the driver's environment is read from it when its pod starts.
      await this.apps.putSecret(secret, app.metadata.labels, { [TOKEN_KEY]: credential });
      await this.apps.create(app);
    } catch (err) {
      const code = (err as { code?: number }).code;
      // A repeated delivery finds its own application: the job is on the cluster already.
      if (code === 409) return name;
      await this.apps.deleteSecret(secret).catch(() => false);
      const reason = kubernetesReason(err);
      if (code === 403)
        throw new PermissionDenied(
          `Kubernetes refused to create SparkApplication ${name} (or its Secret) in namespace ${this.settings.namespace}: ${reason}; grant the function's ServiceAccount the Role in knative/spark-rbac.yaml`,
        );
      if (code === 404)
        throw new FailedPrecondition(
          `Kubernetes refused SparkApplication ${name} in namespace ${this.settings.namespace}: ${reason}; check FEATURESTORE_SPARK_K8S_NAMESPACE and that the Spark operator (its CRDs) is installed`,
        );
      if (code !== undefined && code >= 400 && code < 500)
        throw new FailedPrecondition(`Kubernetes refused SparkApplication ${name}: ${reason}; check the FEATURESTORE_SPARK_K8S_* settings`);
      throw new Unavailable(`the Kubernetes API server did not take SparkApplication ${name}: ${reason}`);
    }
    return name;
  }

  async release(handle: string): Promise<void> {
    await this.apps.deleteSecret(tokenSecretName(handle));
  }

  follow(onChange: (change: ApplicationChange) => Promise<void>): Promise<{ stop(): void }> {
    return followApplications(this.apps, onChange);
  }

  changeOf(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: unknown): ApplicationChange | undefined {
    const app = object as SparkApplication;
    if (app.kind !== 'SparkApplication' || app.metadata?.namespace !== this.settings.namespace) return undefined;
    return applicationChange(type, app);
  }

  stop(handle: string): Promise<boolean> {
    return this.apps.delete(handle);
  }

  results(folder: string, reported: unknown): OfflineEngine | undefined {
    return reported === undefined ? undefined : new StoredResultEngine(reported as RunnerOutcome, this.offline, folder);
  }
}

/** The message of a Kubernetes API error (its Status object's), never the request. */
function kubernetesReason(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const message = (parsed as { message?: string } | undefined)?.message;
  return message ?? (err instanceof Error ? err.message : String(err));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** What a watch event about an application says about its job; undefined for applications that are not the store's. */
export function applicationChange(type: string, app: SparkApplication): ApplicationChange | undefined {
  const jobId = app.metadata.labels?.[JOB_LABEL];
  if (!jobId) return undefined;
  const handle = app.metadata.name;
  if (type === 'DELETED') return { jobId, handle, end: { state: 'DELETED' } };
  const state = (app.status?.applicationState?.state ?? '') as ApplicationState;
  const message = app.status?.applicationState?.errorMessage ?? '';
  switch (JOB_STATE_OF[state]) {
    case 'SUCCEEDED':
      return { jobId, handle, end: { state: 'COMPLETED' } };
    case 'FAILED':
      return {
        jobId,
        handle,
        end: {
          state: 'FAILED',
          started: state !== 'SUBMISSION_FAILED',
          message:
            state === 'SUBMISSION_FAILED'
              ? `the Spark application could not be submitted: ${message || 'no message'}`
              : `the Spark driver failed: ${message || 'no message'}`,
        },
      };
    case 'CANCELLED':
      return { jobId, handle, end: { state: 'DELETED' } };
    case 'PENDING':
    case 'RUNNING':
      return { jobId, handle, running: `running on Spark as application ${handle} (${state || 'waiting for the operator'})` };
    case undefined:
      return undefined;
  }
}

/**
 * Follows the store's applications from now on (a list, then a watch continued from the last
 * version seen, again whenever the server ends it), each change handed to `onChange`. The list
 * catches up on applications that ended while nobody watched.
 */
export async function followApplications(apps: SparkApplications, onChange: (change: ApplicationChange) => Promise<void>): Promise<{ stop(): void }> {
  let stopped = false;
  let controller: AbortController | undefined;
  const handle = (type: string, app: SparkApplication) => {
    const change = applicationChange(type, app);
    if (change) void onChange(change).catch(() => {}); // the handler logs; the next change or list tries again
  };
  async function follow(): Promise<void> {
    const { items, resourceVersion } = await apps.list();
    for (const app of items) handle('ADDED', app);
    controller = await apps.watch(resourceVersion, handle, () => {
      if (!stopped) setTimeout(() => void follow().catch(() => setTimeout(() => void follow(), 1000)), 100);
    });
  }
  await follow();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
