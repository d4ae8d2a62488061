import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { describe, it } from 'node:test';
import { BoundedOnlineStore } from '../../shared/adapters/online/bounded-online-store.js';
import { parseOnlineUrl } from '../../shared/adapters/online/online-url.js';
import { RedisOnlineStore } from '../../shared/adapters/online/redis-online-store.js';
import { SqlOnlineStore } from '../../shared/adapters/online/sql-online-store.js';
import { PgSqlClient } from '../../shared/adapters/sql/pg-client.js';
import { PgliteSqlClient } from '../../shared/adapters/sql/pglite-client.js';
import { freshDatabase } from '../support/postgres.js';
import { onlineStoreContract } from './online-store.contract.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`make test\` (it starts Redis)`);
  return value;
}

const redis = (url: string) => {
  const location = parseOnlineUrl(url);
  if (location?.type !== 'redis') throw new Error(`not a Redis URL: ${url}`);
  return new RedisOnlineStore(location.redis);
};

describe('online stores', () => {
  onlineStoreContract(
    'Redis (standalone)',
    async () => {
      const store = redis(required('FEATURESTORE_TEST_REDIS_URL'));
      return { store, close: () => store.close() };
    },
    () => redis('redis://127.0.0.1:1'),
    { joins: true },
  );
  // The bound every function puts around its store (chunks, a queue), in small chunks so batches are cut.
  onlineStoreContract(
    'Redis (standalone) behind the bound, chunks of 100',
    async () => {
      const inner = redis(required('FEATURESTORE_TEST_REDIS_URL'));
      const store = new BoundedOnlineStore(inner, { concurrency: 2, chunk: 100 });
      return { store, close: () => store.close() };
    },
    undefined,
    { joins: true },
  );
  onlineStoreContract(
    'Redis (standalone, near cache)',
    async () => {
      const location = parseOnlineUrl(required('FEATURESTORE_TEST_REDIS_URL'));
      if (location?.type !== 'redis') throw new Error('not a Redis URL');
      const store = new RedisOnlineStore(location.redis, { nearCacheEntries: 10_000 });
      const deadline = Date.now() + 5000;
      while (!store.nearCacheActive) {
        if (Date.now() > deadline) throw new Error('the near cache never turned tracking on');
        await new Promise((r) => setTimeout(r, 10));
      }
      return { store, close: () => store.close() };
    },
    undefined,
    { joins: true },
  );
  it('Redis (standalone): batched newest-wins writes land after Redis lost its script cache', async () => {
    const url = required('FEATURESTORE_TEST_REDIS_URL');
    const store = redis(url);
    const admin = new Redis(url);
    try {
      const t = { project: `p_noscript_${Date.now()}`, featureSet: 'fs', major: 1 };
      const keys = Array.from({ length: 450 }, (_, i) => JSON.stringify([`ключ-${i}`])); // three script calls, UTF-8 keys
      const put = (at: (i: number) => number) =>
        store.put(
          t,
          keys.map((key, i) => ({ key, eventTimeMicros: at(i), value: Buffer.from([i % 256, 0x7c, 0]) })),
        );
      assert.ok((await put((i) => 1000 + i)).every(Boolean));
      await admin.script('FLUSH'); // as after a restart: EVALSHA answers NOSCRIPT
      const later = (i: number) => (i % 2 ? 2000 + i : 10 + i);
      assert.deepEqual(
        await put(later),
        keys.map((_, i) => i % 2 === 1),
        'older writes refused, newer ones written',
      );
      const got = await store.get(t, keys);
      assert.deepEqual(
        got.map((e) => e?.eventTimeMicros),
        keys.map((_, i) => (i % 2 ? 2000 + i : 1000 + i)),
      );
      assert.deepEqual([...got[7]!.value], [7, 0x7c, 0]);
      await store.drop(t);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });
  onlineStoreContract(
    'Redis Cluster (3 masters)',
    async () => {
      const store = redis(required('FEATURESTORE_TEST_REDIS_CLUSTER_URL'));
      return { store, close: () => store.close() };
    },
    () => redis('redis-cluster://127.0.0.1:1'),
  );
  onlineStoreContract(
    'PostgreSQL',
    async () => {
      const db = await freshDatabase();
      const sql = new PgSqlClient(db.url);
      return {
        store: new SqlOnlineStore(sql),
        async close() {
          await sql.close();
          await db.drop();
        },
      };
    },
    () => new SqlOnlineStore(new PgSqlClient('postgres://nobody@127.0.0.1:1/none')),
  );
  onlineStoreContract(
    'PGlite (embedded)',
    async () => {
      const sql = await PgliteSqlClient.open(undefined);
      return { store: new SqlOnlineStore(sql), close: () => sql.close() };
    },
    // PGlite runs in process: there is no server to be unreachable.
  );
});
