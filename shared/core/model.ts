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
