import { FeatureStoreError, Internal, NotFound, PermissionDenied, Unavailable } from '../../core/errors.js';

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Turns an S3 or Azure SDK error into a typed error, keeping the original as cause. */
export function translateStorageError(err: unknown, key: string): Error {
  if (err instanceof FeatureStoreError) return err;
  const e = err as { name?: string; code?: string; statusCode?: number; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const status = e.$metadata?.httpStatusCode ?? e.statusCode;
  const code = e.code ?? e.cause?.code ?? e.name;
  if (status === 404 || code === 'NoSuchKey' || code === 'NotFound' || code === 'BlobNotFound' || code === 'PathNotFound') {
    return new NotFound(`object ${key} does not exist`, { field: 'key', cause: err });
  }
  if (status === 403 || status === 401 || code === 'AccessDenied' || code === 'AuthorizationFailure') {
    return new PermissionDenied('the object store refused the credentials; check the storage settings', { cause: err });
  }
  if (code === 'AbortError' || e.name === 'AbortError') return err as Error;
  if ((code && NETWORK.has(code)) || (status !== undefined && status >= 500)) {
    return new Unavailable('the object store is unreachable or failing; retry later', { cause: err });
  }
  return new Internal('object store error', { cause: err });
}
