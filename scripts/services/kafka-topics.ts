// Creates the topic catalogue (shared/adapters/events/topics.ts) on a broker: run by kafka.sh once
// the broker listens. Idempotent; outbox-relay does the same at its start.
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics } from '../../shared/adapters/events/kafka-publisher.js';
import { PARTITIONS } from '../../shared/adapters/events/topics.js';

const broker = process.argv[2];
if (!broker) {
  console.error('usage: kafka-topics.ts host:port');
  process.exit(2);
}
const admin = new Kafka({ clientId: 'featurestore-topics', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
await admin.connect();
try {
  await ensureTopics(admin);
  console.error(`topics on ${broker}: ${Object.keys(PARTITIONS).join(', ')}`);
} finally {
  await admin.disconnect();
}
