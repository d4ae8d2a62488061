import { Aborted, FailedPrecondition, InvalidArgument, NotFound } from '../errors.js';
import { EventTypes, featureSetSubject, type DomainEvent } from '../events.js';
import { requireIdentifier } from '../identifiers.js';
import { versionString, type CompatibilityReport, type FeatureSet, type FeatureSetVersionNumber, type Page, type Schema, type Tags } from '../model.js';
import { decodePageToken, isNamePosition, isVersionPosition, pageOf } from '../page-token.js';
import type { Authorizer } from '../ports/authorizer.js';
import { withheldFeatures } from '../sensitive.js';
import type { IngestStore } from '../ports/ingest-store.js';
import type { MetadataStore, NewFeatureSetVersion } from '../ports/metadata-store.js';
import type { Principal } from '../principal.js';
import { compareSchemas, validateDescription, validateSchema } from '../schema.js';
import { applyTagPatch, parseVersion, validatePageSize, validateTags, validateTtlSeconds } from '../validation.js';

export interface FeatureSetDeps {
  store: MetadataStore;
  authorizer: Authorizer;
  /** When given, `get` returns each feature's statistics over the rows visible now. */
  ingests?: IngestStore;
}

export interface RegisterFeatureSetInput {
  project: string;
  name: string;
  schema: Schema | undefined;
  description: string;
  tags: Tags;
  ttlSeconds: number | null;
  owner: string;
}

export interface FeatureMetadataPatch {
  name: string;
  description?: string;
  sensitive?: boolean;
  tags: Tags;
}

export interface UpdateFeatureSetInput {
  project: string;
  name: string;
  description?: string;
  owner?: string;
  tags: Tags;
  replaceTags: boolean;
  /** undefined: unchanged; null: no TTL. */
  ttlSeconds?: number | null;
  features: FeatureMetadataPatch[];
  etag: string;
}

export interface CreateVersionInput {
  project: string;
  name: string;
  schema: Schema | undefined;
  etag: string;
  validateOnly: boolean;
  allowIncompatible: boolean;
  description: string;
}

/** The etag of a feature set version is its version: every change makes a new one. */
export function featureSetEtag(fs: FeatureSetVersionNumber): string {
  return versionString(fs);
}

function checkEtag(etag: string, current: FeatureSet): void {
  if (etag && etag !== featureSetEtag(current)) {
    throw new Aborted(`the feature set changed since you read it (now version ${versionString(current)}); get it again and retry`, { field: 'etag' });
  }
}

/** What a featureset.changed event carries; `ttlSeconds` is set when the TTL changed (null: none now). */
export interface FeatureSetChanged {
  project: string;
  featureSet: string;
  version: string;
  change: string;
  major?: number;
  ttlSeconds?: number | null;
}

function changed(
  fs: Pick<FeatureSet, 'project' | 'name' | 'major' | 'minor' | 'ttlSeconds'>,
  change: string,
  before?: Pick<FeatureSet, 'ttlSeconds'>,
): DomainEvent {
  const data: FeatureSetChanged = { project: fs.project, featureSet: fs.name, version: versionString(fs), change };
  if (before && before.ttlSeconds !== fs.ttlSeconds) Object.assign(data, { major: fs.major, ttlSeconds: fs.ttlSeconds });
  return { type: EventTypes.featureSetChanged, subject: featureSetSubject(fs.project, fs.name), data: { ...data } };
}

export function toNewVersion(fs: FeatureSet): NewFeatureSetVersion {
  const { createTime: _c, updateTime: _u, ...rest } = fs;
  return rest;
}

/** A feature set as a caller sees it: the statistics of sensitive features it may not see are left out and named. */
export type FeatureSetView = FeatureSet & { withheldStatistics?: string[] };

export function createFeatureSetUseCases({ store, authorizer, ingests }: FeatureSetDeps) {
  /** Statistics are computed at ingest and revert over every visible row of the major version. */
  /** The statistics of the version's data, but not of the sensitive features the principal may not see (named instead). */
  async function withStatistics(principal: Principal, fs: FeatureSet, signal?: AbortSignal): Promise<FeatureSetView> {
    const statistics = ingests && (await ingests.statistics(fs.project, fs.name, fs.major, signal));
    if (!statistics) return fs;
    const hidden = await withheldFeatures(authorizer, principal, fs, signal);
    const features = fs.schema.features.map((f) => (hidden.includes(f.name) ? f : { ...f, statistics: statistics[f.name] }));
    return { ...fs, schema: { ...fs.schema, features }, withheldStatistics: hidden.filter((n) => statistics[n] !== undefined) };
  }

  async function requireProject(project: string, signal?: AbortSignal): Promise<void> {
    if (!(await store.getProject(project, signal))) {
      throw new NotFound(`project "${project}" does not exist; create it first`, { field: 'project' });
    }
  }

  async function latest(project: string, name: string, signal?: AbortSignal): Promise<FeatureSet> {
    const fs = await store.getFeatureSet(project, name, undefined, signal);
    if (!fs) {
      await requireProject(project, signal);
      throw new NotFound(`feature set "${project}/${name}" does not exist`, { field: 'name' });
    }
    return fs;
  }

  return {
    async register(principal: Principal, input: RegisterFeatureSetInput, signal?: AbortSignal): Promise<FeatureSet> {
      const project = requireIdentifier(input.project, 'project');
      const name = requireIdentifier(input.name, 'name');
      const schema = validateSchema(input.schema);
      const description = validateDescription(input.description, 'description');
      const tags = validateTags(input.tags, 'tags');
      const ttlSeconds = validateTtlSeconds(input.ttlSeconds);
      await authorizer.authorize(principal, 'featureSet.create', { project, featureSet: name }, signal);
      const version: NewFeatureSetVersion = {
        project,
        name,
        major: 1,
        minor: 0,
        schema,
        description,
        tags,
        ttlSeconds,
        owner: input.owner || principal.id,
        createdBy: principal.id,
        changeSummary: 'registered',
      };
      return store.createFeatureSet(version, [changed(version, 'registered')], signal);
    },

    async get(principal: Principal, input: { project: string; name: string; version: string }, signal?: AbortSignal): Promise<FeatureSetView> {
      const project = requireIdentifier(input.project, 'project');
      const name = requireIdentifier(input.name, 'name');
      const version = parseVersion(input.version);
      await authorizer.authorize(principal, 'featureSet.read', { project, featureSet: name }, signal);
      if (!version) return withStatistics(principal, await latest(project, name, signal), signal);
      const fs = await store.getFeatureSet(project, name, version, signal);
      if (fs) return withStatistics(principal, fs, signal);
      await latest(project, name, signal);
      throw new NotFound(`feature set "${project}/${name}" has no version ${input.version}`, { field: 'version' });
    },

    async list(
      principal: Principal,
      input: { project: string; namePrefix: string; tags: Tags; pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<FeatureSet>> {
      const project = requireIdentifier(input.project, 'project');
      const tags = validateTags(input.tags, 'tags', true);
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isNamePosition);
      await authorizer.authorize(principal, 'featureSet.read', { project }, signal);
      await requireProject(project, signal);
      const rows = await store.listFeatureSets({ project, namePrefix: input.namePrefix ?? '', tags, afterName: position?.after, limit: limit + 1 }, signal);
      return pageOf(rows, limit, (last) => ({ after: last.name }));
    },

    async updateMetadata(principal: Principal, input: UpdateFeatureSetInput, signal?: AbortSignal): Promise<FeatureSet> {
      const project = requireIdentifier(input.project, 'project');
      const name = requireIdentifier(input.name, 'name');
      const tagPatch = validateTags(input.tags, 'tags', true);
      const description = input.description === undefined ? undefined : validateDescription(input.description, 'description');
      const ttl = input.ttlSeconds === undefined ? undefined : validateTtlSeconds(input.ttlSeconds);
      if (input.owner !== undefined && input.owner === '') throw new InvalidArgument('cannot be empty', { field: 'owner' });
      await authorizer.authorize(principal, 'featureSet.update', { project, featureSet: name }, signal);
      const current = await latest(project, name, signal);
      checkEtag(input.etag, current);

      const features = current.schema.features.map((f) => ({ ...f, tags: { ...f.tags } }));
      input.features.forEach((patch, i) => {
        const at = `features[${i}]`;
        const feature = features.find((f) => f.name === patch.name);
        if (!feature) throw new InvalidArgument(`"${patch.name}" is not a feature of ${project}/${name}`, { field: `${at}.name` });
        if (patch.description !== undefined) feature.description = validateDescription(patch.description, `${at}.description`);
        if (patch.sensitive !== undefined) feature.sensitive = patch.sensitive;
        feature.tags = applyTagPatch(feature.tags, validateTags(patch.tags, `${at}.tags`, true), false);
      });
      const next: NewFeatureSetVersion = {
        ...toNewVersion(current),
        minor: current.minor + 1,
        schema: { ...current.schema, features },
        description: description ?? current.description,
        owner: input.owner ?? current.owner,
        tags: applyTagPatch(current.tags, tagPatch, input.replaceTags),
        ttlSeconds: ttl === undefined ? current.ttlSeconds : ttl,
        createdBy: principal.id,
        changeSummary: 'metadata updated',
      };
      if (sameContent(next, current)) return current;
      return store.addFeatureSetVersion(next, current, [changed(next, 'metadata updated', current)], signal);
    },

    async createVersion(
      principal: Principal,
      input: CreateVersionInput,
      signal?: AbortSignal,
    ): Promise<{ featureSet: FeatureSet; report: CompatibilityReport }> {
      const project = requireIdentifier(input.project, 'project');
      const name = requireIdentifier(input.name, 'name');
      const schema = validateSchema(input.schema);
      const description = input.description ? validateDescription(input.description, 'description') : undefined;
      await authorizer.authorize(principal, 'featureSet.update', { project, featureSet: name }, signal);
      const current = await latest(project, name, signal);
      checkEtag(input.etag, current);
      const report = compareSchemas(current.schema, schema);
      // The same schema again is a retry of a change that already happened: answer, change nothing.
      if (report.changes.length === 0 || input.validateOnly) return { featureSet: current, report };
      if (!report.compatible && !input.allowIncompatible) {
        const breaking = report.changes.filter((c) => c.breaking).map((c) => `${c.kind}${c.feature ? ` ${c.feature}` : ''}`);
        throw new FailedPrecondition(`the new schema breaks readers (${breaking.join('; ')}); set allow_incompatible to make the new major version anyway`, {
          field: 'schema',
        });
      }
      const next: NewFeatureSetVersion = {
        ...toNewVersion(current),
        major: current.major + 1,
        minor: 0,
        schema: carryFeatureMetadata(current.schema, schema),
        description: description ?? current.description,
        createdBy: principal.id,
        changeSummary: `schema changed: ${report.changes.map((c) => summarize(c.kind, c.feature, c.from, c.to)).join(', ')}`,
      };
      const featureSet = await store.addFeatureSetVersion(next, current, [changed(next, 'schema changed')], signal);
      return { featureSet, report };
    },

    async listVersions(
      principal: Principal,
      input: { project: string; name: string; pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<FeatureSet>> {
      const project = requireIdentifier(input.project, 'project');
      const name = requireIdentifier(input.name, 'name');
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isVersionPosition);
      await authorizer.authorize(principal, 'featureSet.read', { project, featureSet: name }, signal);
      await latest(project, name, signal);
      const rows = await store.listFeatureSetVersions(project, name, position, limit + 1, signal);
      return pageOf(rows, limit, (last) => ({ major: last.major, minor: last.minor }));
    },

    async delete(principal: Principal, input: { project: string; name: string; etag: string }, signal?: AbortSignal): Promise<void> {
      const project = requireIdentifier(input.project, 'project');
      const name = requireIdentifier(input.name, 'name');
      await authorizer.authorize(principal, 'featureSet.delete', { project, featureSet: name }, signal);
      const current = await latest(project, name, signal);
      checkEtag(input.etag, current);
      await store.deleteFeatureSet(project, name, input.etag ? current : undefined, [changed(current, 'deleted')], signal);
    },
  };
}

export type FeatureSetUseCases = ReturnType<typeof createFeatureSetUseCases>;

function sameContent(a: NewFeatureSetVersion, b: FeatureSet): boolean {
  return JSON.stringify([a.schema, a.description, a.owner, a.tags, a.ttlSeconds]) === JSON.stringify([b.schema, b.description, b.owner, b.tags, b.ttlSeconds]);
}

/** A new schema keeps the descriptions, tags and sensitive flags of features it does not restate. */
function carryFeatureMetadata(previous: Schema, next: Schema): Schema {
  const old = new Map(previous.features.map((f) => [f.name, f]));
  return {
    ...next,
    features: next.features.map((f) => {
      const before = old.get(f.name);
      if (!before) return f;
      return {
        ...f,
        description: f.description || before.description,
        tags: Object.keys(f.tags).length > 0 ? f.tags : before.tags,
        sensitive: f.sensitive || before.sensitive,
      };
    }),
  };
}

function summarize(kind: string, feature: string, from: string, to: string): string {
  const what = kind.toLowerCase().replaceAll('_', ' ');
  return feature ? `${feature} ${what}${from && to ? ` (${from} -> ${to})` : ''}` : `${what} (${from} -> ${to})`;
}
