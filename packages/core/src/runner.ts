// The phase runner: server_rewrite → find location → rewrite → access → content, then the
// finalization (special responses, eof) and the log phase. Synchronous handlers run without
// a promise being made; an async handler suspends the runner until it settles.
import { LOG_LEVELS, NGX_DECLINED, NGX_DONE, NGX_ERROR, NGX_OK } from './constants.ts'
import type { CompiledOp, CompiledReturn } from './conf.ts'
import type { Handler } from './gateway.ts'
import * as output from './output.ts'
import type { Phase } from './phase.ts'
import type { NgxRequest } from './request.ts'
import { EXEC, EXIT, JUMP } from './signals.ts'
import { updateTime } from './time.ts'

const S_SERVER_REWRITE_OPS = 0
const S_SERVER_REWRITE = 1
const S_FIND = 2
const S_REWRITE_OPS = 3
const S_REWRITE = 4
const S_ACCESS = 5
const S_CONTENT = 6
const S_DONE = 7
const MAX_URI_CHANGES = 10

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
        if (!runOps(r, r._srv.serverRewriteOps)) return
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
      case S_REWRITE_OPS:
        r._phase = 'rewrite'
        if (!runOps(r, r._loc.rewriteOps)) return
        r._step = S_REWRITE
        r._hIdx = 0
        break
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
        const ret = content(r)
        if (isThenable(ret)) {
          ret.then(() => settle(r), (e: unknown) => onThrow(r, e))
          return
        }
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
    // Advance first: a handler that throws ngx.exit(ngx.OK) resumes at the next one.
    const ret = list[r._hIdx++]!(r)
    if (isThenable(ret)) {
      ret.then(() => settle(r), (e: unknown) => onThrow(r, e))
      return false
    }
  }
}

/** An async handler finished normally. */
function settle(r: NgxRequest): void {
  updateTime()
  if (r._step === S_DONE) return finish(r, NGX_OK)
  run(r)
}

function onThrow(r: NgxRequest, e: unknown): void {
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

function runOps(r: NgxRequest, ops: readonly CompiledOp[]): boolean {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    if (op.op === 'set') {
      const v = op.value.constant ?? op.value.render((name) => r._lookupVar(name))
      ;(r._vars ??= new Map()).set(op.name, v)
    } else {
      doReturn(r, op.ret)
      return false
    }
  }
  return true
}

function doReturn(r: NgxRequest, ret: CompiledReturn): void {
  const text = ret.text === undefined ? undefined : (ret.text.constant ?? ret.text.render((name) => r._lookupVar(name)))
  if (ret.redirect) {
    // absolute_redirect applies to what is sent to the client, not to subrequests.
    const absolute = text !== undefined && text.charCodeAt(0) === 47 /* / */ && r._parent === undefined
    if (text !== undefined) r._headers().set('Location', absolute ? output.absoluteLocation(r, text) : text)
    return finish(r, ret.status)
  }
  if (text === undefined || ret.status === 444) return finish(r, ret.status)
  r._status = ret.status
  r._fixedBody = true
  output.emit(r, text, true)
  finish(r, NGX_OK)
}

function findLocation(r: NgxRequest): boolean {
  const m = r._srv.locations.find(r._uri)
  if (m === undefined) {
    r._loc = r._srv.base
  } else {
    r._loc = m.value
    r._captures = m.captures
    r._groups = m.groups
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
  if (++r._redirects > MAX_URI_CHANGES) {
    r._logRaw(LOG_LEVELS.ERR, `rewrite or internal redirection cycle while processing "${r._uri}"`)
    return finish(r, 500)
  }
  r._step = S_FIND
  r._hIdx = 0
  run(r)
}
