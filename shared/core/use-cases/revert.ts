import { NotFound } from '../errors.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import { runClaimedJob, type JobRunnerDeps } from './job-run.js';

/**
 * Runs a REVERT job (spark-submit): statistics over the rows that stay visible once the ingest is
 * hidden. Nothing is rewritten: each ingest's rows live in files of their own, so hiding the ingest
 * in the catalog is the revert, and its files stay for time travel to moments before it.
 */
export function createRevertRunner(d: JobRunnerDeps & { store: MetadataStore; ingests: IngestStore; engine: OfflineEngine }) {
  return (jobId: string, signal: AbortSignal) =>
    runClaimedJob(d, 'REVERT', jobId, signal, async ({ job, scratch, signal: jobSignal, progress }) => {
      const spec = job.spec;
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major} no longer exists`, { field: 'feature_set' });
      const remaining = (await d.ingests.visible(spec.project, spec.featureSet, spec.major, jobSignal)).filter((i) => i.id !== spec.ingestId);
      progress(0.2, `statistics over ${remaining.length} remaining ingest(s)`);
      const files = await Promise.all(remaining.flatMap((i) => i.files).map((key) => scratch.localCopy(d.offline, key)));
      const statistics = await d.engine.statistics(fs.schema, files, jobSignal);
      return { data: { revert: { ingestId: spec.ingestId, statistics } }, message: `ingest ${spec.ingestId} reverted` };
    });
}
