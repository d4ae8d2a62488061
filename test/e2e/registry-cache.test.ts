// The online path's cached feature set definitions follow catalog changes as they commit
// (LISTEN/NOTIFY), with the age bound set to an hour so only the event can explain a prompt change:
// a TTL change and a delete are seen by the next reads, on PGlite and on a PostgreSQL server; on
// PostgreSQL a lost listener connection drops the cache and reconnects.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import pg from 'pg';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType } from '../../shared/gen/featurestore/v1/common.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';
import { pause } from '../../shared/core/waiting.js';
import { eventually, feature, str, ts } from '../support/helpers.js';

const catalogs = [
  { name: 'PGlite (embedded)', open: async () => ({ url: 'pglite:memory', drop: async () => {} }) },
  { name: 'PostgreSQL server', open: () => freshDatabase() },
];

for (const catalog of catalogs) {
  describe(`registry cache invalidation: ${catalog.name}`, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    let db: { url: string; drop(): Promise<void> };
    const fs = { project: 'reg', name: 'users', version: '' };
    const read = () => unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: fs, keys: [{ values: [str('u1')] }], features: [] });
    const setTtl = (hours: number) =>
      unary(c.featureSets, c.featureSets.updateFeatureSet, {
        project: 'reg',
        name: 'users',
        tags: {},
        replaceTags: false,
        ttl: { seconds: String(hours * 3600), nanos: 0 },
        clearTtl: false,
        features: [],
        etag: '',
      });
    /** How long until a read shows `want` (fails after 15 s, on a loaded machine; without invalidation it would take the hour). */
    async function seenWithin(want: RowStatus): Promise<number> {
      const started = performance.now();
      await eventually(async () => (await read()).rows[0].status === want, 15_000, `status ${RowStatus[want]}`);
      return performance.now() - started;
    }

    before(async () => {
      db = await catalog.open();
      host = await startTestHost(ALL_FUNCTIONS, {
        FEATURESTORE_METADATA_URL: db.url,
        FEATURESTORE_REGISTRY_MAX_AGE_MS: String(3600_000),
        FEATURESTORE_SYNC_INTERVAL_SECONDS: '0',
      });
      c = clients(host.port);
      await unary(c.projects, c.projects.createProject, { name: 'reg', description: '', tags: {} });
      await unary(c.featureSets, c.featureSets.registerFeatureSet, {
        project: 'reg',
        name: 'users',
        schema: {
          features: [feature('id', DataType.DATA_TYPE_STRING), feature('at', DataType.DATA_TYPE_TIMESTAMP), feature('x', DataType.DATA_TYPE_STRING)],
          primaryKey: ['id'],
          eventTimeColumn: 'at',
        },
        description: '',
        tags: {},
        ttl: { seconds: '3600', nanos: 0 },
        owner: '',
      });
      await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: fs,
        columns: ['id', 'at', 'x'],
        rows: [{ values: [str('u1'), ts(new Date(Date.now() - 2 * 3600_000)), str('v')] }],
      });
    });
    after(async () => {
      c.close();
      await host.stop();
      await db.drop();
    });

    it('sees a TTL change and a delete at once, though cached entries may live an hour', async () => {
      assert.equal((await read()).rows[0].status, RowStatus.ROW_STATUS_EXPIRED); // cached now, TTL 1 h
      await setTtl(24);
      const ms = await seenWithin(RowStatus.ROW_STATUS_PRESENT);
      assert.ok(ms < 15_000);
      await setTtl(1);
      await seenWithin(RowStatus.ROW_STATUS_EXPIRED);

      if (catalog.name.startsWith('PostgreSQL')) {
        // The listener's connection dies: the cache is dropped and the listener comes back. A read
        // and a change made while it is away (its NOTIFY goes nowhere) must not leave the cache
        // stale once it is back, and later changes still arrive.
        const admin = new pg.Client({ connectionString: db.url });
        await admin.connect();
        const listeners = async () =>
          (
            await admin.query<{ pid: number; query: string }>(
              `SELECT pid, query FROM pg_stat_activity WHERE application_name = 'featurestore-listen-featurestore_catalog' AND datname = current_database()`,
            )
          ).rows;
        const [old] = await listeners();
        assert.ok(old, 'one listener connection');
        await admin.query('SELECT pg_terminate_backend($1)', [old.pid]);
        for (let i = 0; i < 200 && (await listeners()).some((l) => l.pid === old.pid); i++) await pause(5);
        // Inside the reconnect backoff (250 ms): the read re-caches the TTL of 1 h, the change is unannounced.
        assert.equal((await read()).rows[0].status, RowStatus.ROW_STATUS_EXPIRED);
        await setTtl(24);
        await eventually(async () => (await listeners()).some((l) => l.pid !== old.pid && l.query.startsWith('LISTEN')), 5000, 'the listener to reconnect');
        await seenWithin(RowStatus.ROW_STATUS_PRESENT);
        await setTtl(1);
        await seenWithin(RowStatus.ROW_STATUS_EXPIRED);
        await admin.end();
      }

      await unary(c.featureSets, c.featureSets.deleteFeatureSet, { project: 'reg', name: 'users', etag: '' });
      await eventually(
        async () =>
          read().then(
            () => false,
            (err: { code?: number }) => err.code === status.NOT_FOUND,
          ),
        5000,
        'NOT_FOUND after the delete',
      );
      await rejectsWith(read(), status.NOT_FOUND, 'feature_set');
    });
  });
}
