// online-to-offline in the embedded default: rows written online reach the offline store through
// the sync tick as one ingest per run, with every type's value intact, a retried write kept once,
// and each run holding only what the previous runs did not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType, type Value } from '../../shared/gen/featurestore/v1/common.js';
import { JobState, JobType } from '../../shared/gen/featurestore/v1/job.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { offlineRows } from '../support/offline-rows.js';
import { eventually, f64, feature, i64, str, ts } from '../support/helpers.js';

const date = (value: number): Value => ({ kind: { $case: 'dateValue', value } });
const bytes = (value: number[]): Value => ({ kind: { $case: 'bytesValue', value: Buffer.from(value) } });
const list = (...values: Value[]): Value => ({ kind: { $case: 'listValue', value: { values } } });
const NULL: Value = { kind: undefined };

describe('online-to-offline (embedded default)', () => {
  let host: RunningHost;
  let c: ReturnType<typeof clients>;
  const project = 'sync';
  const columns = ['id', 'at', 'day', 'n', 'blob', 'tags', 'score'];
  const put = (rows: Value[][]) =>
    unary(c.ingest, c.ingest.ingestOnline, { featureSet: { project, name: 'events', version: '' }, columns, rows: rows.map((values) => ({ values })) });
  const syncJobs = async () =>
    (await unary(c.jobs, c.jobs.listJobs, { project, type: JobType.JOB_TYPE_INGEST, state: 0, pageSize: 100, pageToken: '' })).jobs.filter(
      (j) => j.createdBy === 'system:online-to-offline',
    );

  before(async () => {
    host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory', FEATURESTORE_SYNC_INTERVAL_SECONDS: '0.2' });
    c = clients(host.port);
    await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
    await unary(c.featureSets, c.featureSets.registerFeatureSet, {
      project,
      name: 'events',
      schema: {
        features: [
          feature('id', DataType.DATA_TYPE_STRING),
          feature('at', DataType.DATA_TYPE_TIMESTAMP),
          feature('day', DataType.DATA_TYPE_DATE),
          feature('n', DataType.DATA_TYPE_INT64),
          feature('blob', DataType.DATA_TYPE_BYTES),
          feature('tags', DataType.DATA_TYPE_STRING, true),
          feature('score', DataType.DATA_TYPE_FLOAT64),
        ],
        primaryKey: ['id'],
        eventTimeColumn: 'at',
      },
      description: '',
      tags: {},
      ttl: undefined,
      owner: '',
    });
  });
  after(async () => {
    c.close();
    await host.stop();
  });

  it('lands every online row offline once, values intact, one ingest per run', async () => {
    const t1 = new Date('2026-11-20T10:00:00.123Z');
    const t0 = new Date('2026-11-19T10:00:00Z');
    const row1 = [str('a'), ts(t1), date(20_000), i64('9223372036854775807'), bytes([0, 255, 92, 120, 39]), list(str('x'), NULL, str('y,"z"')), f64(0.1)];
    // An older row for the same key: online keeps the newer one, the offline history keeps both.
    const row0 = [str('a'), ts(t0), NULL, i64('-5'), NULL, NULL, f64(-1e300)];
    const row2 = [str('b'), ts(t1), date(-1), NULL, bytes([]), list(), NULL];
    assert.equal((await put([row1, row0])).accepted, 2);
    // The same write again, as a client retrying after a timeout would: kept once offline.
    assert.equal((await put([row1, row2])).accepted, 2);

    const rows = await eventually(async () => {
      const r = await offlineRows(c, project, 'events', 'id, "at"', `* REPLACE (hex("blob") AS "blob")`);
      return r.length >= 3 && r;
    });
    assert.deepEqual(
      rows.map((r) => [r['id'], r['at'], r['day'], r['n'], r['blob'], r['tags'], r['score']]),
      [
        ['a', '2026-11-19 10:00:00+00', null, '-5', null, null, -1e300],
        ['a', '2026-11-20 10:00:00.123+00', '2024-10-04', '9223372036854775807', '00FF5C7827', ['x', null, 'y,"z"'], 0.1],
        ['b', '2026-11-20 10:00:00.123+00', '1969-12-31', null, '', [], null],
      ],
    );
    // The two writes may fall into one run or two (a tick can come between them): either way every
    // sync job succeeded, and the ingests hold the 3 distinct rows once (a repeat of a row already
    // stored counts as a skipped duplicate, never as a row).
    const ingests = async () =>
      (await unary(c.ingest, c.ingest.listIngests, { featureSet: { project, name: 'events', version: '' }, pageSize: 0, pageToken: '' })).ingests;
    const first = await eventually(async () => {
      const j = await syncJobs();
      return j.length > 0 && j.every((x) => x.state === JobState.JOB_STATE_SUCCEEDED) && j;
    });
    const before = await ingests();
    assert.equal(before.length, first.length, 'one ingest per sync job');
    assert.equal(
      before.reduce((n, i) => n + Number(i.rows), 0),
      3,
    );
    assert.ok(before.every((i) => i.source?.uri === 'online-log://sync/events/v1'));

    // Later rows come in the next run's ingest, which holds only them.
    assert.equal((await put([[str('c'), ts(t1), NULL, NULL, NULL, NULL, f64(3)]])).accepted, 1);
    const after = await eventually(async () => {
      const r = await offlineRows(c, project, 'events', 'id, "at"');
      return r.length >= 4 && r;
    });
    assert.deepEqual(
      after.map((r) => r['id']),
      ['a', 'a', 'b', 'c'],
    );
    await eventually(async () => {
      const j = await syncJobs();
      return j.length === first.length + 1 && j.every((x) => x.state === JobState.JOB_STATE_SUCCEEDED);
    });
    const history = await ingests();
    assert.deepEqual([history.length, history[0].rows, history[0].duplicateRows], [first.length + 1, '1', '0']);
    // Quiet ticks start nothing.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await syncJobs()).length, first.length + 1);
  });
});
