// Each function as its own process, per the Knative container contract: $PORT, health, SIGTERM drain.
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { clients, rejectsWith, unary } from '../support/grpc.js';
import { healthCheck } from '../support/hosts.js';
import { freshDatabase } from '../support/postgres.js';
import { safeJson, spawnFunction } from '../support/process.js';

describe('standalone register process', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await db.drop();
  });

  it('on SIGTERM stops taking calls, finishes the call in flight, closes and exits 0', async () => {
    const fn = await spawnFunction('functions/register/main.ts', { FEATURESTORE_METADATA_URL: db.url, FEATURESTORE_DRAIN_SECONDS: '20' });
    const c = clients(fn.port);
    const other = clients(fn.port);
    try {
      await unary(c.projects, c.projects.createProject, { name: 'drain', description: 'before', tags: {} });
      // Hold the project's row lock so the next update stays in flight until we let go.
      const blocker = new pg.Client({ connectionString: db.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM projects WHERE name = 'drain' FOR UPDATE`);
      const inFlight = unary(c.projects, c.projects.updateProject, { name: 'drain', description: 'during drain', tags: {}, replaceTags: false, etag: '' });
      await waitFor(async () => (await blocker.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rows[0].n > 0);

      fn.child.kill('SIGTERM');
      await waitFor(async () => fn.lines.some((l) => /draining/.test(l)));
      // A new client cannot start calls any more.
      await rejectsWith(unary(other.projects, other.projects.getProject, { name: 'drain' }), status.UNAVAILABLE);

      await blocker.query('COMMIT');
      await blocker.end();
      const updated = await inFlight;
      assert.equal(updated.description, 'during drain');
      assert.equal(await fn.exited, 0);
      assert.ok(
        fn.lines.some((l) => safeJson(l)?.['msg'] === 'stopped'),
        fn.lines.join('\n'),
      );
      // Every log line is structured JSON with a level and a message.
      for (const line of fn.lines) assert.ok(safeJson(line)?.['level'] && safeJson(line)?.['msg'], `not a JSON log line: ${line}`);
    } finally {
      c.close();
      other.close();
      fn.child.kill('SIGKILL');
    }
  });

  it('refuses to start with bad configuration, naming the setting', async () => {
    await assert.rejects(
      spawnFunction('functions/register/main.ts', { FEATURESTORE_METADATA_URL: 'mysql://nope' }),
      /FEATURESTORE_METADATA_URL: use postgres:\/\//,
    );
    await assert.rejects(spawnFunction('functions/register/main.ts', { PORT: 'eighty' }), /PORT/);
  });

  it('reports health and survives the database dropping its connections', async () => {
    const fn = await spawnFunction('functions/register/main.ts', { FEATURESTORE_METADATA_URL: db.url });
    const c = clients(fn.port);
    try {
      assert.equal(await healthCheck(fn.port), 'SERVING');
      await unary(c.projects, c.projects.createProject, { name: 'survivor', description: '', tags: {} });
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'featurestore' AND datname = current_database()`,
      );
      await admin.end();
      assert.ok(killed.rows.length > 0, 'the function held a connection');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await unary(c.projects, c.projects.getProject, { name: 'survivor' })).name, 'survivor');
    } finally {
      c.close();
      fn.child.kill('SIGTERM');
      await fn.exited;
    }
  });

  it('exits 1 with a clear message when the metadata database cannot be reached at start', async () => {
    await assert.rejects(
      spawnFunction('functions/register/main.ts', { FEATURESTORE_METADATA_URL: 'postgres://u:p@127.0.0.1:1/none' }),
      /exited with 1[\s\S]*metadata database is unreachable/,
    );
  });
});

describe('standalone event function process', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await db.drop();
  });

  it('serves probes, acknowledges events, and never answers 404 to those it cannot take', async () => {
    const fn = await spawnFunction('functions/spark-submit/main.ts', { FEATURESTORE_METADATA_URL: db.url });
    const sync = await spawnFunction('functions/online-to-offline/main.ts', { FEATURESTORE_METADATA_URL: db.url });
    try {
      const base = `http://127.0.0.1:${fn.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const post = (url: string, headers: Record<string, string>, body: string) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      let n = 0;
      const ce = (type: string, id = `e${++n}`) => ({ 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/test', 'ce-type': type });
      // A job that no longer exists: nothing to do, acknowledged.
      const gone = await post(base, ce('dev.featurestore.job.requested.v1'), '{"jobId":"00000000-0000-4000-8000-000000000000"}');
      assert.equal(gone.status, 202);
      // The same event again (same source+id): recognised as handled, nothing run.
      assert.equal((await post(base, ce('dev.featurestore.job.requested.v1', 'e1'), '{"jobId":"00000000-0000-4000-8000-000000000000"}')).status, 200);
      const bad = await post(base, ce('dev.featurestore.job.requested.v1'), '{"jobId":"j1"}');
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /^data.jobId: "j1" is not a job id/);
      // The cron's tick, with nothing written online yet: done, acknowledged.
      assert.equal((await post(`http://127.0.0.1:${sync.port}`, ce('dev.featurestore.sync.tick.v1'), '{}')).status, 202);
      assert.equal((await post(base, ce('com.example.other'), '{}')).status, 400);
      assert.equal((await post(base, {}, '{}')).status, 400);
      fn.child.kill('SIGTERM');
      assert.equal(await fn.exited, 0);
    } finally {
      fn.child.kill('SIGKILL');
      sync.child.kill('SIGKILL');
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
