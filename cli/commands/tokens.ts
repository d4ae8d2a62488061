import type { Command } from 'commander';
import { Token } from '../../shared/gen/featurestore/v1/access.js';
import { unary } from '../client.js';
import { table, time } from '../format.js';
import { action, durationOption, examples, print } from '../program.js';

export function tokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('personal access tokens: for scripts and services, sent as FEATURESTORE_TOKEN');

  tokens
    .command('create <name>')
    .description('make a token that acts as you; its secret is shown this once')
    .option('--ttl <duration>', 'how long it lasts, e.g. 30d (default 90d, at most 366d)', durationOption)
    .addHelpText('after', examples('featurestore tokens create nightly-training --ttl 30d'))
    .action(
      action(async (c, opts, name: string, o: { ttl?: { seconds: string; nanos: number } }) => {
        const created = await unary(c.access, c.access.createToken, { name, ttl: o.ttl });
        print(
          opts,
          { token: Token.toJSON(created.token!), secret: created.secret },
          () =>
            `token ${created.token!.id} (${name}), valid until ${time(created.token!.expireTime)}\n` +
            `secret (shown once; store it now):\n  ${created.secret}\n` +
            `use it with: export FEATURESTORE_TOKEN=<the secret>`,
        );
      }),
    );

  tokens
    .command('list')
    .description('your tokens (never their secrets), newest first')
    .addHelpText('after', examples('featurestore tokens list'))
    .action(
      action(async (c, opts) => {
        const page = await unary(c.access, c.access.listTokens, { pageSize: 0, pageToken: '' });
        print(
          opts,
          page.tokens.map((t) => Token.toJSON(t)),
          () =>
            page.tokens.length
              ? table(
                  ['ID', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED'],
                  page.tokens.map((t) => [t.id, t.name, time(t.createTime), time(t.expireTime), t.lastUseTime ? time(t.lastUseTime) : 'never']),
                )
              : 'no tokens: create one with `featurestore tokens create NAME`',
        );
      }),
    );

  tokens
    .command('revoke <id>')
    .description('stop a token from working, at once')
    .addHelpText('after', examples('featurestore tokens revoke 3f2b8c1e-0d4a-4c8e-9b1a-7e6f5d4c3b2a'))
    .action(
      action(async (c, opts, id: string) => {
        await unary(c.access, c.access.revokeToken, { id });
        print(opts, { revoked: id }, () => `token ${id} revoked`);
      }),
    );
}
