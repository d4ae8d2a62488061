import type { StoredToken } from '../tokens.js';

/**
 * Personal access tokens in the catalog database. `create` stores a token (its hash, never its
 * secret); `byLookup` finds one by the public part of its secret; `list` gives a principal's tokens,
 * newest first, revoked ones too; `revoke` marks a principal's own token revoked (false when it is
 * not theirs or already revoked); `touch` records a use (at most once a minute per token).
 */
export interface TokenStore {
  create(token: Omit<StoredToken, 'id' | 'createTime' | 'lastUseTime' | 'revokeTime'>, signal?: AbortSignal): Promise<StoredToken>;
  byLookup(lookup: string, signal?: AbortSignal): Promise<StoredToken | undefined>;
  list(principalId: string, before: { createTime: Date; id: string } | undefined, limit: number, signal?: AbortSignal): Promise<StoredToken[]>;
  revoke(id: string, principalId: string, signal?: AbortSignal): Promise<boolean>;
  touch(id: string, signal?: AbortSignal): Promise<void>;
}
