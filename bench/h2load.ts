// Driving a gRPC server with h2load (C, Debian nghttp2-client) so that the client is not the
// bottleneck: pre-encoded request bodies, per-request latencies from its log, the server's CPU per
// call from /proc, and the rest of the machine's CPU (h2load, Redis) over the same run.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A gRPC message as it goes on the wire: not compressed (0), its length big-endian, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(frame, 5);
  return frame;
}

export interface H2Figures {
  /** Answered calls per second (each checked: the full answer's bytes came) while every connection runs: the first 90% of the calls over their time. */
  rate: number;
  p50: number;
  p99: number;
  /** The server process's CPU (user + system) per call, ms. */
  serverCpuMs: number;
  /** Everything else on the machine (h2load, Redis, the kernel's other work) per call, ms. */
  otherCpuMs: number;
  /** CPU the server used over the run, in cores (1 = one core busy all the time). */
  serverCores: number;
}

export const TICK_MS = 10; // /proc counts in 100ths of a second

/** CPU ticks the processes used so far (user + system). */
export const processTicks = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return sum + Number(fields[11]) + Number(fields[12]);
  }, 0);
/** Busy ticks of the whole machine (every CPU: user, nice, system, irq, softirq, steal). */
const machineTicks = () => {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return user + nice + system + irq + softirq + steal;
};

let logNumber = 0;

/**
 * One h2load run of about `seconds` against `url` with `body` (a gRPC frame) on every request.
 * h2load counts HTTP 200s, and a gRPC error is a 200 too (its answer has trailers, no body). So the
 * run is a fixed number of requests (sized by a 1-second warm-up run at the same concurrency), and it
 * fails unless the answers carried exactly that many times `answerBytes` of data.
 */
export function h2load(o: {
  url: string;
  body: Buffer;
  answerBytes: number;
  connections: number;
  streams?: number;
  seconds: number;
  headers?: string[];
  /** The server's processes (one, or a primary and its workers). */
  serverPids: number[];
  scratch: string;
}): H2Figures {
  const data = join(o.scratch, `body-${++logNumber}.bin`);
  writeFileSync(data, o.body);
  const run = (limit: string[], log?: string) => {
    const out = spawnSync(
      'h2load',
      [
        '-c',
        String(o.connections),
        '-m',
        String(o.streams ?? 1),
        '-t',
        '1',
        ...limit,
        '-d',
        data,
        ...(log ? ['--log-file', log] : []),
        '-H',
        'content-type: application/grpc',
        '-H',
        'te: trailers',
        ...(o.headers ?? []).flatMap((h) => ['-H', h]),
        o.url,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
    );
    if (out.status !== 0) throw new Error(`h2load failed: ${out.stderr || out.stdout}`);
    const done = /(\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out.stdout);
    if (!done || Number(done[2]) + Number(done[3]) > 0) throw new Error(`h2load saw failures: ${done?.[0]}\n${out.stdout}`);
    return { stdout: out.stdout, succeeded: Number(done[1]) };
  };
  const warm = run(['-D', '1']);
  const requests = Math.max(200, Math.round(warm.succeeded * o.seconds));
  // A log of its own per run: h2load appends to an existing one.
  const log = join(o.scratch, `h2load-${logNumber}.log`);
  const [serverBefore, machineBefore] = [processTicks(o.serverPids), machineTicks()];
  const measured = run(['-n', String(requests)], log);
  const serverTicks = processTicks(o.serverPids) - serverBefore;
  const machine = machineTicks() - machineBefore;
  // "traffic: 23.81MB (24970800) total, 207.45KB (212431) headers (...), 24.02MB (25190578) data"
  const dataBytes = Number(/traffic: .*\((\d+)\) data/.exec(measured.stdout)?.[1]);
  if (measured.succeeded !== requests || dataBytes !== requests * o.answerBytes)
    throw new Error(
      `${measured.succeeded} answers carried ${dataBytes} bytes, not ${o.answerBytes} each: some were gRPC errors or other answers\n${measured.stdout}`,
    );
  const seconds = Number(/finished in ([\d.]+)(ms|s),/.exec(measured.stdout)?.[1]) / (/finished in [\d.]+ms,/.test(measured.stdout) ? 1000 : 1);
  // Per request: start (µs since the epoch), status, duration (µs).
  const logged = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[1] === '200')
    .map((f) => ({ start: Number(f[0]), us: Number(f[2]) }));
  const latencies = logged.map((r) => r.us / 1000).sort((a, b) => a - b);
  // Each connection makes its share of the calls, so a run ends with a tail of fewer connections
  // (the slower worker's, with two): calls/s is the first 90% of the calls over the time they took.
  const ends = logged.map((r) => r.start + r.us).sort((a, b) => a - b);
  const steady = Math.floor(ends.length * 0.9);
  const first = logged.reduce((min, r) => Math.min(min, r.start), Infinity);
  const steadySeconds = (ends[steady - 1] - first) / 1e6;
  return {
    rate: steady / steadySeconds,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    serverCpuMs: (serverTicks * TICK_MS) / requests,
    otherCpuMs: ((machine - serverTicks) * TICK_MS) / requests,
    serverCores: (serverTicks * TICK_MS) / 1000 / seconds,
  };
}
