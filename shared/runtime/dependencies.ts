import { join } from 'node:path';
import { AUTHS, type Auth } from '../adapters/auth/open-auth.js';
import { KubeConfig } from '@kubernetes/client-node';
import { ENGINES } from '../adapters/engine/open-engine.js';
import { SparkApplications } from '../adapters/engine/spark/spark-applications.js';
import { SparkK8sLauncher } from '../adapters/engine/spark/spark-k8s-launcher.js';
import type { JobLauncher } from '../core/ports/job-launcher.js';
import { LocalRoots } from '../adapters/files/local-roots.js';
import { LocalSourceFiles } from '../adapters/files/local-source-files.js';
import { ObjectSourceFiles } from '../adapters/files/object-source-files.js';
import { parseMetadataUrl } from '../adapters/metadata/metadata-url.js';
import type { openMetadataStore } from '../adapters/metadata/open-metadata-store.js';
import { SqlChangeFeed } from '../adapters/metadata/sql-change-feed.js';
import { SqlEventLedger } from '../adapters/metadata/sql-event-ledger.js';
import { SqlJobChanges } from '../adapters/metadata/sql-job-changes.js';
import { offlineLocation, openOfflineStore } from '../adapters/object-store/open-offline-store.js';
import { BoundedOnlineStore } from '../adapters/online/bounded-online-store.js';
import { parseOnlineUrl } from '../adapters/online/online-url.js';
import { openOnlineStore } from '../adapters/online/open-online-store.js';
import { SqlOnlineLog } from '../adapters/online/sql-online-log.js';
import type { AccessStore } from '../core/ports/access-store.js';
import type { Authenticator } from '../core/ports/authenticator.js';
import type { Authorizer } from '../core/ports/authorizer.js';
import type { CatalogListener } from '../core/ports/change-feed.js';
import type { EventLedger } from '../core/ports/event-ledger.js';
import type { IngestStore } from '../core/ports/ingest-store.js';
import type { JobChanges } from '../core/ports/job-changes.js';
import type { JobStore } from '../core/ports/job-store.js';
import type { MetadataStore } from '../core/ports/metadata-store.js';
import type { ObjectStore } from '../core/ports/object-store.js';
import type { OfflineEngine } from '../core/ports/offline-engine.js';
import type { OnlineLog } from '../core/ports/online-log.js';
import type { OnlineStore } from '../core/ports/online-store.js';
import type { Outbox } from '../core/ports/outbox.js';
import type { SchemaInferrer } from '../core/ports/schema-inferrer.js';
import type { SourceFiles } from '../core/ports/source-files.js';
import type { TokenStore } from '../core/ports/token-store.js';
import { CachedTokenStore } from '../adapters/metadata/cached-token-store.js';
import { withTokens } from '../core/use-cases/tokens.js';
import type { JobRunnerDeps, Scratch } from '../core/use-cases/job-run.js';
import { createRegistryCache, type RegistryCache } from '../core/use-cases/online.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createScratch, sweepLocal } from './scratch.js';

type Catalog = Awaited<ReturnType<typeof openMetadataStore>>;

/**
 * The adapters a host's functions share, each chosen from config by its type and created on first
 * use, so a function pays only for what it touches. In the all-in-one host every function shares
 * one set (one PGlite database).
 */
export class Dependencies {
  private catalog?: Promise<Catalog>;
  private offline?: ObjectStore;
  private online?: Promise<OnlineStore>;
  private registry?: Promise<RegistryCache>;
  private tokens?: Promise<CachedTokenStore>;
  private feed?: Promise<{ close(): Promise<void> }>;
  private caches: CatalogListener[] = [];
  private log?: OnlineLog;
  private ledger?: EventLedger;
  private duck?: OfflineEngine;
  private apps?: SparkApplications;
  private grpcPort?: number;
  private roots?: LocalRoots;
  private inferrer?: Promise<SchemaInferrer & { close(): Promise<void> }>;
  private auth?: Auth;
  private changes?: JobChanges;

  constructor(
    readonly config: Config,
    private readonly logger: Logger,
  ) {}

  private openCatalog(): Promise<Catalog> {
    this.catalog ??= (async () => {
      const location = parseMetadataUrl(this.config.metadataUrl)!;
      const started = performance.now();
      const { openMetadataStore } = await import('../adapters/metadata/open-metadata-store.js');
      const catalog = await openMetadataStore(location);
      this.logger.info({ metadata: location.type, ms: Math.round(performance.now() - started) }, 'metadata store ready');
      return catalog;
    })();
    return this.catalog;
  }

  async metadataStore(): Promise<MetadataStore> {
    return (await this.openCatalog()).store;
  }

  /** The outbox of the catalog database, for the relay. */
  async outbox(): Promise<Outbox> {
    return (await this.openCatalog()).outbox;
  }

  /** Roles and access requests, in the catalog database. */
  async accessStore(): Promise<AccessStore> {
    return (await this.openCatalog()).access;
  }

  /** Personal access tokens (their hashes), in the catalog database, kept in memory for the request path (revokes arrive by NOTIFY). */
  async tokenStore(): Promise<TokenStore> {
    this.tokens ??= (async () => {
      const cache = new CachedTokenStore((await this.openCatalog()).tokens, { maxAgeMs: this.config.permissionMaxAgeMs });
      await this.followCatalog({ revokeToken: (lookup) => cache.invalidate(lookup), clear: () => cache.clear() });
      return cache;
    })();
    return this.tokens;
  }

  /** The ingest catalog, in the catalog database. */
  async ingestStore(): Promise<IngestStore> {
    return (await this.openCatalog()).ingests;
  }

  /** Where offline data lives: FEATURESTORE_OFFLINE_URL (S3, ADLS) or FEATURESTORE_OFFLINE_DIR. */
  offlineStore(): ObjectStore {
    this.offline ??= openOfflineStore(offlineLocation(this.config.offlineUrl, this.config.offlineDir), this.config.objectStores);
    return this.offline;
  }

  /**
   * The online store (FEATURESTORE_ONLINE_URL; default: the catalog database), behind one p-queue
   * that bounds how many batches a process has in flight.
   */
  onlineStore(): Promise<OnlineStore> {
    this.online ??= (async () => {
      const location = parseOnlineUrl(this.config.onlineUrl)!;
      const inner = await openOnlineStore(location, {
        catalogSql: async () => (await this.openCatalog()).sql,
        nearCacheEntries: this.config.onlineCacheEntries,
        onNearCacheRefused: (message) =>
          this.logger.warn(
            { redis: message },
            'FEATURESTORE_ONLINE_CACHE_ENTRIES: Redis refused client-side caching (CLIENT TRACKING needs Redis 6 and the CLIENT command in the ACL); online reads go to Redis each time',
          ),
      });
      this.logger.info({ online: location.type }, 'online store ready');
      return new BoundedOnlineStore(inner, { concurrency: 8, chunk: 500 });
    })();
    return this.online;
  }

  /** The durable log of online-written rows (a table of the catalog database). */
  async onlineLog(): Promise<OnlineLog> {
    this.log ??= new SqlOnlineLog((await this.openCatalog()).sql);
    return this.log;
  }

  /** Which CloudEvents each function already handled (a table of the catalog database). */
  async eventLedger(): Promise<EventLedger> {
    this.ledger ??= new SqlEventLedger((await this.openCatalog()).sql);
    return this.ledger;
  }

  /** Feature set definitions for the online hot path, cached in memory (FEATURESTORE_REGISTRY_MAX_AGE_MS). */
  async registryCache(): Promise<RegistryCache> {
    this.registry ??= (async () => {
      const cache = createRegistryCache(await this.metadataStore(), { maxAgeMs: this.config.registryMaxAgeMs });
      await this.followCatalog({
        invalidate: (change) => {
          if (change.featureView) cache.invalidateView(change.project, change.featureView);
          else cache.invalidate(change.project, change.featureSet);
        },
        clear: () => cache.clear(),
      });
      return cache;
    })();
    return this.registry;
  }

  /**
   * Keeps a cache of catalog data coherent: every catalog change commits with a NOTIFY naming it
   * (one listening connection per process, shared by every cache); a lost connection clears them all.
   */
  private async followCatalog(cache: CatalogListener): Promise<void> {
    this.caches.push(cache);
    this.feed ??= (async () => {
      const catalog = await this.openCatalog();
      return new SqlChangeFeed(catalog.sql).subscribe({
        invalidate: (change) => this.caches.forEach((c) => c.invalidate?.(change)),
        revokeToken: (lookup) => this.caches.forEach((c) => c.revokeToken?.(lookup)),
        clear: () => {
          this.caches.forEach((c) => c.clear());
          this.logger.warn('lost the catalog change feed; cached definitions, permissions and tokens dropped, reconnecting');
        },
      });
    })();
    await this.feed;
  }

  /** The offline engine (FEATURESTORE_ENGINE; DuckDB in process by default). */
  engine(): OfflineEngine {
    this.duck ??= ENGINES[this.config.engine]({ memoryLimit: this.config.duckdb.memoryLimit, spillDir: this.spillDir(), spark: this.config.spark });
    return this.duck;
  }

  /** `spark-k8s`: the SparkApplications of the configured namespace (undefined with the other engines). */
  sparkApplications(): SparkApplications | undefined {
    if (this.config.engine !== 'spark-k8s') return undefined;
    if (!this.apps) {
      const kc = new KubeConfig();
      if (this.config.sparkK8s.kubeconfig) kc.loadFromFile(this.config.sparkK8s.kubeconfig);
      else kc.loadFromCluster();
      this.apps = new SparkApplications(kc, this.config.sparkK8s.namespace);
    }
    return this.apps;
  }

  /** `spark-k8s`: hands jobs to the cluster (undefined with the in-process engines). */
  launcher(): JobLauncher | undefined {
    const apps = this.sparkApplications();
    // Unless configured, drivers report to this process: the all-in-one host serves JobRunnerService itself.
    const own = () => (this.grpcPort === undefined ? undefined : `127.0.0.1:${this.grpcPort}`);
    return apps && new SparkK8sLauncher(apps, this.config.sparkK8s, this.offlineStore(), own);
  }

  /** The host's gRPC server listens on `port` (set once it does). */
  servingGrpc(port: number): void {
    this.grpcPort = port;
  }

  /** A fresh local folder for a job's work, removed by its dispose. */
  scratch(): Promise<Scratch> {
    return createScratch();
  }

  /** Removes scratch and spill folders of processes that died mid-job on this machine. */
  sweepLocal(olderThanMs: number): Promise<number> {
    return sweepLocal(this.config.duckdb.spillDir, olderThanMs);
  }

  /** What the frame of every engine job needs: jobs, offline store, scratch space, and the lease its heartbeats keep. */
  async jobFrame(): Promise<JobRunnerDeps> {
    return {
      jobs: await this.jobStore(),
      authorizer: this.authorizer(),
      offline: this.offlineStore(),
      scratch: () => this.scratch(),
      heartbeatMs: this.config.jobLeaseMs / 4,
      leaseMs: this.config.jobLeaseMs,
    };
  }

  /** This process's own DuckDB spill folder (a dead process's is swept by housekeeping). */
  spillDir(): string {
    return join(this.config.duckdb.spillDir, String(process.pid));
  }

  /** Source URIs to local files: file:// under the roots, s3:// and abfss:// copied to temporary files. */
  sourceFiles(): SourceFiles {
    return new LocalSourceFiles(this.fileRoots(), new ObjectSourceFiles(this.config.objectStores));
  }

  /** The folders file:// sources may be read from. */
  fileRoots(): LocalRoots {
    this.roots ??= new LocalRoots(this.config.fileRoots);
    return this.roots;
  }

  /** Job changes as they commit, for watchers (one listening connection per process). */
  async jobChanges(): Promise<JobChanges> {
    this.changes ??= new SqlJobChanges((await this.openCatalog()).sql);
    return this.changes;
  }

  /** Jobs live in the catalog database, so a job and its events commit together. */
  async jobStore(): Promise<JobStore> {
    return (await this.openCatalog()).jobs;
  }

  schemaInferrer(): Promise<SchemaInferrer> {
    this.inferrer ??= import('../adapters/inference/duckdb-schema-inferrer.js').then(
      ({ DuckDbSchemaInferrer }) => new DuckDbSchemaInferrer(this.fileRoots(), { memoryLimit: this.config.duckdb.memoryLimit, spillDir: this.spillDir() }),
    );
    return this.inferrer;
  }

  private authPair(): Auth {
    if (!this.auth) {
      const auth = AUTHS[this.config.auth]({
        oidc: this.config.oidc,
        permissionMaxAgeMs: this.config.permissionMaxAgeMs,
        access: () => this.accessStore(),
        store: () => this.metadataStore(),
      });
      if (auth.warning) this.logger.warn(auth.warning);
      // Started now; until the feed listens, cached decisions live at most permissionMaxAgeMs.
      if (auth.cache) this.followCatalog(auth.cache).catch((err: unknown) => this.logger.error({ err }, 'could not follow the catalog for permissions'));
      // Personal access tokens are checked before the configured authenticator, whatever its type.
      this.auth = { ...auth, authenticator: withTokens(auth.authenticator, () => this.tokenStore()) };
    }
    return this.auth;
  }

  authenticator(): Authenticator {
    return this.authPair().authenticator;
  }

  authorizer(): Authorizer {
    return this.authPair().authorizer;
  }

  /** Closes what was opened; safe to call twice. */
  async close(): Promise<void> {
    const [catalog, inferrer] = [this.catalog, this.inferrer];
    this.catalog = undefined;
    this.inferrer = undefined;
    const [offline, duck, online] = [this.offline, this.duck, this.online];
    this.offline = this.duck = this.online = undefined;
    // The online store and the change feed first: in the embedded default they share the catalog's database.
    const feed = this.feed;
    this.feed = this.registry = undefined;
    this.caches = [];
    await this.changes?.close().catch(() => {});
    this.changes = undefined;
    await feed?.then(
      (f) => f.close(),
      () => {},
    );
    await online?.then(
      (o) => o.close(),
      () => {},
    );
    await Promise.allSettled([catalog?.then((c) => c.store.close()), inferrer?.then((i) => i.close()), offline?.close(), duck?.close()]);
  }
}
