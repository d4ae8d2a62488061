// Bounds and messages: job messages stay short however wide the source (the full lists go to the
// result), a source without data rows commits nothing, event times far in the future are refused
// offline and online, and offline-to-online keeps to the online row limit.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { DataType, Format, type Value } from '../../shared/gen/featurestore/v1/common.js';
import { JobState } from '../../shared/gen/featurestore/v1/job.js';
import { timestampFromDate } from '../../shared/runtime/api/proto-time.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, finishedJob, projectWithFeatureSet, rejectsWith, unary } from '../support/grpc.js';
import { feature } from '../support/helpers.js';
import { startTestHost } from '../support/hosts.js';

describe('bounds and messages (embedded default)', () => {
  let host: RunningHost;
  let c: ReturnType<typeof clients>;
  const data = realpathSync(mkdtempSync(join(tmpdir(), 'fs-bounds-')));
  const ref = { project: 'bounds', name: 'users', version: '' };
  const str = (value: string): Value => ({ kind: { $case: 'stringValue', value } });

  before(async () => {
    host = await startTestHost(ALL_FUNCTIONS, {
      FEATURESTORE_FILE_ROOTS: data,
      FEATURESTORE_METADATA_URL: 'pglite:memory',
      FEATURESTORE_ONLINE_MAX_ROW_BYTES: '200',
      FEATURESTORE_MAX_FUTURE_SECONDS: '3600',
    });
    c = clients(host.port);
    await projectWithFeatureSet(c, 'bounds', 'users', [
      feature('id', DataType.DATA_TYPE_STRING),
      feature('ts', DataType.DATA_TYPE_TIMESTAMP),
      feature('note', DataType.DATA_TYPE_STRING),
      feature('gone', DataType.DATA_TYPE_INT64),
    ]);
  });
  after(async () => {
    c?.close();
    await host?.stop();
  });

  const ingest = async (name: string, text: string) => {
    const file = join(data, name);
    writeFileSync(file, text);
    const job = await unary(c.ingest, c.ingest.startIngest, {
      featureSet: ref,
      source: { uri: pathToFileURL(file).href, format: Format.FORMAT_CSV, options: {} },
      extraColumns: 0,
      requestId: '',
    });
    return finishedJob(c, job.id);
  };
  const history = async () => (await unary(c.ingest, c.ingest.listIngests, { featureSet: ref, pageSize: 0, pageToken: '' })).ingests;

  it('keeps job messages short for 1,994 extra columns; the result lists them all', async () => {
    const extra = Array.from({ length: 1994 }, (_, i) => `extra_column_${i}`);
    const done = await ingest('wide.csv', `id,ts,note,${extra.join(',')}\na,2026-11-01T00:00:00Z,x,${extra.map(() => '1').join(',')}\n`);
    assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.message);
    assert.ok(done.message.length < 600, `a ${done.message.length}-character message`);
    assert.match(
      done.message,
      /^1 rows written, 0 duplicates skipped; 1,994 extra column\(s\) dropped: extra_column_0, .*extra_column_19, \.\.\. \(first 20 of 1,994\); 1 column\(s\) missing, stored as null: gone$/,
    );
    const result = done.result?.$case === 'ingestResult' ? done.result.value : undefined;
    assert.deepEqual([result?.droppedColumns.length, result?.droppedColumns.at(-1), result?.missingColumns], [1994, 'extra_column_1993', ['gone']]);
    const listed = await unary(c.jobs, c.jobs.listJobs, { project: 'bounds', type: 0, state: 0, pageSize: 0, pageToken: '' });
    assert.ok(JSON.stringify(listed.jobs.map((j) => j.message)).length < 2000, 'jobs list stays small');
  });

  it('commits nothing for a source with a header and no rows', async () => {
    const before = (await history()).length;
    const done = await ingest('empty.csv', 'id,ts,note,gone\n');
    assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED);
    assert.match(done.message, /^0 rows: nothing ingested/);
    assert.equal((await history()).length, before);
  });

  it('refuses event times more than the allowed skew in the future, offline and online', async () => {
    const done = await ingest('future.csv', 'id,ts,note,gone\nb,2026-11-01T00:00:00Z,ok,1\nc,9999-12-31T00:00:00Z,sentinel,1\n');
    assert.equal(done.state, JobState.JOB_STATE_FAILED);
    assert.deepEqual(
      done.error?.details.map((d) => [d.row, d.column, d.message.replace(/: .*/, '')]),
      [['2', 'ts', 'is more than 1 hour in the future']],
    );
    const stamp = (d: Date): Value => ({ kind: { $case: 'timestampValue', value: timestampFromDate(d) } });
    const put = await unary(c.ingest, c.ingest.ingestOnline, {
      featureSet: ref,
      columns: ['id', 'ts'],
      rows: [{ values: [str('now'), stamp(new Date())] }, { values: [str('later'), stamp(new Date(Date.now() + 2 * 3_600_000))] }],
    });
    assert.deepEqual(
      [put.accepted, put.errors.map((e) => [e.row, e.column, e.message])],
      [1, [[1, 'ts', 'is more than 1 hour in the future (FEATURESTORE_MAX_FUTURE_SECONDS)']]],
    );
  });

  it('leaves rows over the online row limit offline when materializing, and counts them', async () => {
    const done = await ingest('big.csv', `id,ts,note,gone\nsmall,2026-11-01T00:00:00Z,x,1\nbig,2026-11-01T00:00:00Z,${'y'.repeat(500)},1\n`);
    assert.equal(done.state, JobState.JOB_STATE_SUCCEEDED, done.message);
    const job = await unary(c.retrieve, c.retrieve.startMaterialize, { featureSet: ref, startTime: undefined, endTime: undefined });
    const m = await finishedJob(c, job.id);
    assert.equal(m.state, JobState.JOB_STATE_SUCCEEDED, m.message);
    const result = m.result?.$case === 'materializeResult' ? m.result.value : undefined;
    assert.equal(result?.tooLarge, '1');
    assert.match(m.message, /1 over the online row limit left offline/);
    const read = await unary(c.retrieve, c.retrieve.retrieveOnline, {
      featureSet: ref,
      keys: [{ values: [str('big')] }, { values: [str('small')] }],
      features: [],
    });
    assert.deepEqual(
      read.rows.map((r) => r.status),
      [2, 1],
      'big MISSING, small PRESENT',
    );
  });
  it('keeps refusals short when the input they quote is a megabyte', async () => {
    const huge = 'y'.repeat(1_000_000);
    const started = Date.now();
    const etag = await rejectsWith(
      unary(c.projects, c.projects.deleteProject, { name: 'bounds', force: false, etag: huge }),
      status.INVALID_ARGUMENT,
      'etag',
      /is not an etag this server issued/,
    );
    const tag = await rejectsWith(
      unary(c.projects, c.projects.updateProject, { name: 'bounds', description: '', tags: { [huge]: 'x' }, replaceTags: false, etag: '' }),
      status.INVALID_ARGUMENT,
      'tags',
    );
    assert.ok(etag.details.length < 200, `${etag.details.length} characters`);
    assert.ok(tag.details.length <= 1000 && /\(1000\d+ characters\)$/.test(tag.details), tag.details.slice(-60));
    assert.ok(Date.now() - started < 5000, 'answered at once');
  });
});
