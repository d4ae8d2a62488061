// The table of conversion cases (shared/core/values.ts): each value as a JSON literal and as a CSV
// cell, with what the store keeps of it (as the CLI prints it) or REFUSED. test/e2e/conversion.test.ts
// runs it through the offline and online paths, test/engine/spark-ingest.test.ts through both engines.
import { DataType } from '../../shared/gen/featurestore/v1/common.js';

export const REFUSED = Symbol('refused');
export type Outcome = unknown;

export interface Case {
  column: string;
  /** The value as a JSON literal (JSON lines, `online put`). */
  json: string;
  expect: Outcome;
  /** The CSV cell (default: the JSON string's content or the literal) and its outcome where it differs. */
  csv?: string;
  csvExpect?: Outcome;
}

export const TYPES: Record<string, DataType> = {
  i32: DataType.DATA_TYPE_INT32,
  i64: DataType.DATA_TYPE_INT64,
  f32: DataType.DATA_TYPE_FLOAT32,
  f64: DataType.DATA_TYPE_FLOAT64,
  t: DataType.DATA_TYPE_TIMESTAMP,
  d: DataType.DATA_TYPE_DATE,
  s: DataType.DATA_TYPE_STRING,
  b: DataType.DATA_TYPE_BOOL,
  y: DataType.DATA_TYPE_BYTES,
};

export const CASES: Case[] = [
  // floating point into integers: whole numbers only, and within 2^53
  { column: 'i64', json: '3.7', expect: REFUSED },
  { column: 'i64', json: '2.5', expect: REFUSED },
  { column: 'i64', json: '-0.5', expect: REFUSED },
  { column: 'i32', json: '1.9', expect: REFUSED },
  { column: 'i64', json: '3.0', expect: '3' },
  { column: 'i64', json: '"3.7"', expect: REFUSED },
  { column: 'i64', json: '" 12 "', expect: '12' },
  { column: 'i64', json: '1e3', expect: '1000', csvExpect: REFUSED },
  // int64 beyond 2^53: exact as digits, refused as a floating-point literal (a double skips integers there)
  { column: 'i64', json: '9007199254740993', expect: '9007199254740993' },
  { column: 'i64', json: '9007199254740993.0', expect: REFUSED, csvExpect: '9007199254740993' },
  { column: 'i64', json: '9223372036854775808', expect: REFUSED },
  { column: 'i32', json: '2147483648', expect: REFUSED },
  { column: 'i32', json: '-2147483648', expect: -2147483648 },
  // floats: range, exactness of integers, no NaN or infinity
  { column: 'f32', json: '1e39', expect: REFUSED },
  { column: 'f32', json: '0.1', expect: Math.fround(0.1) },
  { column: 'f32', json: '16777217', expect: REFUSED, csvExpect: 16777216 },
  { column: 'f64', json: '9007199254740993', expect: REFUSED, csvExpect: 9007199254740992 },
  { column: 'f64', json: '0.1', expect: 0.1 },
  { column: 'f64', json: '1e309', expect: REFUSED },
  { column: 'f64', json: '"NaN"', expect: REFUSED },
  // timestamps: to the microsecond; dates: no time of day
  { column: 't', json: '"2024-01-01T00:00:00.1234567Z"', expect: REFUSED },
  { column: 't', json: '"2024-01-01T00:00:00.1234560Z"', expect: '2024-01-01T00:00:00.123456Z' },
  { column: 't', json: '"2024-01-01 10:00:00+02:00"', expect: '2024-01-01T08:00:00.000Z' },
  { column: 't', json: '1700000000', expect: REFUSED },
  { column: 'd', json: '"2024-01-01 10:00:00"', expect: REFUSED },
  { column: 'd', json: '"2024-01-01T00:00:00Z"', expect: '2024-01-01' },
  { column: 'd', json: '"2024-02-29"', expect: '2024-02-29' },
  // strings, booleans and bytes take their own kind
  { column: 's', json: '3', expect: REFUSED, csvExpect: '3' },
  { column: 's', json: '"ünïcode ✓"', expect: 'ünïcode ✓' },
  { column: 's', json: '"nul\\u0000byte"', expect: REFUSED },
  { column: 'b', json: 'true', expect: true },
  { column: 'b', json: '1', expect: REFUSED, csvExpect: true },
  { column: 'y', json: '"aGk="', expect: 'aGk=' },
  { column: 'y', json: '"not base64!"', expect: REFUSED },
  // lists convert item by item
  { column: 'li64', json: '[1, 2.5]', expect: REFUSED },
  { column: 'li64', json: '[1, 2.0, null]', expect: ['1', '2', null] },
];

export const csvCell = (c: Case) => c.csv ?? (c.json.startsWith('"') ? (JSON.parse(c.json) as string) : c.json);
