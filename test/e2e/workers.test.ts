// Every core of a pod: the retrieve function on PostgreSQL runs FEATURESTORE_WORKERS processes on
// one port (node:cluster). Connections spread over the workers; each worker's registry cache follows
// the catalog's NOTIFY, so a feature set registered after both cached it as missing is served by
// both at once (with a cache lifetime far longer than the test). SIGTERM drains every worker and
// exits 0. The all-in-one on PostgreSQL forks too, its relay and timers in one lead worker; on
// PGlite, or for event functions, one process serves. The CPU budget follows the cgroup's quota.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { credentials, status } from '@grpc/grpc-js';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType } from '../../shared/gen/featurestore/v1/common.js';
import { RetrieveServiceClient } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { cpuBudget, workerCount } from '../../shared/runtime/workers.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { clients, finishedJob, registerFeatureSet, unary } from '../support/grpc.js';
import { eventually, feature } from '../support/helpers.js';
import { startTestHost } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';
import { safeJson, spawnFunction, type Spawned } from '../support/process.js';

describe('one worker per CPU', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: RunningHost;
  let retrieve: Spawned;
  before(async () => {
    db = await freshDatabase();
    store = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: db.url });
    const c = clients(store.port);
    await unary(c.projects, c.projects.createProject, { name: 'cores', description: '', tags: {} });
    c.close();
    retrieve = await spawnFunction('functions/retrieve/main.ts', {
      FEATURESTORE_METADATA_URL: db.url,
      FEATURESTORE_WORKERS: '2',
      FEATURESTORE_REGISTRY_MAX_AGE_MS: '600000',
    });
  });
  after(async () => {
    if (retrieve?.child.exitCode === null) retrieve.child.kill('SIGKILL');
    await store?.stop();
    await db?.drop();
  });

  /** Workers that logged an entry matching `msg` (each worker logs with its pid). */
  const workersLogging = (msg: string) => new Set(retrieve.lines.map((l) => safeJson(l)).flatMap((e) => (e && e['msg'] === msg ? [e['worker']] : [])));

  it('two workers share the port; each cache hears the catalog change, and SIGTERM drains both', { timeout: 60_000 }, async () => {
    await eventually(async () => workersLogging('retrieve listening').size === 2, 20_000, 'both workers listening');
    // Connections of their own (no shared channel): the primary hands them to the workers in turn.
    const readers = Array.from(
      { length: 8 },
      () => new RetrieveServiceClient(`127.0.0.1:${retrieve.port}`, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
    );
    const read = (r: RetrieveServiceClient) =>
      unary(r, r.retrieveOnline, {
        featureSet: { project: 'cores', name: 'later', version: '' },
        keys: [{ values: [{ kind: { $case: 'stringValue', value: 'k1' } }] }],
        features: [],
      });
    for (const r of readers) await assert.rejects(read(r), (err: { code?: number }) => err.code === status.NOT_FOUND);
    assert.equal(workersLogging('call refused').size, 2, 'both workers answered (and cached the feature set as missing)');

    const c = clients(store.port);
    await registerFeatureSet(c, 'cores', 'later', {
      features: [feature('id', DataType.DATA_TYPE_STRING), feature('ts', DataType.DATA_TYPE_TIMESTAMP), feature('v', DataType.DATA_TYPE_INT64)],
      primaryKey: ['id'],
      eventTimeColumn: 'ts',
    });
    await unary(c.ingest, c.ingest.ingestOnline, {
      featureSet: { project: 'cores', name: 'later', version: '' },
      columns: ['id', 'ts', 'v'],
      rows: [
        {
          values: [
            { kind: { $case: 'stringValue', value: 'k1' } },
            { kind: { $case: 'timestampValue', value: { seconds: '1790000000', nanos: 0 } } },
            { kind: { $case: 'int64Value', value: '42' } },
          ],
        },
      ],
    });
    c.close();
    // Every connection, on either worker, sees it within moments: by NOTIFY, not by the 10-minute cache lifetime.
    await eventually(
      async () => {
        const answers = await Promise.all(
          readers.map((r) =>
            read(r).then(
              (res) => res.rows[0]?.values[0]?.kind,
              () => undefined,
            ),
          ),
        );
        return answers.every((v) => v?.$case === 'int64Value' && v.value === '42');
      },
      10_000,
      'every worker serving the new feature set',
    );
    for (const r of readers) r.close();

    retrieve.child.kill('SIGTERM');
    assert.equal(await retrieve.exited, 0);
    assert.equal(workersLogging('stopped').size, 2, 'both workers drained');
  });

  it(
    'the all-in-one on PostgreSQL serves with two workers: one relays events and runs the timers, a job started through either finishes',
    { timeout: 90_000 },
    async () => {
      const files = realpathSync(mkdtempSync(join(tmpdir(), 'fs-workers-files-')));
      writeFileSync(join(files, 'rows.csv'), 'id,ts,v\nk1,2026-11-01T00:00:00Z,7\nk2,2026-11-01T00:00:00Z,8\n');
      // A catalog of its own: the in-process host above relays its catalog's events too.
      const own = await freshDatabase();
      const host = await spawnFunction('functions/all-in-one/main.ts', {
        FEATURESTORE_METADATA_URL: own.url,
        FEATURESTORE_WORKERS: '2',
        FEATURESTORE_FILE_ROOTS: files,
        FEATURESTORE_OFFLINE_DIR: mkdtempSync(join(tmpdir(), 'fs-workers-offline-')),
      });
      try {
        const listening = () => host.lines.map((l) => safeJson(l)).filter((e) => e?.['msg'] === 'all-in-one listening');
        await eventually(async () => listening().length === 2, 30_000, 'both all-in-one workers listening');
        assert.deepEqual(
          listening()
            .map((e) => e!['relay'])
            .sort(),
          [false, true],
          'exactly one worker relays events',
        );
        assert.equal(new Set(listening().map((e) => e!['worker'])).size, 2);
        // Connections of their own land on either worker; every job is run by the lead's relay.
        const conns = Array.from({ length: 4 }, () => clients(host.port));
        await unary(conns[0].projects, conns[0].projects.createProject, { name: 'aio', description: '', tags: {} });
        await registerFeatureSet(conns[1], 'aio', 'rows', {
          features: [feature('id', DataType.DATA_TYPE_STRING), feature('ts', DataType.DATA_TYPE_TIMESTAMP), feature('v', DataType.DATA_TYPE_INT64)],
          primaryKey: ['id'],
          eventTimeColumn: 'ts',
        });
        for (const c of conns) {
          const job = await unary(c.ingest, c.ingest.startIngest, {
            featureSet: { project: 'aio', name: 'rows', version: '' },
            source: { uri: pathToFileURL(join(files, 'rows.csv')).href, format: 0, options: {} },
            extraColumns: 0,
            requestId: '',
          });
          const done = await finishedJob(c, job.id);
          assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, JSON.stringify(done));
        }
        for (const c of conns) c.close();
        host.child.kill('SIGTERM');
        assert.equal(await host.exited, 0);
      } finally {
        if (host.child.exitCode === null) host.child.kill('SIGKILL');
        await own.drop();
      }
    },
  );

  it('forks only gRPC functions on a catalog other processes can open, as many as the cgroup allows', () => {
    const budget = () => 3;
    assert.equal(workerCount({ workers: 'auto', metadataUrl: 'postgres://x/y' }, true, budget), 3);
    assert.equal(workerCount({ workers: 2, metadataUrl: 'postgres://x/y' }, true, budget), 2);
    assert.equal(workerCount({ workers: 'auto', metadataUrl: 'pglite:memory' }, true, budget), 1, 'PGlite is one process');
    assert.equal(workerCount({ workers: 4, metadataUrl: 'postgres://x/y' }, false, budget), 1, 'event functions scale by pods');
    assert.equal(workerCount({ workers: 'auto', metadataUrl: 'pglite:./.featurestore' }, true, budget), 1, 'the embedded all-in-one is one process');
    const files = (map: Record<string, string>) => (path: string) => map[path];
    assert.equal(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }), 8), 2, 'a 1.5-CPU limit: 2 workers');
    assert.equal(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }), 8), 8, 'no limit: every CPU seen');
    assert.equal(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': '800000 100000\n' }), 2), 2, 'never more than the CPUs seen');
    assert.equal(cpuBudget(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }), 8), 1, 'cgroup v1');
    assert.equal(cpuBudget(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }), 4), 4);
    assert.equal(cpuBudget(files({}), 4), 4, 'no cgroup files');
  });
});
