import { NotFound } from '../errors.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import { revertStatisticsPlan } from '../plans.js';
import { runClaimedJob, type JobRunnerDeps } from './job-run.js';

/**
 * Runs a REVERT job (spark-submit): statistics over the rows that stay visible once the ingest is
 * hidden. Nothing is rewritten: each ingest's rows live in files of their own, so hiding the ingest
 * in the catalog is the revert, and its files stay for time travel to moments before it.
 */
export function createRevertRunner(d: JobRunnerDeps & { store: MetadataStore; ingests: IngestStore; engine: OfflineEngine }) {
  return (jobId: string, signal: AbortSignal) =>
    runClaimedJob(d, 'REVERT', jobId, signal, async ({ job, signal: jobSignal, progress, local }) => {
      const spec = job.spec;
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major} no longer exists`, { field: 'feature_set' });
      const visible = await d.ingests.visible(spec.project, spec.featureSet, spec.major, jobSignal);
      progress(0.2, `statistics over ${visible.filter((i) => i.id !== spec.ingestId).length} remaining ingest(s)`);
      const statistics = await d.engine.statistics(await local(revertStatisticsPlan(fs.schema, visible, spec.ingestId)), jobSignal);
      return { data: { revert: { ingestId: spec.ingestId, statistics } }, message: `ingest ${spec.ingestId} reverted` };
    });
}
