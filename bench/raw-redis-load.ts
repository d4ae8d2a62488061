// The raw baseline of bench/online.ts in a process of its own: N callers doing ioredis GET (or MGET
// of 100 keys) of the stored entries for S seconds, closed loop or at a fixed total rate.
// Args: url keyPrefix concurrency seconds get|mget entities [rate]. Prints {"p50", "p99", "rate"}.
import { Redis } from 'ioredis';
import { runLoad } from './load-loop.js';

const [url, prefix, concurrency, seconds, mode, entities, rate = '0'] = process.argv.slice(2);
const n = Number(entities);
const key = (i: number) => `${prefix}${JSON.stringify([String(i % n)])}`;
const redis = new Redis(url, { enableAutoPipelining: true });
const figures = await runLoad({ concurrency: Number(concurrency), seconds: Number(seconds), rate: Number(rate) }, async (i: number) => {
  if (mode === 'mget') await redis.mget(Array.from({ length: 100 }, (_, j) => key(i * 7 + j)));
  else if ((await redis.get(key(i * 7))) === null) throw new Error(`no entry at ${key(i * 7)}`);
});
redis.disconnect();
console.log(JSON.stringify(figures));
