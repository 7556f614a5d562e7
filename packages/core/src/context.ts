// The `ngx` object of the phases that run outside a request: init (in the master's loader),
// init_worker and exit_worker (in each worker). It has what ngx_lua offers there (log, ctx,
// worker, config, the time and encoding functions) and refuses the request APIs with
// ngx_lua's words: `no request found` in init, `API disabled in the context of …` or
// `API disabled in the current context` in the worker phases.
import { decodeArgs, encodeArgs } from './args.ts'
import type { Args } from './args.ts'
import { CORE_CONSTANTS, HTTP_METHODS, HTTP_STATUS, LOG_LEVELS } from './constants.ts'
import {
  crc32Long, crc32Short, decodeBase64, encodeBase64, hmacSha1, md5, md5Bin, sha1Bin,
} from './encoding.ts'
import { argError, ERROR_CODES, NgxApiError, phaseError } from './errors.ts'
import { escapeUri, quoteSqlStr, unescapeUri } from './escape.ts'
import { callerLocation, formatLogArgs } from './log.ts'
import type { LogContext } from './log.ts'
import type {
  BodyFilterArg, HeaderTable, Ngx, NgxConfig, NgxCtx, NgxLocation, NgxProcess, NgxReq, NgxResp, NgxWorker,
  OutputResult, VarTable,
} from './ngx.ts'
import { CONTEXT_NAME } from './phase.ts'
import type { Phase } from './phase.ts'
import type { Runtime } from './request.ts'
import { cookieTime, httpTime, localtime, now, parseHttpTime, time, today, updateTime, utctime } from './time.ts'

export type LifePhase = 'init' | 'init_worker' | 'exit_worker'

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NgxContext implements Ngx {
  readonly _rt: Runtime
  readonly _phase: LifePhase
  readonly _logCtx: LogContext | undefined
  _ctx: NgxCtx | undefined = undefined

  constructor(rt: Runtime, phase: LifePhase) {
    this._rt = rt
    this._phase = phase
    // ngx_lua's log handler names the context in init_worker (and timers), not in exit_worker.
    this._logCtx = phase === 'init_worker' ? { context: CONTEXT_NAME.init_worker } : undefined
  }

  declare readonly OK: 0
  declare readonly ERROR: -1
  declare readonly AGAIN: -2
  declare readonly DONE: -4
  declare readonly DECLINED: -5

  get null(): null {
    return null
  }

  /** ngx_lua's answer to a request API here: there is no request in init. */
  private noRequest(kind: 'data' | 'output'): NgxApiError {
    if (this._phase === 'init') return new NgxApiError(ERROR_CODES.PHASE, kind === 'output' ? 'no request object found' : 'no request found')
    return kind === 'output' ? phaseError(CONTEXT_NAME[this._phase]) : new NgxApiError(ERROR_CODES.PHASE, 'API disabled in the current context')
  }

  get var(): VarTable {
    throw this.noRequest('data')
  }

  get ctx(): NgxCtx {
    if (this._phase === 'init') throw this.noRequest('data')
    return (this._ctx ??= {})
  }

  set ctx(v: NgxCtx) {
    if (this._phase === 'init') throw this.noRequest('data')
    if (v === null || typeof v !== 'object') throw argError('ngx.ctx must be an object')
    this._ctx = v
  }

  get header(): HeaderTable {
    throw this.noRequest('data')
  }

  get status(): number {
    throw this.noRequest('data')
  }

  set status(_v: number) {
    throw this.noRequest('data')
  }

  get headersSent(): boolean {
    throw this.noRequest('data')
  }

  get isSubrequest(): boolean {
    throw this.noRequest('data')
  }

  get arg(): BodyFilterArg {
    throw new NgxApiError(ERROR_CODES.PHASE, 'API disabled in the current context')
  }

  get req(): NgxReq {
    throw this.noRequest('data')
  }

  get resp(): NgxResp {
    throw this.noRequest('data')
  }

  get location(): NgxLocation {
    throw this.noRequest('output')
  }

  get config(): NgxConfig {
    return this._rt.config
  }

  get worker(): NgxWorker {
    return this._rt.worker
  }

  get process(): NgxProcess {
    return this._rt.process
  }

  say(): OutputResult {
    throw this.noRequest('output')
  }

  print(): OutputResult {
    throw this.noRequest('output')
  }

  flush(): Promise<OutputResult> {
    throw this.noRequest('output')
  }

  eof(): OutputResult {
    throw this.noRequest('output')
  }

  sendHeaders(): OutputResult {
    throw this.noRequest('output')
  }

  exit(): never {
    throw this._phase === 'init' ? new NgxApiError(ERROR_CODES.PHASE, 'no request found') : this.noRequest('output')
  }

  redirect(): never {
    throw this.noRequest('output')
  }

  exec(): never {
    throw this.noRequest('output')
  }

  onAbort(): OutputResult {
    throw this.noRequest('output')
  }

  log(level: number, ...args: unknown[]): void {
    if (!Number.isInteger(level) || level < 0 || level > 8) throw argError(`bad argument #1 to 'log' (bad log level: ${level})`)
    const log = this._rt.errorLog
    if (!log.enabled(level)) return
    log.write(level, `[ts] ${callerLocation(this.log)}: ${formatLogArgs(args)}`, this._logCtx)
  }

  getPhase(): Phase {
    return this._phase
  }

  declare now: () => number
  declare time: () => number
  declare updateTime: () => void
  declare today: () => string
  declare localtime: () => string
  declare utctime: () => string
  declare httpTime: (sec: number) => string
  declare cookieTime: (sec: number) => string
  declare parseHttpTime: (s: string) => number | undefined
  declare encodeBase64: (s: string | Uint8Array, noPadding?: boolean) => string
  declare decodeBase64: (s: string) => Buffer | undefined
  declare md5: (s: string | Uint8Array) => string
  declare md5Bin: (s: string | Uint8Array) => Buffer
  declare sha1Bin: (s: string | Uint8Array) => Buffer
  declare hmacSha1: (key: string | Uint8Array, s: string | Uint8Array) => Buffer
  declare crc32Short: (s: string | Uint8Array) => number
  declare crc32Long: (s: string | Uint8Array) => number
  declare escapeUri: (s: string | Uint8Array, type?: number) => string
  declare unescapeUri: (s: string) => string
  declare encodeArgs: (args: Readonly<Record<string, unknown>>) => string
  declare decodeArgs: (s: string, max?: number) => Args
  declare quoteSqlStr: (s: string) => string
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface NgxContext extends Omit<Ngx, 'OK' | 'ERROR' | 'AGAIN' | 'DONE' | 'DECLINED'> {}
Object.assign(NgxContext.prototype, CORE_CONSTANTS, HTTP_STATUS, HTTP_METHODS, LOG_LEVELS, {
  now, time, updateTime, today, localtime, utctime, httpTime, cookieTime, parseHttpTime,
  encodeBase64, decodeBase64, md5, md5Bin, sha1Bin, hmacSha1, crc32Short, crc32Long,
  escapeUri, unescapeUri, encodeArgs, quoteSqlStr,
  decodeArgs: (s: string, max?: number): Args => decodeArgs(s, max).args,
})

/**
 * Runs a life-cycle phase's handlers in order. A handler that fails is logged as ngx_lua logs
 * a failing init_worker_by_lua (the others still run); in `init` the failure is returned, since
 * a failing init_by_lua stops nginx from starting.
 */
export async function runLifePhase(rt: Runtime, phase: LifePhase, handlers: readonly ((ngx: Ngx) => unknown)[]): Promise<unknown> {
  if (handlers.length === 0) return undefined
  const ngx = new NgxContext(rt, phase)
  for (const h of handlers) {
    try {
      await h(ngx)
    } catch (e) {
      if (phase === 'init') return e
      const what = e instanceof Error ? (e.stack ?? e.message) : String(e)
      rt.errorLog.write(LOG_LEVELS.ERR, `${phase === 'init_worker' ? 'init_worker_by_lua' : 'exit_worker_by_lua'} error: ${what}`, ngx._logCtx)
    }
  }
  return undefined
}
