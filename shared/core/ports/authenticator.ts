import type { Principal } from '../principal.js';

/**
 * Turns a call's credentials (the `authorization` header: an OIDC bearer token or a personal access
 * token) into a principal. Throws Unauthenticated, saying what to send, when they are missing or
 * invalid. Never logs or returns the token itself.
 */
export interface Authenticator {
  authenticate(headers: Readonly<Record<string, string | undefined>>, signal?: AbortSignal): Promise<Principal>;
}
