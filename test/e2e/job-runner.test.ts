// JobRunnerService, the channel a handed-off job's Spark application reports on: only the job's own
// credential opens it (whatever the users' authentication), only while the job waits for its
// application; progress shows as the job's, the result is kept for the job to finish with; bad
// input is INVALID_ARGUMENT naming the field.
import { credentials, status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ALL_FUNCTIONS } from '../../functions/index.js';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import type { Job } from '../../shared/core/jobs.js';
import type { JobStore } from '../../shared/core/ports/job-store.js';
import { newRunnerToken } from '../../shared/core/tokens.js';
import { JobRunnerServiceClient } from '../../shared/gen/featurestore/v1/job_runner.js';
import type { RunningHost } from '../../shared/runtime/host.js';
import { bearer, clients, rejectsWith, unary } from '../support/grpc.js';
import { startTestHost } from '../support/hosts.js';
import { newIngestJob } from '../support/jobs.js';
import { freshDatabase } from '../support/postgres.js';

describe('JobRunnerService: Spark applications report with their job’s credential', () => {
  let host: RunningHost;
  let jobs: JobStore;
  let close: () => Promise<void>;
  let users: ReturnType<typeof clients>;
  const runners: JobRunnerServiceClient[] = [];

  before(async () => {
    const db = await freshDatabase();
    const opened = await openMetadataStore({ type: 'postgres', url: db.url });
    jobs = opened.jobs;
    host = await startTestHost(ALL_FUNCTIONS, {
      FEATURESTORE_METADATA_URL: db.url,
      FEATURESTORE_FILE_ROOTS: mkdtempSync(join(tmpdir(), 'fs-runner-')),
    });
    users = clients(host.port);
    close = async () => {
      await opened.store.close();
      await db.drop();
    };
  });
  after(async () => {
    users.close();
    runners.forEach((r) => r.close());
    await host.stop();
    await close();
  });

  /** A client calling with `token` (none: no authorization header). */
  function runner(token?: string) {
    const client = new JobRunnerServiceClient(`127.0.0.1:${host.port}`, credentials.createInsecure(), token ? { interceptors: [bearer(token)] } : {});
    runners.push(client);
    return {
      progress: (jobId: string, fraction: number, message = '') => unary(client, client.reportProgress, { jobId, fraction, message }),
      result: (jobId: string, outcomeJson: string) => unary(client, client.reportResult, { jobId, outcomeJson }),
    };
  }

  /** A running job handed off to application `app`, with its credential. */
  async function handedOff(app = 'featurestore-app'): Promise<{ job: Job; token: string }> {
    const { job } = await jobs.createJob(newIngestJob(`p_${crypto.randomUUID().slice(0, 8)}`), () => []);
    const claimed = (await jobs.claim(job.id, 60_000)).job!;
    const credential = newRunnerToken(job.id);
    await jobs.updateJob(job.id, { runnerTokenHash: credential.hash, handedOff: app, ifAttempt: claimed.attempt }, ['RUNNING'], () => []);
    return { job, token: credential.secret };
  }

  it('shows the progress an application reports as its job’s; keeps the result it reports until the job is taken back', async () => {
    const { job, token } = await handedOff();
    await runner(token).progress(job.id, 0.5, 'stage 1: 2/4 tasks');
    const seen = await unary(users.jobs, users.jobs.getJob, { id: job.id });
    assert.equal(seen.message, 'running on Spark: stage 1: 2/4 tasks');
    assert.ok(Math.abs(seen.progress - 0.45) < 1e-9, `progress ${seen.progress}: 90% of the job is its application's`);
    await runner(token).result(job.id, '{"ok":true,"rows":3}');
    await runner(token).result(job.id, '{"ok":true,"rows":3}'); // a repeat (a retried call) is fine
    assert.deepEqual((await jobs.getJob(job.id))?.runnerOutcome, { ok: true, rows: 3 });
    // Taken back to finish: the credential no longer works.
    assert.deepEqual((await jobs.takeBack(job.id, 'featurestore-app'))?.runnerOutcome, { ok: true, rows: 3 });
    await rejectsWith(runner(token).result(job.id, '{"ok":false}'), status.UNAUTHENTICATED);
    await rejectsWith(runner(token).progress(job.id, 1), status.UNAUTHENTICATED);
  });

  it('refuses calls without the job’s credential: none, a made-up one, another secret for the job, one of an ended job', async () => {
    const { job, token } = await handedOff();
    await rejectsWith(runner().progress(job.id, 0.1), status.UNAUTHENTICATED, undefined, /FEATURESTORE_JOB_TOKEN/);
    await rejectsWith(runner('fs_not-a-runner-token').progress(job.id, 0.1), status.UNAUTHENTICATED);
    await rejectsWith(runner(newRunnerToken(job.id).secret).progress(job.id, 0.1), status.UNAUTHENTICATED, undefined, /not valid/);
    await jobs.updateJob(job.id, { state: 'CANCELLED' }, ['RUNNING'], () => []);
    await rejectsWith(runner(token).result(job.id, '{"ok":true}'), status.UNAUTHENTICATED);
    assert.equal((await jobs.getJob(job.id))?.runnerOutcome, undefined, 'nothing kept');
  });

  it('refuses a report about another job, and bad input naming the field', async () => {
    const mine = await handedOff();
    const other = await handedOff('featurestore-other');
    const r = runner(mine.token);
    await rejectsWith(r.progress(other.job.id, 0.5), status.PERMISSION_DENIED, 'job_id');
    await rejectsWith(r.result(other.job.id, '{"ok":true}'), status.PERMISSION_DENIED, 'job_id');
    await rejectsWith(r.progress('', 0.5), status.INVALID_ARGUMENT, 'job_id');
    await rejectsWith(r.progress(mine.job.id, 1.5), status.INVALID_ARGUMENT, 'fraction');
    await rejectsWith(r.progress(mine.job.id, Number.NaN), status.INVALID_ARGUMENT, 'fraction');
    await rejectsWith(r.progress(mine.job.id, 0.5, 'x'.repeat(501)), status.INVALID_ARGUMENT, 'message');
    await rejectsWith(r.result(mine.job.id, 'not json'), status.INVALID_ARGUMENT, 'outcome_json');
    await rejectsWith(r.result(mine.job.id, '[1,2]'), status.INVALID_ARGUMENT, 'outcome_json');
    await rejectsWith(r.result(mine.job.id, JSON.stringify({ ok: true, pad: 'x'.repeat(4 * 2 ** 20) })), status.INVALID_ARGUMENT, 'outcome_json');
    const [a, b] = await Promise.all([jobs.getJob(mine.job.id), jobs.getJob(other.job.id)]);
    assert.deepEqual([a?.runnerOutcome, b?.runnerOutcome, a?.message, b?.message], [undefined, undefined, 'starting', 'starting'], 'nothing changed');
  });
});
