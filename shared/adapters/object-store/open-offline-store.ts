import type { ObjectStore } from '../../core/ports/object-store.js';
import { LocalObjectStore } from './local-object-store.js';
import { lazyObjectStore, parseObjectUrl, rootPrefix, type ObjectStoreSettings, type ObjectUrl } from './object-url.js';

/** Where offline data lives: a local folder (embedded default), or a prefix of an S3 bucket or ADLS file system. */
export type OfflineLocation =
  { type: 'local'; dir: string } | { type: 's3'; url: ObjectUrl; prefix: string } | { type: 'abfss'; url: ObjectUrl; prefix: string };

const FIELD = 'FEATURESTORE_OFFLINE_URL';

/** FEATURESTORE_OFFLINE_URL when set, else FEATURESTORE_OFFLINE_DIR. */
export function offlineLocation(offlineUrl: string | undefined, offlineDir: string): OfflineLocation {
  const url = offlineUrl ? parseObjectUrl(offlineUrl) : undefined;
  return url ? { type: url.scheme, url, prefix: rootPrefix(url.path, FIELD) } : { type: 'local', dir: offlineDir };
}

type Openers = {
  [T in OfflineLocation['type']]: (location: Extract<OfflineLocation, { type: T }>, settings: ObjectStoreSettings) => ObjectStore;
};

/** The offline stores by type. Remote ones load their SDK on first use; their settings are checked now. */
export const OFFLINE_STORES: Openers = {
  local: (location) => new LocalObjectStore(location.dir),
  s3: (location, settings) => lazyObjectStore(location.url, location.prefix, settings, FIELD),
  abfss: (location, settings) => lazyObjectStore(location.url, location.prefix, settings, FIELD),
};

export function openOfflineStore(location: OfflineLocation, settings: ObjectStoreSettings): ObjectStore {
  return (OFFLINE_STORES[location.type] as (l: OfflineLocation, s: ObjectStoreSettings) => ObjectStore)(location, settings);
}
