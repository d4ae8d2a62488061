import { after, before, describe } from 'node:test';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import { ingestStoreContract } from './ingest-store.contract.js';
import { jobStoreContract } from './job-store.contract.js';
import { metadataStoreContract, type Subject } from './metadata-store.contract.js';

describe('PGlite catalog', () => {
  let subject: Subject;
  before(async () => {
    const { store, jobs, ingests, sql } = await openMetadataStore({ type: 'pglite', dataDir: undefined });
    subject = { store, jobs, ingests, sql, close: () => store.close() };
  });
  after(() => subject.close());

  metadataStoreContract('PGlite (embedded)', () => subject);
  jobStoreContract('PGlite (embedded)', () => subject);
  ingestStoreContract('PGlite (embedded)', () => subject);
});
