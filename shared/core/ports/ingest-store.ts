import type { DomainEvent } from '../events.js';
import type { Ingest } from '../ingests.js';
import type { Job } from '../jobs.js';

export type NewIngest = Omit<Ingest, 'state' | 'commitTime' | 'revertTime'>;

/**
 * The ingest catalog. `commit` makes an ingest visible and its job SUCCEEDED in one transaction
 * with the given events; it is idempotent on the job (a second commit of the same job returns the
 * first ingest and changes nothing) and throws FailedPrecondition when the job is no longer RUNNING.
 */
export interface IngestStore {
  commit(ingest: NewIngest, events: (job: Job, ingest: Ingest) => DomainEvent[], signal?: AbortSignal): Promise<{ ingest: Ingest; job: Job }>;
  /** Newest first. */
  list(project: string, featureSet: string, before: { commitTime: Date; id: string } | undefined, limit: number, signal?: AbortSignal): Promise<Ingest[]>;
  /** Committed (not reverted) ingests of a major version, oldest first: what readers see. */
  visible(project: string, featureSet: string, major: number, signal?: AbortSignal): Promise<Ingest[]>;
}
