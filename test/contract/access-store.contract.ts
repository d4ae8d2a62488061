// The AccessStore contract, run against PGlite and PostgreSQL: grants (idempotent, with their
// events), revokes, the grants a decision reads, keyset pages, and access requests that move from
// PENDING once, approval granting the role in the same transaction.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { FailedPrecondition, NotFound } from '../../shared/core/errors.js';
import { EventTypes } from '../../shared/core/events.js';
import type { AccessStore } from '../../shared/core/ports/access-store.js';
import type { Subject } from './metadata-store.contract.js';

const audit = (what: string) => [{ type: EventTypes.projectChanged, subject: 'projects/audit', data: { what } }];

export function accessStoreContract(name: string, subject: () => Subject & { access: AccessStore }): void {
  describe(`AccessStore contract: ${name}`, () => {
    let s: Subject & { access: AccessStore };
    before(() => {
      s = subject();
    });
    const project = () => `p_${randomBytes(4).toString('hex')}`;
    const outboxCount = async () => Number((await s.sql.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox')).rows[0].n);

    it('grants a role with its event once; granting it again changes nothing; a revoke answers whether there was one', async () => {
      const p = project();
      const before = await outboxCount();
      const first = await s.access.grant({ project: p, featureSet: '', principalId: 'alice', role: 'EDITOR', grantedBy: 'owner' }, (_p, created) =>
        created ? audit('granted') : [],
      );
      assert.deepEqual([first.project, first.featureSet, first.principalId, first.role, first.grantedBy], [p, '', 'alice', 'EDITOR', 'owner']);
      const again = await s.access.grant({ project: p, featureSet: '', principalId: 'alice', role: 'EDITOR', grantedBy: 'someone else' }, (_p, created) =>
        created ? audit('granted') : [],
      );
      assert.deepEqual(again, first, 'the first permission, unchanged');
      assert.equal(await outboxCount(), before + 1, 'one event: the first grant');
      await s.access.grant({ project: p, featureSet: 'tx', principalId: 'alice', role: 'CONSUMER', grantedBy: 'owner' }, () => []);
      await s.access.grant({ project: p, featureSet: '', principalId: 'bob', role: 'VIEWER', grantedBy: 'owner' }, () => []);
      assert.deepEqual(
        (await s.access.grantsOf('alice', p)).map((g) => `${g.featureSet}:${g.role}`).sort(),
        [':EDITOR', 'tx:CONSUMER'],
        "alice's grants in the project, project-wide and per feature set",
      );
      assert.deepEqual(await s.access.grantsOf('alice', project()), [], 'another project: none');
      assert.equal(await s.access.revoke({ project: p, featureSet: '', principalId: 'alice', role: 'EDITOR' }, () => audit('revoked')), true);
      assert.equal(await s.access.revoke({ project: p, featureSet: '', principalId: 'alice', role: 'EDITOR' }, () => audit('revoked')), false);
      assert.equal(await outboxCount(), before + 2, 'a revoke of nothing writes no event');
      assert.deepEqual(
        (await s.access.grantsOf('alice', p)).map((g) => g.role),
        ['CONSUMER'],
      );
    });

    it('lists the permissions of a project (with its feature sets) or of one feature set, in keyset pages', async () => {
      const p = project();
      for (const [fs, who] of [
        ['', 'carol'],
        ['', 'alice'],
        ['a', 'bob'],
        ['b', 'alice'],
        ['b', 'dave'],
      ] as const) {
        await s.access.grant({ project: p, featureSet: fs, principalId: who, role: 'VIEWER', grantedBy: 'owner' }, () => []);
      }
      const all = [];
      let after;
      for (;;) {
        const page = await s.access.listPermissions({ project: p }, after, 2);
        all.push(...page);
        if (page.length < 2) break;
        after = page[page.length - 1];
      }
      assert.deepEqual(
        all.map((x) => `${x.featureSet}/${x.principalId}`),
        ['/alice', '/carol', 'a/bob', 'b/alice', 'b/dave'],
      );
      assert.deepEqual(
        (await s.access.listPermissions({ project: p, featureSet: 'b' }, undefined, 10)).map((x) => x.principalId),
        ['alice', 'dave'],
      );
    });

    it('moves a request from PENDING once: approval grants its role in the same transaction, with the events', async () => {
      const p = project();
      const r = await s.access.createRequest({ project: p, featureSet: 'tx', principalId: 'erin', role: 'CONSUMER', reason: 'fraud model' }, () =>
        audit('requested'),
      );
      assert.deepEqual([r.state, r.decidedBy, r.decideTime], ['PENDING', '', undefined]);
      assert.deepEqual((await s.access.getRequest(r.id))?.reason, 'fraud model');
      const approved = await s.access.decideRequest(r.id, { state: 'APPROVED', by: 'owner', reason: '' }, () => audit('approved'));
      assert.equal(approved.state, 'APPROVED');
      assert.ok(approved.decideTime);
      assert.deepEqual(
        (await s.access.grantsOf('erin', p)).map((g) => `${g.featureSet}:${g.role}`),
        ['tx:CONSUMER'],
      );
      await assert.rejects(
        s.access.decideRequest(r.id, { state: 'REJECTED', by: 'owner', reason: 'changed my mind' }, () => []),
        (e: unknown) => e instanceof FailedPrecondition && /APPROVED, no longer pending/.test(e.message),
      );
      await assert.rejects(
        s.access.decideRequest('00000000-0000-4000-8000-000000000000', { state: 'WITHDRAWN', by: 'erin', reason: '' }, () => []),
        NotFound,
      );
      const rejected = await s.access.createRequest({ project: p, featureSet: '', principalId: 'frank', role: 'OWNER', reason: '' }, () => []);
      await s.access.decideRequest(rejected.id, { state: 'REJECTED', by: 'owner', reason: 'ask for editor' }, () => []);
      assert.deepEqual(await s.access.grantsOf('frank', p), [], 'a rejection grants nothing');
      const pending = await s.access.createRequest({ project: p, featureSet: '', principalId: 'gina', role: 'VIEWER', reason: '' }, () => []);
      assert.deepEqual(
        (await s.access.listRequests({ project: p, state: 'PENDING' }, undefined, 10)).map((x) => x.id),
        [pending.id],
      );
      const first = await s.access.listRequests({ project: p }, undefined, 2);
      const rest = await s.access.listRequests({ project: p }, first[first.length - 1], 2);
      assert.deepEqual(
        [...first, ...rest].map((x) => x.principalId),
        ['erin', 'frank', 'gina'],
      );
    });
  });
}
