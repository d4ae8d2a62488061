import { EventTypes } from '../../core/events.js';

// How the functions are wired in service mode: the same table drives the local dispatcher and is
// what eventing/ deploys (test/deploy checks the manifests against it).

/** Functions called over gRPC through the ingress. */
export const GRPC_FUNCTIONS = ['register', 'ingest', 'retrieve'] as const;

/** Event-triggered functions and the event types each takes (a Trigger / KafkaSource each). */
export const EVENT_SUBSCRIPTIONS: Readonly<Record<string, readonly string[]>> = {
  'spark-submit': [EventTypes.jobRequested],
  'status-handler': [EventTypes.jobStatus],
  'offline-to-online': [EventTypes.ingestCommitted, EventTypes.ingestReverted, EventTypes.featureSetChanged],
};

/** Cron-triggered functions (a PingSource each). */
export const PINGED_FUNCTIONS = ['online-to-offline'] as const;

/** Always running, not triggered: relays the outbox to Kafka. */
export const RELAY_FUNCTION = 'outbox-relay';

export const SERVICE_MODE_FUNCTIONS = [...GRPC_FUNCTIONS, ...Object.keys(EVENT_SUBSCRIPTIONS), ...PINGED_FUNCTIONS, RELAY_FUNCTION];
