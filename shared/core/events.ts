// Every CloudEvent type the store emits, versioned, in one place (see eventing/ for the topics).

const PREFIX = 'dev.featurestore';

export const EventTypes = {
  projectChanged: `${PREFIX}.project.changed.v1`,
  featureSetChanged: `${PREFIX}.featureset.changed.v1`,
  featureViewChanged: `${PREFIX}.featureview.changed.v1`,
  jobRequested: `${PREFIX}.job.requested.v1`,
  jobStatus: `${PREFIX}.job.status.v1`,
  /** A cancel asked for a job running on a cluster: spark-submit stops its application. */
  jobCancelRequested: `${PREFIX}.job.cancel.requested.v1`,
  ingestCommitted: `${PREFIX}.ingest.committed.v1`,
  ingestReverted: `${PREFIX}.ingest.reverted.v1`,
  onlineRowsWritten: `${PREFIX}.online.rows.v1`,
  syncTick: `${PREFIX}.sync.tick.v1`,
  /** A role granted or revoked, an access request made or decided: the audit trail of authorization. */
  accessChanged: `${PREFIX}.access.changed.v1`,
} as const;

/** What a Knative PingSource (the cron of service mode) sends; online-to-offline takes it as a sync tick. */
export const PING_EVENT_TYPE = 'dev.knative.sources.ping';

/**
 * What a Knative ApiServerSource in Resource mode sends about a watched Kubernetes object (its
 * whole object as the data): spark-submit takes its SparkApplications' changes so (eventing/).
 */
export const ApiServerEventTypes = {
  add: 'dev.knative.apiserver.resource.add',
  update: 'dev.knative.apiserver.resource.update',
  delete: 'dev.knative.apiserver.resource.delete',
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

/**
 * An event a use case decides to emit. The metadata store writes it to the outbox in the same
 * transaction as the change it describes; a relay delivers it afterwards (at least once).
 */
export interface DomainEvent {
  type: EventType;
  /** What the event is about, e.g. "projects/p1/featureSets/fs1". */
  subject: string;
  data: Record<string, unknown>;
}

export function projectSubject(project: string): string {
  return `projects/${project}`;
}

export function featureSetSubject(project: string, name: string): string {
  return `projects/${project}/featureSets/${name}`;
}

export function featureViewSubject(project: string, name: string): string {
  return `projects/${project}/featureViews/${name}`;
}
