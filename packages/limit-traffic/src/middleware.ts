// Access-phase handlers for the limiters, shaped like the examples of lua-resty-limit-traffic's
// README: reject with 503 (or the configured status) and a Retry-After header, log other errs
// and answer 500, sleep the delay of requests in the burst. limitConn adds the log-phase
// handler that calls leaving() with the request's latency.
import type { Handler, Ngx, SharedDict } from '@nresty/core'
import { LimitConn } from './limit-conn.ts'
import { LimitCount } from './limit-count.ts'
import { LimitReq } from './limit-req.ts'
import { RedisLimitCount, RedisLimitReq } from './redis-store.ts'
import type { RedisStoreOptions } from './redis-store.ts'
import type { LimitErr } from './errors.ts'
import type { Result } from '@nresty/core'

/** The key of a request: a function of it (default: the client address). */
export type LimitKey = (ngx: Ngx) => string | undefined

interface CommonOptions {
  /** Default `ngx.var.remote_addr`. A request without a key is not limited. */
  readonly key?: LimitKey
  /** Status of a rejected request (default 503; 429 is the other usual one). */
  readonly status?: number
}

export interface LimitReqHandlerOptions extends CommonOptions {
  /** The `sharedDicts` name holding the records; or use `redis`. */
  readonly dict?: string
  /** Keep the records in Redis instead (shared by gateways): the store's options. */
  readonly redis?: RedisStoreOptions
  readonly rate: number
  readonly burst: number
  /** false: no sleep for requests in the burst (nginx's `nodelay`). Default true. */
  readonly delay?: boolean
  /** The shared-dict limiter's `atomic` option (default true). */
  readonly atomic?: boolean
}

export interface LimitCountHandlerOptions extends CommonOptions {
  readonly dict?: string
  readonly redis?: RedisStoreOptions
  readonly limit: number
  readonly window: number
}

export interface LimitConnHandlerOptions extends CommonOptions {
  readonly dict: string
  readonly max: number
  readonly burst: number
  readonly defaultConnDelay: number
}

export interface LimitConnHandlers {
  readonly access: Handler
  readonly log: Handler
}

const remoteAddr: LimitKey = (ngx) => ngx.var.remote_addr

type Incoming<S> = (ngx: Ngx, key: string) => Result<S, LimitErr> | Promise<Result<S, LimitErr>>

/** One limiter per dict object (each worker opens its own dicts). */
function perDict<L>(name: string, make: (d: SharedDict) => L): (ngx: Ngx) => L {
  const made = new WeakMap<SharedDict, L>()
  return (ngx) => {
    const d = ngx.shared[name]
    if (d === undefined) throw new TypeError(`shared dict "${name}" not found`)
    let l = made.get(d)
    if (l === undefined) made.set(d, (l = make(d)))
    return l
  }
}

function handler<S extends { readonly delay: number }>(what: string, opts: CommonOptions, incoming: Incoming<S>, retryAfter: (ngx: Ngx, key: string) => number, sleep: boolean, after?: (ngx: Ngx, key: string, s: S) => void): Handler {
  const keyOf = opts.key ?? remoteAddr
  const status = opts.status ?? 503
  return async (ngx: Ngx) => {
    const key = keyOf(ngx)
    if (key === undefined) return
    const r = await incoming(ngx, key)
    if (!r.ok) {
      if (r.err === 'rejected') {
        ngx.header['Retry-After'] = String(Math.max(1, Math.ceil(retryAfter(ngx, key))))
        ngx.exit(status)
      }
      ngx.log(ngx.ERR, `failed to limit ${what}: `, r.err)
      ngx.exit(500)
    }
    after?.(ngx, key, r.value)
    if (sleep && r.value.delay >= 0.001) await ngx.sleep(r.value.delay)
  }
}

/**
 * An access handler limiting the request rate per key (resty.limit.req).
 *
 * @example
 * locations: { '/api': { access: limitReq({ dict: 'req_store', rate: 200, burst: 100 }), content: … } }
 */
export function limitReq(opts: LimitReqHandlerOptions): Handler {
  let incoming: Incoming<{ readonly delay: number; readonly excess: number }>
  if (opts.redis !== undefined) {
    const lim = new RedisLimitReq({ ...opts.redis, rate: opts.rate, burst: opts.burst })
    incoming = (ngx, key) => lim.incoming(key, true, (m) => ngx.log(ngx.WARN, m))
  } else {
    const lim = perDict(requireDict(opts.dict), (d) => new LimitReq(d, opts.rate, opts.burst, opts.atomic === undefined ? undefined : { atomic: opts.atomic }))
    incoming = (ngx, key) => lim(ngx).incoming(key, true)
  }
  return handler('req', opts, incoming, () => 1 / opts.rate, opts.delay ?? true)
}

/** An access handler limiting requests per key and window (resty.limit.count); 429-style Retry-After = window left. */
export function limitCount(opts: LimitCountHandlerOptions): Handler {
  if (opts.redis !== undefined) {
    const lim = new RedisLimitCount({ ...opts.redis, limit: opts.limit, window: opts.window })
    return handler('count', opts, (ngx, key) => lim.incoming(key, true, (m) => ngx.log(ngx.WARN, m)), () => opts.window, false)
  }
  const name = requireDict(opts.dict)
  const lim = perDict(name, (d) => new LimitCount(d, opts.limit, opts.window))
  const left = (ngx: Ngx, key: string): number => {
    const t = lim(ngx).dict.ttl(key)
    return t.ok && t.value > 0 ? t.value : opts.window
  }
  return handler('count', opts, (ngx, key) => lim(ngx).incoming(key, true), left, false)
}

const CONN = Symbol('nresty.limitConn')

/**
 * Handlers limiting concurrent requests per key (resty.limit.conn): `access` counts the request
 * in (and delays the burst), `log` counts it out with its latency.
 *
 * @example
 * const conn = limitConn({ dict: 'conn_store', max: 100, burst: 50, defaultConnDelay: 0.5 })
 * locations: { '/': { access: conn.access, log: conn.log, content: … } }
 */
export function limitConn(opts: LimitConnHandlerOptions): LimitConnHandlers {
  const lim = perDict(opts.dict, (d) => new LimitConn(d, opts.max, opts.burst, opts.defaultConnDelay))
  const access = handler('conn', opts, (ngx, key) => lim(ngx).incoming(key, true), () => opts.defaultConnDelay, true, (ngx, key, s) => {
    if (lim(ngx).isCommitted()) ngx.ctx[CONN as unknown as string] = { key, delay: s.delay }
  })
  const log: Handler = (ngx) => {
    const c = ngx.ctx[CONN as unknown as string] as { key: string; delay: number } | undefined
    if (c === undefined) return
    ngx.ctx[CONN as unknown as string] = undefined
    const latency = Number(ngx.var.request_time) - c.delay
    const r = lim(ngx).leaving(c.key, Number.isFinite(latency) && latency >= 0 ? latency : undefined)
    if (!r.ok) ngx.log(ngx.ERR, 'failed to record the connection leaving: ', r.err)
  }
  return { access, log }
}

function requireDict(dict: string | undefined): string {
  if (typeof dict !== 'string' || dict === '') throw new TypeError('bad "dict" option: a sharedDicts name (or "redis") expected')
  return dict
}
