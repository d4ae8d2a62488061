// Feature views end to end: registered, versioned, listed and deleted like feature sets, checked
// against the catalog (sets pinned to a major, features expanded, key mapping typed), and read
// online through RetrieveOnline in one call with each feature set's status, on the embedded
// default (PGlite) and on Redis. Training sets with a view: test/e2e/training-set.test.ts.
import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType, type Value } from '../../shared/gen/featurestore/v1/common.js';
import type { FeatureViewSource } from '../../shared/gen/featurestore/v1/feature_view.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import { clients, registerFeatureSet, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { ONLINE_BACKENDS } from '../support/online-backends.js';
import { eventually, f64, feature, i32, i64, str, ts } from '../support/helpers.js';

const { ROW_STATUS_PRESENT: P, ROW_STATUS_MISSING: M, ROW_STATUS_EXPIRED: E, ROW_STATUS_PARTIAL } = RowStatus;
const NULL: Value = { kind: undefined };

for (const backend of ONLINE_BACKENDS) {
  describe(`feature views: ${backend.name}`, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    const project = `fv_${Math.random().toString(36).slice(2, 8)}`;
    const now = new Date();
    const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
    const source = (featureSet: string, features: string[] = [], keyColumns: string[] = []): FeatureViewSource => ({
      featureSet: `${project}/${featureSet}`,
      features,
      keyColumns,
    });
    const register = (name: string, sources: FeatureViewSource[]) =>
      unary(c.featureViews, c.featureViews.registerFeatureView, { project, name, sources, description: '', tags: {}, owner: '' });
    const read = (name: string, keys: Value[][], version = '') =>
      unary(c.retrieve, c.retrieve.retrieveOnline, { featureView: { project, name, version }, keys: keys.map((values) => ({ values })), features: [] });
    const put = (featureSet: string, columns: string[], rows: Value[][]) =>
      unary(c.ingest, c.ingest.ingestOnline, { featureSet: { project, name: featureSet, version: '' }, columns, rows: rows.map((values) => ({ values })) });

    before(async () => {
      const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-views-data-')));
      host = await startTestHost(ALL_FUNCTIONS, {
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_METADATA_URL: 'pglite:memory',
        // Ten minutes: a changed view must reach the online path by NOTIFY, not by expiry.
        FEATURESTORE_REGISTRY_MAX_AGE_MS: '600000',
        ...backend.env(),
      });
      c = clients(host.port);
      await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
      const at = feature('at', DataType.DATA_TYPE_TIMESTAMP);
      await registerFeatureSet(
        c,
        project,
        'users',
        {
          features: [feature('user_id', DataType.DATA_TYPE_STRING), at, feature('age', DataType.DATA_TYPE_INT32), feature('score', DataType.DATA_TYPE_FLOAT64)],
          primaryKey: ['user_id'],
          eventTimeColumn: 'at',
        },
        { ttl: { seconds: String(24 * 3600), nanos: 0 } },
      );
      await registerFeatureSet(c, project, 'orders', {
        features: [
          feature('customer_id', DataType.DATA_TYPE_STRING),
          at,
          feature('total', DataType.DATA_TYPE_FLOAT64),
          feature('score', DataType.DATA_TYPE_FLOAT64),
          feature('count', DataType.DATA_TYPE_INT64),
        ],
        primaryKey: ['customer_id'],
        eventTimeColumn: 'at',
      });
      await registerFeatureSet(c, project, 'items', {
        features: [
          feature('user_id', DataType.DATA_TYPE_STRING),
          feature('item_id', DataType.DATA_TYPE_INT64),
          at,
          feature('clicks', DataType.DATA_TYPE_INT32),
        ],
        primaryKey: ['user_id', 'item_id'],
        eventTimeColumn: 'at',
      });
      await put(
        'users',
        ['user_id', 'at', 'age', 'score'],
        [
          [str('u1'), ts(hoursAgo(1)), i32(30), f64(0.5)],
          [str('u2'), ts(hoursAgo(2)), i32(40), f64(0.25)],
          [str('u3'), ts(hoursAgo(30)), i32(50), f64(0.75)],
        ],
      );
      await put('orders', ['customer_id', 'at', 'total', 'score', 'count'], [[str('u1'), ts(hoursAgo(3)), f64(99), f64(7), i64('4')]]);
      await put('items', ['user_id', 'item_id', 'at', 'clicks'], [[str('u1'), i64('5'), ts(hoursAgo(4)), i32(12)]]);
    });
    after(async () => {
      c.close();
      await host.stop();
    });

    it('registers a view: sets pinned to their major, features expanded, keys mapped onto entity columns, clashing names prefixed', async () => {
      const view = await register('model', [source('users'), source('orders', ['total', 'score'], ['user_id']), source('items')]);
      assert.equal(view.version, 1);
      assert.equal(view.etag, '1');
      assert.deepEqual(view.entityColumns, ['user_id', 'item_id']);
      assert.deepEqual(
        view.sources.map((s) => [s.featureSet, s.features, s.keyColumns]),
        [
          [`${project}/users:1`, ['age', 'score'], ['user_id']],
          [`${project}/orders:1`, ['total', 'score'], ['user_id']],
          [`${project}/items:1`, ['clicks'], ['user_id', 'item_id']],
        ],
      );
      assert.deepEqual(view.featureNames, ['age', 'users__score', 'total', 'orders__score', 'clicks']);
      assert.deepEqual(await unary(c.featureViews, c.featureViews.getFeatureView, { project, name: 'model', version: '' }), view);
      const listed = await unary(c.featureViews, c.featureViews.listFeatureViews, { project, namePrefix: 'mo', tags: {}, pageSize: 0, pageToken: '' });
      assert.deepEqual(
        listed.featureViews.map((v) => v.name),
        ['model'],
      );
      await rejectsWith(register('model', [source('users')]), status.ALREADY_EXISTS, 'name');
    });

    it('refuses a bad definition with the field at fault, and keeps nothing of it', async () => {
      await rejectsWith(register('bad', []), status.INVALID_ARGUMENT, 'sources');
      await rejectsWith(register('bad', [source('nope')]), status.NOT_FOUND, 'sources[0].feature_set');
      await rejectsWith(register('bad', [{ featureSet: 'no slash', features: [], keyColumns: [] }]), status.INVALID_ARGUMENT, 'sources[0].feature_set');
      await rejectsWith(register('bad', [{ featureSet: `${project}/users:9`, features: [], keyColumns: [] }]), status.NOT_FOUND, 'sources[0].feature_set');
      await rejectsWith(register('bad', [source('users', ['user_id'])]), status.INVALID_ARGUMENT, 'sources[0].features[0]', /key or event time/);
      await rejectsWith(register('bad', [source('users', ['nope'])]), status.NOT_FOUND, 'sources[0].features[0]');
      await rejectsWith(register('bad', [source('users'), source('users')]), status.INVALID_ARGUMENT, 'sources[1].feature_set');
      await rejectsWith(register('bad', [source('items'), source('orders', [], ['user_id', 'x'])]), status.INVALID_ARGUMENT, 'sources[1].key_columns');
      // orders' STRING key mapped onto items' INT64 item_id.
      await rejectsWith(register('bad', [source('items'), source('orders', [], ['item_id'])]), status.INVALID_ARGUMENT, 'sources[1].key_columns[0]', /INT64/);
      await rejectsWith(unary(c.featureViews, c.featureViews.getFeatureView, { project, name: 'bad', version: '' }), status.NOT_FOUND, 'name');
    });

    it('reads every set of the view in one call: one row per key, each set’s status, nulls for sets without the entity', async () => {
      const answer = await read('model', [
        [str('u1'), i64('5')],
        [str('u2'), i64('5')],
        [str('u3'), i64('1')],
        [str('u9'), i64('1')],
      ]);
      assert.deepEqual(answer.featureNames, ['age', 'users__score', 'total', 'orders__score', 'clicks']);
      assert.deepEqual(answer.featureSets, [`${project}/users:1`, `${project}/orders:1`, `${project}/items:1`]);
      assert.deepEqual(
        answer.rows.map((r) => [r.status, r.setStatuses]),
        [
          [P, [P, P, P]],
          [ROW_STATUS_PARTIAL, [P, M, M]],
          [ROW_STATUS_PARTIAL, [E, M, M]],
          [M, [M, M, M]],
        ],
      );
      assert.deepEqual(answer.rows[0].values, [i32(30), f64(0.5), f64(99), f64(7), i32(12)]);
      // The oldest event time of the present sets: items, 4 hours ago.
      assert.deepEqual(answer.rows[0].eventTime, timestampFromDate(new Date(Math.floor(hoursAgo(4).getTime()))));
      assert.deepEqual(answer.rows[1].values, [i32(40), f64(0.25), NULL, NULL, NULL]);
      assert.deepEqual(answer.rows[2].values, [NULL, NULL, NULL, NULL, NULL], 'an expired set gives nulls');
      assert.deepEqual(answer.rows[3].values, []);
    });

    it('checks the request: one of feature_set or feature_view, no feature list, keys of the view’s entity columns', async () => {
      const keys = [{ values: [str('u1'), i64('5')] }];
      await rejectsWith(
        unary(c.retrieve, c.retrieve.retrieveOnline, {
          featureSet: { project, name: 'users', version: '' },
          featureView: { project, name: 'model', version: '' },
          keys,
          features: [],
        }),
        status.INVALID_ARGUMENT,
        'feature_view',
      );
      await rejectsWith(
        unary(c.retrieve, c.retrieve.retrieveOnline, { featureView: { project, name: 'model', version: '' }, keys, features: ['age'] }),
        status.INVALID_ARGUMENT,
        'features',
      );
      await rejectsWith(read('model', [[str('u1')]]), status.INVALID_ARGUMENT, 'keys[0]', /user_id, item_id/);
      await rejectsWith(read('model', [[str('u1'), str('five')]]), status.INVALID_ARGUMENT, 'keys[0].values[1]');
      await rejectsWith(read('nope', [[str('u1'), i64('5')]]), status.NOT_FOUND, 'feature_view');
      await rejectsWith(read('model', [[str('u1'), i64('5')]], '9'), status.NOT_FOUND, 'feature_view');
      await rejectsWith(read('model', [[str('u1'), i64('5')]], 'x'), status.INVALID_ARGUMENT, 'feature_view.version');
    });

    it('versions a view: an update makes the next version, readers of the latest see it at once, old versions stay readable', async () => {
      const before = await read('model', [[str('u1'), i64('5')]]);
      assert.equal(before.featureSets.length, 3);
      await rejectsWith(
        unary(c.featureViews, c.featureViews.updateFeatureView, {
          project,
          name: 'model',
          sources: [source('users', ['age'])],
          tags: {},
          replaceTags: false,
          etag: '7',
        }),
        status.ABORTED,
        'etag',
      );
      const v2 = await unary(c.featureViews, c.featureViews.updateFeatureView, {
        project,
        name: 'model',
        sources: [source('users', ['age']), source('orders', ['total'], ['user_id'])],
        description: 'age and spend',
        tags: { team: 'risk' },
        replaceTags: false,
        etag: '1',
      });
      assert.equal(v2.version, 2);
      assert.deepEqual(v2.featureNames, ['age', 'total']);
      assert.deepEqual(v2.entityColumns, ['user_id']);
      // Cached for ten minutes, yet the change is seen within moments (NOTIFY).
      const after = await eventually(
        async () => {
          const a = await read('model', [[str('u1')]]).catch(() => undefined);
          return a?.featureSets.length === 2 && a;
        },
        10_000,
        'the new version online',
      );
      assert.deepEqual(after.rows[0].values, [i32(30), f64(99)]);
      assert.equal((await read('model', [[str('u1'), i64('5')]], '1')).featureSets.length, 3, 'version 1 is still readable');
      const versions = await unary(c.featureViews, c.featureViews.listFeatureViewVersions, { project, name: 'model', pageSize: 1, pageToken: '' });
      assert.deepEqual(
        versions.versions.map((v) => v.version),
        [2],
      );
      const rest = await unary(c.featureViews, c.featureViews.listFeatureViewVersions, {
        project,
        name: 'model',
        pageSize: 1,
        pageToken: versions.nextPageToken,
      });
      assert.deepEqual(
        rest.versions.map((v) => v.version),
        [1],
      );
      const tagged = await unary(c.featureViews, c.featureViews.listFeatureViews, { project, namePrefix: '', tags: { team: '' }, pageSize: 0, pageToken: '' });
      assert.deepEqual(
        tagged.featureViews.map((v) => [v.name, v.version]),
        [['model', 2]],
      );
    });

    it('reads a view of sets keyed alike as the sets answer, from one joined entry per entity where the store keeps them (Redis)', async () => {
      // orders' customer_id fills the view's user_id: both sets are keyed by one STRING column.
      await register('pair', [source('users'), source('orders', [], ['user_id'])]);
      const redisUrl = backend.name.startsWith('Redis') ? process.env['FEATURESTORE_TEST_REDIS_URL'] : undefined;
      const admin = redisUrl ? new Redis(redisUrl) : undefined;
      try {
        let rows = '';
        if (admin) {
          // offline-to-online heard of the view and joined its sets, entries already online included.
          const name = await eventually(
            async () => {
              for (const key of await admin.keys('fsj:def:*'))
                if ((await admin.get(key))?.includes(`fs:${project}/users/v1:`)) return key.slice('fsj:def:'.length);
              return undefined;
            },
            10_000,
            'the join of the view’s sets',
          );
          rows = `fsj:${name}:`;
          await eventually(async () => (await admin.keys(`${rows}*`)).length === 3, 10_000, 'a joined entry for u1, u2 and u3');
        }
        const keys = [[str('u1')], [str('u2')], [str('u3')], [str('u9')]];
        let answer = await read('pair', keys);
        assert.deepEqual(answer.featureNames, ['age', 'users__score', 'total', 'orders__score', 'count']);
        assert.deepEqual(
          answer.rows.map((r) => [r.status, r.setStatuses]),
          [
            [P, [P, P]],
            [ROW_STATUS_PARTIAL, [P, M]],
            [ROW_STATUS_PARTIAL, [E, M]],
            [M, [M, M]],
          ],
        );
        assert.deepEqual(answer.rows[0].values, [i32(30), f64(0.5), f64(99), f64(7), i64('4')]);
        assert.deepEqual(answer.rows[0].eventTime, timestampFromDate(hoursAgo(3)), 'the oldest of the sets’ event times');
        assert.deepEqual(answer.rows[1].values, [i32(40), f64(0.25), NULL, NULL, NULL]);
        assert.deepEqual(answer.rows[2].values, [NULL, NULL, NULL, NULL, NULL]);
        // A write to one set after the join: the view reads it at once.
        await put('orders', ['customer_id', 'at', 'total', 'score', 'count'], [[str('u2'), ts(hoursAgo(1)), f64(5), f64(6), i64('7')]]);
        answer = await read('pair', keys);
        assert.deepEqual(
          answer.rows.map((r) => r.status),
          [P, P, ROW_STATUS_PARTIAL, M],
        );
        assert.deepEqual(answer.rows[1].values, [i32(40), f64(0.25), f64(5), f64(6), i64('7')]);
        if (admin) {
          // The read found u1 in its joined entry: with orders' own entry of u1 taken away behind the
          // store's back (no script ran, so the joined entry stayed), the view still answers it.
          assert.equal(await admin.del(...(await admin.keys(`fs:${project}/orders/v1:*`)).filter((k) => k.includes('u1'))), 1);
          answer = await read('pair', [[str('u1')]]);
          assert.deepEqual(answer.rows[0].values, [i32(30), f64(0.5), f64(99), f64(7), i64('4')]);
        }
      } finally {
        admin?.disconnect();
      }
    });

    it('a view whose feature set is gone answers FAILED_PRECONDITION; a deleted view is gone for readers at once', async () => {
      await register('temp', [source('items')]);
      assert.equal((await read('temp', [[str('u1'), i64('5')]])).rows[0].status, P);
      await unary(c.featureSets, c.featureSets.deleteFeatureSet, { project, name: 'items', etag: '' });
      await eventually(
        () =>
          read('temp', [[str('u1'), i64('5')]]).then(
            () => false,
            (e: { code: number }) => e.code === status.FAILED_PRECONDITION,
          ),
        10_000,
        'FAILED_PRECONDITION',
      );
      await rejectsWith(read('temp', [[str('u1'), i64('5')]]), status.FAILED_PRECONDITION, 'feature_view', /no longer exists; update the view/);
      await rejectsWith(unary(c.featureViews, c.featureViews.deleteFeatureView, { project, name: 'temp', etag: '2' }), status.ABORTED, 'etag');
      await unary(c.featureViews, c.featureViews.deleteFeatureView, { project, name: 'temp', etag: '1' });
      await eventually(
        () =>
          read('temp', [[str('u1'), i64('5')]]).then(
            () => false,
            (e: { code: number }) => e.code === status.NOT_FOUND,
          ),
        10_000,
        'NOT_FOUND',
      );
      await rejectsWith(unary(c.featureViews, c.featureViews.getFeatureView, { project, name: 'temp', version: '' }), status.NOT_FOUND, 'name');
    });
  });
}
