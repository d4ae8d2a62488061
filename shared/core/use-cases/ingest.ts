import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Cancelled, FailedPrecondition, FeatureStoreError, Internal, InvalidArgument, NotFound, Unavailable } from '../errors.js';
import { EventTypes, featureSetSubject } from '../events.js';
import { requireIdentifier } from '../identifiers.js';
import { ingestPrefix, type Ingest, type IngestJobSpec, type RevertJobSpec, type SourceSpec } from '../ingests.js';
import { jobEvent, TERMINAL_STATES, type Job, type JobError } from '../jobs.js';
import { count, namesList } from '../messages.js';
import type { FeatureSet, Page } from '../model.js';
import { sourceRecord } from '../online.js';
import { decodePageToken, encodePageToken } from '../page-token.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { IngestStore, LogRange } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { ExtraColumnsPolicy, OfflineEngine } from '../ports/offline-engine.js';
import type { OnlineLog } from '../ports/online-log.js';
import type { ResolvedSource, SourceFiles } from '../ports/source-files.js';
import type { Principal } from '../principal.js';
import { parseVersion, requireUuid, validatePageSize } from '../validation.js';
import { applyRevert } from './revert.js';
import { futureText } from './online.js';

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

/** The job.status event an engine emits; status-handler turns it into job state and catalog rows. */
export interface JobStatusData {
  jobId: string;
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error?: JobError;
  /** For a succeeded ingest: what the engine wrote, not yet visible, and the ingests it deduplicated against. */
  ingest?: {
    id: string;
    files: string[];
    rows: number;
    duplicateRows: number;
    statistics: Ingest['statistics'];
    basis?: string[];
    columns?: { dropped: string[]; missing: string[] };
  };
  /** For an ingest of a source without data rows: nothing was written or committed. */
  empty?: boolean;
  /** For a succeeded revert: statistics over the rows that stay visible. */
  revert?: { ingestId: string; statistics: Ingest['statistics'] };
  /** For a succeeded retrieve: the files written. */
  retrieve?: { uris: string[]; downloadUrls: string[]; rows: number };
  /** For a succeeded materialize: keys found, written online, and too large for the online row limit. */
  materialize?: { rows: number; written: number; tooLarge: number };
}

const isIngestPosition = (v: unknown): v is { t: string; id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { t?: unknown }).t === 'string' && typeof (v as { id?: unknown }).id === 'string';

/** Starting ingests and reading their history (the ingest and register functions). */
export function createIngestUseCases({ store, jobs, ingests, authorizer, sources }: IngestDeps) {
  return {
    /**
     * Checks the request and the source now (bad input never becomes a job), then records a
     * PENDING job whose job.requested event commits with it. A repeated request_id returns the first job.
     */
    async start(principal: Principal, input: StartIngestInput, signal?: AbortSignal): Promise<Job> {
      const project = requireIdentifier(input.project, 'feature_set.project');
      const name = requireIdentifier(input.featureSet, 'feature_set.name');
      const version = parseVersion(input.version, 'feature_set.version');
      if (!input.source?.uri) throw new InvalidArgument('is required', { field: 'source.uri' });
      if (input.requestId.length > 200) throw new InvalidArgument('is longer than 200 characters', { field: 'request_id' });
      await authorizer.authorize(principal, 'featureSet.update', { project, featureSet: name }, signal);
      const fs = await store.getFeatureSet(project, name, version, signal);
      if (!fs)
        throw new NotFound(`feature set "${project}/${name}"${input.version ? ` version ${input.version}` : ''} does not exist`, { field: 'feature_set' });
      await sources.check(input.source, signal);
      const spec: IngestJobSpec = { project, featureSet: name, major: fs.major, minor: fs.minor, source: input.source, extraColumns: input.extraColumns };
      const { job } = await jobs.createJob(
        { type: 'INGEST', project, featureSet: name, spec: spec as unknown as Record<string, unknown>, createdBy: principal.id, requestId: input.requestId },
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
      const project = requireIdentifier(input.project, 'feature_set.project');
      const name = requireIdentifier(input.featureSet, 'feature_set.name');
      const ingestId = requireUuid(input.ingestId, 'ingest_id', 'ingest');
      await authorizer.authorize(principal, 'featureSet.update', { project, featureSet: name }, signal);
      const fs = await store.getFeatureSet(project, name, undefined, signal);
      if (!fs) throw new NotFound(`feature set "${project}/${name}" does not exist`, { field: 'feature_set' });
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
        { type: 'REVERT', project, featureSet: name, spec: spec as unknown as Record<string, unknown>, createdBy: principal.id, requestId: '' },
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
      const project = requireIdentifier(input.project, 'feature_set.project');
      const name = requireIdentifier(input.featureSet, 'feature_set.name');
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isIngestPosition);
      await authorizer.authorize(principal, 'featureSet.read', { project, featureSet: name }, signal);
      if (!(await store.getFeatureSet(project, name, undefined, signal))) {
        throw new NotFound(`feature set "${project}/${name}" does not exist`, { field: 'feature_set' });
      }
      const rows = await ingests.list(project, name, position && { commitTime: new Date(position.t), id: position.id }, limit + 1, signal);
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return { items, nextPageToken: rows.length > limit && last ? encodePageToken({ t: last.commitTime.toISOString(), id: last.id }) : '' };
    },
  };
}

export type IngestUseCases = ReturnType<typeof createIngestUseCases>;

/** Local working space for a job. */
export interface Scratch {
  dir: string;
  /** A local path holding the object (the file itself for a local store, else a copy). */
  localCopy(store: ObjectStore, key: string): Promise<string>;
  open(path: string): Readable;
  /** Writes a text file (one line per item, streamed) and returns its path. */
  write(name: string, lines: Iterable<string> | AsyncIterable<string>): Promise<string>;
  dispose(): Promise<void>;
}

/** What every engine job's frame needs. */
export interface JobRunnerDeps {
  jobs: JobStore;
  offline: ObjectStore;
  /** A fresh local folder for the engine's output and local copies, removed by `dispose`. */
  scratch(): Promise<Scratch>;
  /** How often a running job says it is alive (well inside the lease after which it counts as abandoned). */
  heartbeatMs?: number;
  /** A running job whose worker was silent this long is taken over by the next delivery (default: 4 heartbeats). */
  leaseMs?: number;
}

export interface IngestRunnerDeps extends JobRunnerDeps {
  store: MetadataStore;
  ingests: IngestStore;
  sources: SourceFiles;
  engine: OfflineEngine;
  /** Where online-written rows wait (for the ingests online-to-offline starts). */
  onlineLog?: OnlineLog;
  /** How far ahead of now event times may be (default 1 day). */
  maxFutureMs?: number;
}

const DEFAULT_MAX_FUTURE_MS = 86_400_000;

const DEFAULT_HEARTBEAT_MS = 15_000;

/** How often progress reaches the jobs table at most. */
const PROGRESS_EVERY_MS = 250;

export interface JobRunContext {
  job: Job;
  scratch: Scratch;
  signal: AbortSignal;
  /** Object-store keys the work wrote; removed if the job does not succeed. */
  uploaded: string[];
  progress(fraction: number, message: string): void;
}

/**
 * The frame every engine job runs in (the spark-submit function): claims the job (PENDING ->
 * RUNNING in the next attempt; a job whose worker died mid-run -- silent past the lease -- is taken
 * over the same way), gives the work scratch space, progress reporting that also notices cancel
 * requests, and reports the outcome as a job.status event, removing what the work uploaded unless
 * it succeeded. status-handler applies the outcome. A delivery that finds the job finished does
 * nothing; one that finds it running with a live worker answers Unavailable, so the event is retried
 * until the job ends or its worker goes silent. Reports and heartbeats count only in the claiming
 * attempt: a replaced worker that wakes up changes nothing.
 */
export async function runClaimedJob(
  d: JobRunnerDeps,
  jobId: string,
  signal: AbortSignal,
  work: (ctx: JobRunContext) => Promise<{ data: Omit<JobStatusData, 'jobId' | 'state'>; message: string }>,
): Promise<void> {
  const heartbeatMs = d.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const claimed = await d.jobs.claim(jobId, d.leaseMs ?? heartbeatMs * 4, signal);
  if (!claimed.job) {
    const current = claimed.current;
    if (!current || TERMINAL_STATES.has(current.state)) return; // gone, or done by an earlier delivery
    throw new Unavailable(
      `job ${jobId} is running in another worker (attempt ${current.attempt}); this delivery is retried until it ends or that worker stops`,
      { field: 'data.jobId' },
    );
  }
  const job = claimed.job;
  const report = (data: Omit<JobStatusData, 'jobId'>, message: string) =>
    d.jobs.updateJob(job.id, { message, ifAttempt: job.attempt, reported: true }, ['RUNNING'], (j) => [jobEvent(EventTypes.jobStatus, j, data)]);
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  signal.addEventListener('abort', onOuterAbort, { once: true });
  // Alive while the work runs, however long one engine step takes (the work is asynchronous).
  const heartbeat = setInterval(() => {
    void d.jobs.heartbeat(job.id, job.attempt).then(
      (running) => running || controller.abort(new Cancelled('the job was ended or taken over meanwhile')),
      () => {},
    );
  }, heartbeatMs);
  heartbeat.unref();
  const scratch = await d.scratch();
  const uploaded: string[] = [];
  let last = 0;
  let lastMessage = '';
  const progress = (fraction: number, message: string) => {
    const now = Date.now();
    // A new phase is always shown (its name must not lag behind the work); within one, at most every PROGRESS_EVERY_MS.
    if (now - last < PROGRESS_EVERY_MS && fraction < 1 && message === lastMessage) return;
    last = now;
    lastMessage = message;
    // Best effort; a cancel request seen here stops the engine at its next step.
    void d.jobs
      .updateJob(job.id, { progress: Math.min(0.95, fraction * 0.9), message, ifAttempt: job.attempt }, ['RUNNING'], () => [])
      .then(
        (j) => j.cancelRequested && controller.abort(new Cancelled('cancelled on request')),
        () => {},
      );
  };
  try {
    const outcome = await work({ job, scratch, signal: controller.signal, uploaded, progress });
    if ((await d.jobs.getJob(job.id))?.cancelRequested) throw new Cancelled('cancelled on request');
    await report({ state: 'SUCCEEDED', ...outcome.data }, outcome.message);
  } catch (err) {
    await Promise.allSettled(uploaded.map((key) => d.offline.delete(key)));
    const cancelled = err instanceof Cancelled || controller.signal.aborted;
    const error: JobError =
      err instanceof FeatureStoreError && err.status !== 'INTERNAL'
        ? { code: err.status, message: err.publicMessage, details: err.details }
        : { code: 'INTERNAL', message: 'the engine failed; the server log has the details', details: [] };
    await report(cancelled ? { state: 'CANCELLED' } : { state: 'FAILED', error }, cancelled ? 'cancelled; nothing was written' : error.message).catch(
      async (reportErr: unknown) => {
        // An error the catalog refuses to store (its text quotes the input) must not leave the job
        // running: report the failure again without the details.
        if (cancelled || !(reportErr instanceof InvalidArgument)) return;
        const plain: JobError = {
          code: error.code,
          message: 'the job failed; its error details could not be stored (they quote input the catalog cannot hold)',
          details: [],
        };
        await report({ state: 'FAILED', error: plain }, plain.message).catch(() => {});
      },
    );
    if (!(err instanceof FeatureStoreError) || err.status === 'INTERNAL') throw err;
  } finally {
    clearInterval(heartbeat);
    signal.removeEventListener('abort', onOuterAbort);
    await scratch.dispose();
  }
}

/** Runs an INGEST job: engine, then the files to their own ingest folder; visible once committed. */
export function createIngestRunner(d: IngestRunnerDeps) {
  return (jobId: string, signal: AbortSignal) =>
    runClaimedJob(d, jobId, signal, async ({ job, scratch, signal: jobSignal, uploaded, progress }) => {
      const spec = job.spec as unknown as IngestJobSpec;
      const ingestId = randomUUID();
      const fs = await d.store.getFeatureSet(spec.project, spec.featureSet, { major: spec.major, minor: spec.minor });
      if (!fs) throw new NotFound(`feature set ${spec.project}/${spec.featureSet} v${spec.major}.${spec.minor} no longer exists`, { field: 'feature_set' });
      const source = spec.logRange ? await logSource(d.onlineLog, fs, spec.logRange, scratch, jobSignal) : await d.sources.resolve(spec.source, jobSignal);
      try {
        const visible = await d.ingests.visible(spec.project, spec.featureSet, spec.major, jobSignal);
        const existing = await Promise.all(visible.flatMap((i) => i.files).map((key) => scratch.localCopy(d.offline, key)));
        const out = await d.engine.ingest(
          {
            ingestId,
            ingestTime: new Date(),
            latestEventTime: new Date(Date.now() + (d.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS)),
            latestEventTimeText: futureText(d.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS),
            schema: fs.schema,
            files: source.files,
            format: source.format,
            csv: csvOptions(spec.source.options),
            extraColumns: spec.extraColumns,
            distinct: spec.logRange !== undefined,
            existing,
            outputDir: scratch.dir,
          },
          progress,
          jobSignal,
        );
        const prefix = ingestPrefix(spec.project, spec.featureSet, spec.major, ingestId);
        for (const [i, file] of out.files.entries()) {
          const key = `${prefix}part-${i}.parquet`;
          await d.offline.put(key, scratch.open(file), jobSignal);
          uploaded.push(key);
        }
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
              files: [...uploaded],
              rows: out.rows,
              duplicateRows: out.duplicateRows,
              statistics: out.statistics,
              basis: visible.map((v) => v.id),
              columns: { dropped: out.droppedColumns, missing: out.missingColumns },
            },
          },
          message: [`${count(out.rows)} rows written, ${count(out.duplicateRows)} duplicates skipped`, ...notes].join('; '),
        };
      } finally {
        await source.cleanup();
      }
    });
}

/** The rows of an online log range as a JSON-lines file in scratch space. */
async function logSource(log: OnlineLog | undefined, fs: FeatureSet, range: LogRange, scratch: Scratch, signal: AbortSignal): Promise<ResolvedSource> {
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
  return { files: [file], format: 'JSONL', cleanup: async () => {} };
}

/**
 * Applies a job.status event (the status-handler function). A succeeded ingest commits its catalog
 * row, the job's SUCCEEDED state and an ingest.committed event in one transaction; failures and
 * cancellations end the job. Redelivery changes nothing: every step is a compare-and-set.
 */
export function createStatusRecorder(d: { store: MetadataStore; jobs: JobStore; ingests: IngestStore; offline: ObjectStore }) {
  return async function recordStatus(data: JobStatusData): Promise<void> {
    const job = await d.jobs.getJob(data.jobId);
    if (!job) return;
    if (data.state === 'SUCCEEDED' && data.ingest && job.type === 'INGEST') {
      const spec = job.spec as unknown as IngestJobSpec;
      const i = data.ingest;
      try {
        await d.ingests.commit(
          {
            id: i.id,
            project: spec.project,
            featureSet: spec.featureSet,
            major: spec.major,
            minor: spec.minor,
            jobId: job.id,
            source: spec.source,
            rows: i.rows,
            duplicateRows: i.duplicateRows,
            files: i.files,
            statistics: i.statistics,
            createdBy: job.createdBy,
            basis: i.basis ?? [],
            logRange: spec.logRange,
            columns: i.columns,
          },
          (_j, ingest) => [
            {
              type: EventTypes.ingestCommitted,
              subject: featureSetSubject(ingest.project, ingest.featureSet),
              data: { ingestId: ingest.id, project: ingest.project, featureSet: ingest.featureSet, major: ingest.major, files: ingest.files, jobId: job.id },
            },
          ],
        );
      } catch (err) {
        // The job ended meanwhile (cancelled, say) or its basis was reverted: its files never became
        // visible; remove them, and fail the job if it still runs.
        if (!(err instanceof FailedPrecondition)) throw err;
        await Promise.allSettled(i.files.map((key) => d.offline.delete(key)));
        await endJob(job.id, 'FAILED', { code: err.status, message: err.publicMessage, details: [] });
      }
      return;
    }
    if (data.state === 'SUCCEEDED' && data.revert && job.type === 'REVERT') {
      await applyRevert(d, job, data.revert);
      return;
    }
    if (data.state === 'SUCCEEDED' && (data.retrieve || data.materialize || data.empty)) {
      const result = data.retrieve
        ? { kind: 'retrieve' as const, ...data.retrieve }
        : data.materialize
          ? { kind: 'materialize' as const, ...data.materialize }
          : undefined;
      try {
        await d.jobs.updateJob(job.id, { state: 'SUCCEEDED', progress: 1, result }, ['RUNNING'], () => []);
      } catch (err) {
        if (!(err instanceof FailedPrecondition)) throw err;
      }
      return;
    }
    if (data.state === 'FAILED' || data.state === 'CANCELLED') await endJob(job.id, data.state, data.error);
  };

  async function endJob(jobId: string, state: 'FAILED' | 'CANCELLED', error: JobError | undefined): Promise<void> {
    try {
      await d.jobs.updateJob(jobId, { state, error }, ['PENDING', 'RUNNING'], () => []);
    } catch (err) {
      if (!(err instanceof FailedPrecondition)) throw err; // already ended
    }
  }
}

export function csvOptions(options: Record<string, string>): { delimiter?: string; header?: boolean } {
  return { delimiter: options['delimiter'], header: options['header'] === undefined ? undefined : options['header'] !== 'false' };
}
