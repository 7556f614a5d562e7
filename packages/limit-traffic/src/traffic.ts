// resty.limit.traffic.combine: several limiters on one request. All but the last are first
// asked in a dry run and the last one commits; if none rejected, the others commit in order,
// and a rejection there gives back what the earlier ones (and the last) committed. The delay
// is the largest of them; states[i] receives each limiter's state (excess, remaining, conn).
import { fail, ok } from '@nresty/core'
import type { Result } from '@nresty/core'
import type { LimitErr } from './errors.ts'

/** What combine needs of a limiter: LimitReq, LimitCount and LimitConn all qualify. */
export interface Limiter<S extends { readonly delay: number } = { readonly delay: number }> {
  incoming(key: string, commit?: boolean): Result<S, LimitErr>
  uncommit?(key: string): unknown
}

/**
 * @example
 * const states: unknown[] = []
 * const r = combine([limReq, limConn], [ip, ip], states)   // { ok: true, value: maxDelay }
 */
export function combine(limiters: readonly Limiter[], keys: readonly string[], states?: unknown[]): Result<number, LimitErr> {
  const n = limiters.length
  let maxDelay = 0
  for (let i = 0; i < n; i++) {
    const last = i === n - 1
    const r = (limiters[i] as Limiter).incoming(keys[i] as string, last)
    if (!r.ok) return fail(r.err)
    if (last) {
      if (states !== undefined) states[i] = r.value
      if (r.value.delay > maxDelay) maxDelay = r.value.delay
    }
  }
  for (let i = 0; i < n - 1; i++) {
    const r = (limiters[i] as Limiter).incoming(keys[i] as string, true)
    if (!r.ok) {
      for (let j = 0; j < i; j++) (limiters[j] as Limiter).uncommit?.(keys[j] as string)
      ;(limiters[n - 1] as Limiter).uncommit?.(keys[n - 1] as string)
      return fail(r.err)
    }
    if (states !== undefined) states[i] = r.value
    if (r.value.delay > maxDelay) maxDelay = r.value.delay
  }
  return ok(maxDelay)
}
