// Online put and get for people: JSON values typed by the feature set's schema, rows printed back.
import { DataType, type Feature, type Value } from '../shared/gen/featurestore/v1/common.js';

const DAY_MS = 86_400_000;

/** A JSON value (from a --row object or a --key part) as the proto Value of a feature's type. */
export function jsonToValue(f: Pick<Feature, 'name' | 'type' | 'isList'>, v: unknown): Value {
  if (v === null || v === undefined) return { kind: undefined };
  if (f.isList) {
    if (!Array.isArray(v)) throw new Error(`${f.name}: expected a JSON list`);
    return { kind: { $case: 'listValue', value: { values: v.map((x) => jsonToValue({ ...f, isList: false }, x)) } } };
  }
  const text = String(v);
  switch (f.type) {
    case DataType.DATA_TYPE_STRING:
      return { kind: { $case: 'stringValue', value: text } };
    case DataType.DATA_TYPE_BOOL:
      if (text !== 'true' && text !== 'false') throw new Error(`${f.name}: "${text}" is not true or false`);
      return { kind: { $case: 'boolValue', value: text === 'true' } };
    case DataType.DATA_TYPE_INT32:
      return { kind: { $case: 'int32Value', value: integer(f.name, text) } };
    case DataType.DATA_TYPE_INT64:
      if (!/^-?\d+$/.test(text)) throw new Error(`${f.name}: "${text}" is not an integer`);
      return { kind: { $case: 'int64Value', value: text } };
    case DataType.DATA_TYPE_FLOAT32:
    case DataType.DATA_TYPE_FLOAT64: {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`${f.name}: "${text}" is not a number`);
      return { kind: f.type === DataType.DATA_TYPE_FLOAT32 ? { $case: 'float32Value', value: n } : { $case: 'float64Value', value: n } };
    }
    case DataType.DATA_TYPE_TIMESTAMP: {
      const d = new Date(text);
      if (Number.isNaN(d.getTime())) throw new Error(`${f.name}: "${text}" is not a time (use ISO 8601)`);
      return { kind: { $case: 'timestampValue', value: d } };
    }
    case DataType.DATA_TYPE_DATE: {
      const d = Date.parse(`${text}T00:00:00Z`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(d)) throw new Error(`${f.name}: "${text}" is not a date (YYYY-MM-DD)`);
      return { kind: { $case: 'dateValue', value: Math.round(d / DAY_MS) } };
    }
    case DataType.DATA_TYPE_BYTES:
      return { kind: { $case: 'bytesValue', value: Buffer.from(text, 'base64') } };
    default:
      throw new Error(`${f.name}: unsupported type`);
  }
}

function integer(name: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new Error(`${name}: "${text}" is not an integer`);
  return Number(text);
}

/** A proto Value as JSON for printing: int64 as text, timestamps ISO 8601, dates YYYY-MM-DD, bytes base64. */
export function valueToJson(v: Value): unknown {
  const k = v.kind;
  switch (k?.$case) {
    case undefined:
      return null;
    case 'timestampValue':
      return k.value.toISOString();
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
