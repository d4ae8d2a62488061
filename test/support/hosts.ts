import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../shared/gen/grpc/health/v1/health.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { startHost, type RunningHost } from '../../shared/runtime/host.js';
import { testLogger } from './silent-logger.js';

/** Starts functions in this process on a free loopback port. */
export function startTestHost(definitions: FunctionDefinition[], env: Record<string, string>): Promise<RunningHost> {
  return startHost(definitions, {
    // Offline data goes to a temp dir, never into the checkout.
    env: {
      PORT: '0',
      FEATURESTORE_BIND: '127.0.0.1',
      FEATURESTORE_DRAIN_SECONDS: '5',
      FEATURESTORE_OFFLINE_DIR: mkdtempSync(join(tmpdir(), 'fs-offline-')),
      ...env,
    },
    logger: testLogger,
  });
}

/** grpc.health.v1.Health/Check for a service ("" = the server). */
export function healthCheck(port: number, service = ''): Promise<string> {
  const client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.check({ service }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(HealthCheckResponse_ServingStatus[res.status]);
    });
  });
}
