import { ONLINE_LOG_SCHEME } from '../ingests.js';
import { materializePlan, revertedKeysPlan, withStoredFiles } from '../plans.js';
import { entriesFromStored, expirySpanMicros } from '../online-values.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import type { OnlineStore } from '../ports/online-store.js';
import { joinedTables } from './online.js';
import type { Scratch } from './job-run.js';
import { copyNewestOnline, type Copied } from './materialize.js';

export interface IngestCommitted {
  ingestId: string;
  project: string;
  featureSet: string;
  major: number;
}

interface OfflineToOnlineDeps {
  store: MetadataStore;
  ingests: IngestStore;
  engine: OfflineEngine;
  online: OnlineStore;
  offline: ObjectStore;
  scratch(): Promise<Scratch>;
}

/**
 * offline-to-online after a committed ingest: the newest row per key of that ingest goes to the
 * online store, where the newest-wins write replaces only what is missing or older. Redelivery
 * writes the same entries again and changes nothing; an ingest reverted meanwhile is skipped, and
 * so is an ingest online-to-offline made of rows written online.
 */
export function createOfflineToOnline(d: OfflineToOnlineDeps & { maxRowBytes: number }) {
  return async function afterIngest(event: IngestCommitted, signal?: AbortSignal): Promise<Copied> {
    const ingest = await d.ingests.get(event.ingestId, signal);
    const fs = await d.store.getFeatureSet(event.project, event.featureSet, { major: event.major }, signal);
    const none = { rows: 0, written: 0, tooLarge: 0 };
    if (!ingest || ingest.state !== 'COMMITTED' || !fs) return none;
    // Rows drained from the online log are online already (copying them back could even replace a
    // row written later with the same event time).
    if (ingest.source.uri.startsWith(ONLINE_LOG_SCHEME)) return none;
    const scratch = await d.scratch();
    try {
      const plan = await withStoredFiles(materializePlan({}, fs.schema, [ingest]), (key) => scratch.localCopy(d.offline, key));
      return await copyNewestOnline(d, fs, plan, () => {}, signal);
    } finally {
      await scratch.dispose();
    }
  };
}

/**
 * offline-to-online after a revert: every key the reverted ingest touched gets back the newest row
 * of the ingests still visible, or leaves the online store when none has it; an online entry that
 * is not the reverted row (written online since, or from a newer ingest) stays (OnlineStore.restore).
 * Redelivery restores the same and changes nothing.
 */
export function createRevertOnline(d: OfflineToOnlineDeps) {
  return async function afterRevert(event: IngestCommitted, signal?: AbortSignal): Promise<{ keys: number }> {
    const ingest = await d.ingests.get(event.ingestId, signal);
    const fs = await d.store.getFeatureSet(event.project, event.featureSet, { major: event.major }, signal);
    if (!ingest || ingest.state !== 'REVERTED' || !fs) return { keys: 0 };
    const table = { project: fs.project, featureSet: fs.name, major: fs.major };
    const scratch = await d.scratch();
    try {
      const visible = await d.ingests.visible(fs.project, fs.name, fs.major, signal);
      const plan = await withStoredFiles(revertedKeysPlan(fs.schema, ingest, visible), (key) => scratch.localCopy(d.offline, key));
      const keys = await d.engine.revertedKeys(
        plan,
        async (batch) => {
          const was = entriesFromStored(
            fs.schema,
            batch.map((b) => b.reverted),
            fs.ttlSeconds,
            true,
          );
          await d.online.restore(
            table,
            batch.map((b, i) => ({
              key: was[i].key,
              expected: { eventTimeMicros: was[i].eventTimeMicros, value: was[i].value, legacyValue: was[i].legacyValue },
              replacement: b.restored ? entriesFromStored(fs.schema, [b.restored], fs.ttlSeconds)[0] : undefined,
            })),
            signal,
          );
        },
        signal,
      );
      return { keys };
    } finally {
      await scratch.dispose();
    }
  };
}

/**
 * A feature set's TTL changed: its online entries get expiries from the new TTL (a longer TTL must
 * not lose entries to the old, shorter expiry; no TTL: they never expire). Idempotent.
 */
export function createTtlChange(d: { online: OnlineStore }) {
  return async function afterTtlChange(
    change: { project: string; featureSet: string; major: number; ttlSeconds: number | null },
    signal?: AbortSignal,
  ): Promise<void> {
    await d.online.reexpire({ project: change.project, featureSet: change.featureSet, major: change.major }, expirySpanMicros(change.ttlSeconds), signal);
  };
}

/**
 * A feature view registered or given a new version: the online store keeps its sets' entries joined
 * (one entry per entity for all of them) when it can and the sets are keyed alike, so a read of the
 * view finds one entry per entity. Idempotent; a view deleted since, or one that cannot be joined,
 * changes nothing. A deleted view leaves its join kept (another view may read the same sets); a
 * dropped feature set ends every join it is part of.
 */
export function createViewJoin(d: { store: MetadataStore; online: OnlineStore }) {
  return async function afterViewChange(change: { project: string; featureView: string; version: number }, signal?: AbortSignal): Promise<{ joined: number }> {
    const view = await d.store.getFeatureView(change.project, change.featureView, change.version, signal);
    if (!view) return { joined: 0 };
    const sets = [];
    for (const s of view.sources) {
      const fs = await d.store.getFeatureSet(s.project, s.featureSet, { major: s.major }, signal);
      if (!fs) return { joined: 0 };
      sets.push(fs);
    }
    const tables = joinedTables(view, sets);
    if (!tables) return { joined: 0 };
    await d.online.join(tables, signal);
    return { joined: tables.length };
  };
}
