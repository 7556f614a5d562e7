// ngx.location.capture / capture_multi: subrequests run through the location pipeline in
// memory (server rewrite, rewrite, content, filters; no access phase, no log phase) and
// their response is captured instead of sent.
import { encodeArgs } from './args.ts'
import { methodName } from './constants.ts'
import { argError } from './errors.ts'
import type { CaptureOptions, CaptureResult, NgxLocation } from './ngx.ts'
import { CTX_RAC } from './phase.ts'
import { NgxRequest } from './request.ts'
import { RequestHeaders } from './req-headers.ts'
import { run } from './runner.ts'

export class CaptureSink {
  #resolve: (r: CaptureResult) => void
  #done = false
  constructor(resolve: (r: CaptureResult) => void) {
    this.#resolve = resolve
  }

  /** Called once the subrequest's output ended (data = the whole body). */
  finish(r: NgxRequest, data: string | Buffer | undefined, truncated = false): void {
    if (this.#done) return
    this.#done = true
    const body = data === undefined ? Buffer.alloc(0) : typeof data === 'string' ? Buffer.from(data) : data
    const h = r._headers()
    h.connection = undefined
    const header = h.getAll(0, true).headers
    const type = header['content-type'] ?? (h.contentTypeSet ? undefined : r._loc.defaultType || undefined)
    delete header['content-type']
    if (type !== undefined) header['Content-Type'] = type
    this.#resolve({
      status: r._status === 0 ? 200 : r._status,
      header,
      body: body.toString(),
      bodyBuffer: body,
      truncated: truncated || r._aborted,
    })
  }
}

function start(parent: NgxRequest, uri: string, o: CaptureOptions): Promise<CaptureResult> {
  if (typeof uri !== 'string' || uri === '') throw argError(`unsafe uri in argument #1: ${typeof uri === 'string' ? uri : ''}`)
  if (uri.charCodeAt(0) === 64) throw argError('named locations are not supported by ngx.location.capture')
  const r = new NgxRequest(parent._rt, parent._srv, parent._in, undefined, parent)
  const method = o.method === undefined ? 'GET' : methodName(o.method)
  if (method === undefined) throw argError(`unsupported HTTP method: ${o.method}`)
  r._method = method
  const q = uri.indexOf('?')
  let args = q < 0 ? '' : uri.slice(q + 1)
  if (o.args !== undefined) {
    const extra = typeof o.args === 'string' ? o.args : encodeArgs(o.args)
    args = args === '' ? extra : extra === '' ? args : `${args}&${extra}`
  }
  r._uri = q < 0 ? uri : uri.slice(0, q)
  r._args = args
  r._internal = true
  const h = new RequestHeaders(parent._reqH().raw())
  if (o.headers !== undefined) for (const [k, v] of Object.entries(o.headers)) h.set(k, v)
  let body: Buffer | undefined = o.body === undefined ? undefined : typeof o.body === 'string' ? Buffer.from(o.body) : Buffer.from(o.body)
  if (body === undefined && (o.alwaysForwardBody === true || method === 'POST' || method === 'PUT')) body = parent._body
  if (body !== undefined) h.set('Content-Length', String(body.length))
  else h.set('Content-Length', undefined)
  r._reqHeaders = h
  r._body = body
  r._bodyRead = true
  if (o.ctx !== undefined) r._ctx = o.ctx
  if (o.shareAllVars === true) r._vars = (parent._vars ??= new Map())
  else if (o.copyAllVars === true && parent._vars !== undefined) r._vars = new Map(parent._vars)
  if (o.vars !== undefined) for (const [k, v] of Object.entries(o.vars)) r.var[k] = v
  return new Promise<CaptureResult>((resolve) => {
    r._capture = new CaptureSink(resolve)
    run(r)
  })
}

export class LocationApi implements NgxLocation {
  readonly #r: NgxRequest
  constructor(r: NgxRequest) {
    this.#r = r
  }

  capture(uri: string, options: CaptureOptions = {}): Promise<CaptureResult> {
    this.#r._checkPhaseOrThrow(CTX_RAC)
    return start(this.#r, uri, options)
  }

  captureMulti(requests: ReadonlyArray<readonly [uri: string, options?: CaptureOptions]>): Promise<CaptureResult[]> {
    this.#r._checkPhaseOrThrow(CTX_RAC)
    if (!Array.isArray(requests) || requests.length === 0) throw argError('at least one subrequest should be specified')
    return Promise.all(requests.map(([uri, o]) => start(this.#r, uri, o ?? {})))
  }
}
