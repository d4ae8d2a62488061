import { FailedPrecondition } from '../../shared/core/errors.js';
import { ApiServerEventTypes, EventTypes } from '../../shared/core/events.js';
import type { ApplicationChange } from '../../shared/core/ports/job-launcher.js';
import type { SpecJobType } from '../../shared/core/job-specs.js';
import { ingestJob } from '../../shared/core/use-cases/ingest.js';
import { finishHandedOffJob, runStagedJob, type StagedJob, type StagedRunnerDeps } from '../../shared/core/use-cases/job-run.js';
import { materializeJob } from '../../shared/core/use-cases/materialize.js';
import { retrieveJob } from '../../shared/core/use-cases/retrieve.js';
import { revertJob } from '../../shared/core/use-cases/revert.js';
import { trainingSetJob } from '../../shared/core/use-cases/training-set.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/**
 * spark-submit: runs each requested job on the configured engine. DuckDB and spark-local run it
 * in this delivery; spark-k8s hands it to a SparkApplication and returns, and the job ends when its
 * application ends: the application's changes come from this function's own watch
 * (FEATURESTORE_SPARK_K8S_FOLLOW=watch) or as an ApiServerSource's events (=events: no replica
 * needs to stay up while applications run; see docs/spark.md).
 */
export const sparkSubmit: FunctionDefinition = {
  name: 'spark-submit',
  trigger: {
    kind: 'event',
    events: [EventTypes.jobRequested, EventTypes.jobCancelRequested, ApiServerEventTypes.add, ApiServerEventTypes.update, ApiServerEventTypes.delete],
    watches: [{ apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'SparkApplication', resource: 'sparkapplications', label: 'featurestore.dev/job' }],
  },
  async init({ deps, logger }) {
    const jobs = await deps.jobStore();
    const catalog = { store: await deps.metadataStore(), ingests: await deps.ingestStore(), offline: deps.offlineStore() };
    const d: StagedRunnerDeps = { ...(await deps.jobFrame()), engine: deps.engine(), sources: deps.sourceFiles(), launcher: deps.launcher() };
    const staged: Partial<Record<SpecJobType, StagedJob<SpecJobType>>> = {
      INGEST: ingestJob({ ...catalog, onlineLog: await deps.onlineLog(), maxFutureMs: deps.config.onlineLimits.maxFutureMs }),
      RETRIEVE: retrieveJob(catalog),
      REVERT: revertJob(catalog),
      TRAINING_SET: trainingSetJob(catalog),
      MATERIALIZE: materializeJob({ ...catalog, online: await deps.onlineStore(), maxRowBytes: deps.config.onlineLimits.maxRowBytes }),
    };
    const stopping = new AbortController();
    const apply = async (change: ApplicationChange, signal: AbortSignal) => {
      try {
        if ('end' in change) return await finishHandedOffJob(d, staged, change.jobId, change.handle, change.end, signal);
        const job = await jobs.getJob(change.jobId);
        if (job?.handedOff === change.handle && job.message !== change.running)
          await jobs.updateJob(job.id, { message: change.running }, ['RUNNING'], () => []);
      } catch (err) {
        logger.error({ err, jobId: change.jobId, application: change.handle }, 'could not apply a SparkApplication change to its job');
        throw err;
      }
    };
    const watch = d.launcher && deps.config.sparkK8s.follow === 'watch' ? await d.launcher.follow((change) => apply(change, stopping.signal)) : undefined;
    /** An ApiServerSource's event about an application: the same change a watch would see (out of order is fine: an end is final, and a running message never overwrites one). */
    const applicationEvent =
      (type: 'ADDED' | 'MODIFIED' | 'DELETED') =>
      async (event: { data?: unknown }, { signal }: { signal: AbortSignal }) => {
        if (!d.launcher)
          throw new FailedPrecondition('a SparkApplication changed, but this function does not run spark-k8s (set FEATURESTORE_ENGINE=spark-k8s)');
        const change = d.launcher.changeOf(type, event.data);
        if (change) await apply(change, signal);
      };
    return {
      events: {
        [EventTypes.jobRequested]: async (event, { signal }) => {
          const job = await jobs.getJob(event.data!.jobId.toLowerCase());
          if (!job) return; // deleted meanwhile: nothing to do
          const run = staged[job.type];
          if (!run) throw new Error(`${job.type} jobs have no runner`);
          await runStagedJob(d, run, job.id, signal);
        },
        [EventTypes.jobCancelRequested]: async (event, { signal }) => {
          const job = await jobs.getJob(event.data!.jobId.toLowerCase());
          // Deleting the application stops its driver and executors; the watch then ends the job CANCELLED.
          if (job?.handedOff && d.launcher) await d.launcher.stop(job.handedOff, signal);
        },
        [ApiServerEventTypes.add]: applicationEvent('ADDED'),
        [ApiServerEventTypes.update]: applicationEvent('MODIFIED'),
        [ApiServerEventTypes.delete]: applicationEvent('DELETED'),
      },
      async shutdown() {
        watch?.stop();
        stopping.abort();
      },
    };
  },
};
