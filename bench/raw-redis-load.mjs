// The raw baseline of bench/online.ts in a process of its own (as ghz is for our path): N callers
// doing ioredis GET (or MGET of 100 keys) of the stored entries for S seconds, as fast as they can
// (closed loop) or, given a rate, at that many calls per second in all (as ghz --rps does).
// Prints {"p50": ms, "p99": ms, "rate": calls/s}.
import { Redis } from 'ioredis';

const [url, prefix, concurrency, seconds, mode, entities, rate = '0'] = process.argv.slice(2);
const n = Number(entities);
const key = (i) => `${prefix}${JSON.stringify([String(i % n)])}`;
const redis = new Redis(url, { enableAutoPipelining: true });
const latencies = [];
let next = 0;
const begin = performance.now();
const end = begin + Number(seconds) * 1000;
const interval = Number(rate) > 0 ? 1000 / Number(rate) : 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (performance.now() < end) {
      const i = next++;
      const due = begin + i * interval;
      if (interval && due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      if (performance.now() >= end) break;
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
