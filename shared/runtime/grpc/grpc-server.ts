import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { isIPv4, isIPv6 } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { HealthStatus, HEALTH_SERVICE } from './health.js';
import { takeUnaryCall } from './direct-unary.js';
import { addReflection } from './reflection.js';
import type { ServiceBinding, UnaryMethod } from './service-binding.js';

/** Large enough for a 4 MiB inline sample plus framing. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface RunningGrpcServer {
  port: number;
  /** Whether the bindings' unary calls are answered straight from HTTP/2 (direct-unary.ts). */
  direct: boolean;
  /** Calls answered that way so far. */
  readonly directCalls: number;
  /** Stops taking calls, waits up to `drainMs` for calls in flight, then cuts the rest. */
  shutdown(drainMs: number): Promise<void>;
}

/**
 * Serves the bindings over h2c (plaintext HTTP/2, as Knative's `h2c` port expects) with the gRPC
 * health service ("" and every service name report SERVING until shutdown begins) and server
 * reflection.
 */
export async function startGrpcServer(
  bindings: ServiceBinding[],
  options: { host: string; port: number; logger: Logger; /** Default true; false leaves every call to grpc-js. */ direct?: boolean },
): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // channelz bookkeeping costs several percent of every call's CPU; nothing here reads it.
    'grpc.enable_channelz': 0,
  });
  const health = new HealthStatus(bindings.map((b) => b.name));
  health.addTo(server);
  for (const b of bindings) server.addService(b.definition, b.implementation);
  addReflection(server, [...bindings.map((b) => b.name), HEALTH_SERVICE]);
  const counter = { calls: 0 };
  const wanted = options.direct !== false;
  const direct = wanted && answerUnaryDirectly(server, new Map(bindings.flatMap((b) => [...b.unary])), counter);
  if (wanted && !direct) options.logger.warn('this grpc-js has no stream hook: every call goes through grpc-js (slower unary calls)');

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(bindTarget(options.host, options.port), ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  let stopping: Promise<void> | undefined;
  return {
    port,
    direct,
    get directCalls() {
      return counter.calls;
    },
    shutdown(drainMs: number) {
      stopping ??= new Promise<void>((resolve) => {
        health.drain();
        const force = setTimeout(() => {
          options.logger.warn({ drainMs }, 'calls still running after the drain period; cutting them');
          server.forceShutdown();
          resolve();
        }, drainMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopping;
    },
  };
}

/** The grpc-js internals the direct path hooks into (grpc-js 1.14: Server#_streamHandler, onStreamOpened). */
interface StreamHook {
  channelzEnabled?: boolean;
  _streamHandler?: (this: Server, interceptors: unknown, stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
  onStreamOpened?: (this: Server, stream: ServerHttp2Stream) => void;
}

/**
 * Puts the direct unary path in front of grpc-js's handler for each new stream: the calls it takes
 * are answered from HTTP/2, the rest go on to grpc-js. grpc-js binds the handler when the server
 * binds, so this runs before bindAsync. Answers false, changing nothing, when this grpc-js lacks the
 * hook (test/runtime/direct-unary.test.ts fails then, so an upgrade cannot lose it unnoticed).
 */
function answerUnaryDirectly(server: Server, methods: Map<string, UnaryMethod>, counter: { calls: number }): boolean {
  const hook = server as unknown as StreamHook;
  const grpcHandler = hook._streamHandler;
  const opened = hook.onStreamOpened;
  if (typeof grpcHandler !== 'function' || typeof opened !== 'function' || hook.channelzEnabled !== false) return false;
  hook._streamHandler = function (this: Server, interceptors, stream, headers) {
    const method = methods.get(headers[':path'] as string);
    const type = headers['content-type'];
    if (method && typeof type === 'string' && type.startsWith('application/grpc') && takeUnaryCall(stream, headers, method, MAX_MESSAGE_BYTES)) {
      // grpc-js counts a connection's open streams for its idle timeout.
      opened.call(this, stream);
      counter.calls++;
      return;
    }
    grpcHandler.call(this, interceptors, stream, headers);
  };
  return true;
}

/**
 * An IP literal goes through grpc-js's ipv4:/ipv6: resolvers: the default dns: resolver calls
 * dns.lookup on libuv's thread pool, which PGlite keeps busy at start (measured: 285 ms vs 2 ms).
 */
function bindTarget(host: string, port: number): string {
  if (isIPv4(host)) return `ipv4:${host}:${port}`;
  if (isIPv6(host)) return `ipv6:[${host}]:${port}`;
  return `${host}:${port}`;
}
