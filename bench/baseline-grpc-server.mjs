// The raw baseline for cold start: a bare grpc-js server answering grpc.health.v1.Health/Check
// with a hand-encoded SERVING reply. No config, logging, generated code or database.
import { Server, ServerCredentials } from '@grpc/grpc-js';

const SERVING = Buffer.from([0x08, 0x01]); // HealthCheckResponse { status: SERVING }
const server = new Server();
server.addService(
  {
    check: {
      path: '/grpc.health.v1.Health/Check',
      requestStream: false,
      responseStream: false,
      requestSerialize: (v) => v,
      requestDeserialize: (b) => b,
      responseSerialize: (v) => v,
      responseDeserialize: (b) => b,
    },
  },
  { check: (_call, callback) => callback(null, SERVING) },
);
server.bindAsync(`127.0.0.1:${process.env.PORT}`, ServerCredentials.createInsecure(), () => {});
process.once('SIGTERM', () => server.forceShutdown());
