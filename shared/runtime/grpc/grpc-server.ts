import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { HealthStatus } from './health.js';
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
 * health service: "" and every service name report SERVING until shutdown begins.
 */
export async function startGrpcServer(bindings: ServiceBinding[], options: { host: string; port: number; logger: Logger }): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const health = new HealthStatus(bindings.map((b) => b.name));
  health.addTo(server);
  for (const b of bindings) server.addService(b.definition, b.implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
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
