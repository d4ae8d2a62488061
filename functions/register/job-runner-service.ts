import type { JobRunnerUseCases } from '../../shared/core/use-cases/job-runner.js';
import type { JobRunnerServiceService } from '../../shared/gen/featurestore/v1/job_runner.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';

/** JobRunnerService: a handed-off job's application reports here (authenticated by the job's credential, not a user's). */
export function jobRunnerHandlers(runner: JobRunnerUseCases): Handlers<typeof JobRunnerServiceService> {
  return {
    reportProgress: async (req, { principal, signal }) => {
      await runner.reportProgress(principal, req, signal);
      return {};
    },
    reportResult: async (req, { principal, signal }) => {
      await runner.reportResult(principal, req, signal);
      return {};
    },
  };
}
