import { FailedPrecondition, InvalidArgument, NotFound } from '../errors.js';
import { EventTypes } from '../events.js';
import { JOB_STATES, JOB_TYPES, TERMINAL_STATES, jobEvent, type Job, type JobState, type JobType } from '../jobs.js';
import type { Page } from '../model.js';
import { decodePageToken, isTimePosition, pageOf } from '../page-token.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { JobChanges } from '../ports/job-changes.js';
import type { JobStore } from '../ports/job-store.js';
import type { Principal } from '../principal.js';
import { isUuid, requireUuid, validatePageSize } from '../validation.js';
import { requireIdentifier } from '../identifiers.js';

/** A watch re-reads its job at least this often even without news (a safety net under NOTIFY). */
export const WATCH_FALLBACK_MS = 5_000;

export function requireJobId(id: string, field = 'id'): string {
  return requireUuid(id, field, 'job');
}

const isJobPosition = (v: unknown): v is { t: string; id: string } => isTimePosition(v) && isUuid(v.id);

export function jobStatusEvent(job: Job) {
  return [jobEvent(EventTypes.jobStatus, job, { state: job.state })];
}

export function createJobUseCases({ jobs, authorizer, changes }: { jobs: JobStore; authorizer: Authorizer; changes: JobChanges }) {
  async function get(principal: Principal, id: string, signal?: AbortSignal): Promise<Job> {
    const jobId = requireJobId(id);
    const job = await jobs.getJob(jobId, signal);
    if (!job) throw new NotFound(`job ${jobId} does not exist`, { field: 'id' });
    await authorizer.authorize(principal, 'job.read', { project: job.project || undefined, featureSet: job.featureSet || undefined }, signal);
    return job;
  }

  /**
   * A pending job is cancelled at once; a running one is asked to stop (its engine checks between
   * steps and ends it CANCELLED, committing nothing; a job on a cluster has its application deleted). Cancelling a cancelled job returns it.
   */
  async function cancel(principal: Principal, id: string, signal?: AbortSignal): Promise<Job> {
    const job = await get(principal, id, signal);
    await authorizer.authorize(principal, 'job.cancel', { project: job.project || undefined, featureSet: job.featureSet || undefined }, signal);
    if (job.state === 'CANCELLED') return job;
    if (TERMINAL_STATES.has(job.state)) {
      const done = job.state === 'SUCCEEDED' ? 'succeeded' : 'failed';
      throw new FailedPrecondition(`job ${job.id} already ${done}; only pending or running jobs can be cancelled`, { field: 'id' });
    }
    try {
      if (job.state === 'PENDING') {
        return await jobs.updateJob(job.id, { state: 'CANCELLED', message: `cancelled by ${principal.id}` }, ['PENDING'], jobStatusEvent, signal);
      }
      // A job on a cluster has no worker here to notice: the event has its application stopped (spark-submit).
      return await jobs.updateJob(
        job.id,
        { cancelRequested: true, message: `cancel requested by ${principal.id}` },
        ['RUNNING'],
        (j) => (j.handedOff ? [jobEvent(EventTypes.jobCancelRequested, j, { application: j.handedOff })] : []),
        signal,
      );
    } catch (err) {
      // It moved meanwhile (started or finished): decide again on its new state.
      if (err instanceof FailedPrecondition) return cancel(principal, id, signal);
      throw err;
    }
  }

  return {
    get,

    async list(
      principal: Principal,
      input: { project: string; type?: JobType; state?: JobState; pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<Job>> {
      const project = input.project ? requireIdentifier(input.project, 'project') : undefined;
      if (input.type !== undefined && !JOB_TYPES.includes(input.type)) throw new InvalidArgument(`unknown job type ${input.type}`, { field: 'type' });
      if (input.state !== undefined && !JOB_STATES.includes(input.state)) throw new InvalidArgument(`unknown job state ${input.state}`, { field: 'state' });
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isJobPosition);
      // Jobs of a project for those who may read it; across projects, one's own (admins: all).
      if (project) await authorizer.authorize(principal, 'job.read', { project }, signal);
      const createdBy = project || principal.admin ? undefined : principal.id;
      const rows = await jobs.listJobs(
        {
          project,
          type: input.type,
          state: input.state,
          before: position && { createTime: new Date(position.t), id: position.id },
          limit: limit + 1,
          createdBy,
        },
        signal,
      );
      return pageOf(rows, limit, (last) => ({ t: last.createTime.toISOString(), id: last.id }));
    },

    cancel,

    /**
     * Yields the job now and on every change, ending after a terminal state or when `signal` aborts.
     * It follows the job change feed: each round registers for the next change, then reads the job
     * (so nothing committed in between is missed), and waits only when the read shows nothing new.
     */
    async *watch(principal: Principal, id: string, signal: AbortSignal): AsyncGenerator<Job> {
      let job = await get(principal, id, signal);
      yield job;
      while (!TERMINAL_STATES.has(job.state) && !signal.aborted) {
        const round = new AbortController();
        try {
          const changed = changes.next(job.id, WATCH_FALLBACK_MS, AbortSignal.any([signal, round.signal]));
          const next = await jobs.getJob(job.id, signal);
          if (!next) throw new NotFound(`job ${job.id} no longer exists`, { field: 'id' });
          if (next.revision !== job.revision) {
            job = next;
            yield next;
            continue;
          }
          await changed;
        } finally {
          round.abort();
        }
      }
    },
  };
}

export type JobUseCases = ReturnType<typeof createJobUseCases>;
