// Servers of a test's own, started with the repo's scripts (scripts/services/*.sh) in a private
// folder and on private ports, so a fault test can stop and restart them without touching the
// servers other tests share.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './process.js';

export interface PrivateService {
  /** What the script printed on start (URLs). */
  address: string;
  /** The private folder (pid files, data, logs). */
  dir: string;
  start(): string;
  stop(): void;
  /** Stops the server and removes its data. */
  dispose(): void;
}

export function privateService(name: 'redis' | 'minio' | 'postgres', env: Record<string, string>): PrivateService {
  const dir = mkdtempSync(join(tmpdir(), `fs-private-${name}-`));
  const run = (action: 'start' | 'stop') =>
    execFileSync(join(REPO, 'scripts', 'services', `${name}.sh`), [action], {
      env: { ...process.env, FEATURESTORE_SERVICES_DIR: dir, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  const service: PrivateService = {
    address: run('start'),
    dir,
    start: () => run('start'),
    stop: () => void run('stop'),
    dispose: () => {
      run('stop');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return service;
}
