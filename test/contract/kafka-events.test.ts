// CloudEvents over a real Kafka broker (KRaft, started by scripts/services/kafka.sh): the topic
// catalogue is created, events of each type land on their topic in the binding's binary mode and
// read back equal, keyed by subject; and the outbox relay gets an event committed while the broker
// was down to Kafka once a broker is up (a second broker of its own, started mid-test).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { CloudEventV1 } from 'cloudevents';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import { cloudEventOf, ensureTopics, KafkaEventPublisher } from '../../shared/adapters/events/kafka-publisher.js';
import { topicOf, Topics } from '../../shared/adapters/events/topics.js';
import { EventTypes } from '../../shared/core/events.js';
import { OutboxRelay } from '../../shared/runtime/events/outbox-relay.js';
import { testLogger } from '../support/silent-logger.js';
import { REPO } from '../support/process.js';
import { eventually } from '../support/helpers.js';

function brokers(): string[] {
  const b = process.env['FEATURESTORE_TEST_KAFKA_BROKERS'];
  if (!b) throw new Error('FEATURESTORE_TEST_KAFKA_BROKERS is not set: run the tests with `make test` (it starts Kafka)');
  return b.split(',');
}

/** Every message on a topic from the beginning, as CloudEvents, until `until` holds. */
async function readTopic(
  addresses: string[],
  topic: string,
  until: (events: CloudEventV1<unknown>[]) => boolean,
): Promise<{ events: CloudEventV1<unknown>[]; keys: string[] }> {
  const kafka = new Kafka({ brokers: addresses, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `test-${Math.random().toString(36).slice(2)}`,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
  });
  const events: CloudEventV1<unknown>[] = [];
  const keys: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      events.push(cloudEventOf(message));
      keys.push(message.key?.toString() ?? '');
    },
  });
  try {
    await eventually(async () => until(events), 30_000, `messages on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return { events, keys };
}

describe('CloudEvents on Kafka', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('creates the topic catalogue and carries each event type on its topic, binary mode, keyed by subject', async () => {
    const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin);
    await ensureTopics(admin); // again: nothing to do
    const topics = await admin.listTopics();
    await admin.disconnect();
    for (const t of Object.values(Topics)) assert.ok(topics.includes(t), `topic ${t}`);

    const publisher = new KafkaEventPublisher(brokers());
    cleanups.push(() => publisher.close());
    const run = Math.random().toString(36).slice(2);
    const event = (type: string, subject: string, data: object): CloudEventV1<unknown> => ({
      specversion: '1.0',
      id: `${run}-${type}`,
      source: '/featurestore/test',
      type,
      subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data,
    });
    const sent = [
      event(EventTypes.jobRequested, `jobs/${run}`, { jobId: run, note: 'é "quoted"' }),
      event(EventTypes.ingestCommitted, `projects/p/featureSets/${run}`, { ingestId: run, files: ['a', 'b'] }),
    ];
    await publisher.publish(sent);
    for (const e of sent) {
      const { events, keys } = await readTopic(brokers(), topicOf(e.type), (got) => got.some((g) => g.id === e.id));
      const got = events.find((g) => g.id === e.id)!;
      assert.deepEqual([got.type, got.source, got.subject, got.data], [e.type, e.source, e.subject, e.data]);
      assert.equal(keys[events.indexOf(got)], e.subject);
    }
  });

  it('gets an event committed while the broker was down to Kafka once a broker is up', async () => {
    // A broker of its own, not started yet.
    const dir = mkdtempSync(join(tmpdir(), 'fs-kafka-late-'));
    const env = { ...process.env, FEATURESTORE_SERVICES_DIR: dir, FEATURESTORE_KAFKA_PORT: '29292' };
    const kafkaSh = join(REPO, 'scripts', 'services', 'kafka.sh');
    cleanups.push(async () => void execFileSync(kafkaSh, ['stop'], { env }));
    const late = [`127.0.0.1:${env.FEATURESTORE_KAFKA_PORT}`];

    const { store, outbox } = await openMetadataStore({ type: 'pglite', dataDir: undefined });
    cleanups.push(() => store.close());
    const publisher = new KafkaEventPublisher(late);
    cleanups.push(() => publisher.close());
    const relay = new OutboxRelay(outbox, (e) => publisher.publish([e]), testLogger, {
      intervalMs: 200,
      backoffMs: 200,
      maxBackoffMs: 1000,
      maxAttempts: Number.POSITIVE_INFINITY,
    });
    relay.start();
    cleanups.push(() => relay.stop());

    // The change commits with its event; the broker is down, so delivery fails and is retried.
    await store.createProject({ name: 'late', description: '', owner: 'alice', tags: {} }, [
      { type: EventTypes.projectChanged, subject: 'projects/late', data: { project: 'late', change: 'created' } },
    ]);
    await eventually(async () => (await outbox.pending(10)).some((e) => e.attempts >= 2), 20_000, 'failed deliveries while the broker is down');

    execFileSync(kafkaSh, ['start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const admin = new Kafka({ brokers: late, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await ensureTopics(admin);
    await admin.disconnect();
    const { events } = await readTopic(late, Topics.catalog, (got) => got.some((g) => g.subject === 'projects/late'));
    assert.equal(events.filter((g) => g.subject === 'projects/late').length, 1);
    await eventually(async () => (await outbox.pending(10)).length === 0, 20_000, 'the outbox to be drained');
  });
});
