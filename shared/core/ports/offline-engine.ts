import type { FeatureStatistics, SampleFormat, Schema } from '../model.js';

/** What to do with source columns the schema does not have. */
export type ExtraColumnsPolicy = 'IGNORE' | 'FAIL';

/** An engine-neutral ingest: each engine compiles it to its own SQL. */
export interface IngestSpec {
  ingestId: string;
  ingestTime: Date;
  schema: Schema;
  /** Local files to read; remote objects have been fetched by the caller. */
  files: string[];
  format: SampleFormat;
  /** CSV options: delimiter (default ","), header (default true). */
  csv: { delimiter?: string; header?: boolean };
  extraColumns: ExtraColumnsPolicy;
  /** Parquet files already visible for this feature set version: rows equal to theirs are skipped. */
  existing: string[];
  /** An empty local folder for the new Parquet files. */
  outputDir: string;
}

export interface IngestOutput {
  /** Parquet files written in outputDir (none when every row was a duplicate). */
  files: string[];
  inputRows: number;
  /** Rows written. */
  rows: number;
  /** Input rows equal to a stored row or to an earlier input row. */
  duplicateRows: number;
  /** Extra source columns dropped under the IGNORE policy. */
  droppedColumns: string[];
  /** Schema features absent from the source, stored as null. */
  missingColumns: string[];
  /** Per feature, over every visible row after this ingest. */
  statistics: Record<string, FeatureStatistics>;
}

/** An engine-neutral retrieve: a feature set's rows in an event-time range, from given files. */
export interface RetrieveSpec {
  schema: Schema;
  /** Local Parquet files of the ingests visible at the moment asked for. */
  files: string[];
  /** Features to return besides the key and event-time columns; empty means all. */
  features: string[];
  /** Inclusive lower bound of event time. */
  startTime?: Date;
  /** Exclusive upper bound of event time. */
  endTime?: Date;
  format: 'PARQUET' | 'CSV';
  outputDir: string;
}

export interface RetrieveOutput {
  files: string[];
  rows: number;
}

/**
 * Runs offline work. `ingest` validates every row against the schema and either writes all of the
 * new rows or nothing: on bad rows it throws InvalidArgument (field `source`) with details naming
 * up to 100 rows and columns. Progress goes to `onProgress` (0..1); an aborted signal stops the work
 * (throwing Cancelled) leaving only files in outputDir, which the caller discards.
 */
export interface OfflineEngine {
  ingest(spec: IngestSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<IngestOutput>;
  /** Statistics per feature over the rows of the given Parquet files (after a revert). */
  statistics(schema: Schema, files: string[], signal?: AbortSignal): Promise<Record<string, FeatureStatistics>>;
  /** Writes the rows (without the internal ingest columns) to one file in outputDir, key and event time ordered. */
  retrieve(spec: RetrieveSpec, signal?: AbortSignal): Promise<RetrieveOutput>;
  close(): Promise<void>;
}
