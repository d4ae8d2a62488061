import type { DomainEvent } from '../events.js';
import type { FeatureSet, FeatureSetVersionNumber, FeatureView, Project, Tags } from '../model.js';

export interface NewProject {
  name: string;
  description: string;
  owner: string;
  tags: Tags;
}

export interface ProjectChanges {
  description: string;
  owner: string;
  tags: Tags;
}

export interface ListProjectsQuery {
  namePrefix: string;
  /** Exclusive: names strictly after this one. */
  afterName?: string;
  limit: number;
  /** Only projects this principal owns or holds a role in (every project when undefined). */
  visibleTo?: string;
}

export interface ListFeatureSetsQuery {
  project: string;
  namePrefix: string;
  /** Every entry must match; an empty value matches any value of the key. */
  tags: Tags;
  afterName?: string;
  limit: number;
}

/** A version of a feature view to be written; times are set by the store. */
export type NewFeatureViewVersion = Omit<FeatureView, 'createTime' | 'updateTime'>;

/** A version of a feature set to be written; times are set by the store. */
export type NewFeatureSetVersion = Omit<FeatureSet, 'createTime' | 'updateTime'>;

/**
 * The catalog of projects and feature sets.
 *
 * Every mutation is atomic and writes the given events to the outbox in the same transaction, so an
 * event exists if and only if its change committed. Reads return undefined for what does not exist;
 * mutations throw typed errors (NotFound, AlreadyExists, Aborted, FailedPrecondition) naming the
 * request field at fault, and Unavailable when the database cannot be reached.
 * Lists are ordered by name (versions newest first) and return at most `limit` items.
 */
export interface MetadataStore {
  createProject(project: NewProject, events: DomainEvent[], signal?: AbortSignal): Promise<Project>;
  getProject(name: string, signal?: AbortSignal): Promise<Project | undefined>;
  listProjects(query: ListProjectsQuery, signal?: AbortSignal): Promise<Project[]>;
  /** Throws Aborted when the project's revision is no longer `expectedRevision`. */
  updateProject(name: string, changes: ProjectChanges, expectedRevision: number, events: DomainEvent[], signal?: AbortSignal): Promise<Project>;
  /**
   * Throws FailedPrecondition (field `force`) while feature sets exist unless `cascade`; with it,
   * the feature sets and all their versions go in the same transaction. Aborted on a stale revision.
   */
  deleteProject(name: string, options: { cascade: boolean; expectedRevision?: number }, events: DomainEvent[], signal?: AbortSignal): Promise<void>;

  /** Writes version 1.0. NotFound (field `project`) without the project; AlreadyExists (field `name`). */
  createFeatureSet(version: NewFeatureSetVersion, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureSet>;
  /** The latest version, the newest minor of a major, or one exact version. */
  getFeatureSet(project: string, name: string, version?: { major: number; minor?: number }, signal?: AbortSignal): Promise<FeatureSet | undefined>;
  /** Latest versions. */
  listFeatureSets(query: ListFeatureSetsQuery, signal?: AbortSignal): Promise<FeatureSet[]>;
  /**
   * Makes `version` the latest, if the latest is still `expected`; otherwise throws Aborted
   * (field `etag`), so of two concurrent updates exactly one wins.
   */
  addFeatureSetVersion(version: NewFeatureSetVersion, expected: FeatureSetVersionNumber, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureSet>;
  /** Newest first; `before` is exclusive. */
  listFeatureSetVersions(
    project: string,
    name: string,
    before: FeatureSetVersionNumber | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<FeatureSet[]>;
  /** Deletes every version. NotFound when absent; Aborted when the latest is not `expected`. */
  deleteFeatureSet(project: string, name: string, expected: FeatureSetVersionNumber | undefined, events: DomainEvent[], signal?: AbortSignal): Promise<void>;

  /** Writes version 1. NotFound (field `project`) without the project; AlreadyExists (field `name`). */
  createFeatureView(view: NewFeatureViewVersion, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureView>;
  /** The latest version, or one exact version. */
  getFeatureView(project: string, name: string, version?: number, signal?: AbortSignal): Promise<FeatureView | undefined>;
  /** Latest versions. */
  listFeatureViews(query: ListFeatureSetsQuery, signal?: AbortSignal): Promise<FeatureView[]>;
  /** Makes `view` the latest if the latest is still version `expected`; otherwise Aborted (field `etag`), NotFound when gone. */
  addFeatureViewVersion(view: NewFeatureViewVersion, expected: number, events: DomainEvent[], signal?: AbortSignal): Promise<FeatureView>;
  /** Newest first; `before` is exclusive. */
  listFeatureViewVersions(project: string, name: string, before: number | undefined, limit: number, signal?: AbortSignal): Promise<FeatureView[]>;
  /** Deletes every version. NotFound when absent; Aborted when the latest is not version `expected`. */
  deleteFeatureView(project: string, name: string, expected: number | undefined, events: DomainEvent[], signal?: AbortSignal): Promise<void>;

  /** Releases connections; idempotent. */
  close(): Promise<void>;
}
