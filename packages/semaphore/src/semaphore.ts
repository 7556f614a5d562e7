// ngx.semaphore: a counting semaphore shared by the requests and timers of one worker.
// post(n) adds resources and wakes up to n waiters, first come first served; wait(timeout)
// takes one or waits for one. Results and err strings are ngx_lua's (measured on the
// reference: ngx_lua 0.10.23 + lua-resty-core's ngx.semaphore; see the README).
import { CONTEXT_NAME, ERROR_CODES, fail, NgxApiError, ok, PHASE_BIT } from '@nresty/core'
import type { Ngx, Result } from '@nresty/core'

/** Where `wait` may wait: rewrite, access, content and timers. */
const CTX_WAIT = PHASE_BIT.server_rewrite | PHASE_BIT.rewrite | PHASE_BIT.access | PHASE_BIT.content | PHASE_BIT.timer

/** `wait`'s err strings: `timeout`, or the phase refusal ngx_lua returns (not throws). */
export type SemaphoreWaitErr = 'timeout' | `API disabled in the context of ${string}`

interface Waiter {
  readonly resolve: (r: Result<true, SemaphoreWaitErr>) => void
  timer: ReturnType<typeof setTimeout> | undefined
  off: () => void
}

const OK: Result<true, SemaphoreWaitErr> = Object.freeze(ok(true as const))
const TIMEOUT: Result<true, SemaphoreWaitErr> = Object.freeze(fail('timeout' as const))
const NOOP = (): void => undefined

function argError(message: string): NgxApiError {
  return new NgxApiError(ERROR_CODES.ARG, message)
}

function typeName(v: unknown): string {
  return v === undefined || v === null ? 'nil' : typeof v
}

/**
 * A semaphore: `count()` resources, taken by `wait` and given back by `post`. It lives in one
 * worker (module state); across workers use a lock on a shared dict.
 *
 * @example
 * const sema = new Semaphore(0)
 * ngx.timer.at(0, () => { sema.post(1) })
 * const r = await sema.wait(1, ngx)   // { ok: true, value: true }
 */
export class Semaphore {
  /** Resources not taken (never negative). */
  #resources: number
  /** Waiters, first come first served (a Set keeps insertion order and deletes in O(1)). */
  readonly #waiters = new Set<Waiter>()

  /** `semaphore.new(n)`: `n` resources to start with (default 0; fractions are cut). */
  constructor(n = 0) {
    if (typeof n !== 'number' || Number.isNaN(n)) throw argError(`bad argument #1 to 'new' (number expected, got ${typeName(n)})`)
    if (n < 0) throw argError('no negative number')
    this.#resources = Math.trunc(n)
  }

  /**
   * `sema:count()`: resources available, or minus the number of waiters when none is (the
   * same number ngx_lua gives).
   */
  count(): number {
    return this.#resources - this.#waiters.size
  }

  /**
   * `sema:post(n)`: adds `n` resources (default 1; fractions are cut) and wakes up to `n`
   * waiters in the order they came; they run once the caller yields. Returns true.
   */
  post(n = 1): true {
    if (typeof n !== 'number' || !(n >= 1)) throw argError('positive number required')
    this.#resources += Math.trunc(n)
    for (const w of this.#waiters) {
      if (this.#resources === 0) break
      this.#resources--
      this.#waiters.delete(w)
      if (w.timer !== undefined) clearTimeout(w.timer)
      w.off()
      w.resolve(OK)
    }
    return true
  }

  /**
   * `sema:wait(timeout)`: takes a resource, waiting up to `timeout` seconds (0: no wait) for
   * one. `{ ok: true, value: true }`, or `timeout`.
   *
   * Pass the handler's `ngx` to have the phase checked as ngx_lua checks it (only rewrite,
   * access, content and timers may wait: elsewhere it answers `API disabled in the context of
   * …`, even with a 0 timeout; in init it throws `no request found`), and to have a light
   * thread killed while it waits leave the queue. Without `ngx`, any code may wait.
   */
  wait(timeout: number, ngx?: Ngx): Promise<Result<true, SemaphoreWaitErr>> {
    if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
      throw argError(`bad argument #1 to 'wait' (number expected, got ${typeName(timeout)})`)
    }
    const ms = Math.trunc(timeout * 1000)
    if (ms < 0) throw argError('no negative number')
    if (ngx !== undefined) {
      const phase = ngx.getPhase()
      if (phase === 'init') throw new NgxApiError(ERROR_CODES.PHASE, 'no request found')
      if ((PHASE_BIT[phase] & CTX_WAIT) === 0) return Promise.resolve(fail(`API disabled in the context of ${CONTEXT_NAME[phase]}`))
    }
    if (this.#resources > 0) {
      this.#resources--
      return Promise.resolve(OK)
    }
    if (ms === 0) return Promise.resolve(TIMEOUT)
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, timer: undefined, off: NOOP }
      w.timer = setTimeout(() => {
        this.#waiters.delete(w)
        w.off()
        resolve(TIMEOUT)
      }, ms)
      this.#waiters.add(w)
      if (ngx !== undefined) {
        w.off = ngx.thread.onKill((reason: unknown) => {
          this.#waiters.delete(w)
          clearTimeout(w.timer)
          reject(reason)
        })
      }
    })
  }
}
