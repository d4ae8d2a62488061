// The domain model. Plain data; the proto mapping lives in shared/runtime/api.

export const DATA_TYPES = ['STRING', 'BOOL', 'INT32', 'INT64', 'FLOAT32', 'FLOAT64', 'TIMESTAMP', 'DATE', 'BYTES'] as const;
export type DataType = (typeof DATA_TYPES)[number];

export type Tags = Record<string, string>;

export interface FeatureStatistics {
  count: number;
  nullCount: number;
  min: string;
  max: string;
  mean: number;
  stddev: number;
  approxDistinct: number;
  computeTime: Date;
}

export interface Feature {
  name: string;
  type: DataType;
  isList: boolean;
  description: string;
  sensitive: boolean;
  tags: Tags;
  statistics?: FeatureStatistics;
}

export interface Schema {
  features: Feature[];
  primaryKey: string[];
  eventTimeColumn: string;
}

export interface Project {
  name: string;
  description: string;
  owner: string;
  tags: Tags;
  createTime: Date;
  updateTime: Date;
  /** Increases by one on every change; the etag is derived from it. */
  revision: number;
  featureSetCount: number;
}

export interface FeatureSetVersionNumber {
  major: number;
  minor: number;
}

/** One version of a feature set. The latest version stands for the feature set. */
export interface FeatureSet extends FeatureSetVersionNumber {
  project: string;
  name: string;
  schema: Schema;
  description: string;
  owner: string;
  tags: Tags;
  /** Null means no TTL. */
  ttlSeconds: number | null;
  createdBy: string;
  /** When the feature set was first registered. */
  createTime: Date;
  /** When this version was made. */
  updateTime: Date;
  changeSummary: string;
}

/** The features a feature view takes from one feature set version (pinned to a major). */
export interface FeatureViewSource {
  project: string;
  featureSet: string;
  major: number;
  /** Never the key or event time. */
  features: string[];
  /** The view's entity columns filling the set's primary key, in key order (the key mapping). */
  keyColumns: string[];
}

/** One version of a feature view: features of several feature sets sharing an entity key. */
export interface FeatureView {
  project: string;
  name: string;
  version: number;
  sources: FeatureViewSource[];
  /** Every source's key columns, in order of first appearance. */
  entityColumns: string[];
  /** The output name of each feature, sources in order (training-sets.ts outputColumnNames). */
  featureNames: string[];
  description: string;
  owner: string;
  tags: Tags;
  createdBy: string;
  /** When the feature view was first registered. */
  createTime: Date;
  /** When this version was made. */
  updateTime: Date;
}

export function versionString(v: FeatureSetVersionNumber): string {
  return `${v.major}.${v.minor}`;
}

export type SchemaChangeKind = 'FEATURE_ADDED' | 'FEATURE_REMOVED' | 'TYPE_WIDENED' | 'TYPE_CHANGED' | 'PRIMARY_KEY_CHANGED' | 'EVENT_TIME_CHANGED';

export interface SchemaChange {
  kind: SchemaChangeKind;
  feature: string;
  from: string;
  to: string;
  breaking: boolean;
}

export interface CompatibilityReport {
  compatible: boolean;
  changes: SchemaChange[];
}

export type SampleFormat = 'CSV' | 'PARQUET' | 'JSONL';

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}
