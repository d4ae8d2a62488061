import type { CatalogChange, CatalogListener, ChangeFeed } from '../../core/ports/change-feed.js';
import type { SqlClient } from '../sql/sql-client.js';

/** The NOTIFY channel catalog changes are announced on, in the transaction that makes them. */
export const CATALOG_CHANNEL = 'featurestore_catalog';

/** Parses an event subject: "projects/p", "projects/p/featureSets/fs" or "projects/p/featureViews/v". */
function changeOf(subject: string): CatalogChange | undefined {
  const m = /^projects\/([^/]+)(?:\/(featureSets|featureViews)\/([^/]+))?$/.exec(subject);
  if (!m) return undefined;
  if (!m[3]) return { project: m[1] };
  return m[2] === 'featureSets' ? { project: m[1], featureSet: m[3] } : { project: m[1], featureView: m[3] };
}

/** Catalog changes through PostgreSQL LISTEN/NOTIFY (PGlite too): delivered on commit, in milliseconds. */
export class SqlChangeFeed implements ChangeFeed {
  constructor(private readonly sql: SqlClient) {}

  subscribe(listener: CatalogListener): Promise<{ close(): Promise<void> }> {
    return this.sql.listen(
      CATALOG_CHANNEL,
      (payload) => {
        // "tokens/<lookup>": a personal access token was revoked.
        if (payload.startsWith('tokens/')) return listener.revokeToken?.(payload.slice('tokens/'.length));
        const change = changeOf(payload);
        if (change) listener.invalidate?.(change);
      },
      () => listener.clear(),
    );
  }
}
