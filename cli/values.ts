// Online put and get for people: JSON values typed by the feature set's schema, rows printed back.
import { isLosslessNumber } from 'lossless-json';
import { DataType, type Feature, type Value } from '../shared/gen/featurestore/v1/common.js';
import { timestampFromIso, timestampToIso } from '../shared/runtime/api/proto-time.js';

const DAY_MS = 86_400_000;
const TRUTH: Record<string, boolean> = { true: true, t: true, yes: true, y: true, '1': true, false: false, f: false, no: false, n: false, '0': false };

/**
 * A JSON value (from lossless-json, so numbers keep their digits) as the proto Value of a feature's
 * kind. Numbers go as written (integers as int64 digits, others as float64) and strings are read as
 * the feature's type; the server applies the conversion rule (nothing rounded: 3.7 is not an integer).
 */
export function jsonToValue(f: Pick<Feature, 'name' | 'type' | 'isList'>, v: unknown): Value {
  if (v === null || v === undefined) return { kind: undefined };
  if (f.isList) {
    if (!Array.isArray(v)) throw new Error(`${f.name}: expected a JSON list`);
    return { kind: { $case: 'listValue', value: { values: v.map((x) => jsonToValue({ ...f, isList: false }, x)) } } };
  }
  if (Array.isArray(v)) throw new Error(`${f.name}: expected a single value, not a list`);
  if (typeof v === 'boolean') return { kind: { $case: 'boolValue', value: v } };
  if (isLosslessNumber(v)) {
    return /^-?\d+$/.test(v.value) ? int64(f.name, BigInt(v.value)) : { kind: { $case: 'float64Value', value: Number(v.value) } };
  }
  if (typeof v !== 'string') throw new Error(`${f.name}: expected a JSON value of type ${DataType[f.type]?.replace('DATA_TYPE_', '') ?? f.type}`);
  return textToValue(f, v);
}

/** Text (a JSON string or a key given on the command line) read as a feature's type. */
export function textToValue(f: Pick<Feature, 'name' | 'type'>, text: string): Value {
  switch (f.type) {
    case DataType.DATA_TYPE_STRING:
      return { kind: { $case: 'stringValue', value: text } };
    case DataType.DATA_TYPE_BOOL: {
      // The words DuckDB reads as booleans, so a CSV cell and an online value agree.
      const b = TRUTH[text.toLowerCase()];
      if (b === undefined) throw new Error(`${f.name}: "${text}" is not true or false`);
      return { kind: { $case: 'boolValue', value: b } };
    }
    case DataType.DATA_TYPE_INT32:
    case DataType.DATA_TYPE_INT64: {
      const m = /^\s*([+-]?)(\d+)(?:\.0*)?\s*$/.exec(text);
      if (!m) throw new Error(`${f.name}: "${text}" is not an integer`);
      return int64(f.name, (m[1] === '-' ? -1n : 1n) * BigInt(m[2]));
    }
    case DataType.DATA_TYPE_FLOAT32:
    case DataType.DATA_TYPE_FLOAT64: {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) throw new Error(`${f.name}: "${text}" is not a number`);
      return { kind: { $case: 'float64Value', value: n } };
    }
    case DataType.DATA_TYPE_TIMESTAMP: {
      const t = timestampFromIso(text);
      if (!t) throw new Error(`${f.name}: "${text}" is not a time (use ISO 8601, e.g. 2026-11-01T09:30:00.123456Z)`);
      return { kind: { $case: 'timestampValue', value: t } };
    }
    case DataType.DATA_TYPE_DATE: {
      // A date with a time part goes as a timestamp: the server takes it only at midnight UTC.
      const t = timestampFromIso(text);
      if (!t) throw new Error(`${f.name}: "${text}" is not a date (YYYY-MM-DD)`);
      if (/^\s*\d{4}-\d{2}-\d{2}\s*$/.test(text)) return { kind: { $case: 'dateValue', value: Number(t.seconds) / 86_400 } };
      return { kind: { $case: 'timestampValue', value: t } };
    }
    case DataType.DATA_TYPE_BYTES:
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error(`${f.name}: "${text.slice(0, 40)}" is not base64`);
      return { kind: { $case: 'bytesValue', value: Buffer.from(text, 'base64') } };
    default:
      throw new Error(`${f.name}: unsupported type`);
  }
}

/** An integer as an int64 Value (the server narrows it to the feature's type, or refuses it). */
function int64(name: string, n: bigint): Value {
  if (n < -(2n ** 63n) || n > 2n ** 63n - 1n) throw new Error(`${name}: ${n} is out of the int64 range`);
  return { kind: { $case: 'int64Value', value: n.toString() } };
}

/** A proto Value as JSON for printing: int64 as text, timestamps ISO 8601, dates YYYY-MM-DD, bytes base64. */
export function valueToJson(v: Value): unknown {
  const k = v.kind;
  switch (k?.$case) {
    case undefined:
      return null;
    case 'timestampValue':
      return timestampToIso(k.value);
    case 'dateValue':
      return new Date(k.value * DAY_MS).toISOString().slice(0, 10);
    case 'bytesValue':
      return Buffer.from(k.value).toString('base64');
    case 'listValue':
      return k.value.values.map(valueToJson);
    default:
      return k?.value;
  }
}
