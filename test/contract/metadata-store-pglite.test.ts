import { after, before, describe } from 'node:test';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import type { AccessStore } from '../../shared/core/ports/access-store.js';
import { accessStoreContract } from './access-store.contract.js';
import { ingestStoreContract } from './ingest-store.contract.js';
import { jobStoreContract } from './job-store.contract.js';
import { metadataStoreContract, type Subject } from './metadata-store.contract.js';

describe('PGlite catalog', () => {
  let subject: Subject & { access: AccessStore };
  before(async () => {
    const { store, jobs, ingests, access, sql } = await openMetadataStore({ type: 'pglite', dataDir: undefined });
    subject = { store, jobs, ingests, access, sql, close: () => store.close() };
  });
  after(() => subject.close());

  metadataStoreContract('PGlite (embedded)', () => subject);
  jobStoreContract('PGlite (embedded)', () => subject);
  ingestStoreContract('PGlite (embedded)', () => subject);
  accessStoreContract('PGlite (embedded)', () => subject);
});
