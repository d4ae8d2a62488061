// `featurestore login`: the real binary runs the device flow against the dev OpenID provider, a
// person (played by approveDeviceCode) confirms it, the token is cached readable by its owner only,
// later commands send it, an expired one is refreshed, and logout forgets it.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { approveDeviceCode } from '../../dev/oidc/device-login.js';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { startTestHost } from '../support/hosts.js';
import { oidcEnv, TEST_ISSUER } from '../support/oidc.js';
import { REPO } from '../support/process.js';

const BIN = join(REPO, 'cli', 'bin.js');
const run = promisify(execFile);

describe('featurestore login', { skip: !TEST_ISSUER && 'needs the dev OpenID provider (make test starts it)' }, () => {
  let host: RunningHost;
  const config = mkdtempSync(join(tmpdir(), 'fs-login-'));
  let env: NodeJS.ProcessEnv;
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(BIN, args, { env, cwd: REPO });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return e;
    }
  };
  before(async () => {
    host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory', ...oidcEnv(TEST_ISSUER!) });
    const { FEATURESTORE_TOKEN: _ignored, ...rest } = process.env;
    env = { ...rest, XDG_CONFIG_HOME: config, FEATURESTORE_ENDPOINT: `127.0.0.1:${host.port}`, FEATURESTORE_OIDC_ISSUER: TEST_ISSUER };
  });
  after(() => host.stop());

  it('signs in through the device flow, caches the token 0600, sends it, refreshes it, and forgets it on logout', async () => {
    assert.match((await cli('whoami')).stderr, /UNAUTHENTICATED/, 'not signed in yet');
    const child = spawn(BIN, ['login'], { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const link = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stderr }).on('line', (line) => {
        const m = /open (\S+) in a browser and confirm the code (\S+)/.exec(line);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`login exited (${code}) before showing a link`)));
    });
    await approveDeviceCode(link, 'carol');
    assert.equal(await exited, 0);
    assert.match(stdout, /signed in as carol@example\.test/);

    const file = join(config, 'featurestore', 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'only its owner may read the cached token');
    assert.equal(statSync(join(config, 'featurestore')).mode & 0o777, 0o700);
    assert.equal((await cli('whoami')).stdout.trim(), 'carol (carol, carol@example.test)');

    // The access token expired: the next command refreshes it first.
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { accessToken: string; expiresAt: number; refreshToken: string };
    assert.ok(cached.refreshToken);
    writeFileSync(file, JSON.stringify({ ...cached, expiresAt: Date.now() - 1000 }));
    assert.equal((await cli('whoami')).stdout.trim(), 'carol (carol, carol@example.test)');
    const refreshed = JSON.parse(readFileSync(file, 'utf8')) as { accessToken: string; expiresAt: number };
    assert.notEqual(refreshed.accessToken, cached.accessToken);
    assert.ok(refreshed.expiresAt > Date.now());
    assert.equal(statSync(file).mode & 0o777, 0o600);

    assert.match((await cli('logout')).stdout, /signed out/);
    assert.ok(!existsSync(file));
    assert.match((await cli('whoami')).stderr, /UNAUTHENTICATED/);
  });
});
