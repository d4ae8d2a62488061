import type { Principal } from '../principal.js';

export type Action =
  | 'project.create'
  | 'project.read'
  | 'project.update'
  | 'project.delete'
  | 'featureSet.create'
  | 'featureSet.read'
  | 'featureSet.update'
  | 'featureSet.delete'
  | 'job.read'
  | 'job.cancel';

export interface ResourceId {
  project?: string;
  featureSet?: string;
}

/**
 * Decides whether a principal may act on a resource. Resolves when allowed; throws
 * PermissionDenied (saying which role would allow it) otherwise. Never mutates.
 */
export interface Authorizer {
  authorize(principal: Principal, action: Action, resource: ResourceId, signal?: AbortSignal): Promise<void>;
}
