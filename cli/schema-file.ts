import { DataType, Schema } from '../shared/gen/featurestore/v1/common.js';

// Schema files are the proto JSON form of Schema, with type names short ("INT64") or full
// ("DATA_TYPE_INT64"). `featurestore schema infer` writes this form.

export function parseSchemaFile(text: string, file: string): Schema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const raw = json as { features?: Array<Record<string, unknown>> };
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.features)) {
    throw new Error(`${file} needs a "features" array (see \`featurestore schema infer\` for an example)`);
  }
  const known = Object.keys(DataType).filter((k) => k.startsWith('DATA_TYPE_') && k !== 'DATA_TYPE_UNSPECIFIED');
  raw.features.forEach((f, i) => {
    if (typeof f.type !== 'string') return;
    const full = f.type.startsWith('DATA_TYPE_') ? f.type : `DATA_TYPE_${f.type.toUpperCase()}`;
    // Said here as written: proto JSON would turn an unknown name into UNRECOGNIZED.
    if (!known.includes(full)) {
      throw new Error(
        `${file}: feature ${typeof f.name === 'string' ? `"${f.name}"` : i} has unknown type "${f.type}"; use one of ${known.map((k) => k.slice('DATA_TYPE_'.length)).join(', ')}`,
      );
    }
    f.type = full;
  });
  return Schema.fromJSON(raw);
}

export function schemaToFile(schema: Schema): unknown {
  const json = Schema.toJSON(schema) as { features?: Array<Record<string, unknown>> };
  for (const f of json.features ?? []) {
    if (typeof f.type === 'string') f.type = f.type.replace(/^DATA_TYPE_/, '');
  }
  return json;
}
