import type { DomainEvent } from '../events.js';
import type { Ingest } from '../ingests.js';
import type { LogRange } from '../job-specs.js';
import type { Job } from '../jobs.js';
import type { FeatureSet, FeatureSetVersionNumber, FeatureStatistics } from '../model.js';
import type { NewFeatureSetVersion } from './metadata-store.js';
import type { OnlineTable } from './online-store.js';

export type NewIngest = Omit<Ingest, 'state' | 'commitTime' | 'revertTime'> & {
  /** The ingests the job deduplicated against: if any was reverted meanwhile, the commit fails. */
  basis: string[];
  /** For an ingest of online-written rows: the log range it holds. The commit advances the table's
   *  drained position from `after` to `through`, and fails if another commit moved it first. */
  logRange?: LogRange;
  /** Source columns dropped and features missing, kept whole in the job's result. */
  columns?: { dropped: string[]; missing: string[] };
};

export interface IngestRevert {
  ingestId: string;
  jobId: string;
  /** Statistics over the rows still visible after the revert. */
  statistics: Record<string, FeatureStatistics>;
  /** The new minor version, made latest if the latest is still `expected`. */
  version: NewFeatureSetVersion;
  expected: FeatureSetVersionNumber;
}

/**
 * The ingest catalog. `commit` makes an ingest visible and its job SUCCEEDED in one transaction
 * with the given events; it is idempotent on the job (a second commit of the same job returns the
 * first ingest and changes nothing) and throws FailedPrecondition when the job is no longer RUNNING
 * or an ingest of its basis was reverted, or its log range was drained by another commit. `revert` hides an ingest, records the new minor version
 * and ends the job in one transaction (FailedPrecondition when the ingest is no longer committed,
 * Aborted when the feature set changed meanwhile). Both keep the version's current statistics.
 */
export interface IngestStore {
  commit(ingest: NewIngest, events: (job: Job, ingest: Ingest) => DomainEvent[], signal?: AbortSignal): Promise<{ ingest: Ingest; job: Job }>;
  revert(
    revert: IngestRevert,
    events: (job: Job, featureSet: FeatureSet) => DomainEvent[],
    signal?: AbortSignal,
  ): Promise<{ job: Job; featureSet: FeatureSet }>;
  get(id: string, signal?: AbortSignal): Promise<Ingest | undefined>;
  /** Newest first. */
  list(project: string, featureSet: string, before: { commitTime: Date; id: string } | undefined, limit: number, signal?: AbortSignal): Promise<Ingest[]>;
  /** Committed (not reverted) ingests of a major version, oldest first: what readers see now. */
  visible(project: string, featureSet: string, major: number, signal?: AbortSignal): Promise<Ingest[]>;
  /** Every ingest of a major version, reverted ones too, oldest first: for time travel (see visibleAt). */
  history(project: string, featureSet: string, major: number, signal?: AbortSignal): Promise<Ingest[]>;
  /** How far the online rows log of a table is in the offline store (0 before any drain). */
  drainedThrough(table: OnlineTable, signal?: AbortSignal): Promise<number>;
  /** Statistics over the rows visible now, from the latest commit or revert; undefined before any. */
  statistics(project: string, featureSet: string, major: number, signal?: AbortSignal): Promise<Record<string, FeatureStatistics> | undefined>;
}
