import { Kafka as CloudEventsKafka, CloudEvent, type CloudEventV1 } from 'cloudevents';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { Unavailable } from '../../core/errors.js';
import { PARTITIONS, topicOf, type Topic } from './topics.js';

/** Creates the catalogue's topics that do not exist yet (replication 1: the single local broker). */
export async function ensureTopics(admin: Admin, replication = 1): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = (Object.entries(PARTITIONS) as [Topic, number][]).filter(([t]) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map(([topic, numPartitions]) => ({ topic, numPartitions, replicationFactor: replication })),
  });
}

/**
 * Produces CloudEvents to Kafka in the binary content mode of the CloudEvents Kafka binding (ce_*
 * headers, data as the value), keyed by subject so one subject's events stay in order. Idempotent
 * producer with acks from all in-sync replicas: a send that resolved is durable; one that failed
 * may be retried without duplicates inside the producer session (consumers still dedupe on
 * source + id, as delivery is at least once end to end).
 */
export class KafkaEventPublisher {
  private readonly kafka: Kafka;
  private producer?: Promise<Producer>;

  constructor(brokers: string[], clientId = 'featurestore') {
    this.kafka = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 200 }, connectionTimeout: 3000 });
  }

  private connected(): Promise<Producer> {
    this.producer ??= (async () => {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      try {
        await p.connect();
        return p;
      } catch (err) {
        this.producer = undefined;
        throw err;
      }
    })();
    return this.producer;
  }

  async publish(events: CloudEventV1<unknown>[]): Promise<void> {
    if (events.length === 0) return;
    const byTopic = new Map<Topic, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const e of events) {
      const message = CloudEventsKafka.binary(new CloudEvent(e, false));
      const headers = Object.fromEntries(
        Object.entries(message.headers)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, String(v)]),
      );
      const value = typeof message.value === 'string' ? message.value : JSON.stringify(message.value ?? null);
      const list = byTopic.get(topicOf(e.type)) ?? [];
      list.push({ key: e.subject ?? e.id, value, headers });
      byTopic.set(topicOf(e.type), list);
    }
    try {
      const producer = await this.connected();
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (err) {
      // A fresh connection next time (after a broker restart the old one may keep failing).
      const stale = this.producer;
      this.producer = undefined;
      void stale?.then(
        (p) => p.disconnect(),
        () => {},
      );
      throw new Unavailable('the Kafka broker did not take the events; they stay in the outbox and are sent again', { cause: err });
    }
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.then(
      (x) => x.disconnect(),
      () => {},
    );
  }
}

/** A Kafka message of the binding back as a CloudEvent (kafkajs gives Buffers). */
export function cloudEventOf(message: {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
  timestamp: string;
}): CloudEventV1<unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
  const event = CloudEventsKafka.toEvent({
    key: message.key?.toString() ?? '',
    value: message.value?.toString() ?? '',
    body: message.value?.toString() ?? '',
    headers,
    timestamp: message.timestamp,
  } as never);
  return Array.isArray(event) ? event[0] : event;
}
