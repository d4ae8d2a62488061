import type { DataType, SampleFormat } from '../model.js';

export interface InferredColumn {
  name: string;
  /** Undefined when the engine's type has no feature-store equivalent. */
  type: DataType | undefined;
  isList: boolean;
  /** The engine's own name for the type, for messages. */
  engineType: string;
}

export interface InferredSample {
  columns: InferredColumn[];
  rows: number;
}

export type SampleInput = { kind: 'uri'; uri: string; format?: SampleFormat } | { kind: 'bytes'; data: Uint8Array; format: SampleFormat };

/**
 * Reads a sample and reports its columns in file order. Throws InvalidArgument (field `sample`) for
 * unreadable or empty data, PermissionDenied for a file:// URI outside the configured roots,
 * NotFound for a missing file. Leaves nothing behind (temporary files are removed).
 */
export interface SchemaInferrer {
  infer(input: SampleInput, signal?: AbortSignal): Promise<InferredSample>;
}
