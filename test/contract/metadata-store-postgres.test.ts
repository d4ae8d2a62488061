import { after, before, describe } from 'node:test';
import { openMetadataStore } from '../../shared/adapters/metadata/open-metadata-store.js';
import type { AccessStore } from '../../shared/core/ports/access-store.js';
import { freshDatabase } from '../support/postgres.js';
import { accessStoreContract } from './access-store.contract.js';
import { ingestStoreContract } from './ingest-store.contract.js';
import { jobStoreContract } from './job-store.contract.js';
import { metadataStoreContract, type Subject } from './metadata-store.contract.js';

describe('PostgreSQL catalog', () => {
  let subject: Subject & { access: AccessStore };
  before(async () => {
    const db = await freshDatabase();
    const { store, jobs, ingests, access, sql } = await openMetadataStore({ type: 'postgres', url: db.url });
    subject = {
      store,
      jobs,
      ingests,
      access,
      sql,
      async close() {
        await store.close();
        await db.drop();
      },
    };
  });
  after(() => subject.close());

  metadataStoreContract('PostgreSQL server', () => subject);
  jobStoreContract('PostgreSQL server', () => subject);
  ingestStoreContract('PostgreSQL server', () => subject);
  accessStoreContract('PostgreSQL server', () => subject);
});
