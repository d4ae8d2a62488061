import { CloudEvent, HTTP, type CloudEventV1 } from 'cloudevents';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { cloudEventOf } from '../../shared/adapters/events/kafka-publisher.js';
import { Topics, topicOf } from '../../shared/adapters/events/topics.js';
import { backoff, pause } from '../../shared/core/waiting.js';
import type { Logger } from '../../shared/runtime/logger.js';

/** One consumer of the dispatcher: a function's URL and the event types it takes (a Trigger's filter). */
export interface Subscription {
  /** The function's name; its consumer group is `featurestore-<name>`. */
  name: string;
  url: string;
  types: string[];
}

export interface DispatcherOptions {
  brokers: string[];
  subscriptions: Subscription[];
  logger: Logger;
  /** Deliveries per event before it is dead-lettered (Knative `delivery.retry` + 1). */
  attempts?: number;
  /** First retry delay, doubled per attempt up to maxBackoffMs (Knative `backoffPolicy: exponential`). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long one delivery may take (a job runs inside its delivery). */
  timeoutMs?: number;
  /** Consumer group prefix (tests use a fresh one). */
  groupPrefix?: string;
}

export interface RunningDispatcher {
  /** Deliveries so far, per subscription and outcome (for logs and tests). */
  stats: Record<string, { delivered: number; retried: number; deadLettered: number }>;
  stop(): Promise<void>;
}

/** Replies Knative retries: 404, 408, 409, 429 and 5xx (and no reply at all). */
export function retryableStatus(status: number): boolean {
  return status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

const HEARTBEAT_MS = 3000;

/**
 * Does locally what Knative's KafkaSource (or a Kafka Broker's Triggers) does in a cluster: one
 * consumer group per function reads its topics from Kafka, keeps the events of the types the
 * function takes, and POSTs each as a binary-mode HTTP CloudEvent to the function. A 2xx reply
 * commits the offset; a retryable reply (or none) is retried with exponential backoff, in order
 * within a partition; a reply that says the event is bad (other 4xx), or running out of attempts,
 * sends the event to the dead-letter topic with Knative's error extensions, then commits. A crash
 * before the commit delivers the event again, so handlers dedupe on source+id.
 */
export async function startKafkaDispatcher(o: DispatcherOptions): Promise<RunningDispatcher> {
  const attempts = o.attempts ?? 10;
  const backoffMs = o.backoffMs ?? 500;
  const maxBackoffMs = o.maxBackoffMs ?? 30_000;
  const timeoutMs = o.timeoutMs ?? 15 * 60_000;
  const stopping = new AbortController();
  const kafka = new Kafka({
    clientId: 'featurestore-dispatcher',
    brokers: o.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    // Through a broker restart: keep reconnecting rather than giving up.
    retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5000 },
  });
  const stats: RunningDispatcher['stats'] = {};
  let producer: Promise<Producer> | undefined;
  const deadLetterProducer = () =>
    (producer ??= (async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })().catch((err: unknown) => {
      producer = undefined;
      throw err;
    }));

  async function deadLetter(sub: Subscription, message: KafkaMessage, reason: { code: string; data: string }): Promise<void> {
    stats[sub.name].deadLettered++;
    const headers: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v[0] : v;
    // Knative's dead-letter extensions: where it was going, the last reply's status and body.
    headers['ce_knativeerrordest'] = sub.url;
    headers['ce_knativeerrorcode'] = reason.code;
    headers['ce_knativeerrordata'] = Buffer.from(reason.data.slice(0, 4096)).toString('base64');
    headers['ce_featurestoreconsumer'] = sub.name;
    // Retried until the broker takes it: the offset is committed only after.
    for (let i = 0; ; i++) {
      try {
        await (await deadLetterProducer()).send({ topic: Topics.deadLetter, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
        return;
      } catch (err) {
        if (stopping.signal.aborted) throw err;
        o.logger.warn({ err, consumer: sub.name }, 'cannot write to the dead-letter topic yet; retrying');
        await sleep(backoff(i + 1, backoffMs, maxBackoffMs), stopping.signal);
      }
    }
  }

  /** One POST; the reply's status, or 0 when there was none (refused, reset, timed out). */
  async function post(sub: Subscription, event: CloudEventV1<unknown>, keepAlive: () => Promise<void>): Promise<{ status: number; body: string }> {
    const { headers, body } = HTTP.binary(event instanceof CloudEvent ? event : new CloudEvent(event, false));
    const beat = setInterval(() => void keepAlive().catch(() => {}), HEARTBEAT_MS);
    try {
      const res = await fetch(sub.url, {
        method: 'POST',
        headers: headers as Record<string, string>,
        body: typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]),
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      if (stopping.signal.aborted) throw err;
      return { status: 0, body: err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err) };
    } finally {
      clearInterval(beat);
    }
  }

  async function handle(sub: Subscription, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    let event: CloudEventV1<unknown>;
    try {
      event = cloudEventOf(message);
    } catch (err) {
      o.logger.error({ consumer: sub.name, err }, 'a message that is not a CloudEvent: dead-lettered');
      return deadLetter(sub, message, { code: '0', data: `not a CloudEvent: ${(err as Error).message}` });
    }
    if (!sub.types.includes(event.type)) return; // another function's event on a shared topic
    for (let attempt = 1; ; attempt++) {
      const reply = await post(sub, event, heartbeat);
      if (reply.status >= 200 && reply.status < 300) {
        stats[sub.name].delivered++;
        return;
      }
      const entry = { consumer: sub.name, eventId: event.id, type: event.type, attempt, status: reply.status, reply: reply.body.slice(0, 500) };
      if ((reply.status !== 0 && !retryableStatus(reply.status)) || attempt >= attempts) {
        o.logger.error(entry, 'event not delivered: dead-lettered');
        return deadLetter(sub, message, { code: String(reply.status), data: reply.body });
      }
      stats[sub.name].retried++;
      o.logger.warn(entry, 'event delivery failed; retrying');
      await sleep(backoff(attempt, backoffMs, maxBackoffMs), stopping.signal, heartbeat);
    }
  }

  const consumers: Consumer[] = [];
  try {
    for (const sub of o.subscriptions) {
      stats[sub.name] = { delivered: 0, retried: 0, deadLettered: 0 };
      const consumer = kafka.consumer({
        groupId: `${o.groupPrefix ?? 'featurestore-'}${sub.name}`,
        sessionTimeout: 30_000,
        heartbeatInterval: HEARTBEAT_MS,
        maxWaitTimeInMs: 100,
        allowAutoTopicCreation: false,
        // A consumer that lost its broker rejoins when it is back, however long that takes.
        retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5000, restartOnFailure: async () => !stopping.signal.aborted },
      });
      consumers.push(consumer);
      await consumer.connect();
      const topics = [...new Set(sub.types.map(topicOf))];
      // A new group starts at the beginning: events relayed before the dispatcher first ran are not skipped.
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 3,
        eachMessage: (payload) => handle(sub, payload.message, () => payload.heartbeat()),
      });
      o.logger.info({ consumer: sub.name, topics, url: sub.url }, 'dispatching');
    }
  } catch (err) {
    stopping.abort();
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    throw err;
  }
  return {
    stats,
    async stop() {
      stopping.abort();
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await producer?.then(
        (p) => p.disconnect(),
        () => {},
      );
    },
  };
}

/** Waits `ms` (sending consumer heartbeats meanwhile); throws the abort reason when `signal` aborts. */
async function sleep(ms: number, signal: AbortSignal, heartbeat?: () => Promise<void>): Promise<void> {
  const beat = heartbeat ? setInterval(() => void heartbeat().catch(() => {}), HEARTBEAT_MS) : undefined;
  try {
    if (!(await pause(ms, signal))) throw signal.reason instanceof Error ? signal.reason : new Error('stopped');
  } finally {
    clearInterval(beat);
  }
}
