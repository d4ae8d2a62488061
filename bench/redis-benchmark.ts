// Raw Redis driven by redis-benchmark (C, not the bottleneck): the calls/s of one command at a given
// concurrency, median of several runs, and the CPU Redis itself spent per call (from /proc).
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { processTicks, TICK_MS } from './h2load.js';
import { median } from './report.js';

/** The pid of the Redis server at `url` (for its CPU figures). */
export async function redisPid(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return Number(/process_id:(\d+)/.exec(await redis.info('server'))![1]);
  } finally {
    redis.disconnect();
  }
}

export function redisBenchmark(o: { url: string; command: string[]; connections: number; runs: number; requests?: number; pid?: number }): {
  rate: number;
  redisCpuMs: number | undefined;
} {
  const { hostname, port } = new URL(o.url);
  const requests = o.requests ?? 100_000;
  const runs = Array.from({ length: o.runs }, () => {
    const before = o.pid ? processTicks([o.pid]) : 0;
    const out = spawnSync('redis-benchmark', ['-h', hostname, '-p', port, '-c', String(o.connections), '-n', String(requests), '--csv', ...o.command], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (out.status !== 0) throw new Error(`redis-benchmark failed: ${out.stderr}`);
    const cpu = o.pid ? ((processTicks([o.pid]) - before) * TICK_MS) / requests : undefined;
    // CSV: "test","rps", then 6 latencies; the test's name holds the command, quotes and all: count from the end.
    const fields = /"([\d.]+)"(?:,"[\d.]+"){6}$/.exec(out.stdout.trim().split('\n').at(-1)!);
    if (!fields) throw new Error(`redis-benchmark printed ${out.stdout}`);
    return { rate: Number(fields[1]), cpu };
  });
  return { rate: median(runs.map((r) => r.rate)), redisCpuMs: o.pid ? median(runs.map((r) => r.cpu!)) : undefined };
}
