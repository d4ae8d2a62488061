import { EventTypes } from '../../shared/core/events.js';
import { pendingHandler } from '../../shared/runtime/events/pending-handler.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** spark-submit: runs a requested job on the configured engine (DuckDB in process, Spark later). */
export const sparkSubmit: FunctionDefinition = {
  name: 'spark-submit',
  trigger: 'event',
  async init() {
    return { events: { [EventTypes.jobRequested]: pendingHandler('jobs run on an engine from issue #3') } };
  },
};
