import { InvalidArgument } from '../../shared/core/errors.js';
import type { SampleInput } from '../../shared/core/ports/schema-inferrer.js';
import type { FeatureSetUseCases } from '../../shared/core/use-cases/feature-sets.js';
import { formatFromName, type createInferSchemaUseCase } from '../../shared/core/use-cases/infer-schema.js';
import { featureSetToProto, formatFromProto, reportToProto, schemaFromProto, schemaToProto, ttlFromProto } from '../../shared/runtime/api/mappers.js';
import type { Handlers } from '../../shared/runtime/grpc/service-binding.js';
import type { FeatureSetServiceService, InferSchemaRequest } from '../../shared/gen/featurestore/v1/feature_set.js';

export function featureSetHandlers(
  featureSets: FeatureSetUseCases,
  inferSchema: ReturnType<typeof createInferSchemaUseCase>,
  maxSampleBytes: number,
): Handlers<typeof FeatureSetServiceService> {
  return {
    registerFeatureSet: async (req, { principal, signal }) =>
      featureSetToProto(await featureSets.register(principal, { ...req, schema: schemaFromProto(req.schema), ttlSeconds: ttlFromProto(req.ttl) }, signal)),
    getFeatureSet: async (req, { principal, signal }) => featureSetToProto(await featureSets.get(principal, req, signal)),
    listFeatureSets: async (req, { principal, signal }) => {
      const page = await featureSets.list(principal, req, signal);
      return { featureSets: page.items.map(featureSetToProto), nextPageToken: page.nextPageToken };
    },
    updateFeatureSet: async (req, { principal, signal }) => {
      if (req.clearTtl && req.ttl) throw new InvalidArgument('set either ttl or clear_ttl, not both', { field: 'clear_ttl' });
      const ttlSeconds = req.clearTtl ? null : req.ttl ? ttlFromProto(req.ttl) : undefined;
      return featureSetToProto(await featureSets.updateMetadata(principal, { ...req, ttlSeconds }, signal));
    },
    createFeatureSetVersion: async (req, { principal, signal }) => {
      const { featureSet, report } = await featureSets.createVersion(principal, { ...req, schema: schemaFromProto(req.schema) }, signal);
      return { featureSet: featureSetToProto(featureSet), report: reportToProto(report) };
    },
    listFeatureSetVersions: async (req, { principal, signal }) => {
      const page = await featureSets.listVersions(principal, req, signal);
      return { versions: page.items.map(featureSetToProto), nextPageToken: page.nextPageToken };
    },
    deleteFeatureSet: async (req, { principal, signal }) => {
      await featureSets.delete(principal, req, signal);
      return {};
    },
    inferSchema: async (req, { principal, signal }) => {
      const result = await inferSchema(
        principal,
        { sample: sampleOf(req, maxSampleBytes), primaryKey: req.primaryKey, eventTimeColumn: req.eventTimeColumn },
        signal,
      );
      return { schema: schemaToProto(result.schema), sampledRows: String(result.sampledRows), warnings: result.warnings };
    },
  };
}

function sampleOf(req: InferSchemaRequest, maxBytes: number): SampleInput | undefined {
  const sample = req.sample;
  if (!sample) return undefined;
  if (sample.$case === 'source') {
    if (!sample.value.uri) throw new InvalidArgument('is required', { field: 'source.uri' });
    return { kind: 'uri', uri: sample.value.uri, format: formatFromProto(sample.value.format) };
  }
  const { data, format, fileName } = sample.value;
  if (data.length > maxBytes) {
    throw new InvalidArgument(`is ${data.length} bytes; at most ${maxBytes} are accepted: send the first rows only`, { field: 'inline.data' });
  }
  const resolved = formatFromProto(format) ?? formatFromName(fileName);
  if (!resolved) throw new InvalidArgument('cannot tell the format: set format or a file_name ending in .csv, .parquet or .jsonl', { field: 'inline.format' });
  return { kind: 'bytes', data, format: resolved };
}
