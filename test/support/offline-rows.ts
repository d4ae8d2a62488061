import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { finishedJob, unary, type clients } from './grpc.js';

/** Every row visible offline now (a RetrieveFeatures job to Parquet, read back with DuckDB as `select`), ordered by `orderBy`. */
export async function offlineRows(
  c: ReturnType<typeof clients>,
  project: string,
  name: string,
  orderBy: string,
  select = '*',
): Promise<Record<string, unknown>[]> {
  const job = await unary(c.retrieve, c.retrieve.startRetrieve, {
    featureSet: { project, name, version: '' },
    features: [],
    startTime: undefined,
    endTime: undefined,
    asOf: undefined,
    output: { format: Format.FORMAT_PARQUET, uri: '' },
  });
  const done = await finishedJob(c, job.id);
  assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.error?.message);
  const r = done.result?.$case === 'retrieveResult' ? done.result.value : undefined;
  if (!r || Number(r.rows) === 0) return [];
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    await db.run(`SET TimeZone = 'UTC'`);
    // Local files are read in place; object-store links (presigned) are fetched to a scratch folder.
    const paths = await Promise.all(
      r.downloadUrls.map(async (u, i) => {
        if (u.startsWith('file:')) return fileURLToPath(u);
        const res = await fetch(u);
        assert.ok(res.ok, `download ${res.status}`);
        const path = join(await scratch(), `part-${i}.parquet`);
        writeFileSync(path, Buffer.from(await res.arrayBuffer()));
        return path;
      }),
    );
    const files = paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ');
    return (await db.runAndReadAll(`SELECT ${select} FROM read_parquet([${files}]) ORDER BY ${orderBy}`)).getRowObjectsJson();
  } finally {
    db.closeSync();
  }
}

async function scratch(): Promise<string> {
  return mkdtempSync(join(tmpdir(), 'fs-offline-rows-'));
}
