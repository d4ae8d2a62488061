// How the functions are wired, derived from each definition's declared trigger: service mode's
// local stand-ins (dev/local-knative) and the Knative manifests (checked by test/deploy) follow it.
import { ALL_FUNCTIONS } from './index.js';
import { outboxRelay } from './outbox-relay/index.js';
import type { FunctionDefinition, WatchedResource } from '../shared/runtime/function.js';

/** Every function service mode runs, each as its own process (a Knative Service each when deployed). */
export const SERVICE_MODE: readonly FunctionDefinition[] = [...ALL_FUNCTIONS, outboxRelay];

const named = (kind: FunctionDefinition['trigger']['kind']) => SERVICE_MODE.filter((d) => d.trigger.kind === kind).map((d) => d.name);

/** Functions called over gRPC through the ingress. */
export const GRPC_FUNCTIONS: readonly string[] = named('grpc');

/** Event-triggered functions and the event types each takes (a Trigger / KafkaSource each). */
export const EVENT_SUBSCRIPTIONS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  SERVICE_MODE.flatMap((d) => (d.trigger.kind === 'event' ? [[d.name, d.trigger.events]] : [])),
);

/** Kubernetes objects whose changes functions take from an ApiServerSource (eventing/apiserversource.yaml), by function. */
export const WATCHED_RESOURCES: Readonly<Record<string, readonly WatchedResource[]>> = Object.fromEntries(
  SERVICE_MODE.flatMap((d) => (d.trigger.kind === 'event' && d.trigger.watches ? [[d.name, d.trigger.watches]] : [])),
);

/** Cron-triggered functions and their schedules (a PingSource each). */
export const CRON_SCHEDULES: Readonly<Record<string, string>> = Object.fromEntries(
  SERVICE_MODE.flatMap((d) => (d.trigger.kind === 'cron' ? [[d.name, d.trigger.schedule]] : [])),
);
export const PINGED_FUNCTIONS: readonly string[] = Object.keys(CRON_SCHEDULES);

/** Always running, not triggered (the outbox relay). */
export const ALWAYS_ON_FUNCTIONS: readonly string[] = named('always-on');

export const SERVICE_MODE_FUNCTIONS: readonly string[] = SERVICE_MODE.map((d) => d.name);
