import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { EVENT_SUBSCRIPTIONS, GRPC_FUNCTIONS, PINGED_FUNCTIONS, SERVICE_MODE_FUNCTIONS } from '../../functions/wiring.js';
import type { Logger } from '../../shared/runtime/logger.js';
import { startIngress, type RunningIngress } from './ingress.js';
import { startKafkaDispatcher, type DispatcherOptions, type RunningDispatcher } from './kafka-dispatcher.js';
import { startPingSource } from './ping-source.js';

export interface LocalKnativeOptions {
  /** Environment of every function (catalog, online and offline store, Kafka brokers...). */
  env: Record<string, string>;
  /** The command line that runs a function (a bundle in dist/, or the TypeScript entry through tsx). */
  command(fn: string): string[];
  bind: string;
  /** The ingress's port (gRPC for every function); 0 picks one. */
  ingressPort: number;
  /** The online-to-offline cron. */
  pingEveryMs: number;
  brokers: string[];
  logger: Logger;
  /** Each line a function writes (its JSON logs). */
  onLine?(fn: string, line: string): void;
  dispatcher?: Partial<Pick<DispatcherOptions, 'attempts' | 'backoffMs' | 'maxBackoffMs' | 'groupPrefix'>>;
}

export interface FunctionProcess {
  name: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface LocalKnative {
  ingressPort: number;
  functions: Map<string, FunctionProcess>;
  dispatcher: RunningDispatcher;
  /** Starts a function again on its port (after it died or was killed). */
  restart(fn: string): Promise<FunctionProcess>;
  stop(): Promise<void>;
}

/**
 * Service mode on one machine, the way Knative runs it in a cluster: every function its own process
 * (on its own port, as a Knative Service), the outbox relay producing to Kafka, a Kafka dispatcher
 * per event function (KafkaSource / Trigger), a ping for the cron (PingSource), and one gRPC ingress.
 */
export async function startLocalKnative(o: LocalKnativeOptions): Promise<LocalKnative> {
  const ports = new Map<string, number>();
  for (const fn of SERVICE_MODE_FUNCTIONS) ports.set(fn, await freePort(o.bind));
  const functions = new Map<string, FunctionProcess>();
  const routes = new Map<string, number>();
  let stopping = false;

  const launch = async (fn: string): Promise<FunctionProcess> => {
    const [cmd, ...args] = o.command(fn);
    const port = ports.get(fn)!;
    // One process per function unless told otherwise: on one machine the functions already share its CPUs.
    const child = spawn(cmd, args, {
      env: { ...process.env, FEATURESTORE_WORKERS: '1', ...o.env, PORT: String(port), FEATURESTORE_BIND: o.bind },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const proc: FunctionProcess = { name: fn, port, child, exited };
    functions.set(fn, proc);
    const tail: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${fn} did not start in 90 s:\n${tail.join('\n')}`)), 90_000);
      const onLine = (line: string) => {
        o.onLine?.(fn, line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
        const entry = safeJson(line);
        if (entry && String(entry['msg']).endsWith('listening')) {
          clearTimeout(timer);
          for (const service of (entry['services'] as string[] | undefined) ?? []) routes.set(service, port);
          resolve();
        }
      };
      createInterface({ input: child.stdout }).on('line', onLine);
      createInterface({ input: child.stderr }).on('line', onLine);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${fn} exited with ${code}:\n${tail.join('\n')}`));
      });
    });
    void exited.then((code) => stopping || o.logger.warn({ function: fn, code }, 'function exited'));
    return proc;
  };

  const stopFunctions = async () => {
    await Promise.all(
      [...functions.values()].map(async (f) => {
        if (f.child.exitCode !== null || f.child.signalCode !== null) return;
        f.child.kill('SIGTERM');
        const timer = setTimeout(() => f.child.kill('SIGKILL'), 15_000);
        await f.exited;
        clearTimeout(timer);
      }),
    );
  };

  let dispatcher: RunningDispatcher | undefined;
  let ingress: RunningIngress | undefined;
  let ping: { stop(): void } | undefined;
  try {
    await Promise.all(SERVICE_MODE_FUNCTIONS.map(launch));
    const url = (fn: string) => `http://${o.bind}:${ports.get(fn)}/`;
    dispatcher = await startKafkaDispatcher({
      brokers: o.brokers,
      logger: o.logger,
      subscriptions: Object.entries(EVENT_SUBSCRIPTIONS).map(([name, types]) => ({ name, url: url(name), types: [...types] })),
      ...o.dispatcher,
    });
    ping = PINGED_FUNCTIONS.map((fn) => startPingSource({ name: `${fn}-cron`, url: url(fn), everyMs: o.pingEveryMs, logger: o.logger }))[0];
    ingress = await startIngress({ host: o.bind, port: o.ingressPort, routes: () => routes, logger: o.logger });
  } catch (err) {
    stopping = true;
    ping?.stop();
    await dispatcher?.stop();
    await stopFunctions();
    throw err;
  }
  o.logger.info({ ingress: `${o.bind}:${ingress.port}`, grpc: GRPC_FUNCTIONS, functions: Object.fromEntries(ports) }, 'service mode ready');
  const [d, i, p] = [dispatcher, ingress, ping];
  return {
    ingressPort: i.port,
    functions,
    dispatcher: d,
    restart: launch,
    async stop() {
      stopping = true;
      p?.stop();
      await i.stop();
      await d.stop();
      await stopFunctions();
    },
  };
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A log line as JSON, or undefined when it is not JSON. */
export function safeJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
