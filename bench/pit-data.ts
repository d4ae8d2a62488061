// The data of the point-in-time benchmarks (bench/training-set.ts, bench/spark.ts): two feature sets
// of `rows` rows each in two ingests (Parquet, with the ingest columns), and `entities` entity rows
// whose keys are partly without history, all over the same 100 days.
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Feature, Schema } from '../shared/core/model.js';

const f = (name: string, type: Feature['type']): Feature => ({ name, type, isList: false, description: '', sensitive: false, tags: {} });
export const activity: Schema = {
  features: [f('user_id', 'INT64'), f('event_time', 'TIMESTAMP'), f('clicks_7d', 'INT32'), f('spend_7d', 'FLOAT64')],
  primaryKey: ['user_id'],
  eventTimeColumn: 'event_time',
};
export const profile: Schema = {
  features: [f('user_id', 'INT64'), f('updated_at', 'TIMESTAMP'), f('segment', 'STRING'), f('score', 'FLOAT64')],
  primaryKey: ['user_id'],
  eventTimeColumn: 'updated_at',
};

export async function generatePitData(raw: DuckDBConnection, dir: string, entityRows: number, rows: number, keys: number) {
  // Feature rows as the store writes them (with the ingest columns), in two ingests each; entities
  // with keys partly without history and timestamps over the same 100 days.
  const ingestCols = (id: string) => `'${id}' AS _ingest_id, TIMESTAMPTZ '2026-11-28' AS _ingest_time`;
  const files: Record<string, string[]> = { activity: [], profile: [] };
  for (const part of [0, 1]) {
    const half = `range(${part * (rows / 2)}, ${(part + 1) * (rows / 2)}) r(i)`;
    files['activity'].push(join(dir, `activity-${part}.parquet`));
    await raw.run(`COPY (SELECT (hash(i) % ${keys})::BIGINT AS user_id, TIMESTAMPTZ '2026-01-01' + to_seconds((hash(i * 7) % 8640000)::BIGINT) AS event_time,
        (i % 50)::INTEGER AS clicks_7d, round((hash(i * 3) % 100000) / 100.0, 2)::DOUBLE AS spend_7d, ${ingestCols(`a${part}`)} FROM ${half})
      TO '${files['activity'].at(-1)}' (FORMAT parquet, COMPRESSION zstd)`);
    files['profile'].push(join(dir, `profile-${part}.parquet`));
    await raw.run(`COPY (SELECT (hash(i + 11) % ${keys})::BIGINT AS user_id, TIMESTAMPTZ '2026-01-01' + to_seconds((hash(i * 13) % 8640000)::BIGINT) AS updated_at,
        ['gold','silver','bronze'][1 + i % 3] AS segment, (hash(i * 5) % 1000) / 1000.0 AS score, ${ingestCols(`p${part}`)} FROM ${half})
      TO '${files['profile'].at(-1)}' (FORMAT parquet, COMPRESSION zstd)`);
  }
  const entities = join(dir, 'entities.parquet');
  await raw.run(`COPY (SELECT (hash(i * 17) % ${Math.floor(keys * 1.1)})::BIGINT AS user_id, TIMESTAMPTZ '2026-01-01' + to_seconds((hash(i * 19) % 8640000)::BIGINT) AS ts,
      (i % 2)::INTEGER AS label FROM range(${entityRows}) r(i)) TO '${entities}' (FORMAT parquet, COMPRESSION zstd)`);
  return { activity, profile, files, entities };
}
