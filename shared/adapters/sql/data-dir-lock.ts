// One process per embedded data folder. PGlite has no shared-memory lock of its own: two processes
// on one folder each acknowledge writes, and on restart one side's are gone. A lock file beside the
// folder, created atomically, names its holder; a holder that died (no such process) is replaced.
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { FailedPrecondition } from '../../core/errors.js';
import { processAlive } from '../files/processes.js';

interface Holder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined; // half-written by a process that died while creating it: stale
  }
}

/**
 * Takes `<dir>.lock` for this process before anything opens `dir`; throws FailedPrecondition naming
 * the process that holds it. `release` removes the file if it is still ours.
 */
export function lockDataDir(dir: string): { release(): void } {
  const path = `${dir.replace(/\/+$/, '')}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ').slice(0, 200) };
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw err;
      const holder = readHolder(path);
      if (holder && (holder.host !== me.host || processAlive(holder.pid)) && holder.pid !== process.pid) {
        throw new FailedPrecondition(
          `another feature store process (pid ${holder.pid} on ${holder.host}, started ${holder.started}: ${holder.command}) is using the data folder ${dir}; ` +
            `stop it first, or give this one its own folder with FEATURESTORE_METADATA_URL=pglite:<folder> (if that process is gone, remove ${path})`,
          { field: 'FEATURESTORE_METADATA_URL' },
        );
      }
      unlinkSync(path); // its holder is gone (or is this very process, reopening)
    }
  }
  return {
    release() {
      if (readHolder(path)?.pid === process.pid) unlinkSync(path);
    },
  };
}
