import type { SourceSpec } from '../job-specs.js';
import type { SampleFormat } from '../model.js';

export interface ResolvedSource {
  /** Local files an engine can read, in a stable order. */
  files: string[];
  format: SampleFormat;
  /** Removes any temporary copies. */
  cleanup(): Promise<void>;
}

/**
 * Turns a source URI (one file, a folder, or a glob) into local files. file:// URIs must lie inside
 * the configured roots (PermissionDenied otherwise); a URI matching nothing is NotFound (field
 * `source.uri`); an undeterminable format is InvalidArgument (field `source.format`).
 */
export interface SourceFiles {
  /** `field` names the request field errors point at (default "source"). */
  check(source: SourceSpec, signal?: AbortSignal, field?: string): Promise<void>;
  resolve(source: SourceSpec, signal?: AbortSignal, field?: string): Promise<ResolvedSource>;
  /** The same files as `resolve`, as URIs in their own scheme (file://, s3://, abfss://), nothing copied: for an engine that reads them itself. */
  locate(source: SourceSpec, signal?: AbortSignal, field?: string): Promise<{ files: string[]; format: ResolvedSource['format'] }>;
}
