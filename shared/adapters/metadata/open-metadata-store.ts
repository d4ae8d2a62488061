import { mkdirSync } from 'node:fs';
import type { AccessStore } from '../../core/ports/access-store.js';
import type { IngestStore } from '../../core/ports/ingest-store.js';
import type { TokenStore } from '../../core/ports/token-store.js';
import type { JobStore } from '../../core/ports/job-store.js';
import type { MetadataStore } from '../../core/ports/metadata-store.js';
import type { Outbox } from '../../core/ports/outbox.js';
import type { SqlClient } from '../sql/sql-client.js';
import { migrate } from './migrate.js';
import type { MetadataLocation } from './metadata-url.js';
import { SqlAccessStore } from './sql-access-store.js';
import { SqlIngestStore } from './sql-ingest-store.js';
import { SqlJobStore } from './sql-job-store.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { SqlOutbox } from './sql-outbox.js';
import { SqlTokenStore } from './sql-token-store.js';

type Openers = { [T in MetadataLocation['type']]: (location: Extract<MetadataLocation, { type: T }>) => Promise<SqlClient> };

/** The catalog databases by type (FEATURESTORE_METADATA_URL's scheme), each driver imported only when used. */
export const METADATA_DATABASES: Openers = {
  postgres: async (location) => {
    const { PgSqlClient } = await import('../sql/pg-client.js');
    return new PgSqlClient(location.url);
  },
  // PGlite's WASM is large: standalone functions on PostgreSQL never load it.
  pglite: async (location) => {
    const { PgliteSqlClient } = await import('../sql/pglite-client.js');
    if (location.dataDir) mkdirSync(location.dataDir, { recursive: true });
    return PgliteSqlClient.open(location.dataDir);
  },
};

export function openSqlClient(location: MetadataLocation): Promise<SqlClient> {
  return (METADATA_DATABASES[location.type] as (l: MetadataLocation) => Promise<SqlClient>)(location);
}

/** Opens the catalog (projects, feature sets, jobs) and brings its schema up to date. */
export async function openMetadataStore(
  location: MetadataLocation,
): Promise<{ store: MetadataStore; jobs: JobStore; ingests: IngestStore; access: AccessStore; tokens: TokenStore; outbox: Outbox; sql: SqlClient }> {
  const sql = await openSqlClient(location);
  try {
    await migrate(sql);
  } catch (err) {
    await sql.close();
    throw err;
  }
  const jobs = new SqlJobStore(sql);
  return {
    store: new SqlMetadataStore(sql),
    jobs,
    ingests: new SqlIngestStore(sql, jobs),
    access: new SqlAccessStore(sql),
    tokens: new SqlTokenStore(sql),
    outbox: new SqlOutbox(sql),
    sql,
  };
}
