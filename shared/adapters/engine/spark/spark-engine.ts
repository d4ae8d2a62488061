// The `spark-local` engine: each plan runs on Apache Spark through spark-submit (master local[N] on
// this machine) and its result is read back here. Stored files arrive as local paths (the job frame's
// copies) and go to Spark as file:// URIs; outputs come back as local paths; online-form rows come
// back as a JSON-lines file read in batches.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FeatureStatistics } from '../../../core/model.js';
import type { IngestPlan, NewestPerKeyPlan, Plan, RetrievePlan, RevertedKeysPlan, StatisticsPlan, TrainingSetPlan } from '../../../core/plans.js';
import type { IngestOutput, OfflineEngine, RetrieveOutput } from '../../../core/ports/offline-engine.js';
import type { ObjectStore } from '../../../core/ports/object-store.js';
import { asSparkUri, outcomeError, submitPlan, type RunnerOutcome, type SparkResult, type SparkSubmitSettings } from './spark-submit.js';

/** How often progress ticks while Spark runs. */
const TICK_MS = 2000;
/** Rows handed to onBatch at a time when reading online-form rows back. */
const BATCH_ROWS = 1000;

/** A plan with every local path (sources, stored files, the output folder) as a file:// URI. */
export function sparkPlan<P extends Plan>(plan: P): P {
  const uris = (files: string[]) => files.map(asSparkUri);
  const p: Plan = plan;
  switch (p.kind) {
    case 'ingest':
      return { ...p, source: { ...p.source, files: uris(p.source.files) }, existing: uris(p.existing), outputDir: asSparkUri(p.outputDir) } as P;
    case 'training-set':
      return {
        ...p,
        entities: { ...p.entities, files: uris(p.entities.files) },
        sides: p.sides.map((s) => ({ ...s, ingests: s.ingests.map(uris) })),
        outputDir: asSparkUri(p.outputDir),
      } as P;
    case 'retrieve':
      return { ...p, files: uris(p.files), outputDir: asSparkUri(p.outputDir) } as P;
    case 'newest-per-key':
    case 'statistics':
      return { ...p, files: uris(p.files) } as P;
    case 'reverted-keys':
      return { ...p, reverted: uris(p.reverted), remaining: uris(p.remaining) } as P;
  }
}

const localPath = (uri: string) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
const withTime = (stats: SparkResult['statistics'], at: Date): Record<string, FeatureStatistics> =>
  Object.fromEntries(Object.entries(stats ?? {}).map(([name, s]) => [name, { ...s, computeTime: at }]));

export interface SparkEngineSettings extends SparkSubmitSettings {
  /** Where each run's plan and result files go (a folder per run, removed after). */
  workDir: string;
}

/**
 * An engine that turns the runner's results into the engine outputs: each call has `run` produce
 * the result of its plan and hand it to `use` (while any file it names still exists), and `open`
 * reads the JSON-lines file a result names.
 */
abstract class SparkResultEngine implements OfflineEngine {
  protected abstract run<T>(
    plan: Plan,
    signal: AbortSignal | undefined,
    use: (r: SparkResult) => Promise<T>,
    onProgress?: (fraction: number, message: string) => void,
  ): Promise<T>;
  protected abstract open(output: string): Promise<Readable>;
  /** A file the runner wrote, as the caller names it. */
  protected abstract file(uri: string): string;

  async ingest(plan: IngestPlan, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<IngestOutput> {
    const r = await this.run(plan, signal, async (r) => r, onProgress);
    return {
      files: (r.files ?? []).map((f) => this.file(f)),
      inputRows: r.inputRows ?? 0,
      rows: r.rows ?? 0,
      duplicateRows: r.duplicateRows ?? 0,
      droppedColumns: r.droppedColumns ?? [],
      missingColumns: r.missingColumns ?? [],
      statistics: withTime(r.statistics, new Date(plan.ingestTime)),
    };
  }
  async statistics(plan: StatisticsPlan, signal?: AbortSignal): Promise<Record<string, FeatureStatistics>> {
    return withTime((await this.run(plan, signal, async (r) => r)).statistics, new Date());
  }
  retrieve(plan: RetrievePlan, signal?: AbortSignal): Promise<RetrieveOutput> {
    return this.retrieveLike(plan, signal);
  }
  trainingSet(plan: TrainingSetPlan, onProgress: (fraction: number, message: string) => void, signal?: AbortSignal): Promise<RetrieveOutput> {
    return this.retrieveLike(plan, signal, onProgress);
  }
  newestPerKey(plan: NewestPerKeyPlan, onBatch: (rows: Record<string, unknown>[]) => Promise<void>, signal?: AbortSignal): Promise<number> {
    return this.run(plan, signal, async (r) => {
      await readBatches(await this.open(r.output!), onBatch);
      return r.rows ?? 0;
    });
  }
  revertedKeys(
    plan: RevertedKeysPlan,
    onBatch: (rows: { reverted: Record<string, unknown>; restored?: Record<string, unknown> }[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<number> {
    return this.run(plan, signal, async (r) => {
      await readBatches(await this.open(r.output!), (rows) =>
        onBatch(
          rows.map((row) => ({
            reverted: row['reverted'] as Record<string, unknown>,
            ...(row['restored'] ? { restored: row['restored'] as Record<string, unknown> } : {}),
          })),
        ),
      );
      return r.rows ?? 0;
    });
  }
  async close(): Promise<void> {}

  private retrieveLike(
    plan: RetrievePlan | TrainingSetPlan,
    signal?: AbortSignal,
    onProgress?: (fraction: number, message: string) => void,
  ): Promise<RetrieveOutput> {
    return this.run(plan, signal, async (r) => ({ files: (r.files ?? []).map((f) => this.file(f)), rows: r.rows ?? 0 }), onProgress);
  }
}

/** `spark-local`: each plan runs through spark-submit on this machine; outputs come back as local paths. */
export class SparkSubmitEngine extends SparkResultEngine {
  constructor(private readonly s: SparkEngineSettings) {
    super();
  }

  protected file(uri: string): string {
    return localPath(uri);
  }

  protected async open(output: string): Promise<Readable> {
    return createReadStream(localPath(output));
  }

  /**
   * Runs the plan in a work folder of its own; `use` reads the result before the folder goes. While
   * Spark runs, progress ticks every few seconds: the job frame checks for a cancel request on each
   * (a cancel stops the driver).
   */
  protected async run<T>(
    plan: Plan,
    signal: AbortSignal | undefined,
    use: (r: SparkResult) => Promise<T>,
    onProgress?: (fraction: number, message: string) => void,
  ): Promise<T> {
    await mkdir(this.s.workDir, { recursive: true });
    const work = await mkdtemp(join(this.s.workDir, 'spark-'));
    const started = Date.now();
    onProgress?.(0.05, 'running on Spark');
    const tick = onProgress && setInterval(() => onProgress(0.1, `running on Spark (${Math.round((Date.now() - started) / 1000)} s)`), TICK_MS);
    try {
      return await use(await submitPlan(this.s, sparkPlan(plan), work, signal));
    } finally {
      clearInterval(tick);
      await rm(work, { recursive: true, force: true });
    }
  }
}

/**
 * What an application of `spark-k8s` wrote, as an engine: every call answers with the one result in
 * the job's folder (the plan it is called with is the plan the application ran), and throws the
 * runner's refusal when it reported one. Files come back as the URIs the cluster wrote them under;
 * online-form rows are read from the offline store.
 */
export class StoredResultEngine extends SparkResultEngine {
  constructor(
    private readonly outcome: RunnerOutcome,
    private readonly offline: ObjectStore,
    private readonly folder: string,
  ) {
    super();
  }

  /** Hadoop names local files file:/path; the store names them file:///path. */
  protected file(uri: string): string {
    return uri.replace(/^file:\/(?!\/)/, 'file:///');
  }

  protected open(output: string): Promise<Readable> {
    return this.offline.get(`${this.folder}/${output.slice(output.lastIndexOf('/') + 1)}`);
  }

  protected async run<T>(_plan: Plan, _signal: AbortSignal | undefined, use: (r: SparkResult) => Promise<T>): Promise<T> {
    if (!this.outcome.ok) throw outcomeError(this.outcome);
    return use(this.outcome);
  }
}

/** A JSON-lines file handed on in batches, each awaited before the next is read. */
async function readBatches(input: Readable, onBatch: (rows: Record<string, unknown>[]) => Promise<void>): Promise<void> {
  let batch: Record<string, unknown>[] = [];
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (!line) continue;
    batch.push(JSON.parse(line) as Record<string, unknown>);
    if (batch.length >= BATCH_ROWS) {
      await onBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await onBatch(batch);
}
