// Personal access tokens kept in memory on the request path (CachedTokenStore) over the real catalog
// (PGlite): one catalog read per token while it is kept, a revoke seen at once by the process that made
// it and by NOTIFY in another, a read racing a revoke not kept, uses recorded at most once a minute.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CachedTokenStore } from '../../shared/adapters/metadata/cached-token-store.js';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import { SqlChangeFeed } from '../../shared/adapters/metadata/sql-change-feed.js';
import type { TokenStore } from '../../shared/core/ports/token-store.js';
import { newTokenSecret, type StoredToken } from '../../shared/core/tokens.js';
import type { MetadataStore } from '../../shared/core/ports/metadata-store.js';
import type { SqlClient } from '../../shared/adapters/sql/sql-client.js';

const alice = { id: 'alice', name: 'Alice', email: '', admin: false };

/** The catalog's token store, counting its lookups and touches. */
function counted(inner: TokenStore) {
  const calls = { byLookup: 0, touch: 0 };
  const store: TokenStore = {
    create: (...a) => inner.create(...a),
    list: (...a) => inner.list(...a),
    revoke: (...a) => inner.revoke(...a),
    byLookup: (...a) => (calls.byLookup++, inner.byLookup(...a)),
    touch: (...a) => (calls.touch++, inner.touch(...a)),
  };
  return { store, calls };
}

describe('personal access tokens kept in memory (CachedTokenStore, PGlite)', () => {
  let catalog: { store: MetadataStore; tokens: TokenStore; sql: SqlClient };
  before(async () => {
    catalog = await openMetadataStore({ type: 'pglite', dataDir: undefined });
  });
  after(() => catalog.store.close());

  const created = async (store: TokenStore): Promise<StoredToken> => {
    const { lookup, hash } = newTokenSecret();
    return store.create({ lookup, hash, name: 'model server', principal: alice, expireTime: new Date(Date.now() + 3_600_000) });
  };

  it('reads a token from the catalog once while it is kept, again after its age', async () => {
    let clock = 0;
    const { store, calls } = counted(catalog.tokens);
    const cache = new CachedTokenStore(store, { maxAgeMs: 1000, now: () => clock });
    const t = await created(cache);
    for (let i = 0; i < 5; i++) assert.equal((await cache.byLookup(t.lookup))?.id, t.id);
    assert.equal(calls.byLookup, 1);
    clock += 1000;
    await cache.byLookup(t.lookup);
    assert.equal(calls.byLookup, 2, 'read again once its age passed');
    assert.equal(await cache.byLookup('000000000000'), undefined);
    assert.equal(await cache.byLookup('000000000000'), undefined);
    assert.equal(calls.byLookup, 4, 'an unknown lookup is not kept (a token created since works at once)');
  });

  it('a revoke is seen at once by the process that made it, and by NOTIFY in another', async () => {
    const here = new CachedTokenStore(catalog.tokens, { maxAgeMs: 3_600_000 });
    const there = new CachedTokenStore(catalog.tokens, { maxAgeMs: 3_600_000 });
    const feed = await new SqlChangeFeed(catalog.sql).subscribe({ revokeToken: (lookup) => there.invalidate(lookup), clear: () => there.clear() });
    try {
      const t = await created(here);
      assert.equal((await here.byLookup(t.lookup))?.revokeTime, undefined);
      assert.equal((await there.byLookup(t.lookup))?.revokeTime, undefined);
      assert.equal(await here.revoke(t.id, alice.id), true);
      assert.ok((await here.byLookup(t.lookup))?.revokeTime, 'the revoking process reads it revoked at once');
      const deadline = Date.now() + 5000;
      while (!(await there.byLookup(t.lookup))?.revokeTime) {
        assert.ok(Date.now() < deadline, 'the other process never heard of the revoke');
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(await here.revoke(t.id, alice.id), false, 'a second revoke finds nothing to revoke');
    } finally {
      await feed.close();
    }
  });

  it('does not keep a read that a revoke overtook', async () => {
    const t = await created(catalog.tokens);
    const unrevoked = await catalog.tokens.byLookup(t.lookup); // the row as a read begun before the revoke sees it
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reads = 0;
    const { store } = counted(catalog.tokens);
    const racing = new CachedTokenStore(
      { ...store, byLookup: async (...a) => (++reads === 1 ? (await gate, unrevoked) : catalog.tokens.byLookup(...a)) },
      { maxAgeMs: 3_600_000 },
    );
    const read = racing.byLookup(t.lookup);
    await catalog.tokens.revoke(t.id, alice.id);
    racing.invalidate(t.lookup); // its NOTIFY arrives while the read is out
    release();
    assert.equal((await read)?.revokeTime, undefined, 'the overtaken read answers what it read');
    assert.ok((await racing.byLookup(t.lookup))?.revokeTime, 'but it was not kept: the next call reads the revoke');
    assert.equal(reads, 2);
  });

  it('records a use at most once a minute per token', async () => {
    let clock = 0;
    const { store, calls } = counted(catalog.tokens);
    const cache = new CachedTokenStore(store, { maxAgeMs: 1000, now: () => clock });
    const t = await created(cache);
    for (let i = 0; i < 10; i++) await cache.touch(t.id);
    assert.equal(calls.touch, 1);
    clock += 60_000;
    await cache.touch(t.id);
    assert.equal(calls.touch, 2);
  });
});
