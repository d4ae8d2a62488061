// The one conversion rule for values entering the store, and their stored form.
//
// A value is accepted for a feature only if it converts to the feature's type exactly: nothing is
// rounded, truncated or cut silently. The offline engines apply the same rule to source files (see
// shared/adapters/engine/duckdb-conversion.ts); test/e2e/conversion.test.ts runs one table of cases
// through both paths. The rule by target type:
//   INT32, INT64  integers in range; floating-point numbers only when whole and below 2^53 in
//                 magnitude (from there a double no longer holds every integer: send the digits)
//   FLOAT32       any finite number within the float32 range, stored as the nearest float32;
//                 integers only when a float32 holds them exactly
//   FLOAT64       any finite number; integers only when a double holds them exactly
//   TIMESTAMP     timestamps with at most microsecond precision; dates (as midnight UTC)
//   DATE          dates; timestamps only at midnight UTC
//   STRING, BOOL, BYTES  their own kind only (bytes written as text are base64); strings without
//                 the NUL character (U+0000), which PostgreSQL text cannot hold
// NaN and infinities are refused everywhere. Text (CSV cells, JSON strings) follows the same rule
// once parsed: integers must be written as integers ("3" or "3.0", never "3.7").
import type { DataType, Feature } from './model.js';

/** A value as sent over the API: its kind says which proto field carried it. */
export type TypedValue =
  | { kind: 'null' }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int32'; value: number }
  | { kind: 'int64'; value: string }
  | { kind: 'float32'; value: number }
  | { kind: 'float64'; value: number }
  /** Seconds since 1970-01-01T00:00:00Z and nanoseconds (0..999,999,999), as google.protobuf.Timestamp. */
  | { kind: 'timestamp'; seconds: number; nanos: number }
  | { kind: 'date'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'list'; value: TypedValue[] };

/**
 * The stored form of one value: int64 as decimal text, timestamps in µs since the epoch (a number,
 * or decimal text beyond 2^53 µs, i.e. before 1685 or after 2255), dates in days, bytes base64.
 */
export type StoredValue = string | number | boolean | null | StoredValue[];

const INT_RANGE: Record<'INT32' | 'INT64', [bigint, bigint]> = { INT32: [-(2n ** 31n), 2n ** 31n - 1n], INT64: [-(2n ** 63n), 2n ** 63n - 1n] };
const TWO_53 = 2 ** 53;
const DAY_SECONDS = 86_400;
/** google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;

const MIN_DAYS = MIN_SECONDS / DAY_SECONDS;
const MAX_DAYS = Math.floor(MAX_SECONDS / DAY_SECONDS);

/** Why a timestamp cannot be taken (outside years 1 to 9999, or nanos out of range), or undefined. */
export function timestampProblem(seconds: number, nanos: number): string | undefined {
  return !Number.isInteger(seconds) || seconds < MIN_SECONDS || seconds > MAX_SECONDS || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999
    ? 'is not a valid timestamp (years 1 to 9999, nanos 0 to 999,999,999)'
    : undefined;
}

/** Why a date (days since 1970-01-01) cannot be taken (outside years 1 to 9999), or undefined. */
export function dateProblem(days: number): string | undefined {
  return !Number.isInteger(days) || days < MIN_DAYS || days > MAX_DAYS ? 'is not a valid date (years 1 to 9999)' : undefined;
}

type Converted = StoredValue | { error: string };

/** Integer text that BigInt(x).toString() gives back unchanged, and well inside the int64 range. */
const SAFE_CANONICAL = /^(?:0|-?[1-9]\d{0,14})$/;

function integer(type: 'INT32' | 'INT64', n: bigint, shown: string): Converted {
  const [lo, hi] = INT_RANGE[type];
  if (n < lo || n > hi) return { error: `${shown} is out of the ${type.toLowerCase()} range` };
  return type === 'INT32' ? Number(n) : n.toString();
}

function floating(type: 'FLOAT32' | 'FLOAT64', x: number): Converted {
  if (!Number.isFinite(x)) return { error: 'must be a finite number' };
  if (type === 'FLOAT64') return x;
  const f = Math.fround(x);
  return Number.isFinite(f) ? f : { error: `${x} is out of the float32 range` };
}

/** An integer into a floating-point type: only when held exactly. */
function exactFloat(type: 'FLOAT32' | 'FLOAT64', n: bigint): Converted {
  const x = type === 'FLOAT32' ? Math.fround(Number(n)) : Number(n);
  return Number.isFinite(x) && BigInt(x) === n ? x : { error: `${n} cannot be held exactly by a ${type.toLowerCase()}` };
}

const TWO_53_BIG = BigInt(TWO_53);

/** µs since the epoch in stored form: a number while exact, decimal text beyond. */
export function storedMicros(us: bigint): number | string {
  return us >= -TWO_53_BIG && us <= TWO_53_BIG ? Number(us) : us.toString();
}

/** A stored timestamp back as µs. */
export function microsOf(v: StoredValue): bigint {
  return BigInt(v as number | string);
}

function scalar(type: DataType, v: TypedValue): Converted {
  switch (type) {
    case 'STRING':
      if (v.kind !== 'string') return { error: `must be a string, not ${v.kind}` };
      return v.value.includes('\u0000') ? { error: 'contains the NUL character (U+0000), which cannot be stored' } : v.value;
    case 'BOOL':
      return v.kind === 'bool' ? v.value : { error: `must be a bool, not ${v.kind}` };
    case 'INT32':
    case 'INT64':
      switch (v.kind) {
        case 'int32':
          return integer(type, BigInt(v.value), String(v.value));
        case 'int64':
          // Canonical digits within 2^53 are already the stored form (the hot path: int64 entity keys).
          if (type === 'INT64' && SAFE_CANONICAL.test(v.value)) return v.value;
          return /^-?\d{1,20}$/.test(v.value) ? integer(type, BigInt(v.value), v.value) : { error: `"${v.value.slice(0, 40)}" is not an integer` };
        case 'float32':
        case 'float64':
          if (!Number.isInteger(v.value)) return { error: `${v.value} is not a whole number` };
          if (Math.abs(v.value) >= TWO_53)
            return { error: `${v.value} is a floating-point number beyond 2^53, where doubles skip integers: send the digits as int64` };
          return integer(type, BigInt(v.value), String(v.value));
        default:
          return { error: `must be an ${type.toLowerCase()}, not ${v.kind}` };
      }
    case 'FLOAT32':
    case 'FLOAT64':
      switch (v.kind) {
        case 'float32':
        case 'float64':
          return floating(type, v.value);
        case 'int32':
          return exactFloat(type, BigInt(v.value));
        case 'int64':
          return /^-?\d{1,20}$/.test(v.value) ? exactFloat(type, BigInt(v.value)) : { error: `"${v.value.slice(0, 40)}" is not an integer` };
        default:
          return { error: `must be a ${type.toLowerCase()}, not ${v.kind}` };
      }
    case 'TIMESTAMP':
      if (v.kind === 'date') {
        const bad = dateProblem(v.value);
        return bad ? { error: bad } : storedMicros(BigInt(v.value) * 86_400_000_000n);
      }
      if (v.kind !== 'timestamp') return { error: `must be a timestamp, not ${v.kind}` };
      {
        const bad = timestampProblem(v.seconds, v.nanos);
        if (bad) return { error: bad };
      }
      if (v.nanos % 1000 !== 0) return { error: 'has sub-microsecond digits; timestamps are stored to the microsecond' };
      return storedMicros(BigInt(v.seconds) * 1_000_000n + BigInt(v.nanos / 1000));
    case 'DATE':
      if (v.kind === 'date') {
        const bad = dateProblem(v.value);
        return bad ? { error: bad } : v.value;
      }
      if (v.kind === 'timestamp') {
        return v.nanos === 0 && v.seconds % DAY_SECONDS === 0
          ? v.seconds / DAY_SECONDS
          : { error: 'has a time of day; a date takes timestamps at midnight UTC only' };
      }
      return { error: `must be a date (days since 1970-01-01), not ${v.kind}` };
    case 'BYTES':
      return v.kind === 'bytes' ? Buffer.from(v.value).toString('base64') : { error: `must be bytes, not ${v.kind}` };
  }
}

/** Converts a value to a feature's type by the rule above; null is allowed here (keys and event time are checked by the caller). */
export function checkValue(f: Pick<Feature, 'type' | 'isList'>, v: TypedValue): Converted {
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

export function isError(v: Converted): v is { error: string } {
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
    case 'TIMESTAMP': {
      const us = microsOf(v);
      const seconds = us / 1_000_000n - (us % 1_000_000n < 0n ? 1n : 0n);
      return { kind: 'timestamp', seconds: Number(seconds), nanos: Number(us - seconds * 1_000_000n) * 1000 };
    }
    case 'DATE':
      return { kind: 'date', value: v as number };
    case 'BYTES':
      return { kind: 'bytes', value: Buffer.from(v as string, 'base64') };
  }
}
