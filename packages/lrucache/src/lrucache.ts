// resty.lrucache: an in-worker LRU cache of any JS values, counted in items, on the lru-cache
// package. Expiry uses nresty's cached clock (`now()`, as upstream uses ngx.now()); an expired
// item stays until evicted and `getStale` still returns it. Semantics measured on the
// reference (lua-resty-lrucache 0.13 in OpenResty 1.22): see the README.
import { LRUCache as RawLru } from 'lru-cache'
import { ERROR_CODES, NgxApiError, now } from '@nresty/core'

/**
 * An item with a time to live, flags, or an undefined value (lru-cache deletes on undefined):
 * the value, when it expires (seconds, -1 = never) and its user flags. Other items are stored
 * bare, so the common case costs what lru-cache costs. The class is private: no user value is
 * ever a Node.
 */
class Node<V> {
  readonly value: V
  readonly expire: number
  readonly flags: number
  constructor(value: V, expire: number, flags: number) {
    this.value = value
    this.expire = expire
    this.flags = flags
  }
}

/** `getStale`'s answer: the value (expired or not), whether it expired, and its flags. */
export interface LruStaleResult<V> {
  readonly value: V
  readonly stale: boolean
  readonly flags: number
}

/** Flags as the reference keeps them: a uint32; negative, non-numbers and huge values give 0. */
export function normalizeFlags(flags: unknown): number {
  if (typeof flags !== 'number' || !(flags >= 0) || flags >= 2 ** 63) return 0
  return Math.trunc(flags) % 2 ** 32
}

export function checkSize(size: unknown, what: string): number {
  if (typeof size !== 'number' || Number.isNaN(size)) {
    throw new NgxApiError(ERROR_CODES.ARG, `bad "${what}" argument: number expected, got ${size === undefined || size === null ? 'nil' : typeof size}`)
  }
  if (size < 1) throw new NgxApiError(ERROR_CODES.ARG, 'size too small')
  return Math.floor(size)
}

/**
 * resty.lrucache: `new LRUCache(maxItems)`. Items are evicted least recently used first when
 * the cache is full; `get` and `set` count as use.
 *
 * @example
 * const c = new LRUCache<string>(200)
 * c.set('dog', 'bark', 0.5)
 * c.get('dog')       // 'bark'
 */
export class LRUCache<V = unknown, K extends NonNullable<unknown> = string> {
  readonly #lru: RawLru<K, Node<V> | NonNullable<V>>
  readonly #size: number

  constructor(maxItems: number) {
    this.#size = checkSize(maxItems, 'max_items')
    this.#lru = new RawLru<K, Node<V> | NonNullable<V>>({ max: this.#size })
  }

  /** The value, or undefined when missing or expired (an expired item still becomes the most recent). */
  get(key: K): V | undefined {
    const v = this.#lru.get(key)
    if (typeof v !== 'object' || !(v instanceof Node)) return v
    if (v.expire >= 0 && v.expire < now()) return undefined
    return v.value as V
  }

  /** Lua's `data, stale_data, flags`: undefined when missing; `stale` true once expired. */
  getStale(key: K): LruStaleResult<V> | undefined {
    const v = this.#lru.get(key)
    if (v === undefined) return undefined
    if (!(v instanceof Node)) return { value: v, stale: false, flags: 0 }
    return { value: v.value as V, stale: v.expire >= 0 && v.expire < now(), flags: v.flags }
  }

  /** Stores `value`; `ttl` in seconds (float; undefined = never; ≤ 0 = expired at once), flags a uint32. */
  set(key: K, value: V, ttl?: number, flags?: number): void {
    const f = flags === undefined ? 0 : normalizeFlags(flags)
    if (ttl === undefined && f === 0 && value !== undefined && value !== null) {
      this.#lru.set(key, value)
      return
    }
    this.#lru.set(key, new Node(value, ttl === undefined ? -1 : now() + ttl, f))
  }

  /** Removes the item; true when it was there. */
  delete(key: K): boolean {
    return this.#lru.delete(key)
  }

  /** Items held, expired ones included. */
  count(): number {
    return this.#lru.size
  }

  capacity(): number {
    return this.#size
  }

  /** Keys, most recently used first, at most `max` (absent or 0 = all); fills and trims `res` when given. */
  getKeys(max?: number, res?: K[]): K[] {
    const out = res ?? []
    const limit = max === undefined || max <= 0 ? Infinity : max
    let n = 0
    for (const k of this.#lru.keys()) {
      if (n >= limit) break
      out[n++] = k
    }
    out.length = n
    return out
  }

  /** Empties the cache. */
  flushAll(): void {
    this.#lru.clear()
  }
}
