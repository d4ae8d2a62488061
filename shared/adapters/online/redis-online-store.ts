import { createHash } from 'node:crypto';
import { Cluster, Command, Redis, type RedisOptions } from 'ioredis';
import { FailedPrecondition, Unavailable, throwIfAborted } from '../../core/errors.js';
import {
  batchEntries,
  batchWinners,
  sliceBatch,
  onlineNamespace,
  type OnlineEntry,
  type OnlineRead,
  type OnlineStore,
  type OnlineTable,
  type RestoreItem,
  type StoredBatch,
} from '../../core/ports/online-store.js';
import { STORED_FORMAT } from '../../core/online-format.js';
import { PART_ABSENT, PART_STORED, PART_WIRE } from '../../core/online-joined.js';
import { RedisNearCache } from './redis-near-cache.js';

export type RedisLocation = { mode: 'standalone'; url: string } | { mode: 'cluster'; nodes: { host: string; port: number }[] };

/**
 * Writes an entry unless the stored one has a newer event time (equal: the new one wins), in one
 * atomic step on the server. Values are "<event time µs>|" then the features' stored bytes; ARGV
 * holds the event time, the value whole (as stored) and the expiry in ms ('' for none).
 *
 * SET NX GET (Redis 7.0) writes an absent key and answers nil, or answers the stored value and
 * leaves it: a key not yet online (a first materialization) costs one command, not a GET and a SET.
 */
const PUT_NEWEST = `
local cur
if ARGV[3] == '' then cur = redis.call('SET', KEYS[1], ARGV[2], 'NX', 'GET')
else cur = redis.call('SET', KEYS[1], ARGV[2], 'NX', 'GET', 'PXAT', ARGV[3]) end
if not cur then return 1 end
local sep = string.find(cur, '|', 1, true)
if sep and tonumber(string.sub(cur, 1, sep - 1)) > tonumber(ARGV[1]) then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3]) end
return 1`;

/**
 * Joined entries (shared/core/online-joined.ts): `fsj:def:<name>` lists a join's tables (their key
 * prefixes, one per line), `fsj:of:<prefix>` the joins a table is part of, `fsj:<name>:<key>` holds
 * an entity's joined entry. `rebuild` makes an entity's joined entries again from its tables'
 * entries, after any change to one of them: the same result whoever runs it and how often, so
 * writers and a backfill converge. The joined entry expires with the last of its tables' entries.
 */
const JOINED = `
local function joinsOf(base)
  if not base or base == '' then return nil end
  local names = redis.call('SMEMBERS', 'fsj:of:' .. base)
  if #names == 0 then return nil end
  local joins = {}
  for _, name in ipairs(names) do
    local def = redis.call('GET', 'fsj:def:' .. name)
    if def then
      local members = {}
      for m in string.gmatch(def, '[^\\n]+') do members[#members + 1] = m end
      joins[#joins + 1] = {'fsj:' .. name .. ':', members}
    end
  end
  if #joins == 0 then return nil end
  return joins
end
local function rebuild(joins, suffix)
  for _, j in ipairs(joins) do
    local members = j[2]
    local srcs = {}
    for k, m in ipairs(members) do srcs[k] = m .. suffix end
    local values = redis.call('MGET', unpack(srcs))
    local out = {string.char(#members)}
    local body = {}
    local any, never, last = false, false, 0
    for k = 1, #members do
      local v = values[k]
      if v then
        any = true
        local ex = redis.call('PEXPIRETIME', srcs[k])
        if ex < 0 then never = true elseif ex > last then last = ex end
        local sep = string.find(v, '|', 1, true)
        local kind, at, from = ${PART_STORED}, 0, 1
        if sep then at = tonumber(string.sub(v, 1, sep - 1)) from = sep + 1 end
        if string.byte(v, from) == ${STORED_FORMAT} then kind = ${PART_WIRE} from = from + 1 end
        out[#out + 1] = struct.pack('>BddI4', kind, at, ex, #v - from + 1)
        body[#body + 1] = from == 1 and v or string.sub(v, from)
      else
        out[#out + 1] = struct.pack('>BddI4', ${PART_ABSENT}, 0, -1, 0)
      end
    end
    for k = 1, #body do out[#out + 1] = body[k] end
    local row = j[1] .. suffix
    if not any then redis.call('DEL', row)
    elseif never then redis.call('SET', row, table.concat(out))
    else redis.call('SET', row, table.concat(out), 'PXAT', last) end
  end
end
`;

/**
 * PUT_NEWEST for a batch of keys in one script call (standalone Redis, where any keys may go
 * together): ARGV holds each key's event time, value (as stored) and expiry in turn, then the table's
 * key prefix; answers 1/0 per key. Each key is decided exactly as PUT_NEWEST does, the joined entries
 * of a written key follow, and the script is atomic as a whole.
 */
const PUT_NEWEST_MANY = `${JOINED}
local base = ARGV[3 * #KEYS + 1]
local joins = joinsOf(base)
local out = {}
for i = 1, #KEYS do
  local key, value, ex = KEYS[i], ARGV[3 * i - 1], ARGV[3 * i]
  local cur
  if ex == '' then cur = redis.call('SET', key, value, 'NX', 'GET')
  else cur = redis.call('SET', key, value, 'NX', 'GET', 'PXAT', ex) end
  local ok = 1
  if cur then
    local sep = string.find(cur, '|', 1, true)
    if sep and tonumber(string.sub(cur, 1, sep - 1)) > tonumber(ARGV[3 * i - 2]) then ok = 0
    elseif ex == '' then redis.call('SET', key, value)
    else redis.call('SET', key, value, 'PXAT', ex) end
  end
  if ok == 1 and joins then rebuild(joins, string.sub(key, #base + 1)) end
  out[i] = ok
end
return out`;

/** Makes (or makes again) a join: ARGV[1] its name, then its tables' key prefixes in order. */
const JOIN = `
redis.call('SET', 'fsj:def:' .. ARGV[1], table.concat(ARGV, '\\n', 2))
for i = 2, #ARGV do redis.call('SADD', 'fsj:of:' .. ARGV[i], ARGV[1]) end
return 1`;

/** Rebuilds join ARGV[1]'s entries of the entity keys ARGV[2..] (a backfill); 0 if the join is gone. */
const REBUILD = `${JOINED}
local def = redis.call('GET', 'fsj:def:' .. ARGV[1])
if not def then return 0 end
local members = {}
for m in string.gmatch(def, '[^\\n]+') do members[#members + 1] = m end
local joins = {{'fsj:' .. ARGV[1] .. ':', members}}
for i = 2, #ARGV do rebuild(joins, ARGV[i]) end
return 1`;

/** Ends join ARGV[1]: its tables no longer keep it (its entries are deleted after). */
const UNJOIN = `
local def = redis.call('GET', 'fsj:def:' .. ARGV[1])
if not def then return 0 end
for m in string.gmatch(def, '[^\\n]+') do redis.call('SREM', 'fsj:of:' .. m, ARGV[1]) end
redis.call('DEL', 'fsj:def:' .. ARGV[1])
return 1`;

/** The script cache's name for PUT_NEWEST_MANY (what EVALSHA sends). */
const PUT_NEWEST_MANY_SHA = createHash('sha1').update(PUT_NEWEST_MANY).digest('hex');

/** Keys per PUT_NEWEST_MANY call: big enough to spare the per-call cost, small enough not to hold Redis up (well under a millisecond). */
const PUT_BATCH = 200;

/**
 * After a revert: if the stored value is exactly ARGV[1] or ARGV[5] (the reverted row, in the stored
 * format and in the legacy one; '' for none), put ARGV[2] in its place (or delete the key when
 * ARGV[2] is empty); otherwise write ARGV[2] newest-wins (its event time in ARGV[3]), so a row
 * written since stays. ARGV[6]: the table's key prefix, whose joined entries follow a change.
 */
const RESTORE = `${JOINED}
local function put()
  redis.call('SET', KEYS[1], ARGV[2])
  if ARGV[4] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[4]) end
end
local function decide()
  local cur = redis.call('GET', KEYS[1])
  if cur and (cur == ARGV[1] or (ARGV[5] ~= '' and cur == ARGV[5])) then
    if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else put() end
    return 1
  end
  if ARGV[2] == '' then return 0 end
  if cur then
    local sep = string.find(cur, '|', 1, true)
    if sep and tonumber(string.sub(cur, 1, sep - 1)) > tonumber(ARGV[3]) then return 0 end
  end
  put()
  return 2
end
local done = decide()
local joins = done > 0 and joinsOf(ARGV[6])
if joins then rebuild(joins, string.sub(KEYS[1], #ARGV[6] + 1)) end
return done`;

/** A TTL change: the entry's expiry from its event time (ARGV[1]: seconds to add in ms, '' = never); ARGV[2] the table's key prefix. */
const REEXPIRE = `${JOINED}
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if ARGV[1] == '' then redis.call('PERSIST', KEYS[1])
else
  local sep = string.find(cur, '|', 1, true)
  redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(string.sub(cur, 1, sep - 1)) / 1000) + tonumber(ARGV[1]))
end
local joins = joinsOf(ARGV[2])
if joins then rebuild(joins, string.sub(KEYS[1], #ARGV[2] + 1)) end
return 1`;

type WithPutNewest = {
  putNewest(key: string, eventTimeMicros: string, value: Uint8Array, expireAtMs: string): Promise<number>;
  putNewestMany(keyCount: number, ...keysThenArgs: (string | Uint8Array)[]): Promise<number[]>;
  restoreEntry(
    key: string,
    expected: Buffer,
    replacement: Buffer | string,
    replacementTime: string,
    expireAtMs: string,
    expectedLegacy: Buffer | string,
    prefix: string,
  ): Promise<number>;
  reexpireEntry(key: string, afterEventMs: string, prefix: string): Promise<number>;
  joinTables(name: string, ...prefixes: string[]): Promise<number>;
  rebuildJoined(name: string, ...keys: string[]): Promise<number>;
  unjoin(name: string): Promise<number>;
};

const OPTIONS: RedisOptions = {
  // Fail fast rather than queue forever when the server is down: callers get Unavailable.
  maxRetriesPerRequest: 2,
  connectTimeout: 2000,
  // Commands issued in the same tick go out as one pipeline per node: a batch read or write is one
  // round trip per node, standalone or cluster.
  enableAutoPipelining: true,
};

/** The online store on Redis, standalone or Redis Cluster (entities spread over the masters by key). */
export class RedisOnlineStore implements OnlineStore {
  private readonly client: (Redis | Cluster) & WithPutNewest;
  /** Standalone, when asked for (`nearCacheEntries`): entries kept in this process, exact by Redis's tracking. */
  private readonly near: RedisNearCache | undefined;

  constructor(
    private readonly location: RedisLocation,
    options: { nearCacheEntries?: number; onNearCacheRefused?: (message: string) => void; nearCacheCheckMs?: number } = {},
  ) {
    const client =
      location.mode === 'standalone'
        ? new Redis(location.url, OPTIONS)
        : new Cluster(location.nodes, { redisOptions: OPTIONS, enableAutoPipelining: true, maxRedirections: 8 });
    client.defineCommand('putNewest', { numberOfKeys: 1, lua: PUT_NEWEST });
    client.defineCommand('putNewestMany', { lua: PUT_NEWEST_MANY });
    client.defineCommand('restoreEntry', { numberOfKeys: 1, lua: RESTORE });
    client.defineCommand('reexpireEntry', { numberOfKeys: 1, lua: REEXPIRE });
    client.defineCommand('joinTables', { numberOfKeys: 0, lua: JOIN });
    client.defineCommand('rebuildJoined', { numberOfKeys: 0, lua: REBUILD });
    client.defineCommand('unjoin', { numberOfKeys: 0, lua: UNJOIN });
    // Connection errors reach callers through the commands (as Unavailable); without a listener
    // ioredis would also print each reconnect failure.
    client.on('error', () => {});
    this.client = client as typeof client & WithPutNewest;
    this.near =
      client instanceof Redis && (options.nearCacheEntries ?? 0) > 0
        ? new RedisNearCache(client, options.nearCacheEntries!, options.onNearCacheRefused, options.nearCacheCheckMs)
        : undefined;
  }

  /** Whether the near cache keeps entries now (it has tracking on); false without one. */
  get nearCacheActive(): boolean {
    return this.near?.active ?? false;
  }

  /** Each table's key prefix, kept per table object (the read path hands the same one for a feature set version). */
  private readonly prefixes = new WeakMap<OnlineTable, string>();

  private redisKey(table: OnlineTable, key: string): string {
    let prefix = this.prefixes.get(table);
    if (prefix === undefined) {
      // Flat, not a tree of the template's pieces: a prepared MGET writes it once per key, and V8
      // reads a string made by concatenation more slowly (issue #16: 100 keys, 6.6 µs against 9.3).
      prefix = Buffer.from(`fs:${onlineNamespace(table)}:`, 'utf8').toString('utf8');
      this.prefixes.set(table, prefix);
    }
    return prefix + key;
  }

  /** What a script takes to find the table's joins: its key prefix, or '' on a cluster (which keeps none). */
  private joinBase(table: OnlineTable): string {
    return this.location.mode === 'cluster' ? '' : this.redisKey(table, '');
  }

  async put(table: OnlineTable, entries: OnlineEntry[], signal?: AbortSignal): Promise<boolean[]> {
    throwIfAborted(signal);
    try {
      const winner = batchWinners(entries);
      if (this.location.mode === 'standalone')
        return await this.written(
          table,
          () => entries.map((e) => e.key),
          () => this.putBatched(table, entries, winner),
        );
      // Cluster: one script call per key (the keys of a batch live in different slots).
      const results = await Promise.all(
        entries.map((e, i) =>
          winner.get(e.key) === i
            ? this.client.putNewest(this.redisKey(table, e.key), String(e.eventTimeMicros), stored(e.eventTimeMicros, e.value), expireMs(e.expireAtMicros))
            : Promise.resolve(0),
        ),
      );
      return results.map((r) => r === 1);
    } catch (err) {
      throw translate(err);
    }
  }

  async putBatch(table: OnlineTable, batch: StoredBatch, signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    if (this.location.mode === 'cluster') return (await this.put(table, batchEntries(batch), signal)).filter(Boolean).length;
    try {
      return await this.written(
        table,
        () => batch.keys,
        async () => {
          const prefix = this.redisKey(table, '');
          const client = this.client as Redis & WithPutNewest;
          const calls: Promise<number>[] = [];
          for (let from = 0; from < batch.keys.length; from += PUT_BATCH) {
            const to = Math.min(batch.keys.length, from + PUT_BATCH);
            const call = (client.sendCommand(evalshaBatch(PUT_NEWEST_MANY_SHA, prefix, batch, from, to)) as Promise<number[]>).catch((err: unknown) => {
              if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
              // Redis lost its script cache: ioredis's command loads it.
              const part = batchEntries(sliceBatch(batch, from, to));
              return client.putNewestMany(part.length, ...part.map((e) => prefix + e.key), ...part.flatMap((e) => newestArgs(e).map(asArg)), prefix);
            });
            calls.push(call.then((written) => written.reduce((n, w) => n + (w === 1 ? 1 : 0), 0)));
          }
          return (await Promise.all(calls)).reduce((a, b) => a + b, 0);
        },
      );
    } catch (err) {
      throw translate(err);
    }
  }

  /** Standalone: the entries that stand, PUT_BATCH keys per script call (auto-pipelined). */
  private async putBatched(table: OnlineTable, entries: OnlineEntry[], winner: Map<string, number>): Promise<boolean[]> {
    const results = entries.map(() => false);
    const standing = [...winner.values()].sort((a, b) => a - b);
    const prefix = this.redisKey(table, '');
    const calls: Promise<void>[] = [];
    const client = this.client as Redis & WithPutNewest;
    for (let c = 0; c < standing.length; c += PUT_BATCH) {
      const part = standing.slice(c, c + PUT_BATCH);
      const keys = part.map((i) => prefix + entries[i].key);
      const args = part.flatMap((i) => newestArgs(entries[i]));
      args.push(prefix);
      // EVALSHA prepared in one buffer (about 1/5 of materialization's CPU went to ioredis building
      // these commands arg by arg); when Redis lost its script cache, ioredis's command loads it.
      const call = (client.sendCommand(evalsha(PUT_NEWEST_MANY_SHA, keys, args)) as Promise<number[]>).catch((err: unknown) => {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return client.putNewestMany(part.length, ...keys, ...args.map(asArg));
        throw err;
      });
      calls.push(call.then((written) => written.forEach((w, j) => (results[part[j]] = w === 1))));
    }
    await Promise.all(calls);
    return results;
  }

  async restore(table: OnlineTable, items: RestoreItem[], signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    try {
      await this.written(
        table,
        () => items.map((it) => it.key),
        () => this.restoreEach(table, items),
      );
    } catch (err) {
      throw translate(err);
    }
  }

  /**
   * A write of these keys, dropped from the near cache before it is sent and after it is answered: a
   * read answered before the write may have kept the old entry meanwhile (one connection answers in order).
   */
  private async written<T>(table: OnlineTable, keysOf: () => readonly string[], write: () => Promise<T>): Promise<T> {
    const near = this.near;
    if (!near) return write();
    const prefix = this.redisKey(table, '');
    const keys = keysOf();
    keys.forEach((key) => near.forget(prefix, key));
    try {
      return await write();
    } finally {
      keys.forEach((key) => near.forget(prefix, key));
    }
  }

  private async restoreEach(table: OnlineTable, items: RestoreItem[]): Promise<void> {
    await Promise.all(
      items.map((it) =>
        this.client.restoreEntry(
          this.redisKey(table, it.key),
          stored(it.expected.eventTimeMicros, it.expected.value),
          it.replacement ? stored(it.replacement.eventTimeMicros, it.replacement.value) : '',
          String(it.replacement?.eventTimeMicros ?? 0),
          expireMs(it.replacement?.expireAtMicros),
          it.expected.legacyValue ? stored(it.expected.eventTimeMicros, it.expected.legacyValue) : '',
          this.joinBase(table),
        ),
      ),
    );
  }

  async get(table: OnlineTable, keys: string[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[]> {
    return (await this.getMany([{ table, keys }], signal))[0];
  }

  async getMany(reads: OnlineRead[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[][]> {
    throwIfAborted(signal);
    if (reads.every((r) => r.keys.length === 0)) return reads.map(() => []);
    try {
      let raw: (Buffer | null)[];
      if (this.location.mode === 'cluster') {
        // GETs, auto-pipelined per node (MGET cannot span slots).
        raw = await Promise.all(reads.flatMap((r) => r.keys.map((k) => this.client.getBuffer(this.redisKey(r.table, k)))));
      } else {
        const prefixes = reads.map((r) => this.redisKey(r.table, ''));
        if (this.near?.active) return await this.nearRead(this.near, prefixes, reads);
        raw = await this.fetch(prefixes, reads);
      }
      let at = 0;
      return reads.map((r) =>
        r.keys.map((k) => {
          const v = raw[at++];
          return v == null ? undefined : parseEntry(k, v);
        }),
      );
    } catch (err) {
      throw translate(err);
    }
  }

  /** Standalone: the reads asked for in this turn of the event loop, sent together when it ends (flush). */
  private pending: ReadBatch | undefined;

  /**
   * Standalone: the values of every read's keys (each after its table's prefix), in order. The reads
   * of one turn of the event loop (every call whose request arrived in it) go as one MGET when the
   * turn ends, and each call takes its slice of the answer: one command, one write and one answer
   * for all of them, where Redis would otherwise run a GET or MGET per call (issue #16). A batch is
   * sent at once when it reaches MAX_BATCH_KEYS. A read of ALONE_FROM keys or more goes alone, at once.
   */
  private fetch(prefixes: string[], reads: OnlineRead[]): Promise<(Buffer | null)[]> {
    let count = 0;
    for (const r of reads) count += r.keys.length;
    if (count >= ALONE_FROM) return this.send({ prefixes, reads, count, waiters: [] });
    let batch = this.pending;
    if (!batch) {
      batch = this.pending = { prefixes: [], reads: [], count: 0, waiters: [] };
      setImmediate(() => this.flush(batch!));
    }
    const from = batch.count;
    for (let i = 0; i < reads.length; i++) {
      batch.prefixes.push(prefixes[i]);
      batch.reads.push(reads[i]);
      batch.count += reads[i].keys.length;
    }
    const answer = new Promise<(Buffer | null)[]>((resolve, reject) => batch.waiters.push({ from, to: batch.count, resolve, reject }));
    if (batch.count >= MAX_BATCH_KEYS) this.flush(batch);
    return answer;
  }

  /** One MGET of the batch's keys, written by the adapter (ASCII keys) or by ioredis. */
  private send(batch: ReadBatch): Promise<(Buffer | null)[]> {
    const client = this.client as Redis;
    const command = mget(batch.prefixes, batch.reads);
    return command
      ? (client.sendCommand(command) as Promise<(Buffer | null)[]>)
      : client.mgetBuffer(batch.reads.flatMap((r, i) => r.keys.map((k) => batch.prefixes[i] + k)));
  }

  /** Sends a batch (once), and hands each waiter its slice of the answer. */
  private flush(batch: ReadBatch): void {
    if (this.pending !== batch) return;
    this.pending = undefined;
    this.send(batch).then(
      (values) => {
        const whole = batch.waiters.length === 1;
        for (const w of batch.waiters) w.resolve(whole ? values : values.slice(w.from, w.to));
      },
      (err: unknown) => {
        for (const w of batch.waiters) w.reject(err);
      },
    );
  }

  /** Standalone with the near cache: kept entries answered here, the others read (one MGET) and kept. */
  private async nearRead(near: RedisNearCache, prefixes: string[], reads: OnlineRead[]): Promise<(OnlineEntry | undefined)[][]> {
    const out: (OnlineEntry | undefined)[][] = [];
    const missing: OnlineRead[] = [];
    // Each key not kept: its Redis key, and where its answer goes (read, position).
    const missingKeys: string[] = [];
    const missRead: number[] = [];
    const missAt: number[] = [];
    reads.forEach((r, i) => {
      const row = new Array<OnlineEntry | undefined>(r.keys.length);
      const keys: string[] = [];
      const prefix = prefixes[i];
      r.keys.forEach((k, j) => {
        const kept = near.get(prefix, k);
        if (kept !== undefined) {
          row[j] = kept ?? undefined;
          return;
        }
        keys.push(k);
        missingKeys.push(prefix + k);
        missRead.push(i);
        missAt.push(j);
      });
      missing.push({ table: r.table, keys });
      out.push(row);
    });
    if (missingKeys.length === 0) return out;
    const mark = near.begin(missingKeys);
    let raw: (Buffer | null)[];
    try {
      raw = await this.fetch(prefixes, missing);
    } catch (err) {
      near.abandon(missingKeys, mark);
      throw err;
    }
    for (let m = 0; m < missingKeys.length; m++) {
      const v = raw[m];
      const key = reads[missRead[m]].keys[missAt[m]];
      const entry = v == null ? undefined : parseEntry(key, v);
      near.keep(prefixes[missRead[m]], key, entry, mark);
      out[missRead[m]][missAt[m]] = entry;
    }
    return out;
  }

  async drop(table: OnlineTable, signal?: AbortSignal): Promise<void> {
    const prefix = this.redisKey(table, '');
    this.near?.forgetTable(prefix);
    try {
      // Its joins end first (writes stop keeping them), then their entries and the table's go.
      if (this.location.mode === 'standalone') {
        for (const name of await this.client.smembers(`fsj:of:${prefix}`)) {
          await this.client.unjoin(name);
          this.joins.set(name, { joined: false, checkedAt: Date.now() });
          await this.eachPage(this.client as Redis, `fsj:${name}:*`, (keys) => this.client.del(...keys), signal);
        }
      }
      await this.eachKey(table, (k) => this.client.del(k), signal);
    } catch (err) {
      throw translate(err);
    } finally {
      this.near?.forgetTable(prefix);
    }
  }

  async reexpire(table: OnlineTable, spanMicros: number | undefined, signal?: AbortSignal): Promise<void> {
    const prefix = this.joinBase(table);
    const after = spanMicros === undefined ? '' : String(Math.floor(spanMicros / 1000));
    await this.eachKey(table, (k) => this.client.reexpireEntry(k, after, prefix), signal);
  }

  /**
   * Standalone Redis: the tables' entries are kept joined from now on (every write to one of them
   * rebuilds the entity's joined entry in the same script), then every entity already stored in any
   * of them is rebuilt, a scan page at a time. A Redis Cluster keeps none: a join's keys would have
   * to share a slot, which the tables' keys do not.
   */
  async join(tables: readonly OnlineTable[], signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.location.mode === 'cluster' || tables.length < 2) return;
    const prefixes = tables.map((t) => this.redisKey(t, ''));
    const name = joinName(prefixes);
    const client = this.client as Redis & WithPutNewest;
    try {
      await client.joinTables(name, ...prefixes);
      for (const prefix of prefixes) {
        await this.eachPage(
          client,
          `${globEscape(prefix)}*`,
          async (keys) => {
            for (let i = 0; i < keys.length; i += PUT_BATCH)
              await client.rebuildJoined(name, ...keys.slice(i, i + PUT_BATCH).map((k) => k.slice(prefix.length)));
          },
          signal,
        );
      }
    } catch (err) {
      throw translate(err);
    }
    this.joins.set(name, { joined: true, checkedAt: Date.now() });
  }

  /** Whether a join exists, as last checked (each JOIN_CHECK_MS at most, in the background once known). */
  private readonly joins = new Map<string, { joined: boolean; checkedAt: number; checking?: Promise<boolean> }>();
  /** Each tables list's join name and entry prefix, kept per list object (a view's read plan hands the same one). */
  private readonly joinNames = new WeakMap<readonly OnlineTable[], { name: string; prefix: string }>();

  private async isJoined(name: string): Promise<boolean> {
    const known = this.joins.get(name);
    if (known && (known.checking || Date.now() - known.checkedAt < JOIN_CHECK_MS)) {
      // Never checked yet: wait for the check under way; otherwise answer from what was known.
      return known.checkedAt === 0 ? known.checking! : known.joined;
    }
    const checking = this.client.exists(`fsj:def:${name}`).then(
      (n) => {
        this.joins.set(name, { joined: n === 1, checkedAt: Date.now() });
        return n === 1;
      },
      (err: unknown) => {
        this.joins.delete(name);
        throw err;
      },
    );
    this.joins.set(name, { joined: known?.joined ?? false, checkedAt: known?.checkedAt ?? 0, checking });
    if (!known) return checking;
    // Known: answer at once; the check updates what later reads see.
    checking.catch(() => {});
    return known.joined;
  }

  async getJoined(tables: readonly OnlineTable[], keys: string[], signal?: AbortSignal): Promise<(Buffer | null)[] | undefined> {
    throwIfAborted(signal);
    if (this.location.mode === 'cluster' || tables.length < 2 || keys.length === 0) return undefined;
    let join = this.joinNames.get(tables);
    if (!join) {
      const name = joinName(tables.map((t) => this.redisKey(t, '')));
      join = { name, prefix: `fsj:${name}:` };
      this.joinNames.set(tables, join);
    }
    try {
      if (!(await this.isJoined(join.name))) return undefined;
      return await this.fetch([join.prefix], [{ table: tables[0], keys }]);
    } catch (err) {
      throw translate(err);
    }
  }

  /** Redis drops expired keys itself. */
  async sweepExpired(): Promise<number> {
    return 0;
  }

  /** Every key of the table on every master, a scan page at a time. */
  private async eachKey(table: OnlineTable, fn: (key: string) => Promise<unknown>, signal?: AbortSignal): Promise<void> {
    const match = `${globEscape(this.redisKey(table, ''))}*`;
    const nodes = this.client instanceof Cluster ? this.client.nodes('master') : [this.client as Redis];
    try {
      // One key per command: in a cluster the keys of one scan page may live in different slots.
      for (const node of nodes) await this.eachPage(node, match, (found) => Promise.all(found.map(fn)), signal);
    } catch (err) {
      throw translate(err);
    }
  }

  /** The keys of one node that match a pattern, a scan page at a time. */
  private async eachPage(node: Redis, match: string, fn: (keys: string[]) => Promise<unknown>, signal?: AbortSignal): Promise<void> {
    let cursor = '0';
    do {
      throwIfAborted(signal);
      const [next, found] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      if (found.length > 0) await fn(found);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.near?.close();
    this.client.disconnect();
  }
}

/**
 * Reads of at least this many keys go as their own MGET, not batched with the turn's others. Measured
 * with h2load at 32 connections (issue #16): batching one-entity reads raised calls/s by 12-25% (every
 * one of 6 interleaved pairs), while 100-entity reads gained about 6% in calls/s at twice the p99 (a
 * call waits for the whole batch's answer); earlier, gathering such reads into pipelines made them
 * dearer (0.36-0.38 ms of CPU per call against 0.32).
 */
const ALONE_FROM = 32;

/**
 * Keys at which a batch of reads goes at once rather than at the end of the turn: an MGET's answer
 * is parsed as one, and a very large one would hold up the calls before it.
 */
const MAX_BATCH_KEYS = 1000;

/** The reads of one turn of the event loop, and the calls waiting for their slices of the answer. */
interface ReadBatch {
  prefixes: string[];
  reads: OnlineRead[];
  count: number;
  waiters: { from: number; to: number; resolve: (values: (Buffer | null)[]) => void; reject: (err: unknown) => void }[];
}

/** How long a reader trusts what it knows of a join before asking Redis again (in the background). */
const JOIN_CHECK_MS = 5000;

/** A join's name: from its tables' key prefixes in order, so every view over the same tables shares it. */
function joinName(prefixes: readonly string[]): string {
  return createHash('sha1').update(prefixes.join('\n')).digest('hex').slice(0, 24);
}

/** Text matched literally by SCAN's MATCH pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** A command whose RESP bytes are written once, by its maker. */
class PreparedCommand extends Command {
  constructor(
    name: string,
    private readonly bytes: Buffer,
  ) {
    super(name, [], { replyEncoding: null });
  }

  override toWritable(): Buffer {
    return this.bytes;
  }
}

/**
 * MGET of every read's keys (each after its table's prefix) with its RESP bytes made as one string and
 * written once into a shared slab: a read of 5 feature sets for 100 entities sends 500 keys, which
 * ioredis would measure in bytes and append one by one (issue #16; about twice as cheap). Undefined
 * when a key or prefix is not ASCII (a length in bytes is then not the length in characters): the
 * caller uses the ordinary command.
 */
function mget(prefixes: string[], reads: OnlineRead[]): PreparedCommand | undefined {
  let count = 0;
  const parts: string[] = [];
  reads.forEach((r, i) => {
    count += r.keys.length;
    const prefix = prefixes[i];
    parts.push(r.keys.map((k) => `$${prefix.length + k.length}\r\n${prefix}${k}\r\n`).join(''));
  });
  const text = `*${count + 1}\r\n$4\r\nMGET\r\n${parts.join('')}`;
  // As many bytes as characters: every character is ASCII.
  if (Buffer.byteLength(text, 'utf8') !== text.length) return undefined;
  const out = carve(text.length);
  out.write(text, 0, 'latin1');
  return new PreparedCommand('mget', out);
}

/** A script argument: text, bytes, or bytes after a short ASCII head (a stored value, sent without copying it first). */
type ScriptArg = string | Uint8Array | { head: string; bytes: Uint8Array };

/** An entry's PUT_NEWEST_MANY arguments: its event time, its value as stored ("<event time>|" and the bytes), its expiry. */
function newestArgs(e: OnlineEntry): ScriptArg[] {
  const at = String(e.eventTimeMicros);
  return [at, { head: `${at}|`, bytes: e.value }, expireMs(e.expireAtMicros)];
}

/** A ScriptArg as one value ioredis can send. */
function asArg(x: ScriptArg): string | Uint8Array {
  return typeof x === 'string' || x instanceof Uint8Array ? x : Buffer.concat([Buffer.from(x.head, 'latin1'), x.bytes]);
}

/**
 * EVALSHA of a cached script with its keys and arguments, its RESP bytes written into one buffer
 * sized up front (keys may be any UTF-8; values are bytes). The text between two byte values goes
 * in one write: a batch of 200 keys is about 200 writes, not 2,400 (their calls were most of the cost).
 */
function evalsha(sha: string, keys: string[], args: ScriptArg[]): PreparedCommand {
  const items = [...keys, ...args];
  let text = `*${3 + items.length}\r\n$7\r\nEVALSHA\r\n$${sha.length}\r\n${sha}\r\n$${String(keys.length).length}\r\n${keys.length}\r\n`;
  let size = text.length;
  const lengths = items.map((x) =>
    typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : x instanceof Uint8Array ? x.length : x.head.length + x.bytes.length,
  );
  for (const n of lengths) size += String(n).length + n + 5; // $<n>\r\n<bytes>\r\n
  const out = carve(size);
  let at = 0;
  items.forEach((x, i) => {
    if (typeof x === 'string') {
      text += `$${lengths[i]}\r\n${x}\r\n`;
      return;
    }
    const bytes = x instanceof Uint8Array ? x : x.bytes;
    text += x instanceof Uint8Array ? `$${lengths[i]}\r\n` : `$${lengths[i]}\r\n${x.head}`;
    at += out.write(text, at, 'utf8');
    out.set(bytes, at);
    at += bytes.length;
    text = '\r\n';
  });
  out.write(text, at, 'utf8');
  return new PreparedCommand('evalsha', out);
}

/**
 * PUT_NEWEST_MANY's EVALSHA for entries from..to of a batch, written straight from its arrays and
 * bytes into one buffer: per entry the key after `prefix`, the event time, "<event time>|" and the
 * value, and the expiry in ms ('' for none); then the prefix itself (the table's joins follow its
 * writes). The bulk write's path (materialization), with no argument objects per entry.
 */
function evalshaBatch(sha: string, prefix: string, batch: StoredBatch, from: number, to: number): PreparedCommand {
  const count = to - from;
  const prefixBytes = Buffer.byteLength(prefix, 'utf8');
  let keysText = '';
  let size = 0;
  const times: string[] = new Array<string>(count);
  const expiries: string[] = new Array<string>(count);
  for (let i = from; i < to; i++) {
    const key = batch.keys[i];
    const keyBytes = prefixBytes + Buffer.byteLength(key, 'utf8');
    keysText += `$${keyBytes}\r\n${prefix}${key}\r\n`;
    size += keyBytes;
    const at = String(batch.eventTimeMicros[i]);
    const expire = batch.expireAtMicros[i];
    const ex = Number.isNaN(expire) ? '' : String(Math.floor(expire / 1000));
    times[i - from] = at;
    expiries[i - from] = ex;
    const valueBytes = at.length + 1 + batch.starts[i + 1] - batch.starts[i];
    // $<n>\r\n<bytes>\r\n for the key (its digits added below), the time, the value and the expiry.
    size += 5 + String(keyBytes).length;
    size += 5 + String(at.length).length + at.length;
    size += 5 + String(valueBytes).length + valueBytes;
    size += 5 + String(ex.length).length + ex.length;
  }
  const tail = `$${prefixBytes}\r\n${prefix}\r\n`;
  size += prefixBytes + 5 + String(prefixBytes).length;
  const head = `*${4 + 4 * count}\r\n$7\r\nEVALSHA\r\n$${sha.length}\r\n${sha}\r\n$${String(count).length}\r\n${count}\r\n`;
  const out = carve(head.length + size);
  let at = out.write(head, 0, 'latin1');
  at += out.write(keysText, at, 'utf8');
  const bytes = batch.bytes;
  let text = '';
  for (let i = from; i < to; i++) {
    const time = times[i - from];
    const ex = expiries[i - from];
    const start = batch.starts[i];
    const end = batch.starts[i + 1];
    text += `$${time.length}\r\n${time}\r\n$${time.length + 1 + end - start}\r\n${time}|`;
    at += out.write(text, at, 'latin1');
    out.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start), at);
    at += end - start;
    text = `\r\n$${ex.length}\r\n${ex}\r\n`;
  }
  at += out.write(text, at, 'latin1');
  at += out.write(tail, at, 'utf8');
  if (at !== out.length) throw new Error(`EVALSHA sized ${out.length} bytes, written ${at}`);
  return new PreparedCommand('evalsha', out);
}

/**
 * Prepared commands are carved from shared slabs, as Node's Buffer pool does (its 8 kB pool takes
 * nothing over 4 kB, and a command of 100 keys is about 4 kB): one allocation per slab, not per read.
 * A slab stays alive while a command carved from it does.
 */
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabUsed = 0;
function carve(size: number): Buffer {
  if (size > SLAB_BYTES / 8) return Buffer.allocUnsafe(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return out;
}

/** An expiry in µs as PEXPIREAT's milliseconds ('' for none). */
function expireMs(us: number | undefined): string {
  return us === undefined ? '' : String(Math.floor(us / 1000));
}

const BAR = 0x7c; // '|'
const MINUS = 0x2d; // '-'

/** A stored value: "<event time µs>|" and the features' bytes. */
function stored(eventTimeMicros: number, value: Uint8Array): Buffer {
  const head = `${eventTimeMicros}|`;
  const out = Buffer.allocUnsafe(head.length + value.length);
  out.write(head, 0, 'latin1');
  out.set(value, head.length);
  return out;
}

/**
 * An entry read from Redis: its stored value is `bytes` after the event time's digits and '|'. The
 * read path copies from `bytes` at `from`; `value`, a view, is made only for those who ask.
 */
class FoundEntry implements OnlineEntry {
  constructor(
    readonly key: string,
    readonly eventTimeMicros: number,
    readonly bytes: Buffer,
    readonly from: number,
  ) {}

  get value(): Buffer {
    return this.bytes.subarray(this.from);
  }
}

/** An entry from its stored value: the digits before the first '|' are the event time (the bytes after are the features). */
function parseEntry(key: string, raw: Buffer): OnlineEntry {
  const negative = raw[0] === MINUS;
  let i = negative ? 1 : 0;
  let us = 0;
  for (; i < raw.length && raw[i] !== BAR; i++) us = us * 10 + (raw[i] - 0x30);
  return new FoundEntry(key, negative ? -us : us, raw, Math.min(i + 1, raw.length));
}

function translate(err: unknown): Error {
  const message = String((err as Error)?.message ?? err);
  if (/ECONNREFUSED|max retries|Connection is closed|ETIMEDOUT|CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes/i.test(message)) {
    return new Unavailable('the online store (Redis) cannot be reached; check FEATURESTORE_ONLINE_URL and that Redis runs', { cause: err });
  }
  // Redis before 7.0 refuses SET with both NX and GET (the newest-wins write).
  if (/syntax error/i.test(message) && /@user_script|script/i.test(message)) {
    return new FailedPrecondition('the online store needs Redis 7.0 or later (its writes use SET NX GET); upgrade the Redis server', { cause: err });
  }
  return err as Error;
}
