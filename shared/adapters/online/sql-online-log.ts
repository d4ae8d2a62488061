import { throwIfAborted } from '../../core/errors.js';
import type { StoredValue } from '../../core/values.js';
import type { OnlineLog, OnlineLogHead } from '../../core/ports/online-log.js';
import type { OnlineTable } from '../../core/ports/online-store.js';
import type { SqlClient } from '../sql/sql-client.js';

/**
 * Appenders hold this advisory lock shared until they commit; `heads` takes it exclusively for one
 * statement. So when `heads` reads the highest sequence number, every append that drew a lower one
 * has committed: no row can appear below a head later (sequence numbers are drawn before commit).
 */
const LOG_LOCK = 0x66_73_6c_67; // "fslg"

/** Records read per query while draining. */
const READ_BATCH = 200;

/** The online rows log in the catalog database (table online_log, migration 6). */
export class SqlOnlineLog implements OnlineLog {
  constructor(private readonly sql: SqlClient) {}

  async append(table: OnlineTable, rows: StoredValue[][], signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (rows.length === 0) return;
    await this.sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [LOG_LOCK]);
      await tx.query(`INSERT INTO online_log (project, feature_set, major, rows, row_count) VALUES ($1, $2, $3, $4::jsonb, $5)`, [
        table.project,
        table.featureSet,
        table.major,
        JSON.stringify(rows),
        rows.length,
      ]);
    });
  }

  async heads(signal?: AbortSignal): Promise<OnlineLogHead[]> {
    throwIfAborted(signal);
    return this.sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOG_LOCK]);
      const { rows } = await tx.query<{ project: string; feature_set: string; major: number; through: string; records: string }>(
        `SELECT project, feature_set, major, max(seq)::text AS through, count(*)::text AS records
         FROM online_log GROUP BY project, feature_set, major ORDER BY project, feature_set, major`,
      );
      return rows.map((r) => ({
        table: { project: r.project, featureSet: r.feature_set, major: r.major },
        through: Number(r.through),
        records: Number(r.records),
      }));
    });
  }

  async *read(table: OnlineTable, after: number, through: number, signal?: AbortSignal): AsyncIterable<StoredValue[][]> {
    let position = after;
    for (;;) {
      throwIfAborted(signal);
      // "position", not "seq": ORDER BY seq would then sort the text column, not the number.
      const { rows } = await this.sql.query<{ position: string; rows: StoredValue[][] }>(
        `SELECT seq::text AS position, rows FROM online_log
         WHERE project = $1 AND feature_set = $2 AND major = $3 AND seq > $4 AND seq <= $5 ORDER BY seq LIMIT $6`,
        [table.project, table.featureSet, table.major, position, through, READ_BATCH],
      );
      for (const r of rows) yield r.rows;
      if (rows.length < READ_BATCH) return;
      position = Number(rows[rows.length - 1].position);
    }
  }

  async trim(table: OnlineTable, through: number, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.sql.query(`DELETE FROM online_log WHERE project = $1 AND feature_set = $2 AND major = $3 AND seq <= $4`, [
      table.project,
      table.featureSet,
      table.major,
      through,
    ]);
  }
}
