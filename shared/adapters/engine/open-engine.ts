import type { OfflineEngine } from '../../core/ports/offline-engine.js';
import { DuckDbEngine } from './duckdb/duckdb-engine.js';

/** The settings every engine gets: a memory bound and a local spill folder of this process. */
export interface EngineSettings {
  memoryLimit: string;
  spillDir: string;
}

/** The engines by type (FEATURESTORE_ENGINE). Spark engines join this table with issue #15. */
export const ENGINES = {
  duckdb: (settings: EngineSettings): OfflineEngine => new DuckDbEngine({ memoryLimit: settings.memoryLimit, spillDir: settings.spillDir }),
} as const satisfies Record<string, (settings: EngineSettings) => OfflineEngine>;

export type EngineType = keyof typeof ENGINES;
export const ENGINE_TYPES = Object.keys(ENGINES) as EngineType[];
