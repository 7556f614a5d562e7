// resty.limit.count: a fixed window counter on a shared dict. The key holds the requests left
// in the window; the first committed request creates it (limit − 1) with the window as its
// time to live (`incr(key, -1, limit, window)`), so the window starts at the first hit.
// Rejected requests still count down when committed, as upstream's.
import { fail, ok } from '@nresty/core'
import type { Result, SharedDict } from '@nresty/core'
import { checkDict, checkNumber, REJECTED } from './errors.ts'
import type { LimitErr } from './errors.ts'

export interface LimitCountState {
  /** Always 0: a fixed window does not delay. */
  readonly delay: number
  /** Requests left in this window. */
  readonly remaining: number
}

/**
 * resty.limit.count: `new LimitCount(dict, limit, window)` (window in seconds).
 *
 * @example
 * const lim = new LimitCount(ngx.shared.my_limit_count_store, 5000, 3600)
 * const r = lim.incoming(ngx.var.remote_addr, true)  // { ok: true, value: { delay: 0, remaining: 4999 } }
 */
export class LimitCount {
  readonly dict: SharedDict
  readonly limit: number
  readonly window: number

  constructor(dict: SharedDict, limit: number, window: number) {
    this.dict = checkDict(dict)
    this.limit = checkNumber(limit, 'limit', 0, true)
    this.window = checkNumber(window, 'window', 0, true)
  }

  incoming(key: string, commit = false): Result<LimitCountState, LimitErr> {
    let remaining: number
    if (commit) {
      const r = this.dict.incrWithResult(key, -1, this.limit, this.window)
      if (!r.ok) return fail(r.err)
      remaining = r.value
    } else {
      const v = this.dict.get(key)
      if (v !== undefined && typeof v !== 'number') return fail('not a number')
      remaining = (v ?? this.limit) - 1
    }
    if (remaining < 0) return fail(REJECTED)
    return ok({ delay: 0, remaining })
  }

  /** Gives one request back: the new remaining count (the limit when the window is gone). */
  uncommit(key: string): Result<number, LimitErr> {
    const r = this.dict.incrWithResult(key, 1)
    if (r.ok) return ok(r.value)
    if (r.err === 'not found') return ok(this.limit)
    return fail(r.err)
  }
}
