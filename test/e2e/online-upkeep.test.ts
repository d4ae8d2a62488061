// The online store kept true: a revert reaches it (keys the reverted ingest touched get back the newest row of the
// ingests still visible or leave the store, while a row written online since stays), rows past their TTL
// are removed and a TTL change applies to stored rows. On Redis,
// Redis Cluster and PostgreSQL as online stores (the catalog is PGlite, in process).
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { valueToJson } from '../../cli/values.js';
import { Format, type Value } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { RowStatus } from '../../shared/gen/featurestore/v1/retrieve.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, projectWithFeatureSet, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';
import { eventually } from '../support/helpers.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with \`make test\` (it starts the servers)`);
  return v;
};

const backends: { name: string; url: () => Promise<{ url: string; done(): Promise<void> }> }[] = [
  { name: 'Redis', url: async () => ({ url: env('FEATURESTORE_TEST_REDIS_URL'), done: async () => {} }) },
  { name: 'Redis Cluster', url: async () => ({ url: env('FEATURESTORE_TEST_REDIS_CLUSTER_URL'), done: async () => {} }) },
  {
    name: 'PostgreSQL',
    url: async () => {
      const db = await freshDatabase();
      return { url: db.url, done: () => db.drop() };
    },
  },
];

for (const backend of backends) {
  describe(`online store upkeep: ${backend.name}`, () => {
    let host: RunningHost;
    let c: ReturnType<typeof clients>;
    let online: { url: string; done(): Promise<void> };
    const project = `rv_${Math.random().toString(36).slice(2, 8)}`;
    const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-revert-online-')));
    const ref = { project, name: 'users', version: '' };
    const str = (value: string): Value => ({ kind: { $case: 'stringValue', value } });

    before(async () => {
      online = await backend.url();
      host = await startTestHost(ALL_FUNCTIONS, {
        FEATURESTORE_FILE_ROOTS: data,
        FEATURESTORE_METADATA_URL: 'pglite:memory',
        FEATURESTORE_ONLINE_URL: online.url,
        FEATURESTORE_REGISTRY_MAX_AGE_MS: '0',
      });
      c = clients(host.port);
      await projectWithFeatureSet(c, project);
    });
    after(async () => {
      c?.close();
      await host?.stop();
      await online?.done();
    });

    const ingest = async (name: string, csv: string) => {
      const file = join(data, `${name}.csv`);
      writeFileSync(file, `id,ts,v\n${csv}`);
      const job = await unary(c.ingest, c.ingest.startIngest, {
        featureSet: ref,
        source: { uri: pathToFileURL(file).href, format: Format.FORMAT_CSV, options: {} },
        extraColumns: 0,
        requestId: '',
      });
      const done = await finishedJob(c, job.id);
      assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
      const history = await unary(c.ingest, c.ingest.listIngests, { featureSet: ref, pageSize: 0, pageToken: '' });
      return history.ingests.find((i) => i.jobId === job.id)!.id;
    };
    /** id -> "v@time" or MISSING, as served online. */
    const served = async (ids: string[]) => {
      const res = await unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref, keys: ids.map((id) => ({ values: [str(id)] })), features: ['v'] });
      return Object.fromEntries(
        res.rows.map((r, i) => [
          ids[i],
          r.status === RowStatus.ROW_STATUS_PRESENT
            ? `${String(valueToJson(r.values[0]))}@${new Date(Number(r.eventTime!.seconds) * 1000).toISOString().slice(11, 16)}`
            : 'MISSING',
        ]),
      );
    };
    const ids = ['k1', 'k2', 'k3', 'k5'];

    it('restores the newest visible row per key, removes keys only the ingest had, keeps rows written online since', async () => {
      await ingest('a', 'k1,2026-11-01T01:00:00Z,1\nk2,2026-11-01T01:00:00Z,1\n');
      const b = await ingest('b', 'k1,2026-11-01T02:00:00Z,2\nk2,2026-11-01T00:00:00Z,0\nk3,2026-11-01T02:00:00Z,3\nk5,2026-11-01T02:00:00Z,5\n');
      const before = { k1: '2@02:00', k2: '1@01:00', k3: '3@02:00', k5: '5@02:00' };
      await eventually(async () => JSON.stringify(await served(ids)) === JSON.stringify(before), 20_000, 'both ingests online');
      // Written online after the ingest, newer than its row: must survive the revert.
      const put = await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: ref,
        columns: ['id', 'ts', 'v'],
        rows: [
          {
            values: [
              str('k3'),
              { kind: { $case: 'timestampValue', value: timestampFromDate(new Date('2026-11-01T03:00:00Z')) } },
              { kind: { $case: 'int64Value', value: '33' } },
            ],
          },
        ],
      });
      assert.equal(put.accepted, 1);

      const job = await unary(c.ingest, c.ingest.revertIngest, { featureSet: ref, ingestId: b });
      assert.equal((await finishedJob(c, job.id)).state, JobState.JOB_STATE_SUCCEEDED);
      const after = { k1: '1@01:00', k2: '1@01:00', k3: '33@03:00', k5: 'MISSING' };
      await eventually(async () => JSON.stringify(await served(ids)) === JSON.stringify(after), 20_000, 'the revert online');
      assert.deepEqual(await served(ids), after);
    });

    it('drops online rows past their TTL, and follows a TTL change', async () => {
      const stamp = (hoursAgo: number) => ({
        kind: { $case: 'timestampValue' as const, value: timestampFromDate(new Date(Date.now() - hoursAgo * 3_600_000)) },
      });
      const set = (ttlSeconds: number) =>
        unary(c.featureSets, c.featureSets.updateFeatureSet, {
          project,
          name: 'users',
          tags: {},
          replaceTags: false,
          ttl: { seconds: String(ttlSeconds), nanos: 0 },
          clearTtl: false,
          features: [],
          etag: '',
        });
      const status = async (id: string) => {
        const res = await unary(c.retrieve, c.retrieve.retrieveOnline, { featureSet: ref, keys: [{ values: [str(id)] }], features: ['v'] });
        return RowStatus[res.rows[0].status];
      };
      const sweep = () => host.deps.onlineStore().then((o) => o.sweepExpired(Date.now() * 1000));
      await set(7200); // kept online until 2 TTLs (at least an hour more) after the event time
      const put = await unary(c.ingest, c.ingest.ingestOnline, {
        featureSet: ref,
        columns: ['id', 'ts', 'v'],
        rows: [
          { values: [str('fresh'), stamp(1.5), { kind: { $case: 'int64Value', value: '1' } }] },
          { values: [str('stale'), stamp(5), { kind: { $case: 'int64Value', value: '2' } }] },
        ],
      });
      assert.equal(put.accepted, 2);
      await sweep();
      assert.deepEqual(
        [await status('fresh'), await status('stale')],
        ['ROW_STATUS_PRESENT', 'ROW_STATUS_MISSING'],
        'past TTL + margin the row is gone, not just hidden',
      );
      // A shorter TTL: 1.5 h old is now past 60 s + the one-hour margin, so the row goes.
      await set(60);
      await eventually(async () => (await sweep(), (await status('fresh')) === 'ROW_STATUS_MISSING'), 20_000, 'the shorter TTL applied to stored rows');
    });
  });
}
