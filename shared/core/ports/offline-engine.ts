import type { FeatureStatistics } from '../model.js';
import type { IngestPlan, NewestPerKeyPlan, RetrievePlan, RevertedKeysPlan, StatisticsPlan, TrainingSetPlan } from '../plans.js';

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

export interface RetrieveOutput {
  files: string[];
  rows: number;
}

/**
 * Executes plans (plans.ts), each call within the engine's memory bound. `ingest` validates every
 * row against the schema and either writes all of the new rows or nothing: on bad rows it throws
 * InvalidArgument (field `source`) with details naming up to 100 rows and columns. Progress goes to
 * `onProgress` (0..1); an aborted signal stops the work (throwing Cancelled) leaving only files in
 * outputDir, which the caller discards. Running out of memory throws ResourceExhausted.
 */
export interface OfflineEngine {
  ingest(plan: IngestPlan, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<IngestOutput>;
  statistics(plan: StatisticsPlan, signal?: AbortSignal): Promise<Record<string, FeatureStatistics>>;
  /** Writes the rows to one file in outputDir, in the plan's column order and row order. */
  retrieve(plan: RetrievePlan, signal?: AbortSignal): Promise<RetrieveOutput>;
  /**
   * Writes a point-in-time training set to one file in outputDir. Entity tables without the
   * timestamp or a key column, or with timestamps that do not parse, fail with InvalidArgument
   * (field `entities`) naming the rows.
   */
  trainingSet(plan: TrainingSetPlan, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<RetrieveOutput>;
  /** The newest row per key, in online stored form, delivered in batches to `onBatch`; returns the number of keys. */
  newestPerKey(plan: NewestPerKeyPlan, onBatch: (rows: Record<string, unknown>[]) => Promise<void>, signal?: AbortSignal): Promise<number>;
  /** Each key of the reverted ingest with its newest row there and, when any, in what stays visible, in batches; returns the number of keys. */
  revertedKeys(
    plan: RevertedKeysPlan,
    onBatch: (rows: { reverted: Record<string, unknown>; restored?: Record<string, unknown> }[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number>;
  close(): Promise<void>;
}
