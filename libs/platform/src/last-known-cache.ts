import { counter } from './metrics';
import { withTimeout } from './timeout';

const lookups = counter('audit_cache_lookups_total', 'Lookups of the caches in front of Postgres, by cache and how they were answered (fresh, loaded, stale, unavailable)', ['cache', 'outcome']);

/** Options of a {@link LastKnownCache}. */
export interface LastKnownCacheOptions<K, V> {
  /** The `cache` label of `audit_cache_lookups_total`; unset counts nothing. */
  name?: string;
  /** How long a loaded value is served before the source is asked again. */
  ttlMs: number;
  /**
   * How long after its last successful load a value may still be served while the source cannot answer.
   * 0 serves nothing stale: a failed refresh is then a failure, as without this cache.
   */
  maxStaleMs: number;
  /**
   * A load that has not answered within this long counts as failed. A partitioned database does not
   * refuse, it hangs: without a bound every request would wait as long as the driver does.
   */
  loadTimeoutMs: number;
  /**
   * After a failed load the source is probed again at most this often: meanwhile expired values are
   * served stale and misses fail at once, instead of each request waiting for its own timeout.
   */
  retryAfterFailureMs: number;
  /** Entries kept at most; the least recently loaded go first. */
  maxEntries: number;
  /**
   * Whether a loaded value is kept (default: every value). A value not kept is still returned, and the
   * key's older value is forgotten: e.g. "no such key" is an answer, but never one to serve stale.
   */
  keep?: (value: V) => boolean;
  /** The error a caller gets when the source failed and no value young enough is held. */
  unavailable: (key: K, cause: unknown) => Error;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  loadedAt: number;
}

/** How a {@link LastKnownCache.get} was answered, for metrics. */
export type LastKnownOutcome = 'fresh' | 'loaded' | 'stale' | 'unavailable';

/**
 * A read-through cache that keeps serving the last value it loaded while its source (Postgres) is
 * unreachable, for at most `maxStaleMs` after that value was loaded. Within `ttlMs` a value is served
 * without asking; after it the source is asked (one load per key at a time), and only when that load
 * fails or times out is the old value served. Once a load has failed, nobody waits for the source any
 * more: a value young enough is served at once while the source is probed in the background (at most
 * once per `retryAfterFailureMs`), until a load succeeds again. A key never loaded, or loaded longer ago
 * than `maxStaleMs`, cannot be answered while the source is down: `get` rejects with `unavailable(...)`.
 */
export class LastKnownCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly loading = new Map<K, Promise<V>>();
  private failedAt = -Infinity;
  /** The last load failed and none succeeded since. */
  private failing = false;
  private readonly now: () => number;

  constructor(private readonly options: LastKnownCacheOptions<K, V>) {
    this.now = options.now ?? Date.now;
  }

  async get(key: K, load: () => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && now - entry.loadedAt < this.options.ttlMs) {
      this.observe('fresh');
      return entry.value;
    }
    const probeDue = now - this.failedAt >= this.options.retryAfterFailureMs;
    if (this.failing && entry && now - entry.loadedAt <= this.options.maxStaleMs) {
      // A failed probe only moves failedAt (inside load); the caller is answered from what is known.
      if (probeDue) void this.load(key, load).catch(() => undefined);
      return this.fallback(key, entry, undefined);
    }
    if (this.failing && !probeDue) return this.fallback(key, entry, new Error('the source failed moments ago'));
    try {
      const value = await this.load(key, load);
      this.observe('loaded');
      return value;
    } catch (error) {
      return this.fallback(key, this.entries.get(key), error);
    }
  }

  /** Forgets every value (e.g. after a revocation this process made itself). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private observe(outcome: LastKnownOutcome): void {
    if (this.options.name !== undefined) lookups.inc({ cache: this.options.name, outcome });
  }

  private fallback(key: K, entry: Entry<V> | undefined, cause: unknown): V {
    if (entry && this.now() - entry.loadedAt <= this.options.maxStaleMs) {
      this.observe('stale');
      return entry.value;
    }
    this.observe('unavailable');
    throw this.options.unavailable(key, cause);
  }

  /** One load per key at a time; callers arriving meanwhile share it. */
  private load(key: K, load: () => Promise<V>): Promise<V> {
    let pending = this.loading.get(key);
    if (!pending) {
      pending = withTimeout(load(), this.options.loadTimeoutMs)
        .then(
          (value) => {
            this.failing = false;
            this.remember(key, value);
            return value;
          },
          (error: unknown) => {
            this.failing = true;
            this.failedAt = this.now();
            throw error;
          },
        )
        .finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private remember(key: K, value: V): void {
    this.entries.delete(key);
    if (this.options.keep && !this.options.keep(value)) return;
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, loadedAt: this.now() });
  }
}
