import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { ObjectStore } from '../core/ports/object-store.js';
import type { Scratch } from '../core/use-cases/ingest.js';

/** A temporary folder for one job; objects of a local store are used in place, others copied in. */
export async function createScratch(): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'featurestore-job-'));
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
