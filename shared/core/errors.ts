// One error hierarchy for the whole store. Each error knows its status name and whether a retry can
// succeed; shared/runtime/error-status.ts maps status names to gRPC codes and CloudEvent replies.

export type StatusName =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

/** Where in the input something is wrong (rows of a source file, for instance). */
export interface ErrorDetail {
  field: string;
  /** 1-based data row; 0 when not row-specific. */
  row: number;
  column: string;
  message: string;
}

export interface ErrorOptions {
  /** The request field at fault, as a path such as `schema.features[2].type`. */
  field?: string;
  details?: ErrorDetail[];
  cause?: unknown;
}

export abstract class FeatureStoreError extends Error {
  abstract readonly status: StatusName;
  /** Whether the same call may succeed later without changes. */
  readonly retryable: boolean = false;
  readonly field?: string;
  readonly details: ErrorDetail[];

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.field = options.field;
    this.details = options.details ?? [];
  }

  /** The message shown to clients: the field at fault first. */
  get publicMessage(): string {
    return this.field ? `${this.field}: ${this.message}` : this.message;
  }
}

export class InvalidArgument extends FeatureStoreError {
  readonly status = 'INVALID_ARGUMENT';
}
export class NotFound extends FeatureStoreError {
  readonly status = 'NOT_FOUND';
}
export class AlreadyExists extends FeatureStoreError {
  readonly status = 'ALREADY_EXISTS';
}
export class FailedPrecondition extends FeatureStoreError {
  readonly status = 'FAILED_PRECONDITION';
}
/** A concurrent change won: re-read and retry. */
export class Aborted extends FeatureStoreError {
  readonly status = 'ABORTED';
  override readonly retryable = true;
}
export class PermissionDenied extends FeatureStoreError {
  readonly status = 'PERMISSION_DENIED';
}
export class Unauthenticated extends FeatureStoreError {
  readonly status = 'UNAUTHENTICATED';
}
export class ResourceExhausted extends FeatureStoreError {
  readonly status = 'RESOURCE_EXHAUSTED';
}
export class Unavailable extends FeatureStoreError {
  readonly status = 'UNAVAILABLE';
  override readonly retryable = true;
}
export class DeadlineExceeded extends FeatureStoreError {
  readonly status = 'DEADLINE_EXCEEDED';
  override readonly retryable = true;
}
export class Cancelled extends FeatureStoreError {
  readonly status = 'CANCELLED';
}
export class Unimplemented extends FeatureStoreError {
  readonly status = 'UNIMPLEMENTED';
}
export class Internal extends FeatureStoreError {
  readonly status = 'INTERNAL';
}

/** Throws Cancelled when the caller has gone away or the deadline passed. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof FeatureStoreError) throw reason;
    throw new Cancelled('the call was cancelled', { cause: reason });
  }
}
