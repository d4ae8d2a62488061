// The engine-neutral plans: pure functions of a job's spec and the catalog's answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFound } from '../../shared/core/errors.js';
import type { Ingest } from '../../shared/core/ingests.js';
import type { Feature, FeatureSet, Schema } from '../../shared/core/model.js';
import {
  ingestPlan,
  materializePlan,
  readsThePast,
  retrievePlan,
  revertedKeysPlan,
  revertStatisticsPlan,
  storedFiles,
  trainingSetPlan,
  visibleAsOf,
  withStoredFiles,
} from '../../shared/core/plans.js';

const f = (name: string, type: Feature['type'] = 'FLOAT64'): Feature => ({ name, type, isList: false, description: '', sensitive: false, tags: {} });
const schema: Schema = { features: [f('id', 'INT64'), f('et', 'TIMESTAMP'), f('x'), f('y')], primaryKey: ['id'], eventTimeColumn: 'et' };
const t = (minute: number) => new Date(Date.UTC(2026, 10, 1, 0, minute));
const ingest = (id: string, commit: number, files: string[], revert?: number): Ingest => ({
  id,
  project: 'p',
  featureSet: 'fs',
  major: 1,
  minor: 0,
  jobId: `job-${id}`,
  source: { uri: 'file:///x.csv', options: {} },
  state: revert === undefined ? 'COMMITTED' : 'REVERTED',
  rows: files.length,
  duplicateRows: 0,
  files,
  statistics: {},
  createdBy: 'alice',
  commitTime: t(commit),
  revertTime: revert === undefined ? undefined : t(revert),
});
// a committed at 1, b at 2 and reverted at 4, c (no rows) at 3, d at 5.
const history = [ingest('a', 1, ['a/0.parquet', 'a/1.parquet']), ingest('b', 2, ['b/0.parquet'], 4), ingest('c', 3, []), ingest('d', 5, ['d/0.parquet'])];
const visibleNow = history.filter((i) => i.state === 'COMMITTED');

describe('plans', () => {
  it('ingest: the source as resolved, dedupe against every visible file, the event-time bound from now', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const plan = ingestPlan({
      ingestId: 'new',
      now,
      maxFutureMs: 6 * 3600_000,
      schema,
      source: { uri: 's3://b/x.csv', options: { delimiter: ';', header: 'false' } },
      sourceFiles: { files: ['/tmp/x.csv'], format: 'CSV' },
      extraColumns: 'FAIL',
      fromOnlineLog: true,
      visible: visibleNow,
      outputDir: '/tmp/out',
    });
    assert.deepEqual(plan, {
      kind: 'ingest',
      ingestId: 'new',
      ingestTime: now,
      schema,
      source: { files: ['/tmp/x.csv'], format: 'CSV', csv: { delimiter: ';', header: false } },
      extraColumns: 'FAIL',
      distinct: true,
      latestEventTime: new Date('2026-11-30T18:00:00Z'),
      latestEventTimeText: '6 hours',
      existing: ['a/0.parquet', 'a/1.parquet', 'd/0.parquet'],
      outputDir: '/tmp/out',
    });
  });

  it('time travel: as of an ingest sees what was visible right after it committed; as of a time, then', () => {
    const ids = (xs: Ingest[]) => xs.map((i) => i.id);
    assert.deepEqual(ids(visibleAsOf({ asOfIngestId: 'b' }, history)), ['a', 'b']);
    assert.deepEqual(ids(visibleAsOf({ asOfTime: t(3).toISOString() }, history)), ['a', 'b', 'c']);
    assert.deepEqual(ids(visibleAsOf({ asOfTime: t(4).toISOString() }, history)), ['a', 'c'], 'the revert counts from its own moment');
    assert.deepEqual(ids(visibleAsOf({ asOfTime: t(0).toISOString() }, history)), []);
    assert.throws(
      () => visibleAsOf({ asOfIngestId: 'gone' }, history),
      (err: unknown) => err instanceof NotFound && err.field === 'as_of_ingest_id',
    );
    assert.equal(readsThePast({}), false);
    assert.equal(readsThePast({ asOfTime: t(1).toISOString() }), true);
  });

  it('retrieve: key and event time first, features without repeats, all features when none are named, the range as times', () => {
    const spec = { project: 'p', featureSet: 'fs', major: 1, minor: 0, features: ['y', 'id', 'x'], startTime: t(1).toISOString(), format: 'CSV' as const };
    const plan = retrievePlan(spec, schema, visibleAsOf({ asOfIngestId: 'b' }, history), '/out');
    assert.deepEqual(plan.columns, ['id', 'et', 'y', 'x']);
    assert.deepEqual(plan.orderBy, ['id', 'et']);
    assert.deepEqual(plan.files, ['a/0.parquet', 'a/1.parquet', 'b/0.parquet']);
    assert.deepEqual([plan.startTime, plan.endTime, plan.format], [t(1), undefined, 'CSV']);
    assert.deepEqual(retrievePlan({ ...spec, features: [] }, schema, [], '/out').columns, ['id', 'et', 'x', 'y']);
  });

  it('training set: a side per part with its version, TTL and visible ingests oldest first, empty ingests left out', () => {
    const fs = (ttlSeconds: number | null, name: string) => ({ project: 'p', name, major: 1, minor: 2, schema, ttlSeconds }) as FeatureSet;
    const spec = {
      entities: { source: { uri: 's3://b/e.csv', options: { delimiter: '|' } } },
      timestampColumn: 'ts',
      parts: [
        { project: 'p', featureSet: 'fs', major: 1, minor: 2, features: ['x'] },
        { project: 'p', featureSet: 'other', major: 1, minor: 2, features: ['y', 'x'] },
      ],
      format: 'PARQUET' as const,
    };
    const plan = trainingSetPlan(
      spec,
      [
        { featureSet: fs(3600, 'fs'), visible: visibleNow },
        { featureSet: fs(null, 'other'), visible: [] },
      ],
      { files: ['/tmp/e.csv'], format: 'CSV' },
      '/out',
    );
    assert.deepEqual(plan.entities, { files: ['/tmp/e.csv'], format: 'CSV', csv: { delimiter: '|', header: undefined } });
    assert.deepEqual(
      plan.sides.map((s) => [s.featureSet, s.ttlSeconds, s.ingests, s.features]),
      [
        ['fs', 3600, [['a/0.parquet', 'a/1.parquet'], ['d/0.parquet']], ['x']],
        ['other', null, [], ['y', 'x']],
      ],
    );
    const inline = trainingSetPlan(
      { ...spec, entities: { columns: ['id', 'ts'], rows: [] } },
      plan.sides.map(() => ({ featureSet: fs(null, 'x'), visible: [] })),
      { files: ['/tmp/e.jsonl'], format: 'JSONL' },
      '/o',
    );
    assert.deepEqual(inline.entities.csv, {});
  });

  it('materialize, revert statistics and reverted keys read the files that stay', () => {
    assert.deepEqual(materializePlan({ endTime: t(9).toISOString() }, schema, visibleNow), {
      kind: 'newest-per-key',
      schema,
      files: ['a/0.parquet', 'a/1.parquet', 'd/0.parquet'],
      startTime: undefined,
      endTime: t(9),
    });
    assert.deepEqual(revertStatisticsPlan(schema, visibleNow, 'a').files, ['d/0.parquet']);
    const reverted = history[0];
    assert.deepEqual(revertedKeysPlan(schema, reverted, visibleNow), {
      kind: 'reverted-keys',
      schema,
      reverted: ['a/0.parquet', 'a/1.parquet'],
      remaining: ['d/0.parquet'],
    });
  });

  it('stored files are located once each, wherever a plan keeps them', async () => {
    const plan = trainingSetPlan(
      {
        entities: { columns: [], rows: [] },
        timestampColumn: 'ts',
        parts: [1, 2].map((i) => ({ project: 'p', featureSet: `s${i}`, major: 1, minor: 0, features: ['x'] })),
        format: 'CSV',
      },
      [
        { featureSet: { schema, ttlSeconds: null } as FeatureSet, visible: visibleNow },
        { featureSet: { schema, ttlSeconds: null } as FeatureSet, visible: [history[0]] },
      ],
      { files: ['/e'], format: 'JSONL' },
      '/o',
    );
    assert.deepEqual(storedFiles(plan), ['a/0.parquet', 'a/1.parquet', 'd/0.parquet']);
    const asked: string[] = [];
    const located = await withStoredFiles(plan, async (key) => (asked.push(key), `/local/${key}`));
    assert.deepEqual(asked.sort(), ['a/0.parquet', 'a/1.parquet', 'd/0.parquet']);
    assert.deepEqual(located.sides[1].ingests, [['/local/a/0.parquet', '/local/a/1.parquet']]);
    assert.deepEqual(located.entities.files, ['/e'], 'sources are not stored files');
    assert.deepEqual(plan.sides[1].ingests, [['a/0.parquet', 'a/1.parquet']], 'the plan itself is left as it was');
    const rk = await withStoredFiles(revertedKeysPlan(schema, history[0], visibleNow), async (key) => `s3a://bucket/${key}`);
    assert.deepEqual([rk.reverted, rk.remaining], [['s3a://bucket/a/0.parquet', 's3a://bucket/a/1.parquet'], ['s3a://bucket/d/0.parquet']]);
  });

  it('plans survive JSON (what carries them to an engine in another process)', () => {
    const plan = materializePlan({ startTime: t(1).toISOString() }, schema, visibleNow);
    const back = JSON.parse(JSON.stringify(plan)) as Record<string, unknown>;
    assert.equal(back['startTime'], t(1).toISOString());
    assert.deepEqual(back['files'], plan.files);
  });
});
