// The `ngx` object a handler receives: the TypeScript face of ngx_lua's API. Method names are
// camelCase (`ngx.req.getHeaders`); the Lua bridge maps them to ngx_lua's names. Expected
// outcomes are results with ngx_lua's `err` strings; misuse throws (NgxApiError).
import type { SharedDict } from './shdict.ts'
import type { NgxRe } from './re.ts'
import type { CORE_CONSTANTS, HTTP_METHODS, HTTP_STATUS, LOG_LEVELS } from './constants.ts'
import type { Args } from './args.ts'
import type { Phase } from './phase.ts'
import type { HeadersResult } from './resp-headers.ts'

export type { HeadersResult }
import type { Result } from './result.ts'
import type { SocketDataOptions } from './cosocket.ts'
import type { ReqSocketErr, RequestSocket } from './req-socket.ts'
import type { NgxSocket } from './socket-api.ts'
import type { NgxThread } from './thread.ts'
import type { NgxTimer } from './timer.ts'

export type { NgxSocket, NgxThread, NgxTimer }

/** Per-request data shared by the phases of one request (`ngx.ctx`). Augment it to type your fields. */
export interface NgxCtx {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any
}

/** `ngx.var`: nginx variables by name; `ngx.var[1]` … are regex captures. Unset → undefined. */
export type VarTable = Record<string | number, string | undefined>

/** `ngx.header`: response headers, case-insensitive, `_` read as `-`. Arrays are multi-valued. */
export type HeaderTable = Record<string, string | number | readonly (string | number)[] | string[] | null | undefined>

/** `ngx.arg` in a body filter: `[1]` the chunk (assign `''` to drop it), `[2]` the eof flag. */
export interface BodyFilterArg {
  1: string | Uint8Array
  2: boolean
}


export interface ArgsResult {
  readonly args: Args
  readonly truncated: boolean
}

export interface NgxReq {
  getMethod(): string
  /** Takes an `ngx.HTTP_*` method id. */
  setMethod(id: number): void
  getHeaders(max?: number, raw?: boolean): HeadersResult
  setHeader(name: string, value: string | number | readonly (string | number)[] | null | undefined): void
  clearHeader(name: string): void
  addHeader(name: string, value: string | number | readonly (string | number)[]): void
  getUriArgs(max?: number): ArgsResult
  setUriArgs(args: string | Readonly<Record<string, unknown>>): void
  /** Needs the body read (`await ngx.req.readBody()`). */
  getPostArgs(max?: number): ArgsResult
  /** Reads the whole request body (bounded by client_max_body_size; over it the request ends with 413). */
  readBody(): Promise<void>
  discardBody(): void
  /** The body read so far as text, or undefined when not read or empty. */
  getBodyData(maxBytes?: number): string | undefined
  /** The body as bytes, or undefined when not read or empty. */
  getBodyBuffer(maxBytes?: number): Buffer | undefined
  setBodyData(data: string | Uint8Array): void
  httpVersion(): number
  rawHeader(noRequestLine?: boolean): string
  /** Seconds (float) when the request started. */
  startTime(): number
  /** Rewrites `$uri`; `jump` (rewrite phase only) re-matches locations and never returns. */
  setUri(uri: string, jump?: boolean): void
  isInternal(): boolean
  /**
   * The request body as a read-only cosocket (rewrite, access, content): `receive`,
   * `receiveAny`, `receiveUntil`. Fails with `no body`, `chunked request bodies not supported
   * yet`, `request body already exists` (read already, or a socket made already).
   */
  socket(): Result<RequestSocket, ReqSocketErr>
  socket(opts: SocketDataOptions & { readonly binary: true }): Result<RequestSocket<Buffer>, ReqSocketErr>
  socket(opts: SocketDataOptions): Result<RequestSocket | RequestSocket<Buffer>, ReqSocketErr>
}

export interface NgxResp {
  getHeaders(max?: number, raw?: boolean): HeadersResult
  addHeader(name: string, value: string | number | readonly (string | number)[]): void
}

export interface CaptureOptions {
  /** An `ngx.HTTP_*` id; default GET. */
  readonly method?: number
  readonly body?: string | Uint8Array
  readonly args?: string | Readonly<Record<string, unknown>>
  readonly headers?: Readonly<Record<string, string>>
  /** The subrequest's `ngx.ctx` (shared object). */
  readonly ctx?: NgxCtx
  readonly vars?: Readonly<Record<string, string>>
  readonly copyAllVars?: boolean
  readonly shareAllVars?: boolean
  readonly alwaysForwardBody?: boolean
}

export interface CaptureResult {
  readonly status: number
  readonly header: Record<string, string | string[]>
  readonly body: string
  readonly bodyBuffer: Buffer
  readonly truncated: boolean
}

export interface NgxLocation {
  capture(uri: string, options?: CaptureOptions): Promise<CaptureResult>
  captureMulti(requests: ReadonlyArray<readonly [uri: string, options?: CaptureOptions]>): Promise<CaptureResult[]>
}

export interface NgxConfig {
  readonly subsystem: 'http'
  readonly debug: boolean
  readonly nginxVersion: number
  readonly ngxLuaVersion: number
  readonly nrestyVersion: string
  prefix(): string
  nginxConfigure(): string
}

export interface NgxWorker {
  /** The worker's slot, 0 … count()-1; a respawned worker keeps its slot. */
  id(): number
  count(): number
  /** Unique among live workers (worker threads share the OS pid; see the README). */
  pid(): number
  /** True once the worker stops gracefully (reload, QUIT). */
  exiting(): boolean
}

/** `require "ngx.process"`. */
export interface NgxProcess {
  /** `'master'` in init, `'worker'` in workers, `'single'` without a master. */
  type(): 'master' | 'worker' | 'single'
  /** The master's pid (the OS process), or undefined without a master. */
  masterPid(): number | undefined
}

type Constants = typeof CORE_CONSTANTS & typeof HTTP_STATUS & typeof HTTP_METHODS & typeof LOG_LEVELS

export type OutputResult = Result<1, string>

/** How the previous try of a proxied request failed (`get_last_failure`). */
export interface BalancerFailure {
  /** `'failed'`: a network error or timeout; `'next'`: a status that proxy_next_upstream retries. */
  readonly state: 'failed' | 'next'
  /** The status that try ended with (502, 504, or the backend's 5xx). */
  readonly code: number
}

/**
 * lua-resty-core's `ngx.balancer`, for a balancer handler (`UpstreamDef.balancer`, run before
 * each try). Each call fails outside the balancer phase.
 */
export interface NgxBalancer {
  /**
   * The peer of this try: an IP address (names are not resolved here; `'unix:/path'` works)
   * and a port; `addr` may carry `:port` instead. `host` names the peer for TLS SNI.
   */
  setCurrentPeer(addr: string, port?: number, host?: string): Result<true, string>
  /**
   * Allows `count` more tries after this one, capped by proxy_next_upstream_tries; when capped,
   * the value is `'reduced tries due to limit'`.
   */
  setMoreTries(count: number): Result<true | 'reduced tries due to limit', string>
  /** How the previous try failed; undefined on the first try. */
  getLastFailure(): BalancerFailure | undefined
  /** Timeouts of this request's tries in seconds (`undefined` keeps the location's). */
  setTimeouts(connect?: number, send?: number, read?: number): Result<true, string>
  /** Builds the request to the backend again (after ngx.req.set_header and friends) for this try. */
  recreateRequest(): Result<true, string>
}

export interface Ngx extends Constants {
  readonly var: VarTable
  ctx: NgxCtx
  readonly header: HeaderTable
  /** Response status; 0 until set or sent. */
  status: number
  readonly headersSent: boolean
  readonly isSubrequest: boolean
  readonly arg: BodyFilterArg
  readonly req: NgxReq
  readonly resp: NgxResp
  readonly location: NgxLocation
  readonly config: NgxConfig
  readonly worker: NgxWorker
  readonly process: NgxProcess
  /** `ngx.shared.DICT`: the zones declared in `sharedDicts`, shared by every worker. */
  readonly shared: Readonly<Record<string, SharedDict>>
  /** `ngx.re.match / find / gmatch / sub / gsub / split` (PCRE translated to JS, see re.md). */
  readonly re: NgxRe
  /** `ngx.socket.tcp / udp / connect`: cosockets owned by this request or timer. */
  readonly socket: NgxSocket
  /** `ngx.timer.at / every / runningCount / pendingCount`. */
  readonly timer: NgxTimer
  /** `ngx.thread.spawn / wait / kill`: light threads of the running handler. */
  readonly thread: NgxThread
  /** `ngx.balancer`: picks the peer of a proxied request's try; in the balancer phase only. */
  readonly balancer: NgxBalancer
  readonly null: null

  say(...args: unknown[]): OutputResult
  print(...args: unknown[]): OutputResult
  /** `wait` resolves once the output reached the socket (or send_timeout). */
  flush(wait?: boolean): Promise<OutputResult>
  eof(): OutputResult
  sendHeaders(): OutputResult
  /** Ends the phase (`ngx.OK`) or the request (≥ 200, `ngx.ERROR`, 444). Never returns. */
  exit(status: number): never
  redirect(uri: string, status?: number): never
  /** Internal redirect: re-matches locations for `uri`; resets `ngx.ctx`. Never returns. */
  exec(uri: string, args?: string | Readonly<Record<string, unknown>>): never
  onAbort(fn: () => unknown): OutputResult
  log(level: number, ...args: unknown[]): void
  getPhase(): Phase
  /** Resolves after `seconds` (ms resolution; 0 yields once). Rewrite, access, content, timers. */
  sleep(seconds: number): Promise<void>

  now(): number
  time(): number
  updateTime(): void
  today(): string
  localtime(): string
  utctime(): string
  httpTime(sec: number): string
  cookieTime(sec: number): string
  parseHttpTime(s: string): number | undefined

  encodeBase64(s: string | Uint8Array, noPadding?: boolean): string
  decodeBase64(s: string): Buffer | undefined
  md5(s: string | Uint8Array): string
  md5Bin(s: string | Uint8Array): Buffer
  sha1Bin(s: string | Uint8Array): Buffer
  hmacSha1(key: string | Uint8Array, s: string | Uint8Array): Buffer
  crc32Short(s: string | Uint8Array): number
  crc32Long(s: string | Uint8Array): number
  escapeUri(s: string | Uint8Array, type?: number): string
  unescapeUri(s: string): string
  encodeArgs(args: Readonly<Record<string, unknown>>): string
  decodeArgs(s: string, max?: number): Args
  quoteSqlStr(s: string): string
}
