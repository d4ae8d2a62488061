import { createRetrieveUseCases } from '../../shared/core/use-cases/retrieve.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { RetrieveServiceService } from '../../shared/gen/featurestore/v1/retrieve.js';
import { retrieveHandlers } from './retrieve-service.js';

/** retrieve: offline retrieve jobs (time ranges, time travel); training sets and online reads follow. */
export const retrieve: FunctionDefinition = {
  name: 'retrieve',
  trigger: 'grpc',
  async init({ bind, deps }) {
    const uses = createRetrieveUseCases({ store: await deps.metadataStore(), jobs: await deps.jobStore(), ingests: await deps.ingestStore(), authorizer: deps.authorizer() });
    return { services: [bind('featurestore.v1.RetrieveService', RetrieveServiceService, retrieveHandlers(uses))] };
  },
};
