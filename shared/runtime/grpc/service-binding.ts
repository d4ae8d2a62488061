import type { MethodDefinition, ServerUnaryCall, ServerWritableStream, ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { Cancelled, DeadlineExceeded, FeatureStoreError, InvalidArgument } from '../../core/errors.js';
import type { Authenticator } from '../../core/ports/authenticator.js';
import type { Principal } from '../../core/principal.js';
import { errorReply } from '../error-status.js';
import type { Logger } from '../logger.js';

/** What every handler gets besides its request. */
export interface CallContext {
  principal: Principal;
  /** Aborts when the client cancels or the deadline passes (made when first read). */
  readonly signal: AbortSignal;
  logger: Logger;
}

type Unary<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
type ServerStreaming<Req, Res> = (request: Req, ctx: CallContext, send: (response: Res) => void) => Promise<void>;

/** Promise-returning handlers for every method of a generated service definition. */
export type Handlers<S extends ServiceDefinition> = {
  [K in keyof S]: S[K] extends MethodDefinition<infer Req, infer Res>
    ? S[K]['responseStream'] extends true
      ? ServerStreaming<Req, Res>
      : Unary<Req, Res>
    : never;
};

export interface ServiceBinding {
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
  /** The unary methods by path, for the server to answer straight from HTTP/2 (direct-unary.ts). */
  unary: Map<string, UnaryMethod>;
}

export interface BindOptions {
  authenticator: Authenticator;
  logger: Logger;
}

/** What running a call needs from it, whichever transport carries it. */
export interface CallSource {
  /** The decoded request (or an Undecodable, answered INVALID_ARGUMENT). */
  readonly request: unknown;
  /** The `authorization` header, as sent. */
  readonly authorization: string | undefined;
  /** When the call is overdue, in ms since the epoch; Infinity when it has no deadline. */
  readonly deadline: number;
  /** `listener` runs if the call ends early (the caller cancelled, or the connection went). */
  onCancel(listener: () => void): void;
  offCancel(listener: () => void): void;
}

/** A call's refusal: its gRPC status, message and the field at fault. */
export interface Refusal {
  code: number;
  message: string;
  field?: string;
}

export type Outcome = { ok: true; response: unknown } | { ok: false; refusal: Refusal };

/** A unary method, apart from its transport. */
export interface UnaryMethod {
  /** The request message from its bytes; an Undecodable (answered INVALID_ARGUMENT) when they are not one. */
  decode(bytes: Buffer): unknown;
  serve(call: CallSource): Promise<Outcome>;
  /** The response's bytes, which may be lent (a WireReply's): copy them before anything else runs. */
  encode(response: unknown): Buffer;
}

/**
 * Adapts promise handlers to grpc-js and to the direct unary path: authenticates, turns the deadline
 * and cancellation into an AbortSignal, maps every error through the one error table, logs each call
 * once, and guarantees each call is answered exactly once.
 */
export function bindService<S extends ServiceDefinition>(name: string, definition: S, handlers: Handlers<S>, options: BindOptions): ServiceBinding {
  const implementation: UntypedServiceImplementation = {};
  const decoding: Record<string, MethodDefinition<unknown, unknown>> = {};
  const unary = new Map<string, UnaryMethod>();
  for (const [method, def] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    // Bytes that are not the request message are the client's mistake: grpc-js would answer a
    // decoder's throw with INTERNAL, so the failure is carried to the handler and answered
    // INVALID_ARGUMENT there.
    const decode = (bytes: Buffer) => {
      try {
        return def.requestDeserialize(bytes);
      } catch (err) {
        return new Undecodable(rpcMessageName(def.path), err);
      }
    };
    // A handler may answer with a WireReply, which writes the message's bytes itself (RetrieveOnline does).
    const encode = (value: unknown) => (value instanceof WireReply ? value.write() : def.responseSerialize(value));
    decoding[method] = { ...def, responseSerialize: encode, requestDeserialize: decode };
    const handler = (handlers as Record<string, unknown>)[method] as Unary<unknown, unknown> & ServerStreaming<unknown, unknown>;
    const rpc = def.path;
    if (def.requestStream) throw new Error(`${rpc}: client streaming is not supported by the runtime`);
    if (def.responseStream) {
      implementation[method] = (call: ServerWritableStream<unknown, unknown>) => {
        void run(rpc, grpcSource(call), options, async (ctx) => {
          await handler(call.request, ctx, (res) => call.write(res));
        }).then((refusal) => (refusal ? call.emit('error', grpcFailure(refusal)) : call.end()));
      };
      continue;
    }
    const serve = async (call: CallSource): Promise<Outcome> => {
      let response: unknown;
      const refusal = await run(rpc, call, options, async (ctx) => {
        response = await handler(call.request, ctx);
      });
      return refusal ? { ok: false, refusal } : { ok: true, response };
    };
    unary.set(rpc, { decode, serve, encode });
    implementation[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      void serve(grpcSource(call)).then((outcome) => (outcome.ok ? callback(null, outcome.response) : callback(grpcFailure(outcome.refusal))));
    };
  }
  return { name, definition: decoding, implementation, unary };
}

/**
 * A reply that writes its message's bytes when grpc-js serializes it. grpc-js copies them into its
 * frame at once, in the same synchronous step, so `write` may return bytes it lends (a shared
 * writer's, reused by the next reply) rather than a copy of its own.
 */
export class WireReply {
  constructor(readonly write: () => Buffer) {}
}

/** A request whose bytes did not decode as the method's message. */
class Undecodable {
  constructor(
    readonly message: string,
    readonly cause: unknown,
  ) {}
}

function rpcMessageName(path: string): string {
  return `${path.split('/').pop()}Request`;
}

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

/** A grpc-js call as run sees it. */
function grpcSource(call: AnyCall): CallSource {
  const deadline = call.getDeadline();
  const authorization = call.metadata.get('authorization')[0];
  return {
    request: call.request,
    authorization: typeof authorization === 'string' ? authorization : undefined,
    deadline: deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? Number(deadline) : Infinity,
    onCancel: (listener) => call.on('cancelled', listener),
    offCancel: (listener) => call.removeListener('cancelled', listener),
  };
}

/** A refusal as grpc-js sends it. */
function grpcFailure(refusal: Refusal): Error {
  const metadata = new Metadata();
  if (refusal.field !== undefined) metadata.set('featurestore-field', refusal.field);
  return Object.assign(new Error(refusal.message), { code: refusal.code, details: refusal.message, metadata });
}

/**
 * A call's cancellation. Its AbortSignal is made when first read: making one costs about 2 µs and
 * an EventTarget per call (issue #16), and the online read path never reads it. A call cancelled or
 * overdue before then gets a signal that is already aborted.
 */
class Cancellation {
  private controller?: AbortController;
  /** Why the call stopped, once it has. */
  reason?: FeatureStoreError;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: FeatureStoreError): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/** What a handler gets: `signal` is the call's, made when first read. */
class Context implements CallContext {
  constructor(
    readonly principal: Principal,
    readonly logger: Logger,
    private readonly cancellation: Cancellation,
  ) {}

  get signal(): AbortSignal {
    return this.cancellation.signal;
  }
}

/** How long before the deadline a cancel is taken as the deadline's (see run). */
const DEADLINE_SLACK_MS = 20;

async function run(rpc: string, call: CallSource, options: BindOptions, body: (ctx: CallContext) => Promise<void>): Promise<Refusal | undefined> {
  const started = performance.now();
  const cancellation = new Cancellation();
  const at = call.deadline;
  const overdue = () => cancellation.abort(new DeadlineExceeded('the deadline passed'));
  // A client ends its call when its own deadline passes, counted from before the request crossed
  // the network: a cancel that close to the deadline is the deadline (grpc-js also ends an overdue
  // call as cancelled, often before this process's own timer fires).
  const onCancel = () => (Date.now() >= at - DEADLINE_SLACK_MS ? overdue() : cancellation.abort(new Cancelled('the caller cancelled the call')));
  call.onCancel(onCancel);
  const timer = Number.isFinite(at) ? setTimeout(overdue, Math.max(0, at - Date.now())) : undefined;
  const logger = options.logger;
  try {
    if (call.request instanceof Undecodable) {
      throw new InvalidArgument(
        `is not a valid ${call.request.message} (${String((call.request.cause as Error)?.message ?? call.request.cause).slice(0, 120)})`,
        { field: 'request' },
      );
    }
    const principal = await options.authenticator.authenticate({
      authorization: call.authorization,
      get signal() {
        return cancellation.signal;
      },
    });
    await body(new Context(principal, logger, cancellation));
    if (logger.isLevelEnabled('debug')) logger.debug({ rpc, ms: Math.round(performance.now() - started) }, 'call ok');
    return undefined;
  } catch (thrown) {
    // A cancelled or overdue call ends with whatever the aborted step threw: report why it stopped.
    const err = cancellation.reason ?? thrown;
    const reply = errorReply(err);
    const entry = { rpc, code: reply.grpc, ms: Math.round(performance.now() - started) };
    if (reply.internal) logger.error({ ...entry, err }, 'call failed');
    else logger.info({ ...entry, message: reply.message }, 'call refused');
    const field = (err as { field?: unknown }).field;
    return typeof field === 'string' && !reply.internal ? { code: reply.grpc, message: reply.message, field } : { code: reply.grpc, message: reply.message };
  } finally {
    if (timer) clearTimeout(timer);
    call.offCancel(onCancel);
  }
}
