// The data of every CloudEvent a function takes, one schema per event type, checked by the host
// before a handler sees it: a malformed event is refused (INVALID_ARGUMENT naming the field, so the
// broker does not retry it) and handlers get typed data.
import { z } from 'zod';
import { InvalidArgument } from './errors.js';
import { ApiServerEventTypes, EventTypes, PING_EVENT_TYPE } from './events.js';
import { IDENTIFIER_PATTERN } from './identifiers.js';
import { isUuid } from './validation.js';

const quoted = (input: unknown) => `"${String(input).slice(0, 80)}"`;
const uuid = (what: string) => z.string({ error: 'is required' }).refine(isUuid, { error: (issue) => `${quoted(issue.input)} is not ${what}` });
const identifier = z.string({ error: 'is required' }).regex(IDENTIFIER_PATTERN, { error: (issue) => `${quoted(issue.input)} is not a name` });
const major = z.number({ error: 'is required: a major version' }).int().positive();

/** About one ingest of a feature set version. Other fields (files, job id, version) may come along. */
const ingestEvent = z.looseObject({ ingestId: uuid('an ingest id'), project: identifier, featureSet: identifier, major });

const kubernetesObject = z.looseObject({
  apiVersion: z.string({ error: 'is required' }),
  kind: z.string({ error: 'is required' }),
  metadata: z.looseObject({ name: z.string({ error: 'is required' }), labels: z.record(z.string(), z.string()).optional() }),
  status: z.looseObject({}).optional(),
});
const statistics = z.record(z.string(), z.looseObject({}));

export const EVENT_DATA = {
  [EventTypes.jobRequested]: z.looseObject({ jobId: uuid('a job id') }),
  [EventTypes.jobCancelRequested]: z.looseObject({ jobId: uuid('a job id'), application: z.string({ error: 'is required' }) }),
  [EventTypes.jobStatus]: z.looseObject({
    jobId: uuid('a job id'),
    /** Absent on progress-only events (a job that started running): nothing to record. */
    state: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']).optional(),
    error: z.object({ code: z.string(), message: z.string(), details: z.array(z.looseObject({})) }).optional(),
    ingest: z
      .object({
        id: uuid('an ingest id'),
        files: z.array(z.string()),
        rows: z.number(),
        duplicateRows: z.number(),
        statistics,
        basis: z.array(z.string()).optional(),
        columns: z.object({ dropped: z.array(z.string()), missing: z.array(z.string()) }).optional(),
      })
      .optional(),
    empty: z.boolean().optional(),
    revert: z.object({ ingestId: uuid('an ingest id'), statistics }).optional(),
    retrieve: z.object({ uris: z.array(z.string()), downloadUrls: z.array(z.string()), rows: z.number(), withheld: z.array(z.string()).optional() }).optional(),
    materialize: z.object({ rows: z.number(), written: z.number(), tooLarge: z.number() }).optional(),
  }),
  [EventTypes.ingestCommitted]: ingestEvent,
  [EventTypes.ingestReverted]: ingestEvent,
  [EventTypes.featureSetChanged]: z.looseObject({
    project: identifier,
    featureSet: identifier,
    version: z.string(),
    change: z.string(),
    /** With ttlSeconds on a TTL change: the major version whose online entries follow it. */
    major: major.optional(),
    ttlSeconds: z.number().positive().nullable().optional(),
  }),
  [EventTypes.projectChanged]: z.looseObject({}),
  [EventTypes.featureViewChanged]: z.looseObject({
    project: identifier,
    featureView: identifier,
    version: z.number({ error: 'is required: a view version' }).int().positive(),
    change: z.string({ error: 'is required' }),
  }),
  [EventTypes.onlineRowsWritten]: z.looseObject({}),
  // Ticks carry nothing a handler reads.
  [EventTypes.syncTick]: z.unknown(),
  [PING_EVENT_TYPE]: z.unknown(),
  // A Kubernetes object as an ApiServerSource sends it; its handler reads the kind's own fields.
  [ApiServerEventTypes.add]: kubernetesObject,
  [ApiServerEventTypes.update]: kubernetesObject,
  [ApiServerEventTypes.delete]: kubernetesObject,
} as const;

export type HandledEventType = keyof typeof EVENT_DATA;
export type EventData<T extends HandledEventType> = z.infer<(typeof EVENT_DATA)[T]>;

export const isHandledEventType = (type: string): type is HandledEventType => type in EVENT_DATA;

/** An event's data checked against its type's schema: InvalidArgument naming the first field at fault. */
export function readEventData<T extends HandledEventType>(type: T, data: unknown): EventData<T> {
  const parsed = EVENT_DATA[type].safeParse(data ?? {});
  if (parsed.success) return parsed.data as EventData<T>;
  const issue = parsed.error.issues[0];
  const field = ['data', ...issue.path.map(String)].join('.');
  throw new InvalidArgument(issue.message, { field });
}
