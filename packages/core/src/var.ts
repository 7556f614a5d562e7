// nginx variables: the built-ins a gateway reads, the prefixed families (`arg_`, `http_`,
// `cookie_`, `sent_http_`), regex captures, and user variables declared with `set`.
// `ngx.var` is a Proxy over one request; templates and the access log use lookupVar.
import { randomBytes } from 'node:crypto'
import { hostname as osHostname } from 'node:os'
import { argError } from './errors.ts'
import type { VarTable } from './ngx.ts'
import type { NgxRequest } from './request.ts'
import { errorLogTime, nowMs, timeIso8601, timeLocal } from './time.ts'
import { luaNumberToString } from './tostring.ts'

type Getter = (r: NgxRequest) => string | undefined

const HOSTNAME = osHostname()
const REQUEST_ID = ' request_id'

function remoteAddr(r: NgxRequest): string {
  const a = r._in.socket?.remoteAddress ?? ''
  return a.startsWith('::ffff:') ? a.slice(7) : a
}

function localAddr(r: NgxRequest): string {
  const a = r._in.socket?.localAddress ?? ''
  return a.startsWith('::ffff:') ? a.slice(7) : a
}

function binaryAddr(a: string): string {
  if (a.includes(':')) {
    // IPv6: expand `::` and pack 8 groups into 16 bytes.
    const [head = '', tail = ''] = a.split('::')
    const h = head === '' ? [] : head.split(':')
    const t = tail === '' ? [] : tail.split(':')
    const groups = a.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h
    return groups.map((g) => { const n = parseInt(g, 16); return String.fromCharCode(n >> 8, n & 255) }).join('')
  }
  return a.split('.').map((o) => String.fromCharCode(Number(o))).join('')
}

function host(r: NgxRequest): string {
  if (r._main._targetHost !== undefined) return r._main._targetHost
  const h = r._reqH().get("host")
  if (h !== undefined && h !== '') {
    let end = h.length
    if (h.charCodeAt(0) !== 91 /* [ */) { const c = h.indexOf(':'); if (c >= 0) end = c }
    const v = h.slice(0, end).toLowerCase()
    return v.endsWith('.') ? v.slice(0, -1) : v
  }
  return r._srv.primaryName
}

function remoteUser(r: NgxRequest): string | undefined {
  const auth = r._reqH().get('authorization')
  if (auth === undefined || !/^basic /i.test(auth)) return undefined
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('latin1')
  const i = decoded.indexOf(':')
  return i < 0 ? undefined : decoded.slice(0, i)
}

function requestLength(r: NgxRequest): string {
  const raw = r._in.rawHeaders
  let n = r._requestLine().length + 2 + 2
  for (let i = 0; i < raw.length; i += 2) n += raw[i]!.length + 2 + raw[i + 1]!.length + 2
  return String(n + (r._body?.length ?? 0))
}

function argValue(args: string, name: string): string | undefined {
  if (args === '') return undefined
  const lname = name.toLowerCase()
  let start = 0
  while (start <= args.length) {
    let end = args.indexOf('&', start)
    if (end < 0) end = args.length
    const eq = args.indexOf('=', start)
    const keyEnd = eq >= 0 && eq < end ? eq : end
    if (keyEnd - start === name.length && args.slice(start, keyEnd).toLowerCase() === lname) {
      return keyEnd === end ? '' : args.slice(keyEnd + 1, end)
    }
    start = end + 1
  }
  return undefined
}

const BUILTIN: ReadonlyMap<string, Getter> = new Map<string, Getter>([
  ['uri', (r) => r._uri],
  ['document_uri', (r) => r._uri],
  ['request_uri', (r) => r._main._requestUri],
  ['args', (r) => (r._args === '' ? undefined : r._args)],
  ['query_string', (r) => (r._args === '' ? undefined : r._args)],
  ['is_args', (r) => (r._args === '' ? '' : '?')],
  ['host', host],
  ['hostname', () => HOSTNAME],
  ['remote_addr', remoteAddr],
  ['binary_remote_addr', (r) => binaryAddr(remoteAddr(r))],
  ['remote_port', (r) => String(r._in.socket?.remotePort ?? '')],
  ['remote_user', remoteUser],
  ['server_addr', localAddr],
  ['server_port', (r) => String(r._in.socket?.localPort ?? '')],
  ['server_name', (r) => r._srv.primaryName],
  ['server_protocol', (r) => `HTTP/${r._in.httpVersion}`],
  ['scheme', () => 'http'],
  ['https', () => ''],
  ['request_method', (r) => r._method],
  ['request', (r) => r._requestLine()],
  ['request_time', (r) => ((nowMs() - r._main._startMs) / 1000).toFixed(3)],
  ['msec', () => (nowMs() / 1000).toFixed(3)],
  ['time_local', () => timeLocal(nowMs())],
  ['time_iso8601', () => timeIso8601(nowMs())],
  ['status', (r) => String(r._status).padStart(3, '0')],
  ['body_bytes_sent', (r) => String(r._bodySent)],
  ['bytes_sent', (r) => String(r._bodySent)],
  ['request_length', requestLength],
  ['content_type', (r) => r._reqH().get('content-type')],
  ['content_length', (r) => r._reqH().get('content-length')],
  ['request_body', (r) => (r._body === undefined || r._body.length === 0 ? undefined : r._body.toString())],
  ['request_id', (r) => {
    const vars = (r._main._vars ??= new Map())
    let id = vars.get(REQUEST_ID)
    if (id === undefined) vars.set(REQUEST_ID, (id = randomBytes(16).toString('hex')))
    return id
  }],
  ['pid', () => String(process.pid)],
  ['nginx_version', () => '1.22.1'],
  ['connection', (r) => String(r._connId())],
  ['connection_requests', (r) => String(r._connRequests())],
  ['limit_rate', () => '0'],
  ['document_root', (r) => `${r._rt.gw.prefix}/html`],
  ['realpath_root', (r) => `${r._rt.gw.prefix}/html`],
  ['time_errlog', () => errorLogTime(nowMs())],
  // proxying (proxy.ts): one entry per try, as nginx joins them
  ['upstream_addr', (r) => r._upstream?.variable(0)],
  ['upstream_status', (r) => r._upstream?.variable(1)],
  ['upstream_response_time', (r) => r._upstream?.variable(2)],
  ['upstream_connect_time', (r) => r._upstream?.variable(3)],
  ['upstream_header_time', (r) => r._upstream?.variable(4)],
  ['upstream_response_length', (r) => (r._upstream === undefined ? undefined : String(r._upstream.responseLength))],
  ['upstream_bytes_received', (r) => (r._upstream === undefined ? undefined : String(r._upstream.responseLength))],
  ['proxy_host', (r) => r._upstream?.proxyHost],
  ['proxy_port', (r) => r._upstream?.proxyPort],
  ['proxy_add_x_forwarded_for', (r) => {
    const xff = r._reqH().get('x-forwarded-for')
    return xff === undefined ? remoteAddr(r) : `${xff}, ${remoteAddr(r)}`
  }],
])

/** `$upstream_http_NAME`: a header of the backend's answer. */
function upstreamHeader(r: NgxRequest, name: string): string | undefined {
  const raw = r._upstream?.headers
  if (raw === undefined) return undefined
  const want = name.replaceAll('_', '-')
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === want) return raw[i + 1]
  return undefined
}

/** A variable's value, or undefined when it does not exist or is not set. */
export function lookupVar(r: NgxRequest, name: string): string | undefined {
  const vars = r._vars
  if (vars !== undefined) {
    const v = vars.get(name)
    if (v !== undefined) return v
  }
  const g = BUILTIN.get(name)
  if (g !== undefined) return g(r)
  const c0 = name.charCodeAt(0)
  if (c0 >= 48 && c0 <= 57) return r._captures?.[Number(name)]
  if (name.startsWith('arg_')) return argValue(r._args, name.slice(4))
  if (name.startsWith('http_')) return r._reqH().get(name.slice(5))
  if (name.startsWith('cookie_')) return r._reqH().cookie(name.slice(7))
  if (name.startsWith('upstream_http_')) return upstreamHeader(r, name.slice(14))
  if (name.startsWith('sent_http_')) {
    const v = r._respHeaders?.get(name.slice(10))
    return Array.isArray(v) ? v.join(', ') : (v as string | undefined)
  }
  return r._groups?.[name]
}

const WRITABLE = new Set(['args', 'limit_rate'])

/** ngx.var.NAME = value, with ngx_lua's errors. */
function setVar(r: NgxRequest, name: string, value: unknown): void {
  let v: string | undefined
  if (value === undefined || value === null) v = undefined
  else if (typeof value === 'string') v = value
  else if (typeof value === 'number') v = luaNumberToString(value)
  else throw argError('bad variable value')
  if (r._rt.gw.declaredVars.has(name)) {
    const vars = (r._vars ??= new Map())
    if (v === undefined) vars.delete(name)
    else vars.set(name, v)
    return
  }
  if (WRITABLE.has(name)) {
    if (name !== 'limit_rate') {
      r._args = v ?? ''
      r._unparsedValid = false
    }
    return
  }
  if (BUILTIN.has(name) || /^(arg|http|cookie|sent_http)_|^\d+$/.test(name)) {
    throw argError(`variable "${name}" not changeable`)
  }
  throw argError(`variable "${name}" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $${name} '';" in the config file to define it first`)
}

const handler: ProxyHandler<NgxRequest> = {
  get: (r, key) => (typeof key === 'symbol' ? undefined : lookupVar(r, key)),
  set: (r, key, value) => {
    if (typeof key === 'symbol') return false
    setVar(r, key, value)
    return true
  },
  has: (r, key) => typeof key === 'string' && lookupVar(r, key) !== undefined,
}

export function varProxy(r: NgxRequest): VarTable {
  return new Proxy(r, handler) as unknown as VarTable
}
