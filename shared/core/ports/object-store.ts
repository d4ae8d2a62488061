import type { Readable } from 'node:stream';

export interface ObjectInfo {
  /** Relative to the store's root, '/'-separated. */
  key: string;
  size: number;
  lastModified: Date;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive; omitted means to the end. */
  end?: number;
}

/**
 * Where offline data lives: local files, S3 (and S3-compatible servers), ADLS Gen2.
 *
 * Keys are relative, '/'-separated paths without '.', '..' or empty segments; a bad key throws
 * InvalidArgument, so no key can leave the store's root. Bodies stream in and out: nothing holds a
 * whole object in memory. A put is atomic: readers see the whole object or none of it (local files
 * are renamed into place, S3 completes a multipart upload, Azure commits a block list), and a put
 * that fails or is aborted leaves nothing behind. Missing objects throw NotFound; an unreachable
 * service throws Unavailable. list() yields keys under a prefix in lexicographic order.
 */
export interface ObjectStore {
  /** A URI for the key in the store's own scheme (file://, s3://, abfss://), for users and engines. */
  uri(key: string): string;
  put(key: string, body: Readable | Uint8Array, signal?: AbortSignal): Promise<ObjectInfo>;
  get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable>;
  /** Undefined when absent. */
  head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>;
  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** A link that needs no credentials, valid for `seconds` (file:// for local stores). */
  downloadUrl(key: string, seconds: number): Promise<string>;
  close(): Promise<void>;
}
