// A real OpenID provider for tests and local development: oidc-provider (npm) on 127.0.0.1,
// issuing JWT access tokens for the store's audience through real flows: client credentials for
// services, the device flow for people (`featurestore login`). Never deployed; production trusts
// the company's SSO through FEATURESTORE_OIDC_ISSUER.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors } from 'oidc-provider';

export interface ServiceClient {
  id: string;
  secret: string;
  /** Groups put in its tokens (e.g. the admin group). */
  groups?: string[];
}

export interface OidcProviderOptions {
  host?: string;
  port?: number;
  /** The resource tokens are issued for (the store's FEATURESTORE_OIDC_AUDIENCE). */
  audience: string;
  /** Confidential clients allowed the client credentials grant; their tokens' `sub` is their id. */
  services: ServiceClient[];
  /** The public client people sign in with through the device flow. */
  cliClientId?: string;
  /** Groups of people by login name (people not named have none). */
  peopleGroups?: Record<string, string[]>;
  /** Private signing keys (JWK with kid and alg); fresh RS256, ES256 and EdDSA keys when absent. */
  keys?: JWK[];
  accessTokenSeconds?: number;
  /** Sees the path of every request (tests count key set fetches). */
  onRequest?: (path: string) => void;
}

export interface RunningProvider {
  issuer: string;
  port: number;
  keys: JWK[];
  close(): Promise<void>;
}

/** Fresh private signing keys, one per algorithm, each with its own kid. */
export async function newSigningKeys(algs: Array<'RS256' | 'ES256' | 'EdDSA'> = ['RS256', 'ES256', 'EdDSA']): Promise<JWK[]> {
  return Promise.all(
    algs.map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
      const jwk = await exportJWK(privateKey);
      return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}` };
    }),
  );
}

export async function startOidcProvider(o: OidcProviderOptions): Promise<RunningProvider> {
  const host = o.host ?? '127.0.0.1';
  const keys = o.keys ?? (await newSigningKeys());
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${host}:${port}`;
  const groupsOfClient = new Map(o.services.map((s) => [s.id, s.groups ?? []]));
  const person = (id: string) => ({ email: `${id}@example.test`, name: id, groups: o.peopleGroups?.[id] ?? [] });
  const ttl = o.accessTokenSeconds ?? 3600;

  const provider = new Provider(issuer, {
    clients: [
      ...o.services.map((s) => ({
        client_id: s.id,
        client_secret: s.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      })),
      {
        client_id: o.cliClientId ?? 'featurestore-cli',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys },
    scopes: ['openid', 'email', 'profile', 'offline_access', 'featurestore'],
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...person(sub) }) }),
    // People may always get a refresh token (the CLI refreshes its cached token with it).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    extraTokenClaims: (_ctx, token) => {
      const t = token as { accountId?: string; clientId?: string };
      if (t.accountId) return person(t.accountId);
      return { groups: groupsOfClient.get(t.clientId ?? '') ?? [] };
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => o.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== o.audience) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          return { scope: 'featurestore', audience: o.audience, accessTokenTTL: ttl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    ttl: { ClientCredentials: ttl, DeviceCode: 600, RefreshToken: 86_400, Interaction: 600, Session: 3600, Grant: 86_400 },
    // Tests see errors in their answers; nothing here is worth a console line.
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  provider.proxy = false;
  const handle = provider.callback();
  server.on('request', (req, res) => {
    o.onRequest?.(new URL(req.url ?? '/', issuer).pathname);
    void handle(req, res);
  });
  return {
    issuer,
    port,
    keys,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
