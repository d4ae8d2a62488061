import { Aborted, FailedPrecondition, InvalidArgument, NotFound } from '../errors.js';
import { EventTypes, featureViewSubject, type DomainEvent } from '../events.js';
import { isIdentifier, requireIdentifier } from '../identifiers.js';
import type { FeatureSet, FeatureView, FeatureViewSource, Page, Tags } from '../model.js';
import { decodePageToken, isNamePosition, pageOf } from '../page-token.js';
import type { Action, Authorizer } from '../ports/authorizer.js';
import type { MetadataStore, NewFeatureViewVersion } from '../ports/metadata-store.js';
import type { Principal } from '../principal.js';
import { validateDescription } from '../schema.js';
import { outputColumnNames } from '../training-sets.js';
import { applyTagPatch, validatePageSize, validateTags } from '../validation.js';
import type { ResolveFeatureSet } from './resolve-feature-set.js';
import { catalogResolver } from './resolve-feature-set.js';

/** A source as a request states it: "project/feature_set[:major]", features (empty: all) and key columns (empty: the key's names). */
export interface FeatureViewSourceInput {
  featureSet: string;
  features: string[];
  keyColumns: string[];
}

export interface RegisterFeatureViewInput {
  project: string;
  name: string;
  sources: FeatureViewSourceInput[];
  description: string;
  tags: Tags;
  owner: string;
}

export interface UpdateFeatureViewInput {
  project: string;
  name: string;
  /** Empty keeps the sources. */
  sources: FeatureViewSourceInput[];
  description?: string;
  tags: Tags;
  replaceTags: boolean;
  etag: string;
}

/** A feature view names a feature view version (the latest when ''). */
export interface FeatureViewRef {
  project: string;
  name: string;
  version: string;
}

export const MAX_VIEW_SOURCES = 50;
export const MAX_VIEW_FEATURES = 1000;

/** The etag of a feature view version is its version number. */
export const featureViewEtag = (v: Pick<FeatureView, 'version'>): string => String(v.version);

export function parseViewVersion(version: string, field: string): number | undefined {
  if (!version) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(version))
    throw new InvalidArgument(`"${version.slice(0, 40)}" is not a feature view version; give a number such as 3, or leave it empty for the latest`, { field });
  return Number(version);
}

function parseSetRef(ref: string, field: string): { project: string; featureSet: string; version: string } {
  const [project = '', set = '', ...rest] = ref.split('/');
  const [featureSet = '', major, ...more] = set.split(':');
  if (rest.length > 0 || more.length > 0 || !isIdentifier(project) || !isIdentifier(featureSet) || (major !== undefined && !/^[1-9]\d{0,8}$/.test(major))) {
    throw new InvalidArgument(`"${ref.slice(0, 200)}" is not a feature set reference; write project/feature_set or project/feature_set:2 (a major version)`, {
      field,
    });
  }
  return { project, featureSet, version: major ?? '' };
}

function changed(v: Pick<FeatureView, 'project' | 'name' | 'version'>, change: string): DomainEvent {
  return {
    type: EventTypes.featureViewChanged,
    subject: featureViewSubject(v.project, v.name),
    data: { project: v.project, featureView: v.name, version: v.version, change },
  };
}

/**
 * Checks a view's sources against the catalog and pins them: every feature set exists (at the major
 * given, else its latest) and may be read by the principal, features exist and are not the key or
 * event time, each set's key maps onto entity columns of one type across sets.
 */
async function defineSources(
  resolve: ResolveFeatureSet,
  principal: Principal,
  input: FeatureViewSourceInput[],
  signal?: AbortSignal,
): Promise<Pick<FeatureView, 'sources' | 'entityColumns' | 'featureNames'>> {
  if (input.length === 0) throw new InvalidArgument('is required: at least one feature set', { field: 'sources' });
  if (input.length > MAX_VIEW_SOURCES)
    throw new InvalidArgument(`has ${input.length} feature sets; a view takes at most ${MAX_VIEW_SOURCES}`, { field: 'sources' });
  const sources: FeatureViewSource[] = [];
  const columns = new Map<string, { type: string; isList: boolean; at: string }>();
  const seen = new Map<string, number>();
  let total = 0;
  for (const [i, s] of input.entries()) {
    const at = `sources[${i}]`;
    const ref = parseSetRef(s.featureSet, `${at}.feature_set`);
    const id = `${ref.project}/${ref.featureSet}`;
    if (seen.has(id)) throw new InvalidArgument(`${id} is already sources[${seen.get(id)}]; list each feature set once`, { field: `${at}.feature_set` });
    seen.set(id, i);
    const fs = await resolve(principal, ref, 'featureSet.read', signal, `${at}.feature_set`);
    const { primaryKey, eventTimeColumn } = fs.schema;
    const keyed = new Set([...primaryKey, eventTimeColumn]);
    let features: string[];
    if (s.features.length === 0) features = fs.schema.features.map((f) => f.name).filter((n) => !keyed.has(n));
    else {
      const unique = new Set<string>();
      s.features.forEach((f, j) => {
        const field = `${at}.features[${j}]`;
        if (!fs.schema.features.some((x) => x.name === f)) throw new NotFound(`"${f.slice(0, 80)}" is not a feature of ${id}`, { field });
        if (keyed.has(f)) throw new InvalidArgument(`"${f}" is the key or event time of ${id}; the view's entity columns carry the key`, { field });
        if (unique.has(f)) throw new InvalidArgument(`"${f}" appears twice`, { field });
        unique.add(f);
      });
      features = s.features;
    }
    if (features.length === 0) throw new InvalidArgument(`${id} has no features besides its key and event time`, { field: `${at}.features` });
    total += features.length;
    if (total > MAX_VIEW_FEATURES) throw new InvalidArgument(`the view would have more than ${MAX_VIEW_FEATURES} features`, { field: `${at}.features` });
    if (s.keyColumns.length > 0 && s.keyColumns.length !== primaryKey.length) {
      throw new InvalidArgument(`has ${s.keyColumns.length} columns but ${id}'s key has ${primaryKey.length} (${primaryKey.join(', ')})`, {
        field: `${at}.key_columns`,
      });
    }
    const keyColumns = s.keyColumns.length > 0 ? s.keyColumns : primaryKey;
    keyColumns.forEach((c, j) => {
      const field = s.keyColumns.length > 0 ? `${at}.key_columns[${j}]` : `${at}.feature_set`;
      if (!isIdentifier(c) || c.startsWith('__fs_')) throw new InvalidArgument(`"${c.slice(0, 80)}" is not a valid column name`, { field });
      if (keyColumns.indexOf(c) !== j) throw new InvalidArgument(`"${c}" fills two key columns of ${id}`, { field });
      const key = fs.schema.features.find((f) => f.name === primaryKey[j])!;
      const before = columns.get(c);
      if (before && (before.type !== key.type || before.isList !== key.isList)) {
        throw new InvalidArgument(
          `entity column "${c}" is ${typeName(key)} for ${id}.${key.name} but ${typeName(before)} for ${before.at}; map keys of one type onto it`,
          {
            field,
          },
        );
      }
      if (!before) columns.set(c, { type: key.type, isList: key.isList, at: `${id}.${key.name}` });
    });
    sources.push({ project: fs.project, featureSet: fs.name, major: fs.major, features, keyColumns: [...keyColumns] });
  }
  const entityColumns = [...columns.keys()];
  const featureNames = outputColumnNames(entityColumns, sources).flat();
  return { sources, entityColumns, featureNames };
}

const typeName = (f: { type: string; isList: boolean }) => (f.isList ? `LIST<${f.type}>` : f.type);

const sameContent = (a: NewFeatureViewVersion, b: FeatureView) =>
  JSON.stringify([a.sources, a.description, a.owner, a.tags]) === JSON.stringify([b.sources, b.description, b.owner, b.tags]);

/** Registering, reading, versioning and deleting feature views (the register function). */
export function createFeatureViewUseCases(d: { store: MetadataStore; authorizer: Authorizer }) {
  const resolve = catalogResolver(d.store, d.authorizer);

  async function requireProject(project: string, signal?: AbortSignal): Promise<void> {
    if (!(await d.store.getProject(project, signal))) throw new NotFound(`project "${project}" does not exist; create it first`, { field: 'project' });
  }

  async function latest(project: string, name: string, signal?: AbortSignal): Promise<FeatureView> {
    const view = await d.store.getFeatureView(project, name, undefined, signal);
    if (!view) {
      await requireProject(project, signal);
      throw new NotFound(`feature view "${project}/${name}" does not exist`, { field: 'name' });
    }
    return view;
  }

  async function named(principal: Principal, input: { project: string; name: string }, action: Action, signal?: AbortSignal) {
    const project = requireIdentifier(input.project, 'project');
    const name = requireIdentifier(input.name, 'name');
    await d.authorizer.authorize(principal, action, { project }, signal);
    return { project, name };
  }

  function checkEtag(etag: string, current: FeatureView): void {
    if (etag && etag !== featureViewEtag(current)) {
      throw new Aborted(`the feature view changed since you read it (now version ${current.version}); get it again and retry`, { field: 'etag' });
    }
  }

  return {
    async register(principal: Principal, input: RegisterFeatureViewInput, signal?: AbortSignal): Promise<FeatureView> {
      const { project, name } = await named(principal, input, 'featureSet.create', signal);
      const description = validateDescription(input.description, 'description');
      const tags = validateTags(input.tags, 'tags');
      const view: NewFeatureViewVersion = {
        project,
        name,
        version: 1,
        ...(await defineSources(resolve, principal, input.sources, signal)),
        description,
        tags,
        owner: input.owner || principal.id,
        createdBy: principal.id,
      };
      return d.store.createFeatureView(view, [changed(view, 'registered')], signal);
    },

    async get(principal: Principal, input: FeatureViewRef, signal?: AbortSignal): Promise<FeatureView> {
      const { project, name } = await named(principal, input, 'featureSet.read', signal);
      const version = parseViewVersion(input.version, 'version');
      if (version === undefined) return latest(project, name, signal);
      const view = await d.store.getFeatureView(project, name, version, signal);
      if (view) return view;
      await latest(project, name, signal);
      throw new NotFound(`feature view "${project}/${name}" has no version ${version}`, { field: 'version' });
    },

    async list(
      principal: Principal,
      input: { project: string; namePrefix: string; tags: Tags; pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<FeatureView>> {
      const project = requireIdentifier(input.project, 'project');
      const tags = validateTags(input.tags, 'tags', true);
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isNamePosition);
      await d.authorizer.authorize(principal, 'featureSet.read', { project }, signal);
      await requireProject(project, signal);
      const rows = await d.store.listFeatureViews({ project, namePrefix: input.namePrefix ?? '', tags, afterName: position?.after, limit: limit + 1 }, signal);
      return pageOf(rows, limit, (last) => ({ after: last.name }));
    },

    async update(principal: Principal, input: UpdateFeatureViewInput, signal?: AbortSignal): Promise<FeatureView> {
      const { project, name } = await named(principal, input, 'featureSet.update', signal);
      const tagPatch = validateTags(input.tags, 'tags', true);
      const description = input.description === undefined ? undefined : validateDescription(input.description, 'description');
      const current = await latest(project, name, signal);
      checkEtag(input.etag, current);
      const defined = input.sources.length > 0 ? await defineSources(resolve, principal, input.sources, signal) : current;
      const next: NewFeatureViewVersion = {
        project,
        name,
        version: current.version + 1,
        sources: defined.sources,
        entityColumns: defined.entityColumns,
        featureNames: defined.featureNames,
        description: description ?? current.description,
        owner: current.owner,
        tags: applyTagPatch(current.tags, tagPatch, input.replaceTags),
        createdBy: principal.id,
      };
      // The same definition again is a retry of a change that already happened.
      if (sameContent(next, current)) return current;
      return d.store.addFeatureViewVersion(next, current.version, [changed(next, 'updated')], signal);
    },

    async listVersions(
      principal: Principal,
      input: { project: string; name: string; pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<FeatureView>> {
      const { project, name } = await named(principal, input, 'featureSet.read', signal);
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, (v): v is { before: number } => Number.isInteger((v as { before?: unknown } | null)?.before));
      await latest(project, name, signal);
      const rows = await d.store.listFeatureViewVersions(project, name, position?.before, limit + 1, signal);
      return pageOf(rows, limit, (last) => ({ before: last.version }));
    },

    async delete(principal: Principal, input: { project: string; name: string; etag: string }, signal?: AbortSignal): Promise<void> {
      const { project, name } = await named(principal, input, 'featureSet.delete', signal);
      const current = await latest(project, name, signal);
      checkEtag(input.etag, current);
      await d.store.deleteFeatureView(project, name, input.etag ? current.version : undefined, [changed(current, 'deleted')], signal);
    },
  };
}

export type FeatureViewUseCases = ReturnType<typeof createFeatureViewUseCases>;

/** Reads a feature view version (the catalog, or the online path's in-memory registry). */
export type FeatureViewLookup = (project: string, name: string, version: number | undefined, signal?: AbortSignal) => Promise<FeatureView | undefined>;

/**
 * A feature view for reading data through it, with each source's feature set at its pinned major
 * (newest minor): NotFound for an unknown view or version, FailedPrecondition when a feature set
 * the view reads is gone. Reading data needs featureSet.readData on every set (checked by `resolve`).
 */
export async function resolveViewForData(
  d: { lookupView: FeatureViewLookup; resolve: ResolveFeatureSet; authorizer: Authorizer },
  principal: Principal,
  ref: FeatureViewRef,
  field: string,
  signal?: AbortSignal,
): Promise<{ view: FeatureView; sets: FeatureSet[] }> {
  const project = requireIdentifier(ref.project, `${field}.project`);
  const name = requireIdentifier(ref.name, `${field}.name`);
  const version = parseViewVersion(ref.version, `${field}.version`);
  await d.authorizer.authorize(principal, 'featureSet.read', { project }, signal);
  const view = await d.lookupView(project, name, version, signal);
  if (!view) throw new NotFound(`feature view "${project}/${name}"${version ? ` version ${version}` : ''} does not exist`, { field });
  const sets: FeatureSet[] = [];
  for (const s of view.sources) {
    try {
      sets.push(await d.resolve(principal, { project: s.project, featureSet: s.featureSet, version: String(s.major) }, 'featureSet.readData', signal, field));
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      throw new FailedPrecondition(
        `feature view "${project}/${name}" version ${view.version} reads ${s.project}/${s.featureSet} v${s.major}, which no longer exists; update the view`,
        { field },
      );
    }
  }
  return { view, sets };
}
