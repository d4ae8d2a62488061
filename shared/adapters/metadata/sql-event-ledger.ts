import { throwIfAborted } from '../../core/errors.js';
import type { EventLedger } from '../../core/ports/event-ledger.js';
import type { SqlClient } from '../sql/sql-client.js';

/** The event ledger as a table of the catalog database (`processed_events`). */
export class SqlEventLedger implements EventLedger {
  constructor(private readonly sql: SqlClient) {}

  async handled(consumer: string, source: string, id: string, signal?: AbortSignal): Promise<boolean> {
    throwIfAborted(signal);
    const { rows } = await this.sql.query(`SELECT 1 FROM processed_events WHERE consumer = $1 AND source = $2 AND id = $3`, [consumer, source, id]);
    return rows.length > 0;
  }

  async record(consumer: string, event: { source: string; id: string; type: string }): Promise<void> {
    await this.sql.query(`INSERT INTO processed_events (consumer, source, id, type) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      consumer,
      event.source,
      event.id,
      event.type,
    ]);
  }

  async forget(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.sql.query(
      `DELETE FROM processed_events WHERE handled_time < clock_timestamp() - make_interval(secs => $1::double precision / 1000)`,
      [olderThanMs],
    );
    return rowCount;
  }
}
