// ngx.req: the request side of the API, bound to one request.
import { decodeArgs, decodeUriArgs, encodeArgs } from './args.ts'
import { discardBody, readBody } from './body.ts'
import { methodName } from './constants.ts'
import { argError, phaseError, stateError } from './errors.ts'
import type { ArgsResult, HeadersResult, NgxReq } from './ngx.ts'
import { CONTEXT_NAME, CTX_BODY_DATA, CTX_POST_ARGS, CTX_RAC, CTX_REQ_WRITE, CTX_REQUEST, PHASE_BIT } from './phase.ts'
import type { NgxRequest } from './request.ts'
import type { SocketDataOptions } from './cosocket.ts'
import { requestSocket } from './req-socket.ts'
import type { ReqSocketErr, RequestSocket } from './req-socket.ts'
import type { Result } from './result.ts'
import { JUMP } from './signals.ts'
import { checkSetUri } from './uri.ts'

export class ReqApi implements NgxReq {
  readonly #r: NgxRequest
  constructor(r: NgxRequest) {
    this.#r = r
  }

  getMethod(): string {
    return this.#r._method
  }

  setMethod(id: number): void {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_REQ_WRITE)
    const name = methodName(id)
    if (name === undefined) throw argError(`unsupported HTTP method: ${id}`)
    r._method = name
  }

  getHeaders(max = 100, raw = false): HeadersResult {
    this.#r._checkPhaseOrThrow(CTX_REQUEST)
    return this.#r._reqH().getAll(max, raw)
  }

  setHeader(name: string, value: string | number | readonly (string | number)[] | null | undefined): void {
    this.#r._checkPhaseOrThrow(CTX_REQ_WRITE)
    this.#r._reqH().set(name, value)
  }

  clearHeader(name: string): void {
    this.#r._checkPhaseOrThrow(CTX_REQ_WRITE)
    this.#r._reqH().set(name, undefined)
  }

  addHeader(name: string, value: string | number | readonly (string | number)[]): void {
    this.#r._checkPhaseOrThrow(CTX_REQ_WRITE)
    this.#r._reqH().add(name, value)
  }

  getUriArgs(max = 100): ArgsResult {
    this.#r._checkPhaseOrThrow(CTX_REQUEST)
    return decodeUriArgs(this.#r._args, max)
  }

  setUriArgs(args: string | Readonly<Record<string, unknown>>): void {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_REQ_WRITE)
    r._args = typeof args === 'string' ? args : encodeArgs(args)
    r._unparsedValid = false
  }

  getPostArgs(max = 100): ArgsResult {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_POST_ARGS)
    if (r._bodyDiscarded) return { args: Object.create(null) as ArgsResult['args'], truncated: false }
    if (!r._bodyRead) throw stateError('no request body found; maybe you should turn on lua_need_request_body?')
    return decodeArgs(r._body === undefined ? '' : r._body.toString(), max)
  }

  socket(): Result<RequestSocket, ReqSocketErr>
  socket(opts: SocketDataOptions & { readonly binary: true }): Result<RequestSocket<Buffer>, ReqSocketErr>
  socket(opts: SocketDataOptions): Result<RequestSocket | RequestSocket<Buffer>, ReqSocketErr>
  socket(opts: SocketDataOptions = {}): Result<RequestSocket | RequestSocket<Buffer>, ReqSocketErr> {
    return requestSocket(this.#r, opts)
  }

  readBody(): Promise<void> {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_RAC)
    return readBody(r)
  }

  discardBody(): void {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_RAC)
    discardBody(r)
  }

  getBodyData(maxBytes?: number): string | undefined {
    return this.getBodyBuffer(maxBytes)?.toString()
  }

  getBodyBuffer(maxBytes?: number): Buffer | undefined {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_BODY_DATA)
    const b = r._body
    if (b === undefined || b.length === 0) return undefined
    return maxBytes !== undefined && maxBytes > 0 && maxBytes < b.length ? b.subarray(0, maxBytes) : b
  }

  setBodyData(data: string | Uint8Array): void {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_RAC)
    if (!r._bodyRead) throw stateError('request body not read yet')
    r._body = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  }

  httpVersion(): number {
    return Number(this.#r._in.httpVersion)
  }

  rawHeader(noRequestLine = false): string {
    const r = this.#r
    return r._reqH().rawHeader(noRequestLine ? undefined : r._requestLine())
  }

  startTime(): number {
    return this.#r._main._startMs / 1000
  }

  setUri(uri: string, jump = false): void {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_REQ_WRITE)
    if (typeof uri !== 'string') throw argError('bad argument #1 to \'set_uri\' (string expected)')
    const bad = checkSetUri(uri)
    if (bad !== undefined) throw argError(bad)
    if (jump && (PHASE_BIT[r._phase] & (PHASE_BIT.rewrite | PHASE_BIT.server_rewrite)) === 0) {
      throw phaseError(CONTEXT_NAME[r._phase])
    }
    r._uri = uri
    r._unparsedValid = false
    // proxy_pass then sends the new URI whole (ngx_lua clears nginx's valid_location)
    r._validLocation = false
    if (jump) throw JUMP
  }

  isInternal(): boolean {
    return this.#r._internal
  }
}
