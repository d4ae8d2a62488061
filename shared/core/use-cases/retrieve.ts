import { InvalidArgument, NotFound } from '../errors.js';
import { EventTypes } from '../events.js';
import { jobEvent, type Job } from '../jobs.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { Principal } from '../principal.js';
import { allWithheld, withheldFeatures } from '../sensitive.js';
import { readsThePast, retrievePlan, visibleAsOf, type RetrievePlan } from '../plans.js';
import type { RetrieveJobSpec } from '../job-specs.js';
import { requireUuid } from '../validation.js';
import { catalogResolver } from './resolve-feature-set.js';
import type { StagedJob } from './job-run.js';

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
export function retrieveJob(d: { store: MetadataStore; ingests: IngestStore; offline: ObjectStore }): StagedJob<'RETRIEVE', { ingests: number }, RetrievePlan> {
  return {
    type: 'RETRIEVE',
    async prepare(ctx) {
      const spec = ctx.job.spec;
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major, minor: spec.minor });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major}.${spec.minor} no longer exists`, { field: 'feature_set' });
      const visible = readsThePast(spec)
        ? visibleAsOf(spec, await d.ingests.history(spec.project, spec.featureSet, spec.major, ctx.signal))
        : await d.ingests.visible(spec.project, spec.featureSet, spec.major, ctx.signal);
      ctx.progress(0.2, `reading ${visible.length} ingest(s)`);
      return { plan: retrievePlan(spec, fs.schema, visible, ctx.outputDir(`retrieve/${ctx.job.id}/`)), context: { ingests: visible.length } };
    },
    async finish(ctx, engine, plan, { ingests }) {
      const out = await engine.retrieve(plan, ctx.signal);
      ctx.progress(0.8, 'uploading');
      const ext = ctx.job.spec.format === 'CSV' ? 'csv' : 'parquet';
      for (const [i, file] of out.files.entries()) await ctx.keep(file, `retrieve/${ctx.job.id}/part-${i}.${ext}`);
      const downloadUrls = await Promise.all(ctx.uploaded.map((key) => d.offline.downloadUrl(key, DOWNLOAD_LINK_SECONDS)));
      return {
        data: { retrieve: { uris: ctx.uploaded.map((key) => d.offline.uri(key)), downloadUrls, rows: out.rows, withheld: ctx.job.spec.withheld } },
        message: `${out.rows} rows from ${ingests} ingest(s)`,
      };
    },
  };
}
