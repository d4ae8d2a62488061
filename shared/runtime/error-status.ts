import { FeatureStoreError, type StatusName } from '../core/errors.js';

// The one table from error to reply. Handlers never pick codes.

/** gRPC status codes (fixed by the gRPC spec, doc/statuscodes.md); spelled out here so event
 *  functions do not load grpc-js just for these numbers. */
export const GrpcStatus = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

interface Reply {
  grpc: number;
  /** The HTTP status answered to a CloudEvent delivery. Knative retries 5xx, 404, 408, 409 and
   *  429, so non-retryable errors answer 400/422 (never 404) and go to the dead-letter sink. */
  eventHttp: number;
}

const TABLE: Record<StatusName, Reply> = {
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, eventHttp: 400 },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, eventHttp: 422 },
  ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, eventHttp: 422 },
  FAILED_PRECONDITION: { grpc: GrpcStatus.FAILED_PRECONDITION, eventHttp: 422 },
  ABORTED: { grpc: GrpcStatus.ABORTED, eventHttp: 503 },
  PERMISSION_DENIED: { grpc: GrpcStatus.PERMISSION_DENIED, eventHttp: 422 },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, eventHttp: 422 },
  RESOURCE_EXHAUSTED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, eventHttp: 429 },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, eventHttp: 503 },
  DEADLINE_EXCEEDED: { grpc: GrpcStatus.DEADLINE_EXCEEDED, eventHttp: 503 },
  CANCELLED: { grpc: GrpcStatus.CANCELLED, eventHttp: 503 },
  UNIMPLEMENTED: { grpc: GrpcStatus.UNIMPLEMENTED, eventHttp: 422 },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, eventHttp: 500 },
};

export interface ErrorReply extends Reply {
  /** Safe to show: no stack traces, no SQL. */
  message: string;
  /** Whether the error is the caller's (logged quietly) or ours (logged as an error). */
  internal: boolean;
}

/** Longest message a reply carries: messages quote input, and a status travels in an HTTP/2 trailer. */
const MAX_MESSAGE = 1000;

export function errorReply(err: unknown): ErrorReply {
  if (err instanceof FeatureStoreError && err.status !== 'INTERNAL') {
    const message = err.publicMessage;
    return {
      ...TABLE[err.status],
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 40)}... (${message.length} characters)` : message,
      internal: false,
    };
  }
  return { ...TABLE.INTERNAL, message: 'internal error; the server log has the details', internal: true };
}
