import { InvalidArgument, Unimplemented } from '../../shared/core/errors.js';
import type { createRetrieveUseCases } from '../../shared/core/use-cases/retrieve.js';
import { jobToProto } from '../../shared/runtime/api/mappers.js';
import { unimplemented, type Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { Format } from '../../shared/gen/featurestore/v1/common.js';
import { RetrieveServiceService } from '../../shared/gen/featurestore/v1/retrieve.js';

export function retrieveHandlers(retrieve: ReturnType<typeof createRetrieveUseCases>): Handlers<typeof RetrieveServiceService> {
  const later = unimplemented(RetrieveServiceService, 'training sets and materialization arrive later in issue #3, online reads with issue #4');
  return {
    startRetrieve: async (req, { principal, signal }) => {
      const format = req.output?.format ?? Format.FORMAT_UNSPECIFIED;
      if (format !== Format.FORMAT_UNSPECIFIED && format !== Format.FORMAT_PARQUET && format !== Format.FORMAT_CSV) {
        throw new InvalidArgument('must be PARQUET or CSV', { field: 'output.format' });
      }
      if (req.output?.uri) throw new Unimplemented('custom output locations are not supported yet; leave it empty for the offline store', { field: 'output.uri' });
      return jobToProto(
        await retrieve.start(
          principal,
          {
            project: req.featureSet?.project ?? '',
            featureSet: req.featureSet?.name ?? '',
            version: req.featureSet?.version ?? '',
            features: req.features,
            startTime: req.startTime,
            endTime: req.endTime,
            asOfIngestId: req.asOf?.$case === 'asOfIngestId' ? req.asOf.value : undefined,
            asOfTime: req.asOf?.$case === 'asOfTime' ? req.asOf.value : undefined,
            format: format === Format.FORMAT_CSV ? 'CSV' : 'PARQUET',
          },
          signal,
        ),
      );
    },
    retrieveOnline: later.retrieveOnline,
    startTrainingSet: later.startTrainingSet,
    startMaterialize: later.startMaterialize,
  };
}
