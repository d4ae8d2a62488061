import type { StoredValue } from '../values.js';
import type { OnlineTable } from './online-store.js';

/** A table's log from just after one position up to and including another. */
export interface OnlineLogHead {
  table: OnlineTable;
  /** Every record at or below this position is committed: nothing can appear below it later. */
  through: number;
  /** Records (not rows) in the log for the table up to `through`, drained or not. */
  records: number;
}

/**
 * The durable log of rows written online, read by online-to-offline. Positions grow with commit
 * order per table, so "everything after the drained position up to a head" is a stable range
 * (a later append can only land above the head). Rows are in stored form, one value per feature
 * in schema order. It is a table of the catalog database, in the embedded default and in service
 * mode alike: an append commits like any catalog write, and the drain's commit moves the drained
 * position in the same transaction as the ingest (exactly once without a second system).
 */
export interface OnlineLog {
  /** Appends the rows of one online write; durable when it resolves. */
  append(table: OnlineTable, rows: StoredValue[][], signal?: AbortSignal): Promise<void>;
  /** Each table with records in the log, and the position every record up to is settled. */
  heads(signal?: AbortSignal): Promise<OnlineLogHead[]>;
  /** The rows after `after` up to and including `through`, a batch per record, in log order. */
  read(table: OnlineTable, after: number, through: number, signal?: AbortSignal): AsyncIterable<StoredValue[][]>;
  /** Forgets the records up to and including `through` (once they are in the offline store). */
  trim(table: OnlineTable, through: number, signal?: AbortSignal): Promise<void>;
}
