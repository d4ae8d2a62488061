import type { CatalogChange, ChangeFeed } from '../../core/ports/change-feed.js';
import type { SqlClient } from '../sql/sql-client.js';

/** The NOTIFY channel catalog changes are announced on, in the transaction that makes them. */
export const CATALOG_CHANNEL = 'featurestore_catalog';

/** Parses an event subject: "projects/p" or "projects/p/featureSets/fs". */
export function changeOf(subject: string): CatalogChange | undefined {
  const m = /^projects\/([^/]+)(?:\/featureSets\/([^/]+))?$/.exec(subject);
  return m ? { project: m[1], ...(m[2] ? { featureSet: m[2] } : {}) } : undefined;
}

/** Catalog changes through PostgreSQL LISTEN/NOTIFY (PGlite too): delivered on commit, in milliseconds. */
export class SqlChangeFeed implements ChangeFeed {
  constructor(private readonly sql: SqlClient) {}

  subscribe(onChange: (change: CatalogChange) => void, onGap: () => void): Promise<{ close(): Promise<void> }> {
    return this.sql.listen(
      CATALOG_CHANNEL,
      (payload) => {
        const change = changeOf(payload);
        if (change) onChange(change);
      },
      onGap,
    );
  }
}
