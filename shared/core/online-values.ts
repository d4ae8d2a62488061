// Online rows: typed values checked against a feature set's schema, the entity key and the stored
// form of an entity's non-key features beside the event time (shared/core/online-format.ts).
import type { DataType, Feature, Schema } from './model.js';
import { encodeLegacyRow, encodeStoredRow, WireWriter, writeStoredRow } from './online-format.js';
import type { StoredBatch } from './ports/online-store.js';
import { microsOf, storedMicros, type StoredValue } from './values.js';

/** The features stored in an online entry's value, in schema order: all but key and event time. */
export function storedFeatures(schema: Schema): Feature[] {
  const skip = new Set([...schema.primaryKey, schema.eventTimeColumn]);
  return schema.features.filter((f) => !skip.has(f.name));
}

/** The canonical text of an entity key (key values in primary-key order, stored forms). */
export function encodeEntityKey(values: StoredValue[]): string {
  // One scalar (the usual key): the same text without stringifying an array.
  if (values.length === 1) {
    const v = values[0];
    if (typeof v === 'string') return plainText(v) ? `["${v}"]` : `[${JSON.stringify(v)}]`;
    if (typeof v === 'number' || typeof v === 'boolean') return `[${v}]`;
  }
  return JSON.stringify(values);
}

/** Whether JSON writes `s` as it is between quotes: no quote, backslash, control character or lone surrogate half. */
function plainText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** The event time of a row in µs: TIMESTAMP as is, DATE at midnight UTC. */
export function eventTimeMicros(f: Pick<Feature, 'type'>, v: StoredValue): number {
  if (f.type === 'DATE') return (v as number) * 86_400_000_000;
  return typeof v === 'number' ? v : Number(microsOf(v));
}

/** Reads hide a row once its TTL passed (EXPIRED); the store keeps it one more TTL (at least an hour) before dropping it (MISSING). */
const MIN_EXPIRY_MARGIN_SECONDS = 3600;

/** How long after its event time the online store may drop an entry (µs), or undefined with no TTL. */
export function expirySpanMicros(ttlSeconds: number | null): number | undefined {
  return ttlSeconds === null ? undefined : (ttlSeconds + Math.max(ttlSeconds, MIN_EXPIRY_MARGIN_SECONDS)) * 1e6;
}

/** When the online store may drop an entry of this event time (µs), or undefined with no TTL. */
export function expiryMicros(ttlSeconds: number | null, eventTimeMicros: number): number | undefined {
  const span = expirySpanMicros(ttlSeconds);
  return span === undefined ? undefined : eventTimeMicros + span;
}

/** Where an engine's row holds what an online entry needs (hot loops look columns up once). */
function engineColumns(schema: Schema) {
  const byName = new Map(schema.features.map((f) => [f.name, f]));
  const stored = storedFeatures(schema);
  return {
    stored,
    names: stored.map((f) => f.name),
    keyFeatures: schema.primaryKey.map((k) => byName.get(k)!),
    et: byName.get(schema.eventTimeColumn)!,
  };
}

/** A stored value of `f` as an engine produced it: 64-bit timestamps may come as text, and become µs numbers. */
function fromEngine(f: Feature, v: unknown): StoredValue {
  if (v === null || v === undefined) return null;
  if (f.isList) return (v as unknown[]).map((x) => fromEngine({ ...f, isList: false }, x));
  if (f.type !== 'TIMESTAMP' || (typeof v === 'number' && Number.isSafeInteger(v))) return v as StoredValue;
  return storedMicros(BigInt(v as string | number));
}

/**
 * What entriesFromStored makes, as one StoredBatch for a bulk write (materialization): the rows'
 * values written back to back in one buffer, no object or buffer per row. Rows whose stored value
 * is over `maxRowBytes` are left out and counted. The engine's rows have distinct keys (the newest
 * row per key).
 */
export function storedBatchOf(
  schema: Schema,
  rows: Record<string, unknown>[],
  ttlSeconds: number | null,
  maxRowBytes: number,
): { batch: StoredBatch; tooLarge: number } {
  const { stored, names, keyFeatures, et } = engineColumns(schema);
  const span = expirySpanMicros(ttlSeconds);
  const w = new WireWriter();
  const keys: string[] = [];
  const eventTimes = new Float64Array(rows.length);
  const expiries = new Float64Array(rows.length);
  const starts = new Int32Array(rows.length + 1);
  // One array of values and one of key values, written over for every row.
  const values = new Array<StoredValue>(stored.length);
  const keyValues = new Array<StoredValue>(keyFeatures.length);
  let tooLarge = 0;
  for (const r of rows) {
    const start = w.length;
    for (let i = 0; i < stored.length; i++) values[i] = fromEngine(stored[i], r[names[i]]);
    writeStoredRow(w, stored, values);
    if (w.length - start > maxRowBytes) {
      w.truncate(start);
      tooLarge++;
      continue;
    }
    const n = keys.length;
    for (let k = 0; k < keyFeatures.length; k++) keyValues[k] = fromEngine(keyFeatures[k], r[keyFeatures[k].name]);
    keys.push(encodeEntityKey(keyValues));
    const at = eventTimeMicros(et, fromEngine(et, r[et.name]));
    eventTimes[n] = at;
    expiries[n] = span === undefined ? NaN : at + span;
    starts[n + 1] = w.length;
  }
  const n = keys.length;
  return {
    batch: { keys, eventTimeMicros: eventTimes.subarray(0, n), expireAtMicros: expiries.subarray(0, n), bytes: w.take(), starts: starts.subarray(0, n + 1) },
    tooLarge,
  };
}

/**
 * Online entries from rows in stored form as an engine produced them (64-bit integers may come as
 * text: timestamps are turned back into numbers of µs), expiring by the feature set's TTL. With
 * `legacy`, each also carries its value in the legacy stored form (a revert matches either).
 */
export function entriesFromStored(
  schema: Schema,
  rows: Record<string, unknown>[],
  ttlSeconds: number | null,
  legacy = false,
): { key: string; eventTimeMicros: number; value: Buffer; legacyValue?: Buffer; expireAtMicros?: number }[] {
  const { stored, names, keyFeatures, et } = engineColumns(schema);
  return rows.map((r) => {
    const at = eventTimeMicros(et, fromEngine(et, r[et.name]));
    const values: StoredValue[] = new Array<StoredValue>(stored.length);
    for (let i = 0; i < stored.length; i++) values[i] = fromEngine(stored[i], r[names[i]]);
    const entry: { key: string; eventTimeMicros: number; value: Buffer; legacyValue?: Buffer; expireAtMicros?: number } = {
      key: encodeEntityKey(keyFeatures.map((k) => fromEngine(k, r[k.name]))),
      eventTimeMicros: at,
      value: encodeStoredRow(stored, values),
      expireAtMicros: expiryMicros(ttlSeconds, at),
    };
    if (legacy) entry.legacyValue = encodeLegacyRow(values);
    return entry;
  });
}

/** A timestamp in µs as ISO 8601 text with all six fraction digits, in UTC. */
export function isoMicros(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  return new Date(Number(ms)).toISOString().replace('Z', `${String(us - ms * 1000n).padStart(3, '0')}Z`);
}

function sourceScalar(type: DataType, v: StoredValue): unknown {
  if (v === null) return null;
  switch (type) {
    case 'TIMESTAMP':
      return isoMicros(microsOf(v));
    case 'DATE':
      return new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
    case 'BYTES':
      // base64, as JSON sources carry bytes (shared/core/values.ts).
      return v;
    default:
      return v;
  }
}

/**
 * A stored row (one value per feature, schema order) as a JSON-lines source record that the
 * offline ingest reads back to the same values: timestamps and dates as ISO text, bytes base64,
 * int64 as decimal text.
 */
export function sourceRecord(features: readonly Feature[], row: readonly StoredValue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  features.forEach((f, i) => {
    const v = row[i] ?? null;
    out[f.name] = f.isList && v !== null ? (v as StoredValue[]).map((x) => sourceScalar(f.type, x)) : sourceScalar(f.type, v);
  });
  return out;
}
