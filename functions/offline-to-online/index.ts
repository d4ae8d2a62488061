import { EventTypes } from '../../shared/core/events.js';
import { pendingHandler } from '../../shared/runtime/events/pending-handler.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** offline-to-online: upserts the newest rows per key of a committed ingest into the online store. */
export const offlineToOnline: FunctionDefinition = {
  name: 'offline-to-online',
  trigger: 'event',
  async init() {
    return { events: { [EventTypes.ingestCommitted]: pendingHandler('the online store arrives with issue #4') } };
  },
};
