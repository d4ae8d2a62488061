import type { IngestUseCases } from '../../shared/core/use-cases/ingest.js';
import type { OnlineUseCases } from '../../shared/core/use-cases/online.js';
import { extraColumnsFromProto, ingestToProto, jobToProto, sourceFromProto, typedValueFromProto } from '../../shared/runtime/api/mappers.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { IngestServiceService } from '../../shared/gen/featurestore/v1/ingest.js';

export function ingestHandlers(ingest: IngestUseCases, online: OnlineUseCases): Handlers<typeof IngestServiceService> {
  return {
    startIngest: async (req, { principal, signal }) =>
      jobToProto(
        await ingest.start(
          principal,
          {
            project: req.featureSet?.project ?? '',
            featureSet: req.featureSet?.name ?? '',
            version: req.featureSet?.version ?? '',
            source: sourceFromProto(req.source),
            extraColumns: extraColumnsFromProto(req.extraColumns),
            requestId: req.requestId,
          },
          signal,
        ),
      ),
    listIngests: async (req, { principal, signal }) => {
      const page = await ingest.list(
        principal,
        { project: req.featureSet?.project ?? '', featureSet: req.featureSet?.name ?? '', pageSize: req.pageSize, pageToken: req.pageToken },
        signal,
      );
      return { ingests: page.items.map(ingestToProto), nextPageToken: page.nextPageToken };
    },
    revertIngest: async (req, { principal, signal }) =>
      jobToProto(
        await ingest.revert(principal, { project: req.featureSet?.project ?? '', featureSet: req.featureSet?.name ?? '', ingestId: req.ingestId }, signal),
      ),
    ingestOnline: async (req, { principal, signal }) => {
      const out = await online.ingest(
        principal,
        {
          project: req.featureSet?.project ?? '',
          featureSet: req.featureSet?.name ?? '',
          version: req.featureSet?.version ?? '',
          columns: req.columns,
          rows: req.rows.map((r) => r.values.map(typedValueFromProto)),
        },
        signal,
      );
      return { accepted: out.accepted, errors: out.errors };
    },
  };
}
