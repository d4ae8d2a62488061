// Who may do what: roles on projects (inherited by their feature sets) and on single feature sets,
// as in the reference system. The table here is the rule; docs/security.md shows it and a test
// holds the two together. Enforcement (issue #14) goes through resolveFeatureSet and the authorizer.
import type { Action, ResourceId } from './ports/authorizer.js';
import type { Principal } from './principal.js';

/** From most to least: each role may do what the roles below it may. */
export const ROLES = ['OWNER', 'EDITOR', 'SENSITIVE_CONSUMER', 'CONSUMER', 'VIEWER'] as const;
export type Role = (typeof ROLES)[number];

/** What each role allows, on the resource it is granted on and, for a project, on its feature sets. */
export const ROLE_ACTIONS: Readonly<Record<Role, readonly Action[]>> = {
  VIEWER: ['project.read', 'featureSet.read', 'job.read'],
  CONSUMER: ['project.read', 'featureSet.read', 'featureSet.readData', 'job.read'],
  SENSITIVE_CONSUMER: ['project.read', 'featureSet.read', 'featureSet.readData', 'featureSet.readSensitive', 'job.read'],
  EDITOR: [
    'project.read',
    'featureSet.read',
    'featureSet.readData',
    'featureSet.readSensitive',
    'featureSet.create',
    'featureSet.update',
    'job.read',
    'job.cancel',
  ],
  OWNER: [
    'project.read',
    'project.update',
    'project.delete',
    'project.grant',
    'featureSet.read',
    'featureSet.readData',
    'featureSet.readSensitive',
    'featureSet.create',
    'featureSet.update',
    'featureSet.delete',
    'job.read',
    'job.cancel',
  ],
};

/** Actions that need no role: anyone signed in may create a project (and then owns it). */
const OPEN_ACTIONS: ReadonlySet<Action> = new Set(['project.create']);

/** One role of one principal on a project ('' feature set) or on one feature set of it. */
export interface Grant {
  principalId: string;
  project: string;
  /** '' for the project itself (and so every feature set of it). */
  featureSet: string;
  role: Role;
}

/**
 * Whether `principal` may take `action` on `resource`, given the grants that name the principal on
 * the resource's project (project-wide or on the resource's feature set). Admins may do anything.
 */
export function allows(principal: Principal, action: Action, resource: ResourceId, grants: readonly Grant[]): boolean {
  if (principal.admin || OPEN_ACTIONS.has(action)) return true;
  return grants.some(
    (g) =>
      g.principalId === principal.id &&
      g.project === resource.project &&
      // A role on one feature set lets its holder see the project it is in (not its other sets).
      (g.featureSet === '' || g.featureSet === resource.featureSet || (action === 'project.read' && resource.featureSet === undefined)) &&
      ROLE_ACTIONS[g.role].includes(action),
  );
}

/** The least role that allows `action` (for messages: "needs the consumer role on ..."). */
export function leastRoleFor(action: Action): Role | undefined {
  return [...ROLES].reverse().find((r) => ROLE_ACTIONS[r].includes(action));
}

/** How a role reads in messages: "sensitive consumer". */
export const roleName = (role: Role) => role.toLowerCase().replace('_', ' ');

export const ACCESS_REQUEST_STATES = ['PENDING', 'APPROVED', 'REJECTED', 'WITHDRAWN'] as const;
export type AccessRequestState = (typeof ACCESS_REQUEST_STATES)[number];

/** A request for a role: owners of the resource approve or reject it; the requester may withdraw it while pending. */
export interface AccessRequest {
  id: string;
  principalId: string;
  project: string;
  featureSet: string;
  role: Role;
  reason: string;
  state: AccessRequestState;
  decidedBy: string;
  decisionReason: string;
  createTime: Date;
  decideTime?: Date;
}
