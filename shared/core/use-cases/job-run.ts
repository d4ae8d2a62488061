import type { Readable } from 'node:stream';
import { Cancelled, FeatureStoreError, Internal, InvalidArgument, PermissionDenied, Unavailable } from '../errors.js';
import { EventTypes } from '../events.js';
import type { SpecJobType } from '../job-specs.js';
import { withStoredFiles, type Plan } from '../plans.js';
import { jobAccess, jobEvent, jobStarter, TERMINAL_STATES, type Job, type JobError, type JobOf, type JobStatusData } from '../jobs.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { JobStore } from '../ports/job-store.js';
import type { ObjectStore } from '../ports/object-store.js';

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

const DEFAULT_HEARTBEAT_MS = 15_000;

/** How often progress reaches the jobs table at most. */
const PROGRESS_EVERY_MS = 250;

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
  work: (ctx: JobRunContext<T>) => Promise<{ data: Omit<JobStatusData, 'jobId' | 'state'>; message: string }>,
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
    if (!isOfType(job, type)) throw new Internal(`job ${job.id} is a ${job.type} job, not ${type}`);
    await checkStarter(d.authorizer, job);
    const local = <P extends Plan>(plan: P) => withStoredFiles(plan, (key) => scratch.localCopy(d.offline, key));
    const outcome = await work({ job, scratch, signal: controller.signal, uploaded, progress, local });
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
