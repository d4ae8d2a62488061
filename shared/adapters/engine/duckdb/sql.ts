// What every DuckDB statement builder shares: file lists, time filters, the connection the
// builders' steps run on, row counts of COPY, and engine errors made fit for clients.
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';

/** Rows named in an error's details at most. */
export const MAX_DETAILS = 100;

/** A SQL list of file paths. */
export const list = (paths: string[]) => `[${paths.map(quoteLiteral).join(', ')}]`;

/** Stored files as one relation (columns matched by name across files). */
export const parquet = (files: string[]) => `read_parquet(${list(files)}, union_by_name = true)`;

/** An event-time range as WHERE conditions: inclusive start, exclusive end. */
export function timeRange(eventTimeColumn: string, startTime?: Date, endTime?: Date): string[] {
  const et = quoteIdent(eventTimeColumn);
  return [
    startTime ? `${et} >= ${quoteLiteral(startTime.toISOString())}::TIMESTAMPTZ` : '',
    endTime ? `${et} < ${quoteLiteral(endTime.toISOString())}::TIMESTAMPTZ` : '',
  ].filter(Boolean);
}

export const where = (conditions: string[]) => (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '');

/** COPY options of an output format. */
export const copyFormat = (format: 'PARQUET' | 'CSV') => (format === 'CSV' ? 'FORMAT csv, HEADER' : 'FORMAT parquet, COMPRESSION zstd');

/** One connection's statements, as a job's steps use them. */
export interface Db {
  connection: DuckDBConnection;
  rows: (sql: string) => Promise<Record<string, unknown>[]>;
  run: (sql: string) => Promise<void>;
}

export function db(connection: DuckDBConnection): Db {
  return {
    connection,
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson(),
    run: async (sql) => void (await connection.run(sql)),
  };
}

/** A value of a result row as text (DuckDB's JSON rows hold primitives, lists and structs). */
export function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v.toString();
  return JSON.stringify(v);
}

/** The row count a COPY statement reports. */
export function copied(result: Record<string, unknown>[]): number {
  return Number(Object.values(result[0] ?? {})[0] ?? 0);
}

/** A source value in a message: its first 60 characters, NUL shown as \0 (catalog text cannot hold it). */
export function shown(column: string): string {
  return `replace(left(CAST(${column} AS VARCHAR), 60), chr(0), '\\0')`;
}

/**
 * An engine error for a client: its cause kept ("Maximum line size of 2000000 bytes exceeded", not
 * just "CSV Error on Line: 1"), without the echoed line, local paths or DuckDB's error-class prefix.
 */
export function engineMessage(err: unknown): string {
  const lines = String((err as Error)?.message ?? err)
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        l &&
        !/^(Original Line|Possible (Solution|fixes)|LINE \d+:|\^|\* )/i.test(l) &&
        !/^(file|position)\s*[:=]/i.test(l) &&
        !/\((Set By User|Auto-Detected)\)/i.test(l),
    );
  return lines
    .slice(0, 3)
    .join('; ')
    .replace(/^[A-Za-z ]*Error: /, '')
    .replace(/(^|[\s"'(])\/[^\s"',)]+/g, (path, before: string) => `${before}<${path.includes('featurestore-job-') ? 'source file' : 'file'}>`)
    .slice(0, 300);
}
