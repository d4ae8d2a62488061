import type { DomainEvent } from '../events.js';
import type { Job, JobError, JobResult, JobState, JobType, NewJob } from '../jobs.js';

export type { NewJob };

export interface JobChange {
  state?: JobState;
  progress?: number;
  message?: string;
  error?: JobError;
  result?: JobResult;
  cancelRequested?: boolean;
  /** A guard, not a change: apply only while the job is in this attempt (a replaced worker's late reports change nothing). */
  ifAttempt?: number;
  /** The worker reports the outcome (its job.status event): the job no longer has a worker to lose. */
  reported?: true;
  /** The worker handed the job to a cluster application: no lease applies until `takeBack`. */
  handedOff?: string;
  /** sha256 of the credential the job's application reports with (set before it is launched; cleared when the job ends). */
  runnerTokenHash?: string;
  /** The result the job's application reported (cleared when the job ends). */
  runnerOutcome?: unknown;
  /** A guard, not a change: apply only while the job is handed off (its application's late reports change nothing once it is taken back). */
  ifHandedOff?: true;
}

export interface ListJobsQuery {
  project?: string;
  type?: JobType;
  state?: JobState;
  /** Exclusive position for keyset pages, newest first. */
  before?: { createTime: Date; id: string };
  limit: number;
  /** Only jobs this principal started. */
  createdBy?: string;
}

/**
 * The jobs table. Every mutation is atomic with its outbox events. createJob is idempotent on
 * (createdBy, requestId) when requestId is set: a repeat returns the first job and writes nothing.
 * updateJob applies a change only while the job is in one of `whenIn` (compare-and-set on state),
 * stamps start/end times on entering RUNNING/terminal states, and throws NotFound (field `id`) or
 * FailedPrecondition (field `id`, naming the current state) otherwise.
 */
export interface JobStore {
  createJob(job: NewJob, events: (job: Job) => DomainEvent[], signal?: AbortSignal): Promise<{ job: Job; created: boolean }>;
  getJob(id: string, signal?: AbortSignal): Promise<Job | undefined>;
  /** Newest first. */
  listJobs(query: ListJobsQuery, signal?: AbortSignal): Promise<Job[]>;
  updateJob(id: string, change: JobChange, whenIn: readonly JobState[], events: (job: Job) => DomainEvent[], signal?: AbortSignal): Promise<Job>;
  /**
   * A running job's worker says it is alive; false once the job is no longer RUNNING (in that
   * attempt). Only the worker extends its lease: this, claims, and updates made with `ifAttempt`;
   * other updates (a user's cancel request) leave the lease as it is.
   */
  heartbeat(id: string, attempt?: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * A worker takes a job: PENDING, or RUNNING with a worker silent for longer than `leaseMs` (it
   * died mid-job, before reporting an outcome), becomes RUNNING in the next attempt, returned as
   * `job`. A silent job whose cancel was requested ends CANCELLED instead (returned as `current`).
   * Otherwise nothing changes and `current` is the job as it is (undefined when it does not exist).
   */
  claim(id: string, leaseMs: number, signal?: AbortSignal): Promise<{ job?: Job; current?: Job }>;
  /**
   * Ends RUNNING jobs whose worker died (silent, no outcome reported): CANCELLED once silent for
   * `leaseMs` if a cancel was requested, else FAILED with `error` once silent for `failAfterMs`, so
   * whoever waits sees an end. Returns the jobs ended.
   */
  endAbandoned(leaseMs: number, failAfterMs: number, error: JobError, signal?: AbortSignal): Promise<Job[]>;
  /**
   * A worker takes back a handed-off job whose application ended: RUNNING, handed off to `handle`,
   * becomes an ordinary running job in the next attempt (returned). Only one caller gets it;
   * undefined for the others, and when the job is not handed off to `handle`.
   */
  takeBack(id: string, handle: string, signal?: AbortSignal): Promise<Job | undefined>;
  /** RUNNING jobs whose worker has been silent for longer than `leaseMs` without reporting an outcome, oldest first. */
  abandoned(leaseMs: number, signal?: AbortSignal): Promise<Job[]>;
}
