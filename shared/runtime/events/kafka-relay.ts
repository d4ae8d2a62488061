import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics, KafkaEventPublisher } from '../../adapters/events/kafka-publisher.js';
import type { Outbox } from '../../core/ports/outbox.js';
import type { Logger } from '../logger.js';
import { OutboxRelay } from './outbox-relay.js';

/**
 * Relays the outbox to Kafka: checks the topic catalogue (never auto-created; if the broker is down
 * the relay starts anyway and events wait in the outbox), then produces every committed event to its
 * topic, oldest first, retrying through outages without giving up, woken as events commit.
 */
export async function startKafkaRelay(outbox: Outbox, brokers: string[], logger: Logger): Promise<{ stop(): Promise<void> }> {
  const admin = new Kafka({ clientId: 'featurestore-outbox-relay-admin', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000 }).admin();
  try {
    await admin.connect();
    await ensureTopics(admin);
  } catch (err) {
    logger.warn({ err: String(err) }, 'cannot reach Kafka to check the topics; events wait in the outbox until it is back');
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const publisher = new KafkaEventPublisher(brokers, 'featurestore-outbox-relay');
  const relay = new OutboxRelay(outbox, (event) => publisher.publish([event]), logger, {
    intervalMs: 1000,
    maxAttempts: Infinity,
    backoffMs: 250,
    maxBackoffMs: 5000,
  });
  relay.start();
  const watch = await outbox.watch(() => relay.kick());
  return {
    async stop() {
      await watch.close();
      await relay.stop();
      await publisher.close();
    },
  };
}
