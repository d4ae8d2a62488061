import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor, SqlResult } from './sql-client.js';
import { translateSqlError } from './sql-client.js';
import { lockDataDir } from './data-dir-lock.js';

/**
 * PostgreSQL in WASM for the embedded default: same SQL, same migrations. It runs one query at a
 * time, so transactions here must stay short.
 */
export class PgliteSqlClient implements SqlClient {
  readonly kind = 'pglite' as const;
  private closed = false;

  private constructor(
    private readonly db: PGlite,
    private readonly lock?: { release(): void },
  ) {}

  /** `dataDir` undefined keeps everything in memory. A folder is locked to this process first (see data-dir-lock.ts). */
  static async open(dataDir: string | undefined): Promise<PgliteSqlClient> {
    if (!dataDir) return new PgliteSqlClient(await PGlite.create());
    const lock = lockDataDir(dataDir);
    try {
      return new PgliteSqlClient(await PGlite.create(dataDir), lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  query<R>(text: string, params: unknown[] = []): Promise<SqlResult<R>> {
    return run<R>(this.db, text, params);
  }

  exec(script: string): Promise<void> {
    return execScript(this.db, script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) =>
      fn({ query: <R>(text: string, params: unknown[] = []) => run<R>(t, text, params), exec: (script: string) => execScript(t, script) }),
    );
  }

  /** One database, one process: nothing can be missed, so onGap never runs. */
  async listen(channel: string, onMessage: (payload: string) => void): Promise<{ close(): Promise<void> }> {
    const unlisten = await this.db.listen(channel, onMessage);
    return { close: () => (this.closed ? Promise.resolve() : unlisten()) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.db.close();
    } finally {
      this.lock?.release();
    }
  }
}

type Queryable = Pick<PGlite, 'query' | 'exec'>;

async function run<R>(target: Queryable, text: string, params: unknown[]): Promise<SqlResult<R>> {
  try {
    const res = await target.query<R>(text, params);
    // PGlite counts only rows changed by DML; pg counts rows returned by a SELECT too.
    return { rows: res.rows, rowCount: Math.max(res.affectedRows ?? 0, res.rows.length) };
  } catch (err) {
    throw translateSqlError(err);
  }
}

async function execScript(target: Queryable, script: string): Promise<void> {
  try {
    await target.exec(script);
  } catch (err) {
    throw translateSqlError(err);
  }
}
