// The role model: the table in docs/security.md and shared/core/access.ts say the same, and
// decisions follow grants on projects (inherited by feature sets) and on single feature sets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allows, leastRoleFor, ROLE_ACTIONS, ROLES, type Grant, type Role } from '../../shared/core/access.js';
import type { Action } from '../../shared/core/ports/authorizer.js';
import { REPO } from '../support/process.js';

const COLUMNS: Role[] = ['OWNER', 'EDITOR', 'SENSITIVE_CONSUMER', 'CONSUMER', 'VIEWER'];

/** The documented matrix: action -> the roles whose column says yes. */
function documented(): Map<Action, Set<Role>> {
  const text = readFileSync(join(REPO, 'docs', 'security.md'), 'utf8');
  const rows = [...text.matchAll(/^\| `([a-zA-Z.]+)` \|[^|]*\|((?: (?:yes|no) \|){5})$/gm)];
  return new Map(
    rows.map((m) => [
      m[1] as Action,
      new Set(
        m[2]
          .split('|')
          .map((c) => c.trim())
          .filter(Boolean)
          .flatMap((c, i) => (c === 'yes' ? [COLUMNS[i]] : [])),
      ),
    ]),
  );
}

const alice = { id: 'alice', name: 'Alice', email: '', admin: false };

describe('roles', () => {
  it('the documented matrix is the code: every action, every role', () => {
    const doc = documented();
    const actions = new Set(Object.values(ROLE_ACTIONS).flat());
    assert.deepEqual([...doc.keys()].sort(), [...actions].sort(), 'the same actions');
    for (const [action, roles] of doc) {
      for (const role of ROLES) assert.equal(ROLE_ACTIONS[role].includes(action), roles.has(role), `${role} ${action}`);
    }
  });

  it('each role may do what the roles below it may', () => {
    for (let i = 0; i + 1 < ROLES.length; i++) {
      for (const action of ROLE_ACTIONS[ROLES[i + 1]]) assert.ok(ROLE_ACTIONS[ROLES[i]].includes(action), `${ROLES[i]} lacks ${action}`);
    }
    assert.equal(leastRoleFor('featureSet.readData'), 'CONSUMER');
    assert.equal(leastRoleFor('project.grant'), 'OWNER');
  });

  it('a project grant holds for its feature sets; a feature set grant for that one only; admins and project creation need none', () => {
    const grants: Grant[] = [
      { principalId: 'alice', project: 'fraud', featureSet: '', role: 'VIEWER' },
      { principalId: 'alice', project: 'fraud', featureSet: 'tx', role: 'CONSUMER' },
      { principalId: 'bob', project: 'fraud', featureSet: '', role: 'OWNER' },
    ];
    assert.equal(allows(alice, 'featureSet.read', { project: 'fraud', featureSet: 'other' }, grants), true);
    assert.equal(allows(alice, 'featureSet.readData', { project: 'fraud', featureSet: 'other' }, grants), false);
    assert.equal(allows(alice, 'featureSet.readData', { project: 'fraud', featureSet: 'tx' }, grants), true);
    assert.equal(allows(alice, 'featureSet.readSensitive', { project: 'fraud', featureSet: 'tx' }, grants), false);
    assert.equal(allows(alice, 'project.read', { project: 'shop' }, grants), false, "another project's grants count for nothing");
    assert.equal(allows(alice, 'project.delete', { project: 'fraud' }, grants), false, "bob's owner grant is bob's");
    assert.equal(allows({ ...alice, admin: true }, 'project.delete', { project: 'shop' }, []), true);
    assert.equal(allows(alice, 'project.create', { project: 'new' }, []), true);
  });
});
