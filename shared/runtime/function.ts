import type { Authenticator } from '../core/ports/authenticator.js';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { CloudEventV1 } from 'cloudevents';
import type { EventData, HandledEventType } from '../core/event-data.js';
import type { Config } from './config.js';
import type { Dependencies } from './dependencies.js';
import type { Logger } from './logger.js';
import type { Handlers, ServiceBinding } from './grpc/service-binding.js';

export interface EventContext {
  logger: Logger;
  signal: AbortSignal;
}

/** Handles one CloudEvent. Must be idempotent: delivery is at least once. */
export type EventHandler = (event: CloudEventV1<unknown>, ctx: EventContext) => Promise<void>;

/** Handlers by event type, each given its type's data already checked (event-data.ts). */
export type EventHandlers = { [T in HandledEventType]?: (event: CloudEventV1<EventData<T>>, ctx: EventContext) => Promise<void> };

/** Kubernetes objects of one kind (only those carrying `label`) whose changes reach a function through an ApiServerSource. */
export interface WatchedResource {
  apiVersion: string;
  kind: string;
  /** The plural resource name (the API path's). */
  resource: string;
  label: string;
}

/**
 * How a function is called, declared statically: the wiring of service mode, the Knative
 * manifests (checked by test/deploy) and the local stand-ins all derive from it.
 * - grpc: its services behind the ingress (h2c);
 * - event: CloudEvents of these types, one Trigger (Kafka topic subscription) each; `watches`:
 *   Kubernetes objects whose changes an ApiServerSource sends (ApiServerEventTypes, among `events`);
 * - cron: a PingSource on this schedule (the all-in-one host ticks it on a timer instead);
 * - always-on: not triggered; one instance runs (minScale 1).
 */
export type Trigger =
  | { kind: 'grpc' }
  | { kind: 'event'; events: readonly HandledEventType[]; watches?: readonly WatchedResource[] }
  | { kind: 'cron'; schedule: string; events: readonly HandledEventType[] }
  | { kind: 'always-on' };

export interface FunctionContext {
  config: Config;
  logger: Logger;
  deps: Dependencies;
  /** Binds promise handlers to a generated service with the host's authentication (or the one
   *  given: a service whose callers are not users) and logging (gRPC-triggered functions only). */
  bind: <S extends ServiceDefinition>(name: string, definition: S, handlers: Handlers<S>, options?: { authenticator?: Authenticator }) => ServiceBinding;
}

/** What a function serves: gRPC services, or CloudEvent handlers by event type (not both). */
export interface FunctionParts {
  services?: ServiceBinding[];
  /** Exactly the event types the trigger declares (the host checks). */
  events?: EventHandlers;
  shutdown?(): Promise<void>;
}

/**
 * One capability, deployable alone (its own Knative Service) or with the others in the all-in-one
 * host. Importing it does no I/O; `init` makes clients and handlers.
 */
export interface FunctionDefinition {
  name: string;
  /** How it is called; the host loads only the transport this needs (gRPC over h2c, or CloudEvents over HTTP). */
  trigger: Trigger;
  init(ctx: FunctionContext): Promise<FunctionParts>;
}
