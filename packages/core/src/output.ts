// Response output: headers (header filter, default type, add_header), the body filter
// chain per chunk, buffering and writing to node's ServerResponse, and nginx's special
// responses. Output is buffered until a flush, eof, or 64 KiB, so a whole small response
// leaves in one write with a Content-Length.
import { LOG_LEVELS, NGX_ERROR, NRESTY_VERSION, REASON_PHRASES } from './constants.ts'
import { argError, stateError } from './errors.ts'
import type { OutputResult } from './ngx.ts'
import { CTX_RAC, PHASE_BIT } from './phase.ts'
import type { NgxRequest } from './request.ts'
import { fail as failResult, ok } from './result.ts'
import { EXIT } from './signals.ts'
import { HEADER_TOO_LARGE_PAGE, specialPage } from './special-response.ts'
import type { ServerResponse } from 'node:http'
import { luaNumberToString } from './tostring.ts'

export const OK: OutputResult = Object.freeze(ok(1 as const))
const failures = new Map<string, OutputResult>()
/** A frozen `{ ok: false, err }`, allocated once per distinct message. */
export function fail(err: string): OutputResult {
  let f = failures.get(err)
  if (f === undefined) failures.set(err, (f = Object.freeze(failResult(err))))
  return f
}

export const SERVER: string = `nresty/${NRESTY_VERSION}`
const FLUSH_AT = 64 * 1024
/** Statuses `add_header` applies to without `always` (nginx). */
const ADD_HEADER_STATUS = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308])
/** Statuses after which nginx closes the connection. */
const CLOSE_STATUS = new Set([408, 444, 499])
const REDIRECTS = new Set([301, 302, 303, 307, 308])

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
}

/** Renders ngx.say/print arguments as ngx_lua does (nested arrays flattened). */
function render(args: readonly unknown[], fname: string): string | Buffer {
  let s = ''
  let bufs: Buffer[] | undefined
  const put = (v: unknown, argn: number): void => {
    switch (typeof v) {
      case 'string': s += v; return
      case 'number': s += luaNumberToString(v); return
      case 'boolean': s += v ? 'true' : 'false'; return
      case 'undefined': s += 'nil'; return
      case 'object':
        if (v === null) { s += 'null'; return }
        if (v instanceof Uint8Array) {
          bufs ??= []
          if (s !== '') { bufs.push(Buffer.from(s)); s = '' }
          bufs.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength))
          return
        }
        if (Array.isArray(v)) { for (const e of v) put(e, argn); return }
        throw argError(`bad argument #${argn} to '${fname}' (non-array table found)`)
      default:
        throw argError(`bad argument #${argn} to '${fname}' (string, number, boolean, nil, ngx.null, or array table expected, but got ${typeof v === 'function' ? 'function' : typeof v})`)
    }
  }
  for (let i = 0; i < args.length; i++) put(args[i], i + 1)
  if (bufs === undefined) return s
  if (s !== '') bufs.push(Buffer.from(s))
  return Buffer.concat(bufs)
}

export function write(r: NgxRequest, args: readonly unknown[], newline: boolean, fname: string): OutputResult {
  if ((PHASE_BIT[r._phase] & CTX_RAC) === 0) r._checkPhaseOrThrow(CTX_RAC)
  let data = args.length === 1 && typeof args[0] === 'string' ? args[0] : render(args, fname)
  if (newline) data = typeof data === 'string' ? data + '\n' : Buffer.concat([data, NEWLINE])
  return emit(r, data, false)
}
const NEWLINE = Buffer.from('\n')

export function sendHeaders(r: NgxRequest): OutputResult {
  if ((PHASE_BIT[r._phase] & CTX_RAC) === 0) r._checkPhaseOrThrow(CTX_RAC)
  if (!r._headersSent) sendHeader(r)
  return OK
}

/** Runs the header filter once; the headers are written with the first body bytes. */
function sendHeader(r: NgxRequest): void {
  if (r._headersSent) return
  r._headersSent = true
  if (r._status === 0) r._status = r._errStatus !== 0 ? r._errStatus : 200
  const filters = r._loc.headerFilter
  if (filters.length === 0) return
  const prev = r._phase
  r._phase = 'header_filter'
  for (let i = 0; i < filters.length; i++) {
    try {
      const ret = filters[i]!(r)
      if (isThenable(ret)) asyncFilter(r, ret, 'header_filter')
    } catch (e) {
      if (e !== EXIT) {
        r._logRaw(LOG_LEVELS.ERR, `failed to run header_filter handler: ${handlerError(e)}`)
        abort(r)
        break
      }
      // ngx.exit in a header filter: OK ends this handler; ERROR aborts; a status replaces
      // the response (nginx's page for >= 300, an empty body otherwise).
      const code = r._exitCode
      if (code === NGX_ERROR) {
        abort(r)
        break
      }
      if (code >= 200) {
        r._status = code
        const page = code >= 300 ? specialPage(code) : undefined
        // No page, no type (an empty 2xx body included).
        r._headers().set('Content-Type', page === undefined ? undefined : 'text/html')
        r._headers().set('Content-Length', undefined)
        r._replaceBody = page ?? ''
        break
      }
    }
  }
  r._phase = prev
}

function asyncFilter(r: NgxRequest, p: PromiseLike<unknown>, phase: string): void {
  r._logRaw(LOG_LEVELS.ERR, `${phase} handlers must not be async (the response cannot wait for them)`)
  p.then(undefined, () => undefined)
}

// Stack frames of nresty's own request machinery, left out of handler error reports.
const INTERNAL_FRAME = /\/packages\/core\/(src|dist)\/|\/@nresty\/core\/|\(node:|at node:/

/**
 * A thrown value as the error log reports it: the stack without nresty's internal frames,
 * the string for a string, `unknown reason` otherwise (ngx_lua's words for non-string errors).
 */
export function handlerError(e: unknown): string {
  if (e instanceof Error) {
    const lines = (e.stack ?? String(e)).split('\n')
    return lines.filter((l, i) => i === 0 || !INTERNAL_FRAME.test(l)).join('\n')
  }
  return typeof e === 'string' ? e : 'unknown reason'
}

/** Passes one chunk (and eof) through the body filters, then buffers or writes it. */
export function emit(r: NgxRequest, chunk: string | Uint8Array, eof: boolean): OutputResult {
  if (r._eof) return fail('seen eof')
  if (!r._headersSent) {
    sendHeader(r)
    if (r._replaceBody !== undefined) {
      // A header filter ended the request with a status: its body replaces the output.
      chunk = r._replaceBody
      eof = true
    }
  }
  const filters = r._loc.bodyFilter
  if (filters.length !== 0) {
    const arg = (r._arg ??= { 1: '', 2: false })
    arg[1] = chunk
    arg[2] = eof
    const prev = r._phase
    r._phase = 'body_filter'
    try {
      for (let i = 0; i < filters.length; i++) {
        const ret = filters[i]!(r)
        if (isThenable(ret)) asyncFilter(r, ret, 'body_filter')
      }
    } catch (e) {
      if (e !== EXIT) {
        r._logRaw(LOG_LEVELS.ERR, `failed to run body_filter handler: ${handlerError(e)}`)
        abort(r)
        return fail('nginx output filter error')
      }
    } finally {
      r._phase = prev
    }
    const out = arg[1] as unknown
    chunk = out === undefined || out === null ? '' : typeof out === 'string' || out instanceof Uint8Array ? out : render([out], 'body_filter')
    eof = eof || arg[2] === true
  }
  const len = typeof chunk === 'string' ? chunk.length : chunk.byteLength
  if (len !== 0) {
    r._out.push(chunk)
    r._outBytes += len
  }
  if (eof) finishOutput(r)
  else if (r._outBytes >= FLUSH_AT && r._capture === undefined) flushOut(r)
  return OK
}

export function eof(r: NgxRequest): OutputResult {
  if ((PHASE_BIT[r._phase] & CTX_RAC) === 0) r._checkPhaseOrThrow(CTX_RAC)
  return emit(r, '', true)
}

export async function flush(r: NgxRequest, wait: boolean): Promise<OutputResult> {
  if ((PHASE_BIT[r._phase] & CTX_RAC) === 0) r._checkPhaseOrThrow(CTX_RAC)
  if (r._eof) return fail('seen eof')
  if (!r._headersSent) return fail('nothing to flush')
  if (r._capture !== undefined) return OK
  flushOut(r)
  const res = r._res
  if (!wait || res === undefined || !res.writableNeedDrain) return OK
  // flushOut armed send_timeout, which destroys the connection when it fires.
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve(res.destroyed ? fail(r._sendTimedOut ? 'timeout' : 'closed') : OK)
    }
    res.once('drain', done)
    res.once('close', done)
  })
}

/** What is buffered and not sent (a subrequest cut short keeps it). */
export function takePending(r: NgxRequest): string | Buffer | undefined {
  return r._outBytes === 0 ? undefined : takeOut(r)
}

function takeOut(r: NgxRequest): string | Buffer {
  const out = r._out
  let data: string | Buffer
  if (out.length === 1) {
    const c = out[0]!
    data = typeof c === 'string' ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength)
  } else if (out.every((c) => typeof c === 'string')) data = out.join('')
  else data = Buffer.concat(out.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)))
  r._out = []
  r._outBytes = 0
  return data
}

function commit(r: NgxRequest, contentLength: number): void {
  const res = r._res!
  r._committed = true
  const status = r._status
  // HEAD: nginx sends no length for a handler's body, but does for its own pages and return text.
  const headers = buildHeaders(r, status, r._method === 'HEAD' && !r._fixedBody ? -1 : contentLength)
  const close = r._close || CLOSE_STATUS.has(status) || r._rt.exiting || r._srv.keepaliveTimeout === 0
  if (close) res.shouldKeepAlive = false
  else if (r._main._expectContinue) {
    // The body was never read: nginx discards it, which first tells the client to send it.
    r._main._expectContinue = false
    res.writeContinue()
  }
  const reason = r._reason !== undefined && r._reasonStatus === status ? r._reason : (REASON_PHRASES.get(status) ?? '')
  res.writeHead(status, reason, headers)
}

/** Writes what is buffered, headers first; the response stays open (the proxy streams with it). */
export function flushPending(r: NgxRequest): void {
  flushOut(r)
}

/** Writes what is buffered, headers first; the response stays open. */
function flushOut(r: NgxRequest): void {
  const res = r._res
  if (res === undefined || res.destroyed) return
  // HTTP/1.0 clients get the whole response with a Content-Length (lua_http10_buffering on).
  if (r._in.httpVersionMinor === 0 && r._in.httpVersionMajor === 1) return
  if (!r._committed) commit(r, -1)
  if (r._outBytes === 0) return
  const data = takeOut(r)
  r._bodySent += typeof data === 'string' ? Buffer.byteLength(data) : data.length
  if (!res.write(data)) armSendTimeout(r, res, 'drain')
}

/**
 * send_timeout: a client that stops reading for that long is cut off. Armed only when node
 * reports backpressure, so a fast client costs nothing.
 */
function armSendTimeout(r: NgxRequest, res: ServerResponse, until: 'drain' | 'finish'): void {
  // One wait at a time: a stream that keeps hitting backpressure (a proxied body to a slow
  // client) re-arms it after each drain, and leaves no listener behind. The end's wait
  // replaces a drain's.
  if (r._sendWait !== undefined) {
    if (until === 'drain') return
    r._sendWait()
  }
  const timer = setTimeout(() => {
    done()
    r._logRaw(LOG_LEVELS.INFO, 'client timed out (110: Connection timed out) while sending to client')
    r._sendTimedOut = true
    res.destroy()
  }, r._loc.sendTimeout)
  const done = (): void => {
    clearTimeout(timer)
    r._sendWait = undefined
    res.removeListener(until, done)
    res.removeListener('close', done)
  }
  r._sendWait = done
  res.on(until, done)
  res.on('close', done)
}

function finishOutput(r: NgxRequest): void {
  r._eof = true
  if (r._capture !== undefined) {
    r._capture.finish(r, r._outBytes === 0 ? '' : takeOut(r))
    return
  }
  const res = r._res
  if (res === undefined || res.destroyed) return
  const data = r._outBytes === 0 ? '' : takeOut(r)
  const len = typeof data === 'string' ? (data.length === 0 ? 0 : Buffer.byteLength(data)) : data.length
  if (!r._committed) commit(r, len)
  r._bodySent += len
  if (len === 0) res.end()
  else res.end(data)
  // Data still queued in node (the kernel buffer is full): bound the wait for the client.
  if ((res.socket?.writableLength ?? 0) > 0) armSendTimeout(r, res, 'finish')
}

function buildHeaders(r: NgxRequest, status: number, contentLength: number): string[] {
  const h = r._respHeaders
  const arr: string[] = h !== undefined && h.get('server') !== undefined ? [] : ['Server', SERVER]
  const noBody = status === 204 || status === 304 || (status >= 100 && status < 200)
  if (!noBody && (h === undefined || (h.contentType === undefined && !h.contentTypeSet))) arr.push('Content-Type', r._loc.defaultType)
  if (h !== undefined) h.writeTo(arr)
  const adds = r._loc.addHeaders
  if (adds.length !== 0 && r._parent === undefined) {
    const always = ADD_HEADER_STATUS.has(status)
    for (const a of adds) {
      if (!a.always && !always) continue
      const v = a.value.constant ?? a.value.render((name) => r._lookupVar(name))
      if (v !== '') arr.push(a.name, v)
    }
  }
  if (contentLength >= 0 && !noBody && (h === undefined || (h.contentLength === undefined && h.get('transfer-encoding') === undefined))) {
    arr.push('Content-Length', String(contentLength))
  }
  return arr
}

/**
 * nginx's absolute_redirect for the `return` directive: `/x` becomes `http://host[:port]/x`
 * (the Host header's name, else the server's address). ngx.redirect and ngx.header.Location
 * keep what they are given, as ngx_lua does.
 */
export function absoluteLocation(r: NgxRequest, path: string): string {
  const raw = r._reqH().get('host')
  let host = raw === undefined || raw === '' ? (r._lookupVar('server_addr') ?? '') : (r._lookupVar('host') ?? '')
  if (host.includes(':')) host = `[${host}]`
  const port = r._in.socket?.localPort
  return `http://${host}${port === undefined || port === 80 ? '' : `:${port}`}${path}`
}

/** Ends a request with nginx's special response for `status` (error_page first). */
export function sendSpecial(r: NgxRequest, status: number): boolean {
  const pages = r._loc.errorPages
  if (pages !== null && !r._errorPageDone && r._parent === undefined) {
    const uri = pages.get(status)
    if (uri !== undefined) {
      r._errorPageDone = true
      r._errStatus = status
      r._status = status
      if (CLOSE_AFTER_PAGE.has(status)) r._close = true
      if (r._method !== 'HEAD') r._method = 'GET'
      r._execNamed = uri.charCodeAt(0) === 64
      const q = uri.indexOf('?')
      r._execUri = q < 0 ? uri : uri.slice(0, q)
      r._execArgs = q < 0 ? undefined : uri.slice(q + 1)
      return false // the runner redirects
    }
  }
  // 494 is nginx's internal code for an oversize header: its own page, status 400.
  r._status = status === 494 ? 400 : status
  if (CLOSE_AFTER_PAGE.has(status)) r._close = true
  // Subrequests get no page (an empty body), as in nginx.
  const page = r._capture !== undefined ? undefined : status === 494 ? HEADER_TOO_LARGE_PAGE : specialPage(status)
  const headers = r._headers()
  headers.set('Content-Length', undefined)
  if (page !== undefined) headers.set('Content-Type', 'text/html')
  else if (r._capture === undefined) headers.set('Content-Type', undefined) // no page, no type
  r._out = []
  r._outBytes = 0
  r._fixedBody = true
  emit(r, page ?? '', true)
  return true
}

/** nginx turns keepalive off after these special responses (not after a handler's own 500). */
const CLOSE_AFTER_PAGE = new Set([400, 413, 414, 494, 495, 496, 497, 500, 501])

export function redirect(r: NgxRequest, uri: string, status: number): never {
  if (typeof uri !== 'string') throw argError('bad argument #1 to \'redirect\' (string expected)')
  if (!REDIRECTS.has(status)) {
    throw argError('only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed')
  }
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i)
    if (c === 13 || c === 10) {
      const shown = uri.replace(/[\x00-\x1f\x7f"\\]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
      throw argError(`unsafe byte "0x${c.toString(16).padStart(2, '0')}" in redirect uri "${shown}"`)
    }
  }
  if (r._headersSent) throw stateError('attempt to call ngx.redirect after sending out the headers')
  r._headers().set('Location', uri)
  r._exitCode = status
  throw EXIT
}

/** Closes the connection without (more of) a response, as nginx's terminate. */
export function abort(r: NgxRequest): void {
  r._eof = true
  const res = r._res
  if (res !== undefined && !res.destroyed) res.destroy()
}
