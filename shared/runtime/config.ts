import { readFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { parseMetadataUrl } from '../adapters/metadata/metadata-url.js';
import { parseObjectUrl, type ObjectStoreSettings } from '../adapters/object-store/object-url.js';
import { parseOnlineUrl } from '../adapters/online/online-url.js';
import { AUTH_TYPES, type AuthType } from '../adapters/auth/open-auth.js';
import { ENGINE_TYPES, type EngineType } from '../adapters/engine/open-engine.js';

// The only module that reads process.env. Parsed once at start; a bad setting stops the process
// with a message naming it.

// zod/mini rather than zod: the same checks at a fraction of the start-up cost of the full build.
const int = (what: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: `must be ${what}` })
    .check(z.int({ error: `must be ${what}` }), z.minimum(min, { error: `must be ${what}` }), z.maximum(max, { error: `must be ${what}` }));

const schema = z.object({
  PORT: z._default(int('a port number (0-65535)', 0, 65535), 8080),
  FEATURESTORE_BIND: z._default(z.string(), '0.0.0.0'),
  FEATURESTORE_METADATA_URL: z._default(
    z.string().check(z.refine((v) => parseMetadataUrl(v) !== undefined, 'use postgres://user:password@host:port/db, pglite:<folder> or pglite:memory')),
    'pglite:.featurestore/metadata',
  ),
  FEATURESTORE_AUTH: z._default(z.enum(AUTH_TYPES, { error: `use one of ${AUTH_TYPES.join(', ')}` }), 'local'),
  FEATURESTORE_ENGINE: z._default(z.enum(ENGINE_TYPES, { error: `use one of ${ENGINE_TYPES.join(', ')}` }), 'duckdb'),
  FEATURESTORE_FILE_ROOTS: z._default(z.string(), ''),
  FEATURESTORE_OFFLINE_DIR: z._default(z.string(), '.featurestore/offline'),
  FEATURESTORE_OFFLINE_URL: z.optional(
    z.string().check(z.refine((v) => parseObjectUrl(v) !== undefined, 'use s3://bucket/prefix or abfss://filesystem@account.dfs.core.windows.net/prefix')),
  ),
  FEATURESTORE_S3_ENDPOINT: z.optional(z.url({ error: 'must be a URL such as http://127.0.0.1:9000' })),
  FEATURESTORE_S3_REGION: z._default(z.string(), 'us-east-1'),
  FEATURESTORE_S3_ACCESS_KEY_ID: z.optional(z.string()),
  FEATURESTORE_S3_SECRET_ACCESS_KEY: z.optional(z.string()),
  FEATURESTORE_ADLS_ACCOUNT_KEY: z.optional(z.string()),
  FEATURESTORE_ADLS_BLOB_ENDPOINT: z.optional(z.url({ error: 'must be a URL such as http://127.0.0.1:10000/devstoreaccount1' })),
  FEATURESTORE_ADLS_DFS_ENDPOINT: z.optional(z.url({ error: 'must be a URL' })),
  FEATURESTORE_ONLINE_URL: z._default(
    z.string().check(z.refine((v) => parseOnlineUrl(v) !== undefined, 'use redis://host:port, redis-cluster://host:port,host:port, postgres://... or catalog')),
    'catalog',
  ),
  FEATURESTORE_ONLINE_MAX_ROWS: z._default(int('a positive number of rows', 1), 5000),
  FEATURESTORE_ONLINE_MAX_KEYS: z._default(int('a positive number of keys', 1), 1000),
  FEATURESTORE_ONLINE_MAX_ROW_BYTES: z._default(int('a positive number of bytes', 1), 1024 * 1024),
  FEATURESTORE_MAX_FUTURE_SECONDS: z._default(int('a number of seconds', 0), 86_400),
  FEATURESTORE_REGISTRY_MAX_AGE_MS: z._default(int('a number of milliseconds', 0), 30_000),
  FEATURESTORE_JOB_LEASE_SECONDS: z._default(z.coerce.number().check(z.positive({ error: 'must be a positive number of seconds' })), 120),
  FEATURESTORE_SYNC_INTERVAL_SECONDS: z._default(z.coerce.number().check(z.nonnegative({ error: 'must be a number of seconds (0: off)' })), 60),
  FEATURESTORE_KAFKA_BROKERS: z._default(
    z.string().check(z.refine((v) => v === '' || v.split(',').every((b) => /^[^\s:,]+:\d+$/.test(b)), 'use host:port[,host:port...]')),
    '',
  ),
  FEATURESTORE_DUCKDB_MEMORY_LIMIT: z.optional(z.string().check(z.regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, 'use a size such as 512MiB or 4GiB'))),
  FEATURESTORE_DUCKDB_SPILL_DIR: z.optional(z.string()),
  FEATURESTORE_MAX_SAMPLE_BYTES: z._default(int('a positive number of bytes', 1), 4 * 1024 * 1024),
  FEATURESTORE_DRAIN_SECONDS: z._default(z.coerce.number().check(z.positive({ error: 'must be a positive number of seconds' })), 20),
  LOG_LEVEL: z._default(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info'),
});

/** Every environment variable the store reads (deployment manifests are checked against it). */
export const SETTINGS: readonly string[] = Object.keys(schema.shape);

export interface Config {
  port: number;
  bind: string;
  metadataUrl: string;
  /** Who callers are and what they may do (open-auth.ts). */
  auth: AuthType;
  /** What runs offline jobs (open-engine.ts). */
  engine: EngineType;
  /** Folders file:// URIs may point into. */
  fileRoots: string[];
  /** Where offline data (Parquet per ingest) lives in the embedded default. */
  offlineDir: string;
  /** s3:// or abfss:// offline store; when set it is used instead of offlineDir. */
  offlineUrl?: string;
  /** Endpoints and credentials for s3:// and abfss:// (offline store and sources). Never logged. */
  objectStores: ObjectStoreSettings;
  maxSampleBytes: number;
  /** Every DuckDB instance: at most this much memory (a DuckDB size), spilling to `spillDir` beyond it. */
  duckdb: { memoryLimit: string; spillDir: string };
  /** Online store: Redis, Redis Cluster, PostgreSQL, or the catalog database (embedded default). */
  onlineUrl: string;
  onlineLimits: { maxRows: number; maxKeys: number; maxRowBytes: number; maxFutureMs: number };
  /** How stale the online path's cached feature set definitions may be at most. */
  registryMaxAgeMs: number;
  /** A running job whose worker is silent this long is failed as abandoned; workers beat at a quarter of it. */
  jobLeaseMs: number;
  /** The all-in-one host's online-to-offline tick (service mode: a PingSource); 0 turns it off. */
  syncIntervalMs: number;
  /** Kafka bootstrap brokers (service mode: the outbox relay produces to them); empty in the embedded default. */
  kafkaBrokers: string[];
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
    engine: c.FEATURESTORE_ENGINE,
    fileRoots: c.FEATURESTORE_FILE_ROOTS ? c.FEATURESTORE_FILE_ROOTS.split(',').filter(Boolean) : [process.cwd()],
    maxSampleBytes: c.FEATURESTORE_MAX_SAMPLE_BYTES,
    duckdb: {
      memoryLimit: c.FEATURESTORE_DUCKDB_MEMORY_LIMIT ?? `${Math.max(256, Math.floor(memoryBudgetBytes() / 2 / 2 ** 20))}MiB`,
      spillDir: resolve(c.FEATURESTORE_DUCKDB_SPILL_DIR ?? join(tmpdir(), 'featurestore-duckdb-spill')),
    },
    onlineUrl: c.FEATURESTORE_ONLINE_URL,
    onlineLimits: {
      maxRows: c.FEATURESTORE_ONLINE_MAX_ROWS,
      maxKeys: c.FEATURESTORE_ONLINE_MAX_KEYS,
      maxRowBytes: c.FEATURESTORE_ONLINE_MAX_ROW_BYTES,
      maxFutureMs: c.FEATURESTORE_MAX_FUTURE_SECONDS * 1000,
    },
    registryMaxAgeMs: c.FEATURESTORE_REGISTRY_MAX_AGE_MS,
    jobLeaseMs: c.FEATURESTORE_JOB_LEASE_SECONDS * 1000,
    syncIntervalMs: c.FEATURESTORE_SYNC_INTERVAL_SECONDS * 1000,
    offlineDir: resolve(c.FEATURESTORE_OFFLINE_DIR),
    offlineUrl: c.FEATURESTORE_OFFLINE_URL,
    objectStores: {
      s3: {
        region: c.FEATURESTORE_S3_REGION,
        endpoint: c.FEATURESTORE_S3_ENDPOINT,
        accessKeyId: c.FEATURESTORE_S3_ACCESS_KEY_ID,
        secretAccessKey: c.FEATURESTORE_S3_SECRET_ACCESS_KEY,
      },
      adls: { accountKey: c.FEATURESTORE_ADLS_ACCOUNT_KEY, blobEndpoint: c.FEATURESTORE_ADLS_BLOB_ENDPOINT, dfsEndpoint: c.FEATURESTORE_ADLS_DFS_ENDPOINT },
    },
    kafkaBrokers: c.FEATURESTORE_KAFKA_BROKERS.split(',').filter(Boolean),
    drainSeconds: c.FEATURESTORE_DRAIN_SECONDS,
    logLevel: c.LOG_LEVEL,
  };
}

function pick(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SETTINGS) {
    const value = env[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/**
 * The memory this process may use: its cgroup's limit (v2 memory.max, v1 memory.limit_in_bytes)
 * when set, else the machine's. DuckDB gets half of it by default.
 */
export function memoryBudgetBytes(): number {
  const machine = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(n) && n > 0) return Math.min(n, machine);
    } catch {
      // no such cgroup file: try the next
    }
  }
  return machine;
}
