import { ConfigError } from '../../shared/runtime/config.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/**
 * outbox-relay (service mode): produces every event committed to the catalog's outbox to its Kafka
 * topic, oldest first, at least once, retrying through broker outages (an event is marked published
 * only once the broker has it). Not scale-to-zero: one instance always runs (knative/outbox-relay.yaml).
 * It takes no events; its HTTP port serves the probes.
 */
export const outboxRelay: FunctionDefinition = {
  name: 'outbox-relay',
  trigger: 'event',
  async init({ config, deps, logger }) {
    if (config.kafkaBrokers.length === 0) throw new ConfigError('bad configuration: FEATURESTORE_KAFKA_BROKERS: outbox-relay needs the Kafka brokers (host:port,...)');
    const [{ KafkaEventPublisher, ensureTopics }, { OutboxRelay }, { Kafka, logLevel }] = await Promise.all([
      import('../../shared/adapters/events/kafka-publisher.js'),
      import('../../shared/runtime/events/outbox-relay.js'),
      import('kafkajs'),
    ]);
    const outbox = await deps.outbox();
    // The topics first (never auto-created); if the broker is down the relay starts anyway and the
    // events wait in the outbox.
    const admin = new Kafka({ clientId: 'featurestore-outbox-relay-admin', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000 }).admin();
    try {
      await admin.connect();
      await ensureTopics(admin);
    } catch (err) {
      logger.warn({ err: String(err) }, 'cannot reach Kafka to check the topics; events wait in the outbox until it is back');
    } finally {
      await admin.disconnect().catch(() => {});
    }
    const publisher = new KafkaEventPublisher(config.kafkaBrokers, 'featurestore-outbox-relay');
    const relay = new OutboxRelay(outbox, (event) => publisher.publish([event]), logger, { intervalMs: 1000, maxAttempts: Infinity, backoffMs: 250, maxBackoffMs: 5000 });
    relay.start();
    const watch = await outbox.watch(() => relay.kick());
    return {
      events: {},
      async shutdown() {
        await watch.close();
        await relay.stop();
        await publisher.close();
      },
    };
  },
};
