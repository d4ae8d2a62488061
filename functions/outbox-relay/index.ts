import { ConfigError } from '../../shared/runtime/config.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';

/**
 * outbox-relay (service mode): produces every event committed to the catalog's outbox to its Kafka
 * topic, oldest first, at least once, retrying through broker outages (an event is marked published
 * only once the broker has it). Not scale-to-zero: one instance always runs. It takes no events; its
 * HTTP port serves the probes.
 */
export const outboxRelay: FunctionDefinition = {
  name: 'outbox-relay',
  trigger: { kind: 'always-on' },
  async init({ config, deps, logger }) {
    if (config.kafkaBrokers.length === 0)
      throw new ConfigError('bad configuration: FEATURESTORE_KAFKA_BROKERS: outbox-relay needs the Kafka brokers (host:port,...)');
    const { startKafkaRelay } = await import('../../shared/runtime/events/kafka-relay.js');
    const relay = await startKafkaRelay(await deps.outbox(), config.kafkaBrokers, logger);
    return { events: {}, shutdown: () => relay.stop() };
  },
};
