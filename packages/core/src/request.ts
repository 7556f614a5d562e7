// One request's state and the `ngx` object its handlers receive (they are the same object:
// one allocation per request). Area files hold the logic: runner.ts (phases), output.ts
// (response), var.ts (variables), req-api.ts (ngx.req), subrequest.ts (ngx.location).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { encodeArgs } from './args.ts'
import type { CompiledGateway, LocConf, ServerConf } from './conf.ts'
import type { CosocketConf } from './cosocket.ts'
import { LOG_LEVELS, NGINX_VERSION_NUMBER, NGX_LUA_VERSION_NUMBER, NRESTY_VERSION } from './constants.ts'
import { argError, ERROR_CODES, NgxApiError, stateError } from './errors.ts'
import { callerLocation, formatLogArgs } from './log.ts'
import type { ErrorLog, LogContext } from './log.ts'
import type {
  BodyFilterArg, HeaderTable, Ngx, NgxConfig, NgxCtx, NgxLocation, NgxProcess, NgxReq, NgxResp, NgxWorker,
  OutputResult, VarTable,
} from './ngx.ts'
import * as output from './output.ts'
import { CTX_CTX, CTX_EXIT, CTX_HEADER, CTX_RAC, CTX_VAR, PHASE_BIT, assertPhase } from './phase.ts'
import type { Phase } from './phase.ts'
import { ReqApi } from './req-api.ts'
import { SharedDict } from './shdict.ts'
import type { ShdictZone } from './shdict.ts'
import { finish, threadSignal } from './runner.ts'
import { RequestHeaders } from './req-headers.ts'
import { ResponseHeaders } from './resp-headers.ts'
import { headerProxy, RespApi } from './resp-api.ts'
import { EXEC, EXIT } from './signals.ts'
import type { NgxSignal } from './signals.ts'
import type { SocketApi } from './socket-api.ts'
import { createSocketPools } from './socket-tcp.ts'
import type { SocketPools } from './socket-tcp.ts'
import { assertAlive, ThreadGroup } from './thread.ts'
import type { ThreadApi } from './thread.ts'
import type { UpstreamRun } from './proxy.ts'
import { Timers } from './timer.ts'
import type { TimerApi } from './timer.ts'
import { LocationApi } from './subrequest.ts'
import type { CaptureSink } from './subrequest.ts'
import { nowMs } from './time.ts'
import { addNgxFunctions } from './ngx-functions.ts'
import { lookupVar, varProxy } from './var.ts'
import { parseExecTarget } from './uri.ts'

/** What a running server shares with its requests. */
export interface Runtime {
  readonly gw: CompiledGateway
  readonly errorLog: ErrorLog
  /** ngx.config, ngx.worker and ngx.process, made once per server. */
  readonly config: NgxConfig
  readonly worker: NgxWorker
  readonly process: NgxProcess
  /** ngx.shared: one SharedDict per declared zone, opened in this thread. */
  readonly shared: Readonly<Record<string, SharedDict>>
  /** The worker's cosocket connection pools (closed when the worker exits). */
  readonly pools: SocketPools
  /** The worker's timers (ngx.timer). */
  readonly timers: Timers
  exiting: boolean
}

/** Who runs a Runtime: a worker of a master, the single process, or the master's loader. */
export interface RuntimeIdentity {
  readonly type: 'master' | 'worker' | 'single'
  /** Worker slot (0 … count-1). */
  readonly id: number
  readonly count: number
  /** What ngx.worker.pid() answers and error log lines carry. */
  readonly pid: number
  readonly masterPid: number | undefined
}

/** The Runtime of a server; `zones` are the shared dicts' buffers (made by the master or startServer). */
export function createRuntime(gw: CompiledGateway, errorLog: ErrorLog, who: RuntimeIdentity, zones: ReadonlyMap<string, ShdictZone> = new Map()): Runtime {
  const prefix = gw.prefix.endsWith('/') ? gw.prefix : `${gw.prefix}/`
  // A null-prototype object: ngx.shared.constructor is not a dict.
  const shared = Object.create(null) as Record<string, SharedDict>
  for (const [name, zone] of zones) shared[name] = new SharedDict(name, zone)
  let timers: Timers | undefined
  const rt: Runtime = {
    gw,
    errorLog,
    shared: Object.freeze(shared),
    pools: createSocketPools(),
    get timers(): Timers {
      return (timers ??= new Timers(rt, gw.timerLimits))
    },
    exiting: false,
    config: {
      subsystem: 'http',
      debug: false,
      nginxVersion: NGINX_VERSION_NUMBER,
      ngxLuaVersion: NGX_LUA_VERSION_NUMBER,
      nrestyVersion: NRESTY_VERSION,
      prefix: () => prefix,
      nginxConfigure: () => '',
    },
    worker: { id: () => who.id, count: () => who.count, pid: () => who.pid, exiting: () => rt.exiting },
    process: { type: () => who.type, masterPid: () => who.masterPid },
  }
  return rt
}

/**
 * nginx's connection number ($connection, `*N` in the error log) and request count per
 * connection, kept beside node's sockets rather than on them: adding properties to sockets
 * gives them transient maps, and when a GC collects those maps all optimized request code
 * deopts at once (measured: a lasting ~15% loss in long benchmark runs).
 */
interface ConnectionInfo {
  readonly id: number
  requests: number
}
let connectionSeq = 0
const connections = new WeakMap<object, ConnectionInfo>()

/** Numbers a new connection (the server calls it on 'connection'). */
export function trackConnection(socket: object): void {
  connections.set(socket, { id: ++connectionSeq, requests: 0 })
}

// The interface below merges the constants' and global functions' types into the class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NgxRequest implements Ngx {
  readonly _rt: Runtime
  readonly _in: IncomingMessage
  readonly _res: ServerResponse | undefined
  readonly _main: NgxRequest
  readonly _parent: NgxRequest | undefined
  _srv: ServerConf
  _loc: LocConf
  _phase: Phase = 'server_rewrite'
  _step = 0
  _hIdx = 0
  _method: string
  _uri = ''
  _args = ''
  _requestUri: string
  _captures: readonly string[] | undefined = undefined
  _groups: Readonly<Record<string, string>> | undefined = undefined
  _reqHeaders: RequestHeaders | undefined = undefined
  _internal = false
  _redirects = 0
  _ctx: NgxCtx | undefined = undefined
  _vars: Map<string, string> | undefined = undefined
  _varTable: VarTable | undefined = undefined
  _headerTable: HeaderTable | undefined = undefined
  _reqApi: ReqApi | undefined = undefined
  _respApi: RespApi | undefined = undefined
  _locApi: LocationApi | undefined = undefined
  _arg: BodyFilterArg | undefined = undefined
  _status = 0
  _errStatus = 0
  _respHeaders: ResponseHeaders | undefined = undefined
  _headersSent = false
  _out: (string | Uint8Array)[] = []
  _outBytes = 0
  _committed = false
  _eof = false
  _finalized = false
  _bodySent = 0
  _exitCode = 0
  _execUri = ''
  _execArgs: string | undefined = undefined
  _execNamed = false
  _body: Buffer | undefined = undefined
  _bodyRead = false
  _bodyDiscarded = false
  _bodyChunks = 0
  _startMs: number
  _capture: CaptureSink | undefined = undefined
  _onAbort: (() => unknown) | undefined = undefined
  /** The client's close is watched (once per request, whichever handler asked first). */
  _abortWatch = false
  _aborted = false
  _errorPageDone = false
  _logged = false
  _replaceBody: string | undefined = undefined
  _sendTimedOut = false
  /** send_timeout is armed, waiting for 'drain' or 'finish': this disarms it. */
  _sendWait: (() => void) | undefined = undefined
  /** Close the connection after this response (nginx's keepalive = 0). */
  _close = false
  /** The host of an absolute-form request target, which nginx prefers to the Host header. */
  _targetHost: string | undefined = undefined
  /** The client sent `Expect: 100-continue`; the 100 goes out when the body is read. */
  _expectContinue = false
  /** The body is nginx's own (a page or return text): its length is known even for HEAD. */
  _fixedBody = false
  /** A backend's reason phrase, kept while the status is still the backend's (nginx's status_line). */
  _reason: string | undefined = undefined
  _reasonStatus = 0
  /** Content-Length as received (-1 if none), read in the server's one pass over the headers. */
  _rawContentLength = -1
  /** The light threads of the handler running now (thread.ts). */
  _threads: ThreadGroup | undefined = undefined
  _aborts = 0
  _kills = 0
  /** What to close when the handler ends: the cosockets it left open. */
  _cleanups: (() => void)[] | undefined = undefined
  _socketApi: SocketApi | undefined = undefined
  /** A proxied request's tries ($upstream_*, the balancer phase). */
  _upstream: UpstreamRun | undefined = undefined
  /** The client's request target still names this request (nginx's valid_unparsed_uri). */
  _unparsedValid = true
  /** proxy_pass may replace the location's prefix (nginx's valid_location; off after `rewrite … break`). */
  _validLocation = true
  _timerApi: TimerApi | undefined = undefined
  _threadApi: ThreadApi | undefined = undefined

  constructor(rt: Runtime, srv: ServerConf, inc: IncomingMessage, res: ServerResponse | undefined, parent?: NgxRequest) {
    this._rt = rt
    this._in = inc
    this._res = res
    this._parent = parent
    this._main = parent === undefined ? this : parent._main
    this._srv = srv
    this._loc = srv.base
    this._method = inc.method ?? 'GET'
    this._requestUri = inc.url ?? '/'
    this._startMs = nowMs()
  }

  // ---- ngx_lua constants (on the prototype, see below) ----
  declare readonly OK: 0
  declare readonly ERROR: -1
  declare readonly AGAIN: -2
  declare readonly DONE: -4
  declare readonly DECLINED: -5

  get null(): null {
    return null
  }

  // ---- request data ----
  get var(): VarTable {
    if (!this._checkPhase(CTX_VAR)) assertPhase(this._phase, CTX_VAR)
    return (this._varTable ??= varProxy(this))
  }

  get ctx(): NgxCtx {
    if ((PHASE_BIT[this._phase] & CTX_CTX) === 0) assertPhase(this._phase, CTX_CTX)
    return (this._ctx ??= {})
  }

  set ctx(v: NgxCtx) {
    if ((PHASE_BIT[this._phase] & CTX_CTX) === 0) assertPhase(this._phase, CTX_CTX)
    if (v === null || typeof v !== 'object') throw argError('ngx.ctx must be an object')
    this._ctx = v
  }

  get header(): HeaderTable {
    if (!this._checkPhase(CTX_HEADER)) assertPhase(this._phase, CTX_HEADER)
    return (this._headerTable ??= headerProxy(this))
  }

  get status(): number {
    return this._status
  }

  set status(v: number) {
    if (!Number.isInteger(v) || v < 100 || v > 999) throw argError(`invalid HTTP status code ${v}`)
    if (this._headersSent && this._phase !== 'header_filter') {
      this._logRaw(LOG_LEVELS.ERR, 'attempt to set ngx.status after sending out response headers')
      return
    }
    this._status = v
  }

  get headersSent(): boolean {
    return this._headersSent
  }

  get isSubrequest(): boolean {
    return this._parent !== undefined
  }

  /** set_by_lua's arguments while its handler runs (`ngx.arg[1..n]`, read-only). */
  _setArg: Readonly<Record<number, string>> | undefined = undefined

  /** In a body filter `[1]` the chunk and `[2]` eof; in set_by_lua its arguments `[1..n]`. */
  get arg(): BodyFilterArg {
    if (this._phase === 'set' && this._setArg !== undefined) return this._setArg as unknown as BodyFilterArg
    if (this._phase !== 'body_filter' || this._arg === undefined) throw new NgxApiError(ERROR_CODES.PHASE, 'API disabled in the current context')
    return this._arg
  }

  get req(): NgxReq {
    return (this._reqApi ??= new ReqApi(this))
  }

  get resp(): NgxResp {
    return (this._respApi ??= new RespApi(this))
  }

  get location(): NgxLocation {
    return (this._locApi ??= new LocationApi(this))
  }

  // config, worker, process, shared, re, socket, timer, thread, sleep: see ngx-functions.ts.

  // ---- output ----
  // A light thread killed (by ngx.thread.kill or ngx.exit) is stopped at its next output call.
  say(...args: unknown[]): OutputResult {
    if (this._kills !== 0) assertAlive()
    return output.write(this, args, true, 'say')
  }

  print(...args: unknown[]): OutputResult {
    if (this._kills !== 0) assertAlive()
    return output.write(this, args, false, 'print')
  }

  flush(wait = false): Promise<OutputResult> {
    if (this._kills !== 0) assertAlive()
    return output.flush(this, wait)
  }

  eof(): OutputResult {
    if (this._kills !== 0) assertAlive()
    return output.eof(this)
  }

  sendHeaders(): OutputResult {
    return output.sendHeaders(this)
  }

  exit(status: number): never {
    if (!this._checkPhase(CTX_EXIT)) assertPhase(this._phase, CTX_EXIT)
    if (this._kills !== 0) assertAlive()
    if (typeof status !== 'number' || !Number.isInteger(status)) throw argError('bad argument #1 to \'exit\' (number expected)')
    this._exitCode = status
    throw EXIT
  }

  redirect(uri: string, status = 302): never {
    if (!this._checkPhase(CTX_RAC)) assertPhase(this._phase, CTX_RAC)
    return output.redirect(this, uri, status)
  }

  exec(uri: string, args?: string | Readonly<Record<string, unknown>>): never {
    if (!this._checkPhase(CTX_RAC)) assertPhase(this._phase, CTX_RAC)
    if (typeof uri !== 'string' || uri === '') throw argError('The uri argument is empty')
    if (this._headersSent) throw stateError('attempt to call ngx.exec after sending out response headers')
    let a = typeof args === 'string' ? args : args === undefined ? undefined : encodeArgs(args)
    const named = uri.charCodeAt(0) === 64 /* @ */
    let u = uri
    if (!named) {
      // ngx.exec percent-decodes its target and refuses `..` and NUL, without normalizing.
      const t = parseExecTarget(uri)
      if (t === undefined) throw argError('unsafe uri')
      u = t.uri
      if (t.args !== undefined) a = a === undefined || a === '' ? t.args : `${t.args}&${a}`
    }
    if (named && a !== undefined && a !== '') {
      this._logRaw(LOG_LEVELS.WARN, `query strings ${a} ignored when exec'ing named location ${u}`)
      a = undefined
    }
    this._execUri = u
    this._execArgs = a
    this._execNamed = named
    throw EXEC
  }

  onAbort(fn: () => unknown): OutputResult {
    if (!this._checkPhase(CTX_RAC)) assertPhase(this._phase, CTX_RAC)
    if (typeof fn !== 'function') throw argError('bad argument #1 to \'on_abort\' (function expected)')
    // One callback per handler (ngx_lua's): the runner forgets it when the next handler starts.
    if (this._onAbort !== undefined) return output.fail('duplicate call')
    this._onAbort = fn
    // The callback may end the request: the entry handler's waits (ngx.sleep, …) must then be
    // cancellable, as those of a handler with light threads are.
    this._threads ??= new ThreadGroup(this)
    if (this._abortWatch) return output.OK
    this._abortWatch = true
    const res = this._main._res
    res?.once('close', () => {
      if (res.writableFinished || this._main._finalized) return
      this._aborted = true
      const cb = this._onAbort
      if (cb === undefined) return
      // ngx.exit(status) in the callback (ngx_lua's idiom: ngx.exit(499)) ends the request,
      // and with it the handler that registered the callback.
      const failed = (e: unknown): void => {
        if (e === EXIT) finish(this._main, this._exitCode)
        else this._logRaw(LOG_LEVELS.ERR, `on_abort callback failed: ${output.handlerError(e)}`)
      }
      try {
        const ret = cb()
        if (ret instanceof Promise) ret.catch(failed)
      } catch (e) {
        failed(e)
      }
    })
    return output.OK
  }

  log(level: number, ...args: unknown[]): void {
    if (!Number.isInteger(level) || level < 0 || level > 8) throw argError(`bad argument #1 to 'log' (bad log level: ${level})`)
    const log = this._rt.errorLog
    if (!log.enabled(level)) return
    const msg = `[ts] ${callerLocation(this.log)}: ${formatLogArgs(args)}`
    log.write(level, msg, this._logContext())
  }

  getPhase(): Phase {
    return this._phase
  }

  // ---- internal ----
  /** True when the current phase is in `mask`. */
  _checkPhase(mask: number): boolean {
    return (PHASE_BIT[this._phase] & mask) !== 0
  }

  /** Throws ngx_lua's "API disabled in the context of …" unless the phase is in `mask`. */
  _checkPhaseOrThrow(mask: number): void {
    if ((PHASE_BIT[this._phase] & mask) === 0) assertPhase(this._phase, mask)
  }

  _lookupVar(name: string): string | undefined {
    return lookupVar(this, name)
  }

  /** The incoming headers (lazily indexed; ngx.req.set_header changes them). */
  _reqH(): RequestHeaders {
    return (this._reqHeaders ??= new RequestHeaders(this._in.rawHeaders))
  }

  /** The request's Content-Length, or -1 (as changed by ngx.req.setHeader, if it was). */
  _contentLength(): number {
    if (this._reqHeaders === undefined || !this._reqHeaders.changed) return this._rawContentLength
    const v = this._reqHeaders.get('content-length')
    return v === undefined ? -1 : Number(v)
  }

  _headers(): ResponseHeaders {
    return (this._respHeaders ??= new ResponseHeaders())
  }

  _connId(): number {
    const s = this._in.socket
    return s === null ? 0 : (connections.get(s)?.id ?? 0)
  }

  _connRequests(): number {
    const s = this._in.socket
    return s === null ? 1 : (connections.get(s)?.requests ?? 1)
  }

  static _countRequest(inc: IncomingMessage): void {
    const s = inc.socket
    const c = s === null ? undefined : connections.get(s)
    if (c !== undefined) c.requests++
  }

  _requestLine(): string {
    const main = this._main
    return `${main._in.method ?? 'GET'} ${main._in.url ?? '/'} HTTP/${main._in.httpVersion}`
  }

  _logContext(): LogContext {
    const host = this._reqH().get('host')
    const ctx: { -readonly [K in keyof LogContext]: LogContext[K] } = {
      connection: this._connId(),
      client: this._in.socket?.remoteAddress ?? '',
      server: this._srv.primaryName,
      request: this._requestLine(),
    }
    if (this._phase === 'log') ctx.action = 'logging request'
    else if (this._phase === 'balancer') ctx.action = 'connecting to upstream'
    if (this._parent !== undefined) ctx.subrequest = this._uri
    if (host !== undefined) ctx.host = host
    const referrer = this._reqH().get('referer')
    if (referrer !== undefined) ctx.referrer = referrer
    return ctx
  }

  /** Logs without the `[ts] file:line` prefix (nginx's own messages). */
  _logRaw(level: number, msg: string): void {
    const log = this._rt.errorLog
    if (log.enabled(level)) log.write(level, msg, this._logContext())
  }

  // ---- cosockets, timers and light threads (CosocketOwner, TimerOwner, ThreadOwner) ----
  get _cosocketConf(): CosocketConf {
    return this._loc.cosocket
  }

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

  _log(level: number, msg: string): void {
    this._logRaw(level, msg)
  }

  _threadSignal(signal: NgxSignal): void {
    threadSignal(this, signal)
  }

  _threadError(e: unknown): void {
    // An error that carries its log line (the Lua binding's `lua user thread aborted: …`) logs it.
    const own = (e as { logText?: unknown } | null)?.logText
    this._logRaw(LOG_LEVELS.ERR, typeof own === 'string' ? own : `light thread aborted: ${output.handlerError(e)}`)
  }

  /** A timer made here logs `context: ngx.timer` with this request's client and server address. */
  _timerLogContext(): LogContext {
    const s = this._in.socket
    return { context: 'ngx.timer', client: s?.remoteAddress ?? '', server: s === null ? '' : `${s.localAddress ?? ''}:${s.localPort ?? ''}` }
  }

  // ---- global ngx functions (also exported on their own) ----
}

// Constants and request-independent functions live once on the prototype.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface NgxRequest extends Omit<Ngx, 'OK' | 'ERROR' | 'AGAIN' | 'DONE' | 'DECLINED'> {}
addNgxFunctions(NgxRequest.prototype)
