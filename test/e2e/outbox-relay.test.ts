// The outbox relay on a real catalog database (PostgreSQL): at-least-once delivery in commit order,
// retries with backoff, dead letters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CloudEventV1 } from 'cloudevents';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import { InvalidArgument, Unavailable } from '../../shared/core/errors.js';
import { EventTypes } from '../../shared/core/events.js';
import type { MetadataStore } from '../../shared/core/ports/metadata-store.js';
import type { Outbox } from '../../shared/core/ports/outbox.js';
import type { SqlClient } from '../../shared/adapters/sql/sql-client.js';
import { OutboxRelay } from '../../shared/runtime/events/outbox-relay.js';
import { freshDatabase } from '../support/postgres.js';
import { testLogger } from '../support/silent-logger.js';

const until = async (check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('outbox relay', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: MetadataStore;
  let outbox: Outbox;
  let sql: SqlClient;
  let n = 0;
  const project = async () => {
    const name = `relay_${n++}`;
    await store.createProject({ name, description: '', owner: 'a', tags: {} }, [
      { type: EventTypes.projectChanged, subject: `projects/${name}`, data: { project: name } },
    ]);
    return name;
  };
  const deliveredTo = (list: CloudEventV1<Record<string, unknown>>[]) => async (e: CloudEventV1<Record<string, unknown>>) => {
    list.push(e);
  };

  before(async () => {
    db = await freshDatabase();
    ({ store, outbox, sql } = await openMetadataStore({ type: 'postgres', url: db.url }));
  });
  after(async () => {
    await store.close();
    await db.drop();
  });

  it('delivers committed events in commit order as CloudEvents and marks them published', async () => {
    const names = [await project(), await project(), await project()];
    const seen: CloudEventV1<Record<string, unknown>>[] = [];
    const relay = new OutboxRelay(outbox, deliveredTo(seen), testLogger, { concurrency: 1, intervalMs: 20 });
    relay.start();
    await until(() => seen.length >= 3);
    await relay.stop();
    assert.deepEqual(
      seen.map((e) => e.data?.['project']),
      names,
    );
    assert.equal(seen[0].type, EventTypes.projectChanged);
    assert.equal(seen[0].specversion, '1.0');
    assert.match(seen[0].id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await outbox.pending(10), []);
  });

  it('retries a failing delivery with backoff until it succeeds, publishing once', async () => {
    const name = await project();
    let calls = 0;
    const times: number[] = [];
    const relay = new OutboxRelay(
      outbox,
      async (e) => {
        if (e.data?.['project'] !== name) return;
        times.push(Date.now());
        if (++calls < 3) throw new Unavailable('handler busy');
      },
      testLogger,
      { intervalMs: 10, backoffMs: 100 },
    );
    relay.start();
    await until(() => calls >= 3);
    await relay.stop();
    assert.ok(times[1] - times[0] >= 90, `first retry after ${times[1] - times[0]} ms`);
    assert.ok(times[2] - times[1] >= 190, `second retry after ${times[2] - times[1]} ms`);
    const { rows } = await sql.query<{ attempts: number; published: boolean }>(
      `SELECT attempts, publish_time IS NOT NULL AS published FROM outbox WHERE data->>'project' = $1`,
      [name],
    );
    assert.deepEqual(rows, [{ attempts: 2, published: true }]);
  });

  it('dead-letters an event at once on a non-retryable error, and after too many attempts otherwise', async () => {
    const poison = await project();
    const flaky = await project();
    const seen: string[] = [];
    const relay = new OutboxRelay(
      outbox,
      async (e) => {
        seen.push(String(e.data?.['project']));
        if (e.data?.['project'] === poison) throw new InvalidArgument('cannot handle this');
        if (e.data?.['project'] === flaky) throw new Error('boom');
      },
      testLogger,
      { intervalMs: 10, backoffMs: 10, maxAttempts: 3 },
    );
    relay.start();
    await until(
      async () =>
        (await sql.query(`SELECT 1 FROM outbox WHERE dead_letter_time IS NOT NULL AND data->>'project' = ANY($1)`, [[poison, flaky]])).rows.length === 2,
    );
    await new Promise((r) => setTimeout(r, 200));
    await relay.stop();
    assert.equal(seen.filter((p) => p === poison).length, 1);
    assert.equal(seen.filter((p) => p === flaky).length, 3);
    const { rows } = await sql.query<{ project: string; attempts: number; last_error: string }>(
      `SELECT data->>'project' AS project, attempts, last_error FROM outbox WHERE data->>'project' = ANY($1) ORDER BY id`,
      [[poison, flaky]],
    );
    assert.deepEqual(rows, [
      { project: poison, attempts: 1, last_error: 'cannot handle this' },
      { project: flaky, attempts: 3, last_error: 'boom' },
    ]);
  });

  it('delivers again after a crash between delivery and marking (at least once)', async () => {
    const name = await project();
    const first: string[] = [];
    // A relay that delivers but dies before recording it.
    const crashing: Outbox = {
      ...outbox,
      pending: (l) => outbox.pending(l),
      markFailed: (...a) => outbox.markFailed(...a),
      markPublished: async () => {
        throw new Error('crash');
      },
    };
    const r1 = new OutboxRelay(crashing, async (e) => void first.push(String(e.data?.['project'])), testLogger, { intervalMs: 10, maxAttempts: 100 });
    r1.start();
    await until(() => first.includes(name));
    await r1.stop();
    const second: string[] = [];
    const r2 = new OutboxRelay(outbox, async (e) => void second.push(String(e.data?.['project'])), testLogger, { intervalMs: 10 });
    r2.start();
    await until(() => second.includes(name));
    await r2.stop();
    assert.deepEqual(await outbox.pending(10), []);
  });
});
