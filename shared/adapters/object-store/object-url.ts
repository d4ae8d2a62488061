import type { Readable } from 'node:stream';
import { InvalidArgument, PermissionDenied } from '../../core/errors.js';
import { requireObjectKey } from '../../core/object-keys.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../core/ports/object-store.js';

// Parsing and opening s3:// and abfss:// stores. The SDKs are imported only when a store is first
// used, so functions that never touch object storage do not pay for loading them at start.

/** An s3:// or abfss:// URL split into the store's location and a path inside it. */
export type ObjectUrl = { scheme: 's3'; bucket: string; path: string } | { scheme: 'abfss'; fileSystem: string; account: string; path: string };

const S3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;
const ABFSS = /^abfss:\/\/([a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)@([a-z0-9]{3,24})\.dfs\.core\.windows\.net(?:\/(.*))?$/;

/** Undefined when the URL is neither s3://bucket[/path] nor abfss://filesystem@account.dfs.core.windows.net[/path]. */
export function parseObjectUrl(url: string): ObjectUrl | undefined {
  const s3 = S3.exec(url);
  if (s3) return { scheme: 's3', bucket: s3[1], path: s3[2] ?? '' };
  const adls = ABFSS.exec(url);
  if (adls) return { scheme: 'abfss', fileSystem: adls[1], account: adls[2], path: adls[3] ?? '' };
  return undefined;
}

/** How to reach S3 and ADLS: one S3 endpoint and credentials, one ADLS account key. */
export interface ObjectStoreSettings {
  s3: { region: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string };
  adls: { accountKey?: string; blobEndpoint?: string; dfsEndpoint?: string };
}

/** A store rooted at `prefix` ('' or ending with '/') of the URL's bucket or file system. */
export async function openObjectStore(url: ObjectUrl, prefix: string, settings: ObjectStoreSettings, field: string): Promise<ObjectStore> {
  if (url.scheme === 's3') {
    const { S3ObjectStore } = await import('./s3-object-store.js');
    return new S3ObjectStore({ bucket: url.bucket, prefix, ...settings.s3 });
  }
  const accountKey = requireAccountKey(url, settings, field);
  const { AdlsObjectStore } = await import('./adls-object-store.js');
  return new AdlsObjectStore({
    account: url.account,
    accountKey,
    fileSystem: url.fileSystem,
    prefix,
    blobEndpoint: settings.adls.blobEndpoint,
    dfsEndpoint: settings.adls.dfsEndpoint,
  });
}

function requireAccountKey(url: Extract<ObjectUrl, { scheme: 'abfss' }>, settings: ObjectStoreSettings, field: string): string {
  if (!settings.adls.accountKey)
    throw new PermissionDenied(`no key for storage account "${url.account}" is configured (FEATURESTORE_ADLS_ACCOUNT_KEY)`, { field });
  return settings.adls.accountKey;
}

/** The URI of a key, as the S3 and ADLS stores write it. */
export function objectUri(url: ObjectUrl, prefix: string, key: string): string {
  const path = `${prefix}${requireObjectKey(key)}`;
  return url.scheme === 's3' ? `s3://${url.bucket}/${path}` : `abfss://${url.fileSystem}@${url.account}.dfs.core.windows.net/${path}`;
}

/** The offline store, opened (and its SDK loaded) on first use; settings are checked now. */
export function lazyObjectStore(url: ObjectUrl, prefix: string, settings: ObjectStoreSettings, field: string): ObjectStore {
  if (url.scheme === 'abfss') requireAccountKey(url, settings, field);
  let opened: Promise<ObjectStore> | undefined;
  const store = () => (opened ??= openObjectStore(url, prefix, settings, field));
  return {
    uri: (key: string) => objectUri(url, prefix, key),
    put: async (key: string, body: Readable | Uint8Array, signal?: AbortSignal) => (await store()).put(key, body, signal),
    get: async (key: string, range?: ByteRange, signal?: AbortSignal) => (await store()).get(key, range, signal),
    head: async (key: string, signal?: AbortSignal) => (await store()).head(key, signal),
    list: (prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> => ({
      async *[Symbol.asyncIterator]() {
        yield* (await store()).list(prefix, signal);
      },
    }),
    delete: async (key: string, signal?: AbortSignal) => (await store()).delete(key, signal),
    downloadUrl: async (key: string, seconds: number) => (await store()).downloadUrl(key, seconds),
    close: async () => {
      if (opened) await (await opened).close();
    },
  };
}

/** The offline store's root from FEATURESTORE_OFFLINE_URL: a folder prefix, '' or ending with '/'. */
export function rootPrefix(path: string, field: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed.split('/').some((s) => s === '..' || s === '.')) throw new InvalidArgument(`"${path}" may not contain . or .. segments`, { field });
  return trimmed ? `${trimmed}/` : '';
}
