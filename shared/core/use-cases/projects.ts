import { Aborted, InvalidArgument, NotFound } from '../errors.js';
import { EventTypes, projectSubject, type DomainEvent } from '../events.js';
import { requireIdentifier } from '../identifiers.js';
import type { Page, Project, Tags } from '../model.js';
import { decodePageToken, isNamePosition, pageOf } from '../page-token.js';
import { shortened } from '../messages.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { Principal } from '../principal.js';
import { validateDescription } from '../schema.js';
import { applyTagPatch, validatePageSize, validateTags } from '../validation.js';

export interface ProjectDeps {
  store: MetadataStore;
  authorizer: Authorizer;
}

export interface UpdateProjectInput {
  name: string;
  description?: string;
  owner?: string;
  tags: Tags;
  replaceTags: boolean;
  etag: string;
}

export function projectEtag(project: Pick<Project, 'revision'>): string {
  return `r${project.revision}`;
}

function checkEtag(etag: string, revision: number): number {
  if (!etag) return revision;
  const m = /^r(\d+)$/.exec(etag);
  if (!m) throw new InvalidArgument(`"${shortened(etag)}" is not an etag this server issued`, { field: 'etag' });
  if (Number(m[1]) !== revision) {
    throw new Aborted('the project changed since you read it; get it again and retry', { field: 'etag' });
  }
  return revision;
}

function changed(name: string, change: string): DomainEvent {
  return { type: EventTypes.projectChanged, subject: projectSubject(name), data: { project: name, change } };
}

export function createProjectUseCases({ store, authorizer }: ProjectDeps) {
  async function load(principal: Principal, name: string, signal?: AbortSignal): Promise<Project> {
    requireIdentifier(name, 'name');
    await authorizer.authorize(principal, 'project.read', { project: name }, signal);
    const project = await store.getProject(name, signal);
    if (!project) throw new NotFound(`project "${name}" does not exist`, { field: 'name' });
    return project;
  }

  return {
    async create(principal: Principal, input: { name: string; description: string; tags: Tags }, signal?: AbortSignal): Promise<Project> {
      const name = requireIdentifier(input.name, 'name');
      const description = validateDescription(input.description, 'description');
      const tags = validateTags(input.tags, 'tags');
      await authorizer.authorize(principal, 'project.create', { project: name }, signal);
      return store.createProject({ name, description, tags, owner: principal.id }, [changed(name, 'created')], signal);
    },

    get: load,

    async list(principal: Principal, input: { namePrefix: string; pageSize: number; pageToken: string }, signal?: AbortSignal): Promise<Page<Project>> {
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isNamePosition);
      // Everyone may list; each sees the projects they own or hold a role in (admins: all).
      const visibleTo = principal.admin ? undefined : principal.id;
      const rows = await store.listProjects({ namePrefix: input.namePrefix ?? '', afterName: position?.after, limit: limit + 1, visibleTo }, signal);
      return pageOf(rows, limit, (last) => ({ after: last.name }));
    },

    async update(principal: Principal, input: UpdateProjectInput, signal?: AbortSignal): Promise<Project> {
      const name = requireIdentifier(input.name, 'name');
      const tagPatch = validateTags(input.tags, 'tags', true);
      const description = input.description === undefined ? undefined : validateDescription(input.description, 'description');
      if (input.owner !== undefined && input.owner === '') throw new InvalidArgument('cannot be empty', { field: 'owner' });
      await authorizer.authorize(principal, 'project.update', { project: name }, signal);
      const current = await load(principal, name, signal);
      const revision = checkEtag(input.etag, current.revision);
      const next = {
        description: description ?? current.description,
        owner: input.owner ?? current.owner,
        tags: applyTagPatch(current.tags, tagPatch, input.replaceTags),
      };
      return store.updateProject(name, next, revision, [changed(name, 'updated')], signal);
    },

    async delete(principal: Principal, input: { name: string; force: boolean; etag: string }, signal?: AbortSignal): Promise<void> {
      const name = requireIdentifier(input.name, 'name');
      await authorizer.authorize(principal, 'project.delete', { project: name }, signal);
      let expectedRevision: number | undefined;
      if (input.etag) {
        const current = await load(principal, name, signal);
        expectedRevision = checkEtag(input.etag, current.revision);
      }
      await store.deleteProject(name, { cascade: input.force, expectedRevision }, [changed(name, 'deleted')], signal);
    },
  };
}

export type ProjectUseCases = ReturnType<typeof createProjectUseCases>;
