// Redis-backed limit.req and limit.count: the same arithmetic as the shared-dict limiters, run
// as one server-side Lua script per call (ioredis defineCommand: EVALSHA, EVAL on NOSCRIPT),
// so every gateway using one Redis enforces one limit. The clock is Redis's (TIME), not each
// gateway's, so gateways with skewed clocks agree. When Redis cannot answer, the limiter fails
// open (admits, delay 0) or closed (rejects) as configured, and logs why.
import { Redis } from 'ioredis'
import type { RedisOptions } from 'ioredis'
import { fail, ok } from '@nresty/core'
import type { Result } from '@nresty/core'
import { checkNumber, REJECTED } from './errors.ts'
import type { LimitErr } from './errors.ts'
import type { LimitCountState } from './limit-count.ts'
import type { LimitReqState } from './limit-req.ts'

// KEYS[1] = the record (a hash: excess ×1000 truncated, last ms); ARGV = rate ×1000, burst ×1000,
// commit (1/0). Returns { admitted (1/0), excess as a string (Lua numbers become integers) }.
const REQ_INCOMING = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local excess = 0
local rec = redis.call('HMGET', KEYS[1], 'excess', 'last')
if rec[1] then
  excess = math.max(tonumber(rec[1]) - rate * math.abs(now - tonumber(rec[2])) / 1000 + 1000, 0)
  if excess > burst then return { 0, '' } end
end
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], 'excess', string.format('%d', math.floor(excess)), 'last', string.format('%d', now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((excess + 1000) * 1000 / rate) + 1000)
end
return { 1, string.format('%.17g', excess) }
`
const REQ_UNCOMMIT = `
local e = redis.call('HGET', KEYS[1], 'excess')
if not e then return 0 end
redis.call('HSET', KEYS[1], 'excess', string.format('%d', math.max(tonumber(e) - 1000, 0)))
return 1
`
// KEYS[1] = the counter; ARGV = limit, window ms, commit. Returns the remaining count.
const COUNT_INCOMING = `
if ARGV[3] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
  local remaining = tonumber(ARGV[1]) - 1
  redis.call('SET', KEYS[1], remaining, 'PX', ARGV[2])
  return remaining
end
return (tonumber(redis.call('GET', KEYS[1])) or tonumber(ARGV[1])) - 1
`
const COUNT_UNCOMMIT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
return tonumber(ARGV[1])
`

interface LimitCommands {
  nrestyLimitReq(key: string, rate: number, burst: number, commit: string): Promise<[number, string]>
  nrestyLimitReqUncommit(key: string): Promise<number>
  nrestyLimitCount(key: string, limit: number, windowMs: number, commit: string): Promise<number>
  nrestyLimitCountUncommit(key: string, limit: number): Promise<number>
}

export interface RedisStoreOptions {
  /** An ioredis client to use (not closed by `close()`), or options for one made here. */
  readonly redis?: Redis | RedisOptions
  /** Prefix of every key this limiter writes (default `limit:`). */
  readonly prefix?: string
  /** When Redis cannot answer: `'open'` admits (default), `'closed'` rejects. Both log. */
  readonly onRedisError?: 'open' | 'closed'
  /** Where failures are logged (default: stderr). The middleware passes `ngx.log`. */
  readonly log?: (message: string) => void
}

/** Options for a client made here: fail fast when Redis is not there, instead of queueing. */
const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, lazyConnect: false }

const stderrLog = (m: string): void => {
  process.stderr.write(`${m}\n`)
}

/** The client, the key prefix and the failure policy shared by the Redis limiters. */
class RedisStore {
  readonly client: Redis & LimitCommands
  readonly prefix: string
  readonly failOpen: boolean
  readonly #own: boolean
  readonly #log: (message: string) => void

  constructor(opts: RedisStoreOptions) {
    const given = opts.redis
    this.#own = !(given instanceof Redis)
    // (the options type of the constructor rejects an optional property under exactOptionalPropertyTypes)
    const client = given instanceof Redis ? given : new Redis({ ...FAIL_FAST, ...given } as never)
    if (this.#own) client.on('error', () => {}) // reported per call, where it matters
    if (typeof (client as Partial<LimitCommands>).nrestyLimitReq !== 'function') {
      client.defineCommand('nrestyLimitReq', { numberOfKeys: 1, lua: REQ_INCOMING })
      client.defineCommand('nrestyLimitReqUncommit', { numberOfKeys: 1, lua: REQ_UNCOMMIT })
      client.defineCommand('nrestyLimitCount', { numberOfKeys: 1, lua: COUNT_INCOMING })
      client.defineCommand('nrestyLimitCountUncommit', { numberOfKeys: 1, lua: COUNT_UNCOMMIT })
    }
    this.client = client as Redis & LimitCommands
    this.prefix = opts.prefix ?? 'limit:'
    this.failOpen = (opts.onRedisError ?? 'open') === 'open'
    this.#log = opts.log ?? stderrLog
  }

  /**
   * The client, once its first connection is made (up to a second): without an offline queue a
   * command sent while connecting would fail. A client that lost Redis fails at once.
   */
  async ready(): Promise<Redis & LimitCommands> {
    const c = this.client
    if (c.status === 'connecting' || c.status === 'connect' || c.status === 'wait') {
      if (c.status === 'wait') c.connect().catch(() => {})
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          c.off('ready', done)
          c.off('error', done)
          resolve()
        }
        const timer = setTimeout(done, 1000)
        c.once('ready', done)
        c.once('error', done)
      })
    }
    return c
  }

  /** Logs a Redis failure and answers as configured. */
  failed<S>(what: string, e: unknown, open: S, log?: (message: string) => void): Result<S, LimitErr> {
    const msg = e instanceof Error ? e.message : String(e)
    ;(log ?? this.#log)(`${what}: redis failed (${msg}), failing ${this.failOpen ? 'open' : 'closed'}`)
    return this.failOpen ? ok(open) : fail(REJECTED)
  }

  async close(): Promise<void> {
    if (this.#own) this.client.disconnect()
  }
}

export interface RedisLimitReqOptions extends RedisStoreOptions {
  readonly rate: number
  readonly burst: number
}

/**
 * limit.req with its records in Redis, shared by every gateway on that Redis.
 *
 * @example
 * const lim = new RedisLimitReq({ redis: { host: '127.0.0.1', port: 6379 }, rate: 100, burst: 50 })
 * const r = await lim.incoming('client:1.2.3.4', true)
 */
export class RedisLimitReq {
  readonly #store: RedisStore
  #rate: number
  #burst: number

  constructor(opts: RedisLimitReqOptions) {
    this.#rate = checkNumber(opts.rate, 'rate', 0, true) * 1000
    this.#burst = checkNumber(opts.burst, 'burst', 0, false) * 1000
    this.#store = new RedisStore(opts)
  }

  async incoming(key: string, commit = false, log?: (message: string) => void): Promise<Result<LimitReqState, LimitErr>> {
    let reply: [number, string]
    try {
      reply = await (await this.#store.ready()).nrestyLimitReq(this.#store.prefix + key, this.#rate, this.#burst, commit ? '1' : '0')
    } catch (e) {
      return this.#store.failed('limit req', e, { delay: 0, excess: 0 }, log)
    }
    if (reply[0] !== 1) return fail(REJECTED)
    const excess = Number(reply[1])
    return ok({ delay: excess / this.#rate, excess: excess / 1000 })
  }

  async uncommit(key: string): Promise<Result<true, LimitErr>> {
    try {
      const found = await (await this.#store.ready()).nrestyLimitReqUncommit(this.#store.prefix + key)
      return found === 1 ? ok(true) : fail('not found')
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e))
    }
  }

  get rate(): number {
    return this.#rate / 1000
  }

  setRate(rate: number): void {
    this.#rate = checkNumber(rate, 'rate', 0, true) * 1000
  }

  setBurst(burst: number): void {
    this.#burst = checkNumber(burst, 'burst', 0, false) * 1000
  }

  /** Disconnects a client this limiter made (a given one is left to its owner). */
  close(): Promise<void> {
    return this.#store.close()
  }
}

export interface RedisLimitCountOptions extends RedisStoreOptions {
  readonly limit: number
  /** Seconds; the window starts at the first request of a key. */
  readonly window: number
}

/**
 * limit.count with its counters in Redis.
 *
 * @example
 * const lim = new RedisLimitCount({ limit: 5000, window: 3600 })
 * const r = await lim.incoming('client:1.2.3.4', true)   // { ok: true, value: { delay: 0, remaining: 4999 } }
 */
export class RedisLimitCount {
  readonly #store: RedisStore
  readonly limit: number
  readonly window: number

  constructor(opts: RedisLimitCountOptions) {
    this.limit = checkNumber(opts.limit, 'limit', 0, true)
    this.window = checkNumber(opts.window, 'window', 0, true)
    this.#store = new RedisStore(opts)
  }

  async incoming(key: string, commit = false, log?: (message: string) => void): Promise<Result<LimitCountState, LimitErr>> {
    let remaining: number
    try {
      remaining = await (await this.#store.ready()).nrestyLimitCount(this.#store.prefix + key, this.limit, Math.max(1, Math.round(this.window * 1000)), commit ? '1' : '0')
    } catch (e) {
      return this.#store.failed('limit count', e, { delay: 0, remaining: this.limit }, log)
    }
    if (remaining < 0) return fail(REJECTED)
    return ok({ delay: 0, remaining })
  }

  async uncommit(key: string): Promise<Result<number, LimitErr>> {
    try {
      return ok(await (await this.#store.ready()).nrestyLimitCountUncommit(this.#store.prefix + key, this.limit))
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e))
    }
  }

  close(): Promise<void> {
    return this.#store.close()
  }
}
