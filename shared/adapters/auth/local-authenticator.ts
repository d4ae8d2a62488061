import { LOCAL_PRINCIPAL, type Principal } from '../../core/principal.js';
import type { Authenticator } from '../../core/ports/authenticator.js';

/** Authentication off: every caller is the local user (embedded default only). */
export class LocalAuthenticator implements Authenticator {
  async authenticate(): Promise<Principal> {
    return LOCAL_PRINCIPAL;
  }
}
