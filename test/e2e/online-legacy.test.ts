// Online entries of the legacy stored form (a JSON array of the values, before stored format 1)
// are still answered, whole and as a subset, beside entries of the current form; a newer write
// replaces them. On Redis the legacy value is written as the old release wrote it; on PostgreSQL
// the old table (features as text) is migrated to bytea in place when the store first opens it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType, type Value } from '../../shared/gen/featurestore/v1/common.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import { clients, registerFeatureSet, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';
import { f64, feature, i64, str, ts } from '../support/helpers.js';

const list = (...values: Value[]): Value => ({ kind: { $case: 'listValue', value: { values } } });
const seen = new Date('2026-11-30T12:00:00.000Z');
const at = new Date(Date.now() - 3600_000);
/** The legacy entry of key "old": [score, visits, tags, seen] as 0.x stored them (int64 as text, timestamps in µs). */
const LEGACY = JSON.stringify([0.25, '9007199254740993', ['x', 'y'], seen.getTime() * 1000]);

/** The old online_entries table (release 0.x: features as JSON text). */
const OLD_DDL = `
  CREATE TABLE online_entries (
    ns text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, event_time_us bigint NOT NULL, value text NOT NULL,
    expire_at_us bigint, PRIMARY KEY (ns, key))`;

const backends = [
  {
    name: 'Redis',
    async prepare(project: string) {
      const url = process.env['FEATURESTORE_TEST_REDIS_URL'];
      if (!url) throw new Error('FEATURESTORE_TEST_REDIS_URL is not set: run the tests with `make test` (it starts Redis)');
      const redis = new Redis(url);
      await redis.set(`fs:${project}/users/v1:["old"]`, `${at.getTime() * 1000}|${LEGACY}`);
      redis.disconnect();
      return { env: { FEATURESTORE_ONLINE_URL: url }, async done() {} };
    },
  },
  {
    name: 'PostgreSQL (old table migrated in place)',
    async prepare(project: string) {
      const db = await freshDatabase();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query(OLD_DDL);
      await client.query(`INSERT INTO online_entries (ns, key, event_time_us, value) VALUES ($1, '["old"]', $2, $3)`, [
        `${project}/users/v1`,
        String(at.getTime() * 1000),
        LEGACY,
      ]);
      await client.end();
      return {
        env: { FEATURESTORE_ONLINE_URL: db.url },
        async done() {
          const c = new pg.Client({ connectionString: db.url });
          await c.connect();
          const { rows } = await c.query(`SELECT data_type FROM information_schema.columns WHERE table_name = 'online_entries' AND column_name = 'value'`);
          await c.end();
          await db.drop();
          return rows[0]?.data_type as string;
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`online entries of the legacy stored form: ${backend.name}`, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    let prepared: Awaited<ReturnType<(typeof backends)[number]['prepare']>>;
    const project = `leg_${Math.random().toString(36).slice(2, 8)}`;
    const ref = { project, name: 'users', version: '' };
    const get = (keys: string[], features: string[] = []) =>
      unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref, keys: keys.map((k) => ({ values: [str(k)] })), features });

    before(async () => {
      prepared = await backend.prepare(project);
      host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory', FEATURESTORE_REGISTRY_MAX_AGE_MS: '0', ...prepared.env });
      c = clients(host.port);
      await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
      await registerFeatureSet(c, project, 'users', {
        features: [
          feature('user_id', DataType.DATA_TYPE_STRING),
          feature('at', DataType.DATA_TYPE_TIMESTAMP),
          feature('score', DataType.DATA_TYPE_FLOAT64),
          feature('visits', DataType.DATA_TYPE_INT64),
          feature('tags', DataType.DATA_TYPE_STRING, true),
          feature('seen', DataType.DATA_TYPE_TIMESTAMP),
        ],
        primaryKey: ['user_id'],
        eventTimeColumn: 'at',
      });
      await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: ref,
        columns: ['user_id', 'at', 'score', 'visits', 'tags', 'seen'],
        rows: [{ values: [str('new'), ts(at), f64(1.5), i64('-3'), list(str('z')), ts(seen)] }],
      });
    });
    after(async () => {
      c.close();
      await host.stop();
      const type = await prepared.done();
      if (type !== undefined) assert.equal(type, 'bytea', 'the old text table was migrated');
    });

    it('answers a legacy entry beside a current one, whole and as a subset, with the same values a current entry would hold', async () => {
      const whole = await get(['old', 'new', 'absent']);
      assert.deepEqual(
        whole.rows.map((r) => r.status),
        [RowStatus.ROW_STATUS_PRESENT, RowStatus.ROW_STATUS_PRESENT, RowStatus.ROW_STATUS_MISSING],
      );
      assert.deepEqual(whole.rows[0].values, [f64(0.25), i64('9007199254740993'), list(str('x'), str('y')), ts(seen)]);
      assert.deepEqual(whole.rows[1].values, [f64(1.5), i64('-3'), list(str('z')), ts(seen)]);
      assert.deepEqual(whole.rows[0].eventTime, timestampFromDate(at));
      const subset = await get(['old', 'new'], ['seen', 'score']);
      assert.deepEqual(
        subset.rows.map((r) => r.values),
        [
          [ts(seen), f64(0.25)],
          [ts(seen), f64(1.5)],
        ],
      );
    });

    it('replaces a legacy entry with a newer write in the current form', async () => {
      const later = new Date(at.getTime() + 1000);
      await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: ref,
        columns: ['user_id', 'at', 'score'],
        rows: [{ values: [str('old'), ts(later), f64(9)] }],
      });
      const res = await get(['old']);
      assert.deepEqual(res.rows[0].values, [f64(9), { kind: undefined }, { kind: undefined }, { kind: undefined }]);
      assert.deepEqual(res.rows[0].eventTime, timestampFromDate(later));
    });
  });
}
