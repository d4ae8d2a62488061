import type { ServiceDefinition } from '@grpc/grpc-js';
import type { CloudEventV1 } from 'cloudevents';
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

export interface FunctionContext {
  config: Config;
  logger: Logger;
  deps: Dependencies;
  /** Binds promise handlers to a generated service with the host's authentication and logging
   *  (gRPC-triggered functions only). */
  bind<S extends ServiceDefinition>(name: string, definition: S, handlers: Handlers<S>): ServiceBinding;
}

/** What a function serves: gRPC services, or CloudEvent handlers by event type (not both). */
export interface FunctionParts {
  services?: ServiceBinding[];
  events?: Record<string, EventHandler>;
  shutdown?(): Promise<void>;
}

/**
 * One capability, deployable alone (its own Knative Service) or with the others in the all-in-one
 * host. Importing it does no I/O; `init` makes clients and handlers.
 */
export interface FunctionDefinition {
  name: string;
  /** How it is called: gRPC (h2c) or CloudEvents over HTTP. The host loads only what this needs. */
  trigger: 'grpc' | 'event';
  init(ctx: FunctionContext): Promise<FunctionParts>;
}
