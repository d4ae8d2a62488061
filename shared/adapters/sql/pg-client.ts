import { backoff } from '../../core/waiting.js';
import pg from 'pg';
import type { SqlClient, SqlExecutor, SqlResult } from './sql-client.js';
import { translateSqlError } from './sql-client.js';
import { quoteIdent } from './quote.js';

/** A pooled PostgreSQL connection through `pg`. Connects lazily, on the first query. */
export class PgSqlClient implements SqlClient {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(
    private readonly connectionString: string,
    options: { max?: number } = {},
  ) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'featurestore',
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
  }

  query<R>(text: string, params: unknown[] = []): Promise<SqlResult<R>> {
    return run<R>(this.pool, text, params);
  }

  async exec(script: string): Promise<void> {
    await run(this.pool, script, undefined);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translateSqlError(err);
    }
    // A checked-out client has no pool listener: a server shutdown (57P01) while fn awaits
    // something else would otherwise be an unhandled 'error' event that ends the process.
    let lostError: Error | undefined;
    const onLost = (err: Error) => {
      lostError = err;
    };
    client.on('error', onLost);
    const tx: SqlExecutor = {
      query: <R>(text: string, params: unknown[] = []) => run<R>(client, text, params),
      exec: async (script: string) => void (await run(client, script, undefined)),
    };
    let broken = false;
    try {
      await tx.query('BEGIN');
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      try {
        if (lostError !== undefined) throw lostError;
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.off('error', onLost);
      client.release(broken || lostError !== undefined);
    }
  }

  /**
   * A connection of its own (LISTEN holds it), re-established with backoff when lost or refused.
   * onGap runs at each loss and again once LISTEN is back: notifications sent in between are gone,
   * and what a caller re-read during the gap may already be stale, with nothing left to tell it.
   */
  async listen(channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<{ close(): Promise<void> }> {
    let closed = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    let failures = 0; // losses since LISTEN last held: above 0, this connect follows a gap
    const connect = async (): Promise<void> => {
      const c = new pg.Client({
        connectionString: this.connectionString,
        application_name: `featurestore-listen-${channel}`.slice(0, 63),
        connectionTimeoutMillis: 5000,
      });
      c.on('notification', (m) => m.channel === channel && onMessage(m.payload ?? ''));
      const lost = () => {
        if (closed || client !== c) return;
        client = undefined;
        onGap();
        retry = setTimeout(() => void connect().catch(() => {}), backoff(++failures, 250, 10_000));
        retry.unref();
      };
      c.on('error', lost);
      c.on('end', lost);
      client = c;
      try {
        await c.connect();
        await c.query(`LISTEN ${quoteIdent(channel)}`);
        if (failures > 0) onGap();
        failures = 0;
      } catch {
        lost(); // retried with backoff; until then the caller relies on its other bounds
      }
    };
    await connect();
    return {
      async close() {
        closed = true;
        clearTimeout(retry);
        await client?.end().catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

// Without params pg uses the simple query protocol, which accepts several statements.
async function run<R>(target: pg.Pool | pg.PoolClient, text: string, params: unknown[] | undefined): Promise<SqlResult<R>> {
  try {
    const res = await target.query(text, params);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  } catch (err) {
    throw translateSqlError(err);
  }
}
