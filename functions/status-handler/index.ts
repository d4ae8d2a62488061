import { EventTypes } from '../../shared/core/events.js';
import { pendingHandler } from '../../shared/runtime/events/pending-handler.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** status-handler: records job state changes; on a committed ingest emits ingest.committed. */
export const statusHandler: FunctionDefinition = {
  name: 'status-handler',
  trigger: 'event',
  async init() {
    return { events: { [EventTypes.jobStatus]: pendingHandler('job states are recorded from issue #3') } };
  },
};
