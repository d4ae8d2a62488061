import { randomUUID } from 'node:crypto';
import { FailedPrecondition, Internal, InvalidArgument, NotFound } from '../errors.js';
import { EventTypes } from '../events.js';
import { ingestPrefix, type Ingest } from '../ingests.js';
import { ingestPlan, type IngestPlan } from '../plans.js';
import type { ExtraColumnsPolicy, IngestJobSpec, LogRange, RevertJobSpec, SourceSpec } from '../job-specs.js';
import { jobEvent, type Job } from '../jobs.js';
import { count, namesList } from '../messages.js';
import type { FeatureSet, Page } from '../model.js';
import { sourceRecord } from '../online-values.js';
import { decodePageToken, isTimePosition, pageOf } from '../page-token.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OnlineLog } from '../ports/online-log.js';
import type { SourceFiles } from '../ports/source-files.js';
import type { Principal } from '../principal.js';
import { requireUuid, validatePageSize } from '../validation.js';
import type { Scratch, StagedJob } from './job-run.js';
import { catalogResolver } from './resolve-feature-set.js';

export interface IngestDeps {
  store: MetadataStore;
  jobs: JobStore;
  ingests: IngestStore;
  authorizer: Authorizer;
  sources: SourceFiles;
}

export interface StartIngestInput {
  project: string;
  featureSet: string;
  version: string;
  source: SourceSpec | undefined;
  extraColumns: ExtraColumnsPolicy;
  requestId: string;
}

/** Starting ingests and reading their history (the ingest and register functions). */
export function createIngestUseCases({ store, jobs, ingests, authorizer, sources }: IngestDeps) {
  const resolve = catalogResolver(store, authorizer);
  return {
    /**
     * Checks the request and the source now (bad input never becomes a job), then records a
     * PENDING job whose job.requested event commits with it. A repeated request_id returns the first job.
     */
    async start(principal: Principal, input: StartIngestInput, signal?: AbortSignal): Promise<Job> {
      if (!input.source?.uri) throw new InvalidArgument('is required', { field: 'source.uri' });
      if (input.requestId.length > 200) throw new InvalidArgument('is longer than 200 characters', { field: 'request_id' });
      const fs = await resolve(principal, input, 'featureSet.update', signal);
      const { project, name } = fs;
      await sources.check(input.source, signal);
      const spec: IngestJobSpec = { project, featureSet: name, major: fs.major, minor: fs.minor, source: input.source, extraColumns: input.extraColumns };
      const { job } = await jobs.createJob(
        { type: 'INGEST', project, featureSet: name, spec, createdBy: principal.id, createdByAdmin: principal.admin, requestId: input.requestId },
        (j) => [jobEvent(EventTypes.jobRequested, j, {})],
        signal,
      );
      return job;
    },

    /**
     * Checks that the ingest is visible in the latest major version, then records a REVERT job: it
     * recomputes the statistics without the ingest's rows, and its commit hides them and makes a new
     * minor version in one transaction. The files stay for time travel to moments before the revert.
     */
    async revert(principal: Principal, input: { project: string; featureSet: string; ingestId: string }, signal?: AbortSignal): Promise<Job> {
      const ingestId = requireUuid(input.ingestId, 'ingest_id', 'ingest');
      const fs = await resolve(principal, { ...input, version: '' }, 'featureSet.update', signal);
      const { project, name } = fs;
      const ingest = await ingests.get(ingestId, signal);
      if (!ingest || ingest.project !== project || ingest.featureSet !== name) {
        throw new NotFound(`ingest ${ingestId} is not an ingest of ${project}/${name}; list them with ListIngests`, { field: 'ingest_id' });
      }
      if (ingest.state === 'REVERTED') throw new FailedPrecondition(`ingest ${ingestId} was already reverted`, { field: 'ingest_id' });
      if (ingest.major !== fs.major) {
        throw new FailedPrecondition(
          `ingest ${ingestId} holds data of major version ${ingest.major}, but the feature set is at ${fs.major}; only the latest major version's data can be reverted`,
          {
            field: 'ingest_id',
          },
        );
      }
      const spec: RevertJobSpec = { project, featureSet: name, major: fs.major, ingestId };
      const { job } = await jobs.createJob(
        { type: 'REVERT', project, featureSet: name, spec, createdBy: principal.id, createdByAdmin: principal.admin, requestId: '' },
        (j) => [jobEvent(EventTypes.jobRequested, j, {})],
        signal,
      );
      return job;
    },

    async list(
      principal: Principal,
      input: { project: string; featureSet: string; pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<Ingest>> {
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isTimePosition);
      const { project, name } = await resolve(principal, { ...input, version: '' }, 'featureSet.read', signal);
      const rows = await ingests.list(project, name, position && { commitTime: new Date(position.t), id: position.id }, limit + 1, signal);
      return pageOf(rows, limit, (last) => ({ t: last.commitTime.toISOString(), id: last.id }));
    },
  };
}

export type IngestUseCases = ReturnType<typeof createIngestUseCases>;

const DEFAULT_MAX_FUTURE_MS = 86_400_000;

/** What an ingest's finish needs from its first step. */
interface IngestContext {
  ingestId: string;
  prefix: string;
  basis: string[];
}

/**
 * An INGEST job: the engine writes the new rows into the ingest's own folder; they become visible
 * once status-handler commits the ingest.
 */
export function ingestJob(d: {
  store: MetadataStore;
  ingests: IngestStore;
  onlineLog?: OnlineLog;
  maxFutureMs?: number;
}): StagedJob<'INGEST', IngestContext, IngestPlan> {
  return {
    type: 'INGEST',
    async prepare(ctx) {
      const spec = ctx.job.spec;
      const ingestId = randomUUID();
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major, minor: spec.minor });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major}.${spec.minor} no longer exists`, { field: 'feature_set' });
      const source = spec.logRange
        ? { files: [await ctx.input(await logSource(d.onlineLog, fs, spec.logRange, ctx.scratch, ctx.signal))], format: 'JSONL' as const }
        : await ctx.source(spec.source);
      const visible = await d.ingests.visible(spec.project, spec.featureSet, spec.major, ctx.signal);
      const prefix = ingestPrefix(spec.project, spec.featureSet, spec.major, ingestId);
      const plan = ingestPlan({
        ingestId,
        now: new Date(),
        maxFutureMs: d.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
        schema: fs.schema,
        source: spec.source,
        sourceFiles: source,
        extraColumns: spec.extraColumns,
        fromOnlineLog: spec.logRange !== undefined,
        visible,
        outputDir: ctx.outputDir(prefix),
      });
      return { plan, context: { ingestId, prefix, basis: visible.map((v) => v.id) } };
    },
    async finish(ctx, engine, plan, { ingestId, prefix, basis }) {
      const out = await engine.ingest(plan, ctx.progress, ctx.signal);
      for (const [i, file] of out.files.entries()) await ctx.keep(file, `${prefix}part-${i}.parquet`);
      // Messages stay short however wide the source: the full lists go to the job's result.
      const notes = [
        out.droppedColumns.length ? `${count(out.droppedColumns.length)} extra column(s) dropped: ${namesList(out.droppedColumns)}` : '',
        out.missingColumns.length ? `${count(out.missingColumns.length)} column(s) missing, stored as null: ${namesList(out.missingColumns)}` : '',
      ].filter(Boolean);
      if (out.inputRows === 0) return { data: { empty: true }, message: ['0 rows: nothing ingested (the source has no data rows)', ...notes].join('; ') };
      return {
        data: {
          ingest: {
            id: ingestId,
            files: [...ctx.uploaded],
            rows: out.rows,
            duplicateRows: out.duplicateRows,
            statistics: out.statistics,
            basis,
            columns: { dropped: out.droppedColumns, missing: out.missingColumns },
          },
        },
        message: [`${count(out.rows)} rows written, ${count(out.duplicateRows)} duplicates skipped`, ...notes].join('; '),
      };
    },
  };
}

/** The rows of an online log range as a JSON-lines file in scratch space. */
async function logSource(log: OnlineLog | undefined, fs: FeatureSet, range: LogRange, scratch: Scratch, signal: AbortSignal): Promise<string> {
  if (!log) throw new Internal('this worker was started without the online rows log');
  const table = { project: fs.project, featureSet: fs.name, major: fs.major };
  let rows = 0;
  const file = await scratch.write(
    'online-rows.jsonl',
    (async function* () {
      for await (const batch of log.read(table, range.after, range.through, signal)) {
        for (const row of batch) {
          rows++;
          yield JSON.stringify(sourceRecord(fs.schema.features, row));
        }
      }
    })(),
  );
  if (rows === 0)
    throw new FailedPrecondition(`the online rows after position ${range.after} are no longer in the log (drained by another run)`, { field: 'id' });
  return file;
}
