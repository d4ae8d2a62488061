/**
 * Where one feature set version's newest row per entity lives: one entry per entity key holding
 * every feature and the event time, so a read is one lookup per entity whatever the number of
 * features.
 */
export interface OnlineTable {
  project: string;
  featureSet: string;
  major: number;
}

/** An entry: the encoded entity key, the event time in microseconds, and the features in stored form (shared/core/online-format.ts). */
export interface OnlineEntry {
  key: string;
  eventTimeMicros: number;
  value: Uint8Array;
  /** When the store may drop the entry (µs since the epoch; see shared/core/online.ts expiryMicros); never when absent. */
  expireAtMicros?: number;
}

/** Keys to read from one table. */
export interface OnlineRead {
  table: OnlineTable;
  keys: string[];
}

/** What a reverted ingest left online for one key, and what stands instead (none: the key goes). */
export interface RestoreItem {
  key: string;
  /** `legacyValue`: the same row in the legacy stored form, which entries written before format 1 hold; it matches too. */
  expected: { eventTimeMicros: number; value: Uint8Array; legacyValue?: Uint8Array };
  replacement?: OnlineEntry;
}

/**
 * Online rows, newest event time wins. `put` writes each entry unless the stored one is newer
 * (equal event times: the later write wins), atomically per entry even under concurrent writers,
 * and says for each whether it was written. `get` returns entries in the order of the keys asked
 * for (undefined when absent) in one round trip per node. Keys (strings) and values (bytes) are
 * opaque to the store (shared/core/online-values.ts and online-format.ts encode them). Unreachable servers throw Unavailable.
 */
export interface OnlineStore {
  put(table: OnlineTable, entries: OnlineEntry[], signal?: AbortSignal): Promise<boolean[]>;
  get(table: OnlineTable, keys: string[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[]>;
  /** Like `get` for several tables at once (a feature view's sets), in one round trip per node: per read, entries in key order. */
  getMany(reads: OnlineRead[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[][]>;
  /**
   * After a revert, per key (keys unique in a call): if the stored entry is exactly `expected` (the
   * reverted ingest's row: same event time and value) it is replaced by `replacement`, or removed
   * when there is none; otherwise `replacement` is written newest-wins like `put`, so a row written
   * since (newer, or simply different) stays. Atomic per key; repeating a call changes nothing more.
   */
  restore(table: OnlineTable, items: RestoreItem[], signal?: AbortSignal): Promise<void>;
  /**
   * A feature set's TTL changed: every entry of the table expires `spanMicros` after its event time
   * (undefined: never), so a longer TTL does not lose entries to the old one.
   */
  reexpire(table: OnlineTable, spanMicros: number | undefined, signal?: AbortSignal): Promise<void>;
  /** Removes entries whose expiry has passed, if the store does not do so itself (Redis does); returns how many. */
  sweepExpired(nowMicros: number, signal?: AbortSignal): Promise<number>;
  /** Removes every entry of the table (a feature set deleted or a major version dropped). */
  drop(table: OnlineTable, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The namespace of a table's entries: the same in every adapter. */
export function onlineNamespace(t: OnlineTable): string {
  return `${t.project}/${t.featureSet}/v${t.major}`;
}

/**
 * For a batch that repeats a key: the index of the entry that stands per key (the newest, the
 * later one on ties). Adapters write only these, so every store answers a batch the same way.
 */
export function batchWinners(entries: OnlineEntry[]): Map<string, number> {
  const winner = new Map<string, number>();
  entries.forEach((e, i) => {
    const w = winner.get(e.key);
    if (w === undefined || entries[w].eventTimeMicros <= e.eventTimeMicros) winner.set(e.key, i);
  });
  return winner;
}
