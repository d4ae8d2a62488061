import type { IngestUseCases } from '../../shared/core/use-cases/ingest.js';
import type { OnlineUseCases } from '../../shared/core/use-cases/online.js';
import {
  extraColumnsFromProto,
  ingestToProto,
  jobToProto,
  sourceFromProto,
  typedValueFromProto,
  featureSetRefFromProto,
} from '../../shared/runtime/api/mappers.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { IngestServiceService } from '../../shared/gen/featurestore/v1/ingest.js';

export function ingestHandlers(ingest: IngestUseCases, online: OnlineUseCases): Handlers<typeof IngestServiceService> {
  return {
    startIngest: async (req, { principal, signal }) =>
      jobToProto(
        await ingest.start(
          principal,
          {
            ...featureSetRefFromProto(req.featureSet),
            source: sourceFromProto(req.source),
            extraColumns: extraColumnsFromProto(req.extraColumns),
            requestId: req.requestId,
          },
          signal,
        ),
      ),
    listIngests: async (req, { principal, signal }) => {
      const page = await ingest.list(principal, { ...featureSetRefFromProto(req.featureSet), pageSize: req.pageSize, pageToken: req.pageToken }, signal);
      return { ingests: page.items.map(ingestToProto), nextPageToken: page.nextPageToken };
    },
    revertIngest: async (req, { principal, signal }) =>
      jobToProto(await ingest.revert(principal, { ...featureSetRefFromProto(req.featureSet), ingestId: req.ingestId }, signal)),
    ingestOnline: async (req, { principal, signal }) => {
      const out = await online.ingest(
        principal,
        {
          ...featureSetRefFromProto(req.featureSet),
          columns: req.columns,
          rows: req.rows.map((r) => r.values.map(typedValueFromProto)),
        },
        signal,
      );
      return { accepted: out.accepted, errors: out.errors };
    },
  };
}
