import { mkdirSync } from 'node:fs';
import type { IngestStore } from '../../core/ports/ingest-store.js';
import type { JobStore } from '../../core/ports/job-store.js';
import type { MetadataStore } from '../../core/ports/metadata-store.js';
import type { Outbox } from '../../core/ports/outbox.js';
import type { SqlClient } from '../sql/sql-client.js';
import { migrate } from './migrate.js';
import type { MetadataLocation } from './metadata-url.js';
import { SqlIngestStore } from './sql-ingest-store.js';
import { SqlJobStore } from './sql-job-store.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { SqlOutbox } from './sql-outbox.js';

export async function openSqlClient(location: MetadataLocation): Promise<SqlClient> {
  if (location.type === 'postgres') {
    const { PgSqlClient } = await import('../sql/pg-client.js');
    return new PgSqlClient(location.url);
  }
  // Imported only when used: PGlite's WASM is large and standalone functions on PostgreSQL never need it.
  const { PgliteSqlClient } = await import('../sql/pglite-client.js');
  if (location.dataDir) mkdirSync(location.dataDir, { recursive: true });
  return PgliteSqlClient.open(location.dataDir);
}

/** Opens the catalog (projects, feature sets, jobs) and brings its schema up to date. */
export async function openMetadataStore(
  location: MetadataLocation,
): Promise<{ store: MetadataStore; jobs: JobStore; ingests: IngestStore; outbox: Outbox; sql: SqlClient }> {
  const sql = await openSqlClient(location);
  try {
    await migrate(sql);
  } catch (err) {
    await sql.close();
    throw err;
  }
  const jobs = new SqlJobStore(sql);
  return { store: new SqlMetadataStore(sql), jobs, ingests: new SqlIngestStore(sql, jobs), outbox: new SqlOutbox(sql), sql };
}
