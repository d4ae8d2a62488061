// The conversion rule of shared/core/values.ts in DuckDB SQL: a source column (CSV text, JSON, or a
// Parquet column of any type) converted to a feature's type exactly, or flagged. Each conversion is
// a pair of expressions: the typed value, and a condition that is true where a non-null source value
// does not convert exactly (rounded, out of range, sub-microsecond digits, a time of day for a date,
// not a finite number, the wrong kind).
import type { DataType, Feature } from '../../../core/model.js';

const DUCK_TYPES: Record<DataType, string> = {
  STRING: 'VARCHAR',
  BOOL: 'BOOLEAN',
  INT32: 'INTEGER',
  INT64: 'BIGINT',
  FLOAT32: 'FLOAT',
  FLOAT64: 'DOUBLE',
  TIMESTAMP: 'TIMESTAMPTZ',
  DATE: 'DATE',
  BYTES: 'BLOB',
};

export function duckType(f: Pick<Feature, 'type' | 'isList'>): string {
  return `${DUCK_TYPES[f.type]}${f.isList ? '[]' : ''}`;
}

export interface Conversion {
  /** The value in the feature's DuckDB type (null where `bad`). */
  value: string;
  /** True where the source value is not null and does not convert exactly. */
  bad: string;
}

/** An exact conversion of one scalar: value, and whether it succeeded (for a non-null input). */
interface Scalar {
  value: string;
  ok: string;
}

const INTEGER_TEXT = `'\\s*[+-]?[0-9]+(\\.0*)?\\s*'`;
/** A fraction with a non-zero digit after the sixth: sub-microsecond precision. */
const SUB_MICRO = `'\\.[0-9]{6}[0-9]*[1-9]'`;
const TWO_53 = '9007199254740992';
const INTEGER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const FLOAT_TYPES = /^(FLOAT|DOUBLE)$/;

const no = (type: string): Scalar => ({ value: `NULL::${type}`, ok: 'false' });

/** Text (a CSV cell, a string inside JSON): parsed as the type; integers must be written as integers. */
function fromText(type: DataType, t: string): Scalar {
  const T = DUCK_TYPES[type];
  const v = `TRY_CAST(${t} AS ${T})`;
  switch (type) {
    case 'STRING':
      return { value: t, ok: `NOT contains(${t}, chr(0))` };
    case 'BOOL':
      return { value: v, ok: `${v} IS NOT NULL` };
    case 'INT32':
    case 'INT64':
      return { value: v, ok: `(${v} IS NOT NULL AND regexp_full_match(${t}, ${INTEGER_TEXT}))` };
    case 'FLOAT32':
    case 'FLOAT64':
      return { value: v, ok: `coalesce(isfinite(${v}), false)` };
    case 'TIMESTAMP':
      return { value: v, ok: `(coalesce(isfinite(${v}), false) AND NOT regexp_matches(${t}, ${SUB_MICRO}))` };
    case 'DATE':
      return {
        value: v,
        ok: `(coalesce(isfinite(${v}), false) AND NOT regexp_matches(${t}, ${SUB_MICRO}) AND coalesce(TRY_CAST(${t} AS TIMESTAMPTZ) = ${v}::TIMESTAMPTZ, true))`,
      };
    case 'BYTES':
      // Bytes as text are base64 (as in the proto3 JSON mapping), in CSV cells and JSON strings alike.
      return { value: `TRY(from_base64(${t}))`, ok: `TRY(from_base64(${t})) IS NOT NULL` };
  }
}

/** An exact integer (given as an expression of an integer type, or exact integer text). */
function fromInteger(type: DataType, n: string): Scalar {
  const T = DUCK_TYPES[type];
  const v = `TRY_CAST(${n} AS ${T})`;
  switch (type) {
    case 'INT32':
    case 'INT64':
      return { value: v, ok: `${v} IS NOT NULL` };
    case 'FLOAT32':
    case 'FLOAT64':
      return { value: v, ok: `coalesce(TRY_CAST(${v} AS HUGEINT) = TRY_CAST(${n} AS HUGEINT), false)` };
    default:
      return no(T);
  }
}

/** A floating-point number (a DOUBLE expression): whole and below 2^53 in magnitude for integers, finite in range for floats. */
function fromFloat(type: DataType, d: string): Scalar {
  const T = DUCK_TYPES[type];
  const v = `TRY_CAST(${d} AS ${T})`;
  switch (type) {
    case 'INT32':
    case 'INT64':
      return { value: v, ok: `coalesce(${d} = trunc(${d}) AND abs(${d}) < ${TWO_53} AND ${v} IS NOT NULL, false)` };
    case 'FLOAT32':
    case 'FLOAT64':
      return { value: v, ok: `coalesce(isfinite(${d}) AND isfinite(${v}), false)` };
    default:
      return no(T);
  }
}

/** A JSON value: its JSON kind decides which rule applies. */
function fromJson(type: DataType, j: string): Scalar {
  const T = DUCK_TYPES[type];
  const kind = `json_type(${j})`;
  const text = fromText(type, `(${j} ->> '$')`);
  const integer = fromInteger(type, `CAST(${j} AS VARCHAR)`);
  const float = fromFloat(type, `TRY_CAST(CAST(${j} AS VARCHAR) AS DOUBLE)`);
  const bool = type === 'BOOL' ? { value: `TRY_CAST(CAST(${j} AS VARCHAR) AS BOOLEAN)`, ok: 'true' } : no(T);
  const pick = (part: 'value' | 'ok', otherwise: string) =>
    `CASE ${kind} WHEN 'VARCHAR' THEN ${text[part]} WHEN 'BIGINT' THEN ${integer[part]} WHEN 'UBIGINT' THEN ${integer[part]} WHEN 'DOUBLE' THEN ${float[part]} WHEN 'BOOLEAN' THEN ${bool[part]} WHEN 'NULL' THEN ${part === 'ok' ? 'true' : `NULL::${T}`} ELSE ${otherwise} END`;
  return { value: pick('value', `NULL::${T}`), ok: pick('ok', 'false') };
}

/** A value of a native DuckDB type (a Parquet column, a typed entity-table column). */
function fromNative(type: DataType, x: string, source: string): Scalar {
  const T = DUCK_TYPES[type];
  if (source === 'VARCHAR') return fromText(type, x);
  if (source === 'JSON') return fromJson(type, x);
  if (INTEGER_TYPES.test(source)) return type === 'STRING' || type === 'BOOL' ? no(T) : fromInteger(type, x);
  if (FLOAT_TYPES.test(source)) return fromFloat(type, `CAST(${x} AS DOUBLE)`);
  if (source.startsWith('DECIMAL')) {
    const v = `TRY_CAST(${x} AS ${T})`;
    if (type === 'INT32' || type === 'INT64') return { value: v, ok: `coalesce(${x} = trunc(${x}) AND ${v} IS NOT NULL, false)` };
    return type === 'FLOAT32' || type === 'FLOAT64' ? fromFloat(type, `CAST(${x} AS DOUBLE)`) : no(T);
  }
  if (source === 'BOOLEAN') return type === 'BOOL' ? { value: x, ok: 'true' } : no(T);
  if (source === 'BLOB') return type === 'BYTES' ? { value: x, ok: 'true' } : no(T);
  if (source === 'DATE') {
    if (type === 'DATE') return { value: x, ok: `isfinite(${x})` };
    return type === 'TIMESTAMP' ? { value: `CAST(${x} AS TIMESTAMPTZ)`, ok: `isfinite(${x})` } : no(T);
  }
  if (/^TIMESTAMP/.test(source)) {
    // Naive timestamps are UTC (the session's time zone); nanosecond ones must end in 000.
    const exact = source === 'TIMESTAMP_NS' ? `epoch_ns(${x}) % 1000 = 0` : 'true';
    const stamp = `CAST(${x} AS TIMESTAMPTZ)`;
    if (type === 'TIMESTAMP') return { value: stamp, ok: `coalesce(isfinite(${x}) AND ${exact}, false)` };
    if (type === 'DATE')
      return { value: `CAST(${stamp} AS DATE)`, ok: `coalesce(isfinite(${x}) AND ${exact} AND CAST(CAST(${stamp} AS DATE) AS TIMESTAMPTZ) = ${stamp}, false)` };
    return no(T);
  }
  return no(T);
}

/**
 * Converts column expression `x` of DuckDB type `source` to feature `f`'s type. Lists convert item
 * by item (a CSV cell holds a list as text, e.g. [1, 2]; JSON as an array); a list where a single
 * value is expected, or the reverse, is bad.
 */
export function convert(f: Pick<Feature, 'type' | 'isList'>, x: string, source: string): Conversion {
  const T = duckType(f);
  if (!f.isList) {
    if (source.endsWith('[]')) return { value: `NULL::${T}`, bad: `${x} IS NOT NULL` };
    const s = fromNative(f.type, x, source);
    return { value: `CASE WHEN ${s.ok} THEN ${s.value} END`, bad: `(${x} IS NOT NULL AND NOT (${s.ok}))` };
  }
  let items: string;
  let item: string;
  let isList = 'true';
  if (source.endsWith('[]')) {
    items = x;
    item = source.slice(0, -2);
  } else if (source === 'JSON') {
    items = `json_extract(${x}, '$[*]')`;
    item = 'JSON';
    isList = `json_type(${x}) = 'ARRAY'`;
  } else if (source === 'VARCHAR') {
    items = `TRY_CAST(${x} AS VARCHAR[])`;
    item = 'VARCHAR';
    isList = `${items} IS NOT NULL`;
  } else {
    return { value: `NULL::${T}`, bad: `${x} IS NOT NULL` };
  }
  const s = fromNative(f.type, 'e', item);
  const allOk = `coalesce(list_bool_and(list_transform(${items}, e -> e IS NULL OR (${s.ok}))), true)`;
  return {
    value: `CASE WHEN ${isList} AND ${allOk} THEN list_transform(${items}, e -> ${s.value}) END`,
    bad: `(${x} IS NOT NULL AND NOT (${isList} AND ${allOk}))`,
  };
}
