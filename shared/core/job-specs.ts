// What each job type stores with its job: one schema per type, checked once when a job is read
// back, so the code that runs a job gets a typed spec or a clear error (never a guess). Specs carry
// the version of their shape; a spec written by an older release is upgraded when read.
import { z } from 'zod';
import { FailedPrecondition } from './errors.js';

/** The shape version this release writes. */
export const JOB_SPEC_VERSION = 1;

const name = z.string().min(1);
const versionNumber = z.number().int().nonnegative();
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time');
const outputFormat = z.enum(['PARQUET', 'CSV']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const sourceSpecSchema = z.object({
  uri: z.string(),
  format: z.enum(['CSV', 'PARQUET', 'JSONL']).optional(),
  options: z.record(z.string(), z.string()),
});
export type SourceSpec = z.infer<typeof sourceSpecSchema>;

/** A range of the online rows log: positions after `after` up to and including `through`. */
export const logRangeSchema = z.object({ after: z.number().int().nonnegative(), through: z.number().int().nonnegative() });
export type LogRange = z.infer<typeof logRangeSchema>;

/** What to do with source columns the schema does not have. */
export const extraColumnsPolicySchema = z.enum(['IGNORE', 'FAIL']);
export type ExtraColumnsPolicy = z.infer<typeof extraColumnsPolicySchema>;

const featureSetVersion = { project: name, featureSet: name, major: versionNumber };

export const ingestJobSpecSchema = z.object({
  ...featureSetVersion,
  minor: versionNumber,
  source: sourceSpecSchema,
  extraColumns: extraColumnsPolicySchema,
  /** Set for the ingests online-to-offline starts: the online rows log range they hold. */
  logRange: logRangeSchema.optional(),
});
export type IngestJobSpec = z.infer<typeof ingestJobSpecSchema>;

export const revertJobSpecSchema = z.object({ ...featureSetVersion, ingestId: z.string().regex(UUID) });
export type RevertJobSpec = z.infer<typeof revertJobSpecSchema>;

export const retrieveJobSpecSchema = z.object({
  ...featureSetVersion,
  minor: versionNumber,
  features: z.array(name),
  startTime: isoTime.optional(),
  endTime: isoTime.optional(),
  asOfIngestId: z.string().regex(UUID).optional(),
  asOfTime: isoTime.optional(),
  format: outputFormat,
  /** Sensitive features left out because the starter may not read them (the result names them). */
  withheld: z.array(name).optional(),
});
export type RetrieveJobSpec = z.infer<typeof retrieveJobSpecSchema>;

export type EntityValue = string | number | boolean | null | EntityValue[];
const entityValue: z.ZodType<EntityValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(entityValue)]));

/** The entity table of a training set: a file (or folder, or glob), or rows sent inline. */
export const entityTableSchema = z.union([
  z.object({ source: sourceSpecSchema }),
  z.object({ columns: z.array(z.string()), rows: z.array(z.array(entityValue)) }),
]);
export type EntityTable = z.infer<typeof entityTableSchema>;

/** One feature set's part of a training set job. */
export const trainingSetPartSchema = z.object({
  ...featureSetVersion,
  minor: versionNumber,
  /** Features to take (never the key or event time); the output names follow outputColumnNames. */
  features: z.array(name),
  /** The entity columns filling the primary key, in key order (a feature view's key mapping); the key's own names when absent. */
  keyColumns: z.array(name).optional(),
});
export type TrainingSetPart = z.infer<typeof trainingSetPartSchema>;

export const trainingSetJobSpecSchema = z.object({
  entities: entityTableSchema,
  timestampColumn: name,
  parts: z.array(trainingSetPartSchema).min(1),
  format: outputFormat,
  /** Sensitive features left out because the starter may not read them, as project/feature_set/feature. */
  withheld: z.array(z.string()).optional(),
});
export type TrainingSetJobSpec = z.infer<typeof trainingSetJobSpecSchema>;

export const materializeJobSpecSchema = z.object({ ...featureSetVersion, startTime: isoTime.optional(), endTime: isoTime.optional() });
export type MaterializeJobSpec = z.infer<typeof materializeJobSpecSchema>;

/** The spec of each job type that is created (online-to-offline drains run as INGEST jobs with a log range). */
const SCHEMAS = {
  INGEST: ingestJobSpecSchema,
  REVERT: revertJobSpecSchema,
  RETRIEVE: retrieveJobSpecSchema,
  TRAINING_SET: trainingSetJobSpecSchema,
  MATERIALIZE: materializeJobSpecSchema,
} as const;

export type SpecJobType = keyof typeof SCHEMAS;
export type JobSpecs = { [T in SpecJobType]: z.infer<(typeof SCHEMAS)[T]> };
export const SPEC_JOB_TYPES = Object.keys(SCHEMAS) as SpecJobType[];

/**
 * Upgrades from each older shape version to the next, per job type: `UPGRADES[type][v]` turns a
 * version-v spec into version v+1. Version 1 (release 0.1.0, written without a version field) is
 * the current shape, so there is none yet; a change of shape bumps JOB_SPEC_VERSION and adds one.
 */
const UPGRADES: { [T in SpecJobType]: Record<number, (spec: Record<string, unknown>) => Record<string, unknown>> } = {
  INGEST: {},
  REVERT: {},
  RETRIEVE: {},
  TRAINING_SET: {},
  MATERIALIZE: {},
};

/** A spec as stored: the spec with the version of its shape. */
export function storedJobSpec<T extends SpecJobType>(spec: JobSpecs[T]): Record<string, unknown> {
  return { specVersion: JOB_SPEC_VERSION, ...spec };
}

/**
 * A stored spec, upgraded to the current shape and checked: FailedPrecondition naming the job when
 * it was written by a newer release or does not match its type's schema (never a half-read job).
 */
export function readJobSpec<T extends SpecJobType>(type: T, stored: unknown, jobId: string): JobSpecs[T] {
  if (!(type in SCHEMAS)) throw new FailedPrecondition(`job ${jobId} has type ${type}, which has no spec`, { field: 'id' });
  const raw = typeof stored === 'object' && stored !== null ? { ...(stored as Record<string, unknown>) } : {};
  const version = raw['specVersion'] === undefined ? 1 : Number(raw['specVersion']);
  delete raw['specVersion'];
  if (!Number.isInteger(version) || version < 1 || version > JOB_SPEC_VERSION) {
    throw new FailedPrecondition(
      `job ${jobId} was written by a newer release (spec version ${String(version)}; this one reads up to ${JOB_SPEC_VERSION}): upgrade this worker`,
      {
        field: 'id',
      },
    );
  }
  let spec = raw;
  for (let v = version; v < JOB_SPEC_VERSION; v++) spec = UPGRADES[type][v](spec);
  const parsed = SCHEMAS[type].safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FailedPrecondition(`job ${jobId}'s stored ${type} spec is not readable: ${issue?.path.join('.') || 'spec'} ${issue?.message ?? ''}`.trim(), {
      field: 'id',
    });
  }
  return parsed.data as JobSpecs[T];
}
