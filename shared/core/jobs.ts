import type { ErrorDetail, StatusName } from './errors.js';
import { EventTypes, type DomainEvent } from './events.js';
import type { Ingest } from './ingests.js';
import type { JobSpecs, SpecJobType } from './job-specs.js';
import type { Action, ResourceId } from './ports/authorizer.js';
import type { Principal } from './principal.js';

// Jobs: every long piece of work (ingest, revert, retrieve, training set, materialize, sync) is a
// job with a state machine, progress, an error with row/column detail, and a result.

/** The job types the API names. ONLINE_TO_OFFLINE is in its enum, but drains of the online rows log run as INGEST jobs with a log range: no job has that type. */
export const JOB_TYPES = ['INGEST', 'REVERT', 'RETRIEVE', 'TRAINING_SET', 'MATERIALIZE', 'ONLINE_TO_OFFLINE'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** The states each state may move to; terminal states move nowhere. */
const NEXT: Record<JobState, readonly JobState[]> = {
  PENDING: ['RUNNING', 'FAILED', 'CANCELLED'],
  RUNNING: ['SUCCEEDED', 'FAILED', 'CANCELLED'],
  SUCCEEDED: [],
  FAILED: [],
  CANCELLED: [],
};

export function canMove(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

/** The states from which a job may move to `to`. */
export function statesBefore(to: JobState): JobState[] {
  return JOB_STATES.filter((s) => canMove(s, to));
}

export type JobErrorDetail = ErrorDetail;

export interface JobError {
  code: StatusName;
  message: string;
  details: JobErrorDetail[];
}

export type JobResult =
  | { kind: 'ingest'; ingestId: string; rows: number; duplicateRows: number; droppedColumns?: string[]; missingColumns?: string[] }
  | { kind: 'retrieve'; uris: string[]; downloadUrls: string[]; rows: number; withheld?: string[] }
  | { kind: 'revert'; ingestId: string; version: string; rowsRemoved: number }
  | { kind: 'materialize'; rows: number; written: number; tooLarge?: number };

interface JobFields {
  id: string;
  state: JobState;
  /** 0..1 */
  progress: number;
  message: string;
  error?: JobError;
  result?: JobResult;
  project: string;
  featureSet: string;
  createdBy: string;
  /** Whether the starter was an admin then (the job runs with the starter's permissions, checked again when it starts). */
  createdByAdmin: boolean;
  /** Client-chosen idempotency key, unique per creator; '' when none. */
  requestId: string;
  cancelRequested: boolean;
  createTime: Date;
  startTime?: Date;
  endTime?: Date;
  /** Increases on every change; watchers send an update when it moves. */
  revision: number;
  /** How many workers have taken the job (a worker that died is replaced by the next attempt). */
  attempt: number;
  /** The application running the job on a cluster (spark-k8s), while it runs there: the job has no lease meanwhile. */
  handedOff?: string;
  /** sha256 of the handed-off job's runner credential (the driver reports with it while the job waits for its application). */
  runnerTokenHash?: string;
  /** What the job's application reported as its result (the runner's JSON), until the job ends. */
  runnerOutcome?: unknown;
}

/** A job of one type, with that type's spec (job-specs.ts), checked when it was read. */
export type JobOf<T extends SpecJobType> = JobFields & { type: T; spec: JobSpecs[T] };

/** A job: its type tells its spec's shape. */
export type Job = { [T in SpecJobType]: JobOf<T> }[SpecJobType];

/** A job to create: its type, spec and identity. */
export type NewJob = {
  [T in SpecJobType]: Pick<JobOf<T>, 'type' | 'spec' | 'project' | 'featureSet' | 'createdBy' | 'requestId'> & Partial<Pick<JobOf<T>, 'createdByAdmin'>>;
}[SpecJobType];

/** The job.status event a worker emits; status-handler turns it into job state and catalog rows. */
export interface JobStatusData {
  jobId: string;
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error?: JobError;
  /** For a succeeded ingest: what the engine wrote, not yet visible, and the ingests it deduplicated against. */
  ingest?: {
    id: string;
    files: string[];
    rows: number;
    duplicateRows: number;
    statistics: Ingest['statistics'];
    basis?: string[];
    columns?: { dropped: string[]; missing: string[] };
  };
  /** For an ingest of a source without data rows: nothing was written or committed. */
  empty?: boolean;
  /** For a succeeded revert: statistics over the rows that stay visible. */
  revert?: { ingestId: string; statistics: Ingest['statistics'] };
  /** For a succeeded retrieve: the files written. */
  retrieve?: { uris: string[]; downloadUrls: string[]; rows: number; withheld?: string[] };
  /** For a succeeded materialize: keys found, written online, and too large for the online row limit. */
  materialize?: { rows: number; written: number; tooLarge: number };
}

/** A job.requested, job.status or job.cancel.requested event about a job. */
export function jobEvent(
  type: typeof EventTypes.jobRequested | typeof EventTypes.jobStatus | typeof EventTypes.jobCancelRequested,
  job: Job,
  data: object,
): DomainEvent {
  return { type, subject: `jobs/${job.id}`, data: { jobId: job.id, type: job.type, ...data } };
}

/**
 * What a job needs of the principal who started it, on which feature sets: checked when it is
 * started and again when a worker starts it (a role revoked meanwhile stops it).
 */
export function jobAccess(job: Job): Array<{ action: Action; resource: ResourceId }> {
  switch (job.type) {
    case 'INGEST':
    case 'REVERT':
    case 'MATERIALIZE':
      return [{ action: 'featureSet.update', resource: { project: job.spec.project, featureSet: job.spec.featureSet } }];
    case 'RETRIEVE':
      return [{ action: 'featureSet.readData', resource: { project: job.spec.project, featureSet: job.spec.featureSet } }];
    case 'TRAINING_SET':
      return job.spec.parts.map((p) => ({ action: 'featureSet.readData', resource: { project: p.project, featureSet: p.featureSet } }));
  }
}

/** The principal a job runs as: its starter, as far as the job remembers them. */
export const jobStarter = (job: Pick<Job, 'createdBy' | 'createdByAdmin'>): Principal => ({
  id: job.createdBy,
  name: '',
  email: '',
  admin: job.createdByAdmin,
});
