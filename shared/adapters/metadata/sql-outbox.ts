import type { Outbox, OutboxEvent } from '../../core/ports/outbox.js';
import type { SqlClient } from '../sql/sql-client.js';
import { OUTBOX_CHANNEL } from './outbox.js';

type Row = OutboxEvent;

/** The outbox table read by the relay (PostgreSQL or PGlite). */
export class SqlOutbox implements Outbox {
  constructor(private readonly sql: SqlClient) {}

  async pending(limit: number): Promise<OutboxEvent[]> {
    // Order by seq: "id" in ORDER BY would mean the output column (the event uuid).
    const { rows } = await this.sql.query<Row>(
      `SELECT id::int AS seq, event_id::text AS id, type, source, subject, data, create_time AS time, attempts
       FROM outbox WHERE publish_time IS NULL AND dead_letter_time IS NULL ORDER BY seq LIMIT $1`,
      [limit],
    );
    return rows;
  }

  async markPublished(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.sql.query('UPDATE outbox SET publish_time = now() WHERE id = ANY($1::bigint[])', [seqs]);
  }

  watch(onCommit: () => void): Promise<{ close(): Promise<void> }> {
    return this.sql.listen(OUTBOX_CHANNEL, onCommit, onCommit);
  }

  async markFailed(seq: number, error: string, deadLetter: boolean): Promise<void> {
    await this.sql.query(
      `UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 2000),
         dead_letter_time = CASE WHEN $3 THEN now() ELSE NULL END WHERE id = $1`,
      [seq, error, deadLetter],
    );
  }
}
