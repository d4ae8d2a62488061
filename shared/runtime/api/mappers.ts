// Proto <-> domain conversions, in one place for every function.
import { InvalidArgument } from '../../core/errors.js';
import {
  versionString,
  type CompatibilityReport,
  type DataType,
  type FeatureSet,
  type FeatureView,
  type Project,
  type SampleFormat,
  type Schema,
} from '../../core/model.js';
import { featureViewEtag } from '../../core/use-cases/feature-views.js';
import type * as fvpb from '../../gen/featurestore/v1/feature_view.js';
import { featureSetEtag } from '../../core/use-cases/feature-sets.js';
import { projectEtag } from '../../core/use-cases/projects.js';
import * as pb from '../../gen/featurestore/v1/common.js';
import * as fspb from '../../gen/featurestore/v1/feature_set.js';
import type * as ppb from '../../gen/featurestore/v1/project.js';
import type { Duration } from '../../gen/google/protobuf/duration.js';
import * as jobpb from '../../gen/featurestore/v1/job.js';
import type { Job, JobState, JobType } from '../../core/jobs.js';
import type { Ingest } from '../../core/ingests.js';
import type { EntityValue, ExtraColumnsPolicy, SourceSpec } from '../../core/job-specs.js';
import type { FeatureSetRef } from '../../core/use-cases/resolve-feature-set.js';
import { dateProblem, timestampProblem, type TypedValue } from '../../core/values.js';
import * as ingestpb from '../../gen/featurestore/v1/ingest.js';
import * as accesspb from '../../gen/featurestore/v1/access.js';
import type { AccessRequest, AccessRequestState, Role } from '../../core/access.js';
import type { Permission } from '../../core/ports/access-store.js';
import type { Principal } from '../../core/principal.js';
import type { StoredToken } from '../../core/tokens.js';
import { optionalTimestamp, timestampFromDate, timestampToIso } from './proto-time.js';

export function dataTypeFromProto(t: pb.DataType): DataType {
  // An unknown or unspecified type passes through as its name; validateSchema names the field.
  const name = pb.DataType[t] ?? String(t);
  return (name.startsWith('DATA_TYPE_') ? name.slice('DATA_TYPE_'.length) : name) as DataType;
}

export function dataTypeToProto(t: DataType): pb.DataType {
  return pb.DataType[`DATA_TYPE_${t}` as keyof typeof pb.DataType];
}

export function schemaFromProto(s: pb.Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  return {
    features: s.features.map((f) => ({
      name: f.name,
      type: dataTypeFromProto(f.type),
      isList: f.isList,
      description: f.description,
      sensitive: f.sensitive,
      tags: f.tags,
    })),
    primaryKey: s.primaryKey,
    eventTimeColumn: s.eventTimeColumn,
  };
}

export function schemaToProto(s: Schema): pb.Schema {
  return {
    features: s.features.map((f) => ({
      name: f.name,
      type: dataTypeToProto(f.type),
      isList: f.isList,
      description: f.description,
      sensitive: f.sensitive,
      tags: f.tags,
      statistics: f.statistics && {
        ...f.statistics,
        count: String(f.statistics.count),
        nullCount: String(f.statistics.nullCount),
        approxDistinct: String(f.statistics.approxDistinct),
        computeTime: timestampFromDate(f.statistics.computeTime),
      },
    })),
    primaryKey: s.primaryKey,
    eventTimeColumn: s.eventTimeColumn,
  };
}

export function ttlFromProto(d: Duration | undefined, field = 'ttl'): number | null {
  if (!d) return null;
  const seconds = Number(d.seconds) + d.nanos / 1e9;
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgument('must be positive; leave it unset for no limit', { field });
  if (d.nanos !== 0) throw new InvalidArgument('must be a whole number of seconds', { field });
  return seconds;
}

export function ttlToProto(seconds: number | null): Duration | undefined {
  return seconds === null ? undefined : { seconds: String(seconds), nanos: 0 };
}

export function projectToProto(p: Project): ppb.Project {
  return {
    name: p.name,
    description: p.description,
    owner: p.owner,
    tags: p.tags,
    createTime: timestampFromDate(p.createTime),
    updateTime: timestampFromDate(p.updateTime),
    etag: projectEtag(p),
    featureSetCount: p.featureSetCount,
  };
}

export function featureSetToProto(fs: FeatureSet & { withheldStatistics?: string[] }): fspb.FeatureSet {
  return {
    project: fs.project,
    name: fs.name,
    version: versionString(fs),
    major: fs.major,
    minor: fs.minor,
    schema: schemaToProto(fs.schema),
    description: fs.description,
    owner: fs.owner,
    tags: fs.tags,
    ttl: ttlToProto(fs.ttlSeconds),
    etag: featureSetEtag(fs),
    createTime: timestampFromDate(fs.createTime),
    updateTime: timestampFromDate(fs.updateTime),
    createdBy: fs.createdBy,
    changeSummary: fs.changeSummary,
    withheldStatistics: fs.withheldStatistics ?? [],
  };
}

export function featureViewToProto(v: FeatureView): fvpb.FeatureView {
  return {
    project: v.project,
    name: v.name,
    version: v.version,
    entityColumns: v.entityColumns,
    sources: v.sources.map((s) => ({ featureSet: `${s.project}/${s.featureSet}:${s.major}`, features: s.features, keyColumns: s.keyColumns })),
    featureNames: v.featureNames,
    description: v.description,
    owner: v.owner,
    tags: v.tags,
    etag: featureViewEtag(v),
    createTime: timestampFromDate(v.createTime),
    updateTime: timestampFromDate(v.updateTime),
    createdBy: v.createdBy,
  };
}

export function reportToProto(r: CompatibilityReport): fspb.CompatibilityReport {
  return {
    compatible: r.compatible,
    changes: r.changes.map((c) => ({
      kind: fspb.SchemaChange_Kind[`KIND_${c.kind}` as keyof typeof fspb.SchemaChange_Kind],
      feature: c.feature,
      from: c.from,
      to: c.to,
      breaking: c.breaking,
    })),
  };
}

export function formatFromProto(f: pb.Format): SampleFormat | undefined {
  switch (f) {
    case pb.Format.FORMAT_CSV:
      return 'CSV';
    case pb.Format.FORMAT_PARQUET:
      return 'PARQUET';
    case pb.Format.FORMAT_JSONL:
      return 'JSONL';
    default:
      return undefined;
  }
}

export function jobToProto(j: Job): jobpb.Job {
  return {
    id: j.id,
    type: jobpb.JobType[`JOB_TYPE_${j.type}` as keyof typeof jobpb.JobType],
    state: jobStateToProto(j.state),
    progress: j.progress,
    message: j.message,
    error: j.error && { code: j.error.code, message: j.error.message, details: j.error.details.map((d) => ({ ...d, row: String(d.row) })) },
    project: j.project,
    featureSet: j.featureSet,
    createdBy: j.createdBy,
    createTime: timestampFromDate(j.createTime),
    startTime: optionalTimestamp(j.startTime),
    endTime: optionalTimestamp(j.endTime),
    result: jobResultToProto(j.result),
  };
}

function jobResultToProto(r: Job['result']): jobpb.Job['result'] {
  switch (r?.kind) {
    case 'ingest':
      return {
        $case: 'ingestResult',
        value: {
          ingestId: r.ingestId,
          rows: String(r.rows),
          duplicateRows: String(r.duplicateRows),
          droppedColumns: r.droppedColumns ?? [],
          missingColumns: r.missingColumns ?? [],
        },
      };
    case 'retrieve':
      return { $case: 'retrieveResult', value: { uris: r.uris, downloadUrls: r.downloadUrls, rows: String(r.rows), withheldFeatures: r.withheld ?? [] } };
    case 'revert':
      return { $case: 'revertResult', value: { ingestId: r.ingestId, version: r.version, rowsRemoved: String(r.rowsRemoved) } };
    case 'materialize':
      return { $case: 'materializeResult', value: { rows: String(r.rows), written: String(r.written), tooLarge: String(r.tooLarge ?? 0) } };
    default:
      return undefined;
  }
}

export function jobStateToProto(s: JobState): jobpb.JobState {
  return jobpb.JobState[`JOB_STATE_${s}` as keyof typeof jobpb.JobState];
}

/** Unspecified (0) means "any"; unknown values pass through as their number for the use case to refuse. */
export function jobTypeFromProto(t: jobpb.JobType): JobType | undefined {
  if (t === jobpb.JobType.JOB_TYPE_UNSPECIFIED) return undefined;
  return (jobpb.JobType[t]?.replace('JOB_TYPE_', '') ?? String(t)) as JobType;
}

export function jobStateFromProto(s: jobpb.JobState): JobState | undefined {
  if (s === jobpb.JobState.JOB_STATE_UNSPECIFIED) return undefined;
  return (jobpb.JobState[s]?.replace('JOB_STATE_', '') ?? String(s)) as JobState;
}

export function sourceFromProto(s: pb.Source | undefined): SourceSpec | undefined {
  if (!s) return undefined;
  return { uri: s.uri, format: formatFromProto(s.format), options: s.options };
}

function formatToProto(f: SampleFormat | undefined): pb.Format {
  return f ? pb.Format[`FORMAT_${f}` as keyof typeof pb.Format] : pb.Format.FORMAT_UNSPECIFIED;
}

export function ingestToProto(i: Ingest): ingestpb.Ingest {
  return {
    id: i.id,
    featureSet: { project: i.project, name: i.featureSet, version: `${i.major}.${i.minor}` },
    source: { uri: i.source.uri, format: formatToProto(i.source.format), options: i.source.options },
    state: i.state === 'COMMITTED' ? ingestpb.IngestState.INGEST_STATE_COMMITTED : ingestpb.IngestState.INGEST_STATE_REVERTED,
    rows: String(i.rows),
    duplicateRows: String(i.duplicateRows),
    jobId: i.jobId,
    createdBy: i.createdBy,
    commitTime: timestampFromDate(i.commitTime),
    revertTime: optionalTimestamp(i.revertTime),
  };
}

export function extraColumnsFromProto(e: ingestpb.ExtraColumns): ExtraColumnsPolicy {
  if (e === ingestpb.ExtraColumns.EXTRA_COLUMNS_FAIL) return 'FAIL';
  if (e === ingestpb.ExtraColumns.EXTRA_COLUMNS_IGNORE || e === ingestpb.ExtraColumns.EXTRA_COLUMNS_UNSPECIFIED) return 'IGNORE';
  throw new InvalidArgument(`unknown policy ${e}`, { field: 'extra_columns' });
}

/** A value of an inline entity row as JSON for the engine: timestamps ISO 8601, dates YYYY-MM-DD, bytes base64. */
export function entityValueFromProto(v: pb.Value, field: string): EntityValue {
  const k = v.kind;
  switch (k?.$case) {
    case undefined:
      return null;
    case 'stringValue':
    case 'boolValue':
    case 'int32Value':
    case 'float32Value':
    case 'float64Value':
      return k.value;
    case 'int64Value': {
      const n = Number(k.value);
      return Number.isSafeInteger(n) ? n : k.value;
    }
    case 'timestampValue': {
      const bad = timestampProblem(Number(k.value.seconds), k.value.nanos);
      if (bad) throw new InvalidArgument(bad, { field });
      return timestampToIso(k.value);
    }
    case 'dateValue': {
      const bad = dateProblem(k.value);
      if (bad) throw new InvalidArgument(bad, { field });
      return new Date(k.value * 86_400_000).toISOString().slice(0, 10);
    }
    case 'bytesValue':
      return Buffer.from(k.value).toString('base64');
    case 'listValue':
      return k.value.values.map((x, i) => entityValueFromProto(x, `${field}[${i}]`));
    default:
      throw new InvalidArgument('has an unknown kind of value', { field });
  }
}

/** A proto Value as the typed value the online use cases check against the schema. */
export function typedValueFromProto(v: pb.Value | undefined): TypedValue {
  const k = v?.kind;
  switch (k?.$case) {
    case 'stringValue':
      return { kind: 'string', value: k.value };
    case 'boolValue':
      return { kind: 'bool', value: k.value };
    case 'int32Value':
      return { kind: 'int32', value: k.value };
    case 'int64Value':
      return { kind: 'int64', value: k.value };
    case 'float32Value':
      return { kind: 'float32', value: k.value };
    case 'float64Value':
      return { kind: 'float64', value: k.value };
    case 'timestampValue':
      return { kind: 'timestamp', seconds: Number(k.value.seconds), nanos: k.value.nanos };
    case 'dateValue':
      return { kind: 'date', value: k.value };
    case 'bytesValue':
      return { kind: 'bytes', value: k.value };
    case 'listValue':
      return { kind: 'list', value: k.value.values.map(typedValueFromProto) };
    default:
      return { kind: 'null' };
  }
}

export function typedValueToProto(v: TypedValue): pb.Value {
  switch (v.kind) {
    case 'null':
      return { kind: undefined };
    case 'string':
      return { kind: { $case: 'stringValue', value: v.value } };
    case 'bool':
      return { kind: { $case: 'boolValue', value: v.value } };
    case 'int32':
      return { kind: { $case: 'int32Value', value: v.value } };
    case 'int64':
      return { kind: { $case: 'int64Value', value: v.value } };
    case 'float32':
      return { kind: { $case: 'float32Value', value: v.value } };
    case 'float64':
      return { kind: { $case: 'float64Value', value: v.value } };
    case 'timestamp':
      return { kind: { $case: 'timestampValue', value: { seconds: String(v.seconds), nanos: v.nanos } } };
    case 'date':
      return { kind: { $case: 'dateValue', value: v.value } };
    case 'bytes':
      return { kind: { $case: 'bytesValue', value: Buffer.from(v.value) } };
    case 'list':
      return { kind: { $case: 'listValue', value: { values: v.value.map(typedValueToProto) } } };
  }
}

/** A request's feature set reference (absent reads as empty fields, which the use case refuses by name). */
export function featureSetRefFromProto(ref: pb.FeatureSetRef | undefined): FeatureSetRef {
  return { project: ref?.project ?? '', featureSet: ref?.name ?? '', version: ref?.version ?? '' };
}

const ROLE_BY_PROTO: Record<number, Role | undefined> = {
  [accesspb.Role.ROLE_OWNER]: 'OWNER',
  [accesspb.Role.ROLE_EDITOR]: 'EDITOR',
  [accesspb.Role.ROLE_SENSITIVE_CONSUMER]: 'SENSITIVE_CONSUMER',
  [accesspb.Role.ROLE_CONSUMER]: 'CONSUMER',
  [accesspb.Role.ROLE_VIEWER]: 'VIEWER',
};

/** A role from the API; undefined when unspecified or unknown (the use case names the field). */
export const roleFromProto = (role: accesspb.Role): Role | undefined => ROLE_BY_PROTO[role];
export const roleToProto = (role: Role): accesspb.Role => accesspb.Role[`ROLE_${role}`];

export function resourceFromProto(r: accesspb.ResourceRef | undefined): { project: string; featureSet: string } {
  return { project: r?.project ?? '', featureSet: r?.featureSet ?? '' };
}

export function principalToProto(p: Principal): accesspb.Principal {
  return { id: p.id, name: p.name, email: p.email, admin: p.admin };
}

export function permissionToProto(p: Permission): accesspb.Permission {
  return {
    resource: { project: p.project, featureSet: p.featureSet },
    principalId: p.principalId,
    role: roleToProto(p.role),
    grantedBy: p.grantedBy,
    createTime: timestampFromDate(p.createTime),
  };
}

export function accessRequestStateFromProto(s: accesspb.AccessRequestState): AccessRequestState | undefined {
  return s === accesspb.AccessRequestState.ACCESS_REQUEST_STATE_UNSPECIFIED
    ? undefined
    : ((accesspb.AccessRequestState[s]?.replace('ACCESS_REQUEST_STATE_', '') ?? 'UNKNOWN') as AccessRequestState);
}

export function accessRequestToProto(r: AccessRequest): accesspb.AccessRequest {
  return {
    id: r.id,
    resource: { project: r.project, featureSet: r.featureSet },
    role: roleToProto(r.role),
    principalId: r.principalId,
    reason: r.reason,
    state: accesspb.AccessRequestState[`ACCESS_REQUEST_STATE_${r.state}`],
    decidedBy: r.decidedBy,
    createTime: timestampFromDate(r.createTime),
    decideTime: r.decideTime ? timestampFromDate(r.decideTime) : undefined,
  };
}

export function tokenToProto(t: StoredToken): accesspb.Token {
  return {
    id: t.id,
    name: t.name,
    createTime: timestampFromDate(t.createTime),
    expireTime: timestampFromDate(t.expireTime),
    lastUseTime: t.lastUseTime ? timestampFromDate(t.lastUseTime) : undefined,
  };
}
