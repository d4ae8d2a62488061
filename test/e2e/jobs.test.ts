// JobService end to end over gRPC, on the standalone register function and PostgreSQL. Jobs are
// made through the job store here (the ingest and retrieve functions make them in use).
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { register } from '../../functions/register/index.js';
import type { JobStore, NewJob } from '../../shared/core/ports/job-store.js';
import { JobState, JobType, type WatchJobResponse } from '../../shared/gen/featurestore/v1/job.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';
import { newIngestJob, newRetrieveJob } from '../support/jobs.js';

const job = (extra: Parameters<typeof newIngestJob>[2] = {}): NewJob =>
  newIngestJob(extra.project ?? 'shop', extra.featureSet ?? 'orders', { createdBy: 'local', ...extra });

describe('JobService', () => {
  let host: RunningHost;
  let c: ReturnType<typeof clients>;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let jobs: JobStore;

  before(async () => {
    db = await freshDatabase();
    host = await startTestHost([register], { FEATURESTORE_METADATA_URL: db.url });
    c = clients(host.port);
    jobs = await host.deps.jobStore();
  });
  after(async () => {
    c.close();
    await host.stop();
    await db.drop();
  });

  it('gets a job and lists jobs newest first, filtered and paged', async () => {
    const a = (await jobs.createJob(job(), () => [])).job;
    const b = (await jobs.createJob(newRetrieveJob('shop', 'orders', { createdBy: 'local' }), () => [])).job;
    const other = (await jobs.createJob(job({ project: 'other' }), () => [])).job;
    const got = await unary(c.jobs, c.jobs.getJob, { id: a.id });
    assert.deepEqual(
      [got.id, got.type, got.state, got.project, got.featureSet, got.createdBy],
      [a.id, JobType.JOB_TYPE_INGEST, JobState.JOB_STATE_PENDING, 'shop', 'orders', 'local'],
    );
    const list = (req: object) => unary(c.jobs, c.jobs.listJobs, { project: '', type: 0, state: 0, pageSize: 0, pageToken: '', ...req });
    assert.deepEqual(
      (await list({ project: 'shop' })).jobs.map((j) => j.id),
      [b.id, a.id],
    );
    assert.deepEqual(
      (await list({ project: 'shop', type: JobType.JOB_TYPE_RETRIEVE })).jobs.map((j) => j.id),
      [b.id],
    );
    const first = await list({ pageSize: 2 });
    const second = await list({ pageSize: 2, pageToken: first.nextPageToken });
    assert.deepEqual([...first.jobs, ...second.jobs].map((j) => j.id).slice(0, 3), [other.id, b.id, a.id]);
  });

  it('cancels a pending job at once, asks a running one to stop, and refuses finished ones', async () => {
    const pending = (await jobs.createJob(job(), () => [])).job;
    const cancelled = await unary(c.jobs, c.jobs.cancelJob, { id: pending.id });
    assert.equal(cancelled.state, JobState.JOB_STATE_CANCELLED);
    assert.ok(cancelled.endTime);
    assert.equal((await unary(c.jobs, c.jobs.cancelJob, { id: pending.id })).state, JobState.JOB_STATE_CANCELLED);

    const running = (await jobs.createJob(job(), () => [])).job;
    await jobs.updateJob(running.id, { state: 'RUNNING' }, ['PENDING'], () => []);
    const asked = await unary(c.jobs, c.jobs.cancelJob, { id: running.id });
    assert.equal(asked.state, JobState.JOB_STATE_RUNNING);
    assert.match(asked.message, /cancel requested by local/);
    assert.equal((await jobs.getJob(running.id))?.cancelRequested, true);

    const done = (await jobs.createJob(job(), () => [])).job;
    await jobs.updateJob(done.id, { state: 'RUNNING' }, ['PENDING'], () => []);
    await jobs.updateJob(done.id, { state: 'SUCCEEDED', progress: 1 }, ['RUNNING'], () => []);
    await rejectsWith(unary(c.jobs, c.jobs.cancelJob, { id: done.id }), status.FAILED_PRECONDITION, 'id', /already succeeded/);
  });

  it('watches a job: the current state, every change, and the end after a terminal state', async () => {
    const { job: j } = await jobs.createJob(job(), () => []);
    const seen: WatchJobResponse[] = [];
    const stream = c.jobs.watchJob({ id: j.id });
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('data', (m: WatchJobResponse) => seen.push(m));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const wait = () => new Promise((r) => setTimeout(r, 450));
    await wait();
    await jobs.updateJob(j.id, { state: 'RUNNING', message: 'reading' }, ['PENDING'], () => []);
    await wait();
    await jobs.updateJob(j.id, { progress: 0.5 }, ['RUNNING'], () => []);
    await wait();
    await jobs.updateJob(
      j.id,
      {
        state: 'FAILED',
        error: { code: 'INVALID_ARGUMENT', message: 'bad row', details: [{ field: 'source', row: 3, column: 'amount', message: 'not a number' }] },
      },
      ['RUNNING'],
      () => [],
    );
    await ended;
    assert.deepEqual(
      seen.map((m) => [JobState[m.job!.state], m.job!.progress]),
      [
        ['JOB_STATE_PENDING', 0],
        ['JOB_STATE_RUNNING', 0],
        ['JOB_STATE_RUNNING', 0.5],
        ['JOB_STATE_FAILED', 0.5],
      ],
    );
    assert.deepEqual(seen.at(-1)!.job!.error?.details, [{ field: 'source', row: '3', column: 'amount', message: 'not a number' }]);
  });

  it('answers bad or unknown ids with the field at fault', async () => {
    await rejectsWith(unary(c.jobs, c.jobs.getJob, { id: '' }), status.INVALID_ARGUMENT, 'id', /required/);
    await rejectsWith(unary(c.jobs, c.jobs.getJob, { id: 'nope' }), status.INVALID_ARGUMENT, 'id');
    await rejectsWith(unary(c.jobs, c.jobs.cancelJob, { id: '00000000-0000-4000-8000-000000000000' }), status.NOT_FOUND, 'id');
    await rejectsWith(
      unary(c.jobs, c.jobs.listJobs, { project: 'bad-name', type: 0, state: 0, pageSize: 0, pageToken: '' }),
      status.INVALID_ARGUMENT,
      'project',
    );
    await rejectsWith(
      unary(c.jobs, c.jobs.listJobs, { project: '', type: 42 as JobType, state: 0, pageSize: 0, pageToken: '' }),
      status.INVALID_ARGUMENT,
      'type',
    );
  });
});
