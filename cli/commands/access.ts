import type { Command } from 'commander';
import { AccessRequest, AccessRequestState, Permission, Principal, Role } from '../../shared/gen/featurestore/v1/access.js';
import { unary } from '../client.js';
import { table, time } from '../format.js';
import { action, enumOption, examples, print } from '../program.js';

const roleOption = enumOption('ROLE_', Role);
const roleText = (r: Role) => (Role[r] ?? String(r)).replace('ROLE_', '').toLowerCase();
const stateText = (s: AccessRequestState) => (AccessRequestState[s] ?? String(s)).replace('ACCESS_REQUEST_STATE_', '').toLowerCase();

/** "project" or "project/feature_set". */
function resource(arg: string): { project: string; featureSet: string } {
  const [project = '', featureSet = '', ...rest] = arg.split('/');
  if (rest.length > 0) throw new Error(`"${arg}" is not a project or project/feature_set`);
  return { project, featureSet };
}

const permissionRows = (ps: Permission[]) =>
  table(
    ['RESOURCE', 'PRINCIPAL', 'ROLE', 'GRANTED BY', 'SINCE'],
    ps.map((p) => [
      p.resource?.featureSet ? `${p.resource.project}/${p.resource.featureSet}` : (p.resource?.project ?? ''),
      p.principalId,
      roleText(p.role),
      p.grantedBy,
      time(p.createTime),
    ]),
  );

const requestRows = (rs: AccessRequest[]) =>
  table(
    ['ID', 'RESOURCE', 'PRINCIPAL', 'ROLE', 'STATE', 'REASON', 'ASKED'],
    rs.map((r) => [
      r.id,
      r.resource?.featureSet ? `${r.resource.project}/${r.resource.featureSet}` : (r.resource?.project ?? ''),
      r.principalId,
      roleText(r.role),
      stateText(r.state),
      r.reason,
      time(r.createTime),
    ]),
  );

export function accessCommands(program: Command): void {
  program
    .command('whoami')
    .description('who the feature store takes you for, and whether you are an admin')
    .addHelpText('after', examples('featurestore whoami'))
    .action(
      action(async (c, opts) => {
        const me = await unary(c.access, c.access.whoAmI, {});
        print(opts, Principal.toJSON(me), () => `${me.id}${me.name ? ` (${me.name}${me.email ? `, ${me.email}` : ''})` : ''}${me.admin ? ', admin' : ''}`);
      }),
    );

  const access = program.command('access').description('roles on projects and feature sets, and access requests');

  access
    .command('grant <resource> <principal> <role>')
    .description('give a principal a role on a project or project/feature_set (owner, editor, sensitive_consumer, consumer, viewer)')
    .addHelpText(
      'after',
      examples('featurestore access grant fraud alice@example.com editor', 'featurestore access grant fraud/transactions bob@example.com consumer'),
    )
    .action(
      action(async (c, opts, on: string, principalId: string, role: string) => {
        const p = await unary(c.access, c.access.grantPermission, { resource: resource(on), principalId, role: roleOption(role) });
        print(opts, Permission.toJSON(p), () => `${principalId} is ${roleText(p.role)} on ${on}`);
      }),
    );

  access
    .command('revoke <resource> <principal> <role>')
    .description('take a role away')
    .addHelpText('after', examples('featurestore access revoke fraud/transactions bob@example.com consumer'))
    .action(
      action(async (c, opts, on: string, principalId: string, role: string) => {
        await unary(c.access, c.access.revokePermission, { resource: resource(on), principalId, role: roleOption(role) });
        print(opts, { revoked: { resource: on, principalId, role } }, () => `${principalId} is no longer ${role} on ${on}`);
      }),
    );

  access
    .command('list <resource>')
    .description('who holds which role on a project (and its feature sets) or on one feature set')
    .addHelpText('after', examples('featurestore access list fraud'))
    .action(
      action(async (c, opts, on: string) => {
        const all: Permission[] = [];
        let pageToken = '';
        do {
          const page = await unary(c.access, c.access.listPermissions, { resource: resource(on), pageSize: 0, pageToken });
          all.push(...page.permissions);
          pageToken = page.nextPageToken;
        } while (pageToken);
        print(
          opts,
          all.map((p) => Permission.toJSON(p)),
          () => (all.length ? permissionRows(all) : `no roles granted on ${on}`),
        );
      }),
    );

  access
    .command('request <resource> <role>')
    .description("ask the resource's owners for a role")
    .option('-r, --reason <text>', 'why you need it', '')
    .addHelpText('after', examples('featurestore access request fraud/transactions consumer -r "fraud model features"'))
    .action(
      action(async (c, opts, on: string, role: string, o: { reason: string }) => {
        const r = await unary(c.access, c.access.requestAccess, { resource: resource(on), role: roleOption(role), reason: o.reason });
        print(opts, AccessRequest.toJSON(r), () => `asked for ${roleText(r.role)} on ${on}: request ${r.id}`);
      }),
    );

  access
    .command('requests <resource>')
    .description("access requests on a project or feature set (owners' view)")
    .option('--state <state>', 'pending, approved, rejected, withdrawn', enumOption('ACCESS_REQUEST_STATE_', AccessRequestState), 0)
    .addHelpText('after', examples('featurestore access requests fraud --state pending'))
    .action(
      action(async (c, opts, on: string, o: { state: number }) => {
        const page = await unary(c.access, c.access.listAccessRequests, { resource: resource(on), state: o.state, pageSize: 0, pageToken: '' });
        print(
          opts,
          page.accessRequests.map((r) => AccessRequest.toJSON(r)),
          () => (page.accessRequests.length ? requestRows(page.accessRequests) : `no access requests on ${on}`),
        );
      }),
    );

  for (const [verb, what] of [
    ['approve', 'grant the requested role'],
    ['reject', 'turn the request down'],
    ['withdraw', 'take back your own pending request'],
  ] as const) {
    const command = access.command(`${verb} <id>`).description(what);
    if (verb === 'reject') command.option('-r, --reason <text>', 'why', '');
    command.addHelpText('after', examples(`featurestore access ${verb} 3f2b8c1e-0d4a-4c8e-9b1a-7e6f5d4c3b2a`)).action(
      action(async (c, opts, id: string, o: { reason?: string }) => {
        const r =
          verb === 'approve'
            ? await unary(c.access, c.access.approveAccess, { id })
            : verb === 'reject'
              ? await unary(c.access, c.access.rejectAccess, { id, reason: o.reason ?? '' })
              : await unary(c.access, c.access.withdrawAccess, { id });
        print(opts, AccessRequest.toJSON(r), () => `request ${r.id} ${stateText(r.state)}`);
      }),
    );
  }
}
