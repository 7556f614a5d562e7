// resty.lock: a non-blocking lock across workers on a shared dict. `lock(key)` adds the key
// (true, with `exptime` seconds to live) and, while another holder has it, sleeps with
// exponential back-off (step, ×ratio, at most maxStep) until `timeout`. The entry's time to
// live is what frees the lock of a worker that died holding it. Defaults, results and err
// strings follow lua-resty-lock's documentation; elapsed is the sum of the sleeps.
import { setTimeout as sleep } from 'node:timers/promises'
import { ERROR_CODES, fail, NgxApiError, ok } from '@nresty/core'
import type { Result, SharedDict } from '@nresty/core'

export interface LockOptions {
  /** Seconds the lock entry lives in the dict (default 30): the bound on a dead holder. */
  readonly exptime?: number
  /** Seconds `lock` waits at most (default 5, at most `exptime`; 0 = try once). */
  readonly timeout?: number
  /** First sleep in seconds (default 0.001). */
  readonly step?: number
  /** Factor applied to the step after each sleep (default 2). */
  readonly ratio?: number
  /** Longest single sleep in seconds (default 0.5). */
  readonly maxStep?: number
}

/** `lock`'s err strings; shdict errs (`no memory`, `empty key`, `key too long`) pass through. */
export type LockErr = 'timeout' | 'locked' | 'nil key' | 'no memory' | 'empty key' | 'key too long'
/** `unlock` / `expire` err strings. */
export type UnlockErr = 'unlocked' | 'not found'

function option(opts: LockOptions | undefined, name: keyof LockOptions, dflt: number): number {
  const v = opts?.[name]
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !(v >= 0)) throw new NgxApiError(ERROR_CODES.ARG, `bad "${name}" option: non-negative number expected`)
  return v
}

/**
 * resty.lock: one object per lock per light thread.
 *
 * @example
 * const lock = new Lock(ngx.shared.locks, { timeout: 2 })
 * const r = await lock.lock('my-key')    // { ok: true, value: 0 } when free
 * // … critical section …
 * lock.unlock()
 */
export class Lock {
  readonly #dict: SharedDict
  readonly #exptime: number
  readonly #timeout: number
  readonly #step: number
  readonly #ratio: number
  readonly #maxStep: number
  #key: string | undefined

  constructor(dict: SharedDict, opts?: LockOptions) {
    if (dict === null || typeof dict !== 'object' || typeof (dict as { add?: unknown }).add !== 'function') {
      throw new NgxApiError(ERROR_CODES.ARG, 'dictionary not found')
    }
    this.#dict = dict
    this.#exptime = option(opts, 'exptime', 30)
    this.#timeout = Math.min(option(opts, 'timeout', 5), this.#exptime)
    this.#step = option(opts, 'step', 0.001)
    this.#ratio = option(opts, 'ratio', 2)
    this.#maxStep = option(opts, 'maxStep', 0.5)
  }

  /** The key this object holds, if any. */
  get key(): string | undefined {
    return this.#key
  }

  /**
   * Takes the lock: `{ ok: true, value: elapsed }` — 0 when it was free, else the seconds slept
   * (the sum of the back-off steps, not the wall clock).
   */
  async lock(key: string | null | undefined): Promise<Result<number, LockErr>> {
    if (key === undefined || key === null) return fail('nil key')
    if (this.#key !== undefined) return fail('locked')
    const first = this.#try(key)
    if (first !== 'exists') return first
    let timeout = this.#timeout
    let step = this.#step
    let elapsed = 0
    while (timeout > 0) {
      if (step > timeout) step = timeout
      await sleep(Math.max(1, Math.round(step * 1000)))
      elapsed += step
      timeout -= step
      const r = this.#try(key, elapsed)
      if (r !== 'exists') return r
      if (timeout <= 0) break
      step = Math.min(Math.max(0.001, step * this.#ratio), this.#maxStep)
    }
    return fail('timeout')
  }

  #try(key: string, elapsed = 0): Result<number, LockErr> | 'exists' {
    const r = this.#dict.add(key, true, this.#exptime)
    if (r.ok) {
      this.#key = key
      return ok(elapsed)
    }
    if (r.err === 'exists') return 'exists'
    // add() of `true` answers exists, no memory or a key err (never a nil-value or not-found err)
    return fail(r.err as LockErr)
  }

  /** Releases the lock: `{ ok: true, value: 1 }`, or `unlocked` when this object holds none. */
  unlock(): Result<1, UnlockErr> {
    const key = this.#key
    if (key === undefined) return fail('unlocked')
    this.#key = undefined
    this.#dict.delete(key)
    return ok(1)
  }

  /**
   * Gives the held lock `timeout` more seconds (default: the `exptime` of `new`);
   * `not found` when its entry already expired.
   */
  expire(timeout?: number): Result<true, UnlockErr> {
    const key = this.#key
    if (key === undefined) return fail('unlocked')
    const r = this.#dict.replace(key, true, timeout ?? this.#exptime)
    if (!r.ok) return fail('not found')
    return ok(true)
  }
}
