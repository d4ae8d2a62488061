// online-to-offline survives kill -9 anywhere: the all-in-one process (PGlite on disk) is killed
// (1) as the sync job is handed to spark-submit, (2) after the engine wrote the files but before
// the commit, (3) right after the commit, and (4) while the engine runs (its job then stays RUNNING
// until the lease runs out and the redelivered job.requested takes it over). After each restart the
// work goes on; at the end every accepted online row is offline exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventTypes } from '../../shared/core/events.js';
import { DataType } from '../../shared/gen/featurestore/v1/common.js';
import { JobState, JobType, type Job } from '../../shared/gen/featurestore/v1/job.js';
import { clients, unary, registerFeatureSet } from '../support/grpc.js';
import { offlineRows } from '../support/offline-rows.js';
import { spawnFunction, type Spawned } from '../support/process.js';
import { eventually, feature, i32, str, ts } from '../support/helpers.js';

const ENTRY = 'functions/all-in-one/main.ts';
/** Preloaded into the process: kills it as an event of a type in TEST_KILL_ON_EVENT is delivered. */
const KILL_ON_EVENT = './test/support/kill-on-event.ts';

describe('online-to-offline under kill -9 (separate process, PGlite on disk)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-crash-'));
  const env = {
    FEATURESTORE_METADATA_URL: `pglite:${join(dir, 'metadata')}`,
    FEATURESTORE_OFFLINE_DIR: join(dir, 'offline'),
    FEATURESTORE_SYNC_INTERVAL_SECONDS: '0.3',
    FEATURESTORE_JOB_LEASE_SECONDS: '2',
    FEATURESTORE_REGISTRY_MAX_AGE_MS: '0',
    FEATURESTORE_ONLINE_MAX_ROWS: '20000',
  };
  let running: Spawned | undefined;
  let accepted = 0;
  after(() => void running?.child.kill('SIGKILL'));

  /** Starts the process; with `killOn` it kills itself as that event arrives, maybe before it listens. */
  async function start(killOn = ''): Promise<{ spawned?: Spawned; c?: ReturnType<typeof clients> }> {
    try {
      running = await spawnFunction(ENTRY, { ...env, TEST_KILL_ON_EVENT: killOn }, 60_000, [KILL_ON_EVENT]);
      return { spawned: running, c: clients(running.port) };
    } catch (err) {
      if (killOn && /exited with null/.test(String(err))) return {}; // killed itself while starting
      throw err;
    }
  }
  async function killedItself(s: { spawned?: Spawned; c?: ReturnType<typeof clients> }) {
    if (!s.spawned) return;
    const code = await Promise.race([s.spawned.exited, new Promise((r) => setTimeout(() => r('alive'), 30_000))]);
    s.c?.close();
    assert.equal(code, null, 'the process should have been killed by its fault point');
  }
  let batch = 0;
  async function putBatch(c: ReturnType<typeof clients>, rows: number) {
    batch++;
    const at = new Date(Date.UTC(2026, 10, batch));
    const res = await unary(c.ingest, c.ingest.ingestOnline, {
      featureSet: { project: 'crash', name: 'clicks', version: '' },
      columns: ['id', 'at', 'batch'],
      rows: Array.from({ length: rows }, (_, i) => ({ values: [str(`b${batch}-r${i}`), ts(at), i32(batch)] })),
    });
    assert.equal(res.accepted, rows);
    accepted += rows;
  }
  const syncJobs = async (c: ReturnType<typeof clients>): Promise<Job[]> =>
    (await unary(c.jobs, c.jobs.listJobs, { project: 'crash', type: JobType.JOB_TYPE_INGEST, state: 0, pageSize: 100, pageToken: '' })).jobs.filter(
      (j) => j.createdBy === 'system:online-to-offline',
    );

  it('lands every accepted row offline exactly once', async () => {
    // Setup, then (1): the sync job is created and the process dies as job.requested arrives.
    let s = await start(EventTypes.jobRequested);
    const c = s.c!;
    await unary(c.projects, c.projects.createProject, { name: 'crash', description: '', tags: {} });
    await registerFeatureSet(c, 'crash', 'clicks', {
      features: [feature('id', DataType.DATA_TYPE_STRING), feature('at', DataType.DATA_TYPE_TIMESTAMP), feature('batch', DataType.DATA_TYPE_INT32)],
      primaryKey: ['id'],
      eventTimeColumn: 'at',
    });
    await putBatch(c, 500);
    await killedItself(s);

    // (2) The redelivered job.requested runs the engine; the process dies as job.status arrives.
    await killedItself(await start(EventTypes.jobStatus));
    // (3) The redelivered job.status commits; the process dies as ingest.committed arrives.
    await killedItself(await start(EventTypes.ingestCommitted));

    // (4) Killed while the engine runs: watch for the sync job RUNNING and kill -9 then.
    s = await start();
    let killedRunning = false;
    let killedJob = '';
    for (let attempt = 0; attempt < 5 && !killedRunning; attempt++) {
      await putBatch(s.c!, 20_000);
      const seen = await eventually(
        async () => {
          const jobs = await syncJobs(s.c!);
          const open = jobs.find((j) => j.state === JobState.JOB_STATE_RUNNING || j.state === JobState.JOB_STATE_PENDING);
          if (open?.state === JobState.JOB_STATE_RUNNING) {
            killedJob = open.id;
            return 'running';
          }
          return !open && jobs.every((j) => j.state !== JobState.JOB_STATE_PENDING) && jobs.length > 0 && jobs[0].state === JobState.JOB_STATE_SUCCEEDED
            ? 'done'
            : undefined;
        },
        30_000,
        'the sync job to run',
      );
      if (seen === 'running') {
        s.spawned!.child.kill('SIGKILL');
        await s.spawned!.exited;
        s.c!.close();
        killedRunning = true;
      }
    }
    assert.ok(killedRunning, 'the sync job was never caught running');

    // Restart: the redelivered job.requested takes the job over once the 2 s lease ran out.
    s = await start();
    const rows = await eventually(
      async () => {
        const jobs = await syncJobs(s.c!);
        if (jobs.some((j) => j.state === JobState.JOB_STATE_PENDING || j.state === JobState.JOB_STATE_RUNNING)) return undefined;
        const r = await offlineRows(s.c!, 'crash', 'clicks', 'id');
        return r.length >= accepted && r;
      },
      60_000,
      'every accepted row offline',
    );
    const ids = rows.map((r) => String(r['id']));
    assert.equal(ids.length, accepted, 'no row duplicated');
    assert.equal(new Set(ids).size, accepted, 'no row duplicated');
    // Nothing was drained twice either (the offline dedupe would have hidden a second copy of a row,
    // so check the ingests): their rows add up to the accepted rows, and none skipped a duplicate.
    const ingests = (
      await unary(s.c!.ingest, s.c!.ingest.listIngests, { featureSet: { project: 'crash', name: 'clicks', version: '' }, pageSize: 100, pageToken: '' })
    ).ingests;
    assert.deepEqual([ingests.reduce((n, i) => n + Number(i.rows), 0), ingests.reduce((n, i) => n + Number(i.duplicateRows), 0)], [accepted, 0]);
    const jobs = await syncJobs(s.c!);
    assert.equal(jobs.find((j) => j.id === killedJob)?.state, JobState.JOB_STATE_SUCCEEDED, 'the job killed while running was taken over and finished');
    // Quiet now: no further job starts.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await syncJobs(s.c!)).length, jobs.length);
    s.c!.close();
    s.spawned!.child.kill('SIGTERM');
    await s.spawned!.exited;
  });
});
