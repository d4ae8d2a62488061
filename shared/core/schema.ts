import { InvalidArgument } from './errors.js';
import { requireIdentifier } from './identifiers.js';
import { DATA_TYPES, type CompatibilityReport, type DataType, type Feature, type Schema, type SchemaChange } from './model.js';
import { requireStorableText, validateTags } from './validation.js';

const MAX_FEATURES = 2000;
const MAX_DESCRIPTION = 4096;
const PRIMARY_KEY_TYPES: ReadonlySet<DataType> = new Set(['STRING', 'BOOL', 'INT32', 'INT64', 'TIMESTAMP', 'DATE', 'BYTES']);

/**
 * Checks a schema as registered by a user and returns it normalised (tags and descriptions
 * defaulted, statistics dropped). Throws InvalidArgument naming the field at fault.
 */
export function validateSchema(schema: Schema | undefined, field = 'schema'): Schema {
  if (!schema) throw new InvalidArgument('is required', { field });
  const at = (sub: string) => (field ? `${field}.${sub}` : sub);
  if (schema.features.length === 0) throw new InvalidArgument('needs at least one feature', { field: at('features') });
  if (schema.features.length > MAX_FEATURES) {
    throw new InvalidArgument(`has ${schema.features.length} features; at most ${MAX_FEATURES} are allowed`, { field: at('features') });
  }
  const byName = new Map<string, Feature>();
  const features = schema.features.map((f, i) => {
    const path = at(`features[${i}]`);
    const name = requireIdentifier(f.name, `${path}.name`);
    if (byName.has(name.toLowerCase())) {
      throw new InvalidArgument(`feature "${name}" is declared twice (names are compared case-insensitively)`, { field: `${path}.name` });
    }
    if (!DATA_TYPES.includes(f.type)) {
      throw new InvalidArgument(`unknown type "${String(f.type)}"; use one of ${DATA_TYPES.join(', ')}`, { field: `${path}.type` });
    }
    const feature: Feature = {
      name,
      type: f.type,
      isList: f.isList,
      description: validateDescription(f.description, `${path}.description`),
      sensitive: f.sensitive,
      tags: validateTags(f.tags, `${path}.tags`),
    };
    byName.set(name.toLowerCase(), feature);
    return feature;
  });

  const pkField = at('primary_key');
  if (schema.primaryKey.length === 0) throw new InvalidArgument('needs at least one column', { field: pkField });
  const seen = new Set<string>();
  schema.primaryKey.forEach((key, i) => {
    const feature = features.find((f) => f.name === key);
    if (!feature) throw new InvalidArgument(`"${key}" is not a feature of the schema`, { field: `${pkField}[${i}]` });
    if (seen.has(key)) throw new InvalidArgument(`"${key}" appears twice`, { field: `${pkField}[${i}]` });
    if (feature.isList || !PRIMARY_KEY_TYPES.has(feature.type)) {
      throw new InvalidArgument(`"${key}" has type ${describeType(feature)}, which cannot be a key`, { field: `${pkField}[${i}]` });
    }
    seen.add(key);
  });

  const etField = at('event_time_column');
  if (!schema.eventTimeColumn) throw new InvalidArgument('is required: name a TIMESTAMP or DATE feature', { field: etField });
  const eventTime = features.find((f) => f.name === schema.eventTimeColumn);
  if (!eventTime) throw new InvalidArgument(`"${schema.eventTimeColumn}" is not a feature of the schema`, { field: etField });
  if (eventTime.isList || (eventTime.type !== 'TIMESTAMP' && eventTime.type !== 'DATE')) {
    throw new InvalidArgument(`"${eventTime.name}" has type ${describeType(eventTime)}; it must be TIMESTAMP or DATE`, { field: etField });
  }
  if (seen.has(eventTime.name)) throw new InvalidArgument(`"${eventTime.name}" is part of the primary key`, { field: etField });

  return { features, primaryKey: [...schema.primaryKey], eventTimeColumn: schema.eventTimeColumn };
}

export function validateDescription(value: string | undefined, field: string): string {
  const text = value ?? '';
  if (text.length > MAX_DESCRIPTION) throw new InvalidArgument(`is longer than ${MAX_DESCRIPTION} characters`, { field });
  return requireStorableText(text, field);
}

export function describeType(f: Pick<Feature, 'type' | 'isList'>): string {
  return f.isList ? `LIST<${f.type}>` : f.type;
}

/** Type changes that keep every stored value readable. */
const WIDENINGS: ReadonlyArray<[DataType, DataType]> = [
  ['INT32', 'INT64'],
  ['INT32', 'FLOAT64'],
  ['FLOAT32', 'FLOAT64'],
  ['DATE', 'TIMESTAMP'],
];

function isWidening(from: Feature, to: Feature): boolean {
  return from.isList === to.isList && WIDENINGS.some(([a, b]) => a === from.type && b === to.type);
}

/**
 * Compares a new schema with the current one. Adding a feature is compatible; removing one,
 * narrowing or changing a type, or changing the primary key or event time breaks readers.
 * Changes are listed in a stable order: schema-level first, then features by the new order.
 */
export function compareSchemas(current: Schema, next: Schema): CompatibilityReport {
  const changes: SchemaChange[] = [];
  if (current.primaryKey.join(',') !== next.primaryKey.join(',')) {
    changes.push({ kind: 'PRIMARY_KEY_CHANGED', feature: '', from: current.primaryKey.join(','), to: next.primaryKey.join(','), breaking: true });
  }
  if (current.eventTimeColumn !== next.eventTimeColumn) {
    changes.push({ kind: 'EVENT_TIME_CHANGED', feature: '', from: current.eventTimeColumn, to: next.eventTimeColumn, breaking: true });
  }
  const old = new Map(current.features.map((f) => [f.name, f]));
  const fresh = new Set(next.features.map((f) => f.name));
  for (const f of next.features) {
    const before = old.get(f.name);
    if (!before) {
      changes.push({ kind: 'FEATURE_ADDED', feature: f.name, from: '', to: describeType(f), breaking: false });
    } else if (before.type !== f.type || before.isList !== f.isList) {
      const widened = isWidening(before, f);
      changes.push({
        kind: widened ? 'TYPE_WIDENED' : 'TYPE_CHANGED',
        feature: f.name,
        from: describeType(before),
        to: describeType(f),
        breaking: !widened,
      });
    }
  }
  for (const f of current.features) {
    if (!fresh.has(f.name)) changes.push({ kind: 'FEATURE_REMOVED', feature: f.name, from: describeType(f), to: '', breaking: true });
  }
  return { compatible: changes.every((c) => !c.breaking), changes };
}
