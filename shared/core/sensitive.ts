// Sensitive features: their schema is visible to everyone who may read the feature set; their
// values (online reads, retrieves, training sets) and statistics only to principals allowed
// `featureSet.readSensitive` (sensitive consumers and up). Below that they are withheld and the
// answer names them. Keys and the event time are never withheld: they identify rows.
import { PermissionDenied } from './errors.js';
import type { FeatureSet } from './model.js';
import type { Authorizer } from './ports/authorizer.js';
import type { Principal } from './principal.js';

/** A definition's sensitive features, found once per definition (the online path reads cached ones on every call). */
const sensitiveOf = new WeakMap<FeatureSet, string[]>();
function sensitiveFeatures(fs: FeatureSet): string[] {
  let sensitive = sensitiveOf.get(fs);
  if (!sensitive) {
    const identifying = new Set([...fs.schema.primaryKey, fs.schema.eventTimeColumn]);
    sensitive = fs.schema.features.filter((f) => f.sensitive && !identifying.has(f.name)).map((f) => f.name);
    sensitiveOf.set(fs, sensitive);
  }
  return sensitive;
}

/** Whether `fs` has a feature some readers may not see (the online path asks before it awaits withheldFeatures). */
export function hasSensitiveFeatures(fs: FeatureSet): boolean {
  return sensitiveFeatures(fs).length > 0;
}

/** The sensitive features of `fs` that `principal` may not see (none when it may see them all). */
export async function withheldFeatures(authorizer: Authorizer, principal: Principal, fs: FeatureSet, signal?: AbortSignal): Promise<string[]> {
  const sensitive = sensitiveFeatures(fs);
  if (sensitive.length === 0) return [];
  try {
    await authorizer.authorize(principal, 'featureSet.readSensitive', { project: fs.project, featureSet: fs.name }, signal);
    return [];
  } catch (err) {
    if (err instanceof PermissionDenied) return sensitive;
    throw err;
  }
}

/** When everything a caller asked for is withheld: say so rather than answer nothing (or everything else). */
export function allWithheld(fs: FeatureSet, field: string): PermissionDenied {
  return new PermissionDenied(
    `every feature asked for of ${fs.project}/${fs.name} is sensitive: reading them needs the sensitive consumer role (featurestore access request ${fs.project}/${fs.name} sensitive_consumer)`,
    { field },
  );
}
