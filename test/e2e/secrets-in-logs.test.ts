// No token secret reaches a log line: the all-in-one host in its own process, logging at trace,
// issues a personal access token, is called with it, with a forged one and after revoking it; then
// every line it wrote is searched for each secret it saw.
import { Metadata, status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { spawnFunction, type Spawned } from '../support/process.js';
import { oidcEnv, serviceToken, TEST_ISSUER } from '../support/oidc.js';

describe('secrets stay out of the logs', () => {
  let running: Spawned | undefined;
  after(() => void running?.child.kill('SIGKILL'));

  it(
    'logs calls made with OpenID Connect tokens (at trace) without any token',
    { skip: !TEST_ISSUER && 'needs the dev OpenID provider (make test starts it)' },
    async () => {
      const oidc = await spawnFunction(
        'functions/all-in-one/main.ts',
        { FEATURESTORE_METADATA_URL: 'pglite:memory', LOG_LEVEL: 'trace', ...oidcEnv(TEST_ISSUER!) },
        60_000,
      );
      const token = await serviceToken(TEST_ISSUER!, 'svc-viewer');
      const c = clients(oidc.port, token);
      try {
        assert.equal((await unary(c.access, c.access.whoAmI, {})).id, 'svc-viewer');
        const pat = await unary(c.access, c.access.createToken, { name: 'logged', ttl: undefined });
        const [header, payload, signature] = token.split('.');
        const forged = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
        const bad = clients(oidc.port, forged);
        await rejectsWith(unary(bad.access, bad.access.whoAmI, {}), status.UNAUTHENTICATED);
        bad.close();
        oidc.child.kill('SIGTERM');
        assert.equal(await oidc.exited, 0);
        const log = oidc.lines.join('\n');
        assert.ok(/WhoAmI|whoAmI/.test(log) && /refused/.test(log), 'the calls and the refusal were logged');
        for (const secret of [token, signature, payload, forged, pat.secret])
          assert.ok(!log.includes(secret), `a secret in the log: ${secret.slice(0, 10)}...`);
      } finally {
        c.close();
        oidc.child.kill('SIGKILL');
      }
    },
  );

  it('logs calls made with tokens (at trace) without any token secret', async () => {
    running = await spawnFunction('functions/all-in-one/main.ts', { FEATURESTORE_METADATA_URL: 'pglite:memory', LOG_LEVEL: 'trace' }, 60_000);
    const c = clients(running.port);
    const as = (secret: string) =>
      new Promise<unknown>((resolve, reject) => {
        const md = new Metadata();
        md.set('authorization', `Bearer ${secret}`);
        c.access.whoAmI({}, md, (err, res) => (err ? reject(err) : resolve(res)));
      });
    try {
      const created = await unary(c.access, c.access.createToken, { name: 'logged', ttl: undefined });
      await as(created.secret);
      const forged = `fspat_${created.secret.slice(6, 18)}_${'Q'.repeat(43)}`;
      await rejectsWith(as(forged), status.UNAUTHENTICATED);
      await unary(c.access, c.access.revokeToken, { id: created.token!.id });
      await rejectsWith(as(created.secret), status.UNAUTHENTICATED);
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
      const log = running.lines.join('\n');
      assert.ok(running.lines.length > 10 && /CreateToken|createToken/.test(log), 'the calls were logged');
      for (const secret of [created.secret, created.secret.slice(19), forged])
        assert.ok(!log.includes(secret), `a secret in the log: ${secret.slice(0, 10)}...`);
    } finally {
      c.close();
    }
  });
});
