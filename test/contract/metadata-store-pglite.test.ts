import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import { metadataStoreContract } from './metadata-store.contract.js';

metadataStoreContract('PGlite (embedded)', async () => {
  const { store, sql } = await openMetadataStore({ type: 'pglite', dataDir: undefined });
  return { store, sql, close: () => store.close() };
});
