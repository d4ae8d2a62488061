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
  /**
   * A read's entry may also say where its value sits in a larger buffer the store read (`value` is
   * `bytes` from `from` on), so the read path copies the bytes it answers from there without a view
   * of its own per entry (issue #16). Both or neither.
   */
  readonly bytes?: Uint8Array;
  readonly from?: number;
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
 * Entries of one table in stored form, keys distinct, laid out for a bulk write (materialization:
 * the newest offline row per key) without an object or a buffer per entry: entry i is keys[i],
 * eventTimeMicros[i], expireAtMicros[i] (NaN: never) and bytes[starts[i] .. starts[i + 1]).
 */
export interface StoredBatch {
  readonly keys: readonly string[];
  readonly eventTimeMicros: Float64Array;
  readonly expireAtMicros: Float64Array;
  readonly bytes: Uint8Array;
  /** keys.length + 1 offsets into bytes. */
  readonly starts: Int32Array;
}

/** Entries from..to of a batch, sharing its arrays and bytes. */
export function sliceBatch(b: StoredBatch, from: number, to: number): StoredBatch {
  return {
    keys: b.keys.slice(from, to),
    eventTimeMicros: b.eventTimeMicros.subarray(from, to),
    expireAtMicros: b.expireAtMicros.subarray(from, to),
    bytes: b.bytes,
    starts: b.starts.subarray(from, to + 1),
  };
}

/** A batch's entries as objects, for stores without a bulk path. */
export function batchEntries(b: StoredBatch): OnlineEntry[] {
  return b.keys.map((key, i) => {
    const expireAtMicros = b.expireAtMicros[i];
    return {
      key,
      eventTimeMicros: b.eventTimeMicros[i],
      value: b.bytes.subarray(b.starts[i], b.starts[i + 1]),
      ...(Number.isNaN(expireAtMicros) ? {} : { expireAtMicros }),
    };
  });
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
  /** `put` of a batch whose keys are distinct (a bulk write: no object per entry); answers how many were written. */
  putBatch(table: OnlineTable, batch: StoredBatch, signal?: AbortSignal): Promise<number>;
  get(table: OnlineTable, keys: string[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[]>;
  /** Like `get` for several tables at once (a feature view's sets), in one round trip per node: per read, entries in key order. */
  getMany(reads: OnlineRead[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[][]>;
  /**
   * Keeps the entries of these tables (a feature view's sets keyed alike, in the view's order) also
   * as one joined entry per entity key (shared/core/online-joined.ts), from now on and for the
   * entries already stored; every later write, restore, TTL change or expiry of one of them follows.
   * Idempotent. A store that cannot keep joined entries does nothing (getJoined then answers undefined).
   */
  join(tables: readonly OnlineTable[], signal?: AbortSignal): Promise<void>;
  /**
   * The joined entries of these tables for these keys, in key order, in one round trip: null for
   * a key with none (the caller reads that key from the tables), or undefined as a whole when the
   * store keeps no joined entries of these tables.
   */
  getJoined(tables: readonly OnlineTable[], keys: string[], signal?: AbortSignal): Promise<(Uint8Array | null)[] | undefined>;
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
  /** Removes every entry of the table (a feature set deleted or a major version dropped), and every join it is part of. */
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
