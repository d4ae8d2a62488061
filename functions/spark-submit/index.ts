import { Unimplemented } from '../../shared/core/errors.js';
import { EventTypes } from '../../shared/core/events.js';
import { createIngestRunner } from '../../shared/core/use-cases/ingest.js';
import { requireJobId } from '../../shared/core/use-cases/jobs.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { createScratch } from '../../shared/runtime/scratch.js';

/** spark-submit: runs a requested job on the configured engine (DuckDB in process; Spark later). */
export const sparkSubmit: FunctionDefinition = {
  name: 'spark-submit',
  trigger: 'event',
  async init({ deps }) {
    const jobs = await deps.jobStore();
    const runIngest = createIngestRunner({
      store: await deps.metadataStore(),
      jobs,
      ingests: await deps.ingestStore(),
      sources: deps.sourceFiles(),
      engine: deps.engine(),
      offline: deps.offlineStore(),
      scratch: createScratch,
    });
    return {
      events: {
        [EventTypes.jobRequested]: async (event, { signal }) => {
          const job = await jobs.getJob(requireJobId(String((event.data as { jobId?: unknown } | undefined)?.jobId ?? ''), 'data.jobId'));
          if (!job) return; // deleted meanwhile: nothing to do
          if (job.type !== 'INGEST') throw new Unimplemented(`${job.type} jobs are not run yet (later in issue #3)`);
          await runIngest(job.id, signal);
        },
      },
    };
  },
};
