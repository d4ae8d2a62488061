// End to end through a real gRPC server: the standalone register function on PostgreSQL.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { register } from '../../functions/register/index.js';
import { DataType, type Feature, type Schema } from '../../shared/gen/featurestore/v1/common.js';
import { SchemaChange_Kind } from '../../shared/gen/featurestore/v1/feature_set.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { healthCheck, startTestHost } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';

const feature = (name: string, type: DataType, extra = {}): Feature => ({
  name,
  type,
  isList: false,
  description: '',
  sensitive: false,
  tags: {},
  statistics: undefined,
  ...extra,
});
const schema: Schema = {
  features: [feature('user_id', DataType.DATA_TYPE_INT64), feature('event_time', DataType.DATA_TYPE_TIMESTAMP), feature('clicks', DataType.DATA_TYPE_INT32)],
  primaryKey: ['user_id'],
  eventTimeColumn: 'event_time',
};

describe('register function, standalone on PostgreSQL', () => {
  let host: RunningHost;
  let c: ReturnType<typeof clients>;
  let db: Awaited<ReturnType<typeof freshDatabase>>;

  before(async () => {
    db = await freshDatabase();
    host = await startTestHost([register], { FEATURESTORE_METADATA_URL: db.url });
    c = clients(host.port);
  });
  after(async () => {
    c.close();
    await host.stop();
    await db.drop();
  });

  const createProject = (name: string, extra = {}) => unary(c.projects, c.projects.createProject, { name, description: '', tags: {}, ...extra });
  const registerSet = (project: string, name: string, s: Schema | undefined = schema, extra = {}) =>
    unary(c.featureSets, c.featureSets.registerFeatureSet, { project, name, schema: s, description: '', tags: {}, ttl: undefined, owner: '', ...extra });

  it('reports SERVING for the server and each of its services', async () => {
    assert.equal(await healthCheck(host.port), 'SERVING');
    assert.equal(await healthCheck(host.port, 'featurestore.v1.ProjectService'), 'SERVING');
  });

  it('runs the project lifecycle: create, get, list with pages, update with etag, delete', async () => {
    const p = await createProject('lifecycle', { description: 'first', tags: { team: 'a' } });
    assert.equal(p.owner, 'local');
    assert.equal(p.etag, 'r1');
    for (const n of ['lifecycle_b', 'lifecycle_c', 'lifecycle_d']) await createProject(n);
    const page1 = await unary(c.projects, c.projects.listProjects, { pageSize: 2, pageToken: '', namePrefix: 'lifecycle' });
    const page2 = await unary(c.projects, c.projects.listProjects, { pageSize: 2, pageToken: page1.nextPageToken, namePrefix: 'lifecycle' });
    assert.deepEqual(
      [...page1.projects, ...page2.projects].map((x) => x.name),
      ['lifecycle', 'lifecycle_b', 'lifecycle_c', 'lifecycle_d'],
    );
    assert.equal(page2.nextPageToken, '');

    const updated = await unary(c.projects, c.projects.updateProject, {
      name: 'lifecycle',
      description: 'second',
      tags: { team: '', env: 'prod' },
      replaceTags: false,
      etag: 'r1',
    });
    assert.equal(updated.description, 'second');
    assert.deepEqual(updated.tags, { env: 'prod' });
    await rejectsWith(
      unary(c.projects, c.projects.updateProject, { name: 'lifecycle', description: 'stale', tags: {}, replaceTags: false, etag: 'r1' }),
      status.ABORTED,
      'etag',
    );
    assert.equal((await unary(c.projects, c.projects.getProject, { name: 'lifecycle' })).description, 'second');

    await unary(c.projects, c.projects.deleteProject, { name: 'lifecycle_d', force: false, etag: '' });
    await rejectsWith(unary(c.projects, c.projects.getProject, { name: 'lifecycle_d' }), status.NOT_FOUND, 'name');
  });

  it('answers bad project input with INVALID_ARGUMENT naming the field', async () => {
    await rejectsWith(createProject(''), status.INVALID_ARGUMENT, 'name', /required/);
    await rejectsWith(createProject('1abc'), status.INVALID_ARGUMENT, 'name', /not a valid name/);
    await rejectsWith(createProject('x'.repeat(64)), status.INVALID_ARGUMENT, 'name');
    await rejectsWith(createProject('drop"table'), status.INVALID_ARGUMENT, 'name');
    await rejectsWith(createProject('okname', { tags: { 'bad key': 'v' } }), status.INVALID_ARGUMENT, 'tags');
    await rejectsWith(unary(c.projects, c.projects.listProjects, { pageSize: 5000, pageToken: '', namePrefix: '' }), status.INVALID_ARGUMENT, 'page_size');
    await rejectsWith(
      unary(c.projects, c.projects.listProjects, { pageSize: 0, pageToken: 'garbage!', namePrefix: '' }),
      status.INVALID_ARGUMENT,
      'page_token',
    );
    await rejectsWith(unary(c.projects, c.projects.getProject, { name: 'okname' }), status.NOT_FOUND, 'name');
    await createProject('dupe');
    await rejectsWith(createProject('dupe'), status.ALREADY_EXISTS, 'name');
  });

  it('registers, gets, versions and deletes a feature set', async () => {
    await createProject('shop');
    const fs = await registerSet('shop', 'clicks', schema, { description: 'user clicks', tags: { tier: 'gold' }, ttl: { seconds: '86400', nanos: 0 } });
    assert.deepEqual([fs.version, fs.etag, fs.owner, fs.ttl?.seconds], ['1.0', '1.0', 'local', '86400']);
    assert.deepEqual(fs.schema, schema);
    await rejectsWith(registerSet('shop', 'clicks'), status.ALREADY_EXISTS, 'name');

    const v11 = await unary(c.featureSets, c.featureSets.updateFeatureSet, {
      project: 'shop',
      name: 'clicks',
      description: 'clicks per user',
      tags: {},
      replaceTags: false,
      ttl: undefined,
      clearTtl: true,
      features: [{ name: 'clicks', description: 'number of clicks', sensitive: true, tags: { unit: 'count' } }],
      etag: '1.0',
    });
    assert.equal(v11.version, '1.1');
    assert.equal(v11.ttl, undefined);
    assert.deepEqual(
      v11.schema?.features[2],
      feature('clicks', DataType.DATA_TYPE_INT32, { description: 'number of clicks', sensitive: true, tags: { unit: 'count' } }),
    );
    await rejectsWith(
      unary(c.featureSets, c.featureSets.updateFeatureSet, {
        project: 'shop',
        name: 'clicks',
        tags: {},
        replaceTags: false,
        ttl: undefined,
        clearTtl: false,
        features: [],
        etag: '1.0',
        description: 'late',
      }),
      status.ABORTED,
      'etag',
    );
    await rejectsWith(
      unary(c.featureSets, c.featureSets.updateFeatureSet, {
        project: 'shop',
        name: 'clicks',
        tags: {},
        replaceTags: false,
        ttl: undefined,
        clearTtl: false,
        features: [{ name: 'nope', tags: {} }],
        etag: '',
      }),
      status.INVALID_ARGUMENT,
      'features[0].name',
    );

    const wider: Schema = {
      ...schema,
      features: [...schema.features.slice(0, 2), feature('clicks', DataType.DATA_TYPE_INT64), feature('country', DataType.DATA_TYPE_STRING)],
    };
    const dry = await unary(c.featureSets, c.featureSets.createFeatureSetVersion, {
      project: 'shop',
      name: 'clicks',
      schema: wider,
      etag: '',
      validateOnly: true,
      allowIncompatible: false,
      description: '',
    });
    assert.equal(dry.featureSet?.version, '1.1');
    assert.deepEqual(
      dry.report?.changes.map((x) => x.kind),
      [SchemaChange_Kind.KIND_TYPE_WIDENED, SchemaChange_Kind.KIND_FEATURE_ADDED],
    );
    const v2 = await unary(c.featureSets, c.featureSets.createFeatureSetVersion, {
      project: 'shop',
      name: 'clicks',
      schema: wider,
      etag: '1.1',
      validateOnly: false,
      allowIncompatible: false,
      description: '',
    });
    assert.equal(v2.featureSet?.version, '2.0');
    assert.equal(v2.report?.compatible, true);
    // Feature metadata carries over to the new major version.
    assert.equal(v2.featureSet?.schema?.features[2]?.description, 'number of clicks');

    const breaking: Schema = { ...schema, features: schema.features.slice(0, 2) };
    await rejectsWith(
      unary(c.featureSets, c.featureSets.createFeatureSetVersion, {
        project: 'shop',
        name: 'clicks',
        schema: breaking,
        etag: '',
        validateOnly: false,
        allowIncompatible: false,
        description: '',
      }),
      status.FAILED_PRECONDITION,
      'schema',
      /FEATURE_REMOVED clicks/,
    );
    const forced = await unary(c.featureSets, c.featureSets.createFeatureSetVersion, {
      project: 'shop',
      name: 'clicks',
      schema: breaking,
      etag: '',
      validateOnly: false,
      allowIncompatible: true,
      description: '',
    });
    assert.equal(forced.featureSet?.version, '3.0');

    assert.equal((await unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'shop', name: 'clicks', version: '1' })).version, '1.1');
    assert.equal((await unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'shop', name: 'clicks', version: '1.0' })).description, 'user clicks');
    await rejectsWith(unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'shop', name: 'clicks', version: '9.0' }), status.NOT_FOUND, 'version');
    await rejectsWith(
      unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'shop', name: 'clicks', version: 'latest' }),
      status.INVALID_ARGUMENT,
      'version',
    );

    const versions = await unary(c.featureSets, c.featureSets.listFeatureSetVersions, { project: 'shop', name: 'clicks', pageSize: 3, pageToken: '' });
    assert.deepEqual(
      versions.versions.map((v) => v.version),
      ['3.0', '2.0', '1.1'],
    );
    const rest = await unary(c.featureSets, c.featureSets.listFeatureSetVersions, {
      project: 'shop',
      name: 'clicks',
      pageSize: 3,
      pageToken: versions.nextPageToken,
    });
    assert.deepEqual(
      rest.versions.map((v) => v.version),
      ['1.0'],
    );

    await rejectsWith(unary(c.projects, c.projects.deleteProject, { name: 'shop', force: false, etag: '' }), status.FAILED_PRECONDITION, 'force');
    await unary(c.featureSets, c.featureSets.deleteFeatureSet, { project: 'shop', name: 'clicks', etag: '3.0' });
    await rejectsWith(unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'shop', name: 'clicks', version: '' }), status.NOT_FOUND, 'name');
    await unary(c.projects, c.projects.deleteProject, { name: 'shop', force: false, etag: '' });
  });

  it('lists feature sets by prefix and tag and refuses unknown projects', async () => {
    await createProject('catalog');
    await registerSet('catalog', 'orders', schema, { tags: { tier: 'gold' } });
    await registerSet('catalog', 'order_items', schema, { tags: { tier: 'silver' } });
    await registerSet('catalog', 'users', schema, { tags: { tier: 'gold' } });
    const list = (namePrefix: string, tags: Record<string, string>) =>
      unary(c.featureSets, c.featureSets.listFeatureSets, { project: 'catalog', namePrefix, tags, pageSize: 0, pageToken: '' }).then((r) =>
        r.featureSets.map((f) => f.name),
      );
    assert.deepEqual(await list('order', {}), ['order_items', 'orders']);
    assert.deepEqual(await list('', { tier: 'gold' }), ['orders', 'users']);
    await rejectsWith(
      unary(c.featureSets, c.featureSets.listFeatureSets, { project: 'ghost', namePrefix: '', tags: {}, pageSize: 0, pageToken: '' }),
      status.NOT_FOUND,
      'project',
    );
    await rejectsWith(registerSet('ghost', 'x'), status.NOT_FOUND, 'project');
    // Forced delete takes the feature sets along.
    await unary(c.projects, c.projects.deleteProject, { name: 'catalog', force: true, etag: '' });
    await rejectsWith(unary(c.featureSets, c.featureSets.getFeatureSet, { project: 'catalog', name: 'orders', version: '' }), status.NOT_FOUND, 'project');
  });

  it('answers every kind of bad schema with INVALID_ARGUMENT naming the field, writing nothing', async () => {
    await createProject('bad');
    const cases: Array<[Schema | undefined, string]> = [
      [undefined, 'schema'],
      [{ ...schema, features: [...schema.features, feature('weird', 99 as DataType)] }, 'schema.features[3].type'],
      [{ ...schema, features: [...schema.features, feature('nothing', DataType.DATA_TYPE_UNSPECIFIED)] }, 'schema.features[3].type'],
      [{ ...schema, primaryKey: [] }, 'schema.primary_key'],
      [{ ...schema, primaryKey: ['user_id', 'user_id'] }, 'schema.primary_key[1]'],
      [{ ...schema, eventTimeColumn: 'nope' }, 'schema.event_time_column'],
      [{ ...schema, eventTimeColumn: 'clicks' }, 'schema.event_time_column'],
      [{ ...schema, features: [...schema.features, feature('user_id', DataType.DATA_TYPE_STRING)] }, 'schema.features[3].name'],
    ];
    for (const [s, field] of cases)
      await rejectsWith(registerSet('bad', 'fs', schema, { schema: s }), status.INVALID_ARGUMENT, field).catch((e: Error) =>
        assert.fail(`${field}: ${e.message}`),
      );
    await rejectsWith(registerSet('bad', 'fs', schema, { ttl: { seconds: '-5', nanos: 0 } }), status.INVALID_ARGUMENT, 'ttl');
    await rejectsWith(registerSet('bad', 'bad-name'), status.INVALID_ARGUMENT, 'name');
    const listed = await unary(c.featureSets, c.featureSets.listFeatureSets, { project: 'bad', namePrefix: '', tags: {}, pageSize: 0, pageToken: '' });
    assert.deepEqual(listed.featureSets, []);
  });

  it('lets exactly one of two concurrent metadata updates win, the other ABORTED', async () => {
    await createProject('race');
    await registerSet('race', 'fs');
    const update = (description: string) =>
      unary(c.featureSets, c.featureSets.updateFeatureSet, {
        project: 'race',
        name: 'fs',
        description,
        tags: {},
        replaceTags: false,
        ttl: undefined,
        clearTtl: false,
        features: [],
        etag: '1.0',
      });
    const results = await Promise.allSettled([update('a'), update('b'), update('c')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.code, status.ABORTED);
    const versions = await unary(c.featureSets, c.featureSets.listFeatureSetVersions, { project: 'race', name: 'fs', pageSize: 0, pageToken: '' });
    assert.equal(versions.versions.length, 2);
  });
});
