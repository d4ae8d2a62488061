import type { OfflineEngine } from '../../core/ports/offline-engine.js';
import { DuckDbEngine } from './duckdb/duckdb-engine.js';
import { SparkSubmitEngine } from './spark/spark-engine.js';

/** The settings every engine gets: a memory bound and a local spill folder of this process, and Spark's settings. */
export interface EngineSettings {
  memoryLimit: string;
  spillDir: string;
  spark: {
    /** The spark-submit executable. */
    submit: string;
    /** e.g. local[2]. */
    master: string;
    /** Extra jars (connectors for s3a:// and wasb://). */
    jars: string[];
  };
}

/** The engines by type (FEATURESTORE_ENGINE). */
export const ENGINES = {
  duckdb: (settings: EngineSettings): OfflineEngine => new DuckDbEngine({ memoryLimit: settings.memoryLimit, spillDir: settings.spillDir }),
  'spark-local': (settings: EngineSettings): OfflineEngine =>
    new SparkSubmitEngine({ sparkSubmit: settings.spark.submit, master: settings.spark.master, jars: settings.spark.jars, workDir: settings.spillDir }),
  // Jobs leave the process (runtime/dependencies.ts launcher()); what stays in process is small (reading rows back) and runs on DuckDB.
  'spark-k8s': (settings: EngineSettings): OfflineEngine => new DuckDbEngine({ memoryLimit: settings.memoryLimit, spillDir: settings.spillDir }),
} as const satisfies Record<string, (settings: EngineSettings) => OfflineEngine>;

export type EngineType = keyof typeof ENGINES;
export const ENGINE_TYPES = Object.keys(ENGINES) as EngineType[];
