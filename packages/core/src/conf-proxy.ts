// The proxy and upstream directives for the nginx.conf front end: `upstream name { … }` with its
// `server`, `keepalive*`, `hash` and balancing-method lines, `proxy_pass` (the location's content
// handler) and the proxy_* settings of a level. What they mean at run time is the proxy engine's
// (proxy.ts, upstream.ts); here they are checked with nginx's words and places, measured on the
// reference (nginx 1.22.1), and written into the gateway definition.
import { execFileSync } from 'node:child_process'
import { isIP } from 'node:net'
import { confError, findDirective, placeOf, registerDirective } from './conf-directives.ts'
import type { ConfBuild, ConfContext, ConfScope, DirectiveSpec } from './conf-directives.ts'
import { ConfFileError } from './conf-parse.ts'
import type { ConfDirective, ConfPlace } from './conf-parse.ts'
import type { Handler, LocationDef, NextUpstreamCondition, ProxySettings, UpstreamDef, UpstreamServerDef } from './gateway.ts'
import { parseSize, parseTime, parseTimeSec } from './units.ts'

type Writable<T> = { -readonly [K in keyof T]: T[K] }

// ---------------------------------------------------------------------------------------------
// Upstreams, explicit (`upstream name { }`) and implicit (a `proxy_pass` host), in nginx's order

interface UpstreamEntry {
  /** Lower-cased: nginx compares upstream names without case. */
  readonly key: string
  readonly host: string
  /** An `upstream` block (nginx's NGX_HTTP_UPSTREAM_CREATE); else a proxy_pass host. */
  explicit: boolean
  /** For an implicit one: the port written after the host, undefined for none. */
  port: number | undefined
  /** Where nginx names it: the `upstream` line, or the first proxy_pass that made it. */
  place: ConfPlace
  /** The explicit block's definition and state. */
  build?: UpstreamBuildState
}

interface UpstreamBuildState {
  readonly name: string
  readonly def: Writable<UpstreamDef> & { servers: (string | UpstreamServerDef)[] }
  /** The directive that set the load balancing method (keepalive counts, as in nginx). */
  method: string | undefined
  /** Whether `server … backup` is allowed (round robin and least_conn only). */
  backupOk: boolean
}

const ENTRIES = 'proxy:upstreams'
const BUILD = 'proxy:upstream'

function entries(conf: ConfBuild): UpstreamEntry[] {
  let list = conf.state.get(ENTRIES) as UpstreamEntry[] | undefined
  if (list === undefined) conf.state.set(ENTRIES, (list = []))
  return list
}

function upstreamState(scope: ConfScope): UpstreamBuildState | undefined {
  for (let s: ConfScope | undefined = scope; s !== undefined; s = s.parent) {
    if (s.context === 'upstream') return s.data.get(BUILD) as UpstreamBuildState | undefined
  }
  return undefined
}

/**
 * The definition of the `upstream` block a directive appears in, for directives of other
 * modules that write to it (`balancer_by_lua_block` sets `.balancer`). Throws outside one.
 */
export function upstreamBuild(scope: ConfScope): Writable<UpstreamDef> {
  const state = upstreamState(scope)
  if (state === undefined) throw new TypeError('upstreamBuild: not inside an "upstream" block')
  return state.def
}

/**
 * Records that `d` sets the load balancing method of its upstream block, as `hash`,
 * `least_conn`, `ip_hash`, `random` and `balancer_by_lua*` do: nginx warns `load balancing
 * method redefined` when one was set before (`keepalive` counts, and is then lost, as in nginx
 * where the later method replaces keepalive's peer init). `backup` says whether the method
 * takes `server … backup`.
 */
export function setBalancingMethod(d: ConfDirective, scope: ConfScope, backup: boolean): void {
  const state = upstreamState(scope)
  if (state === undefined) throw new TypeError('setBalancingMethod: not inside an "upstream" block')
  if (state.method !== undefined) {
    scope.conf.warn('load balancing method redefined', d)
    if (state.method === 'keepalive') {
      delete state.def.keepalive
      scope.conf.warn(`"keepalive" before "${d.name}" has no effect, as in nginx: put it after the balancing method`, d)
    }
  }
  state.method = d.name
  state.backupOk = backup
}

/**
 * ngx_http_upstream_add: an upstream reference by host and port. An `upstream` block
 * (`explicit`) clashes with one of the same name, and a proxy_pass with a port with an
 * `upstream` block; otherwise references of one host and port share one entry.
 */
function addUpstream(d: ConfDirective, conf: ConfBuild, host: string, port: number | undefined, explicit: boolean): UpstreamEntry {
  const list = entries(conf)
  const key = host.toLowerCase()
  for (const e of list) {
    if (e.key !== key) continue
    if (explicit && e.explicit) throw confError(d, `duplicate upstream "${host}"`)
    if (e.explicit && port !== undefined) throw confError(d, `upstream "${host}" may not have port ${port}`)
    if (explicit && e.port !== undefined) {
      // nginx names the proxy_pass that wrote the port
      throw new ConfFileError(`upstream "${host}" may not have port ${e.port}`, e.place)
    }
    if (e.port !== undefined && port !== undefined && e.port !== port) continue
    if (explicit) {
      e.explicit = true
      e.port = undefined
      e.place = placeOf(d)
    }
    return e
  }
  const e: UpstreamEntry = { key, host, explicit, port, place: placeOf(d) }
  list.push(e)
  return e
}

// ---------------------------------------------------------------------------------------------
// Addresses, as ngx_parse_url reads them

/** ngx_atoi: digits only; -1 when not a number. */
function atoi(s: string): number {
  if (!/^\d+$/.test(s)) return -1
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : -1
}

interface ParsedAddress {
  /** The host (an IPv6 address without brackets), or the socket path for `unix:`. */
  readonly host: string
  readonly port: number | undefined
  readonly unix: boolean
  /** What follows the address (`/uri`), `''` for none. */
  readonly uri: string
}

/**
 * Splits `host[:port][/uri]` (or `unix:/path[:/uri]`, `[v6]:port`) as ngx_parse_url does, or
 * answers its error (`no host`, `invalid port`, `invalid host`).
 */
function parseAddress(text: string, withUri: boolean): ParsedAddress | string {
  if (text.slice(0, 5).toLowerCase() === 'unix:') {
    let path = text.slice(5)
    let uri = ''
    if (withUri) {
      const colon = path.indexOf(':')
      if (colon >= 0) {
        uri = path.slice(colon + 1)
        path = path.slice(0, colon)
      }
    }
    if (path === '') return 'no path in the unix domain socket'
    return { host: path, port: undefined, unix: true, uri }
  }
  let rest = text
  let uri = ''
  if (withUri) {
    const slash = rest.search(/[/?]/)
    if (slash >= 0) {
      uri = rest.slice(slash)
      rest = rest.slice(0, slash)
    }
  }
  let host: string
  let portText: string | undefined
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']')
    if (end < 0) return 'invalid host'
    host = rest.slice(1, end)
    if (isIP(host) !== 6) return 'invalid IPv6 address'
    const after = rest.slice(end + 1)
    if (after !== '' && after[0] !== ':') return 'invalid host'
    if (after !== '') portText = after.slice(1)
  } else {
    const colon = rest.lastIndexOf(':')
    if (colon >= 0) {
      host = rest.slice(0, colon)
      portText = rest.slice(colon + 1)
    } else {
      host = rest
    }
  }
  let port: number | undefined
  if (portText !== undefined) {
    port = atoi(portText)
    if (port < 1 || port > 65535) return 'invalid port'
  }
  if (host === '') return 'no host'
  return { host, port, unix: false, uri }
}

/** Whether the system resolver knows a host (nginx resolves upstream hosts while it reads). */
function resolvable(host: string): boolean {
  if (isIP(host) !== 0) return true
  try {
    const out = execFileSync('getent', ['ahosts', host], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
    return out.split('\n').some((line) => isIP(line.split(/\s+/)[0] ?? '') !== 0)
  } catch (e) {
    // without getent, let the engine find out when it connects
    return (e as NodeJS.ErrnoException).code === 'ENOENT'
  }
}

// ---------------------------------------------------------------------------------------------
// upstream { … } and what goes inside

registerDirective({
  name: 'upstream', contexts: ['http'], args: 'TAKE1', block: true,
  handler: (d, s) => {
    const name = d.args[0]!.value
    const entry = addUpstream(d, s.conf, name, undefined, true)
    const state: UpstreamBuildState = { name, def: { servers: [] }, method: undefined, backupOk: true }
    entry.build = state
    const inner = s.child({ context: 'upstream', directive: d })
    inner.data.set(BUILD, state)
    return inner
  },
  end: (d, inner) => {
    const state = inner.data.get(BUILD) as UpstreamBuildState
    if (state.def.servers.length === 0) throw new ConfFileError('no servers are inside upstream', { file: d.file, line: d.block!.endLine })
    const upstreams = (inner.conf.def.upstreams ??= {}) as Record<string, UpstreamDef>
    upstreams[state.name] = state.def
  },
})

const SERVER_FLAGS: ReadonlySet<string> = new Set(['backup', 'down'])

registerDirective({
  name: 'server', contexts: ['upstream'], args: '1MORE',
  handler: (d, s) => {
    const state = upstreamState(s)!
    const server: Writable<UpstreamServerDef> = { address: d.args[0]!.value }
    for (const a of d.args.slice(1)) {
      const p = a.value
      const eq = p.indexOf('=')
      const key = eq < 0 ? p : p.slice(0, eq + 1)
      const v = p.slice(eq + 1)
      const invalid = (): ConfFileError => confError(d, `invalid parameter "${p}"`)
      if (key === 'weight=') {
        const n = atoi(v)
        if (n < 1) throw invalid()
        server.weight = n
      } else if (key === 'max_fails=') {
        const n = atoi(v)
        if (n < 0) throw invalid()
        server.maxFails = n
      } else if (key === 'fail_timeout=') {
        try {
          parseTimeSec(v)
        } catch {
          throw invalid()
        }
        server.failTimeout = v
      } else if (key === 'max_conns=') {
        if (atoi(v) < 0) throw invalid()
        s.conf.warn('nresty does not limit the connections to a peer: "max_conns" is ignored', d)
      } else if (eq < 0 && SERVER_FLAGS.has(p)) {
        if (p === 'backup') {
          if (!state.backupOk) throw confError(d, `balancing method does not support parameter "${p}"`)
          server.backup = true
        } else {
          server.down = true
        }
      } else {
        throw invalid()
      }
    }
    const addr = parseAddress(server.address, false)
    if (typeof addr === 'string') throw confError(d, `${addr} in upstream "${server.address}"`)
    if (!addr.unix && !resolvable(addr.host)) throw confError(d, `host not found in upstream "${server.address}"`)
    state.def.servers.push(Object.keys(server).length === 1 ? server.address : server)
    return undefined
  },
})

registerDirective({
  name: 'keepalive', contexts: ['upstream'], args: 'TAKE1',
  handler: (d, s) => {
    const state = upstreamState(s)!
    if (state.def.keepalive !== undefined) throw confError(d, '"keepalive" directive is duplicate')
    const n = atoi(d.args[0]!.value)
    if (n < 1) throw confError(d, `invalid value "${d.args[0]!.value}" in "keepalive" directive`)
    state.def.keepalive = n
    state.method ??= 'keepalive'
    return undefined
  },
})

registerDirective({
  name: 'keepalive_timeout', contexts: ['upstream'], args: 'TAKE1',
  handler: (d, s) => {
    s.once(d)
    msec(d)
    upstreamState(s)!.def.keepaliveTimeout = d.args[0]!.value
    return undefined
  },
})

registerDirective({
  name: 'keepalive_requests', contexts: ['upstream'], args: 'TAKE1',
  handler: (d, s) => {
    s.once(d)
    upstreamState(s)!.def.keepaliveRequests = num(d)
    return undefined
  },
})

registerDirective({
  name: 'hash', contexts: ['upstream'], args: 'TAKE12',
  handler: (d, s) => {
    const key = s.conf.template(d, d.args[0]!.value)
    const second = d.args[1]?.value
    if (second !== undefined && second !== 'consistent') throw confError(d, `invalid parameter "${second}"`)
    setBalancingMethod(d, s, false)
    upstreamState(s)!.def.hash = second === undefined ? key : { key, consistent: true }
    return undefined
  },
})

// Accepted, as nginx does, but nresty balances these upstreams with (weighted) round robin.
registerDirective({
  name: 'least_conn', contexts: ['upstream'], args: 'NOARGS',
  handler: (d, s) => {
    setBalancingMethod(d, s, true)
    s.conf.warn(`nresty balances upstream "${upstreamState(s)!.name}" with round robin: "least_conn" is ignored`, d)
    return undefined
  },
})

registerDirective({
  name: 'ip_hash', contexts: ['upstream'], args: 'NOARGS',
  handler: (d, s) => {
    setBalancingMethod(d, s, false)
    s.conf.warn(`nresty balances upstream "${upstreamState(s)!.name}" with round robin: "ip_hash" is ignored`, d)
    return undefined
  },
})

// `random [two [least_conn]]`
registerDirective({
  name: 'random', contexts: ['upstream'], args: 'ANY',
  handler: (d, s) => {
    if (d.args.length > 2) throw confError(d, 'invalid number of arguments in "random" directive')
    const [two, method] = d.args.map((a) => a.value)
    if (two !== undefined && two !== 'two') throw confError(d, `invalid parameter "${two}"`)
    if (method !== undefined && method !== 'least_conn') throw confError(d, `invalid parameter "${method}"`)
    setBalancingMethod(d, s, false)
    s.conf.warn(`nresty balances upstream "${upstreamState(s)!.name}" with round robin: "random" is ignored`, d)
    return undefined
  },
})

// ---------------------------------------------------------------------------------------------
// proxy_pass

const LOCATION: readonly ConfContext[] = ['location', 'location_if']
const HTTP_LEVELS: readonly ConfContext[] = ['http', 'server', 'location']
const PROXY_PASS = 'proxy:pass'

interface PassRef {
  readonly entry: UpstreamEntry | undefined
  readonly variables: boolean
}

/**
 * Makes proxy_pass the level's content handler. In nginx the last content directive of a
 * location wins (measured: `content_by_lua_block` before `proxy_pass` proxies, after it
 * answers itself; the same with `echo`): a content handler set later drops proxyPass.
 */
function setProxyPass(settings: Writable<LocationDef>, url: string): void {
  delete settings.content
  settings.proxyPass = url
  Object.defineProperty(settings, 'content', {
    configurable: true,
    enumerable: false,
    get: () => undefined,
    set: (h: Handler | undefined) => {
      delete settings.proxyPass
      Object.defineProperty(settings, 'content', { configurable: true, enumerable: true, writable: true, value: h })
    },
  })
}

registerDirective({
  name: 'proxy_pass', contexts: LOCATION, args: 'TAKE1',
  handler: (d, s) => {
    if (s.data.has(PROXY_PASS)) throw confError(d, '"proxy_pass" directive is duplicate')
    const url = d.args[0]!.value
    const template = s.conf.template(d, url)
    let ref: PassRef
    if (url.includes('$')) {
      // with variables (ngx_http_script_variables_count counts the `$`s) nginx checks nothing more until a request renders it
      ref = { entry: undefined, variables: true }
    } else {
      const scheme = /^https?:\/\//i.exec(url)?.[0]
      if (scheme === undefined) throw confError(d, 'invalid URL prefix')
      const rest = url.slice(scheme.length)
      const addr = parseAddress(rest, true)
      if (typeof addr === 'string') throw confError(d, `${addr} in upstream "${rest}"`)
      const location = s.location?.parsed
      const noUri = s.context === 'location_if' || location?.kind === 'named' || location?.regex !== undefined
      if (noUri && addr.uri !== '') {
        throw confError(d, '"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block')
      }
      const entry = addr.unix ? undefined : addUpstream(d, s.conf, addr.host, addr.port, false)
      ref = { entry, variables: false }
    }
    s.data.set(PROXY_PASS, ref)
    setProxyPass(s.settings!, template)
    return undefined
  },
})

// ---------------------------------------------------------------------------------------------
// proxy_* settings of a level

/** The level's writable proxy settings. */
function proxyOf(s: ConfScope): Writable<ProxySettings> {
  return ((s.settings as Writable<LocationDef>).proxy ??= {}) as Writable<ProxySettings>
}

/** ngx_conf_set_flag_slot. */
function flag(d: ConfDirective): boolean {
  const v = d.args[0]!.value
  const l = v.toLowerCase()
  if (l === 'on') return true
  if (l === 'off') return false
  throw confError(d, `invalid value "${v}" in "${d.name}" directive, it must be "on" or "off"`)
}

/** ngx_conf_set_msec_slot: the value as written, checked. */
function msec(d: ConfDirective): string {
  const v = d.args[0]!.value
  try {
    parseTime(v)
  } catch {
    throw confError(d, `"${d.name}" directive invalid value`)
  }
  return v
}

/** ngx_conf_set_num_slot. */
function num(d: ConfDirective): number {
  const n = atoi(d.args[0]!.value)
  if (n < 0) throw confError(d, `"${d.name}" directive invalid number`)
  return n
}

/** ngx_conf_set_size_slot. */
function size(d: ConfDirective, v: string = d.args[0]!.value): number {
  try {
    return parseSize(v)
  } catch {
    throw confError(d, `"${d.name}" directive invalid value`)
  }
}

function reg(name: string, args: DirectiveSpec['args'], handler: (d: ConfDirective, s: ConfScope, p: Writable<ProxySettings>) => void, contexts: readonly ConfContext[] = HTTP_LEVELS): void {
  registerDirective({
    name, contexts, args,
    handler: (d, s) => {
      handler(d, s, proxyOf(s))
      return undefined
    },
  })
}

reg('proxy_set_header', 'TAKE2', (d, s, p) => {
  const name = d.args[0]!.value
  const value = s.conf.template(d, d.args[1]!.value)
  const headers = (p.setHeaders ??= {}) as Record<string, string>
  const same = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase())
  if (same !== undefined) {
    s.conf.warn(`nresty sends one "${name}" header per level: this "proxy_set_header" replaces the one before`, d)
    delete headers[same]
  }
  headers[name] = value
})

const FLAGS: ReadonlyArray<readonly [string, 'passRequestHeaders' | 'passRequestBody' | 'buffering' | 'interceptErrors' | 'ignoreClientAbort' | undefined]> = [
  ['proxy_pass_request_headers', 'passRequestHeaders'],
  ['proxy_pass_request_body', 'passRequestBody'],
  ['proxy_buffering', 'buffering'],
  ['proxy_intercept_errors', 'interceptErrors'],
  ['proxy_ignore_client_abort', 'ignoreClientAbort'],
  // accepted: the engine streams request bodies as they come
  ['proxy_request_buffering', undefined],
]
for (const [name, field] of FLAGS) {
  reg(name, 'FLAG', (d, s, p) => {
    s.once(d)
    const v = flag(d)
    if (field !== undefined) p[field] = v
  })
}

reg('proxy_http_version', 'TAKE1', (d, s, p) => {
  s.once(d)
  const v = d.args[0]!.value
  if (v !== '1.0' && v !== '1.1') throw confError(d, `invalid value "${v}"`)
  p.httpVersion = v
})

const TIMEOUTS: ReadonlyArray<readonly [string, 'connectTimeout' | 'sendTimeout' | 'readTimeout' | 'nextUpstreamTimeout']> = [
  ['proxy_connect_timeout', 'connectTimeout'],
  ['proxy_send_timeout', 'sendTimeout'],
  ['proxy_read_timeout', 'readTimeout'],
  ['proxy_next_upstream_timeout', 'nextUpstreamTimeout'],
]
for (const [name, field] of TIMEOUTS) {
  reg(name, 'TAKE1', (d, s, p) => {
    s.once(d)
    p[field] = msec(d)
  })
}

reg('proxy_next_upstream_tries', 'TAKE1', (d, s, p) => {
  s.once(d)
  p.nextUpstreamTries = num(d)
})

const NEXT_UPSTREAM: ReadonlySet<string> = new Set([
  'error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403',
  'http_404', 'http_429', 'non_idempotent', 'updating', 'off',
])
const NEXT_SEEN = 'proxy:next_upstream'

// ngx_conf_set_bitmask_slot: values of every proxy_next_upstream of a level add up; `off` wins.
reg('proxy_next_upstream', '1MORE', (d, s, p) => {
  let seen = s.data.get(NEXT_SEEN) as Set<string> | undefined
  if (seen === undefined) s.data.set(NEXT_SEEN, (seen = new Set()))
  for (const a of d.args) {
    const v = a.value
    if (!NEXT_UPSTREAM.has(v)) throw confError(d, `invalid value "${v}"`)
    if (seen.has(v)) s.conf.warn(`duplicate value "${v}"`, d)
    seen.add(v)
  }
  // `updating` is about the cache, which nresty has not
  p.nextUpstream = seen.has('off') ? false : [...seen].filter((v) => v !== 'updating') as NextUpstreamCondition[]
})

reg('proxy_hide_header', 'TAKE1', (d, _s, p) => {
  p.hideHeaders = [...(p.hideHeaders ?? []), d.args[0]!.value]
})

reg('proxy_pass_header', 'TAKE1', (d, _s, p) => {
  p.passHeaders = [...(p.passHeaders ?? []), d.args[0]!.value]
})

const IGNORABLE = ['x-accel-redirect', 'x-accel-expires', 'x-accel-limit-rate', 'x-accel-buffering', 'x-accel-charset', 'expires', 'cache-control', 'set-cookie', 'vary']
reg('proxy_ignore_headers', '1MORE', (d, _s, p) => {
  for (const a of d.args) if (!IGNORABLE.includes(a.value.toLowerCase())) throw confError(d, `invalid value "${a.value}"`)
  p.ignoreHeaders = [...(p.ignoreHeaders ?? []), ...d.args.map((a) => a.value)]
})

// Buffer sizes: nresty streams, so these are checked as nginx checks them and otherwise unused
// (proxy_buffer_size bounds the backend's header block, as nginx's first buffer does).
const BUFFERS = 'proxy:buffers'
const BUFFER_LEVELS = 'proxy:buffer-levels'

interface BufferSettings {
  bufferSize?: number
  buffers?: { readonly num: number; readonly size: number }
  busy?: number
}

function bufferSettings(s: ConfScope): BufferSettings {
  let b = s.data.get(BUFFERS) as BufferSettings | undefined
  if (b === undefined) {
    s.data.set(BUFFERS, (b = {}))
    let levels = s.conf.state.get(BUFFER_LEVELS) as ConfScope[] | undefined
    if (levels === undefined) s.conf.state.set(BUFFER_LEVELS, (levels = []))
    levels.push(s)
  }
  return b
}

reg('proxy_buffer_size', 'TAKE1', (d, s) => {
  s.once(d)
  const n = size(d)
  bufferSettings(s).bufferSize = n
  // the one buffer nresty uses: the backend's headers must fit in it
  proxyOf(s).bufferSize = n
})

reg('proxy_busy_buffers_size', 'TAKE1', (d, s) => {
  s.once(d)
  bufferSettings(s).busy = size(d)
})

reg('proxy_buffers', 'TAKE2', (d, s) => {
  s.once(d)
  const n = atoi(d.args[0]!.value)
  if (n < 1) throw confError(d, `"${d.name}" directive invalid value`)
  let bytes = -1
  try {
    bytes = parseSize(d.args[1]!.value)
  } catch {
    // invalid below
  }
  if (bytes < 1) throw confError(d, `"${d.name}" directive invalid value`)
  bufferSettings(s).buffers = { num: n, size: bytes }
})

/** nginx's merge-time checks of the buffer sizes, for each level that sets one (named at the http `}`). */
function checkBuffers(conf: ConfBuild, place: ConfPlace): void {
  const levels = conf.state.get(BUFFER_LEVELS) as ConfScope[] | undefined
  if (levels === undefined || conf.def.servers.length === 0) return
  for (const level of levels) {
    let bufferSize: number | undefined
    let buffers: BufferSettings['buffers']
    let busySize: number | undefined
    for (let s: ConfScope | undefined = level; s !== undefined; s = s.parent) {
      const b = s.data.get(BUFFERS) as BufferSettings | undefined
      if (b === undefined) continue
      bufferSize ??= b.bufferSize
      buffers ??= b.buffers
      busySize ??= b.busy
    }
    const page = 4096
    const bufs = buffers ?? { num: 8, size: page }
    if (bufs.num < 2) throw new ConfFileError('there must be at least 2 "proxy_buffers"', place)
    const one = Math.max(bufferSize ?? page, bufs.size)
    const busy = busySize ?? 2 * one
    if (busy < one) {
      throw new ConfFileError('"proxy_busy_buffers_size" must be equal to or greater than the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers"', place)
    }
    if (busy > (bufs.num - 1) * bufs.size) {
      throw new ConfFileError('"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer', place)
    }
  }
}

reg('proxy_redirect', 'TAKE12', (d, s) => {
  s.once(d)
  const first = d.args[0]!.value
  if (d.args.length === 1) {
    if (first === 'default') {
      const ref = s.data.get(PROXY_PASS) as PassRef | undefined
      if (ref?.variables === true) throw confError(d, '"proxy_redirect default" cannot be used with "proxy_pass" directive with variables')
      if (ref === undefined) throw confError(d, '"proxy_redirect default" should be placed after the "proxy_pass" directive')
    } else if (first !== 'off' && first !== 'false' && first !== 'none') {
      throw confError(d, `invalid parameter "${first}"`)
    }
    return
  }
  s.conf.template(d, first)
  s.conf.template(d, d.args[1]!.value)
  s.conf.warn('nresty does not rewrite the "Location" and "Refresh" headers of proxied responses: this "proxy_redirect" is ignored', d)
})

// ---------------------------------------------------------------------------------------------
// The end of the http block: what nginx checks when it initializes the upstreams and merges

/** ngx_http_upstream_init_main_conf then the merges, before core's own end-of-http checks. */
function proxyEnd(conf: ConfBuild, place: ConfPlace): void {
  for (const e of entries(conf)) {
    if (e.explicit) {
      const servers = e.build!.def.servers
      if (!servers.some((sv) => typeof sv === 'string' || sv.backup !== true)) {
        throw new ConfFileError(`no servers in upstream "${e.host}"`, e.place)
      }
      continue
    }
    if (!resolvable(e.host)) throw new ConfFileError(`host not found in upstream "${e.host}"`, e.place)
  }
  checkBuffers(conf, place)
}

// Wrap the http block's end so that the upstream checks come first, as in nginx.
const http = findDirective('http')!.find((spec) => spec.contexts.includes('main'))!
registerDirective({
  ...http,
  end: (d, inner) => {
    proxyEnd(inner.conf, d.file === '' ? 'command line' : { file: d.file, line: d.block!.endLine })
    http.end?.(d, inner)
  },
}, { replace: true })
