import { throwIfAborted } from '../../core/errors.js';
import type { TokenStore } from '../../core/ports/token-store.js';
import type { Principal } from '../../core/principal.js';
import type { StoredToken } from '../../core/tokens.js';
import { CATALOG_CHANNEL } from './sql-change-feed.js';
import type { SqlClient } from '../sql/sql-client.js';

interface TokenRow {
  id: string;
  lookup: string;
  hash: string;
  name: string;
  principal: Principal;
  create_time: Date;
  expire_time: Date;
  last_use_time: Date | null;
  revoke_time: Date | null;
}

const COLUMNS = 'id::text, lookup, hash, name, principal, create_time, expire_time, last_use_time, revoke_time';

const toToken = (r: TokenRow): StoredToken => ({
  id: r.id,
  lookup: r.lookup,
  hash: r.hash,
  name: r.name,
  principal: r.principal,
  createTime: r.create_time,
  expireTime: r.expire_time,
  lastUseTime: r.last_use_time ?? undefined,
  revokeTime: r.revoke_time ?? undefined,
});

/** Personal access tokens on PostgreSQL or PGlite, in the catalog database. */
export class SqlTokenStore implements TokenStore {
  constructor(private readonly sql: SqlClient) {}

  async create(t: Omit<StoredToken, 'id' | 'createTime' | 'lastUseTime' | 'revokeTime'>, signal?: AbortSignal): Promise<StoredToken> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<TokenRow>(
      `INSERT INTO tokens (lookup, hash, name, principal_id, principal, expire_time) VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING ${COLUMNS}`,
      [t.lookup, t.hash, t.name, t.principal.id, JSON.stringify(t.principal), t.expireTime],
    );
    return toToken(rows[0]);
  }

  async byLookup(lookup: string, signal?: AbortSignal): Promise<StoredToken | undefined> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE lookup = $1`, [lookup]);
    return rows[0] && toToken(rows[0]);
  }

  async list(principalId: string, before: { createTime: Date; id: string } | undefined, limit: number, signal?: AbortSignal): Promise<StoredToken[]> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query<TokenRow>(
      `SELECT ${COLUMNS} FROM tokens WHERE principal_id = $1
         AND ($2::timestamptz IS NULL OR (date_trunc('milliseconds', create_time), id) < ($2::timestamptz, $3::uuid))
       ORDER BY date_trunc('milliseconds', create_time) DESC, id DESC LIMIT $4`,
      [principalId, before?.createTime ?? null, before?.id ?? null, limit],
    );
    return rows.map(toToken);
  }

  async revoke(id: string, principalId: string, signal?: AbortSignal): Promise<boolean> {
    throwIfAborted(signal);
    // Processes that keep tokens in memory hear of it when it commits (CachedTokenStore).
    const { rows } = await this.sql.query(
      `WITH revoked AS (
         UPDATE tokens SET revoke_time = clock_timestamp() WHERE id = $1::uuid AND principal_id = $2 AND revoke_time IS NULL RETURNING lookup
       )
       SELECT pg_notify($3, 'tokens/' || lookup) FROM revoked`,
      [id, principalId, CATALOG_CHANNEL],
    );
    return rows.length > 0;
  }

  async touch(id: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.sql.query(
      `UPDATE tokens SET last_use_time = clock_timestamp()
       WHERE id = $1::uuid AND (last_use_time IS NULL OR last_use_time < clock_timestamp() - interval '1 minute')`,
      [id],
    );
  }
}
