import type { Redis } from 'ioredis';
import type { OnlineEntry } from '../../core/ports/online-store.js';

/** The channel Redis announces tracked keys' changes on (CLIENT TRACKING ... REDIRECT, RESP2). */
const INVALIDATE = '__redis__:invalidate';

/**
 * Online entries read from a standalone Redis, kept in this process and kept exact by Redis's
 * client-side caching (CLIENT TRACKING, Redis 6+): Redis remembers which keys this connection read
 * and announces every change to one of them (a write by any process, an expiry, an eviction, a
 * flush) on a second connection, which drops it here. A hit costs no round trip.
 *
 * - An answer is kept only if no change to its key was announced while it was on its way (each read
 *   marks its keys; an announcement removes the mark), so a change that overtakes a read's answer
 *   is never lost.
 * - Writes through this store drop their keys here before and after (the main connection answers in
 *   order, so a read after a write returns never misses it).
 * - Until both connections are up and tracking is on, nothing is kept; when either drops, all is dropped.
 * - The announcing connection is asked PING every `checkMs` while entries are kept: one still
 *   unanswered at the next check counts as lost (all is dropped, it reconnects), so a connection that
 *   died without closing (a network partition, a host gone) stops the cache within two checks
 *   rather than leaving entries unannounced until TCP notices, which can take hours.
 * - At most `maxEntries` entries (the oldest kept goes first); absent keys are kept as absent.
 */
export class RedisNearCache {
  /**
   * Entries by key prefix (a table's "fs:<project>/<set>/v<major>:"), then by entity key: a lookup
   * hashes the short entity key, not a fresh "prefix + key" string (at 100 keys a call, hashing those
   * was the largest cost of a read from memory).
   */
  private readonly tables = new Map<string, Map<string, OnlineEntry | null>>();
  private count = 0;
  /** Reads in flight, by whole Redis key: each key's latest read's mark. */
  private readonly reading = new Map<string, object>();
  private readonly subscriber: Redis;
  private on = false;
  private closed = false;
  /** The subscriber connection's id while it is up and subscribed (where tracking is redirected). */
  private subscriberId: number | undefined;
  /** Bumped whenever either connection is lost: a start it overtook does not turn keeping on. */
  private generation = 0;
  /** Bumped whenever the subscriber connection is lost: an id asked before belongs to a closed connection. */
  private subscriberGeneration = 0;
  /** Starts run one at a time. */
  private starting: Promise<void> = Promise.resolve();
  /** The check of the announcing connection, while entries are kept. */
  private checking: NodeJS.Timeout | undefined;
  /** A PING on the announcing connection sent at the last check and not yet answered. */
  private pingOut = false;

  constructor(
    private readonly main: Redis,
    private readonly maxEntries: number,
    /** Redis refused to track (an error reply, e.g. an ACL without CLIENT, or Redis before 6): nothing is kept. */
    private readonly onRefused: (message: string) => void = () => {},
    /** How often the announcing connection is checked (ms). */
    private readonly checkMs = 1000,
  ) {
    // Re-subscribed by hand: its id must be asked first, which a subscribed connection cannot.
    this.subscriber = main.duplicate({ autoResubscribe: false, enableAutoPipelining: false, lazyConnect: true });
    this.subscriber.on('error', () => {});
    this.subscriber.on('messageBuffer', (channel: Buffer, message: unknown) => {
      if (channel.toString() !== INVALIDATE) return;
      // An array of keys, or nil for a flush of the whole database.
      if (Array.isArray(message)) for (const key of message as Buffer[]) this.forgetKey(key.toString('utf8'));
      else this.clear();
    });
    this.subscriber.on('close', () => {
      this.subscriberId = undefined;
      this.subscriberGeneration++;
      this.stop();
    });
    main.on('close', () => this.stop());
    for (const connection of [main, this.subscriber])
      connection.on('ready', () => {
        this.starting = this.starting.then(() => this.start());
      });
    this.subscriber.connect().catch(() => {});
  }

  /** Whether entries are kept now (tracking on); when not, reads go to Redis as without a cache. */
  get active(): boolean {
    return this.on;
  }

  /** How many entries are kept. */
  get size(): number {
    return this.count;
  }

  /** The kept entry of a table's key (its prefix, the entity key): an entry, null when known absent, undefined when not kept. */
  get(prefix: string, key: string): OnlineEntry | null | undefined {
    return this.tables.get(prefix)?.get(key);
  }

  /** Marks keys (whole Redis keys) about to be read: an answer is kept only if no change is announced meanwhile. */
  begin(redisKeys: readonly string[]): object {
    const mark = {};
    if (this.on) for (const k of redisKeys) this.reading.set(k, mark);
    return mark;
  }

  /** Keeps a read's answer for a table's key, unless a change was announced since `begin`. */
  keep(prefix: string, key: string, entry: OnlineEntry | undefined, mark: object): void {
    const redisKey = prefix + key;
    if (this.reading.get(redisKey) !== mark) return;
    this.reading.delete(redisKey);
    if (!this.on) return;
    let table = this.tables.get(prefix);
    if (!table) this.tables.set(prefix, (table = new Map<string, OnlineEntry | null>()));
    if (!table.has(key)) {
      if (this.count >= this.maxEntries) this.evictOne(table);
      this.count++;
    }
    table.set(key, entry ?? null);
  }

  /** A read that failed: its marks go. */
  abandon(redisKeys: readonly string[], mark: object): void {
    for (const k of redisKeys) if (this.reading.get(k) === mark) this.reading.delete(k);
  }

  /** A table's key changed (written here): its entry and any read's mark go. */
  forget(prefix: string, key: string): void {
    const table = this.tables.get(prefix);
    if (table?.delete(key)) this.count--;
    this.reading.delete(prefix + key);
  }

  /** A whole table changed (dropped): its entries and its reads' marks go. */
  forgetTable(prefix: string): void {
    this.count -= this.tables.get(prefix)?.size ?? 0;
    this.tables.delete(prefix);
    for (const k of this.reading.keys()) if (k.startsWith(prefix)) this.reading.delete(k);
  }

  clear(): void {
    this.tables.clear();
    this.count = 0;
    this.reading.clear();
  }

  /** A whole Redis key changed (announced): "fs:<namespace>:<entity key>", the namespace without ':' (identifiers). */
  private forgetKey(redisKey: string): void {
    const end = redisKey.indexOf(':', 3);
    if (end < 0) return void this.reading.delete(redisKey);
    this.forget(redisKey.slice(0, end + 1), redisKey.slice(end + 1));
  }

  /** The oldest entry kept goes: the table being added to's first, else another table's. */
  private evictOne(table: Map<string, OnlineEntry | null>): void {
    const from = table.size > 0 ? table : [...this.tables.values()].find((t) => t.size > 0);
    const oldest = from?.keys().next().value;
    if (oldest !== undefined && from!.delete(oldest)) this.count--;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    this.subscriber.disconnect();
  }

  private stop(): void {
    this.on = false;
    this.generation++;
    this.pingOut = false;
    clearInterval(this.checking);
    this.checking = undefined;
    this.clear();
  }

  /**
   * A check of the announcing connection: its PING of the last check answered, or it is taken as
   * lost. Redis answers a connection's commands and sends its announcements in order, so an answered
   * PING also means every change announced before it arrived.
   */
  private check(): void {
    if (!this.on) return;
    if (this.pingOut) {
      this.stop();
      // Closed here, not ended (an end waits for the other side, which may never answer); its 'close'
      // and then 'ready' start tracking again on a new connection.
      this.subscriber.stream?.destroy();
      return;
    }
    this.pingOut = true;
    const generation = this.generation;
    this.subscriber.ping().then(
      () => {
        if (generation === this.generation) this.pingOut = false;
      },
      () => {},
    );
  }

  /**
   * Keeping on, once both connections are up: the subscriber's id and its subscription (once per
   * subscriber connection), then the main connection's tracking redirected to it (again after a
   * reconnect of either). Reads queued before the tracking command were answered before it (one
   * connection answers in order) and marked nothing: only reads from its answer on are kept.
   */
  private async start(): Promise<void> {
    if (this.on || this.closed || this.main.status !== 'ready' || this.subscriber.status !== 'ready') return;
    const generation = this.generation;
    try {
      if (this.subscriberId === undefined) {
        const subscriberGeneration = this.subscriberGeneration;
        const id = await this.subscriber.client('ID');
        await this.subscriber.subscribe(INVALIDATE);
        // Subscribed on this connection even if the main one dropped meanwhile (a subscribed connection cannot be asked its id).
        if (subscriberGeneration !== this.subscriberGeneration) return;
        this.subscriberId = id;
        if (generation !== this.generation) return;
      }
      await this.main.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(this.subscriberId));
      if (generation === this.generation && !this.closed) {
        this.on = true;
        this.checking = setInterval(() => this.check(), this.checkMs).unref();
      }
    } catch (err) {
      // A connection dropped meanwhile: its 'ready' starts again. Redis refusing is said.
      if (err instanceof Error && err.name === 'ReplyError') this.onRefused(err.message);
    }
  }
}
