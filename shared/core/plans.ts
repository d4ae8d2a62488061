// Engine-neutral plans: what a job reads (the ingests visible at a moment, filters, the
// point-in-time join with TTL and tie-breaking, dedupe, newest row per key, statistics) and what it
// writes. Pure functions build them from a job's spec and the catalog's answers; an engine
// (DuckDB in process today, Spark in #15) executes them. Plans are plain data: JSON carries them to
// an engine in another process (times as ISO 8601 text).
//
// Stored files in a plan are offline-store keys when built; `withStoredFiles` turns them into
// whatever the engine reads (a local copy for DuckDB, an s3a:// or abfss:// URI for Spark).
import { csvOptions, visibleAt, type Ingest } from './ingests.js';
import type { ExtraColumnsPolicy, MaterializeJobSpec, RetrieveJobSpec, SourceSpec, TrainingSetJobSpec } from './job-specs.js';
import { futureText } from './messages.js';
import type { FeatureSet, SampleFormat, Schema } from './model.js';
import { NotFound } from './errors.js';

export type OutputFormat = 'PARQUET' | 'CSV';

/** CSV reading options: delimiter (default ","), header (default true). */
export interface CsvOptions {
  delimiter?: string;
  header?: boolean;
}

/** Rows to read: files in one format (sources and entity tables, already where the engine reads them). */
export interface SourceFilesRead {
  files: string[];
  format: SampleFormat;
  csv: CsvOptions;
}

/**
 * An ingest: read the source, convert every value to the schema by the one rule (refusing the
 * whole source, with row and column detail, when any row does not fit), drop rows equal to a row
 * already stored (and, with `distinct`, equal rows within the source), write the rest, and compute
 * statistics over everything visible afterwards.
 */
export interface IngestPlan {
  kind: 'ingest';
  ingestId: string;
  ingestTime: Date;
  schema: Schema;
  source: SourceFilesRead;
  extraColumns: ExtraColumnsPolicy;
  /** Keep one of rows equal in every column (the online rows log: a client's retried write). */
  distinct: boolean;
  /** Rows whose event time is later than this are refused; no bound when absent. */
  latestEventTime?: Date;
  /** That bound for messages ("1 day"). */
  latestEventTimeText?: string;
  /** Stored files of the ingests visible now (stored files): rows equal to theirs are skipped. */
  existing: string[];
  /** Where the new files go (an empty folder the engine writes). */
  outputDir: string;
}

/** Statistics per feature over the rows of stored files (after a revert: the ingests that stay). */
export interface StatisticsPlan {
  kind: 'statistics';
  schema: Schema;
  files: string[];
}

/** Rows of a feature set in an event-time range as they were visible at a moment, some columns, one output file. */
export interface RetrievePlan {
  kind: 'retrieve';
  schema: Schema;
  /** Stored files of the ingests visible at the moment asked for. */
  files: string[];
  /** Output columns in order: the key, the event time, then the features asked for (all when none). */
  columns: string[];
  /** Inclusive lower bound of event time. */
  startTime?: Date;
  /** Exclusive upper bound of event time. */
  endTime?: Date;
  /** Output rows ordered by these columns (the key, then the event time). */
  orderBy: string[];
  format: OutputFormat;
  outputDir: string;
}

/** One feature set's side of a point-in-time join. */
export interface TrainingSetSide {
  schema: Schema;
  /** Null means no TTL: any older row matches. */
  ttlSeconds: number | null;
  /** Stored files of each visible ingest with rows, oldest ingest first: on equal event times the later ingest wins. */
  ingests: string[][];
  /** Features to take (never the key or event time). */
  features: string[];
  /** The entity columns matched with the primary key, in key order (the key's own names unless a feature view maps them). */
  entityKey: string[];
  /** Names the side in output column names when a feature's name clashes (training-sets.ts outputColumnNames). */
  project: string;
  featureSet: string;
}

/**
 * A point-in-time join. For every entity row and every side: the side's row with the same primary
 * key (entity columns named like the key), the greatest event time <= the entity timestamp and,
 * with a TTL, event time >= timestamp - TTL; ties go to the later ingest. No such row gives nulls.
 * Entity columns are kept as they are (the timestamp column typed as a timestamp), in entity-table
 * order, followed by the features, named by outputColumnNames once the entity columns are known.
 */
export interface TrainingSetPlan {
  kind: 'training-set';
  entities: SourceFilesRead;
  timestampColumn: string;
  sides: TrainingSetSide[];
  format: OutputFormat;
  outputDir: string;
}

/**
 * The newest row per entity key (greatest event time) of stored files, optionally in an event-time
 * range, in online stored form (online-values.ts: int64 as text, timestamps in µs, dates in days,
 * bytes base64).
 */
export interface NewestPerKeyPlan {
  kind: 'newest-per-key';
  schema: Schema;
  files: string[];
  startTime?: Date;
  endTime?: Date;
}

/**
 * After a revert: for every key in the reverted ingest's files, its newest row there and the newest
 * row for that key in the files still visible (when any), both in online stored form.
 */
export interface RevertedKeysPlan {
  kind: 'reverted-keys';
  schema: Schema;
  reverted: string[];
  remaining: string[];
}

export type Plan = IngestPlan | StatisticsPlan | RetrievePlan | TrainingSetPlan | NewestPerKeyPlan | RevertedKeysPlan;

const allFiles = (ingests: Ingest[]) => ingests.flatMap((i) => i.files);
const time = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));

/** An INGEST job's plan, from the source as resolved and the ingests visible now. */
export function ingestPlan(a: {
  ingestId: string;
  now: Date;
  /** How far ahead of now event times may be. */
  maxFutureMs: number;
  schema: Schema;
  source: SourceSpec;
  sourceFiles: { files: string[]; format: SampleFormat };
  extraColumns: ExtraColumnsPolicy;
  /** The ingest holds rows of the online rows log (a log range). */
  fromOnlineLog: boolean;
  visible: Ingest[];
  outputDir: string;
}): IngestPlan {
  return {
    kind: 'ingest',
    ingestId: a.ingestId,
    ingestTime: a.now,
    schema: a.schema,
    source: { files: a.sourceFiles.files, format: a.sourceFiles.format, csv: csvOptions(a.source.options) },
    extraColumns: a.extraColumns,
    distinct: a.fromOnlineLog,
    latestEventTime: new Date(a.now.getTime() + a.maxFutureMs),
    latestEventTimeText: futureText(a.maxFutureMs),
    existing: allFiles(a.visible),
    outputDir: a.outputDir,
  };
}

/** After a revert: statistics over the ingests that stay visible once `revertedId` is hidden. */
export function revertStatisticsPlan(schema: Schema, visible: Ingest[], revertedId: string): StatisticsPlan {
  return { kind: 'statistics', schema, files: allFiles(visible.filter((i) => i.id !== revertedId)) };
}

/**
 * The ingests a reader saw at the moment a job asks for: right after an ingest committed, or at a
 * time (reverts count from their own moment). `history` is every ingest of the major version,
 * reverted ones too, oldest first.
 */
export function visibleAsOf(asOf: { asOfIngestId?: string; asOfTime?: string }, history: Ingest[]): Ingest[] {
  const at = asOf.asOfIngestId ? history.find((i) => i.id === asOf.asOfIngestId)?.commitTime : time(asOf.asOfTime);
  if (!at) throw new NotFound(`ingest ${asOf.asOfIngestId} no longer exists`, { field: 'as_of_ingest_id' });
  return visibleAt(history, at);
}

/** Whether a job reads the ingests of another moment than now. */
export const readsThePast = (asOf: { asOfIngestId?: string; asOfTime?: string }): boolean => Boolean(asOf.asOfIngestId || asOf.asOfTime);

/** A RETRIEVE job's plan over the ingests visible at the moment it asks for. */
export function retrievePlan(spec: RetrieveJobSpec, schema: Schema, visible: Ingest[], outputDir: string): RetrievePlan {
  const keys = [...schema.primaryKey, schema.eventTimeColumn];
  const columns = spec.features.length > 0 ? [...keys, ...spec.features.filter((f) => !keys.includes(f))] : schema.features.map((f) => f.name);
  return {
    kind: 'retrieve',
    schema,
    files: allFiles(visible),
    columns,
    startTime: time(spec.startTime),
    endTime: time(spec.endTime),
    orderBy: keys,
    format: spec.format,
    outputDir,
  };
}

/**
 * A TRAINING_SET job's plan: one side per part, each with its feature set version's schema and TTL
 * and its visible ingests oldest first (ingests without files left out: they hold no rows).
 */
export function trainingSetPlan(
  spec: TrainingSetJobSpec,
  parts: { featureSet: FeatureSet; visible: Ingest[] }[],
  entities: { files: string[]; format: SampleFormat },
  outputDir: string,
): TrainingSetPlan {
  return {
    kind: 'training-set',
    entities: { ...entities, csv: 'source' in spec.entities ? csvOptions(spec.entities.source.options) : {} },
    timestampColumn: spec.timestampColumn,
    sides: spec.parts.map((part, i) => {
      const { featureSet, visible } = parts[i];
      return {
        schema: featureSet.schema,
        ttlSeconds: featureSet.ttlSeconds,
        ingests: visible.map((v) => v.files).filter((files) => files.length > 0),
        features: part.features,
        entityKey: part.keyColumns ?? featureSet.schema.primaryKey,
        project: part.project,
        featureSet: part.featureSet,
      };
    }),
    format: spec.format,
    outputDir,
  };
}

/** A MATERIALIZE job's plan: the newest visible row per key in the job's event-time range. */
export function materializePlan(spec: Pick<MaterializeJobSpec, 'startTime' | 'endTime'>, schema: Schema, visible: Ingest[]): NewestPerKeyPlan {
  return { kind: 'newest-per-key', schema, files: allFiles(visible), startTime: time(spec.startTime), endTime: time(spec.endTime) };
}

/** After a revert, online: the reverted ingest's keys with their newest row there and in what stays visible. */
export function revertedKeysPlan(schema: Schema, reverted: Ingest, visible: Ingest[]): RevertedKeysPlan {
  return { kind: 'reverted-keys', schema, reverted: reverted.files, remaining: allFiles(visible.filter((i) => i.id !== reverted.id)) };
}

/** Every stored file a plan reads, once each (what an engine must be able to reach). */
export function storedFiles(plan: Plan): string[] {
  switch (plan.kind) {
    case 'ingest':
      return [...new Set(plan.existing)];
    case 'statistics':
    case 'retrieve':
    case 'newest-per-key':
      return [...new Set(plan.files)];
    case 'training-set':
      return [...new Set(plan.sides.flatMap((s) => s.ingests.flat()))];
    case 'reverted-keys':
      return [...new Set([...plan.reverted, ...plan.remaining])];
  }
}

/** The plan with each stored file as `where` tells (where is called once per distinct file). */
export async function withStoredFiles<P extends Plan>(plan: P, where: (key: string) => Promise<string>): Promise<P> {
  const located = new Map<string, string>();
  await Promise.all(storedFiles(plan).map(async (key) => located.set(key, await where(key))));
  const at = (keys: string[]) => keys.map((k) => located.get(k)!);
  const p: Plan = plan;
  switch (p.kind) {
    case 'ingest':
      return { ...p, existing: at(p.existing) } as P;
    case 'statistics':
    case 'retrieve':
    case 'newest-per-key':
      return { ...p, files: at(p.files) } as P;
    case 'training-set':
      return { ...p, sides: p.sides.map((s) => ({ ...s, ingests: s.ingests.map(at) })) } as P;
    case 'reverted-keys':
      return { ...p, reverted: at(p.reverted), remaining: at(p.remaining) } as P;
  }
}
