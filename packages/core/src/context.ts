// The `ngx` object of the phases that run outside a request: init (in the master's loader),
// init_worker and exit_worker (in each worker), and timers. It has what ngx_lua offers there
// (log, ctx, worker, config, the time and encoding functions; in timers also cosockets,
// sleep, light threads and ngx.exit) and refuses the request APIs with ngx_lua's words:
// `no request found` in init, `API disabled in the context of …` or `API disabled in the
// current context` elsewhere.
import { LOG_LEVELS } from './constants.ts'
import type { CosocketConf } from './cosocket.ts'
import { argError, ERROR_CODES, NgxApiError, phaseError } from './errors.ts'
import { callerLocation, formatLogArgs } from './log.ts'
import { handlerError } from './output.ts'
import type { LogContext } from './log.ts'
import type {
  BodyFilterArg, HeaderTable, Ngx, NgxCtx, NgxLocation, NgxReq, NgxResp, OutputResult, VarTable,
} from './ngx.ts'
import { CONTEXT_NAME } from './phase.ts'
import type { Phase } from './phase.ts'
import type { Runtime } from './request.ts'
import { EXIT } from './signals.ts'
import type { NgxSignal } from './signals.ts'
import type { SocketApi } from './socket-api.ts'
import type { SocketPools } from './socket-tcp.ts'
import { assertAlive } from './thread.ts'
import type { ThreadApi, ThreadGroup } from './thread.ts'
import type { TimerApi } from './timer.ts'
import { addNgxFunctions } from './ngx-functions.ts'

export type LifePhase = 'init' | 'init_worker' | 'exit_worker' | 'timer'

/** What a timer's `ngx` inherits from the request (or context) that made the timer. */
export interface NgxContextOptions {
  /** lua_socket_* for its cosockets (default: the http level's). */
  readonly cosocket?: CosocketConf
  /** Its error-log context (default `context: ngx.timer` alone). */
  readonly logCtx?: LogContext
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NgxContext implements Ngx {
  readonly _rt: Runtime
  readonly _phase: LifePhase
  readonly _logCtx: LogContext | undefined
  readonly _cosocketConf: CosocketConf
  _ctx: NgxCtx | undefined = undefined
  // A timer's light threads (thread.ts), cosockets to close, and ngx.exit's code.
  _threads: ThreadGroup | undefined = undefined
  _aborts = 0
  _kills = 0
  _cleanups: (() => void)[] | undefined = undefined
  _exitCode = 0
  /** Set by the timer that runs this handler: a light thread called ngx.exit. */
  _onThreadSignal: ((signal: NgxSignal) => void) | undefined = undefined
  _socketApi: SocketApi | undefined = undefined
  _timerApi: TimerApi | undefined = undefined
  _threadApi: ThreadApi | undefined = undefined

  constructor(rt: Runtime, phase: LifePhase, opts: NgxContextOptions = {}) {
    this._rt = rt
    this._phase = phase
    // ngx_lua's log handler names the context in init_worker and timers, not in exit_worker.
    this._logCtx = phase === 'timer' ? (opts.logCtx ?? { context: CONTEXT_NAME.timer })
      : phase === 'init_worker' ? { context: CONTEXT_NAME.init_worker } : undefined
    this._cosocketConf = opts.cosocket ?? rt.gw.cosocket
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

  // config, worker, process, shared, re, socket, timer, thread, sleep: see ngx-functions.ts.

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

  /** In a timer, ends the timer's handler (and its light threads); refused elsewhere. */
  exit(status?: number): never {
    if (this._phase !== 'timer') {
      throw this._phase === 'init' ? new NgxApiError(ERROR_CODES.PHASE, 'no request found') : this.noRequest('output')
    }
    if (typeof status !== 'number' || !Number.isInteger(status)) throw argError('bad argument #1 to \'exit\' (number expected)')
    if (this._kills !== 0) assertAlive()
    this._exitCode = status
    throw EXIT
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

  // ---- cosockets, timers and light threads (CosocketOwner, TimerOwner, ThreadOwner) ----
  get _pools(): SocketPools {
    return this._rt.pools
  }

  _addCleanup(fn: () => void): void {
    (this._cleanups ??= []).push(fn)
  }

  /** The handler (and its light threads) ended: closes the cosockets it left open. */
  _endHandler(): void {
    const list = this._cleanups
    if (list === undefined) return
    this._cleanups = undefined
    for (const fn of list) fn()
  }

  /** Logs without the `[ts] file:line` prefix. */
  _logRaw(level: number, msg: string): void {
    const log = this._rt.errorLog
    if (log.enabled(level)) log.write(level, msg, this._logCtx)
  }

  _log(level: number, msg: string): void {
    this._logRaw(level, msg)
  }

  _threadSignal(signal: NgxSignal): void {
    this._onThreadSignal?.(signal)
  }

  _threadError(e: unknown): void {
    // An error that carries its log line (the Lua binding's `lua user thread aborted: …`) logs it.
    const own = (e as { logText?: unknown } | null)?.logText
    this._logRaw(LOG_LEVELS.ERR, typeof own === 'string' ? own : `light thread aborted: ${handlerError(e)}`)
  }

  /** Timers made in a timer log like it; those made in init_worker log `context: ngx.timer`. */
  _timerLogContext(): LogContext {
    return this._phase === 'timer' && this._logCtx !== undefined ? this._logCtx : { context: CONTEXT_NAME.timer }
  }

}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface NgxContext extends Omit<Ngx, 'OK' | 'ERROR' | 'AGAIN' | 'DONE' | 'DECLINED'> {}
addNgxFunctions(NgxContext.prototype)

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
