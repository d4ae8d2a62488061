import { z } from 'zod';
import { parseMetadataUrl } from '../adapters/metadata/open-metadata-store.js';

// The only module that reads process.env. Parsed once at start; a bad setting stops the process
// with a message naming it.

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  FEATURESTORE_BIND: z.string().default('0.0.0.0'),
  FEATURESTORE_METADATA_URL: z
    .string()
    .default('pglite:.featurestore/metadata')
    .refine((v) => parseMetadataUrl(v) !== undefined, 'use postgres://user:password@host:port/db, pglite:<folder> or pglite:memory'),
  FEATURESTORE_AUTH: z.enum(['local']).default('local'),
  FEATURESTORE_FILE_ROOTS: z.string().default(''),
  FEATURESTORE_MAX_SAMPLE_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  FEATURESTORE_DRAIN_SECONDS: z.coerce.number().positive().default(20),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export interface Config {
  port: number;
  bind: string;
  metadataUrl: string;
  auth: 'local';
  /** Folders file:// URIs may point into. */
  fileRoots: string[];
  maxSampleBytes: number;
  drainSeconds: number;
  logLevel: string;
}

export class ConfigError extends Error {}

/** Parses settings from an environment; throws ConfigError naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env, defaults: Record<string, string> = {}): Config {
  const result = schema.safeParse({ ...defaults, ...pick(env) });
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`bad configuration: ${problems}`);
  }
  const c = result.data;
  return {
    port: c.PORT,
    bind: c.FEATURESTORE_BIND,
    metadataUrl: c.FEATURESTORE_METADATA_URL,
    auth: c.FEATURESTORE_AUTH,
    fileRoots: c.FEATURESTORE_FILE_ROOTS ? c.FEATURESTORE_FILE_ROOTS.split(',').filter(Boolean) : [process.cwd()],
    maxSampleBytes: c.FEATURESTORE_MAX_SAMPLE_BYTES,
    drainSeconds: c.FEATURESTORE_DRAIN_SECONDS,
    logLevel: c.LOG_LEVEL,
  };
}

function pick(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}
