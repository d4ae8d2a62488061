import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import { freshDatabase } from '../support/postgres.js';
import { metadataStoreContract } from './metadata-store.contract.js';

metadataStoreContract('PostgreSQL server', async () => {
  const db = await freshDatabase();
  const { store, sql } = await openMetadataStore({ type: 'postgres', url: db.url });
  return {
    store,
    sql,
    async close() {
      await store.close();
      await db.drop();
    },
  };
});
