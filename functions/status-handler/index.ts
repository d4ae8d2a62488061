import { EventTypes } from '../../shared/core/events.js';
import type { JobStatusData } from '../../shared/core/jobs.js';
import { createStatusRecorder } from '../../shared/core/use-cases/job-status.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** status-handler: records job outcomes; a succeeded ingest commits (becomes visible) here, a revert hides one. */
export const statusHandler: FunctionDefinition = {
  name: 'status-handler',
  trigger: { kind: 'event', events: [EventTypes.jobStatus] },
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
          const data = event.data!;
          // Only outcomes are recorded (a cancel before the job ran is recorded where it happens).
          if (data.state === 'SUCCEEDED' || data.state === 'FAILED' || data.state === 'CANCELLED')
            await recordStatus({ ...(data as JobStatusData), jobId: data.jobId.toLowerCase() });
        },
      },
    };
  },
};
