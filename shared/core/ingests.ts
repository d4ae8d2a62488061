import type { FeatureStatistics, SampleFormat } from './model.js';
import type { LogRange } from './ports/ingest-store.js';
import type { ExtraColumnsPolicy } from './ports/offline-engine.js';

export interface SourceSpec {
  uri: string;
  format?: SampleFormat;
  options: Record<string, string>;
}

/** The engine-neutral spec of an INGEST job, stored with the job. */
export interface IngestJobSpec {
  project: string;
  featureSet: string;
  major: number;
  minor: number;
  source: SourceSpec;
  extraColumns: ExtraColumnsPolicy;
  /** Set for the ingests online-to-offline starts: the online rows log range they hold. */
  logRange?: LogRange;
}

/** The source URI scheme of the ingests online-to-offline makes from the online rows log. */
export const ONLINE_LOG_SCHEME = 'online-log://';

/** One committed ingest: what the ingest history lists and time travel reads. */
export interface Ingest {
  id: string;
  project: string;
  featureSet: string;
  major: number;
  minor: number;
  jobId: string;
  source: SourceSpec;
  state: 'COMMITTED' | 'REVERTED';
  rows: number;
  duplicateRows: number;
  /** Object-store keys of its Parquet files. */
  files: string[];
  statistics: Record<string, FeatureStatistics>;
  createdBy: string;
  commitTime: Date;
  revertTime?: Date;
}

/** Where an ingest's files live in the offline store. */
export function ingestPrefix(project: string, featureSet: string, major: number, ingestId: string): string {
  return `${project}/${featureSet}/v${major}/ingest=${ingestId}/`;
}

/** The spec of a REVERT job. */
export interface RevertJobSpec {
  project: string;
  featureSet: string;
  major: number;
  ingestId: string;
}

/**
 * The ingests whose rows a reader saw at `at`: committed by then and not yet reverted. With the
 * whole history of a major version (oldest first) this is time travel across ingests and reverts.
 */
export function visibleAt(history: Ingest[], at: Date): Ingest[] {
  return history.filter((i) => i.commitTime <= at && (!i.revertTime || i.revertTime > at));
}
