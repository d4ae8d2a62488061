import type { TokenStore } from '../../core/ports/token-store.js';
import type { StoredToken } from '../../core/tokens.js';

/** Tokens and touches remembered at most (the oldest go first): memory stays bounded whatever callers send. */
const MAX_ENTRIES = 10_000;

/** How often one process records a token's use (the catalog keeps it to the minute anyway). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Personal access tokens for the request path, kept in memory: without it a call authenticated by
 * a token cost two catalog statements (the lookup and the use), which on the online path is more
 * than the read itself. A token found is kept for at most `maxAgeMs`; a revoke drops it here at
 * once and, in every other process, when the revoke's NOTIFY arrives (`invalidate`); a lost change
 * feed drops all (`clear`). Expiry and the secret are still checked on every call by the caller,
 * against the kept hash. Unknown lookups are not kept: a token created since must work at once.
 */
export class CachedTokenStore implements TokenStore {
  private readonly entries = new Map<string, { at: number; token: StoredToken }>();
  private readonly touched = new Map<string, number>();
  /** Bumped by every drop: a lookup that started before one does not keep what it read. */
  private generation = 0;

  constructor(
    private readonly inner: TokenStore,
    private readonly options: { maxAgeMs: number; now?: () => number },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  create(...args: Parameters<TokenStore['create']>): Promise<StoredToken> {
    return this.inner.create(...args);
  }

  list(...args: Parameters<TokenStore['list']>): Promise<StoredToken[]> {
    return this.inner.list(...args);
  }

  async byLookup(lookup: string, signal?: AbortSignal): Promise<StoredToken | undefined> {
    const hit = this.entries.get(lookup);
    if (hit && this.now() - hit.at < this.options.maxAgeMs) return hit.token;
    const generation = this.generation;
    const token = await this.inner.byLookup(lookup, signal);
    this.entries.delete(lookup);
    if (token && generation === this.generation) remember(this.entries, lookup, { at: this.now(), token });
    return token;
  }

  /** Dropped here after the statement, committed or not (a read in flight meanwhile is not kept: the generation). */
  async revoke(id: string, principalId: string, signal?: AbortSignal): Promise<boolean> {
    try {
      return await this.inner.revoke(id, principalId, signal);
    } finally {
      this.forget((t) => t.id === id);
    }
  }

  async touch(id: string, signal?: AbortSignal): Promise<void> {
    const last = this.touched.get(id);
    if (last !== undefined && this.now() - last < TOUCH_EVERY_MS) return;
    this.touched.delete(id);
    remember(this.touched, id, this.now());
    await this.inner.touch(id, signal);
  }

  /** A token revoked (by any process): its lookup is read again from the catalog. */
  invalidate(lookup: string): void {
    this.generation++;
    this.entries.delete(lookup);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private forget(which: (t: StoredToken) => boolean): void {
    this.generation++;
    for (const [lookup, e] of this.entries) if (which(e.token)) this.entries.delete(lookup);
  }
}

/** Sets `key` last in `map`, dropping the oldest entries past MAX_ENTRIES. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= MAX_ENTRIES) break;
    map.delete(oldest);
  }
}
