import type { IngestJobSpec } from '../../shared/core/job-specs.js';
import type { NewJob } from '../../shared/core/jobs.js';

/** A valid INGEST spec for a feature set (the job store checks specs against their type's schema). */
export const ingestJobSpec = (project: string, featureSet = 'fs', extra: Partial<IngestJobSpec> = {}): IngestJobSpec => ({
  project,
  featureSet,
  major: 1,
  minor: 0,
  source: { uri: 'file:///data.csv', options: {} },
  extraColumns: 'IGNORE',
  ...extra,
});

/** A new INGEST job of `project/featureSet` by alice, without a request id. */
export const newIngestJob = (project: string, featureSet = 'fs', extra: Partial<Omit<NewJob, 'type' | 'spec'>> & { spec?: IngestJobSpec } = {}): NewJob => ({
  type: 'INGEST',
  project,
  featureSet,
  spec: ingestJobSpec(project, featureSet),
  createdBy: 'alice',
  requestId: '',
  ...extra,
});

/** A new RETRIEVE job of all features of `project/featureSet` by alice. */
export const newRetrieveJob = (project: string, featureSet = 'fs', extra: Partial<Omit<NewJob, 'type' | 'spec'>> = {}): NewJob => ({
  type: 'RETRIEVE',
  project,
  featureSet,
  spec: { project, featureSet, major: 1, minor: 0, features: [], format: 'PARQUET' },
  createdBy: 'alice',
  requestId: '',
  ...extra,
});
