// The core's side of the channel with a handed-off job's Spark application (JobRunnerService): its
// runner reports progress and its result with the job's own credential, never a user's.
import { FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unauthenticated } from '../errors.js';
import type { Authenticator } from '../ports/authenticator.js';
import type { JobStore } from '../ports/job-store.js';
import type { Principal } from '../principal.js';
import { matchesToken, runnerTokenJob } from '../tokens.js';

/** The largest result a runner may report (its JSON: files, counts, statistics, refusal details). */
export const MAX_OUTCOME_BYTES = 4 * 2 ** 20;
const MAX_MESSAGE = 500;

/** The principal of a job's application. */
const runnerId = (jobId: string) => `job-runner:${jobId}`;

/**
 * Authenticates a job's application: `authorization: Bearer fsjob_...`, the credential made when the
 * job was handed off, valid while the job is RUNNING and handed off (a finished or taken-back job's
 * credential no longer works). Anything else is UNAUTHENTICATED, without saying which part failed.
 */
export function runnerAuthenticator(jobs: JobStore): Authenticator {
  return {
    async authenticate(credentials) {
      const secret = /^Bearer (\S+)$/i.exec(credentials.authorization ?? '')?.[1];
      const jobId = secret && runnerTokenJob(secret);
      if (!secret || !jobId) throw new Unauthenticated("send the job's credential: authorization: Bearer fsjob_... (the driver's FEATURESTORE_JOB_TOKEN)");
      const job = await jobs.getJob(jobId, credentials.signal);
      if (!job?.runnerTokenHash || !matchesToken(secret, { hash: job.runnerTokenHash }) || job.state !== 'RUNNING' || !job.handedOff)
        throw new Unauthenticated("the job's credential is not valid (or the job no longer waits for its application)");
      return { id: runnerId(jobId), name: `the Spark application of job ${jobId}`, email: '', admin: false };
    },
  };
}

export function createJobRunnerUseCases(d: { jobs: JobStore }) {
  function own(principal: Principal, jobId: string): void {
    if (!jobId) throw new InvalidArgument('is required', { field: 'job_id' });
    if (principal.id !== runnerId(jobId)) throw new PermissionDenied(`this credential is not job ${jobId}'s`, { field: 'job_id' });
  }

  async function update(jobId: string, change: { progress?: number; message?: string; runnerOutcome?: unknown }, signal?: AbortSignal): Promise<void> {
    try {
      await d.jobs.updateJob(jobId, { ...change, ifHandedOff: true }, ['RUNNING'], () => [], signal);
    } catch (err) {
      if (!(err instanceof FailedPrecondition || err instanceof NotFound)) throw err;
      throw new FailedPrecondition(`job ${jobId} no longer waits for its application; the report changes nothing`, { field: 'job_id' });
    }
  }

  return {
    /** Progress of the application, shown as the job's (scaled as an in-process engine's: the finish step has the rest). */
    async reportProgress(principal: Principal, r: { jobId: string; fraction: number; message: string }, signal?: AbortSignal): Promise<void> {
      own(principal, r.jobId);
      if (!Number.isFinite(r.fraction) || r.fraction < 0 || r.fraction > 1) throw new InvalidArgument('must be between 0 and 1', { field: 'fraction' });
      if (r.message.length > MAX_MESSAGE) throw new InvalidArgument(`must be at most ${MAX_MESSAGE} characters`, { field: 'message' });
      await update(r.jobId, { progress: Math.min(0.95, r.fraction * 0.9), message: `running on Spark${r.message ? `: ${r.message}` : ''}` }, signal);
    },

    /** The application's result, kept until the application ends and the job finishes with it. */
    async reportResult(principal: Principal, r: { jobId: string; outcomeJson: string }, signal?: AbortSignal): Promise<void> {
      own(principal, r.jobId);
      if (Buffer.byteLength(r.outcomeJson) > MAX_OUTCOME_BYTES)
        throw new InvalidArgument(`must be at most ${MAX_OUTCOME_BYTES} bytes`, { field: 'outcome_json' });
      let outcome: unknown;
      try {
        outcome = JSON.parse(r.outcomeJson);
      } catch {
        throw new InvalidArgument('is not JSON', { field: 'outcome_json' });
      }
      if (typeof outcome !== 'object' || outcome === null || Array.isArray(outcome))
        throw new InvalidArgument("must be the runner's outcome (a JSON object)", { field: 'outcome_json' });
      await update(r.jobId, { runnerOutcome: outcome }, signal);
    },
  };
}

export type JobRunnerUseCases = ReturnType<typeof createJobRunnerUseCases>;
