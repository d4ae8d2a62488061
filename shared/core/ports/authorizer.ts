import type { Principal } from '../principal.js';

/**
 * What a caller wants to do. `featureSet.read` is metadata (schema, versions, statistics, ingest
 * history); `featureSet.readData` is values (retrieve, training sets, online reads);
 * `featureSet.readSensitive` the values of sensitive features; `featureSet.update` every change to
 * a feature set or its data (update, new version, ingest, revert, materialize, online writes).
 */
export type Action =
  | 'project.create'
  | 'project.read'
  | 'project.update'
  | 'project.delete'
  | 'project.grant'
  | 'featureSet.create'
  | 'featureSet.read'
  | 'featureSet.readData'
  | 'featureSet.readSensitive'
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
