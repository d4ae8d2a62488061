import type { ProjectUseCases } from '../../shared/core/use-cases/projects.js';
import { projectToProto } from '../../shared/runtime/api/mappers.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';
import type { ProjectServiceService } from '../../shared/gen/featurestore/v1/project.js';

export function projectHandlers(projects: ProjectUseCases): Handlers<typeof ProjectServiceService> {
  return {
    createProject: async (req, { principal, signal }) => projectToProto(await projects.create(principal, req, signal)),
    getProject: async (req, { principal, signal }) => projectToProto(await projects.get(principal, req.name, signal)),
    listProjects: async (req, { principal, signal }) => {
      const page = await projects.list(principal, req, signal);
      return { projects: page.items.map(projectToProto), nextPageToken: page.nextPageToken };
    },
    updateProject: async (req, { principal, signal }) => projectToProto(await projects.update(principal, req, signal)),
    deleteProject: async (req, { principal, signal }) => {
      await projects.delete(principal, req, signal);
      return {};
    },
  };
}
