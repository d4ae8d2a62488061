/**
 * Job changes as they commit (every change that moves a job's revision), for watchers. `next`
 * registers its interest when called, so a change committed after the call is never missed.
 */
export interface JobChanges {
  /**
   * Resolves when job `id` changed, when changes may have been missed (a lost connection), after
   * `timeoutMs` at the latest, or at once when `signal` aborts. Never rejects.
   */
  next(id: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
