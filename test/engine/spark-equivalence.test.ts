// The Spark runner against the DuckDB engine on the same stored files: point-in-time training sets
// (ties across ingests, TTL edges, reverted ingests, null features, keys with no history, two-column
// keys: the histories of the DuckDB property test), retrieves with time ranges, the newest row per
// key and the rows of a reverted ingest with what replaces them (online form), and statistics. Spark runs every plan of the test in one session (spark-submit, local[2]).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDbEngine } from '../../shared/adapters/engine/duckdb/duckdb-engine.js';
import { sparkPlan } from '../../shared/adapters/engine/spark/spark-engine.js';
import { submitPlans, type SparkResult } from '../../shared/adapters/engine/spark/spark-submit.js';
import type { NewestPerKeyPlan, Plan, RetrievePlan, RevertedKeysPlan, StatisticsPlan, TrainingSetPlan } from '../../shared/core/plans.js';
import { canonical, jsonLines, SPARK_SUBMIT, statisticsRows } from '../support/spark.js';
import { A, dir, joinPlan, randomHistory, readParquet, T0, MINUTE, toSide, type Side } from '../support/pit-histories.js';

const SEEDS = 6;
/** Statistics and reverted keys (many small Spark jobs each) on the first seeds only. */
const ONLINE_AND_STATISTICS_SEEDS = 3;

/** A plan with its local files as file:// URIs and its output in its own folder (what Spark is given). */
const forSpark = <P extends Plan>(plan: P): P => sparkPlan('outputDir' in plan ? { ...plan, outputDir: dir() } : plan);

const visibleFiles = (s: Side) => s.stored.filter((i) => !i.reverted).flatMap((i) => i.files);

/** Whether some key's newest event time is held by more than one of the rows. */
function tiedNewest(s: Side, rows = s.stored.filter((i) => !i.reverted).flatMap((i) => i.rows)): boolean {
  const newest = new Map<string, { t: string; n: number }>();
  for (const row of rows) {
    const key = JSON.stringify(s.schema.primaryKey.map((k) => row[k]));
    const t = String(row[s.schema.eventTimeColumn]);
    const seen = newest.get(key);
    if (!seen || t > seen.t) newest.set(key, { t, n: 1 });
    else if (t === seen.t) seen.n++;
  }
  return [...newest.values()].some((v) => v.n > 1);
}

describe('Spark runner = DuckDB engine on the same files', { skip: !SPARK_SUBMIT && 'needs Spark (make test installs it: scripts/services/spark.sh)' }, () => {
  const engine = new DuckDbEngine();
  after(() => engine.close());

  it('training sets, retrieves and newest rows per key agree row for row', { timeout: 600_000 }, async () => {
    const cases: Array<{
      seed: number;
      what: string;
      duck: () => Promise<Record<string, unknown>[]>;
      spark: Plan;
      read: (r: SparkResult) => Promise<Record<string, unknown>[]>;
    }> = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { a, b, entities, columns } = await randomHistory(engine, seed);
      const path = join(dir(), 'e.csv');
      writeFileSync(path, [columns.join(','), ...entities.map((e) => columns.map((c) => e[c]).join(','))].join('\n') + '\n');
      const training: TrainingSetPlan = joinPlan(path, [toSide(a, ['x', 'y'], 'a'), toSide(b, ['label'], 'b')]);
      cases.push({
        seed,
        what: 'training set',
        duck: async () => readParquet((await engine.trainingSet(training, () => {})).files[0]),
        spark: forSpark(training),
        read: (r) => readParquet(new URL(r.files![0]).pathname),
      });
      const retrieve: RetrievePlan = {
        kind: 'retrieve',
        schema: A,
        files: visibleFiles(a),
        columns: ['id', 'et', 'x', 'y'],
        startTime: new Date(T0 + 20 * MINUTE),
        endTime: new Date(T0 + 90 * MINUTE),
        orderBy: ['id', 'et'],
        format: 'PARQUET',
        outputDir: dir(),
      };
      cases.push({
        seed,
        what: 'retrieve',
        duck: async () => readParquet((await engine.retrieve(retrieve)).files[0]),
        spark: forSpark(retrieve),
        read: (r) => readParquet(new URL(r.files![0]).pathname),
      });
      for (const [name, side] of [
        ['A', a],
        ['B', b],
      ] as const) {
        // Where two ingests hold a key's newest event time, either row is right: such histories are
        // compared on their other plans only.
        if (tiedNewest(side)) continue;
        const newest: NewestPerKeyPlan = { kind: 'newest-per-key', schema: side.schema, files: visibleFiles(side) };
        cases.push({
          seed,
          what: `newest per key of ${name}`,
          duck: async () => {
            const rows: Record<string, unknown>[] = [];
            await engine.newestPerKey(newest, async (batch) => void rows.push(...batch));
            return rows;
          },
          spark: forSpark(newest),
          read: async (r) => jsonLines(r.output!),
        });
      }
      for (const [name, side] of seed <= ONLINE_AND_STATISTICS_SEEDS
        ? ([
            ['A', a],
            ['B', b],
          ] as const)
        : []) {
        const statistics: StatisticsPlan = { kind: 'statistics', schema: side.schema, files: visibleFiles(side) };
        cases.push({
          seed,
          what: `statistics of ${name}`,
          duck: async () => statisticsRows(await engine.statistics(statistics)),
          spark: forSpark(statistics),
          read: async (r) => statisticsRows(r.statistics!),
        });
        // Revert the first visible ingest: its keys' rows, and what replaces them in the rest.
        const visible = side.stored.filter((i) => !i.reverted);
        if (
          visible.length < 2 ||
          tiedNewest(
            side,
            visible.slice(1).flatMap((i) => i.rows),
          )
        )
          continue;
        const reverted: RevertedKeysPlan = {
          kind: 'reverted-keys',
          schema: side.schema,
          reverted: visible[0].files,
          remaining: visible.slice(1).flatMap((i) => i.files),
        };
        cases.push({
          seed,
          what: `reverted keys of ${name}`,
          duck: async () => {
            const rows: Record<string, unknown>[] = [];
            await engine.revertedKeys(reverted, async (batch) => void rows.push(...batch.map((b) => ({ reverted: b.reverted, restored: b.restored ?? null }))));
            return rows;
          },
          spark: forSpark(reverted),
          read: async (r) => jsonLines(r.output!),
        });
      }
    }
    const results = await submitPlans(
      { sparkSubmit: SPARK_SUBMIT!, master: 'local[2]' },
      cases.map((c) => c.spark),
      mkdtempSync(join(tmpdir(), 'fs-spark-')),
    );
    for (const [i, c] of cases.entries()) {
      const duck = canonical(await c.duck());
      const spark = canonical(await c.read(results[i]));
      // A training set keeps the entity order; the others are compared as sets of rows.
      if (c.what === 'training set') assert.deepEqual(spark, duck, `seed ${c.seed}: ${c.what}`);
      else assert.deepEqual([...spark].sort(), [...duck].sort(), `seed ${c.seed}: ${c.what}`);
    }
  });
});
