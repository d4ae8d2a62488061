import { entriesFromStored } from '../online.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import type { OnlineStore } from '../ports/online-store.js';
import type { Scratch } from './ingest.js';

export interface IngestCommitted {
  ingestId: string;
  project: string;
  featureSet: string;
  major: number;
}

/**
 * offline-to-online after a committed ingest: the newest row per key of that ingest goes to the
 * online store, where the newest-wins write replaces only what is missing or older. Redelivery
 * writes the same entries again and changes nothing; an ingest reverted meanwhile is skipped.
 */
export function createOfflineToOnline(d: { store: MetadataStore; ingests: IngestStore; engine: OfflineEngine; online: OnlineStore; offline: ObjectStore; scratch(): Promise<Scratch> }) {
  return async function afterIngest(event: IngestCommitted, signal?: AbortSignal): Promise<{ rows: number; written: number }> {
    const ingest = await d.ingests.get(event.ingestId, signal);
    const fs = await d.store.getFeatureSet(event.project, event.featureSet, { major: event.major }, signal);
    if (!ingest || ingest.state !== 'COMMITTED' || !fs) return { rows: 0, written: 0 };
    const scratch = await d.scratch();
    try {
      const files = await Promise.all(ingest.files.map((key) => scratch.localCopy(d.offline, key)));
      let written = 0;
      const table = { project: fs.project, featureSet: fs.name, major: fs.major };
      const rows = await d.engine.newestPerKey(
        { schema: fs.schema, files },
        async (batch) => {
          written += (await d.online.put(table, entriesFromStored(fs.schema, batch), signal)).filter(Boolean).length;
        },
        signal,
      );
      return { rows, written };
    } finally {
      await scratch.dispose();
    }
  };
}
