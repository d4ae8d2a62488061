import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { parseOnlineUrl } from '../../shared/adapters/online/online-url.js';
import { RedisNearCache } from '../../shared/adapters/online/redis-near-cache.js';
import { RedisOnlineStore } from '../../shared/adapters/online/redis-online-store.js';

// The near cache of the standalone Redis online store (FEATURESTORE_ONLINE_CACHE_ENTRIES), against a
// real Redis: hits cost no command, and every change by anyone reaches it through Redis's tracking.

const url = process.env['FEATURESTORE_TEST_REDIS_URL'];
if (!url) throw new Error('FEATURESTORE_TEST_REDIS_URL is not set: run the tests with `make test` (it starts Redis)');
const location = parseOnlineUrl(url);
if (location?.type !== 'redis') throw new Error(`not a Redis URL: ${url}`);

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function cached(entries = 10_000): Promise<RedisOnlineStore> {
  const store = new RedisOnlineStore(location!.type === 'redis' ? location!.redis : (undefined as never), { nearCacheEntries: entries });
  await until('tracking on', () => store.nearCacheActive);
  return store;
}

describe('Redis near cache (client-side caching with tracking)', () => {
  const admin = new Redis(url);
  const plain = new RedisOnlineStore(location.redis);
  const table = { project: `p_near_${Date.now()}`, featureSet: 'fs', major: 1 };
  const redisKey = (key: string) => `fs:${table.project}/fs/v1:${key}`;
  const entry = (key: string, at: number, byte = 1) => ({ key, eventTimeMicros: at, value: Buffer.from([1, byte]) });
  /** Reads the store has sent Redis so far (GET and MGET calls, all clients). */
  const reads = async () => {
    const info = await admin.info('commandstats');
    const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return calls('get') + calls('mget');
  };
  let store: RedisOnlineStore;
  before(async () => {
    store = await cached();
  });
  after(async () => {
    await plain.drop(table);
    await store.close();
    await plain.close();
    admin.disconnect();
  });

  it('answers a kept entry, or a kept absence, without a command; without the cache every read is one', async () => {
    await plain.put(table, [entry('["a"]', 100)]);
    assert.equal((await store.get(table, ['["a"]', '["none"]']))[0]?.eventTimeMicros, 100);
    const before = await reads();
    for (let i = 0; i < 5; i++) {
      const [a, none] = await store.get(table, ['["a"]', '["none"]']);
      assert.equal(a?.eventTimeMicros, 100);
      assert.equal(none, undefined);
    }
    assert.equal((await reads()) - before, 0, 'kept entries were read from Redis again');
    for (let i = 0; i < 5; i++) await plain.get(table, ['["a"]']);
    assert.equal((await reads()) - before, 5, 'the store without a cache reads each time');
  });

  it('sees a write by another process, a write from outside, an expiry and a flush', async () => {
    await plain.put(table, [entry('["b"]', 100)]);
    assert.equal((await store.get(table, ['["b"]']))[0]?.eventTimeMicros, 100);
    await plain.put(table, [entry('["b"]', 200)]);
    await until("another store's newer write seen", async () => (await store.get(table, ['["b"]']))[0]?.eventTimeMicros === 200);

    await admin.set(redisKey('["b"]'), '300|\x01\x07');
    await until('a SET from outside seen', async () => (await store.get(table, ['["b"]']))[0]?.eventTimeMicros === 300);

    await admin.pexpire(redisKey('["b"]'), 50);
    await until('an expired key seen gone', async () => (await store.get(table, ['["b"]']))[0] === undefined);

    await plain.put(table, [entry('["c"]', 100)]);
    assert.equal((await store.get(table, ['["c"]']))[0]?.eventTimeMicros, 100);
    await admin.flushdb();
    await until('a flush seen', async () => (await store.get(table, ['["c"]']))[0] === undefined);
  });

  it('ends exact after reads race a stream of writes by another process', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `["r${i}"]`);
    let reading = true;
    const reader = (async () => {
      let n = 0;
      while (reading) {
        await store.get(table, keys);
        n++;
        await new Promise((r) => setImmediate(r)); // a read from memory never yields to I/O by itself
      }
      return n;
    })();
    for (let round = 1; round <= 30; round++) {
      await plain.put(
        table,
        keys.map((k) => entry(k, round * 10)),
      );
      await new Promise((r) => setImmediate(r));
    }
    reading = false;
    assert.ok((await reader) > 5, 'the reader raced the writes');
    const settled = async () => (await store.get(table, keys)).every((e) => e?.eventTimeMicros === 300);
    await until('every kept entry the last written', settled, 2000);
    const before = await reads();
    assert.ok(await settled());
    assert.equal((await reads()) - before, 0, 'and answered from memory once settled');
  });

  it('reads its own writes at once', async () => {
    await store.put(table, [entry('["d"]', 100)]);
    assert.equal((await store.get(table, ['["d"]']))[0]?.eventTimeMicros, 100);
    await store.put(table, [entry('["d"]', 150, 9)]);
    const [d] = await store.get(table, ['["d"]']);
    assert.equal(d?.eventTimeMicros, 150);
    assert.deepEqual([...d.value], [1, 9]);
  });

  it('drops everything when either connection is lost, and tracks again after', async () => {
    await plain.put(table, [entry('["e"]', 100)]);
    assert.equal((await store.get(table, ['["e"]']))[0]?.eventTimeMicros, 100);
    await admin.client('KILL', 'TYPE', 'pubsub');
    await until('tracking off', () => !store.nearCacheActive, 2000);
    await until('tracking on again', () => store.nearCacheActive);
    assert.equal((await store.get(table, ['["e"]']))[0]?.eventTimeMicros, 100);
    await plain.put(table, [entry('["e"]', 200)]);
    await until('a write after the reconnect seen', async () => (await store.get(table, ['["e"]']))[0]?.eventTimeMicros === 200);

    // The main connection (the one with tracking on, flag t) lost: tracking is turned on again on its new connection.
    const tracked = (await admin.client('LIST')) as string;
    for (const line of tracked.split('\n')) if (/ flags=\S*t/.test(line)) await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]);
    await until('tracking off', () => !store.nearCacheActive, 2000);
    await until('tracking on again', () => store.nearCacheActive);
    assert.equal((await store.get(table, ['["e"]']))[0]?.eventTimeMicros, 200);
    await plain.put(table, [entry('["e"]', 300)]);
    await until('a write after the main reconnect seen', async () => (await store.get(table, ['["e"]']))[0]?.eventTimeMicros === 300);
  });

  it('stops keeping within two checks when the announcing connection goes silent without closing, and tracks again after', async () => {
    // A loopback proxy to Redis whose connections can be silenced: bytes held both ways, nothing
    // closed (a partition, a host gone), so no connection sees an error.
    const target = new URL(url);
    const pairs: { client: Socket; upstream: Socket; silent: boolean }[] = [];
    // Half-open allowed: a silent pair does not answer an end with its own either.
    const proxy = createServer({ allowHalfOpen: true }, (client) => {
      const upstream = connect({ port: Number(target.port), host: target.hostname, allowHalfOpen: true });
      const pair = { client, upstream, silent: false };
      pairs.push(pair);
      client.on('data', (d) => pair.silent || upstream.write(d));
      upstream.on('data', (d) => pair.silent || client.write(d));
      // A silent pair passes no close on either.
      const end = () => pair.silent || (client.destroy(), upstream.destroy());
      for (const s of [client, upstream]) s.on('close', end).on('error', end).on('end', end);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    const checkMs = 150;
    const proxied = new RedisOnlineStore({ mode: 'standalone', url: `redis://127.0.0.1:${port}` }, { nearCacheEntries: 100, nearCacheCheckMs: checkMs });
    try {
      await until('tracking on', () => proxied.nearCacheActive);
      await plain.put(table, [entry('["s"]', 100)]);
      assert.equal((await proxied.get(table, ['["s"]']))[0]?.eventTimeMicros, 100);
      // The announcing connection: subscribed (sub=1), reached from the proxy's upstream socket's port.
      const list = (await admin.client('LIST')) as string;
      const ports = list
        .split('\n')
        .filter((line) => / sub=1 /.test(line))
        .map((line) => Number(/ addr=[^ ]*:(\d+) /.exec(line)?.[1]));
      const announcing = pairs.filter((p) => !p.upstream.destroyed && ports.includes(p.upstream.localPort!));
      assert.equal(announcing.length, 1, 'the proxied announcing connection found');
      announcing[0].silent = true;
      const silencedAt = Date.now();
      // Announced to a connection that passes nothing on: without the check, 100 would be answered on.
      await plain.put(table, [entry('["s"]', 200)]);
      await until('the silent connection noticed and the write read', async () => (await proxied.get(table, ['["s"]']))[0]?.eventTimeMicros === 200, 3000);
      assert.ok(Date.now() - silencedAt < 2 * checkMs + 500, `noticed in ${Date.now() - silencedAt} ms`);
      await until('tracking on again (a new connection)', () => proxied.nearCacheActive);
      assert.equal((await proxied.get(table, ['["s"]']))[0]?.eventTimeMicros, 200);
      await plain.put(table, [entry('["s"]', 300)]);
      await until('a write after the reconnect seen', async () => (await proxied.get(table, ['["s"]']))[0]?.eventTimeMicros === 300);
    } finally {
      await proxied.close();
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      proxy.close();
    }
  });

  it('keeps at most its bound of entries', async () => {
    const small = await cached(3);
    try {
      const keys = ['["f1"]', '["f2"]', '["f3"]', '["f4"]', '["f5"]'];
      await plain.put(
        table,
        keys.map((k) => entry(k, 100)),
      );
      await small.get(table, keys);
      const before = await reads();
      await small.get(table, keys.slice(2));
      assert.equal((await reads()) - before, 0, 'the last three are kept');
      await small.get(table, keys.slice(0, 1));
      assert.equal((await reads()) - before, 1, 'the first was let go');
    } finally {
      await small.close();
    }
  });

  it('says when Redis refuses tracking, and then reads from Redis each time', async () => {
    const user = `nocache_${Date.now()}`;
    await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all', '-client');
    const u = new URL(url);
    u.username = user;
    u.password = 'secret';
    const refusals: string[] = [];
    const refused = new RedisOnlineStore({ mode: 'standalone', url: u.toString() }, { nearCacheEntries: 100, onNearCacheRefused: (m) => refusals.push(m) });
    try {
      await until('the refusal said', () => refusals.length > 0);
      assert.match(refusals[0], /NOPERM|permission/i);
      await plain.put(table, [entry('["h"]', 100)]);
      const before = await reads();
      for (let i = 0; i < 3; i++) assert.equal((await refused.get(table, ['["h"]']))[0]?.eventTimeMicros, 100);
      assert.equal(refused.nearCacheActive, false);
      assert.equal((await reads()) - before, 3);
    } finally {
      await refused.close();
      await admin.call('ACL', 'DELUSER', user);
    }
  });

  it('does not keep an answer a change overtook', async () => {
    const main = new Redis(url);
    const near = new RedisNearCache(main, 100);
    try {
      await until('tracking on', () => near.active);
      const e = entry('["g"]', 1);
      const p = 'fs:p/fs/v1:';
      const mark = near.begin([`${p}k1`, `${p}k2`]);
      near.forget(p, 'k1'); // changed while the read was on its way
      near.keep(p, 'k1', e, mark);
      near.keep(p, 'k2', e, mark);
      assert.equal(near.get(p, 'k1'), undefined, 'the overtaken answer was kept');
      assert.equal(near.get(p, 'k2'), e);
      const older = near.begin([`${p}k3`]);
      const newer = near.begin([`${p}k3`]);
      near.keep(p, 'k3', e, older);
      assert.equal(near.get(p, 'k3'), undefined, 'an older read of a key read again is not kept');
      near.keep(p, 'k3', e, newer);
      assert.equal(near.get(p, 'k3'), e);
      assert.equal(near.size, 2);
    } finally {
      await near.close();
      main.disconnect();
    }
  });
});
