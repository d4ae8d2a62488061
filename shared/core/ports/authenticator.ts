import type { Principal } from '../principal.js';

/**
 * Turns a call's credentials (the `authorization` header: an OIDC bearer token or a personal access
 * token) into a principal. Throws Unauthenticated, saying what to send, when they are missing or
 * invalid. Never logs or returns the token itself.
 */
export interface Authenticator {
  authenticate(credentials: Credentials): Promise<Principal>;
}

/** What a call presents. */
export interface Credentials {
  /** The `authorization` header, as sent. */
  authorization: string | undefined;
  /**
   * The call's cancellation, for a check that waits on I/O (a token lookup). The gRPC binding makes
   * it when first read, so an authenticator that answers from memory should not read it.
   */
  readonly signal?: AbortSignal;
}
