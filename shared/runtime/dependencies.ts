import type { Authenticator } from '../core/ports/authenticator.js';
import type { Authorizer } from '../core/ports/authorizer.js';
import type { JobStore } from '../core/ports/job-store.js';
import type { MetadataStore } from '../core/ports/metadata-store.js';
import type { Outbox } from '../core/ports/outbox.js';
import type { SchemaInferrer } from '../core/ports/schema-inferrer.js';
import { LocalAuthenticator } from '../adapters/auth/local-authenticator.js';
import { LocalAuthorizer } from '../adapters/auth/local-authorizer.js';
import { LocalRoots } from '../adapters/files/local-roots.js';
import { parseMetadataUrl } from '../adapters/metadata/metadata-url.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * The adapters a host's functions share, each chosen from config by its type and created on first
 * use, so a function pays only for what it touches. In the all-in-one host every function shares
 * one set (one PGlite database).
 */
export class Dependencies {
  private catalog?: Promise<{ store: MetadataStore; jobs: JobStore; outbox: Outbox }>;
  private inferrer?: Promise<SchemaInferrer & { close(): Promise<void> }>;
  private auth?: { authenticator: Authenticator; authorizer: Authorizer };

  constructor(
    readonly config: Config,
    private readonly logger: Logger,
  ) {}

  private openCatalog(): Promise<{ store: MetadataStore; jobs: JobStore; outbox: Outbox }> {
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

  /** Jobs live in the catalog database, so a job and its events commit together. */
  async jobStore(): Promise<JobStore> {
    return (await this.openCatalog()).jobs;
  }

  schemaInferrer(): Promise<SchemaInferrer> {
    this.inferrer ??= import('../adapters/inference/duckdb-schema-inferrer.js').then(
      ({ DuckDbSchemaInferrer }) => new DuckDbSchemaInferrer(new LocalRoots(this.config.fileRoots)),
    );
    return this.inferrer;
  }

  private authPair() {
    if (!this.auth) {
      this.logger.warn('authentication is OFF: every caller acts as the local user with full rights (embedded default; do not expose this port)');
      this.auth = { authenticator: new LocalAuthenticator(), authorizer: new LocalAuthorizer() };
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
    await Promise.allSettled([catalog?.then((c) => c.store.close()), inferrer?.then((i) => i.close())]);
  }
}
