import { BlobServiceClient, BlobSASPermissions, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { DataLakeServiceClient, StorageSharedKeyCredential as DataLakeKey, type DataLakeFileSystemClient } from '@azure/storage-file-datalake';
import { Readable } from 'node:stream';
import { NotFound, throwIfAborted } from '../../core/errors.js';
import { requireObjectKey } from '../../core/object-keys.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../core/ports/object-store.js';
import { translateStorageError } from './storage-errors.js';

export interface AdlsLocation {
  account: string;
  accountKey: string;
  fileSystem: string;
  /** Path prefix inside the file system, '' or ending with '/'. */
  prefix: string;
  /** Blob endpoint, e.g. http://127.0.0.1:10000/devstoreaccount1 for Azurite; default: the account's. */
  blobEndpoint?: string;
  /** DFS endpoint; default: derived from the blob endpoint. */
  dfsEndpoint?: string;
}

const BLOCK_SIZE = 8 * 1024 * 1024;
const BLOCKS_IN_FLIGHT = 2;

/**
 * Objects in an ADLS Gen2 file system.
 *
 * Reads and properties go through @azure/storage-file-datalake; writes, listings and deletes go
 * through the Blob API of the same account (ADLS Gen2 accepts both, "multi-protocol access").
 * DataLake's path delete is DFS-only (Azurite answers it 404), so deletes use the Blob API too.
 * Writing through the Blob API is also what makes a put atomic: blocks are staged and the object
 * appears only when the block list commits, whereas DFS append/flush shows a growing file. It is
 * also what lets every call this adapter makes run against Azurite, which has no DFS endpoint.
 */
export class AdlsObjectStore implements ObjectStore {
  private readonly fs: DataLakeFileSystemClient;
  private readonly container: ContainerClient;
  private readonly credential: StorageSharedKeyCredential;

  constructor(private readonly location: AdlsLocation) {
    const blobEndpoint = location.blobEndpoint ?? `https://${location.account}.blob.core.windows.net`;
    const dfsEndpoint = location.dfsEndpoint ?? blobEndpoint.replace('.blob.', '.dfs.');
    this.credential = new StorageSharedKeyCredential(location.account, location.accountKey);
    this.container = new BlobServiceClient(blobEndpoint, this.credential).getContainerClient(location.fileSystem);
    this.fs = new DataLakeServiceClient(dfsEndpoint, new DataLakeKey(location.account, location.accountKey)).getFileSystemClient(location.fileSystem);
  }

  private path(key: string, prefix = false): string {
    return `${this.location.prefix}${requireObjectKey(key, { prefix })}`;
  }

  uri(key: string): string {
    return `abfss://${this.location.fileSystem}@${this.location.account}.dfs.core.windows.net/${this.path(key)}`;
  }

  async put(key: string, body: Readable | Uint8Array, signal?: AbortSignal): Promise<ObjectInfo> {
    throwIfAborted(signal);
    const blob = this.container.getBlockBlobClient(this.path(key));
    try {
      if (body instanceof Uint8Array) await blob.uploadData(body, { abortSignal: signal });
      else await blob.uploadStream(body, BLOCK_SIZE, BLOCKS_IN_FLIGHT, { abortSignal: signal });
    } catch (err) {
      throw translateStorageError(err, key);
    }
    return (await this.head(key))!;
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable> {
    try {
      const count = range?.end === undefined ? undefined : range.end - range.start + 1;
      const res = await this.fs.getFileClient(this.path(key)).read(range?.start ?? 0, count, { abortSignal: signal });
      if (!res.readableStreamBody) throw new NotFound(`object ${key} has no body`, { field: 'key' });
      return res.readableStreamBody as Readable;
    } catch (err) {
      throw translateStorageError(err, key);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const p = await this.fs.getFileClient(this.path(key)).getProperties({ abortSignal: signal });
      return { key, size: p.contentLength ?? 0, lastModified: p.lastModified ?? new Date(0) };
    } catch (err) {
      const translated = translateStorageError(err, key);
      if (translated instanceof NotFound) return undefined;
      throw translated;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    const full = this.path(prefix, true);
    try {
      for await (const b of this.container.listBlobsFlat({ prefix: full, abortSignal: signal })) {
        yield { key: b.name.slice(this.location.prefix.length), size: b.properties.contentLength ?? 0, lastModified: b.properties.lastModified };
      }
    } catch (err) {
      throw translateStorageError(err, prefix);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.container.getBlobClient(this.path(key)).deleteIfExists({ abortSignal: signal });
    } catch (err) {
      throw translateStorageError(err, key);
    }
  }

  async downloadUrl(key: string, seconds: number): Promise<string> {
    return this.container.getBlobClient(this.path(key)).generateSasUrl({
      permissions: BlobSASPermissions.parse('r'),
      expiresOn: new Date(Date.now() + seconds * 1000),
    });
  }

  async close(): Promise<void> {}
}
