// Point-in-time training sets: the feature references, the output column names and the job spec.
import { InvalidArgument } from './errors.js';
import { isIdentifier } from './identifiers.js';
import type { TrainingSetPart } from './job-specs.js';

/** "project/feature_set[:version]/feature" or ".../*" (every feature but the key and event time). */
export interface FeatureRef {
  project: string;
  featureSet: string;
  /** "major" or "major.minor"; '' for the latest. */
  version: string;
  /** A feature name, or '*' for every feature but the key and event time. */
  feature: string;
}

export function parseFeatureRef(ref: string, field: string): FeatureRef {
  const [project = '', set = '', feature = '', ...rest] = ref.split('/');
  const [featureSet = '', version = '', ...more] = set.split(':');
  const ok =
    rest.length === 0 &&
    more.length === 0 &&
    isIdentifier(project) &&
    isIdentifier(featureSet) &&
    (feature === '*' || isIdentifier(feature)) &&
    (set.includes(':') ? /^\d+(\.\d+)?$/.test(version) : true);
  if (!ok) {
    throw new InvalidArgument(
      `"${ref.slice(0, 200)}" is not a feature reference; write project/feature_set/feature, project/feature_set:1.2/feature or project/feature_set/*`,
      { field },
    );
  }
  return { project, featureSet, version, feature };
}

/** At most this many rows may be sent inline; bigger entity tables come as files. */
export const MAX_INLINE_ENTITY_ROWS = 100_000;

/**
 * The output column of each requested feature (per part, in order): the feature's own name, unless
 * that clashes with an entity column or a feature of another part; then "feature_set__feature"
 * (and "project__feature_set__feature" if even that clashes).
 */
export function outputColumnNames(entityColumns: string[], parts: Pick<TrainingSetPart, 'project' | 'featureSet' | 'features'>[]): string[][] {
  const count = new Map<string, number>();
  for (const p of parts) for (const f of p.features) count.set(f, (count.get(f) ?? 0) + 1);
  const taken = new Set(entityColumns);
  const shortCount = new Map<string, number>();
  const short = (p: Pick<TrainingSetPart, 'featureSet'>, f: string) => `${p.featureSet}__${f}`;
  for (const p of parts) for (const f of p.features) shortCount.set(short(p, f), (shortCount.get(short(p, f)) ?? 0) + 1);
  return parts.map((p) =>
    p.features.map((f) => {
      if (!taken.has(f) && count.get(f) === 1) return f;
      const s = short(p, f);
      return !taken.has(s) && shortCount.get(s) === 1 ? s : `${p.project}__${s}`;
    }),
  );
}
