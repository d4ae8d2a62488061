import { createIngestUseCases } from '../../shared/core/use-cases/ingest.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { IngestServiceService } from '../../shared/gen/featurestore/v1/ingest.js';
import { ingestHandlers } from './ingest-service.js';

/** ingest: starts offline ingest and revert jobs and lists ingest history; online ingest follows. */
export const ingest: FunctionDefinition = {
  name: 'ingest',
  trigger: 'grpc',
  async init({ bind, deps }) {
    const ingests = createIngestUseCases({
      store: await deps.metadataStore(),
      jobs: await deps.jobStore(),
      ingests: await deps.ingestStore(),
      authorizer: deps.authorizer(),
      sources: deps.sourceFiles(),
    });
    return { services: [bind('featurestore.v1.IngestService', IngestServiceService, ingestHandlers(ingests))] };
  },
};
