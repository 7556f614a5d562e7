// ngx.header (a Proxy over the response headers) and ngx.resp.
import { LOG_LEVELS } from './constants.ts'
import type { HeaderTable, HeadersResult, NgxResp } from './ngx.ts'
import { CTX_HEADER, CTX_VAR } from './phase.ts'
import type { NgxRequest } from './request.ts'

type HeaderValue = string | number | readonly (string | number)[] | null | undefined

function setHeader(r: NgxRequest, name: string, value: unknown): void {
  if (r._headersSent && r._phase !== 'header_filter') {
    r._logRaw(LOG_LEVELS.ERR, 'attempt to set ngx.header.HEADER after sending out response headers')
    return
  }
  r._headers().set(name, value as HeaderValue)
}

const handler: ProxyHandler<NgxRequest> = {
  get: (r, key) => (typeof key === 'symbol' ? undefined : r._respHeaders?.get(key)),
  set: (r, key, value) => {
    if (typeof key === 'symbol') return false
    setHeader(r, key, value)
    return true
  },
  deleteProperty: (r, key) => {
    if (typeof key !== 'symbol') setHeader(r, key, undefined)
    return true
  },
  has: (r, key) => typeof key === 'string' && r._respHeaders?.get(key) !== undefined,
}

export function headerProxy(r: NgxRequest): HeaderTable {
  return new Proxy(r, handler) as unknown as HeaderTable
}

export class RespApi implements NgxResp {
  readonly #r: NgxRequest
  constructor(r: NgxRequest) {
    this.#r = r
  }

  getHeaders(max = 100, raw = false): HeadersResult {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_VAR)
    const h = r._headers()
    // ngx.resp.get_headers reports nginx's keepalive state as "connection".
    h.connection = r._parent !== undefined ? undefined : r._main._res?.shouldKeepAlive === false ? 'close' : 'keep-alive'
    return h.getAll(max, raw)
  }

  addHeader(name: string, value: string | number | readonly (string | number)[]): void {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_HEADER)
    if (r._headersSent && r._phase !== 'header_filter') {
      r._logRaw(LOG_LEVELS.ERR, 'attempt to set ngx.header.HEADER after sending out response headers')
      return
    }
    r._headers().add(name, value)
  }
}
