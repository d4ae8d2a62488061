// Our gRPC path's load generator for bench/online.ts, in a process of its own (like the raw
// baseline): N callers doing RetrieveOnline through grpc-js and the generated client (one
// connection, as a service's client would hold) for S seconds, closed loop or at a fixed total rate.
// Args: address project featureSet concurrency seconds keysPerCall entities [rate].
// Prints {"p50": ms, "p99": ms, "rate": calls/s}.
import { credentials } from '@grpc/grpc-js';
import { RetrieveServiceClient, type RetrieveOnlineRequest } from '../shared/gen/featurestore/v1/retrieve.js';
import { runLoad } from './load-loop.js';

const [address, project, name, concurrency, seconds, perCall, entities, rate = '0'] = process.argv.slice(2);
const client = new RetrieveServiceClient(address, credentials.createInsecure());
const n = Number(entities);
const request = (i: number): RetrieveOnlineRequest => ({
  featureSet: { project: project, name: name, version: '' },
  keys: Array.from({ length: Number(perCall) }, (_, j) => ({ values: [{ kind: { $case: 'int64Value', value: String((i * 7 + j) % n) } }] })),
  features: [],
});
const call = (req: RetrieveOnlineRequest) =>
  new Promise<void>((resolve, reject) =>
    client.retrieveOnline(req, (err, res) =>
      err ? reject(err) : res.rows.every((r) => r.values.length > 0) ? resolve() : reject(new Error('a row came back empty')),
    ),
  );
for (let i = 0; i < 50; i++) await call(request(i)); // warm the connection
const figures = await runLoad({ concurrency: Number(concurrency), seconds: Number(seconds), rate: Number(rate) }, (i: number) => call(request(i)));
client.close();
console.log(JSON.stringify(figures));
