// The point-in-time join of the DuckDB engine, checked against a plain reference implementation on
// random histories: duplicate event times across ingests, out-of-order ingests, reverted ingests
// (and the rows their dedupe hid), TTL edges, null features, keys with no history, multi-column keys.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDbEngine } from '../../shared/adapters/engine/duckdb/duckdb-engine.js';
import { InvalidArgument } from '../../shared/core/errors.js';
import type { TrainingSetSide } from '../../shared/core/plans.js';
import { A, dir, iso, joinPlan, randomHistory, readParquet, reference, T0, toSide, writeCsv, type Side } from '../support/pit-histories.js';

describe('DuckDB engine: point-in-time training sets', () => {
  const engine = new DuckDbEngine();
  after(() => engine.close());

  it('matches the reference implementation on random histories', async () => {
    const TRIALS = 30;
    for (let seed = 1; seed <= TRIALS; seed++) {
      const { rnd, a, b, entities, columns } = await randomHistory(engine, seed);
      const jsonl = rnd.next() < 0.5;
      const path = join(dir(), jsonl ? 'e.jsonl' : 'e.csv');
      writeFileSync(
        path,
        jsonl
          ? entities.map((e) => JSON.stringify(e)).join('\n') + '\n'
          : [columns.join(','), ...entities.map((e) => columns.map((c) => e[c]).join(','))].join('\n') + '\n',
      );
      const outputDir = dir();
      const out = await engine.trainingSet(
        joinPlan(path, [toSide(a, ['x', 'y'], 'a'), toSide(b, ['label'], 'b')], { entities: jsonl ? 'JSONL' : 'CSV', outputDir }),
        () => {},
      );
      assert.equal(out.rows, entities.length, `seed ${seed}`);
      const got = await readParquet(out.files[0]);
      assert.deepEqual(Object.keys(got[0] ?? {}), ['id', 'region', 'ts', 'label', 'x', 'y', 'b__label'], `seed ${seed}`);
      const expected = entities.map((e) => {
        const ts = Date.parse(String(e['ts']));
        const ra = reference(a, e, ts);
        const rb = reference(b, e, ts);
        return {
          id: e['id'],
          ts: new Date(ts).toISOString(),
          label: String(e['label']),
          x: ra ? (ra['x'] ?? null) : null,
          y: ra ? String(ra['y']) : null,
          b__label: rb ? (rb['label'] ?? null) : null,
        };
      });
      const actual = got.map((r) => ({
        id: r['id'],
        ts: new Date(String(r['ts']).replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString(),
        label: String(r['label']),
        x: r['x'] ?? null,
        y: r['y'] == null ? null : String(r['y']),
        b__label: r['b__label'] ?? null,
      }));
      assert.deepEqual(actual, expected, `seed ${seed}`);
    }
  });

  it('keeps the entity order and extra columns, and writes CSV on request', async () => {
    const side = { schema: A, ttlSeconds: null, stored: [] as Side['stored'] };
    const out0 = await engine.ingest(
      {
        kind: 'ingest',
        ingestId: 'one',
        ingestTime: new Date(),
        schema: A,
        source: { files: [writeCsv(['id', 'et', 'x', 'y'], [{ id: 'k', et: iso(T0), x: 1.5, y: 7 }])], format: 'CSV', csv: {} },
        distinct: false,
        extraColumns: 'FAIL',
        existing: [],
        outputDir: dir(),
      },
      () => {},
    );
    side.stored.push({ rows: [], files: out0.files, reverted: false });
    const path = join(dir(), 'e.csv');
    // Offsets count: 01:30+02:00 is 23:30 the day before, earlier than the feature row.
    writeFileSync(path, 'ts,id,note\n2026-11-01T00:00:00Z,k,first\n2026-11-01T01:30:00+02:00,k,second\n2026-11-02T00:00:00Z,zz,third\n');
    const outputDir = dir();
    const out = await engine.trainingSet(joinPlan(path, [toSide(side, ['y'], 'a')], { format: 'CSV', outputDir }), () => {});
    assert.equal(out.rows, 3);
    const { readFileSync } = await import('node:fs');
    assert.equal(
      readFileSync(out.files[0], 'utf8'),
      'ts,id,note,y\n2026-11-01 00:00:00+00,k,first,7\n2026-10-31 23:30:00+00,k,second,\n2026-11-02 00:00:00+00,zz,third,\n',
    );
  });

  it('breaks ties by ingest even for timestamps too far out for the fast packed join', async () => {
    const ingest = async (y: number) =>
      (
        await engine.ingest(
          {
            kind: 'ingest',
            ingestId: `y${y}`,
            ingestTime: new Date(),
            schema: A,
            source: { files: [writeCsv(['id', 'et', 'x', 'y'], [{ id: 'k', et: iso(T0), x: 1, y }])], format: 'CSV', csv: {} },
            distinct: false,
            extraColumns: 'FAIL',
            existing: [],
            outputDir: dir(),
          },
          () => {},
        )
      ).files;
    const side: TrainingSetSide = {
      schema: A,
      ttlSeconds: null,
      ingests: [await ingest(1), await ingest(2)],
      features: ['y'],
      entityKey: A.primaryKey,
      project: 'p',
      featureSet: 'a',
    };
    const path = join(dir(), 'e.csv');
    // Year 200000 overflows microseconds * 2 in a BIGINT: the join reruns on HUGEINT.
    writeFileSync(path, 'id,ts\nk,2026-11-01T00:00:00Z\nk,200000-01-01T00:00:00Z\nk,2026-10-31T00:00:00Z\n');
    const out = await engine.trainingSet(joinPlan(path, [side]), () => {});
    assert.deepEqual(
      (await readParquet(out.files[0])).map((r) => r['y'] ?? null),
      ['2', '2', null],
    );
  });

  it('refuses entity tables without the timestamp or a key column, or with bad timestamps, naming the rows', async () => {
    const side: TrainingSetSide = { schema: A, ttlSeconds: null, ingests: [], features: ['x'], entityKey: A.primaryKey, project: 'p', featureSet: 'a' };
    const run = async (text: string) => {
      const path = join(dir(), 'e.csv');
      writeFileSync(path, text);
      return engine.trainingSet(joinPlan(path, [side]), () => {});
    };
    await assert.rejects(run('ts,name\n2026-11-01T00:00:00Z,k\n'), (e: unknown) => e instanceof InvalidArgument && e.details[0]?.column === 'id');
    await assert.rejects(
      run('ts,id\n2026-11-01T00:00:00Z,k\nyesterday,k\n,k\n'),
      (e: unknown) =>
        e instanceof InvalidArgument && e.field === 'entities' && JSON.stringify(e.details.map((d) => [d.row, d.column])) === '[[2,"ts"],[3,"ts"]]',
    );
  });
});
