import { Aborted, FailedPrecondition, NotFound } from '../errors.js';
import { EventTypes, featureSetSubject } from '../events.js';
import type { RevertJobSpec } from '../ingests.js';
import type { Job } from '../jobs.js';
import type { FeatureStatistics } from '../model.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import { toNewVersion } from './feature-sets.js';
import { runClaimedJob, type JobRunnerDeps } from './ingest.js';

/**
 * Runs a REVERT job (spark-submit): statistics over the rows that stay visible once the ingest is
 * hidden. Nothing is rewritten: each ingest's rows live in files of their own, so hiding the ingest
 * in the catalog is the revert, and its files stay for time travel to moments before it.
 */
export function createRevertRunner(d: JobRunnerDeps & { store: MetadataStore; ingests: IngestStore; engine: OfflineEngine }) {
  return (jobId: string, signal: AbortSignal) =>
    runClaimedJob(d, jobId, signal, async ({ job, scratch, signal: jobSignal, progress }) => {
      const spec = job.spec as unknown as RevertJobSpec;
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major} no longer exists`, { field: 'feature_set' });
      const remaining = (await d.ingests.visible(spec.project, spec.featureSet, spec.major, jobSignal)).filter((i) => i.id !== spec.ingestId);
      progress(0.2, `statistics over ${remaining.length} remaining ingest(s)`);
      const files = await Promise.all(remaining.flatMap((i) => i.files).map((key) => scratch.localCopy(d.offline, key)));
      const statistics = await d.engine.statistics(fs.schema, files, jobSignal);
      return { data: { revert: { ingestId: spec.ingestId, statistics } }, message: `ingest ${spec.ingestId} reverted` };
    });
}

/** How often a revert retries its commit when the feature set changed concurrently. */
const REVERT_ATTEMPTS = 5;

/**
 * Commits a revert (status-handler): hides the ingest, makes a new minor version and ends the job
 * in one transaction. A revert of an ingest that is no longer committed fails the job.
 */
export async function applyRevert(
  d: { store: MetadataStore; jobs: JobStore; ingests: IngestStore },
  job: Job,
  revert: { ingestId: string; statistics: Record<string, FeatureStatistics> },
): Promise<void> {
  const spec = job.spec as unknown as RevertJobSpec;
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
