import { createRetrieveUseCases } from '../../shared/core/use-cases/retrieve.js';
import { createTrainingSetUseCases } from '../../shared/core/use-cases/training-set.js';
import { createOnlineUseCases } from '../../shared/core/use-cases/online.js';
import { createMaterializeUseCases } from '../../shared/core/use-cases/materialize.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { RetrieveServiceServed } from '../../shared/runtime/api/online-request.js';
import { retrieveHandlers } from './retrieve-service.js';

/** retrieve: online reads (the hot path), offline retrieve jobs (time ranges, time travel) and point-in-time training sets. */
export const retrieve: FunctionDefinition = {
  name: 'retrieve',
  trigger: { kind: 'grpc' },
  async init({ bind, deps }) {
    const common = { store: await deps.metadataStore(), jobs: await deps.jobStore(), authorizer: deps.authorizer() };
    const uses = createRetrieveUseCases({ ...common, ingests: await deps.ingestStore() });
    const trainingSets = createTrainingSetUseCases({ ...common, sources: deps.sourceFiles() });
    const online = createOnlineUseCases({
      registry: await deps.registryCache(),
      online: await deps.onlineStore(),
      log: await deps.onlineLog(),
      authorizer: common.authorizer,
      limits: deps.config.onlineLimits,
    });
    return {
      services: [
        bind('featurestore.v1.RetrieveService', RetrieveServiceServed, retrieveHandlers(uses, trainingSets, online, createMaterializeUseCases(common))),
      ],
    };
  },
};
