import type { IngestUseCases } from '../../shared/core/use-cases/ingest.js';
import { extraColumnsFromProto, ingestToProto, jobToProto, sourceFromProto } from '../../shared/runtime/api/mappers.js';
import { unimplemented, type Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { IngestServiceService } from '../../shared/gen/featurestore/v1/ingest.js';

export function ingestHandlers(ingest: IngestUseCases): Handlers<typeof IngestServiceService> {
  const later = unimplemented(IngestServiceService, 'online ingest arrives with issue #4');
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
      const page = await ingest.list(principal, { project: req.featureSet?.project ?? '', featureSet: req.featureSet?.name ?? '', pageSize: req.pageSize, pageToken: req.pageToken }, signal);
      return { ingests: page.items.map(ingestToProto), nextPageToken: page.nextPageToken };
    },
    revertIngest: async (req, { principal, signal }) =>
      jobToProto(await ingest.revert(principal, { project: req.featureSet?.project ?? '', featureSet: req.featureSet?.name ?? '', ingestId: req.ingestId }, signal)),
    ingestOnline: later.ingestOnline,
  };
}
