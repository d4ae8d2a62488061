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
  /** Answered calls per second over a timed run (every connection runs until its end; each answer checked). */
  rate: number;
  /** Latencies from a second, logged run (h2load's per-request log). */
  p50: number;
  p99: number;
  /** The server process's CPU (user + system) per call over the timed run, ms. */
  serverCpuMs: number;
  /** Everything else on the machine (h2load, Redis, the kernel's other work) per call, ms. */
  otherCpuMs: number;
  /** CPU the server used over the timed run, in cores (1 = one core busy all the time). */
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

/** Seconds of latencies a logged run collects. */
const LATENCY_SECONDS = 2;

/**
 * h2load against `url` with `body` (a gRPC frame) on every request: a 1-second warm-up, a timed run
 * of `seconds` for calls/s and CPU, then a run of a fixed number of calls (about LATENCY_SECONDS'
 * worth) with h2load's per-request log for p50 and p99. The log is kept out of the timed run: h2load
 * writing a line per call takes CPU from the server on a 2-CPU machine (issue #16 saw the server's
 * CPU per call rise with it). h2load counts HTTP 200s, and a gRPC error is a 200 too (its answer has
 * trailers, no body): every run fails unless the answers carried `answerBytes` of data per call.
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
  const inFlight = o.connections * (o.streams ?? 1);
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
    const succeeded = Number(done[1]);
    // "traffic: 23.81MB (24970800) total, 207.45KB (212431) headers (...), 24.02MB (25190578) data".
    // A timed run stops with calls in flight, whose answers may have come without being counted.
    const answers = Number(/traffic: .*\((\d+)\) data/.exec(out.stdout)?.[1]) / o.answerBytes;
    const stopsAtTime = limit[0] === '-D';
    if (!Number.isInteger(answers) || answers < succeeded || answers > succeeded + (stopsAtTime ? inFlight : 0))
      throw new Error(`${succeeded} answers carried ${answers} times ${o.answerBytes} bytes: some were gRPC errors or other answers\n${out.stdout}`);
    const seconds = Number(/finished in ([\d.]+)(ms|s),/.exec(out.stdout)?.[1]) / (/finished in [\d.]+ms,/.test(out.stdout) ? 1000 : 1);
    return { succeeded, seconds };
  };
  const warm = run(['-D', '1']);
  const [serverBefore, machineBefore] = [processTicks(o.serverPids), machineTicks()];
  const timed = run(['-D', String(o.seconds)]);
  const serverTicks = processTicks(o.serverPids) - serverBefore;
  const machine = machineTicks() - machineBefore;
  // A log of its own per run: h2load appends to an existing one.
  const log = join(o.scratch, `h2load-${logNumber}.log`);
  run(['-n', String(Math.max(200, Math.round(warm.succeeded * LATENCY_SECONDS)))], log);
  // Per request: start (µs since the epoch), status, duration (µs).
  const latencies = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[1] === '200')
    .map((f) => Number(f[2]) / 1000)
    .sort((a, b) => a - b);
  return {
    rate: timed.succeeded / timed.seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    serverCpuMs: (serverTicks * TICK_MS) / timed.succeeded,
    otherCpuMs: ((machine - serverTicks) * TICK_MS) / timed.succeeded,
    serverCores: (serverTicks * TICK_MS) / 1000 / timed.seconds,
  };
}
