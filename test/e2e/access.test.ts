// AccessService through gRPC on the all-in-one host (PGlite): who the caller is, roles granted,
// listed and revoked, access requests approved, rejected and withdrawn, each change an event in the
// outbox, and bad input answered with the field at fault. (The embedded default's one caller is the
// local admin; checks against other principals come with authentication, issue #14.)
import { Metadata, status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { AccessRequestState, Role } from '../../shared/gen/featurestore/v1/access.js';
import { EventTypes } from '../../shared/core/events.js';
import { EVENT_DELIVERY_CHANNEL, type RunningHost } from '../../shared/runtime/host.js';
import { clients, projectWithFeatureSet, rejectsWith, unary } from '../support/grpc.js';
import { eventually } from '../support/helpers.js';
import { startTestHost } from '../support/hosts.js';

describe('AccessService (embedded default)', () => {
  let host: RunningHost;
  let c: ReturnType<typeof clients>;
  before(async () => {
    host = await startTestHost(ALL_FUNCTIONS, { FEATURESTORE_METADATA_URL: 'pglite:memory' });
    c = clients(host.port);
    await projectWithFeatureSet(c, 'fraud', 'tx');
  });
  after(async () => {
    c.close();
    await host.stop();
  });
  // Every event the host hands on, as it commits (the audit trail of access changes among them).
  const changes: string[] = [];
  const onEvent = (m: unknown) => {
    const e = m as { type: string; data: { change?: string } };
    if (e.type === EventTypes.accessChanged) changes.push(String(e.data.change));
  };
  before(() => subscribe(EVENT_DELIVERY_CHANNEL, onEvent));
  after(() => unsubscribe(EVENT_DELIVERY_CHANNEL, onEvent));

  it('says who the caller is: the local admin in the embedded default', async () => {
    assert.deepEqual(await unary(c.access, c.access.whoAmI, {}), { id: 'local', name: 'local user', email: '', admin: true });
  });

  it('grants, lists and revokes roles on projects and feature sets; a grant repeated changes nothing', async () => {
    const grant = (featureSet: string, principalId: string, role: Role) =>
      unary(c.access, c.access.grantPermission, { resource: { project: 'fraud', featureSet }, principalId, role });
    const first = await grant('', 'alice@example.com', Role.ROLE_EDITOR);
    assert.deepEqual(
      [first.resource, first.principalId, first.role, first.grantedBy],
      [{ project: 'fraud', featureSet: '' }, 'alice@example.com', Role.ROLE_EDITOR, 'local'],
    );
    assert.deepEqual((await grant('', 'alice@example.com', Role.ROLE_EDITOR)).createTime, first.createTime);
    await grant('tx', 'bob@example.com', Role.ROLE_CONSUMER);
    const list = async (featureSet: string) =>
      (await unary(c.access, c.access.listPermissions, { resource: { project: 'fraud', featureSet }, pageSize: 1, pageToken: '' })).permissions.map(
        (p) => `${p.resource?.featureSet}:${p.principalId}:${Role[p.role]}`,
      );
    assert.deepEqual(await list(''), [':alice@example.com:ROLE_EDITOR'], 'the first page of one');
    const page = await unary(c.access, c.access.listPermissions, { resource: { project: 'fraud', featureSet: '' }, pageSize: 1, pageToken: '' });
    const next = await unary(c.access, c.access.listPermissions, {
      resource: { project: 'fraud', featureSet: '' },
      pageSize: 1,
      pageToken: page.nextPageToken,
    });
    assert.deepEqual(
      next.permissions.map((p) => p.principalId),
      ['bob@example.com'],
    );
    assert.deepEqual(await list('tx'), ['tx:bob@example.com:ROLE_CONSUMER']);
    await unary(c.access, c.access.revokePermission, {
      resource: { project: 'fraud', featureSet: 'tx' },
      principalId: 'bob@example.com',
      role: Role.ROLE_CONSUMER,
    });
    assert.deepEqual(await list('tx'), []);
    await rejectsWith(
      unary(c.access, c.access.revokePermission, {
        resource: { project: 'fraud', featureSet: 'tx' },
        principalId: 'bob@example.com',
        role: Role.ROLE_CONSUMER,
      }),
      status.NOT_FOUND,
      'principal_id',
      /has no consumer role on fraud\/tx/,
    );
  });

  it('takes access requests: approval grants the role, rejection and withdrawal do not, and a decided request stays decided', async () => {
    const ask = (role: Role, reason: string) => unary(c.access, c.access.requestAccess, { resource: { project: 'fraud', featureSet: 'tx' }, role, reason });
    const r1 = await ask(Role.ROLE_SENSITIVE_CONSUMER, 'fraud model features');
    assert.deepEqual([r1.state, r1.principalId, r1.reason], [AccessRequestState.ACCESS_REQUEST_STATE_PENDING, 'local', 'fraud model features']);
    const approved = await unary(c.access, c.access.approveAccess, { id: r1.id });
    assert.equal(approved.state, AccessRequestState.ACCESS_REQUEST_STATE_APPROVED);
    assert.ok(approved.decideTime);
    const granted = await unary(c.access, c.access.listPermissions, { resource: { project: 'fraud', featureSet: 'tx' }, pageSize: 0, pageToken: '' });
    assert.ok(granted.permissions.some((p) => p.principalId === 'local' && p.role === Role.ROLE_SENSITIVE_CONSUMER));
    await rejectsWith(unary(c.access, c.access.rejectAccess, { id: r1.id, reason: 'late' }), status.FAILED_PRECONDITION, 'id', /APPROVED, no longer pending/);
    const r2 = await ask(Role.ROLE_OWNER, '');
    assert.equal(
      (await unary(c.access, c.access.rejectAccess, { id: r2.id, reason: 'ask for editor' })).state,
      AccessRequestState.ACCESS_REQUEST_STATE_REJECTED,
    );
    const r3 = await ask(Role.ROLE_VIEWER, '');
    assert.equal((await unary(c.access, c.access.withdrawAccess, { id: r3.id })).state, AccessRequestState.ACCESS_REQUEST_STATE_WITHDRAWN);
    const pending = await ask(Role.ROLE_EDITOR, 'backfill');
    const listed = await unary(c.access, c.access.listAccessRequests, {
      resource: { project: 'fraud', featureSet: 'tx' },
      state: AccessRequestState.ACCESS_REQUEST_STATE_PENDING,
      pageSize: 0,
      pageToken: '',
    });
    assert.deepEqual(
      listed.accessRequests.map((r) => r.id),
      [pending.id],
    );
    const expected = ['granted', 'granted', 'revoked', 'requested', 'approved', 'requested', 'rejected', 'requested', 'withdrawn', 'requested'];
    await eventually(async () => changes.length >= expected.length, 10_000, 'the audit events');
    assert.deepEqual(changes, expected, 'every change is in the audit trail, in order (a repeated grant is not)');
  });

  it('issues personal access tokens: the secret once, stored as a hash, accepted as a bearer token until revoked or expired', async () => {
    const created = await unary(c.access, c.access.createToken, { name: 'ci', ttl: undefined });
    assert.match(created.secret, /^fspat_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const days = (Number(created.token!.expireTime!.seconds) * 1000 - Date.now()) / 86_400_000;
    assert.ok(days > 89.9 && days <= 90, `the default lifetime is 90 days, got ${days}`);
    const as = (secret: string) =>
      new Promise<unknown>((resolve, reject) => {
        const md = new Metadata();
        md.set('authorization', `Bearer ${secret}`);
        c.access.whoAmI({}, md, (err, res) => (err ? reject(err) : resolve(res)));
      });
    assert.deepEqual(await as(created.secret), { id: 'local', name: 'local user', email: '', admin: true }, 'the token acts as its creator');
    const listed = await unary(c.access, c.access.listTokens, { pageSize: 0, pageToken: '' });
    assert.ok(!JSON.stringify(listed).includes(created.secret.slice(6)), 'no list shows a secret');
    await eventually(
      async () => (await unary(c.access, c.access.listTokens, { pageSize: 0, pageToken: '' })).tokens.find((t) => t.id === created.token!.id)?.lastUseTime,
      5000,
      'the use recorded',
    );
    const changed = created.secret.slice(0, -1) + (created.secret.endsWith('A') ? 'B' : 'A');
    await rejectsWith(as(changed), status.UNAUTHENTICATED);
    await rejectsWith(as(`fspat_000000000000_${'x'.repeat(43)}`), status.UNAUTHENTICATED, undefined, /unknown, revoked or expired/);
    await rejectsWith(as(`fspat_${'y'.repeat(9000)}`), status.UNAUTHENTICATED, undefined, /too long/);
    const brief = await unary(c.access, c.access.createToken, { name: 'brief', ttl: { seconds: '1', nanos: 0 } });
    await new Promise((r) => setTimeout(r, 1200));
    await rejectsWith(as(brief.secret), status.UNAUTHENTICATED);
    await unary(c.access, c.access.revokeToken, { id: created.token!.id });
    await rejectsWith(as(created.secret), status.UNAUTHENTICATED);
    await rejectsWith(unary(c.access, c.access.revokeToken, { id: created.token!.id }), status.NOT_FOUND, 'id');
    await rejectsWith(unary(c.access, c.access.createToken, { name: ' ', ttl: undefined }), status.INVALID_ARGUMENT, 'name');
    await rejectsWith(unary(c.access, c.access.createToken, { name: 'x', ttl: { seconds: String(400 * 86400), nanos: 0 } }), status.INVALID_ARGUMENT, 'ttl');
  });

  it('answers bad input with the field at fault', async () => {
    await rejectsWith(
      unary(c.access, c.access.grantPermission, { resource: { project: 'fraud', featureSet: '' }, principalId: 'x', role: Role.ROLE_UNSPECIFIED }),
      status.INVALID_ARGUMENT,
      'role',
    );
    await rejectsWith(
      unary(c.access, c.access.grantPermission, { resource: { project: 'fraud', featureSet: '' }, principalId: '', role: Role.ROLE_VIEWER }),
      status.INVALID_ARGUMENT,
      'principal_id',
    );
    await rejectsWith(
      unary(c.access, c.access.grantPermission, { resource: { project: 'nope', featureSet: '' }, principalId: 'x', role: Role.ROLE_VIEWER }),
      status.NOT_FOUND,
      'resource.project',
    );
    await rejectsWith(
      unary(c.access, c.access.requestAccess, { resource: { project: 'fraud', featureSet: 'nope' }, role: Role.ROLE_VIEWER, reason: '' }),
      status.NOT_FOUND,
      'resource.feature_set',
    );
    await rejectsWith(unary(c.access, c.access.approveAccess, { id: 'r1' }), status.INVALID_ARGUMENT, 'id');
    await rejectsWith(unary(c.access, c.access.withdrawAccess, { id: '00000000-0000-4000-8000-000000000000' }), status.NOT_FOUND, 'id');
  });
});
