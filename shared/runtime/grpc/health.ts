import { status as GrpcStatus, type Server, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from '../../gen/grpc/health/v1/health.js';

/**
 * grpc.health.v1.Health from generated code. It replaces the grpc-health-check package, which
 * parses health.proto with protobufjs at start: ~170 ms of every cold start on this machine.
 * Check answers NOT_FOUND for unknown services; Watch streams the status and every change.
 */
/** The health service's own name (reflection lists it). */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export class HealthStatus {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(s: ServingStatus) => void>>();

  constructor(services: string[]) {
    for (const s of ['', ...services]) this.statuses.set(s, ServingStatus.SERVING);
  }

  /** Marks every service NOT_SERVING (shutdown has begun). */
  drain(): void {
    for (const service of this.statuses.keys()) this.set(service, ServingStatus.NOT_SERVING);
  }

  private set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const notify of this.watchers.get(service) ?? []) notify(status);
  }

  addTo(server: Server): void {
    server.addService(HealthService, {
      check: (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service ${call.request.service}` });
        else callback(null, { status });
      },
      watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        const service = call.request.service;
        const send = (status: ServingStatus) => call.write({ status });
        send(this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
        const set = this.watchers.get(service) ?? new Set();
        this.watchers.set(service, set.add(send));
        call.once('cancelled', () => set.delete(send));
      },
    });
  }
}
