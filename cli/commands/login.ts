import type { Command } from 'commander';
import { credentialsPath, forgetCredentials, postForm, saveCredentials } from '../credentials.js';
import { examples } from '../program.js';

interface LoginOptions {
  issuer?: string;
  clientId: string;
  audience: string;
  scope: string;
}

/** What the token's payload says about who it names (read, not verified: the store verifies it). */
function subjectOf(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub?: string; email?: string };
    return payload.email || payload.sub || 'you';
  } catch {
    return 'you';
  }
}

/**
 * The OAuth 2.0 device flow (RFC 8628) against the issuer: shows a link and a code, waits while the
 * user confirms in a browser, and caches the tokens for later commands.
 */
async function login(o: LoginOptions): Promise<void> {
  if (!o.issuer) throw new Error('name the OpenID provider: --issuer URL (or FEATURESTORE_OIDC_ISSUER)');
  const issuer = o.issuer.replace(/\/$/, '');
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) })).json()) as {
    device_authorization_endpoint?: string;
    token_endpoint?: string;
  };
  if (!discovery.device_authorization_endpoint || !discovery.token_endpoint) {
    throw new Error(`${issuer} does not offer the device flow (no device_authorization_endpoint): sign in elsewhere and set FEATURESTORE_TOKEN`);
  }
  const device = await postForm<{
    device_code?: string;
    user_code?: string;
    verification_uri?: string;
    verification_uri_complete?: string;
    interval?: number;
    expires_in?: number;
    error?: string;
    error_description?: string;
  }>(discovery.device_authorization_endpoint, { client_id: o.clientId, scope: o.scope, ...(o.audience ? { resource: o.audience } : {}) });
  if (!device.device_code) throw new Error(`${issuer} refused to start a sign-in: ${device.error_description ?? device.error ?? 'no device code'}`);
  process.stderr.write(
    `To sign in, open ${device.verification_uri_complete ?? device.verification_uri} in a browser and confirm the code ${device.user_code}\n`,
  );
  let interval = (device.interval ?? 5) * 1000;
  const until = Date.now() + (device.expires_in ?? 600) * 1000;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, interval));
    const answer = await postForm(discovery.token_endpoint, {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: device.device_code,
      client_id: o.clientId,
    });
    if (answer.access_token) {
      const path = await saveCredentials({
        issuer,
        clientId: o.clientId,
        tokenEndpoint: discovery.token_endpoint,
        accessToken: answer.access_token,
        refreshToken: answer.refresh_token,
        expiresAt: Date.now() + (answer.expires_in ?? 300) * 1000,
      });
      process.stdout.write(`signed in as ${subjectOf(answer.access_token)}; token kept in ${path} (only you can read it)\n`);
      return;
    }
    if (answer.error === 'slow_down') interval += 5_000;
    else if (answer.error !== 'authorization_pending') throw new Error(`the sign-in ended: ${answer.error_description ?? answer.error}`);
    process.stderr.write('.');
  }
  throw new Error('the sign-in code expired before it was confirmed: run featurestore login again');
}

export function loginCommands(program: Command): void {
  program
    .command('login')
    .description('sign in through your OpenID provider (device flow); later commands send the token, refreshed as needed')
    .option('--issuer <url>', 'the OpenID provider (env FEATURESTORE_OIDC_ISSUER)', process.env['FEATURESTORE_OIDC_ISSUER'])
    .option(
      '--client-id <id>',
      'the public client registered for the CLI (env FEATURESTORE_OIDC_CLIENT_ID)',
      process.env['FEATURESTORE_OIDC_CLIENT_ID'] || 'featurestore-cli',
    )
    .option(
      '--audience <aud>',
      "the store's audience, sent as the resource (env FEATURESTORE_OIDC_AUDIENCE)",
      process.env['FEATURESTORE_OIDC_AUDIENCE'] || 'urn:featurestore',
    )
    .option('--scope <scopes>', 'scopes to ask for', 'openid profile email offline_access')
    .addHelpText('after', examples('featurestore login --issuer https://login.example.com/realms/main'))
    .action(async (opts: LoginOptions) => {
      try {
        await login(opts);
      } catch (err) {
        process.exitCode = 1;
        process.stderr.write(`error: ${(err as Error).message}\n`);
      }
    });

  program
    .command('logout')
    .description('forget the token `featurestore login` cached')
    .addHelpText('after', examples('featurestore logout'))
    .action(async () => {
      const had = await forgetCredentials();
      process.stdout.write(had ? `signed out (${credentialsPath()} removed)\n` : 'you were not signed in\n');
    });
}
