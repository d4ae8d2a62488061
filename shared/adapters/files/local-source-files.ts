import { pathToFileURL } from 'node:url';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidArgument, NotFound, Unimplemented } from '../../core/errors.js';
import type { SourceSpec } from '../../core/job-specs.js';
import type { SampleFormat } from '../../core/model.js';
import type { ResolvedSource, SourceFiles } from '../../core/ports/source-files.js';
import { formatFromName } from '../../core/use-cases/infer-schema.js';
import type { LocalRoots } from './local-roots.js';

export const GLOB = /[*?[]/;

/** Names starting with . or _ (in any folder below the source) are skipped: Spark and Hadoop markers. */
export function isHidden(relative: string): boolean {
  return relative.split('/').some((s) => s.startsWith('.') || s.startsWith('_'));
}

/** Matches one file name against a glob of * and ? (no path separators). */
export function globMatcher(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replaceAll('*', '[^/]*')
    .replaceAll('?', '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * file:// sources: one file, a folder (every file in it, recursively, of the source's format), or
 * a glob in the last path segment (/data/day=2026-11-*.csv). s3:// and abfss:// sources go to
 * `remote` (ObjectSourceFiles) when object storage is configured.
 */
export class LocalSourceFiles implements SourceFiles {
  constructor(
    private readonly roots: LocalRoots,
    private readonly remote?: SourceFiles,
  ) {}

  async check(source: SourceSpec, signal?: AbortSignal, field = 'source'): Promise<void> {
    if (this.isRemote(source, field)) return this.remote!.check(source, signal, field);
    await this.resolve(source, signal, field);
  }

  private isRemote(source: SourceSpec, field: string): boolean {
    const scheme = /^([a-z0-9+.-]+):/i.exec(source.uri)?.[1]?.toLowerCase();
    if (scheme !== 's3' && scheme !== 'abfss') return false;
    if (!this.remote)
      throw new Unimplemented(`${scheme}:// sources need object storage settings (see the README's configuration table)`, { field: `${field}.uri` });
    return true;
  }

  async locate(source: SourceSpec, signal?: AbortSignal, field = 'source'): Promise<{ files: string[]; format: ResolvedSource['format'] }> {
    if (this.isRemote(source, field)) return this.remote!.locate(source, signal, field);
    const { files, format } = await this.resolve(source, signal, field);
    return { files: files.map((f) => pathToFileURL(f).href), format };
  }

  async resolve(source: SourceSpec, signal?: AbortSignal, field = 'source'): Promise<ResolvedSource> {
    if (this.isRemote(source, field)) return this.remote!.resolve(source, signal, field);
    const uri = source.uri;
    const scheme = /^([a-z0-9+.-]+):/i.exec(uri)?.[1]?.toLowerCase();
    if (scheme !== 'file') throw new InvalidArgument(`"${uri}" is not a supported source: use file://, s3:// or abfss://`, { field: `${field}.uri` });
    const path = uri.slice('file://'.length);
    let files: string[];
    if (GLOB.test(path)) {
      if (GLOB.test(dirname(path))) throw new InvalidArgument('only the last path segment may hold a glob', { field: `${field}.uri` });
      const dir = await this.roots.resolve(`file://${dirname(path)}`, `${field}.uri`);
      const pattern = globMatcher(basename(path));
      files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && pattern.test(e.name)).map((e) => join(dir, e.name));
    } else {
      const real = await this.roots.resolve(uri, `${field}.uri`);
      files = (await stat(real)).isDirectory() ? await this.walk(real) : [real];
    }
    if (files.length === 0) throw new NotFound(`"${uri}" matches no files`, { field: `${field}.uri` });
    const format = source.format ?? formatOf(files, field);
    if (files.length > 1) files = files.filter((f) => formatFromName(f) === format);
    files.sort();
    return { files, format, cleanup: async () => {} };
  }

  private async walk(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (isHidden(e.name)) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) out.push(...(await this.walk(full)));
      else if (e.isFile()) out.push(full);
    }
    return out;
  }
}

/** The one format the names point to; with `strict` false, undefined instead of an error. */
export function formatOf(files: string[], field: string, strict?: true): SampleFormat;
export function formatOf(files: string[], field: string, strict: false): SampleFormat | undefined;
export function formatOf(files: string[], field: string, strict = true): SampleFormat | undefined {
  const formats = new Set(files.map(formatFromName).filter(Boolean));
  const [only] = formats;
  if (formats.size !== 1 || !only) {
    if (!strict) return undefined;
    throw new InvalidArgument(`cannot tell the format from the file names; set ${field}.format`, { field: `${field}.format` });
  }
  return only;
}
