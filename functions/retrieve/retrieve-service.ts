import { InvalidArgument, Unimplemented } from '../../shared/core/errors.js';
import type { createRetrieveUseCases } from '../../shared/core/use-cases/retrieve.js';
import type { createTrainingSetUseCases } from '../../shared/core/use-cases/training-set.js';
import { entityValueFromProto, jobToProto, sourceFromProto } from '../../shared/runtime/api/mappers.js';
import { unimplemented, type Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { Format, type OutputSpec } from '../../shared/gen/featurestore/v1/common.js';
import { RetrieveServiceService } from '../../shared/gen/featurestore/v1/retrieve.js';

/** PARQUET unless CSV is asked for; custom output folders are not offered yet. */
function outputFormat(output: OutputSpec | undefined): 'PARQUET' | 'CSV' {
  const format = output?.format ?? Format.FORMAT_UNSPECIFIED;
  if (format !== Format.FORMAT_UNSPECIFIED && format !== Format.FORMAT_PARQUET && format !== Format.FORMAT_CSV) {
    throw new InvalidArgument('must be PARQUET or CSV', { field: 'output.format' });
  }
  if (output?.uri) throw new Unimplemented('custom output locations are not supported yet; leave it empty for the offline store', { field: 'output.uri' });
  return format === Format.FORMAT_CSV ? 'CSV' : 'PARQUET';
}

export function retrieveHandlers(
  retrieve: ReturnType<typeof createRetrieveUseCases>,
  trainingSets: ReturnType<typeof createTrainingSetUseCases>,
): Handlers<typeof RetrieveServiceService> {
  const later = unimplemented(RetrieveServiceService, 'online reads and materialization arrive with issue #4');
  return {
    startRetrieve: async (req, { principal, signal }) => {
      const format = outputFormat(req.output);
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
            format,
          },
          signal,
        ),
      );
    },
    startTrainingSet: async (req, { principal, signal }) => {
      const format = outputFormat(req.output);
      const e = req.entities;
      const entities =
        e?.$case === 'entitySource'
          ? { source: sourceFromProto(e.value) ?? { uri: '', options: {} } }
          : e?.$case === 'entityRows'
            ? { columns: e.value.columns, rows: e.value.rows.map((r, i) => r.values.map((v, j) => entityValueFromProto(v, `entity_rows.rows[${i}].values[${j}]`))) }
            : undefined;
      return jobToProto(await trainingSets.start(principal, { entities, timestampColumn: req.timestampColumn, features: req.features, format }, signal));
    },
    retrieveOnline: later.retrieveOnline,
    startMaterialize: later.startMaterialize,
  };
}
