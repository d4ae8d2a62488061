import type { AccessRequest, AccessRequestState, Grant, Role } from '../../core/access.js';
import { FailedPrecondition, NotFound, throwIfAborted } from '../../core/errors.js';
import type { DomainEvent } from '../../core/events.js';
import type { AccessStore, NewAccessRequest, Permission } from '../../core/ports/access-store.js';
import type { SqlClient } from '../sql/sql-client.js';
import { writeEvents } from './outbox.js';

interface PermissionRow {
  project: string;
  feature_set: string;
  principal_id: string;
  role: Role;
  granted_by: string;
  create_time: Date;
}

interface RequestRow {
  id: string;
  project: string;
  feature_set: string;
  principal_id: string;
  role: Role;
  reason: string;
  state: AccessRequestState;
  decided_by: string;
  decision_reason: string;
  create_time: Date;
  decide_time: Date | null;
}

const PERMISSION_COLUMNS = 'project, feature_set, principal_id, role, granted_by, create_time';
const REQUEST_COLUMNS = 'id::text, project, feature_set, principal_id, role, reason, state, decided_by, decision_reason, create_time, decide_time';

const toPermission = (r: PermissionRow): Permission => ({
  project: r.project,
  featureSet: r.feature_set,
  principalId: r.principal_id,
  role: r.role,
  grantedBy: r.granted_by,
  createTime: r.create_time,
});

const toRequest = (r: RequestRow): AccessRequest => ({
  id: r.id,
  project: r.project,
  featureSet: r.feature_set,
  principalId: r.principal_id,
  role: r.role,
  reason: r.reason,
  state: r.state,
  decidedBy: r.decided_by,
  decisionReason: r.decision_reason,
  createTime: r.create_time,
  decideTime: r.decide_time ?? undefined,
});

/** Roles and access requests on PostgreSQL or PGlite, in the catalog database (changes commit with their events). */
export class SqlAccessStore implements AccessStore {
  constructor(private readonly sql: SqlClient) {}

  async grant(g: Grant & { grantedBy: string }, events: (p: Permission, created: boolean) => DomainEvent[], signal?: AbortSignal): Promise<Permission> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query<PermissionRow>(
        `INSERT INTO permissions (project, feature_set, principal_id, role, granted_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING ${PERMISSION_COLUMNS}`,
        [g.project, g.featureSet, g.principalId, g.role, g.grantedBy],
      );
      const row =
        inserted.rows[0] ??
        (
          await tx.query<PermissionRow>(
            `SELECT ${PERMISSION_COLUMNS} FROM permissions WHERE project = $1 AND feature_set = $2 AND principal_id = $3 AND role = $4`,
            [g.project, g.featureSet, g.principalId, g.role],
          )
        ).rows[0];
      const permission = toPermission(row);
      await writeEvents(tx, events(permission, inserted.rows.length > 0));
      return permission;
    });
  }

  async revoke(g: Grant, events: () => DomainEvent[], signal?: AbortSignal): Promise<boolean> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const { rowCount } = await tx.query(`DELETE FROM permissions WHERE project = $1 AND feature_set = $2 AND principal_id = $3 AND role = $4`, [
        g.project,
        g.featureSet,
        g.principalId,
        g.role,
      ]);
      if (rowCount > 0) await writeEvents(tx, events());
      return rowCount > 0;
    });
  }

  async grantsOf(principalId: string, project: string, signal?: AbortSignal): Promise<Grant[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<PermissionRow>(`SELECT ${PERMISSION_COLUMNS} FROM permissions WHERE principal_id = $1 AND project = $2`, [
      principalId,
      project,
    ]);
    return rows.map(toPermission);
  }

  async listPermissions(
    resource: { project: string; featureSet?: string },
    after: Pick<Permission, 'featureSet' | 'principalId' | 'role'> | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<Permission[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<PermissionRow>(
      `SELECT ${PERMISSION_COLUMNS} FROM permissions
       WHERE project = $1 AND ($2::text IS NULL OR feature_set = $2)
         AND ($3::boolean IS FALSE OR (feature_set, principal_id, role) > ($4, $5, $6))
       ORDER BY feature_set, principal_id, role LIMIT $7`,
      [resource.project, resource.featureSet ?? null, after !== undefined, after?.featureSet ?? '', after?.principalId ?? '', after?.role ?? '', limit],
    );
    return rows.map(toPermission);
  }

  async createRequest(r: NewAccessRequest, events: (r: AccessRequest) => DomainEvent[], signal?: AbortSignal): Promise<AccessRequest> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<RequestRow>(
        `INSERT INTO access_requests (project, feature_set, principal_id, role, reason) VALUES ($1, $2, $3, $4, $5) RETURNING ${REQUEST_COLUMNS}`,
        [r.project, r.featureSet, r.principalId, r.role, r.reason],
      );
      const request = toRequest(rows[0]);
      await writeEvents(tx, events(request));
      return request;
    });
  }

  async getRequest(id: string, signal?: AbortSignal): Promise<AccessRequest | undefined> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM access_requests WHERE id = $1::uuid`, [id]);
    return rows[0] && toRequest(rows[0]);
  }

  async decideRequest(
    id: string,
    d: { state: Exclude<AccessRequestState, 'PENDING'>; by: string; reason: string },
    events: (r: AccessRequest) => DomainEvent[],
    signal?: AbortSignal,
  ): Promise<AccessRequest> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<RequestRow>(
        `UPDATE access_requests SET state = $2, decided_by = $3, decision_reason = $4, decide_time = clock_timestamp()
         WHERE id = $1::uuid AND state = 'PENDING' RETURNING ${REQUEST_COLUMNS}`,
        [id, d.state, d.by, d.reason],
      );
      if (!rows[0]) {
        const current = await tx.query<{ state: string }>('SELECT state FROM access_requests WHERE id = $1::uuid', [id]);
        if (!current.rows[0]) throw new NotFound(`access request ${id} does not exist`, { field: 'id' });
        throw new FailedPrecondition(`access request ${id} is ${current.rows[0].state}, no longer pending`, { field: 'id' });
      }
      const request = toRequest(rows[0]);
      if (request.state === 'APPROVED') {
        await tx.query(`INSERT INTO permissions (project, feature_set, principal_id, role, granted_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, [
          request.project,
          request.featureSet,
          request.principalId,
          request.role,
          d.by,
        ]);
      }
      await writeEvents(tx, events(request));
      return request;
    });
  }

  async listRequests(
    q: { project: string; featureSet?: string; state?: AccessRequestState },
    after: { createTime: Date; id: string } | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<AccessRequest[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<RequestRow>(
      `SELECT ${REQUEST_COLUMNS} FROM access_requests
       WHERE project = $1 AND ($2::text IS NULL OR feature_set = $2) AND ($3::text IS NULL OR state = $3)
         AND ($4::boolean IS FALSE OR (date_trunc('milliseconds', create_time), id) > ($5::timestamptz, $6::uuid))
       ORDER BY date_trunc('milliseconds', create_time), id LIMIT $7`,
      [q.project, q.featureSet ?? null, q.state ?? null, after !== undefined, after?.createTime ?? null, after?.id ?? null, limit],
    );
    return rows.map(toRequest);
  }
}
