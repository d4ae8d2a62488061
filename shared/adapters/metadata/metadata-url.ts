import { resolve } from 'node:path';

export type MetadataLocation = { type: 'postgres'; url: string } | { type: 'pglite'; dataDir: string | undefined };

/** Reads FEATURESTORE_METADATA_URL's forms: postgres://..., pglite:memory, pglite:<dir>. */
export function parseMetadataUrl(url: string): MetadataLocation | undefined {
  if (/^postgres(ql)?:\/\//.test(url)) return { type: 'postgres', url };
  const m = /^pglite:(.+)$/.exec(url);
  if (!m) return undefined;
  return { type: 'pglite', dataDir: m[1] === 'memory' ? undefined : resolve(m[1]) };
}
