import { EventTypes } from '../../shared/core/events.js';
import type { JobStatusData } from '../../shared/core/jobs.js';
import { createStatusRecorder } from '../../shared/core/use-cases/job-status.js';
import { requireJobId } from '../../shared/core/use-cases/jobs.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** status-handler: records job outcomes; a succeeded ingest commits (becomes visible) here, a revert hides one. */
export const statusHandler: FunctionDefinition = {
  name: 'status-handler',
  trigger: 'event',
  async init({ deps }) {
    const recordStatus = createStatusRecorder({
      store: await deps.metadataStore(),
      jobs: await deps.jobStore(),
      ingests: await deps.ingestStore(),
      offline: deps.offlineStore(),
    });
    return {
      events: {
        [EventTypes.jobStatus]: async (event) => {
          const data = event.data as Partial<JobStatusData> | undefined;
          // Progress-free status events (RUNNING) carry no state to record.
          if (data?.jobId && data.state) await recordStatus({ ...(data as JobStatusData), jobId: requireJobId(data.jobId, 'data.jobId') });
        },
      },
    };
  },
};
