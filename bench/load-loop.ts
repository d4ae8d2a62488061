// The load loop both of bench/online.ts's client processes use: `concurrency` callers, each calling
// `call(i)` with a fresh sequence number, for `seconds`, as fast as they can (closed loop) or held
// to `rate` calls per second in all. Returns {p50, p99 (ms), rate (calls/s)}.
export interface Figures {
  p50: number;
  p99: number;
  rate: number;
}

export async function runLoad(
  { concurrency, seconds, rate = 0 }: { concurrency: number; seconds: number; rate?: number },
  call: (i: number) => Promise<unknown>,
): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const begin = performance.now();
  const end = begin + seconds * 1000;
  const interval = rate > 0 ? 1000 / rate : 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const i = next++;
        const due = begin + i * interval;
        if (interval && due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
        if (performance.now() >= end) break;
        const s = performance.now();
        await call(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)], rate: latencies.length / seconds };
}
