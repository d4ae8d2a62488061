import { Unimplemented } from '../../shared/core/errors.js';
import { EventTypes } from '../../shared/core/events.js';
import { createIngestRunner } from '../../shared/core/use-cases/ingest.js';
import { createRetrieveRunner } from '../../shared/core/use-cases/retrieve.js';
import { createRevertRunner } from '../../shared/core/use-cases/revert.js';
import { createTrainingSetRunner } from '../../shared/core/use-cases/training-set.js';
import { createMaterializeRunner } from '../../shared/core/use-cases/materialize.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** spark-submit: runs a requested job on the configured engine (DuckDB in process; Spark later). */
export const sparkSubmit: FunctionDefinition = {
  name: 'spark-submit',
  trigger: { kind: 'event', events: [EventTypes.jobRequested] },
  async init({ deps }) {
    const jobs = await deps.jobStore();
    const common = {
      ...(await deps.jobFrame()),
      store: await deps.metadataStore(),
      ingests: await deps.ingestStore(),
      engine: deps.engine(),
    };
    const runners: Partial<Record<string, (jobId: string, signal: AbortSignal) => Promise<void>>> = {
      INGEST: createIngestRunner({
        ...common,
        sources: deps.sourceFiles(),
        onlineLog: await deps.onlineLog(),
        maxFutureMs: deps.config.onlineLimits.maxFutureMs,
      }),
      RETRIEVE: createRetrieveRunner(common),
      REVERT: createRevertRunner(common),
      TRAINING_SET: createTrainingSetRunner({ ...common, sources: deps.sourceFiles() }),
      MATERIALIZE: createMaterializeRunner({
        ...common,
        sources: deps.sourceFiles(),
        online: await deps.onlineStore(),
        maxRowBytes: deps.config.onlineLimits.maxRowBytes,
      }),
    };
    return {
      events: {
        [EventTypes.jobRequested]: async (event, { signal }) => {
          const job = await jobs.getJob(event.data!.jobId.toLowerCase());
          if (!job) return; // deleted meanwhile: nothing to do
          const run = runners[job.type];
          if (!run) throw new Unimplemented(`${job.type} jobs are not run yet`);
          await run(job.id, signal);
        },
      },
    };
  },
};
