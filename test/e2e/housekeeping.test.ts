// Leftovers of processes killed mid-job are swept at start (and on each sync tick): scratch and
// spill folders of dead processes, files of ingests that never committed, retrieve outputs of jobs
// that did not succeed. Committed data, live processes' folders and recent files stay.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { clients, finishedJob, projectWithFeatureSet, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { eventually } from '../support/helpers.js';

describe('housekeeping: leftovers of killed jobs', () => {
  it("sweeps dead processes' scratch and spill folders, uncommitted ingest files and failed retrieve outputs at start, and nothing else", async () => {
    const root = mkdtempSync(join(tmpdir(), 'fs-housekeeping-'));
    const env = {
      FEATURESTORE_METADATA_URL: `pglite:${join(root, 'meta')}`,
      FEATURESTORE_OFFLINE_DIR: join(root, 'offline'),
      FEATURESTORE_DUCKDB_SPILL_DIR: join(root, 'spill'),
      FEATURESTORE_FILE_ROOTS: root,
      FEATURESTORE_JOB_LEASE_SECONDS: '60',
      FEATURESTORE_SYNC_INTERVAL_SECONDS: '0',
    };
    // A committed ingest that must survive.
    let host = await startTestHost(ALL_FUNCTIONS, env);
    let c = clients(host.port);
    await projectWithFeatureSet(c, 'hk');
    writeFileSync(join(root, 'in.csv'), 'id,ts,v\na,2026-11-01T00:00:00Z,1\n');
    const job = await unary(c.ingest, c.ingest.startIngest, {
      featureSet: { project: 'hk', name: 'users', version: '' },
      source: { uri: pathToFileURL(join(root, 'in.csv')).href, format: Format.FORMAT_CSV, options: {} },
      extraColumns: 0,
      requestId: '',
    });
    assert.equal((await finishedJob(c, job.id)).state, JobState.JOB_STATE_SUCCEEDED);
    c.close();
    await host.stop();

    // What a kill -9 leaves: folders of a process that is gone, files nothing committed, all old.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const old = (path: string) => {
      const day = new Date(Date.now() - 86_400_000);
      utimesSync(path, day, day);
      return path;
    };
    const file = (path: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, 'x');
      return old(path);
    };
    const gone = [
      old(mkdtempSync(join(tmpdir(), `featurestore-job-${dead}-`))),
      file(join(root, 'spill', String(dead), 'duckdb_temp_storage-0.tmp')),
      file(join(root, 'offline', 'hk', 'users', 'v1', `ingest=${randomUUID()}`, 'part-0.parquet')),
      file(join(root, 'offline', 'retrieve', randomUUID(), 'part-0.parquet')),
    ];
    old(dirname(gone[1]));
    const kept = [
      old(mkdtempSync(join(tmpdir(), `featurestore-job-${process.pid}-`))), // a live process's
      file(join(root, 'offline', 'hk', 'users', 'v1', `ingest=${randomUUID()}`, 'recent.parquet')),
    ];
    utimesSync(kept[1], new Date(), new Date()); // recent: a job may be about to commit it

    host = await startTestHost(ALL_FUNCTIONS, env);
    c = clients(host.port);
    try {
      await eventually(
        async () => !existsSync(gone[0]) && !existsSync(dirname(gone[1])) && !existsSync(gone[2]) && !existsSync(gone[3]),
        20_000,
        'the sweep at start',
      );
      for (const path of kept) assert.ok(existsSync(path), `${path} stays`);
      const v1 = join(root, 'offline', 'hk', 'users', 'v1');
      const committed = readdirSync(v1).filter((d) => readdirSync(join(v1, d)).length > 0);
      assert.equal(committed.length, 2, 'the committed ingest and the recent file stay');
      const history = await unary(c.ingest, c.ingest.listIngests, { featureSet: { project: 'hk', name: 'users', version: '' }, pageSize: 0, pageToken: '' });
      assert.equal(history.ingests.length, 1);
    } finally {
      c.close();
      await host.stop();
    }
  });
});
