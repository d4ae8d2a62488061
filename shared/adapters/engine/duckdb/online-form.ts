// Rows in online stored form for the online store: the newest row per key (materialization), and
// after a revert each key's reverted row with what replaces it.
import { throwIfAborted } from '../../../core/errors.js';
import type { Feature } from '../../../core/model.js';
import type { NewestPerKeyPlan, RevertedKeysPlan } from '../../../core/plans.js';
import { quoteIdent } from '../../sql/quote.js';
import { parquet, timeRange, where, type Db } from './sql.js';

/** SQL for a column's online stored form: int64 as text, timestamps in µs, dates in days, bytes base64. */
export function storedForm(f: Feature, c: string): string {
  const one = (x: string) => {
    switch (f.type) {
      case 'INT64':
        return `CAST(${x} AS VARCHAR)`;
      case 'FLOAT32':
        // The float's exact value as a double, as the online path stores it (Math.fround).
        return `CAST(${x} AS DOUBLE)`;
      case 'TIMESTAMP':
        return `epoch_us(${x})`;
      case 'DATE':
        return `(${x} - DATE '1970-01-01')::INTEGER`;
      case 'BYTES':
        return `to_base64(${x})`;
      default:
        return x;
    }
  };
  return f.isList ? `list_transform(${c}, x -> ${one('x')})` : one(c);
}

/** The newest row per key in the range, one column per feature in stored form. */
export function newestPerKeySql(plan: NewestPerKeyPlan): string {
  const { schema } = plan;
  const columns = schema.features.map((f) => `${storedForm(f, quoteIdent(f.name))} AS ${quoteIdent(f.name)}`);
  return `SELECT ${columns.join(', ')} FROM ${parquet(plan.files)}${where(timeRange(schema.eventTimeColumn, plan.startTime, plan.endTime))}
    QUALIFY row_number() OVER (PARTITION BY ${schema.primaryKey.map(quoteIdent).join(', ')} ORDER BY ${quoteIdent(schema.eventTimeColumn)} DESC) = 1`;
}

/**
 * Each key of the reverted files with its newest row there (columns __fs_r<i>) and, from the
 * remaining files, its newest row there (__fs_v<i>, with __fs_found true when there is one).
 */
export function revertedKeysSql(plan: RevertedKeysPlan): string {
  const features = plan.schema.features;
  const et = quoteIdent(plan.schema.eventTimeColumn);
  const pk = plan.schema.primaryKey.map(quoteIdent);
  const newest = (files: string[], prefix: string, only: string) =>
    `SELECT ${pk.map((k, j) => `s.${k} AS __fs_k${j}`).join(', ')}, ${features.map((f, i) => `${storedForm(f, `s.${quoteIdent(f.name)}`)} AS ${prefix}${i}`).join(', ')}
     FROM ${parquet(files)} s ${only}
     QUALIFY row_number() OVER (PARTITION BY ${pk.map((k) => `s.${k}`).join(', ')} ORDER BY s.${et} DESC) = 1`;
  const on = pk.map((_k, j) => `r.__fs_k${j} = v.__fs_k${j}`).join(' AND ');
  // Only the keys the reverted ingest touched are looked up in what stays visible.
  const keysOfReverted = `SEMI JOIN (SELECT DISTINCT ${pk.join(', ')} FROM ${parquet(plan.reverted)}) rk ON ${pk.map((k) => `rk.${k} = s.${k}`).join(' AND ')}`;
  return plan.remaining.length === 0
    ? `SELECT * FROM (${newest(plan.reverted, '__fs_r', '')}) r`
    : `SELECT r.*, v.* EXCLUDE (${pk.map((_k, j) => `__fs_k${j}`).join(', ')}), v.__fs_k0 IS NOT NULL AS __fs_found
       FROM (${newest(plan.reverted, '__fs_r', '')}) r LEFT JOIN (${newest(plan.remaining, '__fs_v', keysOfReverted)}) v ON ${on}`;
}

/**
 * Values per batch handed on: a DuckDB chunk (2,048 rows) goes in slices of at most this many values,
 * so a wide row set (thousands of features) holds a few rows' values in JS at a time, not 2,048 rows'
 * (a chunk of 5,000 features would be 10 million values and their row objects).
 */
export const BATCH_VALUES = 128 * 1024;

/**
 * Streams a query's rows in batches (a DuckDB chunk, or a slice of it: BATCH_VALUES), each value as
 * DuckDB's JSON converter gives it; returns how many. Column by column: a text, boolean or finite
 * number is already its JSON form, so only other values go through the converter (materialization:
 * less than half the cost of DuckDB's row objects, which look up each value's vector and type and
 * convert it).
 */
async function streamed(db: Db, sql: string, onBatch: (rows: Record<string, unknown>[]) => Promise<void>, signal?: AbortSignal): Promise<number> {
  const { JsonDuckDBValueConverter: json } = await import('@duckdb/node-api');
  const result = await db.connection.stream(sql);
  const names = result.deduplicatedColumnNames();
  const slice = Math.max(1, Math.floor(BATCH_VALUES / Math.max(1, names.length)));
  let rows = 0;
  for (;;) {
    throwIfAborted(signal);
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return rows;
    const vectors = names.map((_n, c) => chunk.getColumnVector(c));
    for (let from = 0; from < chunk.rowCount; from += slice) {
      if (from > 0) throwIfAborted(signal);
      const count = Math.min(slice, chunk.rowCount - from);
      const columns = vectors.map((vector) => {
        const type = vector.type;
        const values = new Array<unknown>(count);
        for (let r = 0; r < count; r++) {
          const v = vector.getItem(from + r);
          values[r] =
            v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
              ? v
              : typeof v === 'bigint'
                ? String(v)
                : json(v, type, json);
        }
        return values;
      });
      const batch = new Array<Record<string, unknown>>(count);
      for (let r = 0; r < count; r++) {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < names.length; c++) row[names[c]] = columns[c][r];
        batch[r] = row;
      }
      rows += count;
      await onBatch(batch);
    }
  }
}

export async function runNewestPerKey(db: Db, plan: NewestPerKeyPlan, onBatch: (rows: Record<string, unknown>[]) => Promise<void>, signal?: AbortSignal) {
  return plan.files.length === 0 ? 0 : streamed(db, newestPerKeySql(plan), onBatch, signal);
}

export async function runRevertedKeys(
  db: Db,
  plan: RevertedKeysPlan,
  onBatch: (rows: { reverted: Record<string, unknown>; restored?: Record<string, unknown> }[]) => Promise<void>,
  signal?: AbortSignal,
): Promise<number> {
  if (plan.reverted.length === 0) return 0;
  const features = plan.schema.features;
  const pick = (row: Record<string, unknown>, prefix: string) => Object.fromEntries(features.map((f, i) => [f.name, row[`${prefix}${i}`]]));
  return streamed(
    db,
    revertedKeysSql(plan),
    (batch) => onBatch(batch.map((row) => ({ reverted: pick(row, '__fs_r'), restored: row['__fs_found'] === true ? pick(row, '__fs_v') : undefined }))),
    signal,
  );
}
