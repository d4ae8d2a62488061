// Tokens from the dev OpenID provider the test run starts (scripts/services/oidc.sh, dev/oidc/main.ts):
// real client credentials grants, one confidential client per test identity.
import { clientCredentialsToken } from '../../dev/oidc/client-credentials.js';
import { DEV_ADMIN_GROUP } from '../../dev/oidc/main-settings.js';

export const AUDIENCE = 'urn:featurestore';

/** The running provider's issuer (the test run sets it), or undefined when tests run without it. */
export const TEST_ISSUER = process.env['FEATURESTORE_TEST_OIDC_ISSUER'];

/** Settings of a host that trusts `issuer`, with the dev provider's admin group. */
export function oidcEnv(issuer: string): Record<string, string> {
  return { FEATURESTORE_AUTH: 'oidc', FEATURESTORE_OIDC_ISSUER: issuer, FEATURESTORE_OIDC_AUDIENCE: AUDIENCE, FEATURESTORE_OIDC_ADMIN_GROUP: DEV_ADMIN_GROUP };
}

/** An access token for a service client of the provider (client credentials grant; secret "<id>-secret"). */
export const serviceToken = (issuer: string, clientId: string, secret = `${clientId}-secret`): Promise<string> =>
  clientCredentialsToken(issuer, clientId, secret, AUDIENCE);
