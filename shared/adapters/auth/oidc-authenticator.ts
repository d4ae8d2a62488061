import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { Unauthenticated, Unavailable } from '../../core/errors.js';
import type { Authenticator, Credentials } from '../../core/ports/authenticator.js';
import type { Principal } from '../../core/principal.js';

/** Signature algorithms a token may use. Never `none`, never HMAC (a public key is not a secret). */
export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type OidcAlgorithm = (typeof OIDC_ALGORITHMS)[number];

export interface OidcSettings {
  /** The issuer URL, exactly as the discovery document and the tokens' `iss` say it. */
  issuer: string;
  /** The `aud` tokens must carry (the store's API). */
  audience: string;
  /** How far `exp` and `nbf` may be off. */
  clockSkewSeconds: number;
  algorithms: readonly OidcAlgorithm[];
  /** Which claims hold who the caller is. */
  claims: { subject: string; email: string; name: string; groups: string };
  /** Callers in this group (of the groups claim) are admins. */
  adminGroup?: string;
  /** Callers whose token has this claim set to true are admins. */
  adminClaim?: string;
  /** The least time between two JWKS fetches for an unknown `kid`. */
  jwksCooldownMs?: number;
}

/** How long a fetched discovery document is trusted before it is read again. */
const DISCOVERY_MAX_AGE_MS = 60 * 60_000;
/** After a failed discovery fetch, calls fail fast (UNAVAILABLE) for this long. */
const DISCOVERY_RETRY_MS = 5_000;
/** Verified tokens remembered (until they expire), so a client's repeated calls skip the signature check. */
const VERIFIED_TOKENS = 10_000;

interface Discovery {
  keys: JWTVerifyGetKey;
  fetchedAt: number;
}

/**
 * Verifies OpenID Connect bearer tokens (JWT access tokens) with `jose`: the issuer's discovery
 * document names its JWKS; keys are cached and an unknown `kid` refetches the set at most once per
 * cooldown (key rotation); issuer, audience, expiry and not-before are checked with a small clock
 * skew; the algorithm is pinned. Identity comes from configurable claims.
 */
export class OidcAuthenticator implements Authenticator {
  private discovery?: Promise<Discovery>;
  private failedAt = 0;
  /** Token -> who it names, until its `exp` (insertion order: the oldest goes first when full). */
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly settings: OidcSettings,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  async authenticate(credentials: Credentials): Promise<Principal> {
    const header = credentials.authorization;
    if (!header) throw new Unauthenticated(`send "authorization: Bearer <token>": a token from ${this.settings.issuer} or a personal access token`);
    if (!/^bearer /i.test(header)) throw new Unauthenticated('the authorization header must be "Bearer <token>"');
    const token = header.slice(7).trim();
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.principal;
    const { keys } = await this.keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: [...this.settings.algorithms],
        clockTolerance: this.settings.clockSkewSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        throw new Unavailable(`the keys of the OpenID provider ${this.settings.issuer} could not be read; retry shortly`, { cause: err });
      }
      throw new Unauthenticated(`the bearer token was refused (${reason(err)}); sign in again (featurestore login)`);
    }
    const principal = this.principal(payload);
    // Remembered until it expires (exp is required), never past: the cache only saves the signature check.
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, expiresAt: payload.exp! * 1000 });
    return principal;
  }

  private principal(payload: JWTPayload): Principal {
    const { claims, adminGroup, adminClaim } = this.settings;
    const id = payload[claims.subject];
    if (typeof id !== 'string' || !id) throw new Unauthenticated(`the bearer token has no "${claims.subject}" claim to name the caller`);
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const groups = payload[claims.groups];
    const inAdminGroup = adminGroup !== undefined && Array.isArray(groups) && groups.includes(adminGroup);
    const adminByClaim = adminClaim !== undefined && payload[adminClaim] === true;
    return { id, name: text(payload[claims.name]), email: text(payload[claims.email]), admin: inAdminGroup || adminByClaim };
  }

  /** The issuer's key set, from its discovery document (read once an hour; a failure is retried after a pause). */
  private keys(): Promise<Discovery> {
    const now = Date.now();
    if (!this.discovery && now - this.failedAt < DISCOVERY_RETRY_MS) {
      return Promise.reject(new Unavailable(`the OpenID provider ${this.settings.issuer} could not be reached; retry shortly`));
    }
    if (!this.discovery) {
      const pending = this.discover().catch((err: unknown) => {
        if (this.discovery === pending) this.discovery = undefined;
        this.failedAt = Date.now();
        throw err;
      });
      this.discovery = pending;
      return pending;
    }
    return this.discovery.then((d) => {
      if (now - d.fetchedAt > DISCOVERY_MAX_AGE_MS) this.discovery = undefined;
      return d;
    });
  }

  private async discover(): Promise<Discovery> {
    const issuer = this.settings.issuer.replace(/\/$/, '');
    const url = `${issuer}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await this.fetcher(url, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      doc = (await response.json()) as typeof doc;
    } catch (err) {
      throw new Unavailable(`the OpenID provider's discovery document ${url} could not be read (${(err as Error).message}); retry shortly`, { cause: err });
    }
    if (doc.issuer !== this.settings.issuer) {
      throw new Unavailable(`the discovery document of ${this.settings.issuer} names another issuer (${String(doc.issuer)}); check FEATURESTORE_OIDC_ISSUER`);
    }
    if (typeof doc.jwks_uri !== 'string') throw new Unavailable(`the discovery document of ${this.settings.issuer} names no jwks_uri`);
    const keys = createRemoteJWKSet(new URL(doc.jwks_uri), {
      cooldownDuration: this.settings.jwksCooldownMs ?? 30_000,
      cacheMaxAge: 10 * 60_000,
      timeoutDuration: 5_000,
    });
    return { keys, fetchedAt: Date.now() };
  }
}

/** Why jose refused a token, in words that name no part of the token. */
function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim "${err.claim}" ${err.reason === 'check_failed' ? 'is not as expected' : err.reason}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its signature algorithm is not allowed';
  if (err instanceof errors.JWKSNoMatchingKey) return 'signed with a key the issuer does not publish';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return 'not a well-formed signed JWT';
  return 'not a valid token';
}
