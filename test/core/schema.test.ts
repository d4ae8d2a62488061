import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgument } from '../../shared/core/errors.js';
import type { Feature, Schema } from '../../shared/core/model.js';
import { compareSchemas, validateSchema } from '../../shared/core/schema.js';
import { parseVersion } from '../../shared/core/validation.js';

const f = (name: string, type: string, extra: Partial<Feature> = {}): Feature =>
  ({ name, type, isList: false, description: '', sensitive: false, tags: {}, ...extra }) as Feature;

const base: Schema = { features: [f('id', 'STRING'), f('ts', 'TIMESTAMP'), f('x', 'INT32')], primaryKey: ['id'], eventTimeColumn: 'ts' };

function invalid(schema: Schema, field: string, message?: RegExp) {
  assert.throws(
    () => validateSchema(schema),
    (e: unknown) => {
      assert.ok(e instanceof InvalidArgument, String(e));
      assert.equal(e.field, field);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('validateSchema', () => {
  it('accepts every scalar type, lists of scalars, DATE event time and composite keys', () => {
    const types = ['STRING', 'BOOL', 'INT32', 'INT64', 'FLOAT32', 'FLOAT64', 'TIMESTAMP', 'DATE', 'BYTES'];
    const schema: Schema = {
      features: [...types.map((t) => f(`s_${t.toLowerCase()}`, t)), ...types.map((t) => f(`l_${t.toLowerCase()}`, t, { isList: true })), f('day', 'DATE')],
      primaryKey: ['s_string', 's_int64'],
      eventTimeColumn: 'day',
    };
    assert.equal(validateSchema(schema).features.length, 19);
  });

  it('names the field at fault for each kind of bad schema', () => {
    invalid({ ...base, features: [] }, 'schema.features');
    invalid({ ...base, features: [...base.features, f('x', 'INT64')] }, 'schema.features[3].name', /twice/);
    invalid({ ...base, features: [...base.features, f('X', 'INT64')] }, 'schema.features[3].name', /twice/);
    invalid({ ...base, features: [...base.features, f('bad name', 'INT64')] }, 'schema.features[3].name', /not a valid name/);
    invalid({ ...base, features: [...base.features, f('y', 'DECIMAL')] }, 'schema.features[3].type', /unknown type "DECIMAL"/);
    invalid({ ...base, features: [...base.features, f('y', 'UNSPECIFIED')] }, 'schema.features[3].type');
    invalid({ ...base, primaryKey: [] }, 'schema.primary_key');
    invalid({ ...base, primaryKey: ['id', 'id'] }, 'schema.primary_key[1]', /twice/);
    invalid({ ...base, primaryKey: ['nope'] }, 'schema.primary_key[0]', /not a feature/);
    invalid({ ...base, features: [...base.features, f('l', 'INT64', { isList: true })], primaryKey: ['l'] }, 'schema.primary_key[0]', /cannot be a key/);
    invalid({ ...base, features: [...base.features, f('r', 'FLOAT64')], primaryKey: ['r'] }, 'schema.primary_key[0]', /cannot be a key/);
    invalid({ ...base, eventTimeColumn: '' }, 'schema.event_time_column', /required/);
    invalid({ ...base, eventTimeColumn: 'missing' }, 'schema.event_time_column', /not a feature/);
    invalid({ ...base, eventTimeColumn: 'x' }, 'schema.event_time_column', /TIMESTAMP or DATE/);
    invalid({ ...base, primaryKey: ['id', 'ts'] }, 'schema.event_time_column', /primary key/);
    invalid({ ...base, features: [...base.features, f('t', 'STRING', { tags: { 'bad key!': 'v' } })] }, 'schema.features[3].tags');
  });
});

describe('compareSchemas', () => {
  it('reports added features as compatible', () => {
    const report = compareSchemas(base, { ...base, features: [...base.features, f('y', 'STRING')] });
    assert.deepEqual(report, { compatible: true, changes: [{ kind: 'FEATURE_ADDED', feature: 'y', from: '', to: 'STRING', breaking: false }] });
  });

  it('treats widening as compatible and other type changes, removals, key and event-time changes as breaking', () => {
    const widened = compareSchemas(base, { ...base, features: [f('id', 'STRING'), f('ts', 'TIMESTAMP'), f('x', 'INT64')] });
    assert.equal(widened.compatible, true);
    assert.equal(widened.changes[0]?.kind, 'TYPE_WIDENED');

    const narrowed = compareSchemas({ ...base, features: [f('id', 'STRING'), f('ts', 'TIMESTAMP'), f('x', 'INT64')] }, base);
    assert.deepEqual(narrowed.changes, [{ kind: 'TYPE_CHANGED', feature: 'x', from: 'INT64', to: 'INT32', breaking: true }]);

    const toList = compareSchemas(base, { ...base, features: [f('id', 'STRING'), f('ts', 'TIMESTAMP'), f('x', 'INT32', { isList: true })] });
    assert.equal(toList.changes[0]?.kind, 'TYPE_CHANGED');

    const removed = compareSchemas(base, { ...base, features: [f('id', 'STRING'), f('ts', 'TIMESTAMP')] });
    assert.deepEqual(removed, { compatible: false, changes: [{ kind: 'FEATURE_REMOVED', feature: 'x', from: 'INT32', to: '', breaking: true }] });

    const rekeyed = compareSchemas(base, { ...base, features: [...base.features, f('d', 'DATE')], primaryKey: ['id', 'x'], eventTimeColumn: 'd' });
    assert.deepEqual(
      rekeyed.changes.map((c) => [c.kind, c.breaking]),
      [
        ['PRIMARY_KEY_CHANGED', true],
        ['EVENT_TIME_CHANGED', true],
        ['FEATURE_ADDED', false],
      ],
    );
    assert.equal(rekeyed.compatible, false);
  });

  it('reports nothing for the same schema', () => {
    assert.deepEqual(compareSchemas(base, structuredClone(base)), { compatible: true, changes: [] });
  });
});

describe('parseVersion', () => {
  it('reads major.minor, major alone, and empty as latest', () => {
    assert.deepEqual(parseVersion('2.1'), { major: 2, minor: 1 });
    assert.deepEqual(parseVersion('3'), { major: 3 });
    assert.equal(parseVersion(''), undefined);
  });
  it('refuses anything else, naming the field', () => {
    for (const bad of ['v1', '1.2.3', '0', '-1', '1.', 'latest']) {
      assert.throws(
        () => parseVersion(bad),
        (e: unknown) => e instanceof InvalidArgument && e.field === 'version',
        bad,
      );
    }
  });
});
