// Connection pools, per worker, with ngx_lua's semantics (setkeepalive / connect options
// pool, pool_size, backlog): idle items reused most-recently-released first, the oldest
// closed when more than `size` are idle, idle expiry, idle items the peer closes dropped, and
// with a `backlog` at most `size` items at all, further acquirers queued (overflow: `too many
// waiting connect operations`; a wait longer than its timeout: `timeout`). Generic so that
// protocol packages can pool their own connection objects the same way.
import { fail, ok } from './result.ts'
import type { Result } from './result.ts'

/** How a pool closes and watches its items. */
export interface PoolHooks<T> {
  /** Closes an item the pool drops (evicted, expired, found dead, or on closeAll). */
  close(item: T): void
  /** An item went idle: call `dead(item)` when it can no longer be reused (the peer closed it…). */
  watch?(item: T, dead: (item: T) => void): void
  /** An idle item was taken out again. */
  unwatch?(item: T): void
}

export type AcquireErr = 'too many waiting connect operations' | 'timeout'

/**
 * What the pool hands out: an item with the number of times it was reused, or (`item`
 * undefined) a slot to create a new one. A slot counts against the pool until `discard()`.
 */
export interface Lease<T> {
  readonly item: T | undefined
  readonly reused: number
}

interface Idle<T> {
  readonly item: T
  reused: number
  /** When it expires (performance.now() ms); Infinity: never. */
  readonly expires: number
}

interface Waiter<T> {
  readonly resolve: (r: Result<Lease<T>, AcquireErr>) => void
  readonly timer: ReturnType<typeof setTimeout> | undefined
}

/** Lets an acquirer give up its place in the backlog queue (its owner ended). */
export interface WaitToken {
  cancel?: () => void
}

const SLOT: Lease<never> = Object.freeze({ item: undefined, reused: 0 })

export class Pool<T> {
  readonly name: string
  /** Idle items kept; with a backlog, items in all. */
  readonly size: number
  /** Acquirers that may wait when `size` items exist; `undefined`: no limit on items. */
  readonly backlog: number | undefined
  readonly #hooks: PoolHooks<T>
  #idle: Idle<T>[] = []
  #waiters: Waiter<T>[] = []
  #count = 0
  // One timer sweeps expired idle items (none is set or cleared per release or take).
  #sweepTimer: ReturnType<typeof setTimeout> | undefined = undefined
  #sweepAt = Infinity

  constructor(name: string, size: number, backlog: number | undefined, hooks: PoolHooks<T>) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`bad "pool_size" option value: ${size}`)
    if (backlog !== undefined && (!Number.isInteger(backlog) || backlog < 0)) {
      throw new RangeError(`bad "backlog" option value: ${backlog}`)
    }
    this.name = name
    this.size = size
    this.backlog = backlog
    this.#hooks = hooks
  }

  /** Idle items now. */
  get idle(): number {
    return this.#idle.length
  }

  /** Items that belong to the pool: handed out (or being created) and idle. */
  get count(): number {
    return this.#count
  }

  /** Acquirers waiting in the backlog queue. */
  get waiting(): number {
    return this.#waiters.length
  }

  /** The most recently released idle item (its reuse count incremented), or `undefined`. */
  take(): Lease<T> | undefined {
    const e = this.#idle.pop()
    if (e === undefined) return undefined
    this.#hooks.unwatch?.(e.item)
    e.reused++
    return e
  }

  /**
   * A slot to create a new item, or an item another holder releases while this one waits.
   * Without a backlog the slot is granted at once; with one, when `size` items exist the
   * call queues (up to `backlog` acquirers) for at most `timeoutMs` (0: no limit).
   */
  acquire(timeoutMs: number, token?: WaitToken): Promise<Result<Lease<T>, AcquireErr>> {
    if (this.backlog === undefined || this.#count < this.size) {
      this.#count++
      return Promise.resolve(ok(SLOT))
    }
    if (this.#waiters.length >= this.backlog) return Promise.resolve(fail('too many waiting connect operations'))
    return new Promise((resolve) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          this.#removeWaiter(w)
          resolve(fail('timeout'))
        }, timeoutMs)
        : undefined
      const w: Waiter<T> = { resolve, timer }
      this.#waiters.push(w)
      if (token !== undefined) {
        token.cancel = () => {
          if (this.#removeWaiter(w)) {
            if (timer !== undefined) clearTimeout(timer)
            resolve(fail('timeout'))
          }
        }
      }
    })
  }

  #removeWaiter(w: Waiter<T>): boolean {
    const i = this.#waiters.indexOf(w)
    if (i < 0) return false
    this.#waiters.splice(i, 1)
    return true
  }

  /**
   * Puts an item back for reuse (setkeepalive): handed to the first waiter if there is one,
   * else kept idle for `idleTimeoutMs` (0: no limit), the oldest idle item closed when more
   * than `size` are. `counted`: whether the item already counts against this pool (it came
   * from `take` or an `acquire` slot of it).
   */
  release(item: T, reused: number, idleTimeoutMs: number, counted: boolean): void {
    if (!counted) this.#count++
    const w = this.#waiters.shift()
    if (w !== undefined) {
      if (w.timer !== undefined) clearTimeout(w.timer)
      w.resolve(ok({ item, reused: reused + 1 }))
      return
    }
    const e: Idle<T> = { item, reused, expires: idleTimeoutMs > 0 ? performance.now() + idleTimeoutMs : Infinity }
    if (e.expires < this.#sweepAt) this.#armSweep(e.expires)
    this.#idle.push(e)
    this.#hooks.watch?.(item, this.#dead)
    if (this.#idle.length > this.size) {
      const oldest = this.#idle[0]!
      this.#drop(oldest)
    }
  }

  /** An item that counted against the pool is gone (closed, or its creation failed). */
  discard(): void {
    if (this.#count > 0) this.#count--
    if (this.#waiters.length !== 0 && this.#count < this.size) {
      const w = this.#waiters.shift()!
      if (w.timer !== undefined) clearTimeout(w.timer)
      this.#count++
      w.resolve(ok(SLOT))
    }
  }

  #armSweep(at: number): void {
    if (this.#sweepTimer !== undefined) clearTimeout(this.#sweepTimer)
    this.#sweepAt = at
    this.#sweepTimer = setTimeout(this.#sweep, Math.max(0, at - performance.now()))
    this.#sweepTimer.unref()
  }

  readonly #sweep = (): void => {
    this.#sweepTimer = undefined
    this.#sweepAt = Infinity
    const now = performance.now() + 1
    let next = Infinity
    for (const e of [...this.#idle]) {
      if (e.expires <= now) this.#drop(e)
      else if (e.expires < next) next = e.expires
    }
    if (next !== Infinity && next < this.#sweepAt) this.#armSweep(next)
  }

  /** An idle item's watch saw it die. */
  readonly #dead = (item: T): void => {
    const e = this.#idle.find((x) => x.item === item)
    if (e !== undefined) this.#drop(e)
  }

  #drop(e: Idle<T>): void {
    const i = this.#idle.indexOf(e)
    if (i < 0) return
    this.#idle.splice(i, 1)
    this.#hooks.unwatch?.(e.item)
    this.#hooks.close(e.item)
    this.discard()
  }

  /** Closes every idle item and fails every waiter with `timeout` (worker exit). */
  closeAll(): void {
    if (this.#sweepTimer !== undefined) clearTimeout(this.#sweepTimer)
    this.#sweepTimer = undefined
    this.#sweepAt = Infinity
    for (const e of this.#idle.splice(0)) {
      this.#hooks.unwatch?.(e.item)
      this.#hooks.close(e.item)
      if (this.#count > 0) this.#count--
    }
    for (const w of this.#waiters.splice(0)) {
      if (w.timer !== undefined) clearTimeout(w.timer)
      w.resolve(fail('timeout'))
    }
  }
}

/** A worker's pools by name (`host:port`, the unix path, or the `pool` option). */
export class PoolSet<T> {
  readonly #hooks: PoolHooks<T>
  readonly #pools = new Map<string, Pool<T>>()

  constructor(hooks: PoolHooks<T>) {
    this.#hooks = hooks
  }

  get(name: string): Pool<T> | undefined {
    return this.#pools.get(name)
  }

  /** The pool `name`, created with `size` and `backlog` if it does not exist yet. */
  getOrCreate(name: string, size: number, backlog?: number): Pool<T> {
    let p = this.#pools.get(name)
    if (p === undefined) {
      p = new Pool(name, size, backlog, this.#hooks)
      this.#pools.set(name, p)
    }
    return p
  }

  /** The pool names. */
  names(): string[] {
    return [...this.#pools.keys()]
  }

  /** Closes all idle items of all pools and forgets the pools (worker exit). */
  closeAll(): void {
    for (const p of this.#pools.values()) p.closeAll()
    this.#pools.clear()
  }
}
