import { ApiServerEventTypes, EventTypes, type EventType } from '../../core/events.js';

/**
 * The Kafka topic catalogue (service mode): which topic carries each event type. eventing/ deploys
 * the same topics (test/eventing checks they agree); scripts create them with `ensureTopics`.
 */
export const Topics = {
  catalog: 'featurestore.catalog',
  jobRequests: 'featurestore.jobs.requested',
  jobStatus: 'featurestore.jobs.status',
  ingestCommitted: 'featurestore.ingest.committed',
  onlineRows: 'featurestore.online.rows',
  deadLetter: 'featurestore.deadletter',
  /** What the ApiServerSource sends about SparkApplications (eventing/apiserversource.yaml), for spark-submit. */
  sparkApplications: 'featurestore.spark.applications',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

const BY_TYPE: Record<EventType, Topic> = {
  [EventTypes.projectChanged]: Topics.catalog,
  [EventTypes.featureSetChanged]: Topics.catalog,
  [EventTypes.featureViewChanged]: Topics.catalog,
  [EventTypes.jobRequested]: Topics.jobRequests,
  [EventTypes.jobStatus]: Topics.jobStatus,
  [EventTypes.jobCancelRequested]: Topics.jobRequests,
  [EventTypes.ingestCommitted]: Topics.ingestCommitted,
  [EventTypes.ingestReverted]: Topics.ingestCommitted,
  [EventTypes.onlineRowsWritten]: Topics.onlineRows,
  [EventTypes.accessChanged]: Topics.catalog,
  [EventTypes.syncTick]: Topics.catalog, // never produced to Kafka: the cron calls online-to-offline directly
};

/** Types of events produced outside the store (the ApiServerSource's), and the topic their Broker uses. */
const EXTERNAL: Record<string, Topic> = {
  [ApiServerEventTypes.add]: Topics.sparkApplications,
  [ApiServerEventTypes.update]: Topics.sparkApplications,
  [ApiServerEventTypes.delete]: Topics.sparkApplications,
};

export function topicOf(type: string): Topic {
  const topic = (BY_TYPE as Record<string, Topic | undefined>)[type] ?? EXTERNAL[type];
  if (!topic) throw new Error(`no topic for event type ${type}`);
  return topic;
}

/** Partitions per topic: events of one subject keep their order (the subject is the message key). */
export const PARTITIONS: Record<Topic, number> = {
  [Topics.catalog]: 1,
  [Topics.jobRequests]: 3,
  [Topics.jobStatus]: 3,
  [Topics.ingestCommitted]: 3,
  [Topics.onlineRows]: 3,
  [Topics.deadLetter]: 1,
  [Topics.sparkApplications]: 3,
};
