// The raw baseline of bench/online.ts in a process of its own (as ghz is for our path): a closed
// loop of N callers doing ioredis GET (or MGET of 100 keys) of the stored entries, for S seconds.
// Prints {"p50": ms, "p99": ms, "rate": calls/s}.
import { Redis } from 'ioredis';

const [url, prefix, concurrency, seconds, mode, entities] = process.argv.slice(2);
const n = Number(entities);
const key = (i) => `${prefix}${JSON.stringify([String(i % n)])}`;
const redis = new Redis(url, { enableAutoPipelining: true });
const latencies = [];
let next = 0;
const end = performance.now() + Number(seconds) * 1000;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (performance.now() < end) {
      const i = next++;
      const s = performance.now();
      if (mode === 'mget') await redis.mget(Array.from({ length: 100 }, (_, j) => key(i + j)));
      else if ((await redis.get(key(i))) === null) throw new Error(`no entry at ${key(i)}`);
      latencies.push(performance.now() - s);
    }
  }),
);
redis.disconnect();
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)], rate: latencies.length / Number(seconds) }));
