import type { SqlClient } from '../sql/sql-client.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** Any constant works; it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK_KEY = 7_240_513;

/**
 * Applies the migrations not yet applied, each in order, all in one transaction under an advisory
 * lock, so functions starting together never race and a failed migration leaves no trace.
 * Returns the versions applied by this call. Refuses a database newer than this code.
 */
export async function migrate(sql: SqlClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  // Fast path for every start but the first after an upgrade: one read, no lock, no DDL.
  const { rows: table } = await sql.query<{ exists: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  if (table[0]?.exists) {
    const { rows } = await sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const wanted = migrations.map((m) => m.version).sort((a, b) => a - b);
    if (rows.map((r) => r.version).join(',') === wanted.join(',')) return [];
  }

  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, apply_time timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      throw new Error(`the metadata database has migrations this build does not know (${unknown.join(', ')}); run a newer build`);
    }
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}
