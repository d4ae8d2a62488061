// Waiting, in one place: abortable pauses and exponential backoff (the job watch, the relays, the
// local Kafka dispatcher and reconnects use these rather than hand-written timer loops).
import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or less when `signal` aborts: true when the time ran out, false when aborted. Never rejects. */
export async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch (err) {
    if (signal?.aborted) return false;
    throw err;
  }
}

/** The delay before retry `attempt` (1 for the first retry): `baseMs` doubled per attempt, at most `maxMs`. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
