// The online benchmarks' feature set: a project with "wide", an INT64 key `user_id`, event time `ts`
// and `count` numeric features f0..f<count-1>.
import { unary } from '../cli/client.js';
import { DataType } from '../shared/gen/featurestore/v1/common.js';
import type { FeatureSetServiceClient } from '../shared/gen/featurestore/v1/feature_set.js';
import type { IngestServiceClient } from '../shared/gen/featurestore/v1/ingest.js';
import type { Timestamp } from '../shared/gen/google/protobuf/timestamp.js';
import type { ProjectServiceClient } from '../shared/gen/featurestore/v1/project.js';

/** A scalar feature as RegisterFeatureSet takes it. */
export const feature = (name: string, type: DataType) => ({ name, type, isList: false, description: '', sensitive: false, tags: {}, statistics: undefined });

/**
 * Creates `project` (unless `o.existing`) and registers its feature set `o.name` ("wide" by default)
 * with features `<o.prefix>0..` ("f" by default); returns the feature names.
 */
export async function registerWideFeatureSet(
  c: { projects: ProjectServiceClient; featureSets: FeatureSetServiceClient },
  project: string,
  count: number,
  type: DataType,
  o: { name?: string; prefix?: string; existing?: boolean } = {},
): Promise<string[]> {
  const f = feature;
  const names = Array.from({ length: count }, (_, i) => `${o.prefix ?? 'f'}${i}`);
  if (!o.existing) await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
  await unary(c.featureSets, c.featureSets.registerFeatureSet, {
    project,
    name: o.name ?? 'wide',
    schema: {
      features: [f('user_id', DataType.DATA_TYPE_INT64), f('ts', DataType.DATA_TYPE_TIMESTAMP), ...names.map((n) => f(n, type))],
      primaryKey: ['user_id'],
      eventTimeColumn: 'ts',
    },
    description: '',
    tags: {},
    ttl: undefined,
    owner: '',
  });
  return names;
}

/**
 * Writes `entities` users (user_id 0..n-1, event time `at`) of `project`'s feature set `name` ("wide") online,
 * 500 rows a call, FLOAT32 feature k of user i being `value(i, k)`.
 */
export async function ingestWideFloat32(
  ingest: IngestServiceClient,
  project: string,
  names: string[],
  entities: number,
  at: Timestamp,
  value: (i: number, k: number) => number,
  name = 'wide',
): Promise<void> {
  for (let b = 0; b < entities / 500; b++) {
    const rows = Array.from({ length: Math.min(500, entities - b * 500) }, (_, j) => ({
      values: [
        { kind: { $case: 'int64Value' as const, value: String(b * 500 + j) } },
        { kind: { $case: 'timestampValue' as const, value: at } },
        ...names.map((_, k) => ({ kind: { $case: 'float32Value' as const, value: value(b * 500 + j, k) } })),
      ],
    }));
    const res = await unary(ingest, ingest.ingestOnline, { featureSet: { project, name, version: '' }, columns: ['user_id', 'ts', ...names], rows });
    if (res.accepted !== rows.length) throw new Error(`ingest accepted ${res.accepted} of ${rows.length}: ${JSON.stringify(res.errors[0])}`);
  }
}
