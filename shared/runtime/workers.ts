// One gRPC-serving process per CPU a function is given (node:cluster: the primary holds the port
// and hands connections to the workers in turn). Each worker is a whole host: its own clients,
// registry cache and permission cache, each kept coherent by the catalog's NOTIFY.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * The CPUs this process may use: its cgroup's CPU quota (cgroup v2 cpu.max, or v1's cfs quota and
 * period: a Kubernetes CPU limit), rounded up, and never more than the CPUs it sees.
 */
export function cpuBudget(read: (path: string) => string | undefined = readText, cpus = availableParallelism()): number {
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  let quota: number | undefined;
  if (v2 && v2[0] !== 'max') quota = Number(v2[0]) / Number(v2[1] ?? 100_000);
  if (!v2) {
    const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
    const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
    if (q > 0 && period > 0) quota = q / period;
  }
  return Math.max(1, Math.min(cpus, quota === undefined || !Number.isFinite(quota) ? cpus : Math.ceil(quota)));
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * How many processes serve: FEATURESTORE_WORKERS (auto: the CPU budget), for a host whose functions
 * are all gRPC-triggered, or the all-in-one host (its event functions, relay and timers run in one
 * lead worker; every worker serves gRPC), on a catalog other processes can open. Event functions
 * on their own take one delivery at a time per process anyway and scale by pods; PGlite is a
 * database of one process.
 */
export function workerCount(config: Pick<Config, 'workers' | 'metadataUrl'>, allGrpcOrAllInOne: boolean, budget = cpuBudget): number {
  if (!allGrpcOrAllInOne || config.metadataUrl.startsWith('pglite:')) return 1;
  return config.workers === 'auto' ? budget() : config.workers;
}

export const isWorker = () => cluster.isWorker;

/** Set by the primary in the environment of its lead worker (the first, or the one replacing it). */
const LEAD = 'FEATURESTORE_LEAD_WORKER';

/** Whether this process runs what must run once per host (the all-in-one's relay and timers): a single process, or the lead worker. */
export const isLead = () => !cluster.isWorker || process.env[LEAD] === '1';

/**
 * The primary of `count` workers: forks them (each runs this same program and serves the port),
 * forks a replacement when one dies unasked, and on SIGTERM/SIGINT passes the signal on and exits
 * once every worker has drained (0, or 1 if one failed to start).
 */
export function runPrimary(count: number, logger: Logger): void {
  let stopping = false;
  let failed = false;
  const started = new Set<number>();
  const fork = (lead: boolean) => {
    const worker = cluster.fork(lead ? { [LEAD]: '1' } : {});
    worker.once('listening', () => started.add(worker.id));
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      if (!started.has(worker.id)) {
        // A worker that never listened will not do better the next time: stop them all, as one process would exit.
        failed = true;
        logger.error({ worker: worker.process.pid, code }, 'a worker failed to start; stopping');
        stop('SIGTERM');
        return;
      }
      logger.warn({ worker: worker.process.pid, code, signal }, 'a worker exited; starting another');
      fork(lead);
    });
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  cluster.on('exit', () => {
    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop(signal));
  logger.info({ workers: count }, `starting ${count} workers`);
  for (let i = 0; i < count; i++) fork(i === 0);
}
