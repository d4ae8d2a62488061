import { throwIfAborted } from '../../core/errors.js';
import {
  batchEntries,
  batchWinners,
  onlineNamespace,
  type OnlineEntry,
  type OnlineRead,
  type OnlineStore,
  type OnlineTable,
  type RestoreItem,
  type StoredBatch,
} from '../../core/ports/online-store.js';
import type { SqlClient } from '../sql/sql-client.js';

/**
 * One table for every feature set; created on first use, so a separate online database needs no
 * migrations. A table of release 0.x (features as JSON text) becomes bytea in place: its entries
 * keep their JSON bytes, which reads still understand (shared/core/online-format.ts). The advisory
 * lock makes processes starting together take turns.
 */
const DDL = `
  DO $$ BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('featurestore.online_entries'));
    CREATE TABLE IF NOT EXISTS online_entries (
      ns            text COLLATE "C" NOT NULL,
      key           text COLLATE "C" NOT NULL,
      event_time_us bigint NOT NULL,
      value         bytea NOT NULL,
      PRIMARY KEY (ns, key)
    );
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'online_entries' AND column_name = 'value' AND data_type = 'text') THEN
      ALTER TABLE online_entries ALTER COLUMN value TYPE bytea USING convert_to(value, 'UTF8');
    END IF;
    -- When the entry may be dropped (µs; null: never), swept by sweepExpired.
    ALTER TABLE online_entries ADD COLUMN IF NOT EXISTS expire_at_us bigint;
    CREATE INDEX IF NOT EXISTS online_entries_expiry ON online_entries (expire_at_us) WHERE expire_at_us IS NOT NULL;
  END $$`;

const SWEEP_BATCH = 10_000;

const expiry = (us: number | undefined): string | null => (us === undefined ? null : String(Math.floor(us)));

/**
 * The online store on PostgreSQL (`pg`) or, in the embedded default, PGlite. Newest-wins is a
 * conditional upsert, atomic per row under concurrent writers; a batch is one statement.
 */
export class SqlOnlineStore implements OnlineStore {
  private ready?: Promise<void>;

  constructor(private readonly sql: SqlClient) {}

  private ensureTable(): Promise<void> {
    this.ready ??= this.sql.exec(DDL).then(
      () => {},
      (err) => {
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }

  /** One statement per batch, as `put`: SQL has no per-entry cost to spare here. */
  async putBatch(table: OnlineTable, batch: StoredBatch, signal?: AbortSignal): Promise<number> {
    return (await this.put(table, batchEntries(batch), signal)).filter(Boolean).length;
  }

  async put(table: OnlineTable, entries: OnlineEntry[], signal?: AbortSignal): Promise<boolean[]> {
    throwIfAborted(signal);
    if (entries.length === 0) return [];
    await this.ensureTable();
    // One statement cannot update a row twice: only the entry that stands per key is written.
    const winner = batchWinners(entries);
    const chosen = [...winner.values()];
    const { rows } = await this.sql.query<{ key: string }>(
      `INSERT INTO online_entries (ns, key, event_time_us, value, expire_at_us)
       SELECT $1, k, t, v, x FROM unnest($2::text[], $3::bigint[], $4::bytea[], $5::bigint[]) AS u(k, t, v, x)
       ON CONFLICT (ns, key) DO UPDATE SET event_time_us = EXCLUDED.event_time_us, value = EXCLUDED.value, expire_at_us = EXCLUDED.expire_at_us
         WHERE online_entries.event_time_us <= EXCLUDED.event_time_us
       RETURNING key`,
      [
        onlineNamespace(table),
        chosen.map((i) => entries[i].key),
        chosen.map((i) => String(entries[i].eventTimeMicros)),
        chosen.map((i) => entries[i].value),
        chosen.map((i) => expiry(entries[i].expireAtMicros)),
      ],
    );
    const written = new Set(rows.map((r) => r.key));
    return entries.map((e, i) => winner.get(e.key) === i && written.has(e.key));
  }

  async restore(table: OnlineTable, items: RestoreItem[], signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (items.length === 0) return;
    await this.ensureTable();
    const ns = onlineNamespace(table);
    // Entries still holding the reverted row: replaced or removed, each statement atomic per row.
    const params = [
      ns,
      items.map((i) => i.key),
      items.map((i) => String(i.expected.eventTimeMicros)),
      items.map((i) => i.expected.value),
      items.map((i) => i.expected.legacyValue ?? null),
    ];
    const matching = `FROM unnest($2::text[], $3::bigint[], $4::bytea[], $5::bytea[], $6::bigint[], $7::bytea[]) AS u(k, et, ev, lv, rt, rv)`;
    const same = `o.ns = $1 AND o.key = u.k AND o.event_time_us = u.et AND (o.value = u.ev OR o.value = u.lv)`;
    const replaced = items.map((i) => (i.replacement ? String(i.replacement.eventTimeMicros) : null));
    const values = items.map((i) => i.replacement?.value ?? null);
    await this.sql.query(
      `UPDATE online_entries o SET event_time_us = u.rt, value = u.rv, expire_at_us = x.x
       ${matching} JOIN unnest($2::text[], $8::bigint[]) AS x(k, x) ON x.k = u.k
       WHERE ${same} AND u.rv IS NOT NULL`,
      [...params, replaced, values, items.map((i) => expiry(i.replacement?.expireAtMicros))],
    );
    await this.sql.query(
      `DELETE FROM online_entries o USING (SELECT * ${matching}) u
       WHERE ${same} AND u.rv IS NULL`,
      [...params, replaced, values],
    );
    // Everywhere else the replacement goes in newest-wins (a row written since stays).
    const rest = items.flatMap((i) => (i.replacement ? [i.replacement] : []));
    if (rest.length > 0) await this.put(table, rest, signal);
  }

  async get(table: OnlineTable, keys: string[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[]> {
    throwIfAborted(signal);
    if (keys.length === 0) return [];
    await this.ensureTable();
    const { rows } = await this.sql.query<{ key: string; t: string; value: Uint8Array }>(
      `SELECT key, event_time_us::text AS t, value FROM online_entries WHERE ns = $1 AND key = ANY($2::text[])`,
      [onlineNamespace(table), keys],
    );
    const byKey = new Map(rows.map((r) => [r.key, { key: r.key, eventTimeMicros: Number(r.t), value: r.value }]));
    return keys.map((k) => byKey.get(k));
  }

  /** One statement for every table: the (namespace, key) pairs joined with the entries. */
  async getMany(reads: OnlineRead[], signal?: AbortSignal): Promise<(OnlineEntry | undefined)[][]> {
    if (reads.length === 1) return [await this.get(reads[0].table, reads[0].keys, signal)];
    throwIfAborted(signal);
    const namespaces = reads.flatMap((r) => r.keys.map(() => onlineNamespace(r.table)));
    if (namespaces.length === 0) return reads.map(() => []);
    await this.ensureTable();
    const { rows } = await this.sql.query<{ i: string; key: string; t: string; value: Uint8Array }>(
      `SELECT r.i::text AS i, e.key, e.event_time_us::text AS t, e.value
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r (ns, key, i)
       JOIN online_entries e ON e.ns = r.ns AND e.key = r.key`,
      [namespaces, reads.flatMap((r) => r.keys)],
    );
    const found = new Map(rows.map((r) => [Number(r.i) - 1, { key: r.key, eventTimeMicros: Number(r.t), value: r.value }]));
    let at = 0;
    return reads.map((r) => r.keys.map(() => found.get(at++)));
  }

  /** One statement already reads every table of a view; entries are not kept joined. */
  async join(): Promise<void> {}

  async getJoined(): Promise<undefined> {
    return undefined;
  }

  async drop(table: OnlineTable, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.ensureTable();
    await this.sql.query(`DELETE FROM online_entries WHERE ns = $1`, [onlineNamespace(table)]);
  }

  async reexpire(table: OnlineTable, spanMicros: number | undefined, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.ensureTable();
    await this.sql.query(`UPDATE online_entries SET expire_at_us = event_time_us + $2::bigint WHERE ns = $1`, [onlineNamespace(table), expiry(spanMicros)]);
  }

  /** Deletes expired entries a bounded batch at a time, so no statement holds many row locks for long. */
  async sweepExpired(nowMicros: number, signal?: AbortSignal): Promise<number> {
    await this.ensureTable();
    let total = 0;
    for (;;) {
      throwIfAborted(signal);
      const { rowCount } = await this.sql.query(
        `DELETE FROM online_entries WHERE (ns, key) IN (SELECT ns, key FROM online_entries WHERE expire_at_us < $1 LIMIT ${SWEEP_BATCH})`,
        [String(Math.floor(nowMicros))],
      );
      total += rowCount;
      if (rowCount < SWEEP_BATCH) return total;
    }
  }

  /** The SQL client belongs to whoever opened it (the catalog's, in the embedded default). */
  async close(): Promise<void> {}
}
