// resty.lrucache.pureffi: the same cache with upstream's differences — keys are strings
// (others go through String(), so 1 and '1' are one key) and `new` takes a load factor
// (clamped to [0.1, 1], default 0.5), which sizes upstream's own hash table and is kept here
// only to be answered back: lru-cache's Map needs no tuning.
import { LRUCache } from './lrucache.ts'
import type { LruStaleResult } from './lrucache.ts'

/**
 * resty.lrucache.pureffi: `new PureFfiLRUCache(size, loadFactor?)`.
 *
 * @example
 * const c = new PureFfiLRUCache(100, 0.7)
 * c.set(1, 'one'); c.get('1')   // 'one'
 */
export class PureFfiLRUCache<V = unknown> {
  readonly #inner: LRUCache<V, string>
  readonly loadFactor: number

  constructor(size: number, loadFactor?: number) {
    this.#inner = new LRUCache<V, string>(size)
    const lf = loadFactor === undefined || Number.isNaN(loadFactor) ? 0.5 : loadFactor
    this.loadFactor = Math.min(1, Math.max(0.1, lf))
  }

  get(key: unknown): V | undefined {
    return this.#inner.get(String(key))
  }

  getStale(key: unknown): LruStaleResult<V> | undefined {
    return this.#inner.getStale(String(key))
  }

  set(key: unknown, value: V, ttl?: number, flags?: number): void {
    this.#inner.set(String(key), value, ttl, flags)
  }

  delete(key: unknown): boolean {
    return this.#inner.delete(String(key))
  }

  count(): number {
    return this.#inner.count()
  }

  capacity(): number {
    return this.#inner.capacity()
  }

  getKeys(max?: number, res?: string[]): string[] {
    return this.#inner.getKeys(max, res)
  }

  flushAll(): void {
    this.#inner.flushAll()
  }
}
