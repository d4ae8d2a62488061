import type { ErrorDetail, StatusName } from './errors.js';
import { EventTypes, type DomainEvent } from './events.js';

// Jobs: every long piece of work (ingest, revert, retrieve, training set, materialize, sync) is a
// job with a state machine, progress, an error with row/column detail, and a result.

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
  | { kind: 'retrieve'; uris: string[]; downloadUrls: string[]; rows: number }
  | { kind: 'revert'; ingestId: string; version: string; rowsRemoved: number }
  | { kind: 'materialize'; rows: number; written: number; tooLarge?: number };

export interface Job {
  id: string;
  type: JobType;
  state: JobState;
  /** 0..1 */
  progress: number;
  message: string;
  error?: JobError;
  result?: JobResult;
  project: string;
  featureSet: string;
  /** The engine-neutral description of the work. */
  spec: Record<string, unknown>;
  createdBy: string;
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
}

/** A job.requested or job.status event about a job. */
export function jobEvent(type: typeof EventTypes.jobRequested | typeof EventTypes.jobStatus, job: Job, data: object): DomainEvent {
  return { type, subject: `jobs/${job.id}`, data: { jobId: job.id, type: job.type, ...data } };
}
