import { ACCESS_REQUEST_STATES, ROLES, roleName, type AccessRequest, type AccessRequestState, type Role } from '../access.js';
import { InvalidArgument, NotFound, PermissionDenied } from '../errors.js';
import { EventTypes, featureSetSubject, projectSubject, type DomainEvent } from '../events.js';
import { requireIdentifier } from '../identifiers.js';
import type { Page } from '../model.js';
import { decodePageToken, isTimePosition, pageOf } from '../page-token.js';
import type { AccessStore, Permission } from '../ports/access-store.js';
import type { Authorizer } from '../ports/authorizer.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { Principal } from '../principal.js';
import { requireStorableText, requireUuid, validatePageSize } from '../validation.js';

/** A project, or one feature set of it ('' for the project). */
export interface ResourceInput {
  project: string;
  featureSet: string;
}

const MAX_PRINCIPAL_ID = 200;
const MAX_REASON = 1000;

type PermissionPosition = Pick<Permission, 'featureSet' | 'principalId' | 'role'>;
const isPermissionPosition = (v: unknown): v is PermissionPosition =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as PermissionPosition).featureSet === 'string' &&
  typeof (v as PermissionPosition).principalId === 'string' &&
  ROLES.includes((v as PermissionPosition).role);

/** A resource as the authorizer and the store take it: no feature set for the project itself. */
const scope = (r: ResourceInput) => ({ project: r.project, featureSet: r.featureSet || undefined });

/** The audit event of an authorization change, about the resource it changes. */
function accessEvent(r: ResourceInput, data: { change: string; principalId: string; role: Role; by: string; requestId?: string }): DomainEvent {
  return {
    type: EventTypes.accessChanged,
    subject: r.featureSet ? featureSetSubject(r.project, r.featureSet) : projectSubject(r.project),
    data: { project: r.project, featureSet: r.featureSet, ...data },
  };
}

/**
 * AccessService: who the caller is, roles on projects and feature sets, and access requests. Roles
 * are granted by those who may grant on the resource (owners, admins); anyone may ask for a role;
 * the requester may withdraw a pending request. Every change is an event in the outbox.
 */
export function createAccessUseCases(d: { store: MetadataStore; access: AccessStore; authorizer: Authorizer }) {
  /** The resource checked: identifiers valid, the project (and feature set) existing. */
  async function resource(input: ResourceInput, signal?: AbortSignal): Promise<ResourceInput> {
    const project = requireIdentifier(input.project, 'resource.project');
    const featureSet = input.featureSet ? requireIdentifier(input.featureSet, 'resource.feature_set') : '';
    if (!(await d.store.getProject(project, signal))) throw new NotFound(`project "${project}" does not exist`, { field: 'resource.project' });
    if (featureSet && !(await d.store.getFeatureSet(project, featureSet, undefined, signal))) {
      throw new NotFound(`feature set "${project}/${featureSet}" does not exist`, { field: 'resource.feature_set' });
    }
    return { project, featureSet };
  }

  function role(value: Role | undefined, field = 'role'): Role {
    if (!value || !ROLES.includes(value)) throw new InvalidArgument(`is required: one of ${ROLES.map(roleName).join(', ')}`, { field });
    return value;
  }

  function principalId(value: string): string {
    if (!value) throw new InvalidArgument('is required', { field: 'principal_id' });
    if (value.length > MAX_PRINCIPAL_ID) throw new InvalidArgument(`is longer than ${MAX_PRINCIPAL_ID} characters`, { field: 'principal_id' });
    return requireStorableText(value, 'principal_id');
  }

  async function decide(principal: Principal, id: string, state: 'APPROVED' | 'REJECTED', reason: string, signal?: AbortSignal): Promise<AccessRequest> {
    const requestId = requireUuid(id, 'id', 'access request');
    const request = await d.access.getRequest(requestId, signal);
    if (!request) throw new NotFound(`access request ${requestId} does not exist`, { field: 'id' });
    await d.authorizer.authorize(principal, 'project.grant', scope(request), signal);
    return d.access.decideRequest(requestId, { state, by: principal.id, reason }, (r) => [
      accessEvent(r, { change: state.toLowerCase(), principalId: r.principalId, role: r.role, by: principal.id, requestId: r.id }),
    ]);
  }

  return {
    whoAmI(principal: Principal): Principal {
      return principal;
    },

    async grant(principal: Principal, input: ResourceInput & { principalId: string; role?: Role }, signal?: AbortSignal): Promise<Permission> {
      const who = principalId(input.principalId);
      const granted = role(input.role);
      const r = await resource(input, signal);
      await d.authorizer.authorize(principal, 'project.grant', scope(r), signal);
      return d.access.grant({ ...r, principalId: who, role: granted, grantedBy: principal.id }, (_p, created) =>
        created ? [accessEvent(r, { change: 'granted', principalId: who, role: granted, by: principal.id })] : [],
      );
    },

    async revoke(principal: Principal, input: ResourceInput & { principalId: string; role?: Role }, signal?: AbortSignal): Promise<void> {
      const who = principalId(input.principalId);
      const revoked = role(input.role);
      const r = await resource(input, signal);
      await d.authorizer.authorize(principal, 'project.grant', scope(r), signal);
      const had = await d.access.revoke({ ...r, principalId: who, role: revoked }, () => [
        accessEvent(r, { change: 'revoked', principalId: who, role: revoked, by: principal.id }),
      ]);
      if (!had) {
        const on = r.featureSet ? `${r.project}/${r.featureSet}` : r.project;
        throw new NotFound(`${who} has no ${roleName(revoked)} role on ${on}; list them with ListPermissions`, { field: 'principal_id' });
      }
    },

    async listPermissions(
      principal: Principal,
      input: ResourceInput & { pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<Permission>> {
      const limit = validatePageSize(input.pageSize);
      const after = decodePageToken(input.pageToken, isPermissionPosition);
      const r = await resource(input, signal);
      await d.authorizer.authorize(principal, 'project.read', scope(r), signal);
      const rows = await d.access.listPermissions(scope(r), after, limit + 1, signal);
      return pageOf(rows, limit, (last) => ({ featureSet: last.featureSet, principalId: last.principalId, role: last.role }));
    },

    /** Anyone signed in may ask for a role on an existing project or feature set. */
    async request(principal: Principal, input: ResourceInput & { role?: Role; reason: string }, signal?: AbortSignal): Promise<AccessRequest> {
      const wanted = role(input.role);
      if (input.reason.length > MAX_REASON) throw new InvalidArgument(`is longer than ${MAX_REASON} characters`, { field: 'reason' });
      const reason = requireStorableText(input.reason, 'reason');
      const r = await resource(input, signal);
      return d.access.createRequest({ ...r, principalId: principal.id, role: wanted, reason }, (req) => [
        accessEvent(r, { change: 'requested', principalId: principal.id, role: wanted, by: principal.id, requestId: req.id }),
      ]);
    },

    approve(principal: Principal, id: string, signal?: AbortSignal): Promise<AccessRequest> {
      return decide(principal, id, 'APPROVED', '', signal);
    },

    reject(principal: Principal, id: string, reason: string, signal?: AbortSignal): Promise<AccessRequest> {
      if (reason.length > MAX_REASON) throw new InvalidArgument(`is longer than ${MAX_REASON} characters`, { field: 'reason' });
      return decide(principal, id, 'REJECTED', requireStorableText(reason, 'reason'), signal);
    },

    /** Only the requester (or an admin) withdraws a request, while it is pending. */
    async withdraw(principal: Principal, id: string, signal?: AbortSignal): Promise<AccessRequest> {
      const requestId = requireUuid(id, 'id', 'access request');
      const request = await d.access.getRequest(requestId, signal);
      if (!request) throw new NotFound(`access request ${requestId} does not exist`, { field: 'id' });
      if (request.principalId !== principal.id && !principal.admin) {
        throw new PermissionDenied(`access request ${requestId} is ${request.principalId}'s; only they may withdraw it`, { field: 'id' });
      }
      return d.access.decideRequest(requestId, { state: 'WITHDRAWN', by: principal.id, reason: '' }, (r) => [
        accessEvent(r, { change: 'withdrawn', principalId: r.principalId, role: r.role, by: principal.id, requestId: r.id }),
      ]);
    },

    /** Those who may grant on the resource see its requests. */
    async listRequests(
      principal: Principal,
      input: ResourceInput & { state?: AccessRequestState; pageSize: number; pageToken: string },
      signal?: AbortSignal,
    ): Promise<Page<AccessRequest>> {
      if (input.state !== undefined && !ACCESS_REQUEST_STATES.includes(input.state)) {
        throw new InvalidArgument(`use one of ${ACCESS_REQUEST_STATES.join(', ')}`, { field: 'state' });
      }
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isTimePosition);
      const r = await resource(input, signal);
      await d.authorizer.authorize(principal, 'project.grant', scope(r), signal);
      const rows = await d.access.listRequests(
        { ...scope(r), state: input.state },
        position && { createTime: new Date(position.t), id: position.id },
        limit + 1,
        signal,
      );
      return pageOf(rows, limit, (last) => ({ t: last.createTime.toISOString(), id: last.id }));
    },
  };
}

export type AccessUseCases = ReturnType<typeof createAccessUseCases>;
