// OpenID Connect end to end: real tokens from a real provider (oidc-provider on 127.0.0.1) through
// real flows -- client credentials for services, the device flow for a person -- accepted by a host
// that trusts it; and every token attack refused with UNAUTHENTICATED. Hand-made JWTs appear only in
// the attack cases, signed with the in-process provider's own keys so that each is refused for the
// one thing wrong with it (a control case signs a well-formed token the same way and is accepted).
import { Metadata, status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { after, before, describe, it } from 'node:test';
import { approveDeviceCode } from '../../dev/oidc/device-login.js';
import { newSigningKeys, startOidcProvider, type RunningProvider } from '../../dev/oidc/provider.js';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { AUDIENCE, oidcEnv, serviceToken, TEST_ISSUER } from '../support/oidc.js';

const whoAmI = (port: number, token?: string) => {
  const c = clients(port, token);
  return unary(c.access, c.access.whoAmI, {}).finally(() => c.close());
};

describe('OpenID Connect with the dev provider of the test run', { skip: !TEST_ISSUER && 'needs the dev OpenID provider (make test starts it)' }, () => {
  const issuer = TEST_ISSUER!;
  let host: RunningHost;
  before(async () => {
    host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory', ...oidcEnv(issuer) });
  });
  after(() => host.stop());

  it('a call without a token is UNAUTHENTICATED and says what to send', async () => {
    await rejectsWith(whoAmI(host.port), status.UNAUTHENTICATED, undefined, /Bearer <token>/);
  });

  it('a service signs in with the client credentials grant; the admin group makes an admin', async () => {
    assert.deepEqual(await whoAmI(host.port, await serviceToken(issuer, 'svc-consumer')), { id: 'svc-consumer', name: '', email: '', admin: false });
    assert.equal((await whoAmI(host.port, await serviceToken(issuer, 'svc-admin'))).admin, true);
  });

  it('a person signs in with the device flow; name and email come from the claims', async () => {
    const started = await fetch(`${issuer}/device/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'featurestore-cli', scope: 'openid email profile offline_access featurestore', resource: AUDIENCE }),
    });
    const device = (await started.json()) as { device_code: string; verification_uri_complete: string };
    await approveDeviceCode(device.verification_uri_complete, 'alice');
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: 'featurestore-cli' }),
    });
    const tokens = (await res.json()) as { access_token: string; refresh_token?: string };
    assert.ok(tokens.refresh_token, 'people get a refresh token');
    assert.deepEqual(await whoAmI(host.port, tokens.access_token), { id: 'alice', name: 'alice', email: 'alice@example.test', admin: false });
  });

  it("a personal access token acts as its creator, without the provider's token", async () => {
    const c = clients(host.port, await serviceToken(issuer, 'svc-viewer'));
    try {
      const { secret } = await unary(c.access, c.access.createToken, { name: 'ci', ttl: undefined });
      assert.equal((await whoAmI(host.port, secret)).id, 'svc-viewer');
    } finally {
      c.close();
    }
  });
});

describe('token attacks: each refused with UNAUTHENTICATED', () => {
  let provider: RunningProvider;
  let second: RunningProvider;
  let host: RunningHost;
  let jwksFetches = 0;
  const signer = (key: JWK) => importJWK(key, key.alg);
  /** A token as the trusted provider would issue it, with `claims` and `header` changed. */
  async function forged(claims: JWTPayload = {}, header: Record<string, unknown> = {}, key: JWK = provider.keys[0]): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'mallory', iss: provider.issuer, aud: AUDIENCE, iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: key.alg!, kid: key.kid, typ: 'at+jwt', ...header })
      .sign(await signer(key));
  }
  const refused = (token: string, why?: RegExp) => rejectsWith(whoAmI(host.port, token), status.UNAUTHENTICATED, undefined, why);

  before(async () => {
    const services = [{ id: 'svc', secret: 'svc-secret' }];
    provider = await startOidcProvider({ audience: AUDIENCE, services, onRequest: (path) => path === '/jwks' && jwksFetches++ });
    second = await startOidcProvider({ audience: AUDIENCE, services });
    host = await startTestHost(ALL_FUNCTIONS, {
      FEATURESTORE_METADATA_URL: 'pglite:memory',
      ...oidcEnv(provider.issuer),
      FEATURESTORE_OIDC_CLOCK_SKEW_SECONDS: '30',
      FEATURESTORE_OIDC_JWKS_COOLDOWN_SECONDS: '1',
    });
  });
  after(async () => {
    await host.stop();
    await Promise.all([provider.close(), second.close()]);
  });

  it('controls: a real token and well-formed hand-made ones (RS256, ES256, EdDSA, 20 s past expiry within the skew) are accepted', async () => {
    assert.equal((await whoAmI(host.port, await serviceToken(provider.issuer, 'svc'))).id, 'svc');
    for (const key of provider.keys) assert.equal((await whoAmI(host.port, await forged({}, {}, key))).id, 'mallory', key.alg);
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await whoAmI(host.port, await forged({ exp: now - 20 }))).id, 'mallory');
  });

  it('alg none', async () => {
    const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'mallory', iss: provider.issuer, aud: AUDIENCE, exp: now + 300 })}.`;
    await refused(token);
  });

  it("HS256 signed with the provider's public key", async () => {
    const rsa = provider.keys.find((k) => k.alg === 'RS256')!;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = rsa;
    const now = Math.floor(Date.now() / 1000);
    for (const secret of [new TextEncoder().encode(JSON.stringify(publicJwk)), new TextEncoder().encode(rsa.n)]) {
      const token = await new SignJWT({ sub: 'mallory', iss: provider.issuer, aud: AUDIENCE, exp: now + 300 })
        .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
        .sign(secret);
      await refused(token, /algorithm is not allowed/);
    }
  });

  it('expired, not yet valid, no expiry', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await forged({ exp: now - 120 }), /expired/);
    await refused(await forged({ nbf: now + 120 }), /nbf/);
    await refused(await forged({ exp: undefined }), /exp/);
  });

  it('wrong issuer, wrong audience', async () => {
    await refused(await forged({ iss: second.issuer }), /iss/);
    await refused(await forged({ aud: 'urn:another-api' }), /aud/);
  });

  it('a bad signature', async () => {
    const token = await forged();
    const [h, p, s] = token.split('.');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await refused(`${h}.${p}.${flipped}`);
    // The claims changed under a valid signature.
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'admin' })).toString('base64url');
    await refused(`${h}.${other}.${s}`, /bad signature/);
  });

  it('an unknown kid (a key the provider does not publish), fetching the key set again at most once per cooldown', async () => {
    const [stranger] = await newSigningKeys(['RS256']);
    const before = jwksFetches;
    await refused(await forged({}, {}, stranger), /key the issuer does not publish/);
    await refused(await forged({}, {}, { ...stranger, kid: 'another-unknown' }));
    assert.ok(jwksFetches - before <= 1, `an unknown kid refetched the key set ${jwksFetches - before} times`);
  });

  it('a token from a second provider', async () => {
    await refused(await serviceToken(second.issuer, 'svc'));
    // Its keys, claiming to be the trusted issuer (and borrowing its kid).
    await refused(await forged({}, { kid: provider.keys[0].kid }, { ...second.keys[0], kid: provider.keys[0].kid }), /bad signature/);
  });

  it('an oversized authorization header, and a header that is not a bearer token', async () => {
    await refused(`${'a'.repeat(9000)}`, /too long/);
    const c = clients(host.port);
    try {
      const md = new Metadata();
      md.set('authorization', 'Basic c3ZjOnN2Yy1zZWNyZXQ=');
      await rejectsWith(
        new Promise((resolve, reject) => c.access.whoAmI({}, md, (err, res) => (err ? reject(err) : resolve(res)))),
        status.UNAUTHENTICATED,
        undefined,
        /must be "Bearer <token>"/,
      );
    } finally {
      c.close();
    }
  });

  it('a revoked, an expired, and a one-character-changed personal access token', async () => {
    const c = clients(host.port, await serviceToken(provider.issuer, 'svc'));
    try {
      const revoked = await unary(c.access, c.access.createToken, { name: 'revoked', ttl: undefined });
      assert.equal((await whoAmI(host.port, revoked.secret)).id, 'svc', 'the token works before it is revoked');
      await unary(c.access, c.access.revokeToken, { id: revoked.token!.id });
      await refused(revoked.secret, /unknown, revoked or expired/);
      const short = await unary(c.access, c.access.createToken, { name: 'short', ttl: { seconds: '1', nanos: 0 } });
      await new Promise((r) => setTimeout(r, 1100));
      await refused(short.secret, /unknown, revoked or expired/);
      const good = await unary(c.access, c.access.createToken, { name: 'good', ttl: undefined });
      const last = good.secret.at(-1) === 'a' ? 'b' : 'a';
      await refused(`${good.secret.slice(0, -1)}${last}`, /unknown, revoked or expired/);
      assert.equal((await whoAmI(host.port, good.secret)).id, 'svc', 'the unchanged token still works');
    } finally {
      c.close();
    }
  });

  it('key rotation: a token signed with a newly published key is accepted after one refetch', async () => {
    // The provider restarts on its port with a new signing key first (the old one still published).
    const [fresh] = await newSigningKeys(['ES256']);
    const port = provider.port;
    const keys = [fresh, ...provider.keys];
    await provider.close();
    provider = await startOidcProvider({ port, audience: AUDIENCE, services: [], keys, onRequest: (path) => path === '/jwks' && jwksFetches++ });
    // Past the cooldown of the unknown-kid case above.
    await new Promise((r) => setTimeout(r, 1100));
    const before = jwksFetches;
    assert.equal((await whoAmI(host.port, await forged({}, {}, fresh))).id, 'mallory');
    assert.equal(jwksFetches - before, 1, 'one fetch of the key set');
  });
});
