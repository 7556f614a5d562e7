// The balancer phase: a handler run before each try of a proxied request to an upstream that
// has one (balancer_by_lua*), and lua-resty-core's ngx.balancer API it picks the peer with.
// It runs synchronously inside the proxy's loop: nothing in it may wait.
import { isIP } from 'node:net'
import { LOG_LEVELS, NGX_OK } from './constants.ts'
import { argError } from './errors.ts'
import type { Handler } from './gateway.ts'
import type { BalancerFailure, NgxBalancer } from './ngx.ts'
import { handlerError } from './output.ts'
import type { NgxRequest } from './request.ts'
import { fail, ok } from './result.ts'
import type { Result } from './result.ts'
import { EXIT } from './signals.ts'
import type { UpstreamRun } from './proxy.ts'

const OK_TRUE = Object.freeze(ok(true as const))
const REDUCED = Object.freeze(ok('reduced tries due to limit' as const))

/** What a balancer API call sees of its owner: a request in its balancer phase, or not. */
interface BalancerHost {
  readonly _phase: string
  readonly _upstream?: UpstreamRun | undefined
}

export class BalancerApi implements NgxBalancer {
  readonly #host: BalancerHost

  constructor(host: BalancerHost) {
    this.#host = host
  }

  #run(): UpstreamRun | string {
    const h = this.#host
    // ngx_lua looks for the upstream first: a request that is not proxied says so in any phase.
    if (h._upstream === undefined) return 'no upstream found'
    if (h._phase !== 'balancer') return 'API disabled in the current context'
    return h._upstream
  }

  setCurrentPeer(addr: string, port?: number, host?: string): Result<true, string> {
    if (typeof addr !== 'string') throw argError('bad argument #1 to \'set_current_peer\' (string expected)')
    if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port))) throw argError('bad argument #2 to \'set_current_peer\' (number expected)')
    if (host !== undefined && typeof host !== 'string') throw argError('bad argument #3 to \'set_current_peer\' (string expected)')
    const run = this.#run()
    if (typeof run === 'string') return fail(run)
    let a = addr
    let p = port ?? 0
    if (a.startsWith('unix:')) {
      run.peer = { host: a, port: 0, name: a }
      return OK_TRUE
    }
    if (p === 0) {
      // `addr:port` in one string
      const m = /^\[([^\]]+)\]:(\d+)$|^([^:]+):(\d+)$/.exec(a)
      if (m !== null) {
        a = m[1] ?? m[3]!
        p = Number(m[2] ?? m[4])
      }
    } else if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
    if (isIP(a) === 0) return fail('no host allowed')
    // nginx keeps the port's low 16 bits; port 0 then fails to connect
    p &= 0xffff
    run.peer = { host: a, port: p, name: isIP(a) === 6 ? `[${a}]:${p}` : `${a}:${p}` }
    return OK_TRUE
  }

  setMoreTries(count: number): Result<true | 'reduced tries due to limit', string> {
    if (typeof count !== 'number' || !Number.isInteger(count)) throw argError('bad argument #1 to \'set_more_tries\' (integer expected)')
    const run = this.#run()
    if (typeof run === 'string') return fail(run)
    const used = run.count
    const cap = run.triesCap
    if (cap > 0 && used + run.tries + count > cap) {
      run.tries = Math.max(run.tries, cap - used)
      return REDUCED
    }
    // a negative count takes tries away, as in ngx_lua
    run.tries = Math.max(0, run.tries + count)
    return OK_TRUE
  }

  getLastFailure(): BalancerFailure | undefined {
    const run = this.#run()
    if (typeof run === 'string') return undefined
    return run.lastFailure
  }

  setTimeouts(connect?: number, send?: number, read?: number): Result<true, string> {
    const check = (v: number | undefined, what: string): number | undefined => {
      if (v === undefined || v === null) return undefined
      if (typeof v !== 'number' || !(v > 0)) throw argError(`bad ${what} timeout`)
      return Math.round(v * 1000)
    }
    const c = check(connect, 'connect')
    const s = check(send, 'send')
    const rd = check(read, 'read')
    const run = this.#run()
    if (typeof run === 'string') return fail(run)
    const prev = run.timeouts
    run.timeouts = {
      connectTimeout: c ?? prev?.connectTimeout,
      sendTimeout: s ?? prev?.sendTimeout,
      readTimeout: rd ?? prev?.readTimeout,
    }
    return OK_TRUE
  }

  recreateRequest(): Result<true, string> {
    const run = this.#run()
    if (typeof run === 'string') return fail(run)
    run.recreate = true
    return OK_TRUE
  }
}

/**
 * Runs the balancer handler for one try. 0: go on (with the peer it set, if any); otherwise
 * the status to end the request with.
 */
export function runBalancer(r: NgxRequest, handler: Handler): number {
  const prev = r._phase
  r._phase = 'balancer'
  try {
    const ret = handler(r)
    if (ret !== null && typeof ret === 'object' && typeof (ret as { then?: unknown }).then === 'function') {
      (ret as PromiseLike<unknown>).then(undefined, () => undefined)
      r._logRaw(LOG_LEVELS.ERR, 'balancer handlers must not be async (the try cannot wait for them)')
      return 500
    }
    return 0
  } catch (e) {
    // ngx.exit(ngx.OK) goes on with the peer chosen; any other status ends the request with 500.
    if (e === EXIT) return r._exitCode === NGX_OK ? 0 : 500
    r._logRaw(LOG_LEVELS.ERR, `balancer handler aborted: ${handlerError(e)}`)
    return 500
  } finally {
    r._phase = prev as NgxRequest['_phase']
  }
}
