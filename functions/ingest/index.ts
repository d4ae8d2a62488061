import { createIngestUseCases } from '../../shared/core/use-cases/ingest.js';
import { createOnlineUseCases } from '../../shared/core/use-cases/online.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { IngestServiceService } from '../../shared/gen/featurestore/v1/ingest.js';
import { ingestHandlers } from './ingest-service.js';

/** ingest: starts offline ingest and revert jobs, lists ingest history, and writes rows online. */
export const ingest: FunctionDefinition = {
  name: 'ingest',
  trigger: { kind: 'grpc' },
  async init({ bind, deps }) {
    const ingests = createIngestUseCases({
      store: await deps.metadataStore(),
      jobs: await deps.jobStore(),
      ingests: await deps.ingestStore(),
      authorizer: deps.authorizer(),
      sources: deps.sourceFiles(),
    });
    const online = createOnlineUseCases({
      registry: await deps.registryCache(),
      online: await deps.onlineStore(),
      log: await deps.onlineLog(),
      authorizer: deps.authorizer(),
      limits: deps.config.onlineLimits,
    });
    return { services: [bind('featurestore.v1.IngestService', IngestServiceService, ingestHandlers(ingests, online))] };
  },
};
