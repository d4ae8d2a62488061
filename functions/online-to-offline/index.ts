import { EventTypes } from '../../shared/core/events.js';
import { pendingHandler } from '../../shared/runtime/events/pending-handler.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** online-to-offline: on each cron tick, drains online-written rows into one offline ingest. */
export const onlineToOffline: FunctionDefinition = {
  name: 'online-to-offline',
  trigger: 'event',
  async init() {
    return { events: { [EventTypes.syncTick]: pendingHandler('online-to-offline sync arrives with issue #4') } };
  },
};
