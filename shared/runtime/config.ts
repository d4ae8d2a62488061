import type { SparkK8sSettings } from '../adapters/engine/spark/spark-applications.js';
import { readFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { parseMetadataUrl } from '../adapters/metadata/metadata-url.js';
import { parseObjectUrl, type ObjectStoreSettings } from '../adapters/object-store/object-url.js';
import { parseOnlineUrl } from '../adapters/online/online-url.js';
import { AUTH_TYPES, type AuthType } from '../adapters/auth/open-auth.js';
import { OIDC_ALGORITHMS, type OidcAlgorithm, type OidcSettings } from '../adapters/auth/oidc-authenticator.js';
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
  FEATURESTORE_AUTH: z.optional(z.enum(AUTH_TYPES, { error: `use one of ${AUTH_TYPES.join(', ')}` })),
  FEATURESTORE_OIDC_ISSUER: z.optional(z.url({ error: 'must be the issuer URL, e.g. https://login.example.com/realms/main' })),
  FEATURESTORE_OIDC_AUDIENCE: z._default(z.string(), 'urn:featurestore'),
  FEATURESTORE_OIDC_CLOCK_SKEW_SECONDS: z._default(int('a number of seconds (0-300)', 0, 300), 30),
  FEATURESTORE_OIDC_ALGORITHMS: z._default(
    z
      .string()
      .check(
        z.refine(
          (v) => v.split(',').every((a) => (OIDC_ALGORITHMS as readonly string[]).includes(a.trim())),
          `use a comma-separated subset of ${OIDC_ALGORITHMS.join(', ')}`,
        ),
      ),
    OIDC_ALGORITHMS.join(','),
  ),
  FEATURESTORE_OIDC_SUBJECT_CLAIM: z._default(z.string(), 'sub'),
  FEATURESTORE_OIDC_EMAIL_CLAIM: z._default(z.string(), 'email'),
  FEATURESTORE_OIDC_NAME_CLAIM: z._default(z.string(), 'name'),
  FEATURESTORE_OIDC_GROUPS_CLAIM: z._default(z.string(), 'groups'),
  FEATURESTORE_OIDC_ADMIN_GROUP: z.optional(z.string()),
  FEATURESTORE_OIDC_ADMIN_CLAIM: z.optional(z.string()),
  FEATURESTORE_OIDC_JWKS_COOLDOWN_SECONDS: z._default(int('a number of seconds', 0, 3600), 30),
  FEATURESTORE_PERMISSION_MAX_AGE_MS: z._default(int('a number of milliseconds', 0), 30_000),
  FEATURESTORE_ENGINE: z._default(z.enum(ENGINE_TYPES, { error: `use one of ${ENGINE_TYPES.join(', ')}` }), 'duckdb'),
  FEATURESTORE_SPARK_SUBMIT: z._default(z.string(), 'spark-submit'),
  FEATURESTORE_SPARK_MASTER: z._default(z.string().check(z.regex(/^local(\[(\d+|\*)\])?$/, 'use local, local[N] or local[*]')), 'local[2]'),
  FEATURESTORE_SPARK_JARS: z._default(z.string(), ''),
  FEATURESTORE_KUBECONFIG: z.optional(z.string()),
  FEATURESTORE_SPARK_K8S_NAMESPACE: z._default(z.string().check(z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'use a Kubernetes namespace name')), 'default'),
  FEATURESTORE_SPARK_K8S_IMAGE: z._default(z.string(), 'featurestore-spark-runner:latest'),
  FEATURESTORE_SPARK_K8S_SPARK_VERSION: z._default(z.string(), '4.1.1'),
  FEATURESTORE_SPARK_K8S_SERVICE_ACCOUNT: z._default(z.string(), 'featurestore-spark-driver'),
  FEATURESTORE_SPARK_K8S_DRIVER_CORES: z._default(int('a number of cores', 1, 64), 1),
  FEATURESTORE_SPARK_K8S_DRIVER_MEMORY: z._default(z.string().check(z.regex(/^\d+[kmgt]?$/i, 'use Spark sizes such as 2g')), '2g'),
  FEATURESTORE_SPARK_K8S_EXECUTORS: z._default(int('a number of executors', 1, 1000), 3),
  FEATURESTORE_SPARK_K8S_EXECUTOR_CORES: z._default(int('a number of cores', 1, 64), 1),
  FEATURESTORE_SPARK_K8S_EXECUTOR_MEMORY: z._default(z.string().check(z.regex(/^\d+[kmgt]?$/i, 'use Spark sizes such as 4g')), '4g'),
  FEATURESTORE_SPARK_K8S_CONF: z._default(
    z.string().check(z.refine((v) => v.split(',').every((kv) => !kv || /^spark\.[^=]+=/.test(kv)), 'use spark.key=value pairs separated by commas')),
    '',
  ),
  FEATURESTORE_SPARK_K8S_HADOOP_SECRET: z.optional(z.string()),
  FEATURESTORE_SPARK_K8S_MAIN: z._default(z.string(), 'local:///opt/featurestore/runner.py'),
  FEATURESTORE_SPARK_K8S_FOLLOW: z._default(z.enum(['watch', 'events'], { error: 'use watch or events' }), 'watch'),
  FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^(grpcs:\/\/)?[A-Za-z0-9.-]+:\d+$/,
          'use host:port (or grpcs://host:port for TLS) of the register function (its JobRunnerService), as the drivers reach it',
        ),
      ),
  ),
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
  FEATURESTORE_ONLINE_CACHE_ENTRIES: z._default(int('a number of entries', 0), 0),
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
  FEATURESTORE_WORKERS: z._default(z.string().check(z.regex(/^(auto|[1-9]|[1-5]\d|6[0-4])$/, 'use auto or a number of workers from 1 to 64')), 'auto'),
  FEATURESTORE_DRAIN_SECONDS: z._default(z.coerce.number().check(z.positive({ error: 'must be a positive number of seconds' })), 20),
  LOG_LEVEL: z._default(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info'),
});

/** Every environment variable the store reads (deployment manifests are checked against it). */
export const SETTINGS: readonly string[] = Object.keys(schema.shape);

type Setting = keyof typeof schema.shape;

/**
 * What each setting means, for docs/configuration.md (generated by `make docs`; a test fails when
 * the file and this table part). `default` overrides the schema's default where that is computed.
 */
export const SETTING_DOCS: Record<Setting, { meaning: string; default?: string }> = {
  PORT: { meaning: 'port to listen on (0 picks one; the log says which)' },
  FEATURESTORE_BIND: { meaning: 'address to listen on', default: '0.0.0.0 (all-in-one: 127.0.0.1)' },
  FEATURESTORE_METADATA_URL: {
    meaning:
      "the catalog: `postgres://...`, `pglite:<folder>` or `pglite:memory`; a PGlite folder belongs to one process at a time (`<folder>.lock` names it; a second process refuses to start, a dead holder's lock is taken over)",
  },
  FEATURESTORE_AUTH: {
    meaning:
      'who callers are and what they may do: `local` (one local user, authentication off; refused on a non-loopback bind, so a deployed function needs an issuer), `oidc` (OpenID Connect bearer tokens and personal access tokens, roles from the catalog; see [security.md](security.md)) or `insecure` (authentication off anywhere, every caller an admin; logged loudly at every start)',
    default: '`oidc` when FEATURESTORE_OIDC_ISSUER is set, else `local`',
  },
  FEATURESTORE_OIDC_ISSUER: { meaning: "the OpenID provider's issuer URL; its discovery document names the keys tokens are checked with" },
  FEATURESTORE_OIDC_AUDIENCE: { meaning: 'the `aud` every bearer token must carry' },
  FEATURESTORE_OIDC_CLOCK_SKEW_SECONDS: { meaning: 'how far `exp` and `nbf` may be off (0-300)' },
  FEATURESTORE_OIDC_ALGORITHMS: { meaning: 'signature algorithms accepted (a subset of RS256, ES256, EdDSA; never `none` or HMAC)' },
  FEATURESTORE_OIDC_SUBJECT_CLAIM: { meaning: 'claim naming the caller (the principal id roles are granted to)' },
  FEATURESTORE_OIDC_EMAIL_CLAIM: { meaning: "claim holding the caller's email" },
  FEATURESTORE_OIDC_NAME_CLAIM: { meaning: "claim holding the caller's display name" },
  FEATURESTORE_OIDC_GROUPS_CLAIM: { meaning: "claim holding the caller's groups (a list)" },
  FEATURESTORE_OIDC_ADMIN_GROUP: { meaning: 'members of this group (in the groups claim) are admins' },
  FEATURESTORE_OIDC_ADMIN_CLAIM: { meaning: 'callers whose token sets this claim to `true` are admins' },
  FEATURESTORE_OIDC_JWKS_COOLDOWN_SECONDS: {
    meaning: "the least time between two fetches of the issuer's key set: a token with an unknown `kid` (key rotation) fetches it again at most this often",
  },
  FEATURESTORE_PERMISSION_MAX_AGE_MS: {
    meaning: 'the most a cached role decision or personal access token lives; grants and revocations arrive by NOTIFY at once',
  },
  FEATURESTORE_ENGINE: {
    meaning:
      'what runs offline jobs: `duckdb` (in process), `spark-local` (Apache Spark through spark-submit on this machine) or `spark-k8s` (a SparkApplication per job for the Spark operator; the job leaves the request); see docs/spark.md',
  },
  FEATURESTORE_SPARK_SUBMIT: {
    meaning: 'the spark-submit executable of the Spark engines (`scripts/services/spark.sh start` installs one and prints its path)',
  },
  FEATURESTORE_SPARK_MASTER: { meaning: 'the master of `spark-local`: `local[N]` runs N task threads in one JVM' },
  FEATURESTORE_SPARK_JARS: {
    meaning: "comma-separated jars put on the `spark-local` driver's class path (e.g. the connectors of scripts/services/spark/pom.xml)",
  },
  FEATURESTORE_KUBECONFIG: { meaning: 'the kubeconfig file `spark-k8s` talks to Kubernetes with', default: "the pod's ServiceAccount (in cluster)" },
  FEATURESTORE_SPARK_K8S_NAMESPACE: { meaning: 'where `spark-k8s` creates its SparkApplications (the Role of knative/spark-rbac.yaml must be there)' },
  FEATURESTORE_SPARK_K8S_IMAGE: { meaning: 'the Spark job image (docs/spark.md: built from this repo, the runner at /opt/featurestore/runner.py)' },
  FEATURESTORE_SPARK_K8S_SPARK_VERSION: { meaning: "the Spark version of the job image (the SparkApplication's sparkVersion)" },
  FEATURESTORE_SPARK_K8S_SERVICE_ACCOUNT: { meaning: "the driver's ServiceAccount (it creates the executor pods)" },
  FEATURESTORE_SPARK_K8S_DRIVER_CORES: { meaning: "the driver's cores" },
  FEATURESTORE_SPARK_K8S_DRIVER_MEMORY: { meaning: "the driver's memory (Spark size)" },
  FEATURESTORE_SPARK_K8S_EXECUTORS: { meaning: 'executors per job (one Spark cluster per job)' },
  FEATURESTORE_SPARK_K8S_EXECUTOR_CORES: { meaning: "each executor's cores" },
  FEATURESTORE_SPARK_K8S_EXECUTOR_MEMORY: { meaning: "each executor's memory (Spark size)" },
  FEATURESTORE_SPARK_K8S_CONF: {
    meaning: 'extra Spark settings, `spark.key=value` separated by commas; never credentials (those come from the Hadoop Secret)',
  },
  FEATURESTORE_SPARK_K8S_HADOOP_SECRET: {
    meaning: "a Secret whose keys become the driver's and executors' environment (object-store credentials such as AWS_ACCESS_KEY_ID)",
  },
  FEATURESTORE_SPARK_K8S_MAIN: { meaning: 'the runner inside the job image' },
  FEATURESTORE_SPARK_K8S_FOLLOW: {
    meaning:
      "how spark-submit learns of its applications' changes: `watch` (it watches them while it runs: the all-in-one host) or `events` (an ApiServerSource sends them, eventing/apiserversource.yaml, so no replica stays up while applications run)",
  },
  FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT: {
    meaning:
      "host:port where a job's driver reports progress and result over gRPC (the register function's JobRunnerService; plaintext h2c inside the cluster, or grpcs://host:port for TLS), e.g. register.featurestore.svc.cluster.local:80",
    default: "127.0.0.1 and this process's gRPC port (the all-in-one host only)",
  },
  FEATURESTORE_FILE_ROOTS: { meaning: 'comma-separated folders `file://` URIs may point into', default: 'the working directory' },
  FEATURESTORE_OFFLINE_DIR: { meaning: 'where offline data (Parquet per ingest) is written, unless FEATURESTORE_OFFLINE_URL is set' },
  FEATURESTORE_OFFLINE_URL: { meaning: 'offline data on S3 (`s3://bucket/prefix`) or ADLS Gen2 (`abfss://filesystem@account.dfs.core.windows.net/prefix`)' },
  FEATURESTORE_S3_ENDPOINT: { meaning: 'an S3-compatible server, e.g. `http://127.0.0.1:9000` (path-style addressing)', default: 'AWS' },
  FEATURESTORE_S3_REGION: { meaning: 'S3 region' },
  FEATURESTORE_S3_ACCESS_KEY_ID: { meaning: 'S3 access key (offline store and `s3://` sources)', default: "the AWS SDK's default chain" },
  FEATURESTORE_S3_SECRET_ACCESS_KEY: { meaning: 'S3 secret key; never logged', default: "the AWS SDK's default chain" },
  FEATURESTORE_ADLS_ACCOUNT_KEY: { meaning: 'shared key of the storage account in `abfss://` URLs (offline store and sources); never logged' },
  FEATURESTORE_ADLS_BLOB_ENDPOINT: { meaning: "another blob endpoint, e.g. Azurite's `http://127.0.0.1:10000/devstoreaccount1`", default: "the account's" },
  FEATURESTORE_ADLS_DFS_ENDPOINT: { meaning: 'another DFS endpoint', default: "the account's" },
  FEATURESTORE_ONLINE_URL: {
    meaning: 'online store: `catalog` (the catalog database), `redis://host:port`, `redis-cluster://h:p,h:p` (Redis 7.0 or later) or `postgres://...`',
  },
  FEATURESTORE_ONLINE_CACHE_ENTRIES: {
    meaning:
      'standalone Redis: online entries each process keeps in memory (0 = none), kept exact by Redis client-side caching (CLIENT TRACKING): a change by any process drops its entry within a round trip. Hot entities then cost no Redis round trip; memory grows by about the stored row size per entry',
  },
  FEATURESTORE_ONLINE_MAX_ROWS: { meaning: 'most rows per IngestOnline call (RESOURCE_EXHAUSTED beyond)' },
  FEATURESTORE_ONLINE_MAX_KEYS: { meaning: 'most keys per RetrieveOnline call (RESOURCE_EXHAUSTED beyond)' },
  FEATURESTORE_ONLINE_MAX_ROW_BYTES: { meaning: 'largest stored online row; bigger rows are refused online and stay offline when materialized' },
  FEATURESTORE_MAX_FUTURE_SECONDS: {
    meaning: 'how far past now an event time may be, offline and online (a row stamped 9999-12-31 would win newest-wins forever); later rows are refused',
  },
  FEATURESTORE_REGISTRY_MAX_AGE_MS: { meaning: 'the most a cached feature set definition lives on the online path; changes arrive by NOTIFY at once' },
  FEATURESTORE_JOB_LEASE_SECONDS: {
    meaning:
      "a RUNNING job whose worker sent no heartbeat for this long is taken over by the next job.requested; only the worker's own heartbeats and progress extend it; after 5 leases the sync tick fails the job",
  },
  FEATURESTORE_SYNC_INTERVAL_SECONDS: {
    meaning: 'all-in-one host: how often online-to-offline drains the online rows log (0: off; service mode uses a PingSource)',
  },
  FEATURESTORE_KAFKA_BROKERS: { meaning: '`host:port,...`: outbox-relay produces the outbox to these brokers (service mode)' },
  FEATURESTORE_DUCKDB_MEMORY_LIMIT: {
    meaning: "every DuckDB instance's `memory_limit` (e.g. `2GiB`); beyond it DuckDB spills, and past it a job answers RESOURCE_EXHAUSTED",
    default: "half the process's memory (its cgroup limit if set, else the machine's)",
  },
  FEATURESTORE_DUCKDB_SPILL_DIR: { meaning: 'where DuckDB spills (a folder per process)', default: '`$TMPDIR/featurestore-duckdb-spill`' },
  FEATURESTORE_MAX_SAMPLE_BYTES: { meaning: 'largest inline sample for schema inference' },
  FEATURESTORE_WORKERS: {
    meaning:
      'processes serving gRPC per function (node:cluster, one port): `auto` is one per CPU the container may use (its cgroup CPU quota, at most the CPUs it sees). Functions that are all gRPC (register, ingest, retrieve) and the all-in-one host fork on PostgreSQL (the all-in-one relays events and runs its timers in one lead worker); event functions and PGlite run one process',
  },
  FEATURESTORE_DRAIN_SECONDS: { meaning: 'how long SIGTERM waits for calls in flight' },
  LOG_LEVEL: { meaning: 'pino level; logs are JSON lines on stdout, authorization headers redacted' },
};

/** docs/configuration.md: every setting with its default and meaning, from the schema and SETTING_DOCS. */
export function configurationMarkdown(): string {
  const rows = (Object.keys(SETTING_DOCS) as Setting[]).map((name) => {
    const def = (schema.shape[name]._zod.def as { defaultValue?: unknown }).defaultValue;
    const shown =
      SETTING_DOCS[name].default ?? (def === undefined || def === '' ? 'unset' : `\`${typeof def === 'number' ? def.toString() : (def as string)}\``);
    return `| \`${name}\` | ${shown} | ${SETTING_DOCS[name].meaning} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated from shared/runtime/config.ts by `make docs`; edit SETTING_DOCS there, not this file. -->',
    '',
    'Every function reads its settings from the environment, once, at start (`shared/runtime/config.ts` is the only',
    'module that reads `process.env`). A bad value stops the process with a message naming the setting.',
    'In Kubernetes the non-secret settings come from the `featurestore-config` ConfigMap and the secret ones',
    '(URLs with passwords, keys) from the `featurestore-secrets` Secret (see [deployment.md](deployment.md)).',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export interface Config {
  port: number;
  bind: string;
  metadataUrl: string;
  /** Who callers are and what they may do (open-auth.ts). */
  auth: AuthType;
  /** OpenID Connect, when FEATURESTORE_OIDC_ISSUER is set. */
  oidc?: OidcSettings;
  permissionMaxAgeMs: number;
  /** What runs offline jobs (open-engine.ts). */
  engine: EngineType;
  /** The Spark engines' settings. */
  spark: { submit: string; master: string; jars: string[] };
  /** `spark-k8s`: where and how applications run, and the kubeconfig (undefined: in cluster). */
  sparkK8s: SparkK8sSettings & { kubeconfig?: string; follow: 'watch' | 'events' };
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
  /** Standalone Redis: online entries kept in each process's memory, exact by Redis's tracking (0 = none). */
  onlineCacheEntries: number;
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
  /** gRPC worker processes per function: a number, or one per CPU the cgroup allows. */
  workers: number | 'auto';
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
  if (c.FEATURESTORE_AUTH === 'oidc' && !c.FEATURESTORE_OIDC_ISSUER) {
    throw new ConfigError('bad configuration: FEATURESTORE_AUTH: oidc needs FEATURESTORE_OIDC_ISSUER (the OpenID provider to trust)');
  }
  return {
    port: c.PORT,
    bind: c.FEATURESTORE_BIND,
    metadataUrl: c.FEATURESTORE_METADATA_URL,
    auth: c.FEATURESTORE_AUTH ?? (c.FEATURESTORE_OIDC_ISSUER ? 'oidc' : 'local'),
    oidc: c.FEATURESTORE_OIDC_ISSUER
      ? {
          issuer: c.FEATURESTORE_OIDC_ISSUER,
          audience: c.FEATURESTORE_OIDC_AUDIENCE,
          clockSkewSeconds: c.FEATURESTORE_OIDC_CLOCK_SKEW_SECONDS,
          algorithms: c.FEATURESTORE_OIDC_ALGORITHMS.split(',').map((a) => a.trim() as OidcAlgorithm),
          claims: {
            subject: c.FEATURESTORE_OIDC_SUBJECT_CLAIM,
            email: c.FEATURESTORE_OIDC_EMAIL_CLAIM,
            name: c.FEATURESTORE_OIDC_NAME_CLAIM,
            groups: c.FEATURESTORE_OIDC_GROUPS_CLAIM,
          },
          adminGroup: c.FEATURESTORE_OIDC_ADMIN_GROUP,
          adminClaim: c.FEATURESTORE_OIDC_ADMIN_CLAIM,
          jwksCooldownMs: c.FEATURESTORE_OIDC_JWKS_COOLDOWN_SECONDS * 1000,
        }
      : undefined,
    permissionMaxAgeMs: c.FEATURESTORE_PERMISSION_MAX_AGE_MS,
    engine: c.FEATURESTORE_ENGINE,
    spark: { submit: c.FEATURESTORE_SPARK_SUBMIT, master: c.FEATURESTORE_SPARK_MASTER, jars: c.FEATURESTORE_SPARK_JARS.split(',').filter(Boolean) },
    sparkK8s: {
      kubeconfig: c.FEATURESTORE_KUBECONFIG,
      follow: c.FEATURESTORE_SPARK_K8S_FOLLOW,
      namespace: c.FEATURESTORE_SPARK_K8S_NAMESPACE,
      image: c.FEATURESTORE_SPARK_K8S_IMAGE,
      sparkVersion: c.FEATURESTORE_SPARK_K8S_SPARK_VERSION,
      serviceAccount: c.FEATURESTORE_SPARK_K8S_SERVICE_ACCOUNT,
      driver: { cores: c.FEATURESTORE_SPARK_K8S_DRIVER_CORES, memory: c.FEATURESTORE_SPARK_K8S_DRIVER_MEMORY },
      executor: {
        instances: c.FEATURESTORE_SPARK_K8S_EXECUTORS,
        cores: c.FEATURESTORE_SPARK_K8S_EXECUTOR_CORES,
        memory: c.FEATURESTORE_SPARK_K8S_EXECUTOR_MEMORY,
      },
      sparkConf: Object.fromEntries(
        c.FEATURESTORE_SPARK_K8S_CONF.split(',')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
      hadoopSecret: c.FEATURESTORE_SPARK_K8S_HADOOP_SECRET,
      mainApplicationFile: c.FEATURESTORE_SPARK_K8S_MAIN,
      reportEndpoint: c.FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT,
    },
    fileRoots: c.FEATURESTORE_FILE_ROOTS ? c.FEATURESTORE_FILE_ROOTS.split(',').filter(Boolean) : [process.cwd()],
    maxSampleBytes: c.FEATURESTORE_MAX_SAMPLE_BYTES,
    duckdb: {
      memoryLimit: c.FEATURESTORE_DUCKDB_MEMORY_LIMIT ?? `${Math.max(256, Math.floor(memoryBudgetBytes() / 2 / 2 ** 20))}MiB`,
      spillDir: resolve(c.FEATURESTORE_DUCKDB_SPILL_DIR ?? join(tmpdir(), 'featurestore-duckdb-spill')),
    },
    onlineUrl: c.FEATURESTORE_ONLINE_URL,
    onlineCacheEntries: c.FEATURESTORE_ONLINE_CACHE_ENTRIES,
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
    workers: c.FEATURESTORE_WORKERS === 'auto' ? 'auto' : Number(c.FEATURESTORE_WORKERS),
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
