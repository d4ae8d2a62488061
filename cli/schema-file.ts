import { DataType, Schema } from '../shared/gen/featurestore/v1/common.js';

// Schema files are the proto JSON form of Schema, with type names short ("INT64") or full
// ("DATA_TYPE_INT64"). `featurestore schema infer` writes this form.

export function parseSchemaFile(text: string, file: string): Schema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  const raw = json as { features?: Array<Record<string, unknown>> };
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.features)) {
    throw new Error(`${file} needs a "features" array (see \`featurestore schema infer\` for an example)`);
  }
  for (const f of raw.features) {
    if (typeof f.type === 'string' && !f.type.startsWith('DATA_TYPE_')) {
      const full = `DATA_TYPE_${f.type.toUpperCase()}`;
      // An unknown name is sent as is and the server names the field at fault.
      f.type = full in DataType ? full : f.type;
    }
  }
  return Schema.fromJSON(raw);
}

export function schemaToFile(schema: Schema): unknown {
  const json = Schema.toJSON(schema) as { features?: Array<Record<string, unknown>> };
  for (const f of json.features ?? []) {
    if (typeof f.type === 'string') f.type = f.type.replace(/^DATA_TYPE_/, '');
  }
  return json;
}
