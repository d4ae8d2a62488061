import { InvalidArgument, NotFound, Unauthenticated } from '../errors.js';
import type { Page } from '../model.js';
import { decodePageToken, isTimePosition, pageOf } from '../page-token.js';
import type { Authenticator } from '../ports/authenticator.js';
import type { TokenStore } from '../ports/token-store.js';
import type { Principal } from '../principal.js';
import { matchesToken, newTokenSecret, TOKEN_PREFIX, tokenLookup, type StoredToken } from '../tokens.js';
import { requireStorableText, requireUuid, validatePageSize } from '../validation.js';

/** A token's lifetime when CreateToken names none, and the longest allowed. */
export const DEFAULT_TOKEN_SECONDS = 90 * 86_400;
export const MAX_TOKEN_SECONDS = 366 * 86_400;

/** Longer authorization headers are refused before any lookup. */
const MAX_AUTHORIZATION_LENGTH = 8192;

/** Personal access tokens of the caller: created (the secret shown once), listed, revoked. */
export function createTokenUseCases(d: { tokens: TokenStore }) {
  return {
    async create(principal: Principal, input: { name: string; ttlSeconds?: number }, signal?: AbortSignal): Promise<{ token: StoredToken; secret: string }> {
      const name = requireStorableText(input.name.trim(), 'name');
      if (!name) throw new InvalidArgument('is required: what the token is for', { field: 'name' });
      if (name.length > 100) throw new InvalidArgument('is longer than 100 characters', { field: 'name' });
      const seconds = input.ttlSeconds ?? DEFAULT_TOKEN_SECONDS;
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TOKEN_SECONDS) {
        throw new InvalidArgument(`must be positive and at most ${MAX_TOKEN_SECONDS / 86_400} days`, { field: 'ttl' });
      }
      const { secret, lookup, hash } = newTokenSecret();
      const token = await d.tokens.create({ lookup, hash, name, principal, expireTime: new Date(Date.now() + seconds * 1000) }, signal);
      return { token, secret };
    },

    async list(principal: Principal, input: { pageSize: number; pageToken: string }, signal?: AbortSignal): Promise<Page<StoredToken>> {
      const limit = validatePageSize(input.pageSize);
      const position = decodePageToken(input.pageToken, isTimePosition);
      const rows = await d.tokens.list(principal.id, position && { createTime: new Date(position.t), id: position.id }, limit + 1, signal);
      return pageOf(rows, limit, (last) => ({ t: last.createTime.toISOString(), id: last.id }));
    },

    async revoke(principal: Principal, id: string, signal?: AbortSignal): Promise<void> {
      const tokenId = requireUuid(id, 'id', 'token');
      if (!(await d.tokens.revoke(tokenId, principal.id, signal))) {
        throw new NotFound(`token ${tokenId} is not one of yours, or was revoked already; list yours with ListTokens`, { field: 'id' });
      }
    },
  };
}

export type TokenUseCases = ReturnType<typeof createTokenUseCases>;

/**
 * Personal access tokens first, then `base`: a bearer credential that looks like a token must be a
 * valid one (known, matching, not revoked, not expired), or the call is UNAUTHENTICATED; it never
 * falls through to the base authenticator. A use is recorded (at most once a minute).
 */
export function withTokens(base: Authenticator, tokens: () => Promise<TokenStore>): Authenticator {
  return {
    async authenticate(credentials) {
      const header = credentials.authorization;
      if (header !== undefined && header.length > MAX_AUTHORIZATION_LENGTH) throw new Unauthenticated('the authorization header is too long');
      const bearer = header && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
      if (!bearer?.startsWith(TOKEN_PREFIX)) return base.authenticate(credentials);
      const lookup = tokenLookup(bearer);
      const store = await tokens();
      const token = lookup ? await store.byLookup(lookup, credentials.signal) : undefined;
      if (!token || !matchesToken(bearer, token) || token.revokeTime || token.expireTime.getTime() <= Date.now()) {
        throw new Unauthenticated('the personal access token is unknown, revoked or expired: create a new one (featurestore tokens create)');
      }
      void store.touch(token.id).catch(() => {});
      return token.principal;
    },
  };
}
