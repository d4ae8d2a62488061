import type { AccessStore } from '../../core/ports/access-store.js';
import type { Authenticator } from '../../core/ports/authenticator.js';
import type { Authorizer } from '../../core/ports/authorizer.js';
import type { CatalogListener } from '../../core/ports/change-feed.js';
import type { MetadataStore } from '../../core/ports/metadata-store.js';
import { createRoleAuthorizer } from '../../core/use-cases/authorize.js';
import { LocalAuthenticator } from './local-authenticator.js';
import { LocalAuthorizer } from './local-authorizer.js';
import { OidcAuthenticator, type OidcSettings } from './oidc-authenticator.js';

export interface Auth {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** Said loudly in the log when the pair is opened (a mode an operator must know about), if any. */
  warning?: string;
  /** What the authorizer caches about the catalog, kept coherent by its change feed. */
  cache?: CatalogListener;
}

/** What an auth type may need: its settings and the catalog's authorization data. */
export interface AuthContext {
  oidc?: OidcSettings;
  /** How long what a principal holds in a project is cached (changes arrive by NOTIFY at once). */
  permissionMaxAgeMs: number;
  access: () => Promise<AccessStore>;
  store: () => Promise<MetadataStore>;
}

const everyoneIsLocal = (warning: string): Auth => ({ authenticator: new LocalAuthenticator(), authorizer: new LocalAuthorizer(), warning });

/**
 * Who callers are and what they may do, by type (FEATURESTORE_AUTH). `local`: the embedded
 * default's single user (loopback only); `oidc`: OpenID Connect bearer tokens and roles from the
 * catalog; `insecure`: every caller is an admin, anywhere (an explicit, loudly logged choice).
 * Personal access tokens are checked before any of them (Dependencies).
 */
export const AUTHS = {
  local: (): Auth => everyoneIsLocal('authentication is OFF: every caller acts as the local user with full rights (embedded default; loopback only)'),
  insecure: (): Auth =>
    everyoneIsLocal(
      'FEATURESTORE_AUTH=insecure: authentication is OFF and every caller is an admin; anyone who reaches this port may read and change everything. Set FEATURESTORE_OIDC_ISSUER instead',
    ),
  oidc: (ctx: AuthContext): Auth => {
    if (!ctx.oidc) throw new Error('FEATURESTORE_AUTH=oidc needs FEATURESTORE_OIDC_ISSUER');
    const authorizer = createRoleAuthorizer({ access: ctx.access, store: ctx.store, maxAgeMs: ctx.permissionMaxAgeMs });
    return {
      authenticator: new OidcAuthenticator(ctx.oidc),
      authorizer,
      cache: { invalidate: (change) => authorizer.invalidate(change.project), clear: () => authorizer.clear() },
    };
  },
} as const satisfies Record<string, (ctx: AuthContext) => Auth>;

export type AuthType = keyof typeof AUTHS;
export const AUTH_TYPES = Object.keys(AUTHS) as AuthType[];
