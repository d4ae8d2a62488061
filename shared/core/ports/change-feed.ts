/** A committed change to the catalog: a project, or one feature set or feature view of it. */
export interface CatalogChange {
  project: string;
  featureSet?: string;
  featureView?: string;
}

/**
 * What a cache of catalog data hears from the feed. A cache implements what it keeps: definitions
 * (`invalidate`), personal access tokens (`revokeToken`), or both; `clear` runs when changes may have
 * been missed (a lost connection), and must drop everything the cache holds.
 */
export interface CatalogListener {
  invalidate?(change: CatalogChange): void;
  /** A personal access token was revoked (its lookup). */
  revokeToken?(lookup: string): void;
  clear(): void;
}

/** Catalog changes and token revokes as they commit, for caches (the online path's registry cache, permissions, tokens). */
export interface ChangeFeed {
  subscribe(listener: CatalogListener): Promise<{ close(): Promise<void> }>;
}
