import { randomUUID } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { setFlagsFromString } from 'node:v8';
import { assertPortFree } from './port-check.js';
import { isLead, isWorker, runPrimary, workerCount } from './workers.js';
import { EventTypes } from '../core/events.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { Dependencies } from './dependencies.js';
import type { OutboxRelay } from './events/outbox-relay.js';
import type { DeliveredHandler } from './events/idempotent.js';
import type { EventHandler, FunctionDefinition, FunctionParts } from './function.js';
import { readEventData, type HandledEventType } from '../core/event-data.js';
import { createLogger, type Logger } from './logger.js';

/** Published as the all-in-one host hands each outbox event on ({ type, id, subject, data }); free without subscribers. */
export const EVENT_DELIVERY_CHANNEL = 'featurestore:event-delivery';
const delivering = channel(EVENT_DELIVERY_CHANNEL);

export interface RunningHost {
  port: number;
  config: Config;
  deps: Dependencies;
  /** Drains calls in flight (up to the configured drain time), then closes every client. */
  stop(): Promise<void>;
}

export interface HostOptions {
  /** Adapters to start opening before the functions load, so the two overlap (cold start). */
  opens?: Array<'metadata'>;
  /** Environment to read the config from; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Config defaults that the environment overrides (the all-in-one host binds loopback). */
  defaults?: Record<string, string>;
  logger?: Logger;
}

/**
 * Starts functions in one process: one function per the Knative container contract (listen on
 * $PORT; gRPC over h2c with health checking, or CloudEvents over HTTP), or all of them together
 * (the embedded default: every gRPC service on one port, events delivered in process).
 */
export async function startHost(functions: FunctionDefinition[] | (() => Promise<FunctionDefinition[]>), options: HostOptions = {}): Promise<RunningHost> {
  const config = loadConfig(options.env, options.defaults);
  checkAuthExposure(config);
  const single = Array.isArray(functions) && functions.length === 1 ? functions[0].name : undefined;
  const name = single ?? 'all-in-one';
  const logger =
    options.logger ?? createLogger(config.logLevel, { ...(single ? { function: name } : { host: name }), ...(isWorker() ? { worker: process.pid } : {}) });
  // A worker shares the port its primary checked (and its siblings listen on).
  if (!isWorker()) await assertPortFree(config.bind, config.port);
  const deps = new Dependencies(config, logger);
  // PGlite compiles its WASM off the main thread: let that run while the functions load.
  if (options.opens?.includes('metadata')) deps.metadataStore().catch(() => {}); // awaited by its users
  const definitions = Array.isArray(functions) ? functions : await functions();
  // Load only the transport in use: an event function never pays for grpc-js, nor a gRPC one for
  // the CloudEvents SDK (cold start is per function on Knative).
  const allInOne = definitions.length > 1;
  const grpc = allInOne || definitions.some((d) => d.trigger.kind === 'grpc');
  // Started now, awaited after init: the server module compiles while init waits on the network.
  const transport = grpc ? import('./grpc/grpc-server.js') : import('./events/cloudevent-receiver.js');
  const { bindService } = grpc ? await import('./grpc/service-binding.js') : { bindService: undefined };
  const parts: FunctionParts[] = [];
  try {
    for (const def of definitions) {
      const fnLogger = allInOne ? logger.child({ function: def.name }) : logger;
      parts.push(
        await def.init({
          config,
          logger: fnLogger,
          deps,
          bind: (service, definition, handlers, options) => {
            if (!bindService) throw new Error(`${def.name} binds a gRPC service but declares trigger "${def.trigger.kind}"`);
            return bindService(service, definition, handlers, { authenticator: options?.authenticator ?? deps.authenticator(), logger: fnLogger });
          },
        }),
      );
    }
  } catch (err) {
    await deps.close();
    throw err;
  }
  const services = parts.flatMap((p) => p.services ?? []);
  // Every handler dedupes on the CloudEvent's source+id, as its own consumer (delivery is at least once).
  const { idempotent } = await import('./events/idempotent.js');
  const ledger = () => deps.eventLedger();
  const events: Record<string, DeliveredHandler> = {};
  try {
    definitions.forEach((def, i) => checkDeclared(def, Object.keys(parts[i].events ?? {})));
  } catch (err) {
    await Promise.allSettled(parts.map(async (p) => p.shutdown?.()));
    await deps.close();
    throw err;
  }
  definitions.forEach((def, i) => {
    const handlers = parts[i].events ?? {};
    for (const [type, handler] of Object.entries(handlers) as [HandledEventType, EventHandler][]) {
      // The data is checked against its type's schema before the handler (or the ledger) sees it.
      const checked: EventHandler = (event, ctx) => handler({ ...event, data: readEventData(type, event.data) }, ctx);
      events[type] = idempotent(def.name, checked, ledger);
    }
  });

  const loaded = await transport;
  const server: { port: number; shutdown(drainMs: number): Promise<void> } =
    'startGrpcServer' in loaded
      ? await loaded.startGrpcServer(services, { host: config.bind, port: config.port, logger })
      : await loaded.startCloudEventReceiver(events, { host: config.bind, port: config.port, logger });
  if ('startGrpcServer' in loaded) deps.servingGrpc(server.port);
  // The embedded default has no broker: the relay hands committed outbox events to the handlers here
  // (in the lead worker only, when the all-in-one runs several: every worker's commits wake it).
  let relay: OutboxRelay | undefined;
  let outboxWatch: Promise<{ close(): Promise<void> }> | undefined;
  const lead = isLead();
  if (allInOne && lead) {
    const { OutboxRelay } = await import('./events/outbox-relay.js');
    relay = new OutboxRelay(
      await deps.outbox(),
      async (event) => {
        // Observable as each event is handed over (crash tests subscribe and kill the process here).
        if (delivering.hasSubscribers) delivering.publish({ type: event.type, id: event.id, subject: event.subject, data: event.data });
        const handler = events[event.type];
        if (handler) await handler(event, { logger: logger.child({ eventId: event.id, eventType: event.type }), signal: new AbortController().signal });
      },
      logger,
      // Woken as events commit; the poll only catches retries that come due. Retries span more than
      // a job lease (~140 s): a job.requested redelivered after a crash waits out the dead worker's lease.
      { intervalMs: 1000, maxAttempts: 12 },
    );
    relay.start();
    const r = relay;
    outboxWatch = (await deps.outbox()).watch(() => r.kick());
  }
  // The embedded default has no cron either: a timer sends the sync tick (never two at once).
  let syncTimer: NodeJS.Timeout | undefined;
  const tick = events[EventTypes.syncTick];
  if (allInOne && lead && tick && config.syncIntervalMs > 0) {
    let busy = false;
    syncTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      const event = {
        specversion: '1.0' as const,
        id: randomUUID(),
        source: '/featurestore/all-in-one/cron',
        type: EventTypes.syncTick,
        time: new Date().toISOString(),
      };
      void tick(event, { logger: logger.child({ eventType: event.type }), signal: new AbortController().signal })
        .catch((err: unknown) => logger.warn({ err }, 'online-to-offline tick failed; the next one retries'))
        .finally(() => (busy = false));
    }, config.syncIntervalMs);
    syncTimer.unref();
  }
  logger.info(
    { port: server.port, bind: config.bind, services: services.map((s) => s.name), events: Object.keys(events), ...(allInOne ? { relay: lead } : {}) },
    `${name} listening`,
  );
  if (allInOne) logger.info(`ready on ${config.bind}:${server.port}; in another shell try: npx featurestore projects list`);

  let stopping: Promise<void> | undefined;
  return {
    port: server.port,
    config,
    deps,
    stop() {
      stopping ??= (async () => {
        clearInterval(syncTimer);
        await server.shutdown(config.drainSeconds * 1000);
        await outboxWatch?.then(
          (w) => w.close(),
          () => {},
        );
        await relay?.stop();
        await Promise.allSettled(parts.map(async (p) => p.shutdown?.()));
        await deps.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}

/** A function handles exactly the events its trigger declares (what the manifests subscribe it to). */
function checkDeclared(def: FunctionDefinition, handled: string[]): void {
  const declared = def.trigger.kind === 'event' || def.trigger.kind === 'cron' ? [...def.trigger.events] : [];
  if ([...declared].sort().join() !== [...handled].sort().join()) {
    throw new Error(`${def.name} declares events [${declared.join(', ')}] but handles [${handled.join(', ')}]`);
  }
}

/**
 * Runs a host as the process's main program: SIGTERM/SIGINT drain and exit; start errors exit 1.
 * A host of gRPC functions, or the all-in-one, on PostgreSQL runs as FEATURESTORE_WORKERS processes
 * on one port (workers.ts): this process forks them and each runs this same program.
 */
export async function runMain(functions: FunctionDefinition[] | (() => Promise<FunctionDefinition[]>), options: HostOptions = {}): Promise<void> {
  steadyMarking();
  if (!isWorker()) {
    let config: Config;
    try {
      config = loadConfig(options.env, options.defaults);
    } catch (err) {
      cannotStart(err);
    }
    // The all-in-one loads its functions lazily (a loader, or a list of several).
    const allInOne = !Array.isArray(functions) || functions.length > 1;
    const count = workerCount(config, allInOne || functions.every((d) => d.trigger.kind === 'grpc'));
    if (count > 1) {
      await assertPortFree(config.bind, config.port).catch(cannotStart);
      const name = Array.isArray(functions) && !allInOne ? functions[0].name : 'all-in-one';
      return runPrimary(count, createLogger(config.logLevel, { ...(allInOne ? { host: name } : { function: name }), role: 'primary' }));
    }
  }
  let host: RunningHost;
  try {
    host = await startHost(functions, options);
  } catch (err) {
    cannotStart(err);
  }
  const onSignal = (signal: string) => {
    process.stderr.write(`${JSON.stringify({ level: 'info', msg: `${signal}: draining`, time: new Date().toISOString() })}\n`);
    void host.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/**
 * When V8 starts marking the old generation for a full GC: once half the room the last full GC left
 * is used (at 90% at once), not by V8's default rule "start when the room left is no more than the
 * young generation's capacity". After a burst of load the young generation has grown while the live
 * heap shrinks back (~21 MB live, ~24 MB of room): the default rule then holds right after every
 * full GC, and every scavenge starts the next one. The online-floor benchmark saw that storm (~20
 * full GCs a second) at one connection after 32: CPU per 100-entity call 0.55-0.65 ms instead of
 * 0.36, p99 7-8 ms instead of 0.8, in 3 of 3 runs of that sequence; with this rule in 0 of 3
 * (--trace-gc). V8 reads both flags at each decision, so setting them here, before serving, is enough.
 */
function steadyMarking(): void {
  setFlagsFromString('--incremental-marking-soft-trigger=50');
  setFlagsFromString('--incremental-marking-hard-trigger=90');
}

/** A start that failed: one fatal JSON line with the reason, exit 1. */
function cannotStart(err: unknown): never {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: `cannot start: ${err instanceof Error ? err.message : String(err)}` })}\n`);
  process.exit(1);
}

/**
 * Authentication off (`local`) serves loopback only. A function's default bind is 0.0.0.0, so a
 * deployed function (service mode, Knative) without an issuer refuses to start unless the operator
 * says FEATURESTORE_AUTH=insecure (logged loudly).
 */
export function checkAuthExposure(config: Pick<Config, 'auth' | 'bind'>): void {
  if (config.auth === 'local' && !isLoopback(config.bind)) {
    throw new ConfigError(
      `authentication is off (FEATURESTORE_AUTH=local, no FEATURESTORE_OIDC_ISSUER) and the bind address ${config.bind} is not loopback: set FEATURESTORE_OIDC_ISSUER (docs/security.md), or FEATURESTORE_AUTH=insecure to serve without authentication anyway`,
    );
  }
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
