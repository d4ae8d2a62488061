// The IngestStore contract (commit, revert, history, statistics), run against PGlite and PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Aborted, FailedPrecondition } from '../../shared/core/errors.js';
import { EventTypes } from '../../shared/core/events.js';
import { visibleAt } from '../../shared/core/ingests.js';
import type { FeatureStatistics } from '../../shared/core/model.js';
import type { NewIngest } from '../../shared/core/ports/ingest-store.js';
import { version, type Subject } from './metadata-store.contract.js';
import { newIngestJob } from '../support/jobs.js';

const stats = (count: number): Record<string, FeatureStatistics> => ({
  score: { count, nullCount: 0, min: '1', max: '2', mean: 1.5, stddev: 0.5, approxDistinct: count, computeTime: new Date('2026-11-01T00:00:00Z') },
});

export function ingestStoreContract(name: string, subject: () => Subject): void {
  describe(`IngestStore contract: ${name}`, () => {
    let s: Subject;
    before(() => {
      s = subject();
    });

    /** A project with feature set `fs` v1.0 and a RUNNING job of the given type. */
    async function setup() {
      const project = `p_${randomBytes(4).toString('hex')}`;
      await s.store.createProject({ name: project, description: '', owner: 'alice', tags: {} }, []);
      await s.store.createFeatureSet(version(project, 'fs'), []);
      return project;
    }
    async function runningJob(project: string, type: 'INGEST' | 'REVERT' = 'INGEST') {
      const { job } = await s.jobs.createJob(
        type === 'INGEST'
          ? newIngestJob(project)
          : { type, project, featureSet: 'fs', spec: { project, featureSet: 'fs', major: 1, ingestId: randomUUID() }, createdBy: 'alice', requestId: '' },
        () => [],
      );
      return s.jobs.updateJob(job.id, { state: 'RUNNING' }, ['PENDING'], () => []);
    }
    async function commit(project: string, rows: number, basis: string[] = [], logRange?: NewIngest['logRange']) {
      const job = await runningJob(project);
      const ingest: NewIngest = {
        id: randomUUID(),
        project,
        featureSet: 'fs',
        major: 1,
        minor: 0,
        jobId: job.id,
        source: { uri: 'file:///x.csv', options: {} },
        rows,
        duplicateRows: 0,
        files: [`${project}/fs/v1/ingest=x/part-0.parquet`],
        statistics: stats(rows),
        createdBy: 'alice',
        basis,
        logRange,
      };
      return {
        ingest,
        job,
        committed: () => s.ingests.commit(ingest, (_j, i) => [{ type: EventTypes.ingestCommitted, subject: `projects/${project}`, data: { ingestId: i.id } }]),
      };
    }
    const outbox = async (project: string) =>
      (await s.sql.query<{ type: string }>('SELECT type FROM outbox WHERE subject = $1 ORDER BY id', [`projects/${project}`])).rows.map((r) => r.type);

    it('commits an ingest with its job and event; a second commit of the job changes nothing', async () => {
      const project = await setup();
      const a = await commit(project, 3);
      const first = await a.committed();
      assert.deepEqual(
        [first.ingest.state, first.ingest.rows, first.job.state, first.job.result],
        ['COMMITTED', 3, 'SUCCEEDED', { kind: 'ingest', ingestId: a.ingest.id, rows: 3, duplicateRows: 0 }],
      );
      const again = await a.committed();
      assert.equal(again.ingest.id, a.ingest.id);
      assert.deepEqual(await outbox(project), [EventTypes.ingestCommitted]);
      assert.deepEqual(
        (await s.ingests.visible(project, 'fs', 1)).map((i) => i.id),
        [a.ingest.id],
      );
      assert.equal((await s.ingests.statistics(project, 'fs', 1))?.['score']?.count, 3);
      assert.deepEqual((await s.ingests.get(a.ingest.id))?.statistics, stats(3));
    });

    it('pages the history newest first by the millisecond clients see, skipping none committed in the same millisecond', async () => {
      const project = await setup();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await (await commit(project, 1)).committed()).ingest.id);
      // Three commits within one millisecond (µs apart), as a busy server makes them.
      for (const [i, id] of ids.entries())
        await s.sql.query(`UPDATE ingests SET commit_time = $1::timestamptz WHERE id = $2`, [`2026-11-01T00:00:00.000${i + 1}00Z`, id]);
      const seen: string[] = [];
      let before: { commitTime: Date; id: string } | undefined;
      for (let page = 0; page < 5; page++) {
        const rows = await s.ingests.list(project, 'fs', before, 1);
        if (rows.length === 0) break;
        seen.push(rows[0].id);
        before = { commitTime: rows[0].commitTime, id: rows[0].id };
      }
      assert.deepEqual([...seen].sort(), [...ids].sort(), 'every ingest once');
      assert.equal(new Set(seen).size, 3);
    });

    it('reverts: hides the ingest, makes the new version latest, ends the job and keeps statistics, in one transaction', async () => {
      const project = await setup();
      const a = await commit(project, 3);
      await a.committed();
      const b = await commit(project, 2, [a.ingest.id]);
      await b.committed();
      const job = await runningJob(project, 'REVERT');
      const latest = (await s.store.getFeatureSet(project, 'fs'))!;
      const { featureSet, job: done } = await s.ingests.revert(
        { ingestId: a.ingest.id, jobId: job.id, statistics: stats(2), version: version(project, 'fs', 1, 1, { changeSummary: 'reverted' }), expected: latest },
        () => [{ type: EventTypes.ingestReverted, subject: `projects/${project}`, data: {} }],
      );
      assert.deepEqual([featureSet.major, featureSet.minor, (await s.store.getFeatureSet(project, 'fs'))?.minor], [1, 1, 1]);
      assert.deepEqual(done.result, { kind: 'revert', ingestId: a.ingest.id, version: '1.1', rowsRemoved: 3 });
      assert.deepEqual(
        (await s.ingests.visible(project, 'fs', 1)).map((i) => i.id),
        [b.ingest.id],
      );
      const history = await s.ingests.history(project, 'fs', 1);
      assert.deepEqual(
        history.map((i) => i.state),
        ['REVERTED', 'COMMITTED'],
      );
      const revertTime = history[0].revertTime!;
      // Time travel: before the revert both are visible, after it only b.
      assert.equal(visibleAt(history, new Date(revertTime.getTime() - 1)).length, 2);
      assert.deepEqual(
        visibleAt(history, revertTime).map((i) => i.id),
        [b.ingest.id],
      );
      assert.equal((await s.ingests.statistics(project, 'fs', 1))?.['score']?.count, 2);
      assert.deepEqual(await outbox(project), [EventTypes.ingestCommitted, EventTypes.ingestCommitted, EventTypes.ingestReverted]);

      // Reverting again fails and writes nothing.
      const again = await runningJob(project, 'REVERT');
      await assert.rejects(
        s.ingests.revert(
          { ingestId: a.ingest.id, jobId: again.id, statistics: stats(0), version: version(project, 'fs', 1, 2), expected: featureSet },
          () => [],
        ),
        (e: unknown) => e instanceof FailedPrecondition && e.field === 'ingest_id',
      );
      assert.equal((await s.store.getFeatureSet(project, 'fs'))?.minor, 1);
      assert.equal((await s.jobs.getJob(again.id))?.state, 'RUNNING');
    });

    it('refuses a revert against a stale version and an ingest whose basis was reverted meanwhile', async () => {
      const project = await setup();
      const a = await commit(project, 3);
      await a.committed();
      const job = await runningJob(project, 'REVERT');
      const stale = { major: 1, minor: 7 };
      await assert.rejects(
        s.ingests.revert({ ingestId: a.ingest.id, jobId: job.id, statistics: stats(0), version: version(project, 'fs', 1, 8), expected: stale }, () => []),
        Aborted,
      );
      assert.equal((await s.ingests.get(a.ingest.id))?.state, 'COMMITTED');

      // b deduplicated against a; a is reverted before b commits: b must not commit.
      const b = await commit(project, 1, [a.ingest.id]);
      await s.ingests.revert(
        { ingestId: a.ingest.id, jobId: job.id, statistics: stats(0), version: version(project, 'fs', 1, 1), expected: { major: 1, minor: 0 } },
        () => [],
      );
      await assert.rejects(b.committed(), (e: unknown) => e instanceof FailedPrecondition && /reverted while this one ran/.test(e.message));
      assert.equal(await s.ingests.get(b.ingest.id), undefined);
      assert.equal((await s.jobs.getJob(b.job.id))?.state, 'RUNNING');
    });

    it('advances the drained position of the online log only from where the range of an ingest starts', async () => {
      const project = await setup();
      const table = { project, featureSet: 'fs', major: 1 };
      assert.equal(await s.ingests.drainedThrough(table), 0);
      await (await commit(project, 10, [], { after: 0, through: 10 })).committed();
      assert.equal(await s.ingests.drainedThrough(table), 10);
      // A second drain of the same rows (a run that started before the first committed) cannot land.
      const late = await commit(project, 12, [], { after: 0, through: 12 });
      await assert.rejects(late.committed(), FailedPrecondition);
      assert.equal((await s.jobs.getJob(late.job.id))?.state, 'RUNNING', 'nothing of the failed commit stays');
      assert.equal(await s.ingests.get(late.ingest.id), undefined);
      await (await commit(project, 5, [], { after: 10, through: 15 })).committed();
      assert.equal(await s.ingests.drainedThrough(table), 15);
      assert.equal(await s.ingests.drainedThrough({ ...table, major: 2 }), 0, 'each major version has its own position');
    });
  });
}
