/** A committed change to the catalog: a project, or one feature set or feature view of it. */
export interface CatalogChange {
  project: string;
  featureSet?: string;
  featureView?: string;
  /** A personal access token was revoked (its lookup); `project` is then empty. */
  token?: string;
}

/**
 * Catalog changes as they commit, for caches of definitions (the online path's registry cache).
 * `onGap` runs when changes may have been missed (a lost connection): drop everything cached.
 */
export interface ChangeFeed {
  subscribe(onChange: (change: CatalogChange) => void, onGap: () => void): Promise<{ close(): Promise<void> }>;
}
