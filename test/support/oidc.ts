// Tokens from the dev OpenID provider the test run starts (scripts/services/oidc.sh, dev/oidc/main.ts):
// real client credentials grants, one confidential client per test identity.
import { DEV_ADMIN_GROUP } from '../../dev/oidc/main-settings.js';

export const AUDIENCE = 'urn:featurestore';

/** The running provider's issuer (the test run sets it), or undefined when tests run without it. */
export const TEST_ISSUER = process.env['FEATURESTORE_TEST_OIDC_ISSUER'];

/** Settings of a host that trusts `issuer`, with the dev provider's admin group. */
export function oidcEnv(issuer: string): Record<string, string> {
  return { FEATURESTORE_AUTH: 'oidc', FEATURESTORE_OIDC_ISSUER: issuer, FEATURESTORE_OIDC_AUDIENCE: AUDIENCE, FEATURESTORE_OIDC_ADMIN_GROUP: DEV_ADMIN_GROUP };
}

/** An access token for a service client of the provider (client credentials grant; secret "<id>-secret"). */
export async function serviceToken(issuer: string, clientId: string, secret = `${clientId}-secret`): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'featurestore', resource: AUDIENCE }),
  });
  const body = (await res.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`the provider gave ${clientId} no token: ${res.status} ${body.error_description}`);
  return body.access_token;
}
