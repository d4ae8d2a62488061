// The JobStore contract, run against PGlite and PostgreSQL (in the catalog database).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { FailedPrecondition, NotFound } from '../../shared/core/errors.js';
import { EventTypes } from '../../shared/core/events.js';
import { statesBefore, type Job } from '../../shared/core/jobs.js';
import type { NewJob } from '../../shared/core/ports/job-store.js';
import type { Subject } from './metadata-store.contract.js';
import { ingestJobSpec, newIngestJob, newRetrieveJob } from '../support/jobs.js';

const project = () => `p_${randomBytes(4).toString('hex')}`;
const newJob = (p: string, extra: Parameters<typeof newIngestJob>[2] = {}): NewJob => newIngestJob(p, 'fs', extra);
const requested = (job: Job) => [{ type: EventTypes.jobRequested, subject: `jobs/${job.id}`, data: { jobId: job.id } }];

export function jobStoreContract(name: string, subject: () => Subject): void {
  describe(`JobStore contract: ${name}`, () => {
    let s: Subject;
    before(() => {
      s = subject();
    });
    const eventsFor = async (id: string) =>
      (await s.sql.query<{ type: string }>('SELECT type FROM outbox WHERE subject = $1 ORDER BY id', [`jobs/${id}`])).rows.map((r) => r.type);

    it('creates a PENDING job with its job.requested event in one transaction', async () => {
      const { job, created } = await s.jobs.createJob(newJob(project()), requested);
      assert.equal(created, true);
      assert.deepEqual([job.state, job.progress, job.revision, job.cancelRequested], ['PENDING', 0, 1, false]);
      assert.match(job.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(job.spec, ingestJobSpec(job.project));
      assert.deepEqual(await eventsFor(job.id), [EventTypes.jobRequested]);
      assert.deepEqual((await s.jobs.getJob(job.id))?.createTime, job.createTime);
    });

    it('reads a spec stored by release 0.1.0 (no shape version) and refuses one from a newer release or of the wrong shape', async () => {
      const { job } = await s.jobs.createJob(newJob(project()), requested);
      const stored = async (spec: unknown) => {
        await s.sql.query('UPDATE jobs SET spec = $2 WHERE id = $1', [job.id, JSON.stringify(spec)]);
        return s.jobs.getJob(job.id);
      };
      const { specVersion, ...old } = (await s.sql.query<{ spec: Record<string, unknown> }>('SELECT spec FROM jobs WHERE id = $1', [job.id])).rows[0].spec;
      assert.equal(specVersion, 1, 'written with the version of its shape');
      assert.deepEqual((await stored(old))?.spec, job.spec);
      await assert.rejects(stored({ ...old, specVersion: 2 }), (err: unknown) => err instanceof FailedPrecondition && /newer release/.test(err.message));
      await assert.rejects(stored({ ...old, major: 'one' }), (err: unknown) => err instanceof FailedPrecondition && /major/.test(err.message));
    });

    it('returns the first job for a repeated request id, writing nothing more', async () => {
      const p = project();
      const first = await s.jobs.createJob(newJob(p, { requestId: 'req-1' }), requested);
      const again = await s.jobs.createJob(newJob(p, { requestId: 'req-1', spec: ingestJobSpec(p, 'fs', { minor: 7 }) }), requested);
      assert.equal(again.created, false);
      assert.equal(again.job.id, first.job.id);
      assert.deepEqual(await eventsFor(first.job.id), [EventTypes.jobRequested]);
      // The same request id from someone else is a different request.
      const bob = await s.jobs.createJob(newJob(p, { requestId: 'req-1', createdBy: 'bob' }), requested);
      assert.notEqual(bob.job.id, first.job.id);
    });

    it('moves through the state machine with compare-and-set, stamping times', async () => {
      const { job } = await s.jobs.createJob(newJob(project()), requested);
      const running = await s.jobs.updateJob(job.id, { state: 'RUNNING', message: 'reading' }, statesBefore('RUNNING'), () => []);
      assert.equal(running.state, 'RUNNING');
      assert.ok(running.startTime);
      assert.equal(running.endTime, undefined);
      const progressed = await s.jobs.updateJob(job.id, { progress: 0.5 }, ['RUNNING'], () => []);
      assert.equal(progressed.progress, 0.5);
      assert.equal(progressed.message, 'reading');
      assert.equal(progressed.revision, running.revision + 1);
      const done = await s.jobs.updateJob(
        job.id,
        { state: 'SUCCEEDED', progress: 1, result: { kind: 'ingest', ingestId: 'i1', rows: 10, duplicateRows: 2 } },
        statesBefore('SUCCEEDED'),
        (j) => [{ type: EventTypes.jobStatus, subject: `jobs/${j.id}`, data: { state: j.state } }],
      );
      assert.ok(done.endTime && done.endTime >= done.startTime!);
      assert.deepEqual(done.result, { kind: 'ingest', ingestId: 'i1', rows: 10, duplicateRows: 2 });
      await assert.rejects(
        s.jobs.updateJob(job.id, { state: 'FAILED' }, statesBefore('FAILED'), () => []),
        (e: unknown) => {
          assert.ok(e instanceof FailedPrecondition);
          assert.match(e.message, /is SUCCEEDED/);
          return true;
        },
      );
      assert.deepEqual(await eventsFor(job.id), [EventTypes.jobRequested, EventTypes.jobStatus]);
      await assert.rejects(
        s.jobs.updateJob('00000000-0000-4000-8000-000000000000', { progress: 1 }, ['RUNNING'], () => []),
        NotFound,
      );
    });

    it('lets exactly one of two racing transitions win', async () => {
      const { job } = await s.jobs.createJob(newJob(project()), requested);
      const results = await Promise.allSettled([
        s.jobs.updateJob(job.id, { state: 'RUNNING' }, ['PENDING'], () => []),
        s.jobs.updateJob(job.id, { state: 'CANCELLED' }, ['PENDING'], () => []),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason instanceof FailedPrecondition);
    });

    it('keeps a failure with row and column detail', async () => {
      const { job } = await s.jobs.createJob(newJob(project()), requested);
      const error = {
        code: 'INVALID_ARGUMENT' as const,
        message: 'bad rows',
        details: [{ field: 'source', row: 7, column: 'amount', message: 'not a number: "abc"' }],
      };
      const failed = await s.jobs.updateJob(job.id, { state: 'FAILED', error }, statesBefore('FAILED'), () => []);
      assert.deepEqual((await s.jobs.getJob(failed.id))?.error, error);
    });

    it('lists newest first with filters and keyset pages', async () => {
      const p = project();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await s.jobs.createJob(i % 2 ? newRetrieveJob(p) : newJob(p), () => [])).job.id);
        // Each in a millisecond of its own: within one, the order is by id (random), not by creation.
        await new Promise((r) => setTimeout(r, 2));
      }
      await s.jobs.updateJob(ids[0], { state: 'CANCELLED' }, ['PENDING'], () => []);
      const all = await s.jobs.listJobs({ project: p, limit: 10 });
      assert.deepEqual(
        all.map((j) => j.id),
        [...ids].reverse(),
      );
      const page1 = await s.jobs.listJobs({ project: p, limit: 2 });
      const last = page1[1];
      const page2 = await s.jobs.listJobs({ project: p, limit: 10, before: { createTime: last.createTime, id: last.id } });
      assert.deepEqual(
        [...page1, ...page2].map((j) => j.id),
        [...ids].reverse(),
      );
      assert.deepEqual(
        (await s.jobs.listJobs({ project: p, type: 'RETRIEVE', limit: 10 })).map((j) => j.id),
        [ids[3], ids[1]],
      );
      assert.deepEqual(
        (await s.jobs.listJobs({ project: p, state: 'CANCELLED', limit: 10 })).map((j) => j.id),
        [ids[0]],
      );
    });

    it('fails RUNNING jobs whose worker went silent past the lease, and only those', async () => {
      const p = project();
      const make = async () => (await s.jobs.createJob(newJob(p), () => [])).job;
      const [silent, alive, pending] = [await make(), await make(), await make()];
      for (const j of [silent, alive]) await s.jobs.updateJob(j.id, { state: 'RUNNING' }, ['PENDING'], () => []);
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [silent.id]);
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [alive.id]);
      assert.equal(await s.jobs.heartbeat(alive.id), true, 'a beat of a running job counts');
      assert.equal(await s.jobs.heartbeat(pending.id), false, 'a job not running has no worker to beat for it');
      const error = { code: 'ABORTED' as const, message: 'the worker stopped', details: [] };
      assert.deepEqual(
        (await s.jobs.abandoned(60_000)).filter((j) => j.project === p).map((j) => j.id),
        [silent.id],
      );
      const failed = (await s.jobs.endAbandoned(60_000, 60_000, error)).filter((j) => j.project === p);
      assert.deepEqual(
        failed.map((j) => [j.id, j.state, j.error?.message]),
        [[silent.id, 'FAILED', 'the worker stopped']],
      );
      assert.ok(failed[0].endTime);
      assert.deepEqual([(await s.jobs.getJob(alive.id))?.state, (await s.jobs.getJob(pending.id))?.state], ['RUNNING', 'PENDING']);
      assert.equal(await s.jobs.heartbeat(silent.id), false, 'the abandoned worker, should it wake, learns its job ended');
      // The worker's own updates (in its attempt) are a sign of life too; anyone else's are not.
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [alive.id]);
      await s.jobs.updateJob(alive.id, { progress: 0.5, ifAttempt: 0 }, ['RUNNING'], () => []);
      assert.deepEqual(
        (await s.jobs.endAbandoned(60_000, 60_000, error)).filter((j) => j.project === p),
        [],
      );
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [alive.id]);
      await s.jobs.updateJob(alive.id, { message: 'someone looked' }, ['RUNNING'], () => []);
      assert.deepEqual(
        (await s.jobs.abandoned(60_000)).filter((j) => j.project === p).map((j) => j.id),
        [alive.id],
      );
    });

    it("never lets a cancel request renew a dead worker's lease: the job ends CANCELLED at the next claim or sweep", async () => {
      const p = project();
      const error = { code: 'ABORTED' as const, message: 'the worker stopped', details: [] };
      const make = async () => (await s.jobs.createJob(newJob(p), () => [])).job;
      const [byClaim, bySweep, waiting] = [await make(), await make(), await make()];
      for (const j of [byClaim, bySweep, waiting]) assert.equal((await s.jobs.claim(j.id, 60_000)).job?.attempt, 1);
      // The workers die; a user cancels two of the jobs a while later.
      for (const j of [byClaim, bySweep, waiting]) await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [j.id]);
      for (const j of [byClaim, bySweep]) await s.jobs.updateJob(j.id, { cancelRequested: true, message: 'cancel requested' }, ['RUNNING'], () => []);
      const claimed = await s.jobs.claim(byClaim.id, 60_000);
      assert.deepEqual(
        [claimed.job, claimed.current?.state, claimed.current?.attempt],
        [undefined, 'CANCELLED', 1],
        'the redelivery cancels instead of running it again',
      );
      // The sweep: the cancelled one ends at one lease, the other fails only after the longer bound.
      const ended = (await s.jobs.endAbandoned(60_000, 3_600_000, error)).filter((j) => j.project === p);
      assert.deepEqual(
        ended.map((j) => [j.id, j.state, j.error]),
        [[bySweep.id, 'CANCELLED', undefined]],
      );
      assert.ok(ended[0].endTime);
      assert.deepEqual(
        (await s.jobs.abandoned(60_000)).filter((j) => j.project === p).map((j) => [j.id, j.state]),
        [[waiting.id, 'RUNNING']],
      );
      assert.deepEqual(
        (await s.jobs.endAbandoned(60_000, 60_000, error)).filter((j) => j.project === p).map((j) => [j.id, j.state]),
        [[waiting.id, 'FAILED']],
      );
    });

    it('claims a pending job once, takes over a running job only after its worker went silent, and fences the old worker', async () => {
      const p = project();
      const job = (await s.jobs.createJob(newJob(p), () => [])).job;
      assert.equal(job.attempt, 0);
      const first = await s.jobs.claim(job.id, 60_000);
      assert.deepEqual([first.job?.state, first.job?.attempt], ['RUNNING', 1]);
      const again = await s.jobs.claim(job.id, 60_000);
      assert.equal(again.job, undefined, 'a live worker keeps its job');
      assert.deepEqual([again.current?.state, again.current?.attempt], ['RUNNING', 1]);
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [job.id]);
      const taken = await s.jobs.claim(job.id, 60_000);
      assert.deepEqual([taken.job?.state, taken.job?.attempt], ['RUNNING', 2], 'a silent worker is replaced by the next attempt');
      // The first worker wakes up: its beats and reports change nothing, and write no event.
      assert.equal(await s.jobs.heartbeat(job.id, 1), false);
      await assert.rejects(
        s.jobs.updateJob(job.id, { state: 'SUCCEEDED', ifAttempt: 1 }, ['RUNNING'], (j) => requested(j)),
        FailedPrecondition,
      );
      assert.deepEqual(await eventsFor(job.id), []);
      assert.equal(await s.jobs.heartbeat(job.id, 2), true);
      // The worker reports its outcome; until status-handler applies it the job stays RUNNING with no
      // worker, which is neither abandoned nor free to take over.
      await s.jobs.updateJob(job.id, { message: 'done', ifAttempt: 2, reported: true }, ['RUNNING'], () => []);
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [job.id]);
      assert.equal((await s.jobs.claim(job.id, 60_000)).job, undefined);
      assert.deepEqual(
        (await s.jobs.endAbandoned(60_000, 60_000, { code: 'ABORTED', message: 'x', details: [] })).filter((j) => j.project === p),
        [],
      );
      await s.jobs.updateJob(job.id, { state: 'SUCCEEDED', ifAttempt: 2 }, ['RUNNING'], () => []);
      const done = await s.jobs.claim(job.id, 0);
      assert.deepEqual([done.job, done.current?.state], [undefined, 'SUCCEEDED'], 'a finished job is never claimed again');
      assert.deepEqual(await s.jobs.claim('00000000-0000-4000-8000-000000000000', 0), { current: undefined });
    });

    it('holds no lease on a job handed off to a cluster application; one caller takes it back, in the next attempt', async () => {
      const p = project();
      const job = (await s.jobs.createJob(newJob(p), () => [])).job;
      const claimed = (await s.jobs.claim(job.id, 60_000)).job!;
      const handed = await s.jobs.updateJob(
        job.id,
        { handedOff: 'featurestore-app-1', message: 'on Spark', ifAttempt: claimed.attempt },
        ['RUNNING'],
        () => [],
      );
      assert.equal(handed.handedOff, 'featurestore-app-1');
      // Silent for long: neither taken over, nor abandoned, nor failed by the sweep.
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [job.id]);
      assert.equal((await s.jobs.claim(job.id, 1)).job, undefined);
      assert.deepEqual(
        (await s.jobs.abandoned(1)).filter((j) => j.project === p),
        [],
      );
      assert.deepEqual(
        (await s.jobs.endAbandoned(1, 1, { code: 'ABORTED', message: 'x', details: [] })).filter((j) => j.project === p),
        [],
      );
      assert.equal(await s.jobs.takeBack(job.id, 'featurestore-other'), undefined, 'only for its own application');
      const [a, b] = await Promise.all([s.jobs.takeBack(job.id, 'featurestore-app-1'), s.jobs.takeBack(job.id, 'featurestore-app-1')]);
      const back = a ?? b;
      assert.ok(!(a && b), 'exactly one caller takes it back');
      assert.deepEqual([back?.state, back?.attempt, back?.handedOff], ['RUNNING', claimed.attempt + 1, undefined]);
      // From here on it is an ordinary running job: its lease counts again.
      await s.sql.query(`UPDATE jobs SET heartbeat_time = now() - interval '10 minutes' WHERE id = $1`, [job.id]);
      assert.deepEqual(
        (await s.jobs.abandoned(60_000)).filter((j) => j.project === p).map((j) => j.id),
        [job.id],
      );
      // Ending a job clears the hand-off.
      const ended = await s.jobs.updateJob(job.id, { state: 'FAILED', handedOff: 'featurestore-app-2' }, ['RUNNING'], () => []);
      assert.equal(ended.handedOff, undefined);
    });

    it("keeps a handed-off job's credential hash and its application's reported result, only while handed off; taking back reads the result, ending clears both", async () => {
      const job = (await s.jobs.createJob(newJob(project()), () => [])).job;
      const claimed = (await s.jobs.claim(job.id, 60_000)).job!;
      const report = (outcome: unknown) => s.jobs.updateJob(job.id, { runnerOutcome: outcome, ifHandedOff: true }, ['RUNNING'], () => []);
      await s.jobs.updateJob(job.id, { runnerTokenHash: 'ab'.repeat(32), ifAttempt: claimed.attempt }, ['RUNNING'], () => []);
      await assert.rejects(report({ ok: true }), FailedPrecondition, 'not handed off yet');
      await s.jobs.updateJob(job.id, { handedOff: 'featurestore-app-9', ifAttempt: claimed.attempt }, ['RUNNING'], () => []);
      const reported = await report({ ok: true, rows: 3, files: ['a.parquet'] });
      assert.deepEqual([reported.runnerTokenHash, reported.runnerOutcome], ['ab'.repeat(32), { ok: true, rows: 3, files: ['a.parquet'] }]);
      const back = await s.jobs.takeBack(job.id, 'featurestore-app-9');
      assert.deepEqual(back?.runnerOutcome, { ok: true, rows: 3, files: ['a.parquet'] }, 'taken back with what was reported');
      await assert.rejects(report({ ok: false }), FailedPrecondition, 'a late report changes nothing');
      assert.deepEqual((await s.jobs.getJob(job.id))?.runnerOutcome, { ok: true, rows: 3, files: ['a.parquet'] });
      const ended = await s.jobs.updateJob(job.id, { state: 'SUCCEEDED' }, ['RUNNING'], () => []);
      assert.deepEqual([ended.runnerTokenHash, ended.runnerOutcome], [undefined, undefined]);
    });

    it('answers undefined for a job that does not exist', async () => {
      assert.equal(await s.jobs.getJob('00000000-0000-4000-8000-000000000000'), undefined);
    });
  });
}
