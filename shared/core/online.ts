// Online rows: typed values checked against a feature set's schema, the entity key and the stored
// form (one JSON array of every non-key feature per entity, beside the event time).
import type { DataType, Feature, Schema } from './model.js';

/** A value as sent over the API: its kind says which proto field carried it. */
export type TypedValue =
  | { kind: 'null' }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int32'; value: number }
  | { kind: 'int64'; value: string }
  | { kind: 'float32'; value: number }
  | { kind: 'float64'; value: number }
  | { kind: 'timestamp'; value: Date }
  | { kind: 'date'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'list'; value: TypedValue[] };

/** The stored form of one value: int64 as decimal text, timestamps in µs, dates in days, bytes base64. */
export type StoredValue = string | number | boolean | null | StoredValue[];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Checks one scalar against a type (with the lossless widenings), returning its stored form or why not. */
function scalar(type: DataType, v: TypedValue): StoredValue | { error: string } {
  switch (type) {
    case 'STRING':
      return v.kind === 'string' ? v.value : { error: `must be a string, not ${v.kind}` };
    case 'BOOL':
      return v.kind === 'bool' ? v.value : { error: `must be a bool, not ${v.kind}` };
    case 'INT32':
      return v.kind === 'int32' ? v.value : { error: `must be an int32, not ${v.kind}` };
    case 'INT64': {
      if (v.kind === 'int32') return String(v.value);
      if (v.kind !== 'int64') return { error: `must be an int64, not ${v.kind}` };
      const n = /^-?\d{1,19}$/.test(v.value) ? BigInt(v.value) : undefined;
      return n !== undefined && n >= INT64_MIN && n <= INT64_MAX ? n.toString() : { error: `"${v.value.slice(0, 40)}" is not an int64` };
    }
    case 'FLOAT32':
    case 'FLOAT64':
      if (v.kind === 'float64' || v.kind === 'float32' || v.kind === 'int32') return Number.isFinite(v.value) ? v.value : { error: 'must be a finite number' };
      return { error: `must be a ${type === 'FLOAT32' ? 'float32' : 'float64'}, not ${v.kind}` };
    case 'TIMESTAMP':
      if (v.kind === 'timestamp') return v.value.getTime() * 1000;
      return { error: `must be a timestamp, not ${v.kind}` };
    case 'DATE':
      return v.kind === 'date' ? v.value : { error: `must be a date (days since 1970-01-01), not ${v.kind}` };
    case 'BYTES':
      return v.kind === 'bytes' ? Buffer.from(v.value).toString('base64') : { error: `must be bytes, not ${v.kind}` };
  }
}

/** Checks a value against a feature; null is allowed here (keys and event time are checked by the caller). */
export function checkValue(f: Pick<Feature, 'type' | 'isList'>, v: TypedValue): StoredValue | { error: string } {
  if (v.kind === 'null') return null;
  if (!f.isList) return v.kind === 'list' ? { error: 'must be a single value, not a list' } : scalar(f.type, v);
  if (v.kind !== 'list') return { error: 'must be a list' };
  const out: StoredValue[] = [];
  for (const [i, item] of v.value.entries()) {
    const s = item.kind === 'null' ? null : item.kind === 'list' ? { error: 'lists may not nest' } : scalar(f.type, item);
    if (isError(s)) return { error: `item ${i} ${s.error}` };
    out.push(s);
  }
  return out;
}

export function isError(v: StoredValue | { error: string }): v is { error: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v;
}

/** The stored value back as a typed value of the feature's type. */
export function toTypedValue(f: Pick<Feature, 'type' | 'isList'>, v: StoredValue): TypedValue {
  if (v === null) return { kind: 'null' };
  if (f.isList) return { kind: 'list', value: (v as StoredValue[]).map((x) => toTypedValue({ type: f.type, isList: false }, x)) };
  switch (f.type) {
    case 'STRING':
      return { kind: 'string', value: v as string };
    case 'BOOL':
      return { kind: 'bool', value: v as boolean };
    case 'INT32':
      return { kind: 'int32', value: v as number };
    case 'INT64':
      return { kind: 'int64', value: v as string };
    case 'FLOAT32':
      return { kind: 'float32', value: v as number };
    case 'FLOAT64':
      return { kind: 'float64', value: v as number };
    case 'TIMESTAMP':
      return { kind: 'timestamp', value: new Date(Math.floor((v as number) / 1000)) };
    case 'DATE':
      return { kind: 'date', value: v as number };
    case 'BYTES':
      return { kind: 'bytes', value: Buffer.from(v as string, 'base64') };
  }
}

/** The features stored in an online entry's value, in schema order: all but key and event time. */
export function storedFeatures(schema: Schema): Feature[] {
  const skip = new Set([...schema.primaryKey, schema.eventTimeColumn]);
  return schema.features.filter((f) => !skip.has(f.name));
}

/** The canonical text of an entity key (key values in primary-key order, stored forms). */
export function encodeEntityKey(values: StoredValue[]): string {
  return JSON.stringify(values);
}

/** The event time of a row in µs: TIMESTAMP as is, DATE at midnight UTC. */
export function eventTimeMicros(f: Pick<Feature, 'type'>, v: StoredValue): number {
  return f.type === 'DATE' ? (v as number) * 86_400_000_000 : (v as number);
}

/**
 * Online entries from rows in stored form as an engine produced them (64-bit integers may come as
 * text: timestamps are turned back into numbers of µs).
 */
export function entriesFromStored(schema: Schema, rows: Record<string, unknown>[]): { key: string; eventTimeMicros: number; value: string }[] {
  const byName = new Map(schema.features.map((f) => [f.name, f]));
  const norm = (f: Feature, v: unknown): StoredValue => {
    if (v === null || v === undefined) return null;
    if (f.isList) return (v as unknown[]).map((x) => norm({ ...f, isList: false }, x));
    return f.type === 'TIMESTAMP' ? Number(v) : (v as StoredValue);
  };
  const stored = storedFeatures(schema);
  const et = byName.get(schema.eventTimeColumn)!;
  return rows.map((r) => ({
    key: encodeEntityKey(schema.primaryKey.map((k) => norm(byName.get(k)!, r[k]))),
    eventTimeMicros: eventTimeMicros(et, norm(et, r[et.name])),
    value: JSON.stringify(stored.map((f) => norm(f, r[f.name]))),
  }));
}

/** A timestamp in µs as ISO 8601 text with all six fraction digits, in UTC. */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return new Date(ms).toISOString().replace('Z', `${String(us - ms * 1000).padStart(3, '0')}Z`);
}

function sourceScalar(type: DataType, v: StoredValue): unknown {
  if (v === null) return null;
  switch (type) {
    case 'TIMESTAMP':
      return isoMicros(v as number);
    case 'DATE':
      return new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
    case 'BYTES':
      // Every byte escaped: the text casts back to exactly these bytes.
      return [...Buffer.from(v as string, 'base64')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    default:
      return v;
  }
}

/**
 * A stored row (one value per feature, schema order) as a JSON-lines source record that the
 * offline ingest reads back to the same values: timestamps and dates as ISO text, bytes escaped,
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
