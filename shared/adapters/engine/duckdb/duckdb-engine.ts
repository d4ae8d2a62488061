// The offline engine of the embedded default: DuckDB in process, reading and writing local files.
// This is the runner: it owns the instance (threads, memory limit, spill folder), gives each plan a
// connection of its own, and turns DuckDB running out of memory into RESOURCE_EXHAUSTED. The SQL
// of each plan kind lives in its own module beside this one.
import { mkdirSync } from 'node:fs';
import type { DuckDBInstance } from '@duckdb/node-api';
import { FeatureStoreError, ResourceExhausted, throwIfAborted } from '../../../core/errors.js';
import type { FeatureStatistics } from '../../../core/model.js';
import type { IngestPlan, NewestPerKeyPlan, RetrievePlan, RevertedKeysPlan, StatisticsPlan, TrainingSetPlan } from '../../../core/plans.js';
import type { IngestOutput, OfflineEngine, RetrieveOutput } from '../../../core/ports/offline-engine.js';
import { runIngest } from './ingest.js';
import { runNewestPerKey, runRevertedKeys } from './online-form.js';
import { runRetrieve } from './retrieve.js';
import { db, type Db } from './sql.js';
import { runStatistics } from './statistics.js';
import { runTrainingSet } from './training-set.js';

export interface DuckDbOptions {
  threads?: number;
  /** DuckDB's memory_limit (e.g. "4096MiB"); beyond it operators spill to `spillDir`. */
  memoryLimit?: string;
  spillDir?: string;
}

/** Instance settings: threads, a memory limit and a spill folder, so a wide or huge input slows down instead of exhausting memory. */
export function duckDbSettings(o: DuckDbOptions, threads: number): Record<string, string> {
  if (o.spillDir) mkdirSync(o.spillDir, { recursive: true });
  return {
    threads: String(o.threads ?? threads),
    ...(o.memoryLimit ? { memory_limit: o.memoryLimit } : {}),
    ...(o.spillDir ? { temp_directory: o.spillDir } : {}),
  };
}

export class DuckDbEngine implements OfflineEngine {
  private instance?: Promise<DuckDBInstance>;

  private readonly threads: number;

  constructor(private readonly options: DuckDbOptions = {}) {
    this.threads = options.threads ?? 2;
  }

  ingest(plan: IngestPlan, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<IngestOutput> {
    return this.run(signal, (d) => runIngest(d, plan, onProgress, signal, this.threads));
  }
  statistics(plan: StatisticsPlan, signal?: AbortSignal): Promise<Record<string, FeatureStatistics>> {
    return this.run(signal, (d) => runStatistics(d, plan));
  }
  retrieve(plan: RetrievePlan, signal?: AbortSignal): Promise<RetrieveOutput> {
    return this.run(signal, (d) => runRetrieve(d, plan));
  }
  trainingSet(plan: TrainingSetPlan, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<RetrieveOutput> {
    return this.run(signal, (d) => runTrainingSet(d, plan, onProgress, signal));
  }
  newestPerKey(plan: NewestPerKeyPlan, onBatch: (rows: Record<string, unknown>[]) => Promise<void>, signal?: AbortSignal): Promise<number> {
    return this.run(signal, (d) => runNewestPerKey(d, plan, onBatch, signal));
  }
  revertedKeys(
    plan: RevertedKeysPlan,
    onBatch: (rows: { reverted: Record<string, unknown>; restored?: Record<string, unknown> }[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    return this.run(signal, (d) => runRevertedKeys(d, plan, onBatch, signal));
  }

  async close(): Promise<void> {
    const instance = await this.instance;
    instance?.closeSync();
    this.instance = undefined;
  }

  /**
   * Runs one plan on a connection of its own (closed after), within the memory limit: DuckDB
   * running out of it answers RESOURCE_EXHAUSTED with what to do next (not a read error, not INTERNAL).
   */
  private async run<T>(signal: AbortSignal | undefined, work: (d: Db) => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    this.instance ??= import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:', duckDbSettings(this.options, this.threads)));
    const connection = await (await this.instance).connect();
    try {
      await connection.run(`SET TimeZone = 'UTC'`);
      return await work(db(connection));
    } catch (err) {
      const cause: unknown = err instanceof FeatureStoreError ? err.cause : err;
      if (!/Out of Memory Error/i.test(String((cause as Error)?.message ?? ''))) throw err;
      throw new ResourceExhausted(
        `the engine ran out of memory within its limit (${this.options.memoryLimit ?? 'DuckDB default'}); nothing was written: raise FEATURESTORE_DUCKDB_MEMORY_LIMIT (and the pod's memory) or split the input into smaller parts`,
        { cause },
      );
    } finally {
      connection.closeSync();
    }
  }
}
