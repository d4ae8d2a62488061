import { InvalidArgument } from '../../shared/core/errors.js';
import { EventTypes } from '../../shared/core/events.js';
import { createOfflineToOnline, createRevertOnline, createTtlChange, createViewJoin } from '../../shared/core/use-cases/offline-to-online.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/** offline-to-online: upserts the newest rows per key of a committed ingest into the online store, takes a reverted ingest's rows back, and keeps a feature view's sets joined online. */
export const offlineToOnline: FunctionDefinition = {
  name: 'offline-to-online',
  trigger: { kind: 'event', events: [EventTypes.ingestCommitted, EventTypes.ingestReverted, EventTypes.featureSetChanged, EventTypes.featureViewChanged] },
  async init({ deps, logger }) {
    const d = {
      store: await deps.metadataStore(),
      ingests: await deps.ingestStore(),
      engine: deps.engine(),
      online: await deps.onlineStore(),
      offline: deps.offlineStore(),
      scratch: () => deps.scratch(),
      maxRowBytes: deps.config.onlineLimits.maxRowBytes,
    };
    const afterIngest = createOfflineToOnline(d);
    const afterRevert = createRevertOnline(d);
    const afterTtlChange = createTtlChange(d);
    const afterViewChange = createViewJoin(d);
    return {
      events: {
        [EventTypes.ingestCommitted]: async (event, { signal }) => {
          const data = event.data!;
          const out = await afterIngest(data, signal);
          logger.info({ ingestId: data.ingestId, rows: out.rows, written: out.written, tooLarge: out.tooLarge }, 'ingest copied online');
        },
        [EventTypes.ingestReverted]: async (event, { signal }) => {
          const data = event.data!;
          const out = await afterRevert(data, signal);
          logger.info({ ingestId: data.ingestId, keys: out.keys }, 'reverted ingest taken back online');
        },
        [EventTypes.featureSetChanged]: async (event, { signal }) => {
          const data = event.data!;
          if (data.ttlSeconds === undefined) return; // not a TTL change
          if (data.major === undefined) throw new InvalidArgument('a TTL change needs the major version', { field: 'data.major' });
          await afterTtlChange({ project: data.project, featureSet: data.featureSet, major: data.major, ttlSeconds: data.ttlSeconds }, signal);
          logger.info({ project: data.project, featureSet: data.featureSet, ttlSeconds: data.ttlSeconds }, 'online expiries follow the new TTL');
        },
        [EventTypes.featureViewChanged]: async (event, { signal }) => {
          const data = event.data!;
          if (data.change === 'deleted') return;
          const out = await afterViewChange(data, signal);
          logger.info({ project: data.project, featureView: data.featureView, version: data.version, joined: out.joined }, 'feature view joined online');
        },
      },
    };
  },
};
