import type { JobUseCases } from '../../shared/core/use-cases/jobs.js';
import { jobStateFromProto, jobToProto, jobTypeFromProto } from '../../shared/runtime/api/mappers.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';
import type { JobServiceService } from '../../shared/gen/featurestore/v1/job.js';

export function jobHandlers(jobs: JobUseCases): Handlers<typeof JobServiceService> {
  return {
    getJob: async (req, { principal, signal }) => jobToProto(await jobs.get(principal, req.id, signal)),
    listJobs: async (req, { principal, signal }) => {
      const page = await jobs.list(principal, { ...req, type: jobTypeFromProto(req.type), state: jobStateFromProto(req.state) }, signal);
      return { jobs: page.items.map(jobToProto), nextPageToken: page.nextPageToken };
    },
    cancelJob: async (req, { principal, signal }) => jobToProto(await jobs.cancel(principal, req.id, signal)),
    watchJob: async (req, { principal, signal }, send) => {
      for await (const job of jobs.watch(principal, req.id, signal)) send({ job: jobToProto(job) });
    },
  };
}
