/** One cached value and the time (ms since the epoch) it stops being served. */
export interface CacheEntry<V> {
  value: V;
  until: number;
}

/**
 * A bounded in-process cache of values that expire, least recently used first: a hit moves the key to
 * the end, and a full cache drops its oldest entry. So a flood of new keys (random write keys, say) evicts
 * other new keys, not the busy ones (a cache that cleared itself when full let such a flood cost every
 * real key a query again). Used for write keys, API key rows and stream connection lists.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, CacheEntry<V>>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The entry for `key` if still fresh at `now`; a stale one is dropped. */
  get(key: string, now: number): CacheEntry<V> | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    this.#entries.delete(key);
    if (hit.until <= now) return undefined;
    this.#entries.set(key, hit);
    return hit;
  }

  set(key: string, value: V, until: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, until });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
