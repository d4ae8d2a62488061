import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { GrpcStatus as Code } from '../error-status.js';
import type { CallSource, Outcome, Refusal, UnaryMethod } from './service-binding.js';

// Unary calls answered straight from node:http2 (issue #16). grpc-js spends about 22 µs of CPU on
// each call's bookkeeping (its interceptor chain, Metadata, per-call streams and timers): a third of
// what a bare grpc-js server spends per call. A unary call's wire form is small: one length-prefixed
// message each way, the status in the trailers. grpc-js keeps the connections (settings, keepalive,
// idle and age limits, shutdown) and every call this path hands back: compressed requests, timeouts
// it does not parse, streaming methods, health and reflection.

const MS_PER_UNIT: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
/** The gRPC spec's Timeout: at most 8 digits and a unit. */
const TIMEOUT = /^(\d{1,8})([HMSmun])$/;

// The spec's required headers and trailer only (Node checks every header of every response).
const OK_HEADERS = { [constants.HTTP2_HEADER_STATUS]: 200, [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto' };
const OK_TRAILERS = { 'grpc-status': '0' };
const RESPOND_THEN_TRAILERS = { waitForTrailers: true };
const ignore = () => undefined;
const SECOND_MESSAGE: Refusal = { code: Code.UNIMPLEMENTED, message: 'Received a second request message for a unary method' };

// The stream's listeners are shared, not made per call: each finds its call on the stream.
const CALL = Symbol('direct unary call');
type Carrier = ServerHttp2Stream & { [CALL]: DirectCall };
function onData(this: Carrier, chunk: Buffer): void {
  this[CALL].data(chunk);
}
function onEnd(this: Carrier): void {
  this[CALL].end();
}
function onClose(this: Carrier): void {
  this[CALL].close();
}
function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

/**
 * Takes the call if this path can answer it: a unary method of a binding, sent uncompressed, with no
 * deadline or one in the spec's form. Otherwise answers false and grpc-js serves the call as usual.
 */
export function takeUnaryCall(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, method: UnaryMethod, maxMessageBytes: number): boolean {
  const encoding = headers['grpc-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return false;
  const timeout = headers['grpc-timeout'];
  let deadline = Infinity;
  if (timeout !== undefined) {
    const m = TIMEOUT.exec(timeout as string);
    if (!m) return false;
    deadline = Date.now() + Number(m[1]) * MS_PER_UNIT[m[2]];
  }
  const authorization = headers['authorization'];
  new DirectCall(stream, method, typeof authorization === 'string' ? authorization : undefined, deadline, maxMessageBytes);
  return true;
}

/** One unary call: reads its one message, runs it, answers it once. */
class DirectCall implements CallSource {
  request: unknown;
  private chunks: Buffer[] = [];
  private received = 0;
  /** The frame's length, once its prefix has come. */
  private expected = Infinity;
  /** Whether the call has been answered (or its stream has gone). */
  private done = false;
  private cancelled?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly method: UnaryMethod,
    readonly authorization: string | undefined,
    readonly deadline: number,
    private readonly maxMessageBytes: number,
  ) {
    (stream as Carrier)[CALL] = this;
    // Every stream error comes with a close, which is where an unanswered call is cancelled.
    stream.on('error', ignore);
    stream.on('data', onData);
    // 'end' and 'close' come once each.
    stream.on('end', onEnd);
    stream.on('close', onClose);
    if (Number.isFinite(deadline)) this.timer = setTimeout(() => this.overdue(), Math.max(0, deadline - Date.now()));
  }

  onCancel(listener: () => void): void {
    this.cancelled = listener;
  }

  offCancel(): void {
    this.cancelled = undefined;
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    const before = this.received;
    this.chunks.push(chunk);
    this.received += chunk.length;
    // The message's length, once its prefix has come, is checked before the rest is kept; bytes past
    // it are a second message, refused at once, so a call never holds more than one message.
    if (before < 5 && this.received >= 5) {
      const length = (this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks)).readUInt32BE(1);
      if (length > this.maxMessageBytes)
        return this.refuse({ code: Code.RESOURCE_EXHAUSTED, message: `Received message larger than max (${length} vs. ${this.maxMessageBytes})` });
      this.expected = 5 + length;
    }
    if (this.received > this.expected) this.refuse(SECOND_MESSAGE);
  }

  end(): void {
    if (this.done) return;
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.received);
    this.chunks = [];
    if (body.length === 0) return this.refuse({ code: Code.UNIMPLEMENTED, message: 'Received no messages for unary method' });
    if (body.length < 5) return this.refuse({ code: Code.INTERNAL, message: 'Received a truncated message' });
    if (body[0] !== 0) return this.refuse({ code: Code.INTERNAL, message: 'Received a compressed message without a grpc-encoding' });
    const end = 5 + body.readUInt32BE(1);
    if (body.length < end) return this.refuse({ code: Code.INTERNAL, message: 'Received a truncated message' });
    this.request = this.method.decode(body.subarray(5));
    void this.method.serve(this).then(this.answer);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.done) return;
    this.done = true;
    this.cancelled?.();
  }

  private overdue(): void {
    this.refuse({ code: Code.DEADLINE_EXCEEDED, message: 'Deadline exceeded' });
    this.cancelled?.();
  }

  private answer = (outcome: Outcome): void => {
    if (this.done) return;
    if (!outcome.ok) return this.refuse(outcome.refusal);
    // The bytes may be lent: they are copied into the frame before anything else runs.
    const message = this.method.encode(outcome.response);
    if (message.length > this.maxMessageBytes) {
      return this.refuse({ code: Code.RESOURCE_EXHAUSTED, message: `Sent message larger than max (${message.length} vs. ${this.maxMessageBytes})` });
    }
    const frame = Buffer.allocUnsafe(5 + message.length);
    frame[0] = 0;
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    // The stream may have gone between the check and here (its session torn down): nothing is
    // left to answer then, and a throw here would be an unhandled rejection.
    try {
      stream.respond(OK_HEADERS, RESPOND_THEN_TRAILERS);
      stream.on('wantTrailers', sendOkTrailers);
      stream.end(frame);
    } catch {
      stream.destroy();
    }
  };

  /** Answers the status alone (a trailers-only response), as grpc-js does for a failed call. */
  private refuse(refusal: Refusal): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.chunks = [];
    // Data still coming is read and dropped (onData), so the caller is not held by flow control.
    if (this.stream.destroyed || this.stream.closed || this.stream.headersSent) return;
    const headers: Record<string, string | number> = {
      [constants.HTTP2_HEADER_STATUS]: 200,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
      'grpc-status': String(refusal.code),
      'grpc-message': encodeURI(refusal.message),
    };
    if (refusal.field !== undefined) headers['featurestore-field'] = refusal.field;
    try {
      this.stream.respond(headers, { endStream: true });
    } catch {
      this.stream.destroy();
    }
  }
}
