// One writer per embedded data folder, and a taken port reported before anything opens: two
// all-in-one processes on one PGlite folder would each acknowledge writes and lose one side's.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { clients, unary } from '../support/grpc.js';
import { spawnFunction, type Spawned } from '../support/process.js';

describe('embedded data folder: one process at a time', () => {
  const root = mkdtempSync(join(tmpdir(), 'fs-datadir-'));
  const env = (dir: string, port = '0') => ({
    PORT: port,
    FEATURESTORE_METADATA_URL: `pglite:${join(root, dir)}`,
    FEATURESTORE_OFFLINE_DIR: join(root, `${dir}-offline`),
    FEATURESTORE_SYNC_INTERVAL_SECONDS: '0',
  });
  const running: Spawned[] = [];
  const start = async (dir: string, port?: string) => {
    const p = await spawnFunction('functions/all-in-one/main.ts', env(dir, port));
    running.push(p);
    return p;
  };
  const stop = async (p: Spawned, signal: NodeJS.Signals = 'SIGTERM') => {
    p.child.kill(signal);
    await p.exited;
  };
  after(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) await stop(p);
  });

  it('refuses a second process on the same folder, naming the first; keeps what the first acknowledged', async () => {
    const first = await start('meta');
    const c = clients(first.port);
    await unary(c.projects, c.projects.createProject, { name: 'kept', description: '', tags: {} });
    c.close();
    await assert.rejects(start('meta'), new RegExp(`exited with 1[\\s\\S]*another feature store process \\(pid ${first.child.pid} .*is using the data folder`));

    // A port in use is reported as such, before the catalog (or its lock) is touched.
    await assert.rejects(start('other', String(first.port)), new RegExp(`exited with 1[\\s\\S]*port ${first.port} on 127.0.0.1 is already in use`));
    assert.equal(existsSync(join(root, 'other.lock')), false, 'nothing was opened');

    await stop(first);
    assert.equal(existsSync(join(root, 'meta.lock')), false, 'a clean stop releases the folder');
    const second = await start('meta');
    const c2 = clients(second.port);
    assert.deepEqual(
      (await unary(c2.projects, c2.projects.listProjects, { pageSize: 0, pageToken: '', namePrefix: '' })).projects.map((p) => p.name),
      ['kept'],
    );
    c2.close();
    // Killed outright, it leaves its lock behind: the next start sees the holder is gone and takes over.
    await stop(second, 'SIGKILL');
    assert.equal(existsSync(join(root, 'meta.lock')), true);
    const third = await start('meta');
    await stop(third);
  });
});
