import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server started by scripts/services/postgres.sh (make test does it). Tests fail,
 * not skip, without it: a skipped contract suite would hide a broken adapter.
 */
export function postgresAdminUrl(): string {
  const url = process.env['FEATURESTORE_TEST_POSTGRES_URL'];
  if (!url) throw new Error('FEATURESTORE_TEST_POSTGRES_URL is not set: run the tests with `make test` (it starts PostgreSQL)');
  return url;
}

/** A new empty database on the test server; drop() removes it. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgresAdminUrl();
  const name = `fs_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
