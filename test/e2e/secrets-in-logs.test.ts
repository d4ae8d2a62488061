// No token secret reaches a log line: the all-in-one host in its own process, logging at trace,
// issues a personal access token, is called with it, with a forged one and after revoking it; then
// every line it wrote is searched for each secret it saw.
import { Metadata, status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { spawnFunction, type Spawned } from '../support/process.js';

describe('secrets stay out of the logs', () => {
  let running: Spawned | undefined;
  after(() => void running?.child.kill('SIGKILL'));

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
