import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { ObjectStore } from '../core/ports/object-store.js';
import type { Scratch } from '../core/use-cases/job-run.js';
import { processAlive } from '../adapters/files/processes.js';

const SCRATCH_PREFIX = 'featurestore-job-';

/**
 * Removes what processes killed mid-job left on this machine: scratch folders in the temp dir and
 * per-process DuckDB spill folders (`<spillDir>/<pid>`) whose process is gone, older than
 * `olderThanMs`. Returns how many folders went.
 */
export async function sweepLocal(spillDir: string, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  const candidates = [
    ...(await readdir(tmpdir()).catch(() => [] as string[])).flatMap((name) => {
      const m = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`).exec(name);
      return m ? [{ path: join(tmpdir(), name), pid: Number(m[1]) }] : [];
    }),
    ...(await readdir(spillDir).catch(() => [] as string[])).flatMap((name) => (/^\d+$/.test(name) ? [{ path: join(spillDir, name), pid: Number(name) }] : [])),
  ];
  let removed = 0;
  for (const c of candidates) {
    if (c.pid === process.pid || processAlive(c.pid)) continue;
    const info = await stat(c.path).catch(() => undefined);
    if (!info || info.mtimeMs > cutoff) continue;
    await rm(c.path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** A temporary folder for one job; objects of a local store are used in place, others copied in. */
export async function createScratch(): Promise<Scratch> {
  // The pid in the name lets a later sweep tell a dead process's leftovers from a live job's.
  const dir = await mkdtemp(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
  let copies = 0;
  return {
    dir,
    async localCopy(store: ObjectStore, key: string): Promise<string> {
      const uri = store.uri(key);
      if (uri.startsWith('file:')) return fileURLToPath(uri);
      const path = join(dir, `copy-${copies++}.parquet`);
      await pipeline(await store.get(key), createWriteStream(path));
      return path;
    },
    open: (path: string) => createReadStream(path),
    async write(name: string, lines: Iterable<string> | AsyncIterable<string>): Promise<string> {
      const path = join(dir, `${copies++}-${name}`);
      await pipeline(
        Readable.from(
          (async function* () {
            for await (const line of lines) yield `${line}\n`;
          })(),
        ),
        createWriteStream(path),
      );
      return path;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
