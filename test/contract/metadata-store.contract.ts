// The MetadataStore contract, run against every adapter (PGlite and a real PostgreSQL server).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Aborted, AlreadyExists, FailedPrecondition, NotFound } from '../../shared/core/errors.js';
import { EventTypes, type DomainEvent } from '../../shared/core/events.js';
import type { Schema } from '../../shared/core/model.js';
import type { IngestStore } from '../../shared/core/ports/ingest-store.js';
import type { JobStore } from '../../shared/core/ports/job-store.js';
import type { MetadataStore, NewFeatureSetVersion } from '../../shared/core/ports/metadata-store.js';
import { migrate } from '../../shared/adapters/metadata/migrate.js';
import { MIGRATIONS } from '../../shared/adapters/metadata/migrations.js';
import type { SqlClient } from '../../shared/adapters/sql/sql-client.js';

export interface Subject {
  store: MetadataStore;
  jobs: JobStore;
  ingests: IngestStore;
  sql: SqlClient;
  close(): Promise<void>;
}

const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

export const schema: Schema = {
  features: [
    { name: 'user_id', type: 'INT64', isList: false, description: 'the user', sensitive: false, tags: {} },
    { name: 'ts', type: 'TIMESTAMP', isList: false, description: '', sensitive: false, tags: {} },
    { name: 'score', type: 'FLOAT64', isList: false, description: '', sensitive: true, tags: { unit: 'pts' } },
  ],
  primaryKey: ['user_id'],
  eventTimeColumn: 'ts',
};

export function version(project: string, name: string, major = 1, minor = 0, extra: Partial<NewFeatureSetVersion> = {}): NewFeatureSetVersion {
  return {
    project,
    name,
    major,
    minor,
    schema,
    description: '',
    owner: 'alice',
    tags: {},
    ttlSeconds: null,
    createdBy: 'alice',
    changeSummary: 'registered',
    ...extra,
  };
}

const event = (subject: string): DomainEvent => ({ type: EventTypes.projectChanged, subject, data: { subject } });

/** `subject` is opened and closed by the test file (one database for every contract it runs). */
export function metadataStoreContract(name: string, subject: () => Subject): void {
  describe(`MetadataStore contract: ${name}`, () => {
    let s: Subject;
    before(() => {
      s = subject();
    });

    const outboxFor = async (subject: string) =>
      (await s.sql.query<{ type: string; data: { subject: string } }>('SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id', [subject])).rows;

    it('creates and reads a project, writing its event in the same transaction', async () => {
      const p = unique('p');
      const created = await s.store.createProject({ name: p, description: 'd', owner: 'alice', tags: { team: 'risk' } }, [event(p)]);
      assert.equal(created.name, p);
      assert.equal(created.revision, 1);
      assert.equal(created.featureSetCount, 0);
      assert.ok(created.createTime instanceof Date);
      assert.deepEqual((await s.store.getProject(p))?.tags, { team: 'risk' });
      assert.equal((await outboxFor(p)).length, 1);
    });

    it('refuses a duplicate project with AlreadyExists and writes no event', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, [event(p)]);
      await assert.rejects(s.store.createProject({ name: p, description: 'other', owner: 'b', tags: {} }, [event(p)]), (e: unknown) => {
        assert.ok(e instanceof AlreadyExists);
        assert.equal(e.field, 'name');
        return true;
      });
      assert.equal((await s.store.getProject(p))?.description, '');
      assert.equal((await outboxFor(p)).length, 1);
    });

    it('returns undefined for a missing project', async () => {
      assert.equal(await s.store.getProject(unique('missing')), undefined);
    });

    it('lists projects by prefix in byte order with keyset pages', async () => {
      const prefix = unique('list');
      const names = [`${prefix}_b`, `${prefix}_B`, `${prefix}_a`, `${prefix}_c`];
      for (const n of names) await s.store.createProject({ name: n, description: '', owner: 'a', tags: {} }, []);
      const first = await s.store.listProjects({ namePrefix: prefix, limit: 2 });
      const second = await s.store.listProjects({ namePrefix: prefix, limit: 2, afterName: first[1].name });
      assert.deepEqual(
        [...first, ...second].map((p) => p.name),
        [`${prefix}_B`, `${prefix}_a`, `${prefix}_b`, `${prefix}_c`],
      );
      assert.deepEqual(await s.store.listProjects({ namePrefix: prefix, limit: 2, afterName: `${prefix}_c` }), []);
    });

    it('updates a project only at the expected revision', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: 'old', owner: 'a', tags: {} }, []);
      const updated = await s.store.updateProject(p, { description: 'new', owner: 'bob', tags: { x: '1' } }, 1, [event(p)]);
      assert.equal(updated.revision, 2);
      assert.equal(updated.description, 'new');
      assert.ok(updated.updateTime >= updated.createTime);
      await assert.rejects(s.store.updateProject(p, { description: 'stale', owner: 'bob', tags: {} }, 1, [event(p)]), Aborted);
      assert.equal((await s.store.getProject(p))?.description, 'new');
      assert.equal((await outboxFor(p)).length, 1);
      await assert.rejects(s.store.updateProject(unique('missing'), { description: '', owner: 'a', tags: {} }, 1, []), NotFound);
    });

    it('creates a feature set as version 1.0 in an existing project only', async () => {
      const p = unique('p');
      await assert.rejects(s.store.createFeatureSet(version(p, 'fs'), [event(p)]), (e: unknown) => e instanceof NotFound && e.field === 'project');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, []);
      const fs = await s.store.createFeatureSet(version(p, 'fs', 1, 0, { ttlSeconds: 86400, tags: { tier: 'gold' } }), [event(`${p}/fs`)]);
      assert.deepEqual([fs.major, fs.minor, fs.ttlSeconds], [1, 0, 86400]);
      assert.deepEqual(fs.schema, schema);
      assert.equal((await s.store.getProject(p))?.featureSetCount, 1);
      await assert.rejects(s.store.createFeatureSet(version(p, 'fs'), [event(`${p}/fs`)]), (e: unknown) => e instanceof AlreadyExists && e.field === 'name');
      assert.equal((await outboxFor(`${p}/fs`)).length, 1);
    });

    it('makes versions with compare-and-set and reads latest, newest minor of a major, or exact', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, []);
      await s.store.createFeatureSet(version(p, 'fs'), []);
      await s.store.addFeatureSetVersion(version(p, 'fs', 1, 1, { description: 'v1.1' }), { major: 1, minor: 0 }, []);
      await s.store.addFeatureSetVersion(version(p, 'fs', 2, 0, { description: 'v2.0' }), { major: 1, minor: 1 }, []);
      assert.equal((await s.store.getFeatureSet(p, 'fs'))?.description, 'v2.0');
      assert.equal((await s.store.getFeatureSet(p, 'fs', { major: 1 }))?.description, 'v1.1');
      assert.equal((await s.store.getFeatureSet(p, 'fs', { major: 1, minor: 0 }))?.description, '');
      assert.equal(await s.store.getFeatureSet(p, 'fs', { major: 3 }), undefined);
      await assert.rejects(s.store.addFeatureSetVersion(version(p, 'fs', 2, 1), { major: 1, minor: 1 }, []), Aborted);
      await assert.rejects(s.store.addFeatureSetVersion(version(p, 'nope', 1, 1), { major: 1, minor: 0 }, []), NotFound);
      const versions = await s.store.listFeatureSetVersions(p, 'fs', undefined, 10);
      assert.deepEqual(
        versions.map((v) => `${v.major}.${v.minor}`),
        ['2.0', '1.1', '1.0'],
      );
      const older = await s.store.listFeatureSetVersions(p, 'fs', { major: 1, minor: 1 }, 10);
      assert.deepEqual(
        older.map((v) => `${v.major}.${v.minor}`),
        ['1.0'],
      );
    });

    it('lets exactly one of two concurrent updates of the same version win', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, []);
      await s.store.createFeatureSet(version(p, 'fs'), []);
      const results = await Promise.allSettled([
        s.store.addFeatureSetVersion(version(p, 'fs', 1, 1, { description: 'A' }), { major: 1, minor: 0 }, [event(`${p}/race`)]),
        s.store.addFeatureSetVersion(version(p, 'fs', 1, 1, { description: 'B' }), { major: 1, minor: 0 }, [event(`${p}/race`)]),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(lost[0].reason instanceof Aborted);
      assert.equal((await outboxFor(`${p}/race`)).length, 1);
      assert.equal((await s.store.listFeatureSetVersions(p, 'fs', undefined, 10)).length, 2);
    });

    it('filters feature sets by prefix and tags (exact value or any value) and pages by name', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, []);
      await s.store.createFeatureSet(version(p, 'orders_daily', 1, 0, { tags: { tier: 'gold', pii: 'no' } }), []);
      await s.store.createFeatureSet(version(p, 'orders_hourly', 1, 0, { tags: { tier: 'silver' } }), []);
      await s.store.createFeatureSet(version(p, 'users', 1, 0, { tags: { tier: 'gold' } }), []);
      // The latest version's tags count, not an old one's.
      await s.store.addFeatureSetVersion(version(p, 'users', 1, 1, { tags: {} }), { major: 1, minor: 0 }, []);
      const names = async (q: { namePrefix?: string; tags?: Record<string, string>; afterName?: string; limit?: number }) =>
        (await s.store.listFeatureSets({ project: p, namePrefix: q.namePrefix ?? '', tags: q.tags ?? {}, afterName: q.afterName, limit: q.limit ?? 10 })).map(
          (f) => f.name,
        );
      assert.deepEqual(await names({}), ['orders_daily', 'orders_hourly', 'users']);
      assert.deepEqual(await names({ namePrefix: 'orders' }), ['orders_daily', 'orders_hourly']);
      assert.deepEqual(await names({ tags: { tier: 'gold' } }), ['orders_daily']);
      assert.deepEqual(await names({ tags: { tier: '' } }), ['orders_daily', 'orders_hourly']);
      assert.deepEqual(await names({ tags: { tier: 'gold', pii: '' } }), ['orders_daily']);
      assert.deepEqual(await names({ limit: 1, afterName: 'orders_daily' }), ['orders_hourly']);
    });

    it('deletes a feature set with all its versions, checking the expected version', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, []);
      await s.store.createFeatureSet(version(p, 'fs'), []);
      await s.store.addFeatureSetVersion(version(p, 'fs', 1, 1), { major: 1, minor: 0 }, []);
      await assert.rejects(s.store.deleteFeatureSet(p, 'fs', { major: 1, minor: 0 }, []), Aborted);
      await s.store.deleteFeatureSet(p, 'fs', { major: 1, minor: 1 }, [event(`${p}/del`)]);
      assert.equal(await s.store.getFeatureSet(p, 'fs'), undefined);
      assert.deepEqual(await s.store.listFeatureSetVersions(p, 'fs', undefined, 10), []);
      await assert.rejects(s.store.deleteFeatureSet(p, 'fs', undefined, []), NotFound);
      // The name is free again and starts over at 1.0.
      assert.equal((await s.store.createFeatureSet(version(p, 'fs'), [])).minor, 0);
    });

    it('refuses to delete a project with feature sets unless cascading, and leaves it whole', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, []);
      await s.store.createFeatureSet(version(p, 'fs'), []);
      await assert.rejects(s.store.deleteProject(p, { cascade: false }, [event(p)]), (e: unknown) => e instanceof FailedPrecondition && e.field === 'force');
      assert.ok(await s.store.getFeatureSet(p, 'fs'));
      assert.equal((await outboxFor(p)).length, 0);
      await assert.rejects(s.store.deleteProject(p, { cascade: true, expectedRevision: 7 }, [event(p)]), Aborted);
      await s.store.deleteProject(p, { cascade: true, expectedRevision: 1 }, [event(p)]);
      assert.equal(await s.store.getProject(p), undefined);
      assert.equal(await s.store.getFeatureSet(p, 'fs'), undefined);
      assert.equal((await s.sql.query('SELECT 1 FROM feature_set_versions WHERE project = $1', [p])).rows.length, 0);
      assert.equal((await outboxFor(p)).length, 1);
      await assert.rejects(s.store.deleteProject(p, { cascade: true }, []), NotFound);
    });

    it('never leaves a feature set in a deleted project when create and delete race', async () => {
      const p = unique('p');
      await s.store.createProject({ name: p, description: '', owner: 'a', tags: {} }, []);
      await Promise.allSettled([s.store.createFeatureSet(version(p, 'fs'), []), s.store.deleteProject(p, { cascade: false }, [])]);
      const project = await s.store.getProject(p);
      const orphans = await s.sql.query('SELECT 1 FROM feature_sets f WHERE f.project = $1 AND NOT EXISTS (SELECT 1 FROM projects WHERE name = $1)', [p]);
      assert.equal(orphans.rows.length, 0);
      if (project) assert.equal(project.featureSetCount, 1);
    });

    it('migrates idempotently and rolls a failed migration back whole', async () => {
      assert.deepEqual(await migrate(s.sql), []);
      const table = unique('t');
      await assert.rejects(
        migrate(s.sql, [...MIGRATIONS, { version: 999, name: 'broken', sql: `CREATE TABLE ${table} (id int); SELECT * FROM no_such_table;` }]),
        (e: Error) => /no_such_table/.test(String((e.cause as Error | undefined)?.message)),
      );
      const exists = await s.sql.query('SELECT 1 FROM information_schema.tables WHERE table_name = $1', [table]);
      assert.equal(exists.rows.length, 0);
      const applied = await s.sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        applied.rows.map((r) => r.version),
        MIGRATIONS.map((m) => m.version),
      );
      await assert.rejects(migrate(s.sql, MIGRATIONS.slice(0, 1)), /migrations this build does not know/);
    });
  });
}
