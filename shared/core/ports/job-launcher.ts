import type { Job } from '../jobs.js';
import type { OfflineEngine } from './offline-engine.js';

/**
 * Hands a job's engine work to a cluster (the spark-k8s engine: one SparkApplication per job). The
 * job's folder in the offline store holds `plan.json` (the plan, files named as the cluster reads
 * them); the application reports progress and its result to the core over gRPC (JobRunnerService)
 * with the job's credential, and `results` turns the reported result into an engine.
 */
export interface JobLauncher extends ApplicationWatch {
  /** How the cluster names a file given its URI in the store's own scheme (s3:// is s3a:// to Spark). */
  engineUri(uri: string): string;
  /**
   * Starts the plan in `folder` as one application, handing it `credential` (kept out of the
   * application's spec: a Secret of its own); returns the application's name. A submission the
   * cluster refuses throws.
   */
  launch(job: Job, folder: string, credential: string, signal?: AbortSignal): Promise<string>;
  /** Removes what the application needed besides itself (its credential's Secret) once the job has ended. */
  release(handle: string, signal?: AbortSignal): Promise<void>;
  /** Stops the application (its driver and executors); false when it was gone already. */
  stop(handle: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * An engine answering each call with the result the application reported (`reported`, its
   * runner's JSON) for the plan in `folder`, reading files it wrote there; undefined when it
   * reported none. A refusal it reported is thrown by the engine's call.
   */
  results(folder: string, reported: unknown): OfflineEngine | undefined;
}

/** How a handed-off job's application ended, as its watch saw it (a failure's message says what failed and why). */
export type ApplicationEnd =
  | { state: 'COMPLETED' }
  /** `started`: false when the application never ran (the cluster could not submit it: a configuration problem, not a transient one). */
  | { state: 'FAILED'; message: string; started: boolean }
  | { state: 'DELETED' };

/** A change of an application of the store's, read for its job: still running (with a message), or ended. */
export type ApplicationChange = { jobId: string; handle: string } & ({ running: string } | { end: ApplicationEnd });

/** Follows the launcher's applications (a watch): every change, and on start the state of each one there is (catching up on ends nobody saw). */
export interface ApplicationWatch {
  follow(onChange: (change: ApplicationChange) => Promise<void>): Promise<{ stop(): void }>;
  /**
   * The change an application object says, as a watch event of `type` or an event source (the
   * ApiServerSource) delivers it; undefined for objects that are not the store's applications.
   */
  changeOf(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: unknown): ApplicationChange | undefined;
}
