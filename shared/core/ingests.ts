import type { SourceSpec } from './job-specs.js';
import type { FeatureStatistics } from './model.js';

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

/**
 * The ingests whose rows a reader saw at `at`: committed by then and not yet reverted. With the
 * whole history of a major version (oldest first) this is time travel across ingests and reverts.
 */
export function visibleAt(history: Ingest[], at: Date): Ingest[] {
  return history.filter((i) => i.commitTime <= at && (!i.revertTime || i.revertTime > at));
}

/** CSV reading options from a source's options: delimiter (default ","), header (default true). */
export function csvOptions(options: Record<string, string>): { delimiter?: string; header?: boolean } {
  return { delimiter: options['delimiter'], header: options['header'] === undefined ? undefined : options['header'] !== 'false' };
}
