// A service's access token from the dev provider: the client credentials grant, for the store's
// audience (tests and benchmarks).

/** An access token for confidential client `clientId` of the provider at `issuer`. */
export async function clientCredentialsToken(issuer: string, clientId: string, secret: string, audience: string): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'featurestore', resource: audience }),
  });
  const body = (await res.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`the provider gave ${clientId} no token: ${res.status} ${body.error_description}`);
  return body.access_token;
}
