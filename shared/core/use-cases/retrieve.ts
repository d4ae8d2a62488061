import { InvalidArgument, NotFound } from '../errors.js';
import { EventTypes } from '../events.js';
import { jobEvent, type Job } from '../jobs.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import type { Principal } from '../principal.js';
import { allWithheld, withheldFeatures } from '../sensitive.js';
import { readsThePast, retrievePlan, visibleAsOf } from '../plans.js';
import type { RetrieveJobSpec } from '../job-specs.js';
import { requireUuid } from '../validation.js';
import { catalogResolver } from './resolve-feature-set.js';
import { runClaimedJob, type JobRunnerDeps } from './job-run.js';

/** How long download links of retrieved files stay valid. */
export const DOWNLOAD_LINK_SECONDS = 7 * 24 * 3600;

export interface StartRetrieveInput {
  project: string;
  featureSet: string;
  version: string;
  features: string[];
  startTime?: Date;
  endTime?: Date;
  asOfIngestId?: string;
  asOfTime?: Date;
  format: 'PARQUET' | 'CSV';
}

/** Starting a retrieve (the retrieve function): checked now, run as a RETRIEVE job. */
export function createRetrieveUseCases(d: { store: MetadataStore; jobs: JobStore; ingests: IngestStore; authorizer: Authorizer }) {
  const resolve = catalogResolver(d.store, d.authorizer);
  return {
    async start(principal: Principal, input: StartRetrieveInput, signal?: AbortSignal): Promise<Job> {
      if (input.startTime && input.endTime && input.startTime >= input.endTime) {
        throw new InvalidArgument('must be after start_time', { field: 'end_time' });
      }
      const fs = await resolve(principal, input, 'featureSet.readData', signal);
      const { project, name } = fs;
      input.features.forEach((f, i) => {
        if (!fs.schema.features.some((x) => x.name === f)) throw new NotFound(`"${f}" is not a feature of ${project}/${name}`, { field: `features[${i}]` });
      });
      const hidden = await withheldFeatures(d.authorizer, principal, fs, signal);
      const asked = input.features.length > 0 ? input.features : fs.schema.features.map((f) => f.name);
      const withheld = asked.filter((f) => hidden.includes(f));
      const features = withheld.length === 0 ? input.features : asked.filter((f) => !hidden.includes(f));
      if (features.length === 0 && withheld.length > 0) throw allWithheld(fs, 'features');
      if (input.asOfIngestId) {
        const id = requireUuid(input.asOfIngestId, 'as_of_ingest_id', 'ingest');
        const ingest = await d.ingests.get(id, signal);
        if (!ingest || ingest.project !== project || ingest.featureSet !== name || ingest.major !== fs.major) {
          throw new NotFound(`ingest ${id} is not an ingest of ${project}/${name} v${fs.major}; list them with ListIngests`, { field: 'as_of_ingest_id' });
        }
      }
      const spec: RetrieveJobSpec = {
        project,
        featureSet: name,
        major: fs.major,
        minor: fs.minor,
        features,
        ...(withheld.length > 0 ? { withheld } : {}),
        startTime: input.startTime?.toISOString(),
        endTime: input.endTime?.toISOString(),
        asOfIngestId: input.asOfIngestId?.toLowerCase(),
        asOfTime: input.asOfTime?.toISOString(),
        format: input.format,
      };
      const { job } = await d.jobs.createJob(
        { type: 'RETRIEVE', project, featureSet: name, spec, createdBy: principal.id, createdByAdmin: principal.admin, requestId: '' },
        (j) => [jobEvent(EventTypes.jobRequested, j, {})],
        signal,
      );
      return job;
    },
  };
}

/**
 * Runs a RETRIEVE job: the ingests visible at the moment asked for (as of an ingest: right after it
 * committed; as of a time: then; reverts count from their own moment), filtered by event time,
 * written to the offline store with download links.
 */
export function createRetrieveRunner(d: JobRunnerDeps & { store: MetadataStore; ingests: IngestStore; engine: OfflineEngine }) {
  return (jobId: string, signal: AbortSignal) =>
    runClaimedJob(d, 'RETRIEVE', jobId, signal, async ({ job, scratch, signal: jobSignal, uploaded, progress, local }) => {
      const spec = job.spec;
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major, minor: spec.minor });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major}.${spec.minor} no longer exists`, { field: 'feature_set' });
      const visible = readsThePast(spec)
        ? visibleAsOf(spec, await d.ingests.history(spec.project, spec.featureSet, spec.major, jobSignal))
        : await d.ingests.visible(spec.project, spec.featureSet, spec.major, jobSignal);
      progress(0.2, `reading ${visible.length} ingest(s)`);
      const out = await d.engine.retrieve(await local(retrievePlan(spec, fs.schema, visible, scratch.dir)), jobSignal);
      progress(0.8, 'uploading');
      const ext = spec.format === 'CSV' ? 'csv' : 'parquet';
      for (const [i, file] of out.files.entries()) {
        const key = `retrieve/${job.id}/part-${i}.${ext}`;
        await d.offline.put(key, scratch.open(file), jobSignal);
        uploaded.push(key);
      }
      const downloadUrls = await Promise.all(uploaded.map((key) => d.offline.downloadUrl(key, DOWNLOAD_LINK_SECONDS)));
      return {
        data: { retrieve: { uris: uploaded.map((key) => d.offline.uri(key)), downloadUrls, rows: out.rows, withheld: spec.withheld } },
        message: `${out.rows} rows from ${visible.length} ingest(s)`,
      };
    });
}
