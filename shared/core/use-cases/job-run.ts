import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Cancelled, FailedPrecondition, FeatureStoreError, Internal, InvalidArgument, PermissionDenied, Unavailable } from '../errors.js';
import { EventTypes } from '../events.js';
import type { SpecJobType } from '../job-specs.js';
import { withStoredFiles, type Plan } from '../plans.js';
import type { SourceSpec } from '../job-specs.js';
import type { ApplicationEnd, JobLauncher } from '../ports/job-launcher.js';
import type { OfflineEngine } from '../ports/offline-engine.js';
import type { ResolvedSource, SourceFiles } from '../ports/source-files.js';
import { jobAccess, jobEvent, jobStarter, TERMINAL_STATES, type Job, type JobError, type JobOf, type JobStatusData } from '../jobs.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { JobStore } from '../ports/job-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import { newRunnerToken } from '../tokens.js';

// The frame every engine job runs in: claim, heartbeat and lease, scratch space, progress, and the
// outcome reported as a job.status event (job-status.ts applies it).

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
  /** Checks the starter's permissions again when the job starts. */
  authorizer: Authorizer;
  offline: ObjectStore;
  /** A fresh local folder for the engine's output and local copies, removed by `dispose`. */
  scratch(): Promise<Scratch>;
  /** How often a running job says it is alive (well inside the lease after which it counts as abandoned). */
  heartbeatMs?: number;
  /** A running job whose worker was silent this long is taken over by the next delivery (default: 4 heartbeats). */
  leaseMs?: number;
}

/** What staged jobs need besides the frame: the engine in process, or a launcher that hands the plan to a cluster. */
export interface StagedRunnerDeps extends JobRunnerDeps {
  engine: OfflineEngine;
  sources: SourceFiles;
  /** Set with the spark-k8s engine: the engine step leaves the request (see runStagedJob). */
  launcher?: JobLauncher;
}

const DEFAULT_HEARTBEAT_MS = 15_000;

/** How often progress reaches the jobs table at most. */
const PROGRESS_EVERY_MS = 250;

/**
 * Which progress reports reach the jobs table: a new phase always (its name must not lag behind the
 * work), the end always, and within a phase at most one every `everyMs`. A phase is a message with
 * its numbers masked: "1200 keys online" and "2400 keys online" are one phase, so a count in the
 * message does not make every report a write.
 */
export function progressThrottle(everyMs: number, now: () => number = Date.now): (fraction: number, message: string) => boolean {
  let last = -Infinity;
  let lastPhase: string | undefined;
  return (fraction, message) => {
    const at = now();
    const phase = message.replace(/\d+/g, '#');
    if (at - last < everyMs && fraction < 1 && phase === lastPhase) return false;
    last = at;
    lastPhase = phase;
    return true;
  };
}

export interface JobRunContext<T extends SpecJobType> {
  job: JobOf<T>;
  scratch: Scratch;
  signal: AbortSignal;
  /** Object-store keys the work wrote; removed if the job does not succeed. */
  uploaded: string[];
  progress: (fraction: number, message: string) => void;
  /** The plan with its stored files copied into scratch space (what the in-process engine reads). */
  local: <P extends Plan>(plan: P) => Promise<P>;
}

/** The job's outcome: its job.status data and message. */
export interface Outcome {
  data: Omit<JobStatusData, 'jobId' | 'state'>;
  message: string;
}

/** What a staged job's first step has: the frame, and where the engine reads and writes. */
export interface StageContext<T extends SpecJobType> extends JobRunContext<T> {
  /** Where the engine writes the files that are to end under this offline-store prefix. */
  outputDir(prefix: string): string;
  /** A source as the engine reads it (local copies in process, the files' own URIs when handed off); removed after the job. */
  source(spec: SourceSpec, field?: string): Promise<ResolvedSource>;
  /** A file in scratch space as the engine reads it (uploaded to the job's folder when handed off). */
  input(path: string): Promise<string>;
}

/** What a staged job's last step has: the frame, and the engine's output files kept in the offline store. */
export interface FinishContext<T extends SpecJobType> extends JobRunContext<T> {
  /** A file the engine wrote, kept at `key` (uploaded from scratch, or already there); removed unless the job succeeds. */
  keep(file: string, key: string): Promise<void>;
}

/**
 * A job in two steps around its engine work: `prepare` reads the catalog and builds the plan (and
 * the context `finish` needs, plain JSON); `finish` runs the plan on the engine it is given and
 * turns the output into the outcome. In process both run in one delivery with the DuckDB (or
 * spark-local) engine; handed off, `prepare` runs in the delivery that starts the job, the plan runs
 * on the cluster, and `finish` runs when the application ends, with an engine that reads back what
 * the cluster wrote.
 */
export interface StagedJob<T extends SpecJobType, C = unknown, P extends Plan = Plan> {
  type: T;
  prepare(ctx: StageContext<T>): Promise<{ plan: P; context: C }>;
  finish(ctx: FinishContext<T>, engine: OfflineEngine, plan: P, context: C): Promise<Outcome>;
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
export async function runClaimedJob<T extends SpecJobType>(
  d: JobRunnerDeps,
  type: T,
  jobId: string,
  signal: AbortSignal,
  work: (ctx: JobRunContext<T>) => Promise<Outcome | HandedOff>,
  claimed?: Job,
): Promise<void> {
  const heartbeatMs = d.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let job = claimed;
  if (!job) {
    const claim = await d.jobs.claim(jobId, d.leaseMs ?? heartbeatMs * 4, signal);
    if (!claim.job) {
      const current = claim.current;
      if (!current || TERMINAL_STATES.has(current.state) || current.handedOff) return; // gone, done by an earlier delivery, or on a cluster
      throw new Unavailable(
        `job ${jobId} is running in another worker (attempt ${current.attempt}); this delivery is retried until it ends or that worker stops`,
        { field: 'data.jobId' },
      );
    }
    job = claim.job;
  }
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
  const due = progressThrottle(PROGRESS_EVERY_MS);
  const progress = (fraction: number, message: string) => {
    if (!due(fraction, message)) return;
    // Best effort; a cancel request seen here stops the engine at its next step.
    void d.jobs
      .updateJob(job.id, { progress: Math.min(0.95, fraction * 0.9), message, ifAttempt: job.attempt }, ['RUNNING'], () => [])
      .then(
        (j) => j.cancelRequested && controller.abort(new Cancelled('cancelled on request')),
        () => {},
      );
  };
  try {
    if (!isOfType(job, type)) throw new Internal(`job ${job.id} is a ${job.type} job, not ${type}`);
    await checkStarter(d.authorizer, job);
    const local = <P extends Plan>(plan: P) => withStoredFiles(plan, (key) => scratch.localCopy(d.offline, key));
    const outcome = await work({ job, scratch, signal: controller.signal, uploaded, progress, local });
    if (outcome instanceof HandedOff) {
      // The cluster has the job now: what it reads stays; the job waits for its application.
      await d.jobs.updateJob(job.id, { handedOff: outcome.handle, message: outcome.message, ifAttempt: job.attempt }, ['RUNNING'], () => []);
      return;
    }
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

function isOfType<T extends SpecJobType>(job: { type: SpecJobType }, type: T): job is JobOf<T> {
  return job.type === type;
}

/** A job runs with the permissions of the principal who started it, as they are now: a role revoked since stops it. */
async function checkStarter(authorizer: Authorizer, job: Job): Promise<void> {
  const starter = jobStarter(job);
  for (const { action, resource } of jobAccess(job)) {
    try {
      await authorizer.authorize(starter, action, resource);
    } catch (err) {
      if (!(err instanceof PermissionDenied)) throw err;
      throw new PermissionDenied(`${job.createdBy}, who started this job, may no longer run it: ${err.message}`);
    }
  }
}

/** Work that left the request: the job waits for its application (`handle`) to end. */
export class HandedOff {
  constructor(
    readonly handle: string,
    readonly message: string,
  ) {}
}

/** A handed-off job's folder in the offline store: the plan, the context, what the cluster reads and its result. */
export const jobFolder = (jobId: string) => `jobs/${jobId}`;

interface StagedState {
  context: unknown;
  /** Offline-store prefixes the engine writes under: emptied unless the job succeeds. */
  outputs: string[];
}

/**
 * Runs a staged job (spark-submit's job.requested): in process, prepare, the engine and finish in
 * this delivery; with a launcher, prepare here, the plan and context into the job's folder, the
 * application launched, and the job marked handed off (no lease: the application is its worker) --
 * `finishHandedOffJob` ends it.
 */
export function runStagedJob<T extends SpecJobType>(d: StagedRunnerDeps, staged: StagedJob<T>, jobId: string, signal: AbortSignal): Promise<void> {
  return runClaimedJob(d, staged.type, jobId, signal, async (ctx) => {
    const launcher = d.launcher;
    const folder = jobFolder(ctx.job.id);
    const disposers: Array<() => Promise<void>> = [];
    const outputs: string[] = [];
    const stage: StageContext<T> = {
      ...ctx,
      outputDir: (prefix) => {
        outputs.push(prefix);
        return launcher ? launcher.engineUri(d.offline.uri(prefix.replace(/\/+$/, ''))) : ctx.scratch.dir;
      },
      source: async (spec, field) => {
        if (launcher) {
          const found = await d.sources.locate(spec, ctx.signal, field);
          return { ...found, files: found.files.map((uri) => launcher.engineUri(uri)), cleanup: async () => {} };
        }
        const resolved = await d.sources.resolve(spec, ctx.signal, field);
        disposers.push(() => resolved.cleanup());
        return resolved;
      },
      input: async (path) => {
        if (!launcher) return path;
        const key = `${folder}/inputs/${basename(path)}`;
        await d.offline.put(key, ctx.scratch.open(path), ctx.signal);
        return launcher.engineUri(d.offline.uri(key));
      },
    };
    try {
      const { plan, context } = await staged.prepare(stage);
      if (!launcher) {
        const finish: FinishContext<T> = {
          ...ctx,
          keep: async (file, key) => {
            await d.offline.put(key, ctx.scratch.open(file), ctx.signal);
            ctx.uploaded.push(key);
          },
        };
        return await staged.finish(finish, d.engine, await ctx.local(plan), context);
      }
      const remote = await withStoredFiles(plan, async (key) => launcher.engineUri(d.offline.uri(key)));
      await putJson(d.offline, `${folder}/plan.json`, remote, ctx.signal);
      await putJson(d.offline, `${folder}/staged.json`, { context, outputs } satisfies StagedState, ctx.signal);
      // The application's credential: only its hash is kept, set before the application can report.
      const credential = newRunnerToken(ctx.job.id);
      await d.jobs.updateJob(ctx.job.id, { runnerTokenHash: credential.hash, ifAttempt: ctx.job.attempt }, ['RUNNING'], () => [], ctx.signal);
      const handle = await launcher.launch(ctx.job as Job, folder, credential.secret, ctx.signal);
      return new HandedOff(handle, `running on Spark as application ${handle}`);
    } catch (err) {
      if (launcher) await removeUnder(d.offline, [folder, ...outputs]);
      throw err;
    } finally {
      for (const dispose of disposers) await dispose();
    }
  });
}

/**
 * Ends a handed-off job once its application has ended: the one delivery that takes it back (the
 * job's `handedOff` still naming this application) finishes it in a new attempt. A completed
 * application's reported result is read and the job's own `finish` runs on it (the commit rule: no
 * result, no success); a refusal the runner reported keeps its field and details; a failed driver
 * ends FAILED with its message; a deleted application ends CANCELLED. Unless the job succeeds,
 * everything under its outputs is removed; the job's folder always is.
 */
export async function finishHandedOffJob(
  d: StagedRunnerDeps,
  stagedJobs: Partial<Record<SpecJobType, StagedJob<SpecJobType>>>,
  jobId: string,
  handle: string,
  end: ApplicationEnd,
  signal: AbortSignal,
): Promise<void> {
  const launcher = d.launcher;
  if (!launcher) throw new Internal('a handed-off job ended, but this worker has no launcher (FEATURESTORE_ENGINE is not spark-k8s)');
  const job = await d.jobs.takeBack(jobId, handle, signal);
  if (!job) return; // finished by an earlier delivery, or not this application's
  const staged = stagedJobs[job.type];
  const folder = jobFolder(job.id);
  return runClaimedJob(
    d,
    job.type,
    job.id,
    signal,
    async (ctx) => {
      let state: StagedState | undefined;
      try {
        if (!staged) throw new Internal(`${job.type} jobs are not staged`);
        state = await getJson<StagedState>(d.offline, `${folder}/staged.json`, ctx.signal);
        if (end.state === 'DELETED') throw new Cancelled('cancelled; the Spark application was deleted');
        const results = launcher.results(folder, job.runnerOutcome);
        if (!results) {
          // A driver that died may well run on another try; a submission the cluster cannot start needs its settings fixed.
          if (end.state === 'FAILED' && !end.started) throw new FailedPrecondition(`${end.message}; nothing was written`);
          throw new Unavailable(
            `${end.state === 'FAILED' ? end.message : `application ${handle} completed without reporting its result`}; nothing was written`,
          );
        }
        const finish: FinishContext<SpecJobType> = {
          ...ctx,
          keep: async (file, key) => {
            if (file !== launcher.engineUri(d.offline.uri(key))) throw new Internal(`the application wrote ${file}, not ${key}`);
            ctx.uploaded.push(key);
          },
        };
        const plan = await getJson<Plan>(d.offline, `${folder}/plan.json`, ctx.signal);
        return await staged.finish(finish, results, plan, state.context);
      } catch (err) {
        await removeUnder(d.offline, state?.outputs ?? []);
        throw err;
      } finally {
        await removeUnder(d.offline, [folder]);
        await launcher.release(handle).catch(() => {}); // its credential no longer works anyway (the job is not handed off)
      }
    },
    job,
  );
}

async function putJson(store: ObjectStore, key: string, value: unknown, signal?: AbortSignal): Promise<void> {
  await store.put(key, Buffer.from(JSON.stringify(value)), signal);
}

async function getJson<T>(store: ObjectStore, key: string, signal?: AbortSignal): Promise<T> {
  return JSON.parse((await buffer(await store.get(key, undefined, signal))).toString('utf8')) as T;
}

/** Removes every object under the prefixes (best effort: what stays is never visible without a commit). */
async function removeUnder(store: ObjectStore, prefixes: string[]): Promise<void> {
  for (const prefix of prefixes) {
    try {
      for await (const o of store.list(`${prefix.replace(/\/+$/, '')}/`)) await store.delete(o.key);
    } catch {
      // listed again by the next cleanup
    }
  }
}
