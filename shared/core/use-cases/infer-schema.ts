import { InvalidArgument } from '../errors.js';
import { isIdentifier } from '../identifiers.js';
import type { Feature, SampleFormat, Schema } from '../model.js';
import type { SampleInput, SchemaInferrer } from '../ports/schema-inferrer.js';
import type { Principal } from '../principal.js';
import { validateSchema } from '../schema.js';

export interface InferSchemaInput {
  sample: SampleInput | undefined;
  primaryKey: string[];
  eventTimeColumn: string;
}

export interface InferSchemaResult {
  schema: Schema;
  sampledRows: number;
  warnings: string[];
}

/** Names that most often hold the event time, best first. */
const EVENT_TIME_NAMES = ['event_time', 'event_timestamp', 'timestamp', 'ts', 'time', 'event_date', 'date', 'created_at', 'updated_at'];

export function formatFromName(name: string): SampleFormat | undefined {
  const lower = name.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'CSV';
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'PARQUET';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'JSONL';
  return undefined;
}

/**
 * Schema inference belongs to no project: any signed-in caller may infer (the host authenticated
 * them). What it can read is bounded like ingest's sources: file:// under the file roots, object
 * stores with the store's credentials.
 */
export function createInferSchemaUseCase({ inferrer }: { inferrer: SchemaInferrer }) {
  return async function inferSchema(_principal: Principal, input: InferSchemaInput, signal?: AbortSignal): Promise<InferSchemaResult> {
    if (!input.sample) throw new InvalidArgument('give a source URI or an inline sample', { field: 'sample' });
    const sample = await inferrer.infer(input.sample, signal);
    const warnings: string[] = [];
    const features: Feature[] = [];
    for (const column of sample.columns) {
      if (!isIdentifier(column.name)) {
        throw new InvalidArgument(
          `column "${column.name}" is not a valid feature name (letters, digits and _, starting with a letter or _); rename it in the sample`,
          { field: 'sample' },
        );
      }
      if (column.type === undefined) {
        warnings.push(`column "${column.name}" has type ${column.engineType}, which has no feature type; it is registered as STRING`);
      }
      features.push({ name: column.name, type: column.type ?? 'STRING', isList: column.isList, description: '', sensitive: false, tags: {} });
    }
    if (features.length === 0) throw new InvalidArgument('the sample has no columns', { field: 'sample' });

    const eventTimeColumn = input.eventTimeColumn || pickEventTime(features, input.primaryKey);
    if (!input.eventTimeColumn) {
      if (eventTimeColumn) warnings.push(`picked "${eventTimeColumn}" as the event-time column`);
      else throw new InvalidArgument('the sample has no TIMESTAMP or DATE column; add one or name it with event_time_column', { field: 'event_time_column' });
    }
    const draft = { features, primaryKey: input.primaryKey, eventTimeColumn };
    if (input.primaryKey.length === 0) {
      // Still useful as a starting point for a schema file: the user adds the key before registering.
      warnings.push('no primary key given: set primary_key before registering this schema');
      return { schema: draft, sampledRows: sample.rows, warnings };
    }
    return { schema: validateSchema(draft, ''), sampledRows: sample.rows, warnings };
  };
}

function pickEventTime(features: Feature[], primaryKey: string[]): string {
  const candidates = features.filter((f) => !f.isList && (f.type === 'TIMESTAMP' || f.type === 'DATE') && !primaryKey.includes(f.name));
  for (const preferred of EVENT_TIME_NAMES) {
    const hit = candidates.find((f) => f.name.toLowerCase() === preferred);
    if (hit) return hit.name;
  }
  return candidates.find((f) => f.type === 'TIMESTAMP')?.name ?? candidates[0]?.name ?? '';
}
