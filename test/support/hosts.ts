import { makeClientConstructor, credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { startHost, type RunningHost } from '../../shared/runtime/host.js';
import { testLogger } from './silent-logger.js';

/** Starts functions in this process on a free loopback port. */
export function startTestHost(definitions: FunctionDefinition[], env: Record<string, string>): Promise<RunningHost> {
  return startHost(definitions, {
    env: { PORT: '0', FEATURESTORE_BIND: '127.0.0.1', FEATURESTORE_DRAIN_SECONDS: '5', ...env },
    logger: testLogger,
  });
}

const HealthClient = makeClientConstructor(healthService as never, 'grpc.health.v1.Health');

/** grpc.health.v1.Health/Check for a service ("" = the server). */
export function healthCheck(port: number, service = ''): Promise<string> {
  const client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as Client & {
    check(req: { service: string }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
  };
  return new Promise((resolve, reject) => {
    client.check({ service }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status);
    });
  });
}
