import { InvalidArgument, Unimplemented } from '../../shared/core/errors.js';
import type { createRetrieveUseCases } from '../../shared/core/use-cases/retrieve.js';
import type { createTrainingSetUseCases } from '../../shared/core/use-cases/training-set.js';
import { entityValueFromProto, jobToProto, sourceFromProto, featureSetRefFromProto } from '../../shared/runtime/api/mappers.js';
import { WireReply, type Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { dateFromTimestamp, optionalDate } from '../../shared/runtime/api/proto-time.js';
import { Format, type OutputSpec } from '../../shared/gen/featurestore/v1/common.js';
import type { RetrieveOnlineResponse } from '../../shared/gen/featurestore/v1/retrieve.js';
import type { RetrieveServiceServed } from '../../shared/runtime/api/online-request.js';
import { lendOnlineAnswer } from '../../shared/runtime/api/online-wire.js';
import type { OnlineUseCases } from '../../shared/core/use-cases/online.js';
import type { MaterializeUseCases } from '../../shared/core/use-cases/materialize.js';

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
  online: OnlineUseCases,
  materialize: MaterializeUseCases,
): Handlers<typeof RetrieveServiceServed> {
  return {
    startRetrieve: async (req, { principal, signal }) => {
      const format = outputFormat(req.output);
      return jobToProto(
        await retrieve.start(
          principal,
          {
            ...featureSetRefFromProto(req.featureSet),
            features: req.features,
            startTime: optionalDate(req.startTime, 'start_time'),
            endTime: optionalDate(req.endTime, 'end_time'),
            asOfIngestId: req.asOf?.$case === 'asOfIngestId' ? req.asOf.value : undefined,
            asOfTime: req.asOf?.$case === 'asOfTime' ? dateFromTimestamp(req.asOf.value, 'as_of_time') : undefined,
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
            ? {
                columns: e.value.columns,
                rows: e.value.rows.map((r, i) => r.values.map((v, j) => entityValueFromProto(v, `entity_rows.rows[${i}].values[${j}]`))),
              }
            : undefined;
      return jobToProto(
        await trainingSets.start(principal, { entities, timestampColumn: req.timestampColumn, features: req.features, view: req.featureView, format }, signal),
      );
    },
    // Not given the call's signal: an online read answers from memory and one round trip to the store
    // (nothing long to stop), and making the signal would cost every call about 2 µs (issue #16).
    retrieveOnline: async (req, { principal }) => {
      if (req.featureView && req.featureSet) throw new InvalidArgument('name either feature_set or feature_view, not both', { field: 'feature_view' });
      if (req.featureView && req.features.length > 0)
        throw new InvalidArgument('must be empty with a feature_view: the view lists its features (register a view with fewer)', { field: 'features' });
      // The keys come typed: the request was read by decodeOnlineRequest (shared/runtime/api/online-request.ts).
      const out = req.featureView
        ? await online.readView(principal, { view: req.featureView, keys: req.keys })
        : await online.readStored(principal, { ...featureSetRefFromProto(req.featureSet), keys: req.keys, features: req.features });
      // The answer's bytes, written from the stored values as grpc-js serializes the reply.
      return new WireReply(() => lendOnlineAnswer(out)) as unknown as RetrieveOnlineResponse;
    },
    startMaterialize: async (req, { principal, signal }) =>
      jobToProto(
        await materialize.start(
          principal,
          {
            ...featureSetRefFromProto(req.featureSet),
            startTime: optionalDate(req.startTime, 'start_time'),
            endTime: optionalDate(req.endTime, 'end_time'),
          },
          signal,
        ),
      ),
  };
}
