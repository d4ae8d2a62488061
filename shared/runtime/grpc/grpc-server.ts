import { isIPv4, isIPv6 } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { HealthStatus, HEALTH_SERVICE } from './health.js';
import { addReflection } from './reflection.js';
import type { ServiceBinding } from './service-binding.js';

/** Large enough for a 4 MiB inline sample plus framing. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface RunningGrpcServer {
  port: number;
  /** Stops taking calls, waits up to `drainMs` for calls in flight, then cuts the rest. */
  shutdown(drainMs: number): Promise<void>;
}

/**
 * Serves the bindings over h2c (plaintext HTTP/2, as Knative's `h2c` port expects) with the gRPC
 * health service ("" and every service name report SERVING until shutdown begins) and server
 * reflection.
 */
export async function startGrpcServer(bindings: ServiceBinding[], options: { host: string; port: number; logger: Logger }): Promise<RunningGrpcServer> {
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

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(bindTarget(options.host, options.port), ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  let stopping: Promise<void> | undefined;
  return {
    port,
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

/**
 * An IP literal goes through grpc-js's ipv4:/ipv6: resolvers: the default dns: resolver calls
 * dns.lookup on libuv's thread pool, which PGlite keeps busy at start (measured: 285 ms vs 2 ms).
 */
function bindTarget(host: string, port: number): string {
  if (isIPv4(host)) return `ipv4:${host}:${port}`;
  if (isIPv6(host)) return `ipv6:[${host}]:${port}`;
  return `${host}:${port}`;
}
