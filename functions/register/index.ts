import type { SchemaInferrer } from '../../shared/core/ports/schema-inferrer.js';
import { createAccessUseCases } from '../../shared/core/use-cases/access.js';
import { createTokenUseCases } from '../../shared/core/use-cases/tokens.js';
import { createFeatureSetUseCases } from '../../shared/core/use-cases/feature-sets.js';
import { createFeatureViewUseCases } from '../../shared/core/use-cases/feature-views.js';
import { createInferSchemaUseCase } from '../../shared/core/use-cases/infer-schema.js';
import { createJobUseCases } from '../../shared/core/use-cases/jobs.js';
import { createJobRunnerUseCases, runnerAuthenticator } from '../../shared/core/use-cases/job-runner.js';
import { createProjectUseCases } from '../../shared/core/use-cases/projects.js';
import type { FunctionDefinition } from '../../shared/runtime/function.js';
import { AccessServiceService } from '../../shared/gen/featurestore/v1/access.js';
import { FeatureSetServiceService } from '../../shared/gen/featurestore/v1/feature_set.js';
import { FeatureViewServiceService } from '../../shared/gen/featurestore/v1/feature_view.js';
import { JobServiceService } from '../../shared/gen/featurestore/v1/job.js';
import { JobRunnerServiceService } from '../../shared/gen/featurestore/v1/job_runner.js';
import { ProjectServiceService } from '../../shared/gen/featurestore/v1/project.js';
import { accessHandlers } from './access-service.js';
import { featureSetHandlers } from './feature-set-service.js';
import { featureViewHandlers } from './feature-view-service.js';
import { jobRunnerHandlers } from './job-runner-service.js';
import { jobHandlers } from './job-service.js';
import { projectHandlers } from './project-service.js';

/** register: projects, feature sets and their versions, feature views, schema inference, job queries, access, and the channel Spark jobs report on. */
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
    const jobs = await deps.jobStore();
    return {
      services: [
        bind('featurestore.v1.ProjectService', ProjectServiceService, projectHandlers(projects)),
        bind('featurestore.v1.FeatureSetService', FeatureSetServiceService, featureSetHandlers(featureSets, inferSchema, config.maxSampleBytes)),
        bind('featurestore.v1.FeatureViewService', FeatureViewServiceService, featureViewHandlers(createFeatureViewUseCases({ store, authorizer }))),
        bind('featurestore.v1.JobService', JobServiceService, jobHandlers(createJobUseCases({ jobs, authorizer, changes: await deps.jobChanges() }))),
        // Called by Spark drivers with their job's credential, whatever authentication users have.
        bind('featurestore.v1.JobRunnerService', JobRunnerServiceService, jobRunnerHandlers(createJobRunnerUseCases({ jobs })), {
          authenticator: runnerAuthenticator(jobs),
        }),
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
