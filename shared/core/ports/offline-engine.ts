import type { ExtraColumnsPolicy } from '../job-specs.js';
import type { FeatureStatistics, SampleFormat, Schema } from '../model.js';

/** An engine-neutral ingest: each engine compiles it to its own SQL. */
export interface IngestSpec {
  ingestId: string;
  ingestTime: Date;
  /** Rows whose event time is later than this are refused (how far ahead of now event times may be); no bound when absent. */
  latestEventTime?: Date;
  /** That bound for messages ("1 day"). */
  latestEventTimeText?: string;
  schema: Schema;
  /** Local files to read; remote objects have been fetched by the caller. */
  files: string[];
  format: SampleFormat;
  /** CSV options: delimiter (default ","), header (default true). */
  csv: { delimiter?: string; header?: boolean };
  extraColumns: ExtraColumnsPolicy;
  /** Keep one of rows that are equal in every column (the online rows log: a client's retried write). */
  distinct?: boolean;
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

/** One feature set's side of a point-in-time join. */
export interface TrainingSetSide {
  schema: Schema;
  /** Null means no TTL: any older row matches. */
  ttlSeconds: number | null;
  /** Local Parquet files of each visible ingest, oldest ingest first: on equal event times the later ingest wins. */
  ingests: string[][];
  /** Features to take (never the key or event time). */
  features: string[];
}

/**
 * An engine-neutral point-in-time join. For every entity row and every side: the side's row with
 * the same primary key (entity columns named like the key), the greatest event time <= the entity
 * timestamp and, with a TTL, event time >= timestamp - TTL; ties go to the later ingest. No such
 * row gives nulls. Entity columns are kept as they are (the timestamp column typed as a timestamp),
 * in entity-table order, followed by the features.
 */
export interface TrainingSetSpec {
  entities: { files: string[]; format: SampleFormat; csv: { delimiter?: string; header?: boolean } };
  timestampColumn: string;
  sides: TrainingSetSide[];
  /** Names each side's feature columns once the entity columns are known. */
  columnNames(entityColumns: string[]): string[][];
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
  /**
   * Writes a point-in-time training set to one file in outputDir. Entity tables without the
   * timestamp or a key column, or with timestamps that do not parse, fail with InvalidArgument
   * (field `entities`) naming the rows.
   */
  trainingSet(spec: TrainingSetSpec, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<RetrieveOutput>;
  /**
   * The newest row per entity key (greatest event time) of the given Parquet files, optionally in
   * an event-time range, in online stored form (see shared/core/online.ts: int64 as text, timestamps
   * in µs, dates in days, bytes base64), delivered in batches to `onBatch`.
   */
  newestPerKey(
    spec: { schema: Schema; files: string[]; startTime?: Date; endTime?: Date },
    onBatch: (rows: Record<string, unknown>[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number>;
  /**
   * After a revert: for every key in the reverted ingest's files, its newest row there (`reverted`)
   * and the newest row for that key in the files still visible (`restored`, absent when none), both
   * in online stored form, delivered in batches. Returns the number of keys.
   */
  revertedKeys(
    spec: { schema: Schema; reverted: string[]; remaining: string[] },
    onBatch: (rows: { reverted: Record<string, unknown>; restored?: Record<string, unknown> }[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number>;
  close(): Promise<void>;
}
