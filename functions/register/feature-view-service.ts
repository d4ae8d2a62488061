import type { FeatureViewUseCases } from '../../shared/core/use-cases/feature-views.js';
import { featureViewToProto } from '../../shared/runtime/api/mappers.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';
import type { FeatureViewServiceService } from '../../shared/gen/featurestore/v1/feature_view.js';

export function featureViewHandlers(views: FeatureViewUseCases): Handlers<typeof FeatureViewServiceService> {
  return {
    registerFeatureView: async (req, { principal, signal }) => featureViewToProto(await views.register(principal, req, signal)),
    getFeatureView: async (req, { principal, signal }) => featureViewToProto(await views.get(principal, req, signal)),
    listFeatureViews: async (req, { principal, signal }) => {
      const page = await views.list(principal, req, signal);
      return { featureViews: page.items.map(featureViewToProto), nextPageToken: page.nextPageToken };
    },
    updateFeatureView: async (req, { principal, signal }) => featureViewToProto(await views.update(principal, req, signal)),
    listFeatureViewVersions: async (req, { principal, signal }) => {
      const page = await views.listVersions(principal, req, signal);
      return { versions: page.items.map(featureViewToProto), nextPageToken: page.nextPageToken };
    },
    deleteFeatureView: async (req, { principal, signal }) => {
      await views.delete(principal, req, signal);
      return {};
    },
  };
}
