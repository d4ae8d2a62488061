import type { Authorizer } from '../../core/ports/authorizer.js';

/**
 * The embedded default's authorizer: authentication is off and the single local user may do
 * everything. The host logs a warning at start whenever this is in use.
 */
export class LocalAuthorizer implements Authorizer {
  async authorize(): Promise<void> {}
}
