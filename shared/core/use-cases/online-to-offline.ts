import { FailedPrecondition } from '../errors.js';
import { EventTypes } from '../events.js';
import { ONLINE_LOG_SCHEME } from '../ingests.js';
import type { IngestJobSpec } from '../job-specs.js';
import { jobEvent, TERMINAL_STATES, type Job } from '../jobs.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { OnlineLog } from '../ports/online-log.js';
import { onlineNamespace } from '../ports/online-store.js';

/** Who the sync's ingest jobs are created by (they list with every other job). */
export const SYNC_PRINCIPAL = 'system:online-to-offline';

export interface SyncReport {
  /** Jobs ended because their worker stopped sending heartbeats: CANCELLED if asked to, else FAILED after ABANDON_LEASES leases. */
  abandoned: Job[];
  /** Jobs whose worker stopped, asked for again (job.requested) so another worker takes them over. */
  requeued: Job[];
  /** Ingest jobs started this run, one per feature set version with new online rows. */
  started: Job[];
  /** Tables whose sync job from an earlier run is still on its way. */
  waiting: Job[];
  /** Tables whose last attempts all failed: nothing is started until an operator looks. */
  stuck: string[];
  /** Tables whose feature set version no longer exists: their logged rows were dropped. */
  discarded: string[];
}

/**
 * online-to-offline, on each cron tick: for every feature set version with rows in the online log
 * beyond its drained position, one INGEST job for exactly that range (spark-submit runs it like any
 * ingest). Exactly once, whatever dies when:
 * - the job's request id is the table + drained position + attempt, so a tick repeated after a
 *   crash finds the same job instead of starting a second one;
 * - the ingest's commit moves the drained position from the range's start with a compare-and-set,
 *   so two commits of overlapping ranges cannot both land (the second fails, its files are removed);
 * - until that commit nothing of the range is visible, and the log keeps the rows: a failed or
 *   abandoned job is simply tried again (next attempt number) from the same position;
 * - the log is trimmed only below the committed position.
 * Workers that die mid-job stop sending heartbeats. A redelivered job.requested takes the job over
 * once the lease ran out; each tick also asks again for every job silent past the lease (a fresh
 * job.requested), so takeover never depends on the redelivery window. A job silent past the lease
 * whose cancel was requested ends CANCELLED; one silent for ABANDON_LEASES leases ends FAILED.
 */
/** How many leases a job's worker may be silent before the tick fails the job (redeliveries take it over after one). */
export const ABANDON_LEASES = 5;

export function createOnlineToOffline(d: {
  store: MetadataStore;
  jobs: JobStore;
  ingests: IngestStore;
  log: OnlineLog;
  leaseMs: number;
  maxAttempts?: number;
}) {
  const maxAttempts = d.maxAttempts ?? 5;
  const abandonMs = d.leaseMs * ABANDON_LEASES;
  return async function sync(signal?: AbortSignal): Promise<SyncReport> {
    const report: SyncReport = { abandoned: [], requeued: [], started: [], waiting: [], stuck: [], discarded: [] };
    report.abandoned = await d.jobs.endAbandoned(
      d.leaseMs,
      abandonMs,
      {
        code: 'ABORTED',
        message: `the worker stopped (no heartbeat for ${Math.round(abandonMs / 1000)} s) and no other worker took the job over; nothing was committed, start the job again`,
        details: [],
      },
      signal,
    );
    // Jobs whose worker died are asked for again (a new job.requested), so a worker takes them over
    // however long the lease and whatever the event platform's redelivery window.
    for (const job of await d.jobs.abandoned(d.leaseMs, signal)) {
      try {
        const asked = await d.jobs.updateJob(
          job.id,
          { message: `its worker stopped (attempt ${job.attempt}); waiting for another` },
          ['RUNNING'],
          (j) => [jobEvent(EventTypes.jobRequested, j, {})],
          signal,
        );
        report.requeued.push(asked);
      } catch (err) {
        if (!(err instanceof FailedPrecondition)) throw err; // ended meanwhile
      }
    }
    for (const head of await d.log.heads(signal)) {
      const { table } = head;
      const drained = await d.ingests.drainedThrough(table, signal);
      if (drained > 0) await d.log.trim(table, drained, signal);
      if (head.through <= drained) continue;
      const fs = await d.store.getFeatureSet(table.project, table.featureSet, { major: table.major }, signal);
      if (!fs) {
        // Deleted: there is no offline table left to drain into.
        await d.log.trim(table, head.through, signal);
        report.discarded.push(onlineNamespace(table));
        continue;
      }
      const spec: IngestJobSpec = {
        project: table.project,
        featureSet: table.featureSet,
        major: table.major,
        minor: fs.minor,
        source: { uri: `${ONLINE_LOG_SCHEME}${onlineNamespace(table)}`, format: 'JSONL', options: { after: String(drained), through: String(head.through) } },
        extraColumns: 'FAIL',
        logRange: { after: drained, through: head.through },
      };
      for (let attempt = 1; ; attempt++) {
        if (attempt > maxAttempts) {
          report.stuck.push(onlineNamespace(table));
          break;
        }
        const { job, created } = await d.jobs.createJob(
          {
            type: 'INGEST',
            project: table.project,
            featureSet: table.featureSet,
            spec,
            createdBy: SYNC_PRINCIPAL,
            // The store's own work: no principal's grants to check.
            createdByAdmin: true,
            requestId: `${onlineNamespace(table)}/after-${drained}/attempt-${attempt}`,
          },
          (j) => [jobEvent(EventTypes.jobRequested, j, {})],
          signal,
        );
        if (created) {
          report.started.push(job);
          break;
        }
        if (!TERMINAL_STATES.has(job.state) || job.state === 'SUCCEEDED') {
          report.waiting.push(job);
          break;
        }
      }
    }
    return report;
  };
}
