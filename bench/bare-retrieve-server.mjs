// The floor for RetrieveOnline: a bare grpc-js server on the same path answering every call with
// fixed bytes (REPLY_FILE's, or an empty message): no decoding, lookup, encoding, config or logs.
import { readFileSync } from 'node:fs';
import { Server, ServerCredentials } from '@grpc/grpc-js';

const reply = process.env.REPLY_FILE ? readFileSync(process.env.REPLY_FILE) : Buffer.alloc(0);
const server = new Server({ 'grpc.enable_channelz': 0 });
const passthrough = { requestSerialize: (v) => v, requestDeserialize: (b) => b, responseSerialize: (v) => v, responseDeserialize: (b) => b };
server.addService(
  { retrieveOnline: { path: '/featurestore.v1.RetrieveService/RetrieveOnline', requestStream: false, responseStream: false, ...passthrough } },
  { retrieveOnline: (_call, callback) => callback(null, reply) },
);
server.bindAsync(`127.0.0.1:${process.env.PORT}`, ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  console.log('listening');
});
process.once('SIGTERM', () => server.forceShutdown());
