// proxy_pass: the content handler that forwards a request to a backend over undici and
// streams the answer back through the header and body filters. It picks a peer for each try
// (upstream.ts, or the balancer phase), retries as proxy_next_upstream allows, and fails as
// nginx does: 502 for a refused connection or a bad answer, 504 for a timeout, with nginx's
// error-log lines. Bodies stream both ways with backpressure; nothing is buffered whole.
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import { LOG_LEVELS } from './constants.ts'
import { ConfError, systemErrorText } from './errors.ts'
import type { Duration, Handler, NextUpstreamCondition, ProxySettings } from './gateway.ts'
import type { LogContext } from './log.ts'
import * as output from './output.ts'
import type { NgxRequest, Runtime } from './request.ts'
import { EXEC, EXIT } from './signals.ts'
import { compileTemplate } from './template.ts'
import type { Template, VarLookup } from './template.ts'
import { escapeUri } from './escape.ts'
import { updateTime } from './time.ts'
import { parseSize, parseTime } from './units.ts'
import { implicitUpstream, PeerPicker, UpstreamState } from './upstream.ts'
import type { PeerState, UpstreamConf } from './upstream.ts'
import { runBalancer } from './balancer.ts'

// ---------------------------------------------------------------------------------------------
// Settings

/** proxy_next_upstream conditions as bits (nginx's NGX_HTTP_UPSTREAM_FT_*). */
const FT = {
  error: 1, timeout: 2, invalid_header: 4, http_500: 8, http_502: 16, http_503: 32, http_504: 64,
  http_403: 128, http_404: 256, http_429: 512, non_idempotent: 1024, nolive: 2048,
} as const
const FT_STATUS: ReadonlyMap<number, number> = new Map([[500, FT.http_500], [502, FT.http_502], [503, FT.http_503], [504, FT.http_504], [403, FT.http_403], [404, FT.http_404], [429, FT.http_429]])

interface SetHeader {
  readonly lname: string
  readonly name: string
  readonly value: Template
}

/** A location's proxy_* settings, merged down from http and server. */
export interface ProxyConf {
  /** What is sent first, in order (proxy_set_header, then nginx's defaults not overridden). */
  readonly setHeaders: readonly SetHeader[]
  /** Lower-cased names the client's own headers are not sent under. */
  readonly setNames: ReadonlySet<string>
  readonly passRequestHeaders: boolean
  readonly passRequestBody: boolean
  readonly http11: boolean
  readonly connectTimeout: number
  readonly sendTimeout: number
  readonly readTimeout: number
  readonly nextUpstream: number
  readonly nextUpstreamTries: number
  readonly nextUpstreamTimeout: number
  readonly buffering: boolean
  readonly hide: ReadonlySet<string>
  readonly interceptErrors: boolean
  readonly ignoreClientAbort: boolean
  /** X-Accel-Redirect from the backend is followed (unless proxy_ignore_headers names it). */
  readonly accelRedirect: boolean
  /** proxy_buffer_size: the backend's status line and headers must fit (else "too big header"). */
  readonly bufferSize: number
  /** What the level set itself (the rest is inherited), for merging the next level. */
  readonly own: ProxySettings
}

/** nginx's default proxy_set_header list, after the configured ones. */
const DEFAULT_SET: readonly [string, string][] = [
  ['Host', '$proxy_host'], ['Connection', 'close'], ['Content-Length', ''], ['Transfer-Encoding', ''],
  ['TE', ''], ['Keep-Alive', ''], ['Expect', ''], ['Upgrade', ''],
]
/** Response headers nginx does not pass (proxy_hide_header's defaults); and those it replaces with its own. */
const DEFAULT_HIDE = ['date', 'server', 'x-pad', 'x-accel-expires', 'x-accel-redirect', 'x-accel-limit-rate', 'x-accel-buffering', 'x-accel-charset']
const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'transfer-encoding'])

/** proxy_* of a level over its parent's (nginx's merge_loc_conf). */
export function mergeProxyConf(parent: ProxyConf | undefined, s: ProxySettings | undefined): ProxyConf {
  if (parent !== undefined && s === undefined) return parent
  const own: ProxySettings = { ...parent?.own, ...s }
  const setList: SetHeader[] = []
  const names = new Set<string>()
  for (const [name, value] of Object.entries(own.setHeaders ?? {})) {
    const lname = name.toLowerCase()
    if (names.has(lname)) continue
    names.add(lname)
    setList.push({ lname, name, value: compileTemplate(value) })
  }
  for (const [name, value] of DEFAULT_SET) {
    const lname = name.toLowerCase()
    if (names.has(lname)) continue
    names.add(lname)
    setList.push({ lname, name, value: compileTemplate(value) })
  }
  let next = 0
  const conds = own.nextUpstream === undefined ? ['error', 'timeout'] : own.nextUpstream === false ? [] : own.nextUpstream
  for (const c of conds) {
    const bit = FT[c as NextUpstreamCondition]
    if (bit === undefined) throw new ConfError(`invalid value "${String(c)}"`)
    next |= bit
  }
  const pass = new Set((own.passHeaders ?? []).map((h) => h.toLowerCase()))
  const hide = new Set([...DEFAULT_HIDE.filter((h) => !pass.has(h)), ...(own.hideHeaders ?? []).map((h) => h.toLowerCase())])
  const tries = own.nextUpstreamTries ?? 0
  if (!Number.isInteger(tries) || tries < 0) throw new ConfError(`invalid value "${String(tries)}" in "proxy_next_upstream_tries" directive`)
  const ms = (d: Duration | undefined, dflt: string, what: string): number => parseTime(d ?? dflt, what)
  if (own.httpVersion !== undefined && own.httpVersion !== '1.0' && own.httpVersion !== '1.1') throw new ConfError(`invalid value "${String(own.httpVersion)}" in "proxy_http_version" directive`)
  return {
    setHeaders: setList,
    setNames: names,
    passRequestHeaders: own.passRequestHeaders ?? true,
    passRequestBody: own.passRequestBody ?? true,
    http11: own.httpVersion === '1.1',
    connectTimeout: ms(own.connectTimeout, '60s', 'proxy_connect_timeout'),
    sendTimeout: ms(own.sendTimeout, '60s', 'proxy_send_timeout'),
    readTimeout: ms(own.readTimeout, '60s', 'proxy_read_timeout'),
    nextUpstream: next,
    nextUpstreamTries: tries,
    nextUpstreamTimeout: ms(own.nextUpstreamTimeout, '0', 'proxy_next_upstream_timeout'),
    buffering: own.buffering ?? true,
    hide,
    interceptErrors: own.interceptErrors ?? false,
    ignoreClientAbort: own.ignoreClientAbort ?? false,
    accelRedirect: !(own.ignoreHeaders ?? []).some((h) => h.toLowerCase() === 'x-accel-redirect'),
    bufferSize: own.bufferSize === undefined ? 4096 : parseSize(own.bufferSize, 'proxy_buffer_size'),
    own,
  }
}

// ---------------------------------------------------------------------------------------------
// proxy_pass targets

/** A compiled `proxy_pass` URL. */
export interface ProxyTarget {
  readonly source: string
  /** Set when the URL has variables: it is rendered per request. */
  readonly template: Template | undefined
  /** The upstream group (named, or the one peer of a literal `host:port`). */
  readonly upstream: UpstreamConf | undefined
  readonly proxyHost: string
  readonly proxyPort: string
  /** The URL's URI part (from its first `/`), undefined without one. */
  readonly uri: string | undefined
  /** How much of `$uri` the URI part replaces: the location's prefix length. */
  readonly locLen: number
}

interface ParsedUrl {
  readonly host: string
  readonly port: number
  readonly portGiven: boolean
  readonly uri: string | undefined
  readonly unix: string | undefined
}

/** `http://host[:port][/uri]` or `http://unix:/path:[/uri]`; undefined when not http(s). */
function parseUrl(url: string): ParsedUrl | undefined {
  const m = /^http:\/\//i.exec(url)
  if (m === null) return undefined
  const rest = url.slice(m[0].length)
  if (rest.startsWith('unix:')) {
    const c = rest.indexOf(':', 5)
    const path = c < 0 ? rest.slice(5) : rest.slice(5, c)
    const uri = c < 0 ? undefined : rest.slice(c + 1) || undefined
    return { host: 'localhost', port: 80, portGiven: false, uri, unix: path }
  }
  const slash = rest.indexOf('/')
  const authority = slash < 0 ? rest : rest.slice(0, slash)
  const uri = slash < 0 ? undefined : rest.slice(slash)
  const hm = /^\[([^\]]*)\](?::(\d*))?$|^([^:]*)(?::(\d*))?$/.exec(authority)
  if (hm === null) return undefined
  const host = hm[1] ?? hm[3] ?? ''
  const p = hm[2] ?? hm[4]
  return { host, port: p === undefined || p === '' ? 80 : Number(p), portGiven: p !== undefined && p !== '', uri, unix: undefined }
}

/**
 * Compiles `proxy_pass url` of a location. `locPrefix` is the location's literal prefix (for a
 * URI part to replace), or undefined for regex and named locations, where a URI part is refused.
 */
export function compileProxyPass(url: string, locPrefix: string | undefined, upstreams: ReadonlyMap<string, UpstreamConf>): ProxyTarget {
  if (typeof url !== 'string') throw new ConfError('"proxy_pass" needs a URL')
  const t = compileTemplate(url)
  if (t.constant === undefined) {
    return { source: url, template: t, upstream: undefined, proxyHost: '', proxyPort: '', uri: undefined, locLen: 0 }
  }
  if (/^https:\/\//i.test(url)) throw new ConfError(`https upstreams are not supported in "${url}"`)
  const u = parseUrl(url)
  if (u === undefined) throw new ConfError(`invalid URL prefix in "${url}"`)
  if (u.host === '' && u.unix === undefined) throw new ConfError(`no host in "${url}"`)
  if (u.uri !== undefined && locPrefix === undefined) {
    throw new ConfError('"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block')
  }
  let upstream: UpstreamConf | undefined
  if (u.unix !== undefined) upstream = implicitUpstream(`unix:${u.unix}`, 0)
  else if (!u.portGiven && upstreams.has(u.host)) upstream = upstreams.get(u.host)
  else upstream = implicitUpstream(u.host, u.port)
  const proxyHost = u.unix !== undefined ? 'localhost' : u.portGiven && u.port !== 80 ? `${u.host}:${u.port}` : u.host
  return {
    source: url,
    template: undefined,
    upstream,
    proxyHost,
    proxyPort: String(u.port),
    uri: u.uri,
    locLen: u.uri !== undefined ? (locPrefix ?? '').length : 0,
  }
}

// ---------------------------------------------------------------------------------------------
// One proxied request

const secs = (ms: number): string => (ms / 1000).toFixed(3)

/**
 * What `$upstream_*` report, one entry per try (joined by `, `). The try running now is kept
 * in numbers and formatted only when a variable is read; earlier tries are kept formatted.
 */
export class UpstreamRun {
  /** Tries begun. */
  count = 0
  /** The current try: its peer, status (0 until known), and times in ms (-1: not reached). */
  addr = ''
  status = 0
  t0 = 0
  connectAt = -1
  headerAt = -1
  endAt = -1
  /** The earlier tries, formatted and each followed by `, `: addr, status, time, connect, header. */
  earlier: string[] | undefined = undefined
  /** The last answer's headers, `[name, value, …]`. */
  headers: string[] | undefined = undefined
  /** Body bytes of the last answer ($upstream_response_length, $upstream_bytes_received). */
  responseLength = 0
  proxyHost = ''
  proxyPort = ''
  // ---- the balancer phase (balancer.ts) ----
  /** The peer set_current_peer chose for this try. */
  peer: { host: string; port: number; name: string } | undefined = undefined
  lastFailure: { state: 'failed' | 'next'; code: number } | undefined = undefined
  tries = 0
  triesCap = 0
  /** set_timeouts (ms; undefined: the location's). */
  timeouts: { connectTimeout: number | undefined; sendTimeout: number | undefined; readTimeout: number | undefined } | undefined = undefined
  /** recreate_request: the headers are built again for the next try. */
  recreate = false

  /** A new try to `addr`. */
  begin(addr: string, now: number): void {
    if (this.count > 0) {
      const e = (this.earlier ??= ['', '', '', '', ''])
      e[0] += `${this.addr}, `
      e[1] += `${this.statusText()}, `
      e[2] += `${this.timeText(this.endAt)}, `
      e[3] += `${this.timeText(this.connectAt)}, `
      e[4] += `${this.timeText(this.headerAt)}, `
    }
    this.count++
    this.addr = addr
    this.status = 0
    this.t0 = now
    this.connectAt = -1
    this.headerAt = -1
    this.endAt = -1
  }

  statusText(): string {
    return this.status === 0 ? '' : String(this.status)
  }

  timeText(at: number): string {
    return at < 0 ? '-' : secs(at - this.t0)
  }

  /** `$upstream_addr` … `$upstream_header_time` (`which`: 0 … 4). */
  variable(which: number): string {
    let cur: string
    switch (which) {
      case 0: cur = this.addr; break
      case 1: cur = this.statusText(); break
      // a try still running reports the time so far
      case 2: cur = secs((this.endAt < 0 ? performance.now() : this.endAt) - this.t0); break
      case 3: cur = this.timeText(this.connectAt); break
      default: cur = this.timeText(this.headerAt)
    }
    return this.earlier === undefined ? cur : this.earlier[which]! + cur
  }
}

/** Per worker: each upstream group's state, and the groups made for addresses met at run time. */
interface ProxyState {
  readonly groups: Map<UpstreamConf, UpstreamState>
  readonly byAddress: Map<string, UpstreamConf>
}
const states = new WeakMap<Runtime, ProxyState>()

function stateOf(rt: Runtime): ProxyState {
  let s = states.get(rt)
  if (s === undefined) states.set(rt, (s = { groups: new Map(), byAddress: new Map() }))
  return s
}

function group(rt: Runtime, conf: UpstreamConf): UpstreamState {
  const s = stateOf(rt)
  let g = s.groups.get(conf)
  if (g === undefined) s.groups.set(conf, (g = new UpstreamState(conf)))
  return g
}

/** The group of an address met at run time (a variable proxy_pass, or a balancer's peer). */
function addressGroup(rt: Runtime, host: string, port: number): UpstreamConf {
  const s = stateOf(rt)
  const key = `${host}:${port}`
  let c = s.byAddress.get(key)
  if (c === undefined) s.byAddress.set(key, (c = implicitUpstream(host, port)))
  return c
}

/** Upgrade requests (WebSocket) and the bytes that came after their headers. */
const upgrades = new WeakMap<IncomingMessage, Buffer>()

/** The server marks an upgrade request (node's 'upgrade' event) before running it. */
export function noteUpgrade(req: IncomingMessage, head: Buffer): void {
  upgrades.set(req, head)
}

/** Closes the worker's upstream connections (worker shutdown). */
export function closeUpstreams(rt: Runtime): Promise<unknown> {
  const s = states.get(rt)
  if (s === undefined) return Promise.resolve()
  states.delete(rt)
  return Promise.all([...s.groups.values()].map((g) => g.close()))
}

/** A failed try: how nginx words it and what it ends with. */
interface Failure {
  readonly ft: number
  readonly status: number
  /** The error-log text, undefined when nothing is logged (a status that is retried). */
  readonly text: string | undefined
  readonly action: string
  /** A network failure (counts toward max_fails); else a status passed on (`next`). */
  readonly failed: boolean
  /** X-Accel-Redirect: where the request goes instead. */
  readonly redirect?: string
}

const ACTION_CONNECT = 'connecting to upstream'
const ACTION_SEND = 'sending request to upstream'
const ACTION_HEADER = 'reading response header from upstream'
const ACTION_BODY = 'reading upstream'

/** The content handler of a location with `proxyPass`. */
export function proxyHandler(target: ProxyTarget): Handler {
  // The runner calls content handlers with the request itself.
  return ((r: NgxRequest) => proxy(r, target)) as unknown as Handler
}

let cur: NgxRequest | undefined
const lookupCur: VarLookup = (name) => (cur as NgxRequest)._lookupVar(name)

async function proxy(r: NgxRequest, target: ProxyTarget): Promise<void> {
  const conf = r._loc.proxy
  const run = (r._upstream = new UpstreamRun())
  const rt = r._rt
  let up = target.upstream
  let uriPart = target.uri
  let locLen = target.locLen
  run.proxyHost = target.proxyHost
  run.proxyPort = target.proxyPort
  if (target.template !== undefined) {
    cur = r
    const url = target.template.render(lookupCur)
    const u = parseUrl(url)
    if (u === undefined || (u.host === '' && u.unix === undefined)) {
      r._logRaw(LOG_LEVELS.ERR, `invalid URL prefix in "${url}"`)
      return fail(r, 500)
    }
    const named = u.portGiven || u.unix !== undefined ? undefined : rt.gw.upstreams.get(u.host)
    if (named === undefined && u.unix === undefined && isIP(u.host) === 0 && !r._loc.cosocket.resolver) {
      r._logRaw(LOG_LEVELS.ERR, `no resolver defined to resolve ${u.host}`)
      return fail(r, 502)
    }
    up = named ?? (u.unix !== undefined ? addressGroup(rt, `unix:${u.unix}`, 0) : addressGroup(rt, u.host, u.port))
    run.proxyHost = u.unix !== undefined ? 'localhost' : u.portGiven && u.port !== 80 ? `${u.host}:${u.port}` : u.host
    run.proxyPort = String(u.port)
    // With variables, a URI part is sent as it is, replacing the request's.
    uriPart = u.uri
    locLen = -1
  }
  const path = requestPath(r, uriPart, locLen)
  const state = group(rt, up!)
  let key: string | undefined
  if (state.conf.hash !== undefined) {
    cur = r
    key = state.conf.hash.constant ?? state.conf.hash.render(lookupCur)
  }
  const picker = new PeerPicker(state, key)
  if (conf.nextUpstreamTries > 0 && picker.tries > conf.nextUpstreamTries) picker.tries = conf.nextUpstreamTries
  run.tries = picker.tries
  run.triesCap = conf.nextUpstreamTries
  // A chunked body is read whole first and sent with its length, as nginx does; one with a
  // Content-Length streams through.
  if (conf.passRequestBody && r._body === undefined && !r._bodyRead && !r._bodyDiscarded && r._parent === undefined &&
    r._rawContentLength < 0 && r._in.headers['transfer-encoding'] !== undefined) {
    await r.req.readBody()
  }
  let base = buildHeaders(r, conf)
  // A WebSocket goes through when the configuration sends Upgrade on (as nginx needs
  // `proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"`).
  const upgrade = r._parent === undefined && upgrades.has(r._in) ? takeUpgrade(base) : undefined
  let ownLen = base.length
  const body = requestBody(r, conf, base)
  const started = Date.now()
  for (;;) {
    const now = Date.now()
    let peer: PeerState | undefined
    /** The balancer handler chose the peer: no failure accounting for it (ngx_lua's). */
    let custom = false
    if (state.conf.balancer !== undefined) {
      run.peer = undefined
      const rc = runBalancer(r, state.conf.balancer)
      if (rc !== 0) return fail(r, rc)
      picker.tries = run.tries
      if (run.recreate) {
        run.recreate = false
        // the body's own headers (Content-Length) stay; the rest is built again
        const bodyHeaders = base.slice(ownLen)
        base = buildHeaders(r, conf)
        ownLen = base.length
        base.push(...bodyHeaders)
      }
      const chosen = run.peer as UpstreamRun['peer']
      if (chosen !== undefined) {
        const g = group(rt, addressGroup(rt, chosen.host, chosen.port))
        peer = g.primary[0]!
        custom = true
      }
    }
    peer ??= picker.pick(now)
    if (peer === undefined) {
      const now2 = performance.now()
      run.begin(state.conf.name, now2)
      run.status = 502
      run.endAt = now2
      logUpstream(r, LOG_LEVELS.ERR, 'no live upstreams', ACTION_CONNECT, `http://${state.conf.name}${path}`)
      return fail(r, 502)
    }
    const timeouts = run.timeouts ?? conf
    const attempt = new Attempt(r, run, conf, peer, path, base, body, upgrade)
    // A balancer's peer keeps its connections on its own state, with this group's keepalive.
    const pool = state.pool(peer, timeouts.connectTimeout ?? conf.connectTimeout, conf.bufferSize)
    const failure = await attempt.start(pool, picker.tries, timeouts.readTimeout ?? conf.readTimeout, state.conf.keepalive > 0 && conf.http11)
    updateTime()
    if (failure === undefined) {
      // a success after failures makes the peer live again
      if (!custom) picker.release(peer, false, Date.now())
      return
    }
    if (failure.ft === 0) {
      if (!custom) picker.release(peer, false, Date.now())
      if (failure.redirect !== undefined) accelRedirect(r, failure.redirect)
      return fail(r, failure.status)
    }
    if (failure.text !== undefined) logUpstream(r, LOG_LEVELS.ERR, failure.text, failure.action, `http://${peer.conf.name}${path}`)
    const warn = custom ? undefined : picker.release(peer, failure.ft !== FT.http_403 && failure.ft !== FT.http_404, Date.now())
    if (custom && picker.tries > 0) picker.tries--
    if (warn !== undefined) logUpstream(r, LOG_LEVELS.WARN, warn, failure.action, `http://${peer.conf.name}${path}`)
    run.lastFailure = { state: failure.failed ? 'failed' : 'next', code: failure.status }
    run.tries = picker.tries
    const timedOut = conf.nextUpstreamTimeout > 0 && Date.now() - started >= conf.nextUpstreamTimeout
    const retry = picker.tries > 0 && (conf.nextUpstream & failure.ft) !== 0 && !timedOut && !body.started &&
      (!attempt.sent || idempotent(r._method) || (conf.nextUpstream & FT.non_idempotent) !== 0)
    if (!retry) return fail(r, failure.status)
  }
}

/** Takes Upgrade (and Connection) out of the headers sent: undici sends them itself. */
function takeUpgrade(headers: string[]): string | undefined {
  let value: string | undefined
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const l = headers[i]!.toLowerCase()
    if (l === 'upgrade') value = headers[i + 1]
  }
  if (value === undefined) return undefined
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const l = headers[i]!.toLowerCase()
    if (l === 'upgrade' || l === 'connection') headers.splice(i, 2)
  }
  return value
}

/** X-Accel-Redirect: an internal redirect to the URI the backend names (GET, unless HEAD). */
function accelRedirect(r: NgxRequest, target: string): never {
  if (r._method !== 'HEAD') r._method = 'GET'
  const q = target.indexOf('?')
  r._execNamed = target.charCodeAt(0) === 64 /* @ */
  r._execUri = q < 0 || r._execNamed ? target : target.slice(0, q)
  r._execArgs = q < 0 || r._execNamed ? undefined : target.slice(q + 1)
  throw EXEC
}

function idempotent(method: string): boolean {
  return method !== 'POST' && method !== 'LOCK' && method !== 'PATCH'
}

/** Ends the request with a status (nginx's special response, error_page first). */
function fail(r: NgxRequest, status: number): never {
  r._exitCode = status
  throw EXIT
}

function logUpstream(r: NgxRequest, level: number, text: string, action: string, upstream: string): void {
  const log = r._rt.errorLog
  if (!log.enabled(level)) return
  const ctx: LogContext = { ...r._logContext(), action, upstream }
  log.write(level, text, ctx)
}

/** The request line's target, by nginx's rules for proxy_pass with and without a URI part. */
function requestPath(r: NgxRequest, uriPart: string | undefined, locLen: number): string {
  // A variable URL's URI part replaces the request's URI whole (args included).
  if (locLen < 0 && uriPart !== undefined) return uriPart
  // Without a URI part, an unchanged request goes out as the client wrote it.
  if (uriPart === undefined && r._parent === undefined && !r._internal && r._unparsedValid) {
    const u = r._main._requestUri
    if (u.charCodeAt(0) === 47 /* / */) return u
    const s = u.indexOf('/', u.indexOf('//') + 2)
    return s < 0 ? '/' : u.slice(s)
  }
  const cut = uriPart !== undefined && r._validLocation ? Math.min(locLen, r._uri.length) : 0
  const rest = r._uri.slice(cut)
  const escaped = escapeUri(rest, 0)
  let path = (uriPart !== undefined && r._validLocation ? uriPart : '') + escaped
  if (path === '') path = '/'
  return r._args === '' ? path : `${path}?${r._args}`
}

/** The headers sent upstream: proxy_set_header's in order, then the client's not overridden. */
function buildHeaders(r: NgxRequest, conf: ProxyConf): string[] {
  const out: string[] = []
  cur = r
  for (const h of conf.setHeaders) {
    const v = h.value.constant ?? h.value.render(lookupCur)
    if (v === '') continue
    out.push(h.name, v)
  }
  if (conf.passRequestHeaders) {
    const raw = r._reqH().raw()
    const skip = conf.setNames
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!
      if (skip.has(name.toLowerCase())) continue
      out.push(name, raw[i + 1]!)
    }
  }
  return out
}

/** The request body's source: the body read already, the client's stream, or none. */
interface BodySource {
  readonly data: Buffer | AsyncIterable<Buffer> | null
  /** Bytes of the client's stream were consumed: the request cannot be sent again. */
  started: boolean
  /** Called when the backend took no body bytes for proxy_send_timeout. */
  onStall?: (() => void) | undefined
}

/** No body: shared (nothing writes to a body without data). */
const NO_BODY: BodySource = Object.freeze({ data: null, started: false }) as BodySource

function requestBody(r: NgxRequest, conf: ProxyConf, headers: string[]): BodySource {
  if (!conf.passRequestBody) return NO_BODY
  if (r._body !== undefined) {
    if (r._body.length > 0 || r._rawContentLength >= 0 || r._parent !== undefined) headers.push('Content-Length', String(r._body.length))
    return { data: r._body, started: false }
  }
  const len = r._contentLength()
  if (r._parent !== undefined || r._bodyDiscarded || r._bodyRead || len <= 0) {
    if (len === 0) headers.push('Content-Length', '0')
    return NO_BODY
  }
  headers.push('Content-Length', String(len))
  const src: BodySource = { data: null, started: false }
  const inc = r._in
  const main = r._main
  ;(src as { data: AsyncIterable<Buffer> }).data = (async function* clientBody(): AsyncGenerator<Buffer> {
    if (main._expectContinue) {
      main._expectContinue = false
      r._res?.writeContinue()
    }
    for await (const chunk of inc) {
      src.started = true
      // proxy_send_timeout: undici asks for the next chunk once this one is written
      const stall = setTimeout(() => src.onStall?.(), r._upstream?.timeouts?.sendTimeout ?? conf.sendTimeout)
      try {
        yield chunk as Buffer
      } finally {
        clearTimeout(stall)
      }
    }
  })()
  return src
}

// ---------------------------------------------------------------------------------------------
// One try

/** Thrown into undici to drop an answer proxy_next_upstream retries. */
class Skip extends Error {}

class Attempt implements Dispatcher.DispatchHandler {
  readonly r: NgxRequest
  readonly run: UpstreamRun
  readonly conf: ProxyConf
  readonly peer: PeerState
  readonly path: string
  readonly headers: string[]
  readonly body: BodySource
  tries = 0
  sent = false
  #t0 = 0
  #headersAt = 0
  #status = 0
  /** The answer came without a Content-Length. */
  #unframed = false
  /** Its Content-Length, or -1. */
  #expected = -1
  #recorded = false
  #responded = false
  #done: ((f: Failure | undefined) => void) | undefined = undefined
  #controller: Dispatcher.DispatchController | undefined = undefined
  #flushQueued = false
  #onClose: (() => void) | undefined = undefined
  /** proxy_read_timeout for the answer's headers, from when the request is sent. */
  #readTimeout = 0
  #headerTimer: NodeJS.Timeout | undefined = undefined

  readonly upgrade: string | undefined

  constructor(r: NgxRequest, run: UpstreamRun, conf: ProxyConf, peer: PeerState, path: string, headers: string[], body: BodySource, upgrade: string | undefined) {
    this.upgrade = upgrade
    this.r = r
    this.run = run
    this.conf = conf
    this.peer = peer
    this.path = path
    this.headers = headers
    this.body = body
  }

  start(pool: Dispatcher, tries: number, readTimeout: number, keepalive: boolean): Promise<Failure | undefined> {
    this.tries = tries
    this.#readTimeout = readTimeout
    this.#t0 = performance.now()
    this.run.begin(this.peer.conf.name, this.#t0)
    const promise = new Promise<Failure | undefined>((resolve) => { this.#done = resolve })
    if (this.body.data !== null) {
      this.body.onStall = () => {
        if (this.#responded) return
        this.#controller?.abort(new Skip('send timeout'))
        this.#finish({ ft: FT.timeout, status: 504, text: 'upstream timed out (110: Connection timed out)', action: ACTION_SEND, failed: true })
      }
    }
    const res = this.r._main._res
    if (res !== undefined && !this.conf.ignoreClientAbort) {
      this.#onClose = () => {
        if (res.writableFinished) return
        logUpstream(this.r, LOG_LEVELS.INFO, 'client prematurely closed connection', this.#responded ? ACTION_BODY : ACTION_HEADER, `http://${this.peer.conf.name}${this.path}`)
        if (this.r._status === 0 || !this.r._headersSent) this.r._status = 499
        this.#controller?.abort(new Skip('client closed'))
        this.#finish(undefined)
      }
      // on/removeListener: once() would wrap the listener in one more closure
      res.on('close', this.#onClose)
    }
    // `servername` is read by undici's Request though its types leave it out.
    const opts: Dispatcher.DispatchOptions & { servername: string } = {
      path: this.path,
      method: this.r._method,
      headers: this.headers,
      // undici takes an async iterable as a streamed body
      body: this.body.data as Buffer | null,
      // Below a second undici's own header timer is coarse: onRequestSent arms an exact one.
      headersTimeout: readTimeout > 1000 ? readTimeout : 0,
      bodyTimeout: readTimeout,
      reset: !keepalive,
      blocking: true,
      // the peer's own name: undici would otherwise work one out of Host for TLS, per request
      servername: this.peer.conf.host,
      upgrade: this.upgrade ?? null,
    }
    pool.dispatch(opts, this)
    return promise
  }

  #finish(f: Failure | undefined): void {
    const done = this.#done
    if (done === undefined) return
    this.#done = undefined
    const res = this.r._main._res
    if (this.#onClose !== undefined) res?.removeListener('close', this.#onClose)
    if (this.#headerTimer !== undefined) clearTimeout(this.#headerTimer)
    const now = performance.now()
    if (!this.#recorded) this.#record(f?.status ?? this.#status, now, f !== undefined && f.action === ACTION_CONNECT)
    this.run.endAt = now
    done(f)
  }

  /** $upstream_status and the connect and header times of this try. */
  #record(status: number, now: number, noConnection: boolean): void {
    this.#recorded = true
    const run = this.run
    run.status = status
    run.connectAt = noConnection ? -1 : now
    run.headerAt = this.#headersAt === 0 ? -1 : now
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
  }

  /** The backend switched protocols: its 101 goes to the client and the two sockets are joined. */
  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[]>, upstream: Duplex): void {
    const r = this.r
    const client = r._in.socket
    this.sent = true
    this.#headersAt = performance.now()
    this.#status = statusCode
    this.#record(statusCode, this.#headersAt, false)
    this.#responded = true
    r._status = statusCode
    if (client === null || client.destroyed) {
      upstream.destroy()
      this.#finish(undefined)
      return
    }
    const raw = rawHeaders(controller)
    const list = raw.length > 0 ? raw : Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, v]))
    this.run.headers = list
    let head = `HTTP/1.1 101 Switching Protocols\r\nServer: ${output.SERVER}\r\nDate: ${new Date().toUTCString()}\r\nConnection: upgrade\r\n`
    for (let i = 0; i < list.length; i += 2) {
      const l = list[i]!.toLowerCase()
      if (l === 'server' || l === 'date' || l === 'connection' || l === 'keep-alive') continue
      head += `${list[i]!}: ${list[i + 1]!}\r\n`
    }
    // The response object made for the upgrade is done with: the socket is the tunnel's now.
    const res = r._res
    if (res !== undefined) {
      res.removeAllListeners('finish')
      res.detachSocket(client)
    }
    r._eof = true
    r._headersSent = true
    r._committed = true
    client.write(`${head}\r\n`)
    const early = upgrades.get(r._in)
    if (early !== undefined && early.length > 0) upstream.write(early)
    client.pipe(upstream)
    upstream.pipe(client)
    let closed = false
    const close = (): void => {
      if (closed) return
      closed = true
      client.destroy()
      upstream.destroy()
      this.#finish(undefined)
    }
    client.on('error', close)
    upstream.on('error', close)
    client.on('close', close)
    upstream.on('close', close)
    client.setTimeout(0)
  }

  onRequestSent(): void {
    this.sent = true
    // undici's own header timer is coarse below a second: this one is exact.
    if (this.#readTimeout > 1000 || this.#responded || this.#done === undefined) return
    this.#headerTimer = setTimeout(() => {
      this.#headerTimer = undefined
      if (this.#responded) return
      this.#controller?.abort(new Skip('read timeout'))
      this.#finish({ ft: FT.timeout, status: 504, text: 'upstream timed out (110: Connection timed out)', action: ACTION_HEADER, failed: true })
    }, this.#readTimeout)
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, _headers: Record<string, string | string[]>, statusMessage?: string): void {
    if (statusCode < 200) return
    if (this.#headerTimer !== undefined) {
      clearTimeout(this.#headerTimer)
      this.#headerTimer = undefined
    }
    if (this.#done === undefined) return
    this.sent = true
    this.#headersAt = performance.now()
    const ft = FT_STATUS.get(statusCode)
    const conf = this.conf
    this.#status = statusCode
    if (ft !== undefined && this.tries > 1 && (conf.nextUpstream & ft) !== 0 && !this.body.started &&
      (idempotent(this.r._method) || (conf.nextUpstream & FT.non_idempotent) !== 0)) {
      // Retried: this answer is dropped (its connection with it).
      controller.abort(new Skip('next upstream'))
      this.#finish({ ft, status: statusCode, text: undefined, action: ACTION_HEADER, failed: ft !== FT.http_403 && ft !== FT.http_404 })
      return
    }
    const r = this.r
    this.#status = statusCode
    this.#record(statusCode, this.#headersAt, false)
    const raw = rawHeaders(controller)
    this.run.headers = raw
    if (conf.accelRedirect) {
      for (let i = 0; i < raw.length; i += 2) {
        if (raw[i]!.length !== 16 || raw[i]!.toLowerCase() !== 'x-accel-redirect') continue
        controller.abort(new Skip('redirected'))
        this.#finish({ ft: 0, status: statusCode, text: undefined, action: ACTION_HEADER, failed: false, redirect: raw[i + 1]! })
        return
      }
    }
    if (conf.interceptErrors && statusCode >= 300 && r._loc.errorPages?.has(statusCode) === true) {
      // error_page answers instead (the runner's special response).
      controller.abort(new Skip('intercepted'))
      this.#finish({ ft: 0, status: statusCode, text: undefined, action: ACTION_HEADER, failed: false })
      return
    }
    this.#responded = true
    r._status = statusCode
    if (statusMessage !== undefined && statusMessage !== '') {
      r._reason = statusMessage
      r._reasonStatus = statusCode
    }
    const h = r._headers()
    // The backend's Content-Type or none: default_type is not for proxied answers.
    h.noDefaultType()
    const hide = conf.hide
    let length = -1
    for (let i = 0; i < raw.length; i += 2) {
      const lname = raw[i]!.toLowerCase()
      if (HOP_BY_HOP.has(lname) || hide.has(lname)) continue
      if (lname === 'content-length') length = Number(raw[i + 1])
      h.add(raw[i]!, raw[i + 1]!)
    }
    this.#expected = length
    this.#unframed = length < 0 && statusCode !== 204 && statusCode !== 304 && r._method !== 'HEAD'
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const r = this.r
    this.run.responseLength += chunk.length
    if (r._eof) return
    output.emit(r, chunk, false)
    // The last bytes of a known length: the end follows at once, and the whole answer leaves in
    // one write then. Otherwise what came is flushed once this read is parsed.
    if (this.#expected >= 0 && this.run.responseLength >= this.#expected) return
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(() => this.#flush(controller))
    }
  }

  #flush(controller: Dispatcher.DispatchController): void {
    this.#flushQueued = false
    const r = this.r
    if (r._eof || r._capture !== undefined) return
    output.flushPending(r)
    const res = r._res
    if (res !== undefined && res.writableNeedDrain && !controller.paused) {
      controller.pause()
      res.once('drain', () => controller.resume())
    }
  }

  onResponseEnd(): void {
    const r = this.r
    // An answer without a length goes on without one (chunked), as nginx passes it.
    if (!r._eof && !r._committed && this.#unframed) output.flushPending(r)
    if (!r._eof) output.emit(r, '', true)
    this.#finish(undefined)
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (err instanceof Skip) return
    if (!this.#responded) {
      this.#finish(classify(err as NodeJS.ErrnoException & { code?: string }, this.sent, this.peer.conf.socketPath))
      return
    }
    // The answer broke off after its headers: the client's response is cut short too.
    const r = this.r
    const e = err as NodeJS.ErrnoException
    const text = e.code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream timed out (110: Connection timed out)'
      : e.errno !== undefined && e.errno !== 0 ? `recv() failed (${systemErrorText(e)})` : 'upstream prematurely closed connection'
    logUpstream(r, LOG_LEVELS.ERR, text, ACTION_BODY, `http://${this.peer.conf.name}${this.path}`)
    output.abort(r)
    this.#finish(undefined)
  }
}

/** undici's raw header list as strings (latin1, as nginx passes header bytes on). */
function rawHeaders(controller: Dispatcher.DispatchController): string[] {
  const raw = controller.rawHeaders as unknown
  if (Array.isArray(raw)) {
    const n = raw.length
    const out = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      const v = raw[i] as Buffer | string
      out[i] = typeof v === 'string' ? v : v.toString('latin1')
    }
    return out
  }
  const out: string[] = []
  if (raw !== null && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw as Record<string, string | string[]>)) {
      if (Array.isArray(v)) for (const x of v) out.push(k, x)
      else out.push(k, v)
    }
  }
  return out
}

/** An undici failure before the answer's headers, as nginx reports it. */
function classify(e: NodeJS.ErrnoException, sent: boolean, socketPath: string | undefined): Failure {
  const code = e.code ?? ''
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { ft: FT.timeout, status: 504, text: 'upstream timed out (110: Connection timed out)', action: ACTION_CONNECT, failed: true }
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return { ft: FT.timeout, status: 504, text: 'upstream timed out (110: Connection timed out)', action: ACTION_HEADER, failed: true }
  }
  if (code.startsWith('HPE_') || code === 'UND_ERR_INVALID_ARG' || e.name === 'HTTPParserError' || code === 'UND_ERR_HEADERS_OVERFLOW') {
    const text = code === 'UND_ERR_HEADERS_OVERFLOW' ? 'upstream sent too big header' : 'upstream sent invalid header'
    return { ft: FT.invalid_header, status: 502, text, action: ACTION_HEADER, failed: true }
  }
  if (e.syscall === 'connect' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || (code === 'ENOENT' && socketPath !== undefined)) {
    const to = socketPath !== undefined ? ` to unix:${socketPath}` : ''
    return { ft: FT.error, status: 502, text: `connect()${to} failed (${systemErrorText(e)})`, action: ACTION_CONNECT, failed: true }
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { ft: FT.error, status: 502, text: `${(e as { hostname?: string }).hostname ?? ''} could not be resolved (3: Host not found)`, action: ACTION_CONNECT, failed: true }
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return { ft: FT.error, status: 502, text: `${sent ? 'recv' : 'writev'}() failed (${systemErrorText(e)})`, action: sent ? ACTION_HEADER : ACTION_SEND, failed: true }
  }
  return { ft: FT.error, status: 502, text: 'upstream prematurely closed connection', action: ACTION_HEADER, failed: true }
}
