// The online benchmarks' feature set: a project with "wide", an INT64 key `user_id`, event time `ts`
// and `count` numeric features f0..f<count-1>.
import { unary } from '../cli/client.js';
import { DataType } from '../shared/gen/featurestore/v1/common.js';
import type { FeatureSetServiceClient } from '../shared/gen/featurestore/v1/feature_set.js';
import type { ProjectServiceClient } from '../shared/gen/featurestore/v1/project.js';

/** A scalar feature as RegisterFeatureSet takes it. */
export const feature = (name: string, type: DataType) => ({ name, type, isList: false, description: '', sensitive: false, tags: {}, statistics: undefined });

/** Creates `project` and registers its "wide" feature set; returns the feature names. */
export async function registerWideFeatureSet(
  c: { projects: ProjectServiceClient; featureSets: FeatureSetServiceClient },
  project: string,
  count: number,
  type: DataType,
): Promise<string[]> {
  const f = feature;
  const names = Array.from({ length: count }, (_, i) => `f${i}`);
  await unary(c.projects, c.projects.createProject, { name: project, description: '', tags: {} });
  await unary(c.featureSets, c.featureSets.registerFeatureSet, {
    project,
    name: 'wide',
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
