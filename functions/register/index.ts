import type { SchemaInferrer } from '../../shared/core/ports/schema-inferrer.js';
import { createAccessUseCases } from '../../shared/core/use-cases/access.js';
import { createTokenUseCases } from '../../shared/core/use-cases/tokens.js';
import { createFeatureSetUseCases } from '../../shared/core/use-cases/feature-sets.js';
import { createInferSchemaUseCase } from '../../shared/core/use-cases/infer-schema.js';
import { createJobUseCases } from '../../shared/core/use-cases/jobs.js';
import { createProjectUseCases } from '../../shared/core/use-cases/projects.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { AccessServiceService } from '../../shared/gen/featurestore/v1/access.js';
import { FeatureSetServiceService } from '../../shared/gen/featurestore/v1/feature_set.js';
import { JobServiceService } from '../../shared/gen/featurestore/v1/job.js';
import { ProjectServiceService } from '../../shared/gen/featurestore/v1/project.js';
import { accessHandlers } from './access-service.js';
import { featureSetHandlers } from './feature-set-service.js';
import { jobHandlers } from './job-service.js';
import { projectHandlers } from './project-service.js';

/** register: projects, feature sets and their versions, schema inference, job queries, access. */
export const register: FunctionDefinition = {
  name: 'register',
  trigger: { kind: 'grpc' },
  async init({ deps, config, bind }) {
    const store = await deps.metadataStore();
    const authorizer = deps.authorizer();
    const projects = createProjectUseCases({ store, authorizer });
    const featureSets = createFeatureSetUseCases({ store, authorizer, ingests: await deps.ingestStore() });
    // DuckDB loads on the first inference, not at start: cold start stays small.
    const inferrer = { infer: async (...args: Parameters<SchemaInferrer['infer']>) => (await deps.schemaInferrer()).infer(...args) };
    const inferSchema = createInferSchemaUseCase({ inferrer });
    return {
      services: [
        bind('featurestore.v1.ProjectService', ProjectServiceService, projectHandlers(projects)),
        bind('featurestore.v1.FeatureSetService', FeatureSetServiceService, featureSetHandlers(featureSets, inferSchema, config.maxSampleBytes)),
        bind(
          'featurestore.v1.JobService',
          JobServiceService,
          jobHandlers(createJobUseCases({ jobs: await deps.jobStore(), authorizer, changes: await deps.jobChanges() })),
        ),
        bind(
          'featurestore.v1.AccessService',
          AccessServiceService,
          accessHandlers(
            createAccessUseCases({ store, access: await deps.accessStore(), authorizer }),
            createTokenUseCases({ tokens: await deps.tokenStore() }),
          ),
        ),
      ],
    };
  },
};
