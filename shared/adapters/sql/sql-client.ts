import { Internal, InvalidArgument, Unavailable } from '../../core/errors.js';

export interface SqlResult<R> {
  rows: R[];
  rowCount: number;
}

/** Runs one statement with bound parameters ($1, $2, ...). Values are never spliced into SQL. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<SqlResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/**
 * The SQL surface shared by PostgreSQL (`pg`) and PGlite, so one set of statements and migrations
 * serves both. `transaction` commits when `fn` resolves and rolls back when it throws (rethrowing).
 */
export interface SqlClient extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a channel: `onMessage` gets each NOTIFY payload once its transaction commits;
   * `onGap` runs when notifications may have been missed: when the connection is lost, and again
   * once it listens anew (anything re-read in between may have changed unannounced).
   */
  listen(channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

/** PostgreSQL error codes (SQLSTATE) the store reacts to. */
export const SqlState = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/** Turns a driver error that no store method handled into a typed error, keeping it as cause. */
export function translateSqlError(err: unknown): Error {
  if (err instanceof Error && 'status' in err) return err;
  const code = sqlState(err);
  if (
    (code && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(String((err as Error)?.message))
  ) {
    return new Unavailable('the metadata database is unreachable; check that it runs and FEATURESTORE_METADATA_URL points at it', { cause: err });
  }
  // Text PostgreSQL cannot hold (NUL, U+0000, in text or jsonb): the client's input, wherever it came in.
  if (code === '22P05' || code === '22021') {
    return new InvalidArgument('contains a character the catalog cannot store (NUL, U+0000); remove it', { field: 'request', cause: err });
  }
  if (code === SqlState.serializationFailure || code === SqlState.deadlockDetected) {
    return new Unavailable('the metadata database asked to retry a conflicting transaction', { cause: err });
  }
  return new Internal('metadata database error', { cause: err });
}
