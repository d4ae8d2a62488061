import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeatureStoreError, InvalidArgument, NotFound, PermissionDenied } from '../../shared/core/errors.js';
import type { FeatureSet } from '../../shared/core/model.js';
import type { Action, ResourceId } from '../../shared/core/ports/authorizer.js';
import { createFeatureSetResolver } from '../../shared/core/use-cases/resolve-feature-set.js';

const alice = { id: 'alice', name: 'Alice', email: '', admin: false };
const stored = { project: 'shop', name: 'orders', major: 2, minor: 1 } as FeatureSet;

function resolver(allow = true) {
  const calls: string[] = [];
  const resolve = createFeatureSetResolver({
    authorizer: {
      async authorize(principal, action: Action, resource: ResourceId) {
        calls.push(`authorize ${principal.id} ${action} ${resource.project}/${resource.featureSet}`);
        if (!allow) throw new PermissionDenied('needs the editor role');
      },
    },
    async lookup(project, name, version) {
      calls.push(`lookup ${project}/${name}@${version ? `${version.major}.${version.minor ?? ''}` : 'latest'}`);
      return project === 'shop' && name === 'orders' ? stored : undefined;
    },
  });
  return { resolve, calls };
}

describe('resolveFeatureSet', () => {
  it('checks the reference, authorizes the action, then reads the version asked for', async () => {
    const { resolve, calls } = resolver();
    assert.equal(await resolve(alice, { project: 'shop', featureSet: 'orders', version: '2' }, 'featureSet.update'), stored);
    assert.deepEqual(calls, ['authorize alice featureSet.update shop/orders', 'lookup shop/orders@2.']);
  });

  it('reads nothing when the principal may not act', async () => {
    const { resolve, calls } = resolver(false);
    await assert.rejects(resolve(alice, { project: 'shop', featureSet: 'orders', version: '' }, 'featureSet.read'), PermissionDenied);
    assert.deepEqual(calls, ['authorize alice featureSet.read shop/orders']);
  });

  it('names the request field at fault, by default in feature_set, or the one the caller gives', async () => {
    const { resolve, calls } = resolver();
    const fieldOf = async (p: Promise<unknown>) =>
      p.then(
        () => assert.fail('resolved'),
        (err: unknown) => [
          err instanceof InvalidArgument ? 'InvalidArgument' : err instanceof NotFound ? 'NotFound' : String(err),
          (err as FeatureStoreError).field,
        ],
      );
    assert.deepEqual(await fieldOf(resolve(alice, { project: 'Shop!', featureSet: 'orders', version: '' }, 'featureSet.read')), [
      'InvalidArgument',
      'feature_set.project',
    ]);
    assert.deepEqual(await fieldOf(resolve(alice, { project: 'shop', featureSet: '', version: '' }, 'featureSet.read')), [
      'InvalidArgument',
      'feature_set.name',
    ]);
    assert.deepEqual(await fieldOf(resolve(alice, { project: 'shop', featureSet: 'orders', version: 'v2' }, 'featureSet.read')), [
      'InvalidArgument',
      'feature_set.version',
    ]);
    assert.deepEqual(await fieldOf(resolve(alice, { project: 'shop', featureSet: 'returns', version: '' }, 'featureSet.read')), ['NotFound', 'feature_set']);
    assert.deepEqual(await fieldOf(resolve(alice, { project: 'shop', featureSet: 'returns', version: '1' }, 'featureSet.read', undefined, 'features[3]')), [
      'NotFound',
      'features[3]',
    ]);
    assert.equal(calls.filter((c) => c.startsWith('lookup')).length, 2, 'bad references never reach the catalog');
    await assert.rejects(
      resolve(alice, { project: 'shop', featureSet: 'returns', version: '1' }, 'featureSet.read'),
      /"shop\/returns" version 1 does not exist/,
    );
  });
});
