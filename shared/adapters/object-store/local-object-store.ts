import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { NotFound, throwIfAborted } from '../../core/errors.js';
import { requireObjectKey } from '../../core/object-keys.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../core/ports/object-store.js';

/** Temporary files start with this; list() never shows them. */
const TEMP_PREFIX = '.tmp-';

/** Objects as files under a root folder. Puts write a temporary file and rename it into place. */
export class LocalObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  private path(key: string, prefix = false): string {
    return join(this.root, ...requireObjectKey(key, { prefix }).split('/').filter(Boolean));
  }

  uri(key: string): string {
    return pathToFileURL(this.path(key)).href;
  }

  async put(key: string, body: Readable | Uint8Array, signal?: AbortSignal): Promise<ObjectInfo> {
    throwIfAborted(signal);
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = join(dirname(target), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    try {
      await pipeline(body instanceof Uint8Array ? Readable.from([body]) : body, createWriteStream(temp), { signal });
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return (await this.head(key))!;
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable> {
    throwIfAborted(signal);
    const path = this.path(key);
    const info = await this.head(key);
    if (!info) throw new NotFound(`object ${key} does not exist`, { field: 'key' });
    return createReadStream(path, { start: range?.start, end: range?.end, signal });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtime } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    requireObjectKey(prefix, { prefix: true }, 'prefix');
    const keys: ObjectInfo[] = [];
    await this.walk(this.root, prefix, keys, signal);
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* keys;
  }

  private async walk(dir: string, prefix: string, out: ObjectInfo[], signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith(TEMP_PREFIX)) continue;
      const full = join(dir, e.name);
      const key = relative(this.root, full).split(sep).join('/');
      // Descend only where keys can still start with the prefix.
      if (!key.startsWith(prefix) && !prefix.startsWith(`${key}/`)) continue;
      if (e.isDirectory()) await this.walk(full, prefix, out, signal);
      else if (e.isFile() && key.startsWith(prefix)) {
        const s = await stat(full);
        out.push({ key, size: s.size, lastModified: s.mtime });
      }
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async downloadUrl(key: string): Promise<string> {
    return this.uri(key);
  }

  async close(): Promise<void> {}
}
