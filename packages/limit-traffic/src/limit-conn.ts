// resty.limit.conn: concurrent requests per key on a shared dict, as nginx's limit_conn plus a
// burst that is delayed instead of rejected. incoming(key, true) increments the key's counter
// (`incr(key, 1, 0)`); above max + burst it decrements again and rejects; above max the
// request is told to wait unitDelay · floor((conn − 1) / max) seconds. leaving(key, latency?)
// decrements and, given the request's latency, averages it into unitDelay.
import { fail, ok } from '@nresty/core'
import type { Result, SharedDict } from '@nresty/core'
import { checkDict, checkNumber, REJECTED } from './errors.ts'
import type { LimitErr } from './errors.ts'

export interface LimitConnState {
  readonly delay: number
  /** Concurrent requests of the key, this one included. */
  readonly conn: number
}

/**
 * resty.limit.conn: `new LimitConn(dict, max, burst, defaultConnDelay)`.
 *
 * @example
 * const lim = new LimitConn(ngx.shared.my_limit_conn_store, 200, 100, 0.5)
 * const r = lim.incoming(key, true)
 * if (r.ok && lim.isCommitted()) ngx.ctx.limitConnKey = key  // leaving(key) in the log phase
 */
export class LimitConn {
  readonly dict: SharedDict
  #max: number
  #burst: number
  #unitDelay: number
  #committed = false

  constructor(dict: SharedDict, max: number, burst: number, defaultConnDelay: number) {
    this.dict = checkDict(dict)
    this.#max = checkNumber(max, 'max', 0, true)
    this.#burst = checkNumber(burst, 'burst', 0, false)
    this.#unitDelay = checkNumber(defaultConnDelay, 'default_conn_delay', 0, true)
  }

  /** The delay unit now (moves with the latencies given to `leaving`). */
  get unitDelay(): number {
    return this.#unitDelay
  }

  incoming(key: string, commit = false): Result<LimitConnState, LimitErr> {
    this.#committed = false
    let conn: number
    if (commit) {
      const r = this.dict.incrWithResult(key, 1, 0)
      if (!r.ok) return fail(r.err)
      conn = r.value
      if (conn > this.#max + this.#burst) {
        const back = this.dict.incrWithResult(key, -1)
        if (!back.ok) return fail(back.err)
        return fail(REJECTED)
      }
      this.#committed = true
    } else {
      const v = this.dict.get(key)
      if (v !== undefined && typeof v !== 'number') return fail('not a number')
      conn = (v ?? 0) + 1
      if (conn > this.#max + this.#burst) return fail(REJECTED)
    }
    if (conn > this.#max) return ok({ delay: this.#unitDelay * Math.floor((conn - 1) / this.#max), conn })
    return ok({ delay: 0, conn })
  }

  /** Whether the last `incoming` of this object recorded the request (call `leaving` only then). */
  isCommitted(): boolean {
    return this.#committed
  }

  /** The request is done: the key's count after it left. */
  leaving(key: string, reqLatency?: number): Result<number, LimitErr> {
    const r = this.dict.incrWithResult(key, -1)
    if (!r.ok) return fail(r.err)
    if (reqLatency !== undefined) this.#unitDelay = (reqLatency + this.#unitDelay) / 2
    return ok(r.value)
  }

  uncommit(key: string): Result<number, LimitErr> {
    const r = this.dict.incrWithResult(key, -1)
    return r.ok ? ok(r.value) : fail(r.err)
  }

  setConn(conn: number): void {
    this.#max = checkNumber(conn, 'conn', 0, true)
  }

  setBurst(burst: number): void {
    this.#burst = checkNumber(burst, 'burst', 0, false)
  }
}
