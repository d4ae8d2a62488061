import { NotFound } from '../errors.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { revertStatisticsPlan, type StatisticsPlan } from '../plans.js';
import type { StagedJob } from './job-run.js';

/**
 * A REVERT job: statistics over the rows that stay visible once the ingest is hidden. Nothing is
 * rewritten: each ingest's rows live in files of their own, so hiding the ingest in the catalog is
 * the revert, and its files stay for time travel to moments before it.
 */
export function revertJob(d: { store: MetadataStore; ingests: IngestStore }): StagedJob<'REVERT', Record<string, never>, StatisticsPlan> {
  return {
    type: 'REVERT',
    async prepare(ctx) {
      const spec = ctx.job.spec;
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major} no longer exists`, { field: 'feature_set' });
      const visible = await d.ingests.visible(spec.project, spec.featureSet, spec.major, ctx.signal);
      ctx.progress(0.2, `statistics over ${visible.filter((i) => i.id !== spec.ingestId).length} remaining ingest(s)`);
      return { plan: revertStatisticsPlan(fs.schema, visible, spec.ingestId), context: {} };
    },
    async finish(ctx, engine, plan) {
      const statistics = await engine.statistics(plan, ctx.signal);
      return { data: { revert: { ingestId: ctx.job.spec.ingestId, statistics } }, message: `ingest ${ctx.job.spec.ingestId} reverted` };
    },
  };
}
