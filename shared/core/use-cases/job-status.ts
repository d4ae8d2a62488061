import { Aborted, FailedPrecondition } from '../errors.js';
import { EventTypes, featureSetSubject } from '../events.js';
import type { FeatureStatistics } from '../model.js';
import type { SpecJobType } from '../job-specs.js';
import type { Job, JobError, JobOf, JobResult, JobStatusData } from '../jobs.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import { toNewVersion } from './feature-sets.js';

// Applying job outcomes (the status-handler function): per job type, what a succeeded job commits.

type StatusDeps = { store: MetadataStore; jobs: JobStore; ingests: IngestStore; offline: ObjectStore };

type Succeeded = Omit<JobStatusData, 'jobId' | 'state' | 'error'>;

/** What a succeeded job of each type commits. */
const COMMITS: { [T in SpecJobType]: (d: StatusDeps, job: JobOf<T>, data: Succeeded) => Promise<void> } = {
  INGEST: (d, job, data) => (data.ingest ? commitIngest(d, job, data.ingest) : data.empty ? succeed(d, job.id, undefined) : Promise.resolve()),
  REVERT: (d, job, data) => (data.revert ? applyRevert(d, job, data.revert) : Promise.resolve()),
  RETRIEVE: (d, job, data) => (data.retrieve ? succeed(d, job.id, { kind: 'retrieve', ...data.retrieve }) : Promise.resolve()),
  TRAINING_SET: (d, job, data) => (data.retrieve ? succeed(d, job.id, { kind: 'retrieve', ...data.retrieve }) : Promise.resolve()),
  MATERIALIZE: (d, job, data) => (data.materialize ? succeed(d, job.id, { kind: 'materialize', ...data.materialize }) : Promise.resolve()),
};

/**
 * Applies a job.status event (the status-handler function): a succeeded job commits what its type
 * commits (COMMITS); failures and cancellations end the job. Redelivery changes nothing: every step
 * is a compare-and-set.
 */
export function createStatusRecorder(d: StatusDeps) {
  return async function recordStatus(data: JobStatusData): Promise<void> {
    const job = await d.jobs.getJob(data.jobId);
    if (!job) return;
    if (data.state === 'SUCCEEDED') await (COMMITS[job.type] as (d: StatusDeps, job: Job, data: Succeeded) => Promise<void>)(d, job, data);
    else if (data.state === 'FAILED' || data.state === 'CANCELLED') await endJob(d, job.id, data.state, data.error);
  };
}

/**
 * A succeeded ingest commits its catalog row, the job's SUCCEEDED state and an ingest.committed
 * event in one transaction.
 */
async function commitIngest(d: StatusDeps, job: JobOf<'INGEST'>, i: NonNullable<JobStatusData['ingest']>): Promise<void> {
  const spec = job.spec;
  try {
    await d.ingests.commit(
      {
        id: i.id,
        project: spec.project,
        featureSet: spec.featureSet,
        major: spec.major,
        minor: spec.minor,
        jobId: job.id,
        source: spec.source,
        rows: i.rows,
        duplicateRows: i.duplicateRows,
        files: i.files,
        statistics: i.statistics,
        createdBy: job.createdBy,
        basis: i.basis ?? [],
        logRange: spec.logRange,
        columns: i.columns,
      },
      (_j, ingest) => [
        {
          type: EventTypes.ingestCommitted,
          subject: featureSetSubject(ingest.project, ingest.featureSet),
          data: { ingestId: ingest.id, project: ingest.project, featureSet: ingest.featureSet, major: ingest.major, files: ingest.files, jobId: job.id },
        },
      ],
    );
  } catch (err) {
    // The job ended meanwhile (cancelled, say) or its basis was reverted: its files never became
    // visible; remove them, and fail the job if it still runs.
    if (!(err instanceof FailedPrecondition)) throw err;
    await Promise.allSettled(i.files.map((key) => d.offline.delete(key)));
    await endJob(d, job.id, 'FAILED', { code: err.status, message: err.publicMessage, details: [] });
  }
}

/** A job whose result needs no commit of its own (retrieve, training set, materialize, empty ingest) ends SUCCEEDED. */
async function succeed(d: StatusDeps, jobId: string, result: JobResult | undefined): Promise<void> {
  try {
    await d.jobs.updateJob(jobId, { state: 'SUCCEEDED', progress: 1, result }, ['RUNNING'], () => []);
  } catch (err) {
    if (!(err instanceof FailedPrecondition)) throw err;
  }
}

async function endJob(d: StatusDeps, jobId: string, state: 'FAILED' | 'CANCELLED', error: JobError | undefined): Promise<void> {
  try {
    await d.jobs.updateJob(jobId, { state, error }, ['PENDING', 'RUNNING'], () => []);
  } catch (err) {
    if (!(err instanceof FailedPrecondition)) throw err; // already ended
  }
}

/** How often a revert retries its commit when the feature set changed concurrently. */
const REVERT_ATTEMPTS = 5;

/**
 * Commits a revert (status-handler): hides the ingest, makes a new minor version and ends the job
 * in one transaction. A revert of an ingest that is no longer committed fails the job.
 */
async function applyRevert(d: StatusDeps, job: JobOf<'REVERT'>, revert: { ingestId: string; statistics: Record<string, FeatureStatistics> }): Promise<void> {
  const spec = job.spec;
  for (let attempt = 1; ; attempt++) {
    const latest = await d.store.getFeatureSet(spec.project, spec.featureSet);
    try {
      if (!latest || latest.major !== spec.major) {
        throw new FailedPrecondition(`feature set ${spec.project}/${spec.featureSet} is no longer at major version ${spec.major}; nothing was reverted`, {
          field: 'ingest_id',
        });
      }
      const version = { ...toNewVersion(latest), minor: latest.minor + 1, createdBy: job.createdBy, changeSummary: `reverted ingest ${spec.ingestId}` };
      await d.ingests.revert({ ingestId: spec.ingestId, jobId: job.id, statistics: revert.statistics, version, expected: latest }, (_job, featureSet) => [
        {
          type: EventTypes.ingestReverted,
          subject: featureSetSubject(spec.project, spec.featureSet),
          data: {
            ingestId: spec.ingestId,
            project: spec.project,
            featureSet: spec.featureSet,
            major: spec.major,
            version: `${featureSet.major}.${featureSet.minor}`,
            jobId: job.id,
          },
        },
        {
          type: EventTypes.featureSetChanged,
          subject: featureSetSubject(spec.project, spec.featureSet),
          data: {
            project: spec.project,
            featureSet: spec.featureSet,
            version: `${featureSet.major}.${featureSet.minor}`,
            change: `reverted ingest ${spec.ingestId}`,
          },
        },
      ]);
      return;
    } catch (err) {
      if (err instanceof Aborted && attempt < REVERT_ATTEMPTS) continue;
      if (!(err instanceof FailedPrecondition || err instanceof Aborted)) throw err;
      try {
        await d.jobs.updateJob(job.id, { state: 'FAILED', error: { code: err.status, message: err.publicMessage, details: [] } }, ['RUNNING'], () => []);
      } catch (e) {
        if (!(e instanceof FailedPrecondition)) throw e; // the job ended meanwhile
      }
      return;
    }
  }
}
