import type { IngestStore } from '../ports/ingest-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { OnlineStore } from '../ports/online-store.js';
import { ABANDON_LEASES } from './online-to-offline.js';

export interface HousekeepingReport {
  /** Online entries past their expiry removed (stores that do not expire entries themselves). */
  expired: number;
  /** Local scratch and spill folders of processes that are gone. */
  scratch: number;
  /** Offline-store objects no catalog row or live job will ever use. */
  files: string[];
}

const INGEST_FILE = /^([^/]+)\/[^/]+\/v\d+\/ingest=([0-9a-f-]{36})\//;
const RETRIEVE_FILE = /^retrieve\/([0-9a-f-]{36})\//;
/** How often at most the offline store is listed whole (it may hold millions of objects). */
const OFFLINE_SWEEP_EVERY_MS = 3_600_000;

/**
 * What a process killed mid-job leaves behind, swept at start and on the sync tick:
 * - online entries past their TTL expiry (SQL stores; Redis expires keys itself);
 * - local scratch and spill folders of dead processes (`sweepLocal`, the runtime's part);
 * - offline objects of ingests that never committed, older than ABANDON_LEASES leases, in a project
 *   with no ingest job still pending or running (a running job, or one whose outcome is on its way
 *   to status-handler, may still commit its files); retrieve outputs of jobs that failed, were
 *   cancelled or no longer exist, older than a lease. At most once an hour (a listing of the store).
 */
export function createHousekeeping(d: {
  online: OnlineStore;
  offline: ObjectStore;
  ingests: IngestStore;
  jobs: JobStore;
  leaseMs: number;
  sweepLocal(olderThanMs: number): Promise<number>;
  now?: () => number;
}) {
  const now = d.now ?? Date.now;
  let lastOffline = -Infinity;
  return async function housekeeping(signal?: AbortSignal): Promise<HousekeepingReport> {
    const report: HousekeepingReport = { expired: await d.online.sweepExpired(now() * 1000, signal), scratch: await d.sweepLocal(d.leaseMs), files: [] };
    if (now() - lastOffline < OFFLINE_SWEEP_EVERY_MS) return report;
    lastOffline = now();
    const busyProjects = new Set<string>();
    for (const state of ['PENDING', 'RUNNING'] as const) {
      for (const type of ['INGEST', 'REVERT'] as const)
        for (const j of await d.jobs.listJobs({ type, state, limit: 10_000 }, signal)) busyProjects.add(j.project);
    }
    const known = new Map<string, boolean>();
    const keep = async (id: string, check: () => Promise<boolean>) => {
      if (!known.has(id)) known.set(id, await check());
      return known.get(id)!;
    };
    for await (const o of d.offline.list('', signal)) {
      const age = now() - o.lastModified.getTime();
      const ingest = INGEST_FILE.exec(o.key);
      if (ingest && age > d.leaseMs * ABANDON_LEASES && !busyProjects.has(ingest[1])) {
        if (!(await keep(ingest[2], async () => (await d.ingests.get(ingest[2], signal)) !== undefined))) report.files.push(o.key);
        continue;
      }
      const retrieve = RETRIEVE_FILE.exec(o.key);
      if (retrieve && age > d.leaseMs) {
        const used = await keep(retrieve[1], async () => {
          const job = await d.jobs.getJob(retrieve[1], signal);
          return job !== undefined && job.state !== 'FAILED' && job.state !== 'CANCELLED';
        });
        if (!used) report.files.push(o.key);
      }
    }
    for (const key of report.files) await d.offline.delete(key, signal);
    return report;
  };
}
