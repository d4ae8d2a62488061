import type { JobChanges } from '../../core/ports/job-changes.js';
import { pause } from '../../core/waiting.js';
import type { SqlClient } from '../sql/sql-client.js';

/** The NOTIFY channel a trigger on `jobs` announces each change on (payload: the job id; migration 8). */
export const JOBS_CHANNEL = 'featurestore_jobs';

/**
 * Job changes through LISTEN/NOTIFY (PostgreSQL and PGlite): one listening connection per process,
 * opened on first use, fanned out to every waiting watcher.
 */
export class SqlJobChanges implements JobChanges {
  private readonly waiters = new Map<string, Set<() => void>>();
  private listening?: Promise<{ close(): Promise<void> } | undefined>;

  constructor(private readonly sql: SqlClient) {}

  async next(id: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    // Registered before anything is awaited: a change from now on wakes this waiter.
    const stop = new AbortController();
    const wake = () => stop.abort();
    const set = this.waiters.get(id) ?? this.waiters.set(id, new Set()).get(id)!;
    set.add(wake);
    try {
      // Without a listener (it failed to connect) the timeout still bounds the wait.
      this.listening ??= this.sql
        .listen(
          JOBS_CHANNEL,
          (jobId) => this.wake(jobId),
          () => this.wakeAll(),
        )
        .catch(() => undefined);
      await this.listening;
      await pause(timeoutMs, AbortSignal.any([signal, stop.signal]));
    } finally {
      set.delete(wake);
      if (set.size === 0) this.waiters.delete(id);
    }
  }

  private wake(id: string): void {
    for (const wake of this.waiters.get(id) ?? []) wake();
  }

  private wakeAll(): void {
    for (const set of this.waiters.values()) for (const wake of set) wake();
  }

  async close(): Promise<void> {
    this.wakeAll();
    const listening = this.listening;
    this.listening = undefined;
    await (await listening)?.close();
  }
}
