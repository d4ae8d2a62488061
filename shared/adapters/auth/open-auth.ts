import type { Authenticator } from '../../core/ports/authenticator.js';
import type { Authorizer } from '../../core/ports/authorizer.js';
import { LocalAuthenticator } from './local-authenticator.js';
import { LocalAuthorizer } from './local-authorizer.js';

export interface Auth {
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** Said loudly in the log when the pair is opened (a mode an operator must know about), if any. */
  warning?: string;
}

/** Who callers are and what they may do, by type (FEATURESTORE_AUTH). OpenID Connect joins this table with issue #14. */
export const AUTHS = {
  local: (): Auth => ({
    authenticator: new LocalAuthenticator(),
    authorizer: new LocalAuthorizer(),
    warning: 'authentication is OFF: every caller acts as the local user with full rights (embedded default; do not expose this port)',
  }),
} as const satisfies Record<string, () => Auth>;

export type AuthType = keyof typeof AUTHS;
export const AUTH_TYPES = Object.keys(AUTHS) as AuthType[];
