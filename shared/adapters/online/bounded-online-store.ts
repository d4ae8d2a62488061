import PQueue from 'p-queue';
import {
  batchWinners,
  sliceBatch,
  type OnlineEntry,
  type OnlineRead,
  type OnlineStore,
  type OnlineTable,
  type RestoreItem,
  type StoredBatch,
} from '../../core/ports/online-store.js';

/**
 * Bounds the load a process puts on the online store: writes and big reads go in chunks, and at
 * most `concurrency` chunks (of all callers together) are in flight; the rest wait in one queue.
 * Reads of up to one chunk skip the queue: they are the latency-critical path, and the number of
 * them in flight is already bounded by the server's calls in flight.
 */
export class BoundedOnlineStore implements OnlineStore {
  private readonly queue: PQueue;

  constructor(
    private readonly inner: OnlineStore,
    private readonly options: { concurrency: number; chunk: number },
  ) {
    this.queue = new PQueue({ concurrency: options.concurrency });
  }

  // The signal reaches the inner store, which checks it before each chunk; handing it to the queue
  // too would add one abort listener per queued chunk to the same signal.
  private async chunked<T, R>(items: T[], run: (part: T[]) => Promise<R[]>): Promise<R[]> {
    if (items.length <= this.options.chunk) return this.queue.add<R[]>(() => run(items));
    const parts: T[][] = [];
    for (let i = 0; i < items.length; i += this.options.chunk) parts.push(items.slice(i, i + this.options.chunk));
    return (await Promise.all(parts.map((p) => this.queue.add<R[]>(() => run(p))))).flat();
  }

  async put(table: OnlineTable, entries: OnlineEntry[], signal?: AbortSignal): Promise<boolean[]> {
    // Only the entry that stands per key is sent, so a key repeated across chunks answers as one batch.
    const winner = batchWinners(entries);
    const standing = [...winner.values()].sort((a, b) => a - b);
    const written = await this.chunked(
      standing.map((i) => entries[i]),
      (part) => this.inner.put(table, part, signal),
    );
    const result = entries.map(() => false);
    standing.forEach((i, j) => (result[i] = written[j]!));
    return result;
  }

  async putBatch(table: OnlineTable, batch: StoredBatch, signal?: AbortSignal): Promise<number> {
    const chunk = this.options.chunk;
    const parts: StoredBatch[] = [];
    for (let i = 0; i < batch.keys.length; i += chunk)
      parts.push(i === 0 && batch.keys.length <= chunk ? batch : sliceBatch(batch, i, Math.min(batch.keys.length, i + chunk)));
    const written = await Promise.all(parts.map((p) => this.queue.add<number>(() => this.inner.putBatch(table, p, signal))));
    return written.reduce((a, b) => a + b, 0);
  }

  /** A read of one chunk goes straight out (the hot path; one lookup per entity); bigger reads queue. */
  get(table: OnlineTable, keys: string[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[]> {
    if (keys.length <= this.options.chunk) return this.inner.get(table, keys, signal);
    return this.chunked(keys, (part) => this.inner.get(table, part, signal));
  }

  /** Reads of one chunk in all go straight out as one round trip; bigger ones are chunked per table. */
  getMany(reads: OnlineRead[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[][]> {
    if (reads.reduce((n, r) => n + r.keys.length, 0) <= this.options.chunk) return this.inner.getMany(reads, signal);
    return Promise.all(reads.map((r) => this.get(r.table, r.keys, signal)));
  }

  join(tables: readonly OnlineTable[], signal?: AbortSignal): Promise<void> {
    return this.inner.join(tables, signal);
  }

  /** One lookup per entity, like a read of one table: the hot path, straight out. */
  getJoined(tables: readonly OnlineTable[], keys: string[], signal?: AbortSignal): Promise<(Uint8Array | null)[] | undefined> {
    if (keys.length <= this.options.chunk) return this.inner.getJoined(tables, keys, signal);
    return this.queue.add(() => this.inner.getJoined(tables, keys, signal));
  }

  async restore(table: OnlineTable, items: RestoreItem[], signal?: AbortSignal): Promise<void> {
    await this.chunked(items, async (part) => {
      await this.inner.restore(table, part, signal);
      return [];
    });
  }

  reexpire(table: OnlineTable, spanMicros: number | undefined, signal?: AbortSignal): Promise<void> {
    return this.inner.reexpire(table, spanMicros, signal);
  }

  sweepExpired(nowMicros: number, signal?: AbortSignal): Promise<number> {
    return this.inner.sweepExpired(nowMicros, signal);
  }

  drop(table: OnlineTable, signal?: AbortSignal): Promise<void> {
    return this.inner.drop(table, signal);
  }

  async close(): Promise<void> {
    await this.queue.onIdle();
    await this.inner.close();
  }
}
