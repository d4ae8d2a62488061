// Online ingest and reads through gRPC, on the embedded default (the catalog's PGlite) and on Redis:
// per-row errors with the valid rows landing, newest event time wins, TTL status, composite keys,
// feature subsets, and the limits.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType, type Value } from '../../shared/gen/featurestore/v1/common.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { clients, finishedJob, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { ONLINE_BACKENDS } from '../support/online-backends.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import { f64, feature, i32, i64, str, ts } from '../support/helpers.js';

const list = (...values: Value[]): Value => ({ kind: { $case: 'listValue', value: { values } } });
const NULL: Value = { kind: undefined };

for (const backend of ONLINE_BACKENDS) {
  describe(`online ingest and reads: ${backend.name}`, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    const project = `on_${Math.random().toString(36).slice(2, 8)}`;
    const ref = (name = 'users') => ({ project, name, version: '' });
    const columns = ['user_id', 'region', 'at', 'score', 'visits', 'tags'];
    const put = (rows: Value[][], cols = columns, name = 'users') =>
      unary(c.ingest, c.ingest.ingestOnline, { featureSet: ref(name), columns: cols, rows: rows.map((values) => ({ values })) });
    const get = (keys: Value[][], features: string[] = [], name = 'users') =>
      unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref(name), keys: keys.map((values) => ({ values })), features });
    const now = new Date();
    const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);

    const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-online-data-')));
    before(async () => {
      host = await startTestHost(ALL_FUNCTIONS, {
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_METADATA_URL: 'pglite:memory',
        FEATURESTORE_ONLINE_MAX_KEYS: '50',
        FEATURESTORE_ONLINE_MAX_ROWS: '100',
        FEATURESTORE_ONLINE_MAX_ROW_BYTES: '300',
        FEATURESTORE_REGISTRY_MAX_AGE_MS: '0',
        ...backend.env(),
      });
      c = clients(host.port);
      await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
      await unary(c.featureSets, c.featureSets.registerFeatureSet, {
        project,
        name: 'users',
        schema: {
          features: [
            feature('user_id', DataType.DATA_TYPE_STRING),
            feature('region', DataType.DATA_TYPE_INT32),
            feature('at', DataType.DATA_TYPE_TIMESTAMP),
            feature('score', DataType.DATA_TYPE_FLOAT64),
            feature('visits', DataType.DATA_TYPE_INT64),
            feature('tags', DataType.DATA_TYPE_STRING, true),
          ],
          primaryKey: ['user_id', 'region'],
          eventTimeColumn: 'at',
        },
        description: '',
        tags: {},
        ttl: { seconds: String(24 * 3600), nanos: 0 },
        owner: '',
      });
    });
    after(async () => {
      c.close();
      await host.stop();
    });

    it('writes the valid rows and answers per-row errors for the others', async () => {
      const res = await put([
        [str('u1'), i32(1), ts(hoursAgo(2)), f64(0.5), i64('9007199254740993'), list(str('a'), str('b'))],
        [str('u2'), i32(1), ts(hoursAgo(1)), str('high'), i64('1'), NULL],
        [NULL, i32(1), ts(hoursAgo(1)), f64(1), i64('1'), NULL],
        [str('u3'), i32(2), ts(hoursAgo(1)), f64(2), i32(7), NULL],
        [str('u4'), i32(2)],
        [str('u5'), i32(2), ts(hoursAgo(1)), f64(2), i64('1'), list(str('x'.repeat(400)))],
      ]);
      assert.equal(res.accepted, 2);
      assert.deepEqual(
        res.errors.map((e) => [e.row, e.column, e.message.split(':')[0]]),
        [
          [1, 'score', 'must be a float64, not string'],
          [2, 'user_id', 'is null but is part of the primary key or the event time'],
          [4, '', 'has 2 values for 6 columns'],
          [5, '', res.errors[3].message.split(':')[0]],
        ],
      );
      assert.match(res.errors[3].message, /bytes stored; at most 300 are allowed/);
    });

    it('reads keys in order, all features or a subset, with MISSING for unknown keys', async () => {
      const all = await get([
        [str('u3'), i32(2)],
        [str('nobody'), i32(1)],
        [str('u1'), i32(1)],
      ]);
      assert.deepEqual(all.featureNames, ['score', 'visits', 'tags']);
      assert.deepEqual(
        all.rows.map((r) => r.status),
        [RowStatus.ROW_STATUS_PRESENT, RowStatus.ROW_STATUS_MISSING, RowStatus.ROW_STATUS_PRESENT],
      );
      assert.deepEqual(all.rows[0].values, [f64(2), i64('7'), NULL]);
      assert.deepEqual(all.rows[2].values, [f64(0.5), i64('9007199254740993'), list(str('a'), str('b'))]);
      assert.deepEqual(all.rows[2].eventTime, timestampFromDate(hoursAgo(2)));
      assert.deepEqual(all.rows[1].values, []);
      const subset = await get([[str('u1'), i32(1)]], ['tags']);
      assert.deepEqual([subset.featureNames, subset.rows[0].values], [['tags'], [list(str('a'), str('b'))]]);
    });

    it('keeps the newest event time per entity, and reports rows older than the TTL as EXPIRED', async () => {
      await put([[str('u1'), i32(1), ts(hoursAgo(3)), f64(99), i64('1'), NULL]]);
      assert.deepEqual((await get([[str('u1'), i32(1)]], ['score'])).rows[0].values, [f64(0.5)]);
      await put([[str('u1'), i32(1), ts(hoursAgo(0.5)), f64(1.5), i64('2'), NULL]]);
      assert.deepEqual((await get([[str('u1'), i32(1)]], ['score'])).rows[0].values, [f64(1.5)]);
      await put([[str('old'), i32(1), ts(hoursAgo(30)), f64(1), i64('1'), NULL]]);
      const old = (await get([[str('old'), i32(1)]])).rows[0];
      assert.deepEqual([old.status, old.values, old.eventTime], [RowStatus.ROW_STATUS_EXPIRED, [], timestampFromDate(hoursAgo(30))]);
    });

    it('copies the newest row per key of each committed offline ingest online, keeping newer online rows', async () => {
      const at = (h: number) => hoursAgo(h).toISOString();
      // u2 was written online more recently than anything the offline file holds for it.
      await put([[str('u2'), i32(9), ts(hoursAgo(1)), f64(42), i64('1'), NULL]]);
      const file = join(data, 'users.csv');
      writeFileSync(file, `user_id,region,at,score,visits\nu7,9,${at(5)},1.0,1\nu7,9,${at(3)},3.0,3\nu2,9,${at(4)},7.0,7\n`);
      const job = await unary(c.ingest, c.ingest.startIngest, {
        featureSet: ref(),
        source: { uri: pathToFileURL(file).href, format: 0, options: {} },
        extraColumns: 0,
        requestId: '',
      });
      assert.equal((await finishedJob(c, job.id)).state, JobState.JOB_STATE_SUCCEEDED);
      // The copy runs on the ingest.committed event, after the job ends: wait for it.
      let rows = (
        await get(
          [
            [str('u7'), i32(9)],
            [str('u2'), i32(9)],
          ],
          ['score', 'visits'],
        )
      ).rows;
      for (let i = 0; i < 100 && rows[0].status !== RowStatus.ROW_STATUS_PRESENT; i++) {
        await new Promise((r) => setTimeout(r, 100));
        rows = (
          await get(
            [
              [str('u7'), i32(9)],
              [str('u2'), i32(9)],
            ],
            ['score', 'visits'],
          )
        ).rows;
      }
      assert.deepEqual(rows[0].values, [f64(3), i64('3')]);
      assert.deepEqual(rows[0].eventTime, timestampFromDate(hoursAgo(3)));
      assert.deepEqual(rows[1].values, [f64(42), i64('1')]);

      // A materialize job for a range: u7's newest row inside [6h ago, 4h ago) is the 5h-old one; it
      // is older than what is online, so it is found but not written.
      const m = await unary(c.retrieve, c.retrieve.startMaterialize, {
        featureSet: ref(),
        startTime: timestampFromDate(hoursAgo(6)),
        endTime: timestampFromDate(hoursAgo(3.5)),
      });
      const done = await finishedJob(c, m.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const r = done.result?.$case === 'materializeResult' ? done.result.value : undefined;
      assert.deepEqual([r?.rows, r?.written], ['2', '0']);
      assert.deepEqual((await get([[str('u7'), i32(9)]], ['score'])).rows[0].values, [f64(3)]);
      await rejectsWith(
        unary(c.retrieve, c.retrieve.startMaterialize, {
          featureSet: ref(),
          startTime: timestampFromDate(hoursAgo(1)),
          endTime: timestampFromDate(hoursAgo(2)),
        }),
        status.INVALID_ARGUMENT,
        'end_time',
      );
    });

    it('refuses unknown feature sets and features, bad keys, and batches over the limits', async () => {
      await rejectsWith(get([[str('u1'), i32(1)]], [], 'nope'), status.NOT_FOUND, 'feature_set');
      await rejectsWith(get([[str('u1'), i32(1)]], ['nope']), status.NOT_FOUND, 'features[0]');
      await rejectsWith(get([[str('u1')]]), status.INVALID_ARGUMENT, 'keys[0]');
      await rejectsWith(get([[str('u1'), str('one')]]), status.INVALID_ARGUMENT, 'keys[0].values[1]');
      await rejectsWith(get(Array.from({ length: 51 }, () => [str('u1'), i32(1)])), status.RESOURCE_EXHAUSTED, 'keys');
      await rejectsWith(put(Array.from({ length: 101 }, () => [])), status.RESOURCE_EXHAUSTED, 'rows');
      const unknown = await put([[str('u9'), i32(1), ts(now), f64(1)]], ['user_id', 'region', 'at', 'bogus']);
      assert.deepEqual([unknown.accepted, unknown.errors.map((e) => e.column)], [0, ['bogus']]);
    });
  });
}
