import type { AccessRequest, AccessRequestState, Grant } from '../access.js';
import type { DomainEvent } from '../events.js';

/** A grant as stored: who granted it, when. */
export interface Permission extends Grant {
  grantedBy: string;
  createTime: Date;
}

export type NewAccessRequest = Pick<AccessRequest, 'principalId' | 'project' | 'featureSet' | 'role' | 'reason'>;

/**
 * Authorization data in the catalog database. Every change commits with its events (the audit
 * trail). `grant` is idempotent (granting a held role again returns the first permission and writes
 * nothing); `revoke` answers whether there was such a grant. `decideRequest` moves a PENDING request
 * only (FailedPrecondition naming its state otherwise, NotFound when it does not exist); approving
 * grants the requested role in the same transaction. Lists are keyset pages, oldest first.
 */
export interface AccessStore {
  grant(grant: Grant & { grantedBy: string }, events: (p: Permission, created: boolean) => DomainEvent[], signal?: AbortSignal): Promise<Permission>;
  revoke(grant: Grant, events: () => DomainEvent[], signal?: AbortSignal): Promise<boolean>;
  /** Every grant naming `principalId` in `project` (project-wide and per feature set): what a decision needs. */
  grantsOf(principalId: string, project: string, signal?: AbortSignal): Promise<Grant[]>;
  /** Grants on a project (with its feature sets' when `featureSet` is undefined) or on one feature set. */
  listPermissions(
    resource: { project: string; featureSet?: string },
    after: Pick<Permission, 'featureSet' | 'principalId' | 'role'> | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<Permission[]>;
  createRequest(request: NewAccessRequest, events: (r: AccessRequest) => DomainEvent[], signal?: AbortSignal): Promise<AccessRequest>;
  getRequest(id: string, signal?: AbortSignal): Promise<AccessRequest | undefined>;
  decideRequest(
    id: string,
    decision: { state: Exclude<AccessRequestState, 'PENDING'>; by: string; reason: string },
    events: (r: AccessRequest) => DomainEvent[],
    signal?: AbortSignal,
  ): Promise<AccessRequest>;
  listRequests(
    query: { project: string; featureSet?: string; state?: AccessRequestState },
    after: { createTime: Date; id: string } | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<AccessRequest[]>;
}
