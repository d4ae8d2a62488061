import { allows, leastRoleFor, roleName, type Grant } from '../access.js';
import { PermissionDenied } from '../errors.js';
import type { AccessStore } from '../ports/access-store.js';
import type { Action, Authorizer, ResourceId } from '../ports/authorizer.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { Principal } from '../principal.js';

/** What a decision about one principal in one project needs: their grants there, and whether they own it. */
interface Standing {
  at: number;
  grants: Promise<Grant[]>;
}

/**
 * Authorization by roles: admins may do anything; the owner of a project (its `owner` field, the
 * creator unless changed) holds the owner role on it; everyone else holds the roles granted to them
 * on the project (and so its feature sets) or on single feature sets. What a principal holds in a
 * project is cached in memory for at most `maxAgeMs` and dropped at once when the catalog's change
 * feed names the project (grants, revocations, decisions and owner changes all commit with a
 * NOTIFY), so the online read path pays one map lookup per call.
 */
export function createRoleAuthorizer(d: { access: () => Promise<AccessStore>; store: () => Promise<MetadataStore>; maxAgeMs: number; now?: () => number }) {
  const now = d.now ?? Date.now;
  const cache = new Map<string, Standing>();

  async function load(principalId: string, project: string, signal?: AbortSignal): Promise<Grant[]> {
    const [access, store] = await Promise.all([d.access(), d.store()]);
    const [grants, owned] = await Promise.all([access.grantsOf(principalId, project, signal), store.getProject(project, signal)]);
    return owned?.owner === principalId ? [...grants, { principalId, project, featureSet: '', role: 'OWNER' }] : grants;
  }

  function standing(principalId: string, project: string): Promise<Grant[]> {
    const key = `${project}\u0000${principalId}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < d.maxAgeMs) return hit.grants;
    const grants = load(principalId, project);
    cache.set(key, { at: now(), grants });
    grants.catch(() => cache.delete(key));
    return grants;
  }

  const authorizer: Authorizer & { invalidate(project: string): void; clear(): void } = {
    async authorize(principal: Principal, action: Action, resource: ResourceId): Promise<void> {
      if (principal.admin) return;
      const grants = resource.project === undefined ? [] : await standing(principal.id, resource.project);
      if (allows(principal, action, resource, grants)) return;
      throw new PermissionDenied(denial(principal, action, resource));
    },
    /** Drops what is cached about a project (its grants or owner changed). */
    invalidate(project: string): void {
      const prefix = `${project}\u0000`;
      for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
    },
    clear(): void {
      cache.clear();
    },
  };
  return authorizer;
}

export type RoleAuthorizer = ReturnType<typeof createRoleAuthorizer>;

/** "alice needs the consumer role on project p (or feature set p/fs): ask an owner: featurestore access request ...". */
function denial(principal: Principal, action: Action, resource: ResourceId): string {
  if (resource.project === undefined) return `${principal.id} may not ${action} across projects; only admins may (name a project)`;
  const role = leastRoleFor(action);
  const on = resource.featureSet ? `feature set ${resource.project}/${resource.featureSet}` : `project ${resource.project}`;
  const target = resource.featureSet ? `${resource.project}/${resource.featureSet}` : resource.project;
  if (!role) return `${principal.id} may not ${action} on ${on}; only admins may`;
  return `${principal.id} needs the ${roleName(role)} role on ${on} to ${action}; ask an owner (featurestore access request ${target} ${role.toLowerCase()})`;
}
