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
}

export interface BindOptions {
  authenticator: Authenticator;
  logger: Logger;
}

/**
 * Adapts promise handlers to grpc-js: authenticates, turns the deadline and cancellation into an
 * AbortSignal, maps every error through the one error table, logs each call once, and guarantees
 * the callback is called exactly once.
 */
export function bindService<S extends ServiceDefinition>(name: string, definition: S, handlers: Handlers<S>, options: BindOptions): ServiceBinding {
  const implementation: UntypedServiceImplementation = {};
  const decoding: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [method, def] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    // Bytes that are not the request message are the client's mistake: grpc-js would answer a
    // decoder's throw with INTERNAL, so the failure is carried to the handler and answered
    // INVALID_ARGUMENT there.
    decoding[method] = {
      ...def,
      // A handler may answer with a WireReply, which writes the message's bytes itself (RetrieveOnline does).
      responseSerialize: (value: unknown) => (value instanceof WireReply ? value.write() : def.responseSerialize(value)),
      requestDeserialize: (bytes: Buffer) => {
        try {
          return def.requestDeserialize(bytes);
        } catch (err) {
          return new Undecodable(rpcMessageName(def.path), err);
        }
      },
    };
    const handler = (handlers as Record<string, unknown>)[method] as Unary<unknown, unknown> & ServerStreaming<unknown, unknown>;
    const rpc = def.path;
    if (def.requestStream) throw new Error(`${rpc}: client streaming is not supported by the runtime`);
    implementation[method] = def.responseStream
      ? (call: ServerWritableStream<unknown, unknown>) => {
          void run(rpc, call, options, async (ctx) => {
            await handler(call.request, ctx, (res) => call.write(res));
          }).then((failure) => (failure ? call.emit('error', failure) : call.end()));
        }
      : (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
          let response: unknown;
          void run(rpc, call, options, async (ctx) => {
            response = await handler(call.request, ctx);
          }).then((failure) => (failure ? callback(failure) : callback(null, response)));
        };
  }
  return { name, definition: decoding, implementation };
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

interface GrpcFailure extends Error {
  code: number;
  details: string;
  metadata: Metadata;
}

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

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

async function run(rpc: string, call: AnyCall, options: BindOptions, body: (ctx: CallContext) => Promise<void>): Promise<GrpcFailure | undefined> {
  const started = performance.now();
  const cancellation = new Cancellation();
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number.isFinite(deadline) ? Number(deadline) : Infinity;
  const overdue = () => cancellation.abort(new DeadlineExceeded('the deadline passed'));
  // grpc-js ends an overdue call as cancelled too, often before this process's own timer fires.
  const onCancel = () => (Date.now() >= at ? overdue() : cancellation.abort(new Cancelled('the caller cancelled the call')));
  call.on('cancelled', onCancel);
  const timer = Number.isFinite(at) ? setTimeout(overdue, Math.max(0, at - Date.now())) : undefined;
  const logger = options.logger;
  try {
    if (call.request instanceof Undecodable) {
      throw new InvalidArgument(
        `is not a valid ${call.request.message} (${String((call.request.cause as Error)?.message ?? call.request.cause).slice(0, 120)})`,
        { field: 'request' },
      );
    }
    const authorization = call.metadata.get('authorization')[0];
    const principal = await options.authenticator.authenticate({
      authorization: typeof authorization === 'string' ? authorization : undefined,
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
    const metadata = new Metadata();
    const field = (err as { field?: unknown }).field;
    if (typeof field === 'string' && !reply.internal) metadata.set('featurestore-field', field);
    return Object.assign(new Error(reply.message), { code: reply.grpc, details: reply.message, metadata });
  } finally {
    if (timer) clearTimeout(timer);
    call.removeListener('cancelled', onCancel);
  }
}
