// Random point-in-time histories shared by the DuckDB engine's property test and the Spark
// equivalence test: feature sets ingested through the DuckDB engine (duplicate event times across
// ingests, out-of-order ingests, reverted ingests, null features, multi-column keys), an obviously
// correct reference lookup, and plan builders.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDbEngine } from '../../shared/adapters/engine/duckdb/duckdb-engine.js';
import type { Schema } from '../../shared/core/model.js';
import type { TrainingSetPlan, TrainingSetSide } from '../../shared/core/plans.js';
import { modelFeature } from './helpers.js';

const f = modelFeature;
// Side A: one key; side B: a two-column key and a feature named like an entity column ("label").
export const A: Schema = { features: [f('id', 'STRING'), f('et', 'TIMESTAMP'), f('x', 'FLOAT64'), f('y', 'INT64')], primaryKey: ['id'], eventTimeColumn: 'et' };
const B: Schema = {
  features: [f('id', 'STRING'), f('region', 'INT32'), f('at', 'TIMESTAMP'), f('label', 'STRING')],
  primaryKey: ['id', 'region'],
  eventTimeColumn: 'at',
};

export type Row = Record<string, string | number | null>;
export const MINUTE = 60_000;
export const T0 = Date.parse('2026-11-01T00:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString();

/** mulberry32: a small seeded generator, so a failure names a seed that reproduces it. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: T[]) => xs[int(xs.length)] };
}

const root = mkdtempSync(join(tmpdir(), 'fs-pit-'));
let n = 0;
export const dir = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};
const csvCell = (v: string | number | null) => (v === null ? '' : String(v));
export function writeCsv(columns: string[], rows: Row[]): string {
  const path = join(dir(), 'rows.csv');
  writeFileSync(path, [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c] ?? null)).join(','))].join('\n') + '\n');
  return path;
}

const sameRow = (schema: Schema, a: Row, b: Row) => schema.features.every((x) => a[x.name] === b[x.name]);

/** One feature set's history: ingests in order, some reverted; what each one stored after dedupe. */
export interface Side {
  schema: Schema;
  ttlSeconds: number | null;
  stored: { rows: Row[]; files: string[]; reverted: boolean }[];
}

async function buildSide(engine: DuckDbEngine, rnd: ReturnType<typeof random>, schema: Schema, keys: Row[], ttlSeconds: number | null): Promise<Side> {
  const side: Side = { schema, ttlSeconds, stored: [] };
  const ingests = 1 + rnd.int(4);
  for (let i = 0; i < ingests; i++) {
    // Unique (key, event time) within an ingest; across ingests anything goes, in any time order.
    const seen = new Set<string>();
    const rows: Row[] = [];
    for (let r = 0; r < 2 + rnd.int(8); r++) {
      const key = rnd.pick(keys);
      const t = iso(T0 + rnd.int(12) * 10 * MINUTE);
      const id = JSON.stringify([key, t]);
      if (seen.has(id)) continue;
      seen.add(id);
      const row: Row = { ...key, [schema.eventTimeColumn]: t };
      if (schema === A) Object.assign(row, { x: rnd.next() < 0.25 ? null : rnd.int(4) + 0.5, y: rnd.int(3) });
      else row['label'] = rnd.next() < 0.25 ? null : rnd.pick(['a', 'b']);
      rows.push(row);
    }
    const visible = side.stored.filter((s) => !s.reverted);
    const out = await engine.ingest(
      {
        kind: 'ingest',
        ingestId: `i${n}`,
        ingestTime: new Date(),
        schema,
        source: {
          files: [
            writeCsv(
              schema.features.map((x) => x.name),
              rows,
            ),
          ],
          format: 'CSV',
          csv: {},
        },
        distinct: false,
        extraColumns: 'FAIL',
        existing: visible.flatMap((s) => s.files),
        outputDir: dir(),
      },
      () => {},
    );
    // Reference dedupe: rows equal to a visible stored row are not stored again.
    const stored = rows.filter((r) => !visible.some((s) => s.rows.some((o) => sameRow(schema, o, r))));
    assert.equal(out.rows, stored.length);
    side.stored.push({ rows: stored, files: out.files, reverted: false });
    // Sometimes revert an earlier ingest (out of order with respect to event times).
    if (rnd.next() < 0.3) rnd.pick(side.stored).reverted = true;
  }
  return side;
}

/** The obviously-correct point-in-time lookup for one entity row and one side. */
export function reference(side: Side, entity: Row, ts: number): Row | undefined {
  let best: { row: Row; t: number; rank: number } | undefined;
  side.stored.forEach((ingest, rank) => {
    if (ingest.reverted) return;
    for (const row of ingest.rows) {
      if (!side.schema.primaryKey.every((k) => String(row[k]) === String(entity[k]))) continue;
      const t = Date.parse(String(row[side.schema.eventTimeColumn]));
      if (t > ts) continue;
      if (!best || t > best.t || (t === best.t && rank > best.rank)) best = { row, t, rank };
    }
  });
  if (!best) return undefined;
  if (side.ttlSeconds !== null && ts - best.t > side.ttlSeconds * 1000) return undefined;
  return best.row;
}

export async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`SET TimeZone = 'UTC'`);
  const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJson();
  c.closeSync();
  db.closeSync();
  return rows;
}

export const toSide = (s: Side, features: string[], featureSet: string): TrainingSetSide => ({
  schema: s.schema,
  ttlSeconds: s.ttlSeconds,
  ingests: s.stored.filter((i) => !i.reverted).map((i) => i.files),
  features,
  entityKey: s.schema.primaryKey,
  project: 'p',
  featureSet,
});

/** A point-in-time join of the entity file at `path` (timestamp column `ts`) with `sides`. */
export const joinPlan = (
  path: string,
  sides: TrainingSetSide[],
  o: { format?: 'PARQUET' | 'CSV'; entities?: 'CSV' | 'JSONL'; outputDir?: string } = {},
): TrainingSetPlan => ({
  kind: 'training-set',
  entities: { files: [path], format: o.entities ?? 'CSV', csv: {} },
  timestampColumn: 'ts',
  sides,
  format: o.format ?? 'PARQUET',
  outputDir: o.outputDir ?? dir(),
});

/**
 * One random history: side A (one key, a TTL or none) and side B (a two-column key) ingested
 * through `engine`, and entity rows for known keys and a key with no history, with timestamps on
 * and between the event-time grid.
 */
export async function randomHistory(engine: DuckDbEngine, seed: number) {
  const rnd = random(seed);
  const ids = ['k1', 'k2', 'k3', 'k4'];
  const a = await buildSide(
    engine,
    rnd,
    A,
    ids.map((id) => ({ id })),
    rnd.pick([null, 1800, 3600]),
  );
  const b = await buildSide(
    engine,
    rnd,
    B,
    ids.flatMap((id) => [
      { id, region: 1 },
      { id, region: 2 },
    ]),
    rnd.pick([null, 1200]),
  );
  const entities: Row[] = Array.from({ length: 10 + rnd.int(30) }, () => ({
    id: rnd.pick([...ids, 'nobody']),
    region: rnd.pick([1, 2]),
    ts: iso(T0 - 10 * MINUTE + rnd.int(30) * 5 * MINUTE),
    label: rnd.int(2),
  }));
  return { rnd, a, b, entities, columns: ['id', 'region', 'ts', 'label'] };
}
