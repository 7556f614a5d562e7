// The phase runner: server_rewrite → find location → rewrite → access → content, then the
// finalization (special responses, eof) and the log phase. Synchronous handlers run without
// a promise being made; an async handler suspends the runner until it settles.
import { statSync } from 'node:fs'
import { LOG_LEVELS, NGX_DECLINED, NGX_DONE, NGX_ERROR, NGX_OK } from './constants.ts'
import type { CompiledOp, CompiledReturn, CompiledRewrite, CompiledTest } from './conf.ts'
import type { Handler, SetHandler } from './gateway.ts'
import * as output from './output.ts'
import type { Phase } from './phase.ts'
import type { NgxRequest } from './request.ts'
import { EXEC, EXIT, JUMP } from './signals.ts'
import type { Template, VarLookup } from './template.ts'
import { abortThreads, holdForThreads, THREAD_KILLED } from './thread.ts'
import { updateTime } from './time.ts'
import { luaTostring } from './tostring.ts'

const S_SERVER_REWRITE_OPS = 0
const S_SERVER_REWRITE = 1
const S_FIND = 2
const S_REWRITE_OPS = 3
const S_REWRITE = 4
const S_ACCESS = 5
const S_CONTENT = 6
const S_DONE = 7
const MAX_URI_CHANGES = 10
// What the rewrite module's steps end with.
/** All ran (or `break`): the phase goes on. */
const OPS_NEXT = 0
/** `return` or a redirect ended the request. */
const OPS_DONE = 1
/** `rewrite` changed `$uri` (no `break`): the location is found again. */
const OPS_URI = 2

/** Starts (or, after an internal redirect, restarts) the request at `r._step`. */
export function run(r: NgxRequest): void {
  try {
    advance(r)
  } catch (e) {
    onThrow(r, e)
  }
}

function advance(r: NgxRequest): void {
  for (;;) {
    if (r._eof) return finish(r, NGX_OK)
    switch (r._step) {
      case S_SERVER_REWRITE_OPS:
        r._phase = 'server_rewrite'
        // A changed $uri needs nothing more here: the location is found next anyway.
        if (runOps(r, r._srv.serverRewriteOps) === OPS_DONE) return
        r._step = S_SERVER_REWRITE
        r._hIdx = 0
        break
      case S_SERVER_REWRITE:
        if (!runList(r, r._srv.serverRewrite, 'server_rewrite')) return
        r._step = S_FIND
        break
      case S_FIND:
        if (!findLocation(r)) return
        r._step = S_REWRITE_OPS
        break
      case S_REWRITE_OPS: {
        r._phase = 'rewrite'
        const rc = runOps(r, r._loc.rewriteOps)
        if (rc === OPS_DONE) return
        if (rc === OPS_URI) {
          // nginx's post_rewrite: back to location matching; ngx_lua's rewrite handlers do
          // not run for a URI the rewrite module changed (measured).
          if (!countUriChange(r)) return
          r._step = S_FIND
          break
        }
        r._step = S_REWRITE
        r._hIdx = 0
        break
      }
      case S_REWRITE:
        if (!runList(r, r._loc.rewrite, 'rewrite')) return
        r._step = S_ACCESS
        r._hIdx = 0
        break
      case S_ACCESS:
        // nginx skips the access phase for subrequests.
        if (r._parent === undefined && !runList(r, r._loc.access, 'access')) return
        r._step = S_CONTENT
        r._hIdx = 0
        break
      case S_CONTENT: {
        const content = r._loc.content
        if (content === undefined) return finish(r, 404)
        r._step = S_DONE
        r._phase = 'content'
        r._onAbort = undefined
        const ret = content(r)
        if (isThenable(ret)) {
          awaitHandler(r, ret)
          return
        }
        // Light threads still running, or cosockets to close: settle does both.
        if (r._threads !== undefined || r._cleanups !== undefined) return settle(r)
        return finish(r, NGX_OK)
      }
      default:
        return finish(r, NGX_OK)
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
}

/** Runs handlers from `r._hIdx`; false when the request suspended or ended. */
function runList(r: NgxRequest, list: readonly Handler[], phase: Phase): boolean {
  for (;;) {
    // A handler that sent output (or ngx.eof()) before content ends the request there, as
    // ngx_lua does: later handlers and phases do not run.
    if (r._headersSent) {
      finish(r, NGX_OK)
      return false
    }
    if (r._hIdx >= list.length) return true
    r._phase = phase
    // an on_abort callback belongs to the handler that registered it
    r._onAbort = undefined
    // Advance first: a handler that throws ngx.exit(ngx.OK) resumes at the next one.
    const ret = list[r._hIdx++]!(r)
    if (isThenable(ret)) {
      awaitHandler(r, ret)
      return false
    }
    if (r._threads !== undefined || r._cleanups !== undefined) {
      settle(r)
      return false
    }
  }
}

/**
 * Resumes the runner when an async handler settles, unless the handler was aborted meanwhile
 * (a light thread ended it with ngx.exit / exec): its continuation is stale then.
 */
function awaitHandler(r: NgxRequest, ret: PromiseLike<unknown>): void {
  const gen = r._aborts
  ret.then(() => {
    if (r._aborts === gen) settle(r)
  }, (e: unknown) => {
    if (r._aborts === gen) onThrow(r, e)
  })
}

/**
 * A handler finished normally: the phase goes on once its light threads are done, after the
 * cosockets it left open are closed.
 */
function settle(r: NgxRequest): void {
  updateTime()
  if (r._threads !== undefined && holdForThreads(r, () => settle(r))) return
  if (r._cleanups !== undefined) r._endHandler()
  if (r._step === S_DONE) return finish(r, NGX_OK)
  run(r)
}

/** A light thread ended its handler with ngx.exit / exec / redirect (its siblings are killed). */
export function threadSignal(r: NgxRequest, e: unknown): void {
  onThrow(r, e)
}

function onThrow(r: NgxRequest, e: unknown): void {
  // The handler ended: its light threads are killed, its cosockets closed.
  if (r._threads !== undefined) abortThreads(r)
  if (r._cleanups !== undefined) r._endHandler()
  if (e === THREAD_KILLED) return
  if (e !== EXIT && e !== EXEC && e !== JUMP) return onError(r, e)
  // A signal from a handler still running after its request ended changes nothing.
  if (r._finalized) return
  try {
    if (e === EXIT) onExit(r, r._exitCode)
    else if (e === EXEC) internalRedirect(r)
    else jump(r)
  } catch (e2) {
    onError(r, e2)
  }
}

function onError(r: NgxRequest, e: unknown): void {
  r._logRaw(LOG_LEVELS.ERR, `${r._phase} handler aborted: ${output.handlerError(e)}`)
  if (r._finalized) return
  if (r._headersSent) {
    output.abort(r)
    return finish(r, NGX_ERROR)
  }
  finish(r, 500)
}

function onExit(r: NgxRequest, code: number): void {
  if (code === NGX_OK || code === NGX_DECLINED || code === NGX_DONE) {
    // ngx.exit(ngx.OK) ends the current handler only; in content it ends the request.
    if (r._step === S_DONE) return finish(r, NGX_OK)
    return run(r)
  }
  finish(r, code)
}

/**
 * Finalizes with `code` as ngx_http_finalize_request would: 0 ends normally (eof),
 * ≥ 300 sends the special response, 2xx sends the headers with an empty body, and
 * ERROR / 408 / 444 / 499 close the connection.
 */
export function finish(r: NgxRequest, code: number): void {
  if (r._finalized) return
  // The request ends early (ngx.exit from on_abort): the light threads still running die.
  if (r._threads !== undefined) abortThreads(r)
  if (code === NGX_ERROR || code === 408 || code === 444 || code === 499) {
    if (r._capture !== undefined) {
      if (!r._headersSent) r._status = code === NGX_ERROR ? 500 : code
    }
    else if (r._status === 0 && code !== NGX_ERROR) r._status = code
    output.abort(r)
  } else if (!r._eof) {
    if (code >= 300 && !r._headersSent) {
      r._step = S_DONE
      if (!output.sendSpecial(r, code)) return internalRedirect(r)
    } else {
      if (code >= 200 && !r._headersSent) {
        // ngx.exit(2xx) sets the status only when none was set (204 always wins).
        if (r._status === 0 || code === 204) r._status = code
      } else if (code >= 200 && code !== r._status) {
        r._logRaw(LOG_LEVELS.ERR, `attempt to set status ${code} via ngx.exit after sending out the response status ${r._status}`)
      }
      output.emit(r, '', true)
    }
  }
  r._finalized = true
  r._step = S_DONE
  // A subrequest cut short keeps what it had produced, marked truncated.
  if (r._capture !== undefined) r._capture.finish(r, output.takePending(r), true)
  else runLog(r)
}

function runLog(r: NgxRequest): void {
  if (r._logged) return
  r._logged = true
  const list = r._loc.log
  // A handler still running when the request ends early (ngx.exit from on_abort) keeps its
  // own phase afterwards: its output then answers 'seen eof' instead of a phase error.
  const prev = r._phase
  r._phase = 'log'
  for (let i = 0; i < list.length; i++) {
    try {
      const ret = list[i]!(r)
      if (isThenable(ret)) ret.then(undefined, (e: unknown) => logFailure(r, e))
    } catch (e) {
      logFailure(r, e)
    }
  }
  r._phase = prev
  const access = r._loc.accessLog
  if (access !== null) access.write((name) => r._lookupVar(name))
}

function logFailure(r: NgxRequest, e: unknown): void {
  if (e === EXIT) return
  r._logRaw(LOG_LEVELS.ERR, `log handler aborted: ${output.handlerError(e)}`)
}

// The request whose templates render now: rendering is synchronous, so lookups need no closure.
let cur: NgxRequest | undefined
const lookupCur: VarLookup = (name) => (cur as NgxRequest)._lookupVar(name)
/** In args, and in redirects, of a request whose URI had `%` or `+`: captures are escaped. */
const lookupEscaped: VarLookup = (name) => {
  const v = (cur as NgxRequest)._lookupVar(name)
  const c = name.charCodeAt(0)
  return v !== undefined && c >= 49 && c <= 57 && name.length === 1 ? escapeArgs(v) : v
}

/** nginx 1.22's NGX_ESCAPE_ARGS (measured byte by byte): controls, space, `"#%&+;<>?\^`{|}`, 0x7F-0xFF. */
const ARGS_ESCAPE = new Uint8Array(256)
for (let b = 0; b < 256; b++) if (b <= 0x20 || b >= 0x7f || ' "#%&+;<>?\\^`{|}'.includes(String.fromCharCode(b))) ARGS_ESCAPE[b] = 1
const HEX = '0123456789ABCDEF'

function escapeArgs(v: string): string {
  let i = 0
  while (i < v.length && v.charCodeAt(i) < 0x80 && ARGS_ESCAPE[v.charCodeAt(i)] === 0) i++
  if (i === v.length) return v
  let out = ''
  for (const b of Buffer.from(v, 'utf8')) out += ARGS_ESCAPE[b] === 1 ? `%${HEX[b >> 4]}${HEX[b & 15]}` : String.fromCharCode(b)
  return out
}

const hexValue = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1)

/**
 * ngx_unescape_uri(NGX_UNESCAPE_REDIRECT), which nginx applies to a rewrite's redirect: `%XX`
 * of a character above `%` and below 0x7F is decoded; a decoded or plain `?` ends the decoding.
 */
function unescapeRedirect(s: string): string {
  if (!s.includes('%')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 63 /* ? */) return out + s.slice(i)
    if (c !== 37 /* % */) {
      out += s[i]
      continue
    }
    const h = hexValue(s.charCodeAt(i + 1))
    if (h < 0) {
      // nginx drops the `%` of an invalid escape
      if (i + 1 < s.length) out += s[i + 1]
      i++
      continue
    }
    const l = hexValue(s.charCodeAt(i + 2))
    if (l < 0) {
      i += 2 // an invalid second digit: both are dropped
      continue
    }
    const ch = (h << 4) + l
    const letter = (s.charCodeAt(i + 2) | 32) >= 97
    if (letter && ch === 63) return `${out}?${s.slice(i + 3)}`
    out += ch > 0x25 && ch < 0x7f ? String.fromCharCode(ch) : s.slice(i, i + 3)
    i += 2
  }
  return out
}

/** Runs the rewrite module's steps (see OPS_*). */
function runOps(r: NgxRequest, ops: readonly CompiledOp[]): number {
  let changed = false
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    switch (op.op) {
      case 'set': {
        cur = r
        const v = op.value.constant ?? op.value.render(lookupCur)
        ;(r._vars ??= new Map()).set(op.name, v)
        break
      }
      case 'return':
        doReturn(r, op.ret)
        return OPS_DONE
      case 'if':
        if (!testIf(r, op.test)) i += op.skip
        else if (op.conf !== undefined) r._loc = op.conf
        break
      case 'break':
        // ends the steps, and forgets a $uri changed before (nginx resets uri_changed)
        return OPS_NEXT
      case 'setBy':
        if (!runSetBy(r, op.name, op.handler, op.args)) return OPS_DONE
        break
      case 'rewrite': {
        const rw = op.rw
        if (!matchRegex(r, rw.regex, rw.groups, r._uri)) break
        if (rw.mode === 3) {
          redirect(r, rw)
          return OPS_DONE
        }
        rewriteUri(r, rw)
        if (rw.mode === 2) return OPS_NEXT
        if (rw.mode === 1) return OPS_URI
        changed = true
        break
      }
    }
  }
  return changed ? OPS_URI : OPS_NEXT
}

/**
 * `set_by_lua $name`: the handler runs synchronously in the `set` phase with the rendered args
 * as `ngx.arg[1..n]`; a string or number it returns becomes `$name` (numbers as Lua prints
 * them), anything else the empty string. A failure is logged as ngx_lua does (`failed to run
 * set_by_lua*: …`, or the error's own `logText`) and ends the request with 500.
 */
function runSetBy(r: NgxRequest, name: string, handler: SetHandler, args: readonly Template[]): boolean {
  cur = r
  const arg: Record<number, string> = {}
  for (let k = 0; k < args.length; k++) arg[k + 1] = args[k]!.constant ?? args[k]!.render(lookupCur)
  const phase = r._phase
  r._phase = 'set'
  r._setArg = Object.freeze(arg)
  let v: unknown
  let failed = false
  try {
    v = handler(r)
    // Nothing may yield here: ngx_lua refuses every yielding API in set_by_lua*.
    if (isThenable(v)) {
      v.then(undefined, () => {})
      throw new Error('API disabled in the context of set_by_lua*')
    }
  } catch (e) {
    failed = true
    v = e
  } finally {
    r._setArg = undefined
    r._phase = phase
  }
  if (failed) {
    const own = (v as { logText?: unknown } | null)?.logText
    r._logRaw(LOG_LEVELS.ERR, typeof own === 'string' ? own : `failed to run set_by_lua*: ${output.handlerError(v)}`)
    finish(r, 500)
    return false
  }
  ;(r._vars ??= new Map()).set(name, typeof v === 'string' ? v : typeof v === 'number' ? luaTostring(v) : '')
  return true
}

/** Matches `re` on `s`; a match sets `$1`… (and named captures), a failed one clears them. */
function matchRegex(r: NgxRequest, re: RegExp, groups: boolean, s: string): boolean {
  if (!groups) {
    const hit = re.test(s)
    // nginx keeps no captures after a regex without groups, or after a failed match.
    r._captures = undefined
    return hit
  }
  const m = re.exec(s)
  if (m === null) {
    r._captures = undefined
    return false
  }
  for (let k = 0; k < m.length; k++) if (m[k] === undefined) m[k] = ''
  r._captures = m as string[]
  if (m.groups !== undefined) {
    const named: Record<string, string> = { ...r._groups }
    for (const k in m.groups) named[k] = m.groups[k] ?? ''
    r._groups = named
  }
  return true
}

function testIf(r: NgxRequest, t: CompiledTest): boolean {
  cur = r
  switch (t.kind) {
    case 0: {
      const v = r._lookupVar(t.name)
      return v !== undefined && v !== '' && v !== '0'
    }
    case 1:
    case 2: {
      const v = r._lookupVar(t.name) ?? ''
      const want = t.value!.constant ?? t.value!.render(lookupCur)
      return (v === want) === (t.kind === 1)
    }
    case 3:
      return matchRegex(r, t.regex!, t.groups, r._lookupVar(t.name) ?? '') !== t.negate
    default:
      return fileTest(t.value!.constant ?? t.value!.render(lookupCur), t.file) !== t.negate
  }
}

/** `-f` a file, `-d` a directory, `-e` either (or a link), `-x` executable by its owner. */
function fileTest(path: string, what: string): boolean {
  let st
  try {
    st = statSync(path, { throwIfNoEntry: false })
  } catch {
    return false
  }
  if (st === undefined) return false
  if (what === 'f') return st.isFile()
  if (what === 'd') return st.isDirectory()
  if (what === 'e') return true
  return (st.mode & 0o100) !== 0
}

/** nginx's quoted_uri || plus_in_uri: the client's path had a `%` or a `+`. */
function quotedUri(r: NgxRequest): boolean {
  const u = r._main._requestUri
  for (let i = 0; i < u.length; i++) {
    const c = u.charCodeAt(i)
    if (c === 63 /* ? */) return false
    if (c === 37 /* % */ || c === 43 /* + */) return true
  }
  return false
}

/** A non-redirect rewrite: the new $uri, and $args by the replacement's `?`. */
function rewriteUri(r: NgxRequest, rw: CompiledRewrite): void {
  cur = r
  const uri = rw.uri.constant ?? rw.uri.render(lookupCur)
  if (rw.args !== undefined) {
    let args = rw.args.constant ?? rw.args.render(quotedUri(r) ? lookupEscaped : lookupCur)
    if (rw.addArgs && r._args !== '') args += `&${r._args}`
    r._args = args
  } else if (!rw.addArgs) {
    r._args = ''
  }
  r._uri = uri
  // A rewritten request may enter `internal` locations.
  r._internal = true
  // After `rewrite … break`, proxy_pass sends the new URI whole, its own URI part ignored.
  if (rw.mode === 2) r._validLocation = false
}

function redirect(r: NgxRequest, rw: CompiledRewrite): void {
  cur = r
  let url = unescapeRedirect(rw.uri.constant ?? rw.uri.render(quotedUri(r) ? lookupEscaped : lookupCur))
  if (rw.addArgs && r._args !== '') url += `${rw.question ? '&' : '?'}${r._args}`
  sendRedirect(r, rw.status, url)
}

/** `return 30x url` and rewrite's redirects: Location (made absolute as nginx does), then the page. */
function sendRedirect(r: NgxRequest, status: number, url: string): void {
  // absolute_redirect applies to what is sent to the client, not to subrequests.
  const absolute = url.charCodeAt(0) === 47 /* / */ && r._parent === undefined
  r._headers().set('Location', absolute ? output.absoluteLocation(r, url) : url)
  finish(r, status)
}

/** nginx's count of URI changes (rewrites and internal redirects): false once it has run out. */
function countUriChange(r: NgxRequest): boolean {
  if (++r._redirects > MAX_URI_CHANGES) {
    r._logRaw(LOG_LEVELS.ERR, `rewrite or internal redirection cycle while processing "${r._uri}"`)
    finish(r, 500)
    return false
  }
  return true
}

function doReturn(r: NgxRequest, ret: CompiledReturn): void {
  cur = r
  const text = ret.text === undefined ? undefined : (ret.text.constant ?? ret.text.render(lookupCur))
  if (ret.redirect) {
    if (text === undefined) return finish(r, ret.status)
    return sendRedirect(r, ret.status, text)
  }
  if (text === undefined || ret.status === 444) return finish(r, ret.status)
  // After error_page, the response keeps the error's status (ngx_http_send_header's err_status).
  r._status = r._errStatus !== 0 ? r._errStatus : ret.status
  r._fixedBody = true
  output.emit(r, text, true)
  finish(r, NGX_OK)
}

function findLocation(r: NgxRequest): boolean {
  const m = r._srv.locations.find(r._uri)
  // `/p` and a proxying `location /p/` (no `= /p`): nginx redirects to `/p/`.
  if (r._srv.autoRedirect.size !== 0 && r._srv.autoRedirect.has(r._uri) && (m === undefined || m.value.name.charCodeAt(0) !== 61 /* = */)) {
    r._loc = m?.value ?? r._srv.base
    sendRedirect(r, 301, r._args === '' ? `${r._uri}/` : `${r._uri}/?${r._args}`)
    return false
  }
  if (m === undefined) {
    r._loc = r._srv.base
  } else {
    r._loc = m.value
    // Only a regex with captures replaces them ($1 of a server_name or rewrite stays
    // otherwise); its named captures are variables beside the server_name's.
    if (m.captures !== undefined) r._captures = m.captures
    if (m.groups !== undefined) r._groups = r._groups === undefined ? m.groups : { ...r._groups, ...m.groups }
    if (m.value.internal && !r._internal) {
      finish(r, 404)
      return false
    }
  }
  if (r._parent === undefined && !r._internal) {
    const len = r._contentLength()
    const max = r._loc.clientMaxBodySize
    if (max !== 0 && len > max) {
      r._logRaw(LOG_LEVELS.ERR, `client intended to send too large body: ${len} bytes`)
      finish(r, 413)
      return false
    }
  }
  return true
}

/** ngx.exec / error_page: back to location matching with a fresh ngx.ctx. */
function internalRedirect(r: NgxRequest): void {
  if (++r._redirects > MAX_URI_CHANGES) {
    r._logRaw(LOG_LEVELS.ERR, `rewrite or internal redirection cycle while internally redirecting to "${r._execUri}"`)
    r._errorPageDone = true
    return finish(r, 500)
  }
  r._ctx = undefined
  r._internal = true
  r._captures = undefined
  r._groups = undefined
  if (r._execNamed) {
    const loc = r._srv.locations.named(r._execUri)
    if (loc === undefined) {
      r._logRaw(LOG_LEVELS.ERR, `could not find named location "${r._execUri}"`)
      return finish(r, 500)
    }
    r._loc = loc
    r._step = S_REWRITE_OPS
  } else {
    r._uri = r._execUri
    r._args = r._execArgs ?? ''
    r._step = S_SERVER_REWRITE_OPS
  }
  r._hIdx = 0
  run(r)
}

/** ngx.req.set_uri(uri, true): re-match locations without re-running server rewrite. */
function jump(r: NgxRequest): void {
  if (!countUriChange(r)) return
  r._step = S_FIND
  r._hIdx = 0
  run(r)
}
