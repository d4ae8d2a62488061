import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { NotFound, throwIfAborted } from '../../core/errors.js';
import { requireObjectKey } from '../../core/object-keys.js';
import type { ByteRange, ObjectInfo, ObjectStore } from '../../core/ports/object-store.js';
import { translateStorageError } from './storage-errors.js';

export interface S3Location {
  bucket: string;
  /** Key prefix inside the bucket, '' or ending with '/'. */
  prefix: string;
  /** For S3-compatible servers, e.g. http://127.0.0.1:9000 (path-style addressing). */
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** Multipart parts: 8 MiB, two in flight, so a put holds at most ~16 MiB whatever the object size. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/** Objects in an S3 bucket, or any S3-compatible server (MinIO). */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;

  constructor(private readonly location: S3Location) {
    const config: S3ClientConfig = { region: location.region };
    if (location.endpoint) Object.assign(config, { endpoint: location.endpoint, forcePathStyle: true });
    if (location.accessKeyId && location.secretAccessKey) {
      config.credentials = { accessKeyId: location.accessKeyId, secretAccessKey: location.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  private key(key: string, prefix = false): string {
    return `${this.location.prefix}${requireObjectKey(key, { prefix })}`;
  }

  uri(key: string): string {
    return `s3://${this.location.bucket}/${this.key(key)}`;
  }

  async put(key: string, body: Readable | Uint8Array, signal?: AbortSignal): Promise<ObjectInfo> {
    throwIfAborted(signal);
    // Upload streams in parts and completes the multipart upload only at the end (atomic); on
    // failure or abort it aborts the multipart upload, so no part stays visible or billed.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: this.key(key), Body: body },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (err) {
      throw translateStorageError(err, key);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return (await this.head(key))!;
  }

  async get(key: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.location.bucket,
          Key: this.key(key),
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
        { abortSignal: signal },
      );
      if (!res.Body) throw new NotFound(`object ${key} has no body`, { field: 'key' });
      return res.Body as Readable;
    } catch (err) {
      throw translateStorageError(err, key);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }), { abortSignal: signal });
      return { key, size: res.ContentLength ?? 0, lastModified: res.LastModified ?? new Date(0) };
    } catch (err) {
      const translated = translateStorageError(err, key);
      if (translated instanceof NotFound) return undefined;
      throw translated;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    const full = this.key(prefix, true);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: full, ContinuationToken: token }), {
          abortSignal: signal,
        });
      } catch (err) {
        throw translateStorageError(err, prefix);
      }
      for (const o of page.Contents ?? []) {
        yield { key: o.Key!.slice(this.location.prefix.length), size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }), { abortSignal: signal });
    } catch (err) {
      const translated = translateStorageError(err, key);
      if (!(translated instanceof NotFound)) throw translated;
    }
  }

  downloadUrl(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }), { expiresIn: seconds });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
