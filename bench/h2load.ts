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
  /** Answered calls per second (each checked: the full answer's bytes came). */
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

const TICK_MS = 10; // /proc counts in 100ths of a second

const processTicks = (pids: number[]) =>
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
 * One h2load run of `seconds` (after 1 s of warm-up) against `url` with `body` (a gRPC frame) on
 * every request. h2load counts HTTP 200s, and a gRPC error is a 200 too: so the run fails unless
 * every answer carried exactly `answerBytes` of data (an error answers with trailers only).
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
  // A log of its own per run: h2load appends to an existing one.
  const log = join(o.scratch, `h2load-${logNumber}.log`);
  const [serverBefore, machineBefore] = [processTicks(o.serverPids), machineTicks()];
  const out = spawnSync(
    'h2load',
    [
      '-c',
      String(o.connections),
      '-m',
      String(o.streams ?? 1),
      '-t',
      '1',
      '-D',
      String(o.seconds),
      '--warm-up-time',
      '1',
      '-d',
      data,
      '--log-file',
      log,
      '-H',
      'content-type: application/grpc',
      '-H',
      'te: trailers',
      ...(o.headers ?? []).flatMap((h) => ['-H', h]),
      o.url,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  const serverTicks = processTicks(o.serverPids) - serverBefore;
  const machine = machineTicks() - machineBefore;
  if (out.status !== 0) throw new Error(`h2load failed: ${out.stderr || out.stdout}`);
  const done = /(\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out.stdout);
  if (!done || Number(done[2]) + Number(done[3]) > 0) throw new Error(`h2load saw failures: ${done?.[0]}\n${out.stdout}`);
  // "traffic: ... total, ... headers (...), N (N) data": the answers' bytes, measured after warm-up.
  const dataBytes = Number(/traffic: .*?, (\d+) \(\d+\) data/.exec(out.stdout)?.[1] ?? /(\d+) \(\d+\) data/.exec(out.stdout)?.[1]);
  const answered = Number(done[1]);
  if (dataBytes !== answered * o.answerBytes)
    throw new Error(`${answered} answers carried ${dataBytes} bytes, not ${o.answerBytes} each: some were gRPC errors or other answers\n${out.stdout}`);
  const latencies = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[1] === '200')
    .map((f) => Number(f[2]) / 1000)
    .sort((a, b) => a - b);
  // The log also holds the warm-up's requests; the CPU was measured over both, so per call divides by all.
  const calls = latencies.length;
  return {
    rate: answered / o.seconds,
    p50: latencies[Math.floor(calls * 0.5)],
    p99: latencies[Math.floor(calls * 0.99)],
    serverCpuMs: (serverTicks * TICK_MS) / calls,
    otherCpuMs: ((machine - serverTicks) * TICK_MS) / calls,
    serverCores: (serverTicks * TICK_MS) / 1000 / (o.seconds + 1),
  };
}
