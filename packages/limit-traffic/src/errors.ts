// Err strings and thrown errors of @nresty/limit-traffic. Results carry lua-resty-limit-traffic's
// exact strings; misuse (a bad rate, a missing dict) throws NgxApiError with code NGX_ERR_ARG.
import { ERROR_CODES, NgxApiError } from '@nresty/core'
import type { ShdictIncrErr, ShdictKeyErr, SharedDict } from '@nresty/core'

/** Over the limit. */
export const REJECTED = 'rejected'
/** limit.req found a value in its dict that is not one of its records. */
export const ABUSED = 'shdict abused by other users'

/** Any limiter's err: `rejected`, `shdict abused by other users`, or a shared-dict err. */
export type LimitErr = typeof REJECTED | typeof ABUSED | ShdictIncrErr | ShdictKeyErr | 'not found' | 'not a number' | (string & {})

export function argError(message: string): NgxApiError {
  return new NgxApiError(ERROR_CODES.ARG, message)
}

export function checkDict(dict: unknown): SharedDict {
  if (dict === null || typeof dict !== 'object' || typeof (dict as { incr?: unknown }).incr !== 'function') {
    throw argError('shared dict not found')
  }
  return dict as SharedDict
}

export function checkNumber(v: unknown, name: string, min: number, strict: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v) || (strict ? !(v > min) : !(v >= min))) {
    throw argError(`bad "${name}" argument: number ${strict ? '>' : '>='} ${min} expected, got ${typeof v === 'number' ? v : typeof v}`)
  }
  return v
}
