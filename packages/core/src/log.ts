// nginx's error log: levels, the exact line format, and the file it is appended to.

import { ConfError } from './errors.ts'
import { LogFile } from './log-file.ts'
import { LOG_LEVELS } from './constants.ts'
import { luaNumberToString } from './tostring.ts'

/** ngx.STDERR … ngx.DEBUG (the same object as LOG_LEVELS in constants.ts). */
export const LOG_LEVEL: typeof LOG_LEVELS = LOG_LEVELS

export type LogLevelName = 'stderr' | 'emerg' | 'alert' | 'crit' | 'error' | 'warn' | 'notice' | 'info' | 'debug'

const LEVEL_NAMES: readonly LogLevelName[] = ['stderr', 'emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug']
// What nginx prints between the brackets; level 0 (ngx.STDERR) prints "[]".
const LEVEL_TAGS: readonly string[] = ['[]', '[emerg]', '[alert]', '[crit]', '[error]', '[warn]', '[notice]', '[info]', '[debug]']

/** The level number for an `error_log` level name; throws nginx's `invalid log level "x"`. */
export function levelFromName(name: string): number {
  const n = LEVEL_NAMES.indexOf(name as LogLevelName)
  if (n < 0) throw new ConfError(`invalid log level "${name}"`)
  return n
}

export function levelName(n: number): LogLevelName {
  const name = LEVEL_NAMES[n]
  if (name === undefined) throw new RangeError(`bad log level: ${n}`)
  return name
}

/** What nginx's log handlers append after the message (`, client: …, server: …`). */
export interface LogContext {
  readonly connection?: number
  /** ` while <action>`, right after the message (nginx's log->action). */
  readonly action?: string
  /** ngx_lua's `context: ngx.timer` / `context: init_worker_by_lua*` outside requests. */
  readonly context?: string
  readonly client?: string
  readonly server?: string
  readonly request?: string
  readonly subrequest?: string
  readonly upstream?: string
  readonly host?: string
  readonly referrer?: string
}

/** NGX_MAX_ERROR_STR: an error line holds at most 2047 bytes before its linefeed. */
const MAX_LINE_BYTES = 2047

let cachedSec = -1
let cachedTime = ''

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`
}

function errLogTime(ms: number): string {
  const sec = Math.floor(ms / 1000)
  if (sec !== cachedSec) {
    const d = new Date(sec * 1000)
    cachedTime =
      `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
    cachedSec = sec
  }
  return cachedTime
}

function contextText(ctx: LogContext): string {
  let s = ''
  if (ctx.action !== undefined) s += ` while ${ctx.action}`
  if (ctx.context !== undefined) s += `, context: ${ctx.context}`
  if (ctx.client !== undefined) s += `, client: ${ctx.client}`
  if (ctx.server !== undefined) s += `, server: ${ctx.server}`
  if (ctx.request !== undefined) s += `, request: "${ctx.request}"`
  if (ctx.subrequest !== undefined) s += `, subrequest: "${ctx.subrequest}"`
  if (ctx.upstream !== undefined) s += `, upstream: "${ctx.upstream}"`
  if (ctx.host !== undefined) s += `, host: "${ctx.host}"`
  if (ctx.referrer !== undefined) s += `, referrer: "${ctx.referrer}"`
  return s
}

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
function truncateUtf8(s: string, max: number): string {
  let bytes = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    let n = c < 0x80 ? 1 : c < 0x800 ? 2 : 3
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length
    if (pair) n = 4
    if (bytes + n > max) return s.slice(0, i)
    bytes += n
    if (pair) i++
  }
  return s
}

/**
 * One error log line exactly as nginx writes it, with its linefeed:
 * `2026/11/21 12:00:00 [error] 1234#1234: *1 msg, client: …, server: …, request: "…", host: "…"`.
 * Debug lines carry no context, like nginx's. The line is cut at 2047 bytes, context included.
 */
export function formatErrorLine(ms: number, level: number, pid: number, tid: number, msg: string, ctx?: LogContext): string {
  let line = `${errLogTime(ms)} ${LEVEL_TAGS[level] ?? '[]'} ${pid}#${tid}: `
  if (ctx !== undefined) {
    if (ctx.connection) line += `*${ctx.connection} `
    line += msg
    if (level !== LOG_LEVEL.DEBUG) line += contextText(ctx)
  } else {
    line += msg
  }
  if (line.length * 3 > MAX_LINE_BYTES && Buffer.byteLength(line) > MAX_LINE_BYTES) {
    line = truncateUtf8(line, MAX_LINE_BYTES)
  }
  return line + '\n'
}

export interface ErrorLogOptions {
  /** A file path to append to, or `'stderr'` for fd 2. */
  readonly path: string
  /** The lowest severity written; nginx's default is `error`. */
  readonly level?: LogLevelName
  readonly pid?: number
  /** The number after `#` (nginx: the thread id); default the pid. */
  readonly tid?: number
  /**
   * Write each line with a blocking write(2) (the default, as nginx does): a line is on disk
   * when write() returns, and a crash loses nothing. `false` batches through sonic-boom.
   */
  readonly sync?: boolean
}

/** nginx's `error_log`: appends formatted lines, each written when logged (see `sync`). */
export class ErrorLog {
  readonly path: string
  readonly level: number
  private readonly pid: number
  private readonly tid: number
  private readonly file: LogFile

  constructor(opts: ErrorLogOptions) {
    this.path = opts.path
    this.level = levelFromName(opts.level ?? 'error')
    this.pid = opts.pid ?? process.pid
    this.tid = opts.tid ?? this.pid
    this.file = new LogFile(opts.path, { sync: opts.sync ?? true })
  }

  enabled(level: number): boolean {
    return level <= this.level
  }

  write(level: number, msg: string, ctx?: LogContext): void {
    if (level > this.level) return
    this.file.write(formatErrorLine(Date.now(), level, this.pid, this.tid, msg, ctx))
  }

  /** Writes out everything buffered, synchronously. */
  flush(): void {
    this.file.flush()
  }

  /** Reopens the file (USR1); if that fails, says so in the old file, as nginx does, and keeps it. */
  reopen(): void {
    const err = this.file.reopen()
    if (err !== undefined) this.write(LOG_LEVEL.EMERG, err.message)
  }

  close(): Promise<void> {
    return this.file.close()
  }
}

function argToString(v: unknown, i: number, fname: string): string {
  switch (typeof v) {
    case 'string':
      return v
    case 'number':
      return luaNumberToString(v)
    case 'undefined':
      return 'nil'
    case 'boolean':
      return v ? 'true' : 'false'
    case 'bigint':
      return `${v}`
    case 'object': {
      if (v === null) return 'null'
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8')
      // An object with its own toString stands for a table with a __tostring metamethod.
      const ts = (v as { toString?: unknown }).toString
      if (typeof ts === 'function' && ts !== Object.prototype.toString && ts !== Array.prototype.toString) {
        return String(v)
      }
      throw new TypeError(`bad argument #${i + 1} to '${fname}' (expected table to have __tostring metamethod)`)
    }
    default:
      // reference: ngx.log(ngx.ERR, function() end) raises this
      throw new TypeError(
        `bad argument #${i + 1} to '${fname}' (string, number, boolean, or nil expected, got ${typeof v === 'function' ? 'function' : 'userdata'})`,
      )
  }
}

/**
 * Concatenates ngx.log / print arguments the way ngx_lua does: strings as they are, numbers as
 * Lua prints them, `undefined` as "nil", `null` (ngx.null) as "null", bytes as UTF-8. Other
 * values throw ngx_lua's `bad argument #N to 'log'` TypeError (`fname` is 'print' for print).
 */
export function formatLogArgs(args: readonly unknown[], fname = 'log'): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0]
  let out = ''
  for (let i = 0; i < args.length; i++) out += argToString(args[i], i, fname)
  return out
}

type AnyFunction = (...args: never[]) => unknown

/** Parses `file:line` out of a V8 frame like `    at f (file:///a/b/x.ts:12:5)`. */
function frameLocation(frame: string): string {
  let end = frame.length
  if (frame.charCodeAt(end - 1) === 0x29) end-- // ')'
  const colC = frame.lastIndexOf(':', end - 1)
  const colL = colC > 0 ? frame.lastIndexOf(':', colC - 1) : -1
  if (colL < 0) return '?'
  let start = Math.max(frame.lastIndexOf('/', colL), frame.lastIndexOf('\\', colL), frame.lastIndexOf('(', colL))
  if (start < 0) start = frame.lastIndexOf(' ', colL)
  return frame.slice(start + 1, colC)
}

/**
 * `file:line` of the code that called `skip` (the file's basename), for the `[lua] file:line:`
 * prefix of ngx.log lines written from TypeScript. Returns "?" when no frame is available.
 */
export function callerLocation(skip: AnyFunction): string {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 1
  const holder: { stack?: string } = {}
  try {
    Error.captureStackTrace(holder, skip)
    const stack = holder.stack
    if (typeof stack !== 'string') return '?'
    const at = stack.indexOf('\n    at ')
    if (at < 0) return '?'
    const eol = stack.indexOf('\n', at + 1)
    return frameLocation(eol < 0 ? stack.slice(at + 1) : stack.slice(at + 1, eol))
  } finally {
    Error.stackTraceLimit = limit
  }
}
