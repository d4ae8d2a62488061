// The floor for RetrieveOnline: a bare grpc-js server on the same path answering every call with
// fixed bytes (REPLY_FILE's, or an empty message): no decoding, lookup, encoding, config or logs.
// With REDIS_URL and REDIS_KEYS (comma-separated) each call first reads those keys from Redis (GET of
// one, MGET of several; ioredis with auto-pipelining, as the online store reads): the floor of a
// server that must fetch its answer, which the online read path is.
// With TRANSPORT=http2 the same answers come from a bare node:http2 server instead of grpc-js: the
// floor of the transport itself, which our unary calls now stand on (shared/runtime/grpc/direct-unary.ts).
// With PROCS=2, as many processes share the port (node:cluster, as the retrieve function's workers do):
// what a second process adds to a floor on the same machine.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http2';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Redis } from 'ioredis';

const procs = Number(process.env.PROCS ?? 1);
if (procs > 1 && cluster.isPrimary) {
  const workers = Array.from({ length: procs }, () => cluster.fork());
  process.once('SIGTERM', () => {
    for (const w of workers) w.kill('SIGTERM');
    process.exit(0);
  });
} else await serve();

async function serve() {
  const reply = process.env.REPLY_FILE ? readFileSync(process.env.REPLY_FILE) : Buffer.alloc(0);
  const keys = process.env.REDIS_KEYS ? process.env.REDIS_KEYS.split(',') : [];
  const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL, { enableAutoPipelining: true }) : undefined;
  const read = !redis ? undefined : keys.length === 1 ? () => redis.getBuffer(keys[0]) : () => redis.mgetBuffer(keys);
  // The keys must stand (a missing key is a cheaper read).
  if (read && [await read()].flat().some((v) => v === null)) throw new Error(`REDIS_KEYS: not every key stands in ${process.env.REDIS_URL}`);
  if (process.env.TRANSPORT === 'http2') {
    const frame = Buffer.alloc(5 + reply.length);
    frame.writeUInt32BE(reply.length, 1);
    reply.copy(frame, 5);
    const headers = { ':status': 200, 'content-type': 'application/grpc+proto' };
    const answer = (stream) => {
      if (stream.destroyed) return;
      stream.respond(headers, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    };
    const server = createServer();
    server.on('stream', (stream) => {
      stream.on('error', () => {});
      stream.on('data', () => {});
      stream.once('end', () => (read ? read().then(() => answer(stream)) : answer(stream)));
    });
    server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
    process.once('SIGTERM', () => {
      server.close();
      redis?.disconnect();
      process.exit(0);
    });
  } else {
    const server = new Server({ 'grpc.enable_channelz': 0 });
    const passthrough = { requestSerialize: (v) => v, requestDeserialize: (b) => b, responseSerialize: (v) => v, responseDeserialize: (b) => b };
    server.addService(
      { retrieveOnline: { path: '/featurestore.v1.RetrieveService/RetrieveOnline', requestStream: false, responseStream: false, ...passthrough } },
      {
        retrieveOnline: read
          ? (_call, callback) =>
              read().then(
                () => callback(null, reply),
                (err) => callback(err),
              )
          : (_call, callback) => callback(null, reply),
      },
    );
    server.bindAsync(`127.0.0.1:${process.env.PORT}`, ServerCredentials.createInsecure(), (err) => {
      if (err) throw err;
      console.log('listening');
    });
    process.once('SIGTERM', () => {
      server.forceShutdown();
      redis?.disconnect();
    });
  }
}
