import { EventTypes, PING_EVENT_TYPE } from '../../shared/core/events.js';
import { createHousekeeping } from '../../shared/core/use-cases/housekeeping.js';
import { createOnlineToOffline } from '../../shared/core/use-cases/online-to-offline.js';
import type { EventHandler, FunctionDefinition } from '../../shared/runtime/function.js';

/**
 * online-to-offline: on each cron tick (a PingSource; a timer in the all-in-one host), starts one
 * offline ingest per feature set version for the rows written online since the last one, after
 * sweeping leftovers (expired online entries, dead processes' scratch, uncommitted files).
 */
export const onlineToOffline: FunctionDefinition = {
  name: 'online-to-offline',
  // Every minute in service mode (a PingSource); the all-in-one host ticks every FEATURESTORE_SYNC_INTERVAL_SECONDS.
  trigger: { kind: 'cron', schedule: '* * * * *', events: [EventTypes.syncTick, PING_EVENT_TYPE] },
  async init({ deps, logger }) {
    const sync = createOnlineToOffline({
      store: await deps.metadataStore(),
      jobs: await deps.jobStore(),
      ingests: await deps.ingestStore(),
      log: await deps.onlineLog(),
      leaseMs: deps.config.jobLeaseMs,
    });
    const housekeeping = createHousekeeping({
      online: await deps.onlineStore(),
      offline: deps.offlineStore(),
      ingests: await deps.ingestStore(),
      jobs: await deps.jobStore(),
      leaseMs: deps.config.jobLeaseMs,
      sweepLocal: (olderThanMs) => deps.sweepLocal(olderThanMs),
    });
    const sweep = (signal?: AbortSignal) =>
      housekeeping(signal).then((h) => {
        if (h.expired || h.scratch || h.files.length) logger.info({ expired: h.expired, scratch: h.scratch, files: h.files.length }, 'leftovers swept');
      });
    void sweep().catch((err: unknown) => logger.warn({ err }, 'the sweep at start failed; the next tick retries'));
    const tick: EventHandler = async (_event, { signal }) => {
      await sweep(signal);
      const r = await sync(signal);
      for (const job of r.abandoned) logger.warn({ jobId: job.id, type: job.type, state: job.state }, 'job abandoned by its worker: ended');
      for (const job of r.requeued) logger.warn({ jobId: job.id, type: job.type, attempt: job.attempt }, 'job whose worker stopped asked for again');
      for (const table of r.stuck)
        logger.error({ table }, 'online rows are not reaching the offline store: the last sync attempts all failed; see the jobs list');
      for (const table of r.discarded) logger.warn({ table }, 'online rows of a deleted feature set version dropped from the log');
      if (r.started.length || r.waiting.length) {
        logger.info({ started: r.started.map((j) => j.id), waiting: r.waiting.map((j) => j.id) }, 'online rows on their way offline');
      }
    };
    // The all-in-one host's timer sends sync ticks; a PingSource sends its own ping type.
    return { events: { [EventTypes.syncTick]: tick, [PING_EVENT_TYPE]: tick } };
  },
};
