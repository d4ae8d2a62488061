import { NotFound } from '../errors.js';
import { requireIdentifier } from '../identifiers.js';
import type { FeatureSet } from '../model.js';
import type { Action, Authorizer } from '../ports/authorizer.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { Principal } from '../principal.js';
import { parseVersion } from '../validation.js';

/** A feature set as a request names it: version "major", "major.minor" or '' for the latest. */
export interface FeatureSetRef {
  project: string;
  featureSet: string;
  version: string;
}

/** Reads a feature set version (the catalog, or the online path's in-memory registry). */
export type FeatureSetLookup = (
  project: string,
  name: string,
  version: { major: number; minor?: number } | undefined,
  signal?: AbortSignal,
) => Promise<FeatureSet | undefined>;

/**
 * The one way a request reaches a feature set: checks the identifiers and the version, asks the
 * authorizer whether the principal may take `action` on it, and reads it; NotFound when it (or the
 * version) does not exist. `field` names the request field errors point at when the reference is
 * one of several (a training set's `features[3]`); by default the `feature_set` message fields.
 */
export function createFeatureSetResolver(d: { authorizer: Authorizer; lookup: FeatureSetLookup }) {
  return async function resolveFeatureSet(principal: Principal, ref: FeatureSetRef, action: Action, signal?: AbortSignal, field?: string): Promise<FeatureSet> {
    const project = requireIdentifier(ref.project, field ?? 'feature_set.project');
    const name = requireIdentifier(ref.featureSet, field ?? 'feature_set.name');
    const version = parseVersion(ref.version, field ?? 'feature_set.version');
    await d.authorizer.authorize(principal, action, { project, featureSet: name }, signal);
    const fs = await d.lookup(project, name, version, signal);
    if (!fs)
      throw new NotFound(`feature set "${project}/${name}"${ref.version ? ` version ${ref.version}` : ''} does not exist`, { field: field ?? 'feature_set' });
    return fs;
  };
}

export type ResolveFeatureSet = ReturnType<typeof createFeatureSetResolver>;

/** Resolves against the catalog. */
export const catalogResolver = (store: MetadataStore, authorizer: Authorizer): ResolveFeatureSet =>
  createFeatureSetResolver({ authorizer, lookup: (project, name, version, signal) => store.getFeatureSet(project, name, version, signal) });
