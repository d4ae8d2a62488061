import type { OnlineStore } from '../../core/ports/online-store.js';
import type { SqlClient } from '../sql/sql-client.js';
import type { OnlineLocation } from './online-url.js';

/** What an online store may need besides its location: the catalog's database (the `catalog` type). */
export interface OnlineStoreContext {
  catalogSql(): Promise<SqlClient>;
  /** Standalone Redis: entries kept in this process (0 or absent: none). */
  nearCacheEntries?: number;
  /** Standalone Redis: Redis refused the near cache's tracking (it then keeps nothing). */
  onNearCacheRefused?: (message: string) => void;
}

type Openers = { [T in OnlineLocation['type']]: (location: Extract<OnlineLocation, { type: T }>, context: OnlineStoreContext) => Promise<OnlineStore> };

/**
 * The online stores by type (FEATURESTORE_ONLINE_URL's scheme). Each SDK is imported only by the
 * store that uses it.
 */
export const ONLINE_STORES: Openers = {
  redis: async (location, context) => {
    const { RedisOnlineStore } = await import('./redis-online-store.js');
    return new RedisOnlineStore(location.redis, { nearCacheEntries: context.nearCacheEntries, onNearCacheRefused: context.onNearCacheRefused });
  },
  postgres: async (location) => {
    const [{ SqlOnlineStore }, { PgSqlClient }] = await Promise.all([import('./sql-online-store.js'), import('../sql/pg-client.js')]);
    const sql = new PgSqlClient(location.url);
    return Object.assign(new SqlOnlineStore(sql), { close: () => sql.close() });
  },
  // The embedded default: a table of the catalog database, closed with it.
  catalog: async (_location, context) => {
    const { SqlOnlineStore } = await import('./sql-online-store.js');
    return new SqlOnlineStore(await context.catalogSql());
  },
};

export function openOnlineStore(location: OnlineLocation, context: OnlineStoreContext): Promise<OnlineStore> {
  return (ONLINE_STORES[location.type] as (l: OnlineLocation, c: OnlineStoreContext) => Promise<OnlineStore>)(location, context);
}
