import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument, NotFound, throwIfAborted } from '../../core/errors.js';
import type { SourceSpec } from '../../core/job-specs.js';
import type { ObjectStore } from '../../core/ports/object-store.js';
import type { ResolvedSource, SourceFiles } from '../../core/ports/source-files.js';
import { requireObjectKey } from '../../core/object-keys.js';
import { openObjectStore, parseObjectUrl, type ObjectStoreSettings } from '../object-store/object-url.js';
import { formatOf, GLOB, globMatcher, isHidden } from './local-source-files.js';

/**
 * s3:// and abfss:// sources: one object, a folder (every object under it, skipping names that
 * start with . or _), or a glob in the last segment. `check` only lists; `resolve` streams each
 * object to a temporary local file for the engine (nothing is held in memory) and `cleanup`
 * removes them.
 */
export class ObjectSourceFiles implements SourceFiles {
  constructor(private readonly settings: ObjectStoreSettings) {}

  private async find(
    source: SourceSpec,
    field: string,
    signal?: AbortSignal,
  ): Promise<{ store: ObjectStore; keys: string[]; format: ResolvedSource['format'] }> {
    const url = parseObjectUrl(source.uri);
    if (!url) {
      throw new InvalidArgument(`"${source.uri}" is not a valid object URL: use s3://bucket/path or abfss://filesystem@account.dfs.core.windows.net/path`, {
        field: `${field}.uri`,
      });
    }
    const store = await openObjectStore(url, '', this.settings, `${field}.uri`);
    try {
      const path = url.path.replace(/\/+$/, '');
      let keys: string[] = [];
      if (GLOB.test(path)) {
        const dir = posix.dirname(path);
        if (GLOB.test(dir)) throw new InvalidArgument('only the last path segment may hold a glob', { field: `${field}.uri` });
        const pattern = globMatcher(posix.basename(path));
        const prefix = dir === '.' ? '' : `${requireObjectKey(dir, {}, `${field}.uri`)}/`;
        for await (const o of store.list(prefix, signal)) {
          const name = o.key.slice(prefix.length);
          if (!name.includes('/') && pattern.test(name)) keys.push(o.key);
        }
      } else if (path) {
        requireObjectKey(path, {}, `${field}.uri`);
        if (await store.head(path, signal)) keys = [path];
        else for await (const o of store.list(`${path}/`, signal)) if (!isHidden(o.key.slice(path.length + 1))) keys.push(o.key);
      } else {
        for await (const o of store.list('', signal)) if (!isHidden(o.key)) keys.push(o.key);
      }
      if (keys.length === 0) throw new NotFound(`"${source.uri}" matches no objects`, { field: `${field}.uri` });
      const format = source.format ?? formatOf(keys, field);
      keys = keys.filter((k) => keys.length === 1 || formatOf([k], field, false) === format).sort();
      return { store, keys, format };
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  async check(source: SourceSpec, signal?: AbortSignal, field = 'source'): Promise<void> {
    const { store } = await this.find(source, field, signal);
    await store.close();
  }

  async locate(source: SourceSpec, signal?: AbortSignal, field = 'source'): Promise<{ files: string[]; format: ResolvedSource['format'] }> {
    const { store, keys, format } = await this.find(source, field, signal);
    try {
      return { files: keys.map((k) => store.uri(k)), format };
    } finally {
      await store.close();
    }
  }

  async resolve(source: SourceSpec, signal?: AbortSignal, field = 'source'): Promise<ResolvedSource> {
    const { store, keys, format } = await this.find(source, field, signal);
    const dir = await mkdtemp(join(tmpdir(), 'featurestore-source-'));
    try {
      const files: string[] = [];
      for (const [i, key] of keys.entries()) {
        throwIfAborted(signal);
        // Keep the extension: the engine's readers and error messages are clearer with it.
        const file = join(dir, `${String(i).padStart(6, '0')}-${posix.basename(key)}`);
        await pipeline(await store.get(key, undefined, signal), createWriteStream(file), { signal });
        files.push(file);
      }
      return { files, format, cleanup: () => rm(dir, { recursive: true, force: true }) };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    } finally {
      await store.close();
    }
  }
}
