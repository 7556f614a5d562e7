// The nginx.conf directive registry: for each directive its contexts, its argument count
// (nginx's NGX_CONF_TAKE1/1MORE/FLAG/BLOCK…) and the handler that writes what it means into
// the gateway definition being built (ConfBuild). @nresty/lua and the proxy issue register
// theirs with registerDirective(); this file registers the core ones. conf-gateway.ts drives it
// from the parser's hooks, so errors come in nginx's order with nginx's words and file:line.
import { execFileSync } from 'node:child_process'
import { isIP } from 'node:net'
import { hostname as osHostname } from 'node:os'
import { COMBINED_FORMAT } from './access-log.ts'
import { ConfFileError } from './conf-parse.ts'
import type { ConfDirective, ConfPlace } from './conf-parse.ts'
import { ConfError } from './errors.ts'
import type {
  AccessLogSpec, GatewayDef, IfLocationDef, IfTest, ListenSpec, LocationDef, LogLevelName, RewriteOp, ServerDef,
} from './gateway.ts'
import { parseLocation } from './location.ts'
import type { ParsedLocation } from './location.ts'
import { compileRegex } from './pcre.ts'
import { ServerNameMatcher } from './server-name.ts'
import { compileTemplate } from './template.ts'
import { parseSize, parseTime, parseTimeSec } from './units.ts'

// ---------------------------------------------------------------------------------------------
// The registry

/**
 * Where a directive may appear, as nginx's NGX_*_CONF flags say: the main level, `events`,
 * `http`, `server`, `location`, an `if` in a server or in a location (nginx's SIF and LIF),
 * `upstream`, and `types`.
 */
export type ConfContext =
  | 'main' | 'events' | 'http' | 'server' | 'server_if' | 'location' | 'location_if' | 'upstream' | 'types'

/** The argument count, as nginx's NGX_CONF_* flags spell it (`FLAG` is one `on`/`off`). */
export type ConfArgs =
  | 'NOARGS' | 'TAKE1' | 'TAKE2' | 'TAKE3' | 'TAKE4' | 'TAKE5' | 'TAKE6' | 'TAKE7'
  | 'TAKE12' | 'TAKE13' | 'TAKE23' | 'TAKE123' | 'TAKE1234' | 'FLAG' | '1MORE' | '2MORE' | 'ANY'

/**
 * A directive's handler. It runs when nginx would run it: at the directive's `;`, at a block's
 * `{` (before the block's contents), or, for a `*_by_lua_block`, once its code is read
 * (`d.lua` is there). A block directive returns the scope its contents are read in
 * (`scope.child(…)`). Throw `confError(d, text)` for nginx's `[emerg]`.
 */
export type DirectiveHandler = (d: ConfDirective, scope: ConfScope) => ConfScope | undefined

export interface DirectiveSpec {
  readonly name: string
  readonly contexts: readonly ConfContext[]
  readonly args: ConfArgs
  /** A block directive (`name … { … }`), a `*_by_lua_block` included. */
  readonly block?: boolean
  readonly handler: DirectiveHandler
  /** For a block directive: runs at its `}`, with the scope the handler returned. */
  readonly end?: (d: ConfDirective, inner: ConfScope) => void
}

const registry = new Map<string, DirectiveSpec[]>()

/**
 * Adds a directive to the registry. The same name may be registered for different contexts
 * (as `server` is in `http` and in `upstream`); registering a name again for a context it
 * already has throws, unless `replace` is set (the registration for those contexts is then
 * replaced).
 *
 * @example
 * registerDirective({
 *   name: 'content_by_lua_block', contexts: ['location', 'location_if'], args: 'NOARGS', block: true,
 *   handler: (d, scope) => {
 *     scope.once(d)
 *     scope.settings!.content = luaHandler(d.lua!.code, `=content_by_lua(nginx.conf:${d.lua!.line})`)
 *     return undefined
 *   },
 * })
 */
export function registerDirective(spec: DirectiveSpec, options: { readonly replace?: boolean } = {}): void {
  if (typeof spec.name !== 'string' || spec.name === '') throw new TypeError('a directive needs a name')
  if (typeof spec.handler !== 'function') throw new TypeError(`directive "${spec.name}" needs a handler`)
  if (ARG_COUNTS[spec.args] === undefined) throw new TypeError(`directive "${spec.name}": unknown argument count "${String(spec.args)}"`)
  const list = registry.get(spec.name) ?? []
  const clash = list.filter((s) => s.contexts.some((c) => spec.contexts.includes(c)))
  if (clash.length > 0 && options.replace !== true) throw new TypeError(`directive "${spec.name}" is already registered for these contexts`)
  registry.set(spec.name, [...list.filter((s) => !clash.includes(s)), spec])
}

/** The specs registered under a name (nginx looks the name up in every module). */
export function findDirective(name: string): readonly DirectiveSpec[] | undefined {
  return registry.get(name)
}

/** Argument counts allowed by each spec (`-1`: at least the next number). */
const ARG_COUNTS: Readonly<Record<string, readonly number[]>> = {
  NOARGS: [0], TAKE1: [1], TAKE2: [2], TAKE3: [3], TAKE4: [4], TAKE5: [5], TAKE6: [6], TAKE7: [7],
  TAKE12: [1, 2], TAKE13: [1, 3], TAKE23: [2, 3], TAKE123: [1, 2, 3], TAKE1234: [1, 2, 3, 4],
  FLAG: [1], '1MORE': [-1, 1], '2MORE': [-1, 2], ANY: [-1, 0],
}

/** Whether `n` arguments fit `args` (ngx_conf_handler's check). */
export function argCountOk(args: ConfArgs, n: number): boolean {
  const allowed = ARG_COUNTS[args]!
  if (allowed[0] === -1) return n >= allowed[1]!
  return allowed.includes(n)
}

// ---------------------------------------------------------------------------------------------
// Errors and places

/** Where nginx names a directive's errors: its `;` or `{` line, or the `-g` command line. */
export function placeOf(d: ConfDirective): ConfPlace {
  return d.file === '' ? 'command line' : { file: d.file, line: d.endLine }
}

/** nginx's `[emerg] <text> in <file>:<line>` for a directive. */
export function confError(d: ConfDirective, text: string): ConfFileError {
  return new ConfFileError(text, placeOf(d))
}

/** Runs fn; a ConfError it throws (a checker's, without a place) gets the directive's place. */
function at<T>(d: ConfDirective, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof ConfError && !(e instanceof ConfFileError)) throw confError(d, e.message)
    throw e
  }
}

/** A `[warn]` nginx would print, or a difference nresty reports where it cannot do as nginx. */
export interface ConfWarning {
  readonly text: string
  /** The text with ` in <file>:<line>` when it has a place. */
  readonly located: string
}

// ---------------------------------------------------------------------------------------------
// What the directives build

type Writable<T> = { -readonly [K in keyof T]: T[K] }

/** The settings object of one level: the gateway (http), a server, a location or an `if`. */
export type LevelBuild = Writable<LocationDef>

export interface ServerBuild {
  readonly def: Writable<ServerDef>
  readonly directive: ConfDirective
  readonly listens: ListenSpec[]
  /** `host:port` keys of this server's listens (nginx's `a duplicate listen`). */
  readonly addresses: Set<string>
  readonly names: string[]
  readonly locations: Record<string, LocationDef>
  /** Duplicate-location bookkeeping of the server level. */
  readonly taken: Set<string>
}

export interface LocationBuild {
  readonly parsed: ParsedLocation
  readonly key: string
  readonly def: Writable<LocationDef>
  readonly locations: Record<string, LocationDef>
  readonly taken: Set<string>
}

/** The lua_* settings core checks; the Lua bridge, cosockets and timers apply them. */
export interface LuaConfSettings {
  packagePath?: string
  packageCpath?: string
  maxPendingTimers?: number
  maxRunningTimers?: number
  /** The http level's lua_socket_* values (ms, bytes, count, flag). */
  readonly socket: {
    connectTimeout?: number
    sendTimeout?: number
    readTimeout?: number
    keepaliveTimeout?: number
    bufferSize?: number
    poolSize?: number
    logErrors?: boolean
  }
}

interface ScopeInit {
  readonly context: ConfContext
  readonly directive?: ConfDirective
  readonly settings?: LevelBuild
  readonly ops?: RewriteOp[]
  readonly server?: ServerBuild
  readonly location?: LocationBuild
  readonly any?: (d: ConfDirective) => void
}

/**
 * One block being read: its context and what its directives write to. A handler gets the scope
 * it appears in; a block handler returns `scope.child(…)` for its contents.
 */
export class ConfScope {
  readonly context: ConfContext
  readonly conf: ConfBuild
  readonly parent: ConfScope | undefined
  /** The block directive that opened this scope (undefined at the main level). */
  readonly directive: ConfDirective | undefined
  /**
   * The settings this level's directives write: the gateway for `http`, the server, the
   * location, or a location `if`'s own settings. Undefined in `main`, `events`, a server `if`.
   */
  readonly settings: LevelBuild | undefined
  /** Where the rewrite module's steps go (server, location, or an `if`'s block). */
  readonly ops: RewriteOp[] | undefined
  readonly server: ServerBuild | undefined
  /** The innermost location. */
  readonly location: LocationBuild | undefined
  /** Directives already seen at this level, for nginx's `"x" directive is duplicate`. */
  readonly seen: Set<string> = new Set()
  /** What extensions keep per scope. */
  readonly data: Map<string, unknown> = new Map()
  /** Takes every directive of the block instead of the registry (nginx's `types { }`). */
  readonly any: ((d: ConfDirective) => void) | undefined

  constructor(conf: ConfBuild, parent: ConfScope | undefined, init: ScopeInit) {
    this.conf = conf
    this.parent = parent
    this.context = init.context
    this.directive = init.directive
    this.settings = init.settings
    this.ops = init.ops
    this.server = init.server ?? parent?.server
    this.location = init.location ?? parent?.location
    this.any = init.any
  }

  /** A scope for a block directive's contents. */
  child(init: ScopeInit): ConfScope {
    return new ConfScope(this.conf, this, init)
  }

  /** nginx's `"name" directive is duplicate` when the directive was already set at this level. */
  once(d: ConfDirective): void {
    if (this.seen.has(d.name)) throw confError(d, `"${d.name}" directive is duplicate`)
    this.seen.add(d.name)
  }
}

/** nginx's default listen for a server without one: port 80 as root, else 8000. */
const DEFAULT_PORT = process.getuid?.() === 0 ? 80 : 8000

/** Everything one configuration load builds; handlers reach it as `scope.conf`. */
export class ConfBuild {
  /** The prefix (`-p`), with a trailing `/`. */
  readonly prefix: string
  /** The main configuration file. */
  readonly file: string
  /** The gateway definition the directives fill in (the http level's settings are on it). */
  readonly def: Writable<GatewayDef> & { servers: ServerDef[] } = { servers: [] }
  /** `daemon`, `master_process`: undefined when not set (nginx's default is on). */
  daemon: boolean | undefined = undefined
  masterProcess: boolean | undefined = undefined
  /** `env` directives: name → value, or undefined to keep the inherited one. */
  readonly env: Map<string, string | undefined> = new Map()
  events = false
  /** A main-level `error_log` was given. */
  errorLogSet = false
  readonly lua: LuaConfSettings = { socket: {} }
  readonly warnings: ConfWarning[] = []
  /** What extensions keep for the whole configuration. */
  readonly state: Map<string, unknown> = new Map()
  /** Variables made by `set` (or declared by extensions) and by named regex captures. */
  readonly declared: Set<string> = new Set()
  /** Variables referenced, with where each was first used. */
  readonly used: Map<string, ConfPlace> = new Map()
  /** log_format name → format. */
  readonly formats: Map<string, string> = new Map([['combined', COMBINED_FORMAT]])
  /** Listen addresses (`host:port`) → their default server and server names. */
  readonly addresses: Map<string, { defaultServer: ServerBuild | undefined; servers: ServerBuild[] }> = new Map()
  /** The first duplicate location, reported when the http block ends (as nginx does). */
  duplicateLocation: ConfFileError | undefined = undefined
  readonly root: ConfScope

  constructor(prefix: string, file: string) {
    this.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`
    this.file = file
    this.root = new ConfScope(this, undefined, { context: 'main' })
  }

  /** Records a `[warn]`; with a directive, it carries the directive's place. */
  warn(text: string, d?: ConfDirective): void {
    const place = d === undefined ? undefined : placeOf(d)
    const where = place === undefined ? '' : place === 'command line' ? ' in command line' : ` in ${place.file}:${place.line}`
    this.warnings.push({ text, located: text + where })
  }

  /** Checks a complex value (`"x $var"`) at d's place and records the variables it uses. */
  template(d: ConfDirective, source: string): string {
    const t = at(d, () => compileTemplate(source))
    for (const v of t.vars) this.useVariable(v, d)
    return source
  }

  /** Records a variable reference (nginx reports unknown ones when the http block ends). */
  useVariable(name: string, d: ConfDirective): void {
    if (!this.used.has(name)) this.used.set(name, placeOf(d))
  }

  /** Declares a variable, as `set` does (for extensions such as `set_by_lua`). */
  declareVariable(name: string): void {
    this.declared.add(name)
  }

  /** Compiles a PCRE regex at d's place; its named captures become variables. */
  regex(d: ConfDirective, source: string, caseless: boolean): RegExp {
    const re = at(d, () => compileRegex(source, caseless))
    this.declareGroups(re)
    return re
  }

  declareGroups(re: RegExp): void {
    const groups = new RegExp(`(?:${re.source})|`, re.flags).exec('')?.groups
    if (groups !== undefined) for (const name of Object.keys(groups)) this.declared.add(name)
  }
}

// ---------------------------------------------------------------------------------------------
// Value helpers with nginx's messages

/** ngx_atoi: digits only; -1 when not a number. */
function atoi(s: string): number {
  if (!/^\d+$/.test(s)) return -1
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : -1
}

/** ngx_conf_set_flag_slot. */
function flag(d: ConfDirective): boolean {
  const v = d.args[0]!.value
  const l = v.toLowerCase()
  if (l === 'on') return true
  if (l === 'off') return false
  throw confError(d, `invalid value "${v}" in "${d.name}" directive, it must be "on" or "off"`)
}

/** ngx_conf_set_msec_slot: the raw value, checked. */
function msec(d: ConfDirective, v: string = d.args[0]!.value): number {
  try {
    return parseTime(v)
  } catch {
    throw confError(d, `"${d.name}" directive invalid value`)
  }
}

/** ngx_conf_set_size_slot / ngx_conf_set_off_slot. */
function size(d: ConfDirective): number {
  try {
    return parseSize(d.args[0]!.value)
  } catch {
    throw confError(d, `"${d.name}" directive invalid value`)
  }
}

/** ngx_conf_set_num_slot. */
function num(d: ConfDirective): number {
  const n = atoi(d.args[0]!.value)
  if (n < 0) throw confError(d, `"${d.name}" directive invalid number`)
  return n
}

function value(d: ConfDirective, i: number): string {
  return d.args[i]!.value
}

/** A handler for directives nresty accepts and does nothing with (documented in conf-gateway.md). */
const accepted: DirectiveHandler = () => undefined

/** A handler for an `on`/`off` directive nresty accepts without effect: the value is still checked. */
const acceptedFlag: DirectiveHandler = (d, s) => {
  s.once(d)
  flag(d)
  return undefined
}

const HTTP_LEVELS: readonly ConfContext[] = ['http', 'server', 'location']
const HTTP_LEVELS_IF: readonly ConfContext[] = ['http', 'server', 'location', 'location_if']
const REWRITE_CONTEXTS: readonly ConfContext[] = ['server', 'server_if', 'location', 'location_if']

function reg(name: string, contexts: readonly ConfContext[], args: ConfArgs, handler: DirectiveHandler, extra: Partial<DirectiveSpec> = {}): void {
  registerDirective({ name, contexts, args, handler, ...extra })
}

// ---------------------------------------------------------------------------------------------
// Main level and events

reg('worker_processes', ['main'], 'TAKE1', (d, s) => {
  s.once(d)
  const v = value(d, 0)
  if (v === 'auto') s.conf.def.workers = 'auto'
  else {
    const n = atoi(v)
    // nginx accepts 0 (a master without workers); nresty needs one.
    if (n < 1) throw confError(d, '"worker_processes" directive invalid value')
    s.conf.def.workers = n
  }
  return undefined
})

reg('daemon', ['main'], 'FLAG', (d, s) => {
  s.once(d)
  s.conf.daemon = flag(d)
  return undefined
})

reg('master_process', ['main'], 'FLAG', (d, s) => {
  s.once(d)
  s.conf.masterProcess = flag(d)
  return undefined
})

reg('pid', ['main'], 'TAKE1', (d, s) => {
  s.once(d)
  s.conf.def.pid = value(d, 0)
  return undefined
})

reg('worker_shutdown_timeout', ['main'], 'TAKE1', (d, s) => {
  s.once(d)
  msec(d)
  s.conf.def.workerShutdownTimeout = value(d, 0)
  return undefined
})

reg('env', ['main'], 'TAKE1', (d, s) => {
  const v = value(d, 0)
  const eq = v.indexOf('=')
  if (eq < 0) s.conf.env.set(v, undefined)
  else s.conf.env.set(v.slice(0, eq), v.slice(eq + 1))
  return undefined
})

const LOG_LEVELS: readonly LogLevelName[] = ['stderr', 'emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug']

reg('error_log', ['main', 'http', 'server', 'location'], '1MORE', (d, s) => {
  const path = value(d, 0)
  if (/^(syslog|memory):/.test(path)) throw confError(d, `"${path.slice(0, path.indexOf(':'))}" error logs are not supported by nresty`)
  let level: LogLevelName | undefined
  for (const a of d.args.slice(1)) {
    const l = LOG_LEVELS.indexOf(a.value as LogLevelName)
    if (l <= 0) throw confError(d, `invalid log level "${a.value}"`)
    if (level !== undefined) throw confError(d, `duplicate log level "${a.value}"`)
    level = a.value as LogLevelName
  }
  if (s.context !== 'main') {
    s.conf.warn('nresty writes one error log, the main level\'s: this "error_log" is ignored', d)
  } else if (s.conf.errorLogSet) {
    s.conf.warn('nresty writes one error log, the first one: this "error_log" is ignored', d)
  } else {
    s.conf.errorLogSet = true
    s.conf.def.errorLog = { path, level: level ?? 'error' }
  }
  return undefined
})

reg('events', ['main'], 'NOARGS', (d, s) => {
  s.once(d)
  s.conf.events = true
  return s.child({ context: 'events', directive: d })
}, { block: true })

reg('worker_connections', ['events'], 'TAKE1', (d, s) => {
  s.once(d)
  const n = atoi(value(d, 0))
  if (n < 1) throw confError(d, `invalid number "${value(d, 0)}"`)
  s.conf.def.workerConnections = n
  return undefined
})

for (const name of ['user', 'worker_rlimit_nofile', 'load_module']) reg(name, ['main'], name === 'user' ? 'TAKE12' : 'TAKE1', accepted)
reg('pcre_jit', ['main'], 'FLAG', acceptedFlag)
reg('use', ['events'], 'TAKE1', accepted)
for (const name of ['multi_accept', 'accept_mutex']) reg(name, ['events'], 'FLAG', acceptedFlag)

// ---------------------------------------------------------------------------------------------
// http, server, listen, server_name

reg('http', ['main'], 'NOARGS', (d, s) => {
  s.once(d)
  return s.child({ context: 'http', directive: d, settings: s.conf.def as LevelBuild })
}, { block: true, end: (_d, inner) => httpEnd(inner.conf) })

reg('server', ['http'], 'NOARGS', (d, s) => {
  const def: Writable<ServerDef> = { listen: [], rewriteOps: [], locations: {} }
  const server: ServerBuild = {
    def, directive: d, listens: [], addresses: new Set(), names: [], locations: def.locations as Record<string, LocationDef>, taken: new Set(),
  }
  s.conf.def.servers.push(def as ServerDef)
  return s.child({ context: 'server', directive: d, settings: def as LevelBuild, ops: def.rewriteOps as RewriteOp[], server })
}, {
  block: true,
  end: (_d, inner) => {
    const server = inner.server!
    if (server.listens.length === 0) server.listens.push({ host: '0.0.0.0', port: DEFAULT_PORT })
    server.def.listen = server.listens
    if (server.names.length > 0) server.def.serverName = server.names
  },
})

const LISTEN_FLAGS: ReadonlySet<string> = new Set(['bind', 'deferred', 'reuseport'])
const LISTEN_VALUES: ReadonlySet<string> = new Set(['setfib', 'fastopen', 'rcvbuf', 'sndbuf', 'accept_filter', 'ipv6only', 'so_keepalive'])
const LISTEN_UNSUPPORTED: ReadonlySet<string> = new Set(['ssl', 'http2', 'http3', 'quic', 'proxy_protocol'])

reg('listen', ['server'], '1MORE', (d, s) => {
  const server = s.server!
  const addr = value(d, 0)
  const hosts = listenHosts(d, addr)
  let isDefault = false
  let backlog: number | undefined
  for (const a of d.args.slice(1)) {
    const p = a.value
    const eq = p.indexOf('=')
    const key = eq < 0 ? p : p.slice(0, eq)
    if (p === 'default_server' || p === 'default') isDefault = true
    else if (key === 'backlog' && eq > 0) {
      const n = Number(p.slice(eq + 1))
      if (!/^-?\d+$/.test(p.slice(eq + 1)) || n === 0) throw confError(d, `invalid backlog "${p}"`)
      backlog = n
    } else if (eq < 0 && LISTEN_FLAGS.has(p)) {
      // accepted: node binds each address itself, with SO_REUSEPORT when workers share it
    } else if (eq > 0 && LISTEN_VALUES.has(key)) {
      // accepted without effect (socket options node does not expose)
    } else if (LISTEN_UNSUPPORTED.has(p)) {
      throw confError(d, `the "${p}" parameter of the "listen" directive is not supported by nresty`)
    } else {
      throw confError(d, `invalid parameter "${p}"`)
    }
  }
  for (const { host, port } of hosts) {
    const key = `${host.includes(':') ? `[${host}]` : host}:${port}`
    if (server.addresses.has(key)) throw confError(d, `a duplicate listen ${key}`)
    server.addresses.add(key)
    let a = s.conf.addresses.get(key)
    if (a === undefined) s.conf.addresses.set(key, (a = { defaultServer: undefined, servers: [] }))
    if (isDefault) {
      if (a.defaultServer !== undefined) throw confError(d, `a duplicate default server for ${key}`)
      a.defaultServer = server
    }
    a.servers.push(server)
    const spec: Writable<Exclude<ListenSpec, number | string>> = { host, port }
    if (isDefault) spec.defaultServer = true
    if (backlog !== undefined) spec.backlog = backlog
    server.listens.push(spec)
  }
  return undefined
})

/** The addresses of `listen`'s first argument, as ngx_parse_url reads it (names resolved now). */
function listenHosts(d: ConfDirective, addr: string): { host: string; port: number }[] {
  const bad = (why: string): ConfFileError => confError(d, `${why} in "${addr}" of the "listen" directive`)
  if (addr.startsWith('unix:')) throw confError(d, 'unix domain sockets in "listen" are not supported by nresty')
  let host: string
  let portText: string | undefined
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']')
    if (end < 0) throw bad('invalid host')
    host = addr.slice(1, end)
    if (isIP(host) !== 6) throw bad('invalid IPv6 address')
    const rest = addr.slice(end + 1)
    if (rest !== '' && !rest.startsWith(':')) throw bad('invalid host')
    portText = rest === '' ? undefined : rest.slice(1)
  } else {
    const colon = addr.indexOf(':')
    if (colon < 0) {
      // a bare number is a port on every address
      if (/^\d+$/.test(addr)) return [{ host: '0.0.0.0', port: checkPort(addr, bad) }]
      host = addr
    } else {
      host = addr.slice(0, colon)
      portText = addr.slice(colon + 1)
    }
  }
  const port = portText === undefined ? 80 : checkPort(portText, bad)
  if (host === '*' || host === '') return [{ host: '0.0.0.0', port }]
  if (isIP(host) !== 0) return [{ host, port }]
  return resolveHost(host, bad).map((h) => ({ host: h, port }))
}

function checkPort(text: string, bad: (why: string) => ConfFileError): number {
  const n = atoi(text)
  if (n < 1 || n > 65535) throw bad('invalid port')
  return n
}

/**
 * A host name's addresses, looked up now (nginx resolves listen names while it reads the
 * configuration, and reports the first error in file order, so this cannot wait).
 */
function resolveHost(host: string, bad: (why: string) => ConfFileError): string[] {
  let out: string
  try {
    out = execFileSync('getent', ['ahosts', host], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
  } catch (e) {
    // getent answers 2 for an unknown name; without getent, let node resolve it when it binds.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [host]
    throw bad('host not found')
  }
  const addrs: string[] = []
  for (const line of out.split('\n')) {
    const a = line.split(/\s+/)[0]
    if (a !== undefined && a !== '' && isIP(a) !== 0 && !addrs.includes(a)) addrs.push(a)
  }
  if (addrs.length === 0) throw bad('host not found')
  return addrs
}

reg('server_name', ['server'], '1MORE', (d, s) => {
  for (const a of d.args) {
    let name = a.value === '$hostname' ? osHostname() : a.value
    if (name[0] === '~') s.conf.regex(d, name.slice(1), /[A-Z]/.test(name))
    else {
      at(d, () => new ServerNameMatcher<number>().add(name, 0))
      name = name.toLowerCase()
    }
    s.server!.names.push(name)
  }
  return undefined
})

// ---------------------------------------------------------------------------------------------
// location, if and the rewrite module

const MODIFIERS: ReadonlySet<string> = new Set(['=', '~', '~*', '^~'])

reg('location', ['server', 'location'], 'TAKE12', (d, s) => {
  let key: string
  if (d.args.length === 2) {
    const mod = value(d, 0)
    if (!MODIFIERS.has(mod)) throw confError(d, `invalid location modifier "${mod}"`)
    key = `${mod} ${value(d, 1)}`
  } else {
    key = value(d, 0)
  }
  const parsed = at(d, () => parseLocation(key))
  if (parsed.regex !== undefined) s.conf.declareGroups(parsed.regex)
  const parent = s.context === 'location' ? s.location : undefined
  if (parent !== undefined) {
    const p = parent.parsed
    if (p.kind === 'exact') throw confError(d, `location "${parsed.path}" cannot be inside the exact location "${p.path}"`)
    if (p.kind === 'named') throw confError(d, `location "${parsed.path}" cannot be inside the named location "${p.path}"`)
    if (parsed.kind === 'named') throw confError(d, `named location "${parsed.path}" can be on the server level only`)
    if (parsed.regex === undefined && !parsed.path.startsWith(p.path)) throw confError(d, `location "${parsed.path}" is outside location "${p.path}"`)
  }
  const def: Writable<LocationDef> = { rewriteOps: [], locations: {} }
  const build: LocationBuild = { parsed, key, def, locations: def.locations as Record<string, LocationDef>, taken: new Set() }
  const taken = parent === undefined ? s.server!.taken : parent.taken
  const into = parent === undefined ? s.server!.locations : parent.locations
  // `/a` and `^~ /a` are one name to nginx; regexes and named locations may repeat (the first wins).
  const name = parsed.kind === 'exact' ? `=${parsed.path}` : parsed.kind === 'prefix' || parsed.kind === 'noregex' ? ` ${parsed.path}` : key
  if (taken.has(name)) {
    if (parsed.kind === 'exact' || parsed.kind === 'prefix' || parsed.kind === 'noregex') {
      s.conf.duplicateLocation ??= confError(d, `duplicate location "${parsed.path}"`)
    }
  } else {
    taken.add(name)
    into[key] = def as LocationDef
  }
  return s.child({ context: 'location', directive: d, settings: def, ops: def.rewriteOps as RewriteOp[], location: build })
}, { block: true })

reg('if', ['server', 'location'], '1MORE', (d, s) => {
  const test = ifCondition(d, s.conf)
  const inLocation = s.context === 'location'
  const location: IfLocationDef | undefined = inLocation ? {} : undefined
  const then: RewriteOp[] = []
  s.ops!.push(location === undefined ? { op: 'if', test, then } : { op: 'if', test, then, location })
  return s.child({
    context: inLocation ? 'location_if' : 'server_if', directive: d, ops: then,
    ...(location === undefined ? {} : { settings: location as LevelBuild }),
  })
}, { block: true })

const FILE_TESTS: ReadonlySet<string> = new Set(['-f', '!-f', '-d', '!-d', '-e', '!-e', '-x', '!-x'])

/** `if (…)`'s words as ngx_http_rewrite_if_condition reads them. */
function ifCondition(d: ConfDirective, conf: ConfBuild): IfTest {
  const v = d.args.map((a) => a.value)
  const invalid = (w: string): ConfFileError => confError(d, `invalid condition "${w}"`)
  if (v[0] === undefined || v[0][0] !== '(') throw invalid(v[0] ?? '')
  let cur = 0
  if (v[0] === '(') cur = 1
  else v[0] = v[0].slice(1)
  let last = v.length - 1
  const lw = v[last]!
  if (lw === '' || !lw.endsWith(')')) throw invalid(lw)
  if (lw === ')') last--
  else v[last] = lw.slice(0, -1)
  const p = v[cur] ?? ''
  if (p.length > 1 && p[0] === '$') {
    if (cur !== last && cur + 2 !== last) throw invalid(p)
    const name = p.slice(1)
    conf.useVariable(name, d)
    if (cur === last) return { var: name }
    const op = v[cur + 1]!
    const right = v[last]!
    if (op === '=' || op === '!=') return { var: name, op, value: conf.template(d, right) }
    if (op === '~' || op === '~*' || op === '!~' || op === '!~*') {
      conf.regex(d, right, op.endsWith('*'))
      return { var: name, op, regex: right }
    }
    throw confError(d, `unexpected "${op}" in condition`)
  }
  if ((p.length === 2 && p[0] === '-') || (p.length === 3 && p[0] === '!' && p[1] === '-')) {
    if (cur + 1 !== last) throw invalid(p)
    if (!FILE_TESTS.has(p)) throw invalid(p)
    return { op: p as '-f', path: conf.template(d, v[last]!) }
  }
  throw invalid(p)
}

/** Variables nginx has that `set` may not redefine (`the duplicate "uri" variable`). */
function fixedVariable(name: string): boolean {
  return NGINX_VARIABLES.has(name) && name !== 'args' && name !== 'limit_rate'
}

reg('set', REWRITE_CONTEXTS, 'TAKE2', (d, s) => {
  const target = value(d, 0)
  if (target[0] !== '$') throw confError(d, `invalid variable name "${target}"`)
  const name = target.slice(1)
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw confError(d, `invalid variable name "${name}"`)
  if (fixedVariable(name)) throw confError(d, `the duplicate "${name}" variable`)
  s.conf.declareVariable(name)
  s.ops!.push({ op: 'set', name, value: s.conf.template(d, value(d, 1)) })
  return undefined
})

reg('return', REWRITE_CONTEXTS, 'TAKE12', (d, s) => {
  const first = value(d, 0)
  const code = atoi(first)
  if (code < 0) {
    if (d.args.length === 1 && /^(https?:\/\/|\$scheme)/.test(first)) {
      s.ops!.push({ op: 'return', spec: s.conf.template(d, first) })
      return undefined
    }
    throw confError(d, `invalid return code "${first}"`)
  }
  if (code > 999) throw confError(d, `invalid return code "${first}"`)
  s.ops!.push({ op: 'return', spec: d.args.length === 1 ? code : [code, s.conf.template(d, value(d, 1))] })
  return undefined
})

reg('rewrite', REWRITE_CONTEXTS, 'TAKE23', (d, s) => {
  const regex = value(d, 0)
  s.conf.regex(d, regex, false)
  const flagArg = d.args[2]?.value
  if (flagArg !== undefined && flagArg !== 'last' && flagArg !== 'break' && flagArg !== 'redirect' && flagArg !== 'permanent') {
    throw confError(d, `invalid parameter "${flagArg}"`)
  }
  const replacement = s.conf.template(d, value(d, 1))
  s.ops!.push(flagArg === undefined ? { op: 'rewrite', regex, replacement } : { op: 'rewrite', regex, replacement, flag: flagArg })
  return undefined
})

reg('break', REWRITE_CONTEXTS, 'NOARGS', (_d, s) => {
  s.ops!.push({ op: 'break' })
  return undefined
})

// ---------------------------------------------------------------------------------------------
// Level settings

reg('default_type', HTTP_LEVELS, 'TAKE1', (d, s) => {
  s.once(d)
  s.settings!.defaultType = value(d, 0)
  return undefined
})

reg('internal', ['location'], 'NOARGS', (d, s) => {
  s.once(d)
  s.settings!.internal = true
  return undefined
})

reg('add_header', HTTP_LEVELS_IF, 'TAKE23', (d, s) => {
  const name = value(d, 0)
  const val = s.conf.template(d, value(d, 1))
  const third = d.args[2]?.value
  if (third !== undefined && third !== 'always') throw confError(d, `invalid parameter "${third}"`)
  const headers = (s.settings!.addHeader ??= {}) as Record<string, string | { value: string; always?: boolean }>
  if (Object.hasOwn(headers, name)) s.conf.warn(`nresty sends one "${name}" header per level: this "add_header" replaces the one before`, d)
  headers[name] = third === undefined ? val : { value: val, always: true }
  return undefined
})

reg('error_page', HTTP_LEVELS_IF, '2MORE', (d, s) => {
  const args = d.args.map((a) => a.value)
  const uri = args[args.length - 1]!
  const codes = args.slice(0, -1)
  const last = codes[codes.length - 1]!
  if (last[0] === '=') {
    if (last.length > 1 && atoi(last.slice(1)) < 0) throw confError(d, `invalid value "${last}"`)
    throw confError(d, `"${last}" in "error_page" (changing the response code) is not supported by nresty`)
  }
  if (uri.includes('$')) throw confError(d, 'variables in the "error_page" URI are not supported by nresty')
  if (uri[0] !== '/' && uri[0] !== '@') throw confError(d, `"error_page" to "${uri}" (a redirect) is not supported by nresty`)
  const pages = (s.settings!.errorPage ??= {}) as Record<number, string>
  for (const c of codes) {
    const n = atoi(c)
    if (n < 0 || n === 499) throw confError(d, `invalid value "${c}"`)
    if (n < 300 || n > 599) throw confError(d, `value "${c}" must be between 300 and 599`)
    pages[n] = uri
  }
  return undefined
})

reg('access_log', HTTP_LEVELS_IF, '1MORE', (d, s) => {
  const path = value(d, 0)
  const level = s.settings!
  const first = !s.seen.has('access_log')
  s.seen.add('access_log')
  if (path === 'off') {
    if (d.args.length > 1) throw confError(d, `invalid parameter "${value(d, 1)}"`)
    if (first) level.accessLog = false
    return undefined
  }
  if (path.startsWith('syslog:')) throw confError(d, '"syslog:" access logs are not supported by nresty')
  if (path.includes('$')) throw confError(d, 'variables in "access_log" paths are not supported by nresty')
  const format = d.args[1]?.value ?? 'combined'
  if (!s.conf.formats.has(format)) throw confError(d, `unknown log format "${format}"`)
  for (const a of d.args.slice(2)) {
    const p = a.value
    if (p.startsWith('buffer=')) {
      if (!/^buffer=\d+[kKmM]?$/.test(p)) throw confError(d, `invalid buffer size "${p.slice(7)}"`)
    } else if (p.startsWith('flush=')) {
      msec(d, p.slice(6))
    } else if (p === 'gzip' || /^gzip=[1-9]$/.test(p)) {
      // accepted: the log is written uncompressed
    } else if (p.startsWith('if=')) {
      s.conf.template(d, p.slice(3))
      throw confError(d, '"if=" in "access_log" is not supported by nresty')
    } else {
      throw confError(d, `invalid parameter "${p}"`)
    }
  }
  if (!first) {
    s.conf.warn('nresty writes one access log per level: this "access_log" is ignored', d)
    return undefined
  }
  const spec: AccessLogSpec = format === 'combined' ? { path } : { path, format }
  level.accessLog = spec
  return undefined
})

reg('log_format', ['http'], '2MORE', (d, s) => {
  const name = value(d, 0)
  if (s.conf.formats.has(name)) throw confError(d, `duplicate "log_format" name "${name}"`)
  let parts = d.args.slice(1).map((a) => a.value)
  if (parts[0]!.startsWith('escape=')) {
    const esc = parts[0]!.slice(7)
    if (esc !== 'default' && esc !== 'json' && esc !== 'none') throw confError(d, `unknown log format escaping "${esc}"`)
    if (esc !== 'default') throw confError(d, `"escape=${esc}" in "log_format" is not supported by nresty`)
    parts = parts.slice(1)
    if (parts.length === 0) throw confError(d, 'invalid number of arguments in "log_format" directive')
  }
  const format = s.conf.template(d, parts.join(''))
  s.conf.formats.set(name, format)
  s.conf.def.logFormats = { ...s.conf.def.logFormats, [name]: format }
  return undefined
})

reg('client_max_body_size', HTTP_LEVELS, 'TAKE1', (d, s) => {
  s.once(d)
  s.settings!.clientMaxBodySize = size(d)
  return undefined
})

reg('client_body_timeout', HTTP_LEVELS, 'TAKE1', (d, s) => {
  s.once(d)
  msec(d)
  s.settings!.clientBodyTimeout = value(d, 0)
  return undefined
})

reg('send_timeout', HTTP_LEVELS, 'TAKE1', (d, s) => {
  s.once(d)
  msec(d)
  s.settings!.sendTimeout = value(d, 0)
  return undefined
})

reg('client_header_timeout', ['http', 'server'], 'TAKE1', (d, s) => {
  s.once(d)
  msec(d)
  ;(s.settings as Writable<ServerDef>).clientHeaderTimeout = value(d, 0)
  return undefined
})

reg('keepalive_timeout', HTTP_LEVELS, 'TAKE12', (d, s) => {
  s.once(d)
  msec(d)
  if (d.args.length === 2) {
    try {
      parseTimeSec(value(d, 1))
    } catch {
      throw confError(d, '"keepalive_timeout" directive invalid value')
    }
  }
  if (s.context === 'location') s.conf.warn('nresty sets "keepalive_timeout" per server: this one is ignored', d)
  else (s.settings as Writable<ServerDef>).keepaliveTimeout = value(d, 0)
  return undefined
})

reg('large_client_header_buffers', ['http', 'server'], 'TAKE2', (d, s) => {
  s.once(d)
  const n = atoi(value(d, 0))
  if (n < 1) throw confError(d, `invalid value "${value(d, 0)}"`)
  let bytes: number
  try {
    bytes = parseSize(value(d, 1))
  } catch {
    throw confError(d, `invalid value "${value(d, 1)}"`)
  }
  if (bytes === 0) throw confError(d, `invalid value "${value(d, 1)}"`)
  if (s.context === 'server') s.conf.warn('nresty sets "large_client_header_buffers" for the http level only: this one is ignored', d)
  else s.conf.def.largeClientHeaderBuffers = bytes
  return undefined
})

reg('resolver', HTTP_LEVELS, '1MORE', (d, s) => {
  s.once(d)
  // names are resolved (by the OS resolver: nresty does not query the servers named here)
  if (s.settings !== undefined) s.settings.socket = { ...s.settings.socket, resolver: true }
  return undefined
})
reg('resolver_timeout', HTTP_LEVELS, 'TAKE1', (d, s) => {
  s.once(d)
  msec(d)
  return undefined
})

for (const name of ['sendfile', 'tcp_nopush', 'tcp_nodelay']) reg(name, name === 'sendfile' ? HTTP_LEVELS_IF : HTTP_LEVELS, 'FLAG', acceptedFlag)

reg('types', HTTP_LEVELS, 'NOARGS', (d, s) => s.child({
  context: 'types',
  directive: d,
  // Every line is `mime/type ext…;`: accepted, nresty serves no static files.
  any: (t) => {
    if (t.block !== undefined) throw confError(t, 'unexpected "{"')
    if (t.args.length === 0) throw confError(t, 'invalid number of arguments in "types" directive')
  },
}), { block: true })

// ---------------------------------------------------------------------------------------------
// lua_* settings that core checks (the Lua bridge, cosockets and timers apply them)

reg('lua_shared_dict', ['http'], 'TAKE2', (d, s) => {
  const name = value(d, 0)
  const raw = value(d, 1)
  if (name === '') throw confError(d, `invalid lua shared dict name "${name}"`)
  let bytes = -1
  if (/^\d+[kKmM]?$/.test(raw)) bytes = parseSize(raw)
  if (bytes <= 8191) throw confError(d, `invalid lua shared dict size "${raw}"`)
  const dicts = (s.conf.def.sharedDicts ??= {}) as Record<string, number | string>
  const before = dicts[name]
  if (before !== undefined) {
    if (before !== bytes) throw confError(d, `the size ${bytes} of shared memory zone "${name}" conflicts with already declared size ${String(before)}`)
    throw confError(d, `lua_shared_dict "${name}" is already defined as "${name}"`)
  }
  dicts[name] = bytes
  return undefined
})

reg('lua_package_path', ['http'], 'TAKE1', (d, s) => {
  s.once(d)
  s.conf.lua.packagePath = value(d, 0)
  return undefined
})
reg('lua_package_cpath', ['http'], 'TAKE1', (d, s) => {
  s.once(d)
  s.conf.lua.packageCpath = value(d, 0)
  return undefined
})
reg('lua_max_pending_timers', ['http'], 'TAKE1', (d, s) => {
  s.once(d)
  s.conf.lua.maxPendingTimers = num(d)
  return undefined
})
reg('lua_max_running_timers', ['http'], 'TAKE1', (d, s) => {
  s.once(d)
  s.conf.lua.maxRunningTimers = num(d)
  return undefined
})

const LUA_SOCKET: ReadonlyArray<readonly [string, 'connectTimeout' | 'sendTimeout' | 'readTimeout' | 'keepaliveTimeout' | 'bufferSize' | 'poolSize' | 'logErrors', (d: ConfDirective) => number | boolean]> = [
  ['lua_socket_connect_timeout', 'connectTimeout', (d) => msec(d)],
  ['lua_socket_send_timeout', 'sendTimeout', (d) => msec(d)],
  ['lua_socket_read_timeout', 'readTimeout', (d) => msec(d)],
  ['lua_socket_keepalive_timeout', 'keepaliveTimeout', (d) => msec(d)],
  ['lua_socket_buffer_size', 'bufferSize', size],
  ['lua_socket_pool_size', 'poolSize', num],
  ['lua_socket_log_errors', 'logErrors', flag],
]
for (const [name, field, read] of LUA_SOCKET) {
  reg(name, HTTP_LEVELS_IF, name === 'lua_socket_log_errors' ? 'FLAG' : 'TAKE1', (d, s) => {
    s.once(d)
    const v = read(d)
    s.data.set(name, v)
    if (s.context === 'http') (s.conf.lua.socket as Record<string, number | boolean>)[field] = v
    if (s.settings !== undefined) {
      // SocketSettings reads a bare number of seconds: timeouts go as `<ms>ms`
      const setting = typeof v === 'number' && field.endsWith('Timeout') ? `${v}ms` : v
      s.settings.socket = { ...s.settings.socket, [field]: setting }
    }
    return undefined
  })
}

// ---------------------------------------------------------------------------------------------
// The end of the http block: what nginx checks once it has read it

function httpEnd(conf: ConfBuild): void {
  if (conf.duplicateLocation !== undefined) throw conf.duplicateLocation
  // Without a `resolver`, nginx resolves no names at run time (cosockets, proxy_pass with variables).
  conf.def.socket = { ...conf.def.socket, resolver: conf.def.socket?.resolver ?? false }
  for (const [name] of conf.used) {
    if (!knownVariable(name, conf)) throw new ConfFileError(`unknown "${name}" variable`, undefined)
  }
  for (const [name, place] of conf.used) {
    if (conf.declared.has(name) || nrestyVariable(name)) continue
    const where = place === 'command line' ? ' in command line' : ` in ${place.file}:${place.line}`
    const text = `the "$${name}" variable is not supported by nresty: it is always empty`
    conf.warnings.push({ text, located: text + where })
  }
  for (const [key, a] of conf.addresses) {
    const names = new Set<string>()
    for (const server of new Set(a.servers)) {
      const list = server.names.length === 0 ? [''] : server.names
      for (const n of list) {
        if (n[0] === '~') continue
        if (names.has(n)) conf.warn(`conflicting server name "${n}" on ${key}, ignored`)
        names.add(n)
      }
    }
  }
}

const PREFIXES = ['arg_', 'http_', 'sent_http_', 'sent_trailer_', 'cookie_', 'upstream_http_', 'upstream_trailer_', 'upstream_cookie_']

function knownVariable(name: string, conf: ConfBuild): boolean {
  if (conf.declared.has(name) || NGINX_VARIABLES.has(name)) return true
  if (/^\d+$/.test(name)) return true
  return PREFIXES.some((p) => name.startsWith(p))
}

/**
 * The variables nginx 1.22 knows (the core and the modules of the reference build). A variable
 * used in the configuration and not among these, nor set, nor a regex's named capture, is
 * nginx's `unknown "name" variable`.
 */
const NGINX_VARIABLES: ReadonlySet<string> = new Set([
  'content_length', 'content_type', 'host', 'binary_remote_addr', 'remote_addr', 'remote_port',
  'proxy_protocol_addr', 'proxy_protocol_port', 'proxy_protocol_server_addr', 'proxy_protocol_server_port',
  'server_addr', 'server_port', 'server_protocol', 'scheme', 'https', 'request_uri', 'uri', 'document_uri',
  'request', 'document_root', 'realpath_root', 'query_string', 'args', 'is_args', 'request_filename',
  'server_name', 'request_method', 'remote_user', 'bytes_sent', 'body_bytes_sent', 'pipe',
  'request_completion', 'request_body', 'request_body_file', 'request_length', 'request_time', 'request_id',
  'status', 'limit_rate', 'connection', 'connection_requests', 'connection_time', 'nginx_version',
  'hostname', 'pid', 'msec', 'time_iso8601', 'time_local', 'tcpinfo_rtt', 'tcpinfo_rttvar',
  'tcpinfo_snd_cwnd', 'tcpinfo_rcv_space',
  'ssl_protocol', 'ssl_cipher', 'ssl_ciphers', 'ssl_curves', 'ssl_session_id', 'ssl_session_reused',
  'ssl_early_data', 'ssl_server_name', 'ssl_alpn_protocol', 'ssl_client_cert', 'ssl_client_raw_cert',
  'ssl_client_escaped_cert', 'ssl_client_s_dn', 'ssl_client_i_dn', 'ssl_client_s_dn_legacy',
  'ssl_client_i_dn_legacy', 'ssl_client_serial', 'ssl_client_fingerprint', 'ssl_client_verify',
  'ssl_client_v_start', 'ssl_client_v_end', 'ssl_client_v_remain',
  'http2', 'realip_remote_addr', 'realip_remote_port', 'gzip_ratio',
  'upstream_addr', 'upstream_status', 'upstream_connect_time', 'upstream_header_time',
  'upstream_response_time', 'upstream_response_length', 'upstream_bytes_received', 'upstream_bytes_sent',
  'upstream_cache_status', 'proxy_host', 'proxy_port', 'proxy_add_x_forwarded_for',
  'proxy_internal_body_length', 'proxy_internal_chunked', 'fastcgi_script_name', 'fastcgi_path_info',
  'invalid_referer', 'uid_got', 'uid_set', 'uid_reset', 'secure_link', 'secure_link_expires',
  'connections_active', 'connections_reading', 'connections_writing', 'connections_waiting',
  'limit_req_status', 'limit_conn_status', 'memcached_key', 'date_local', 'date_gmt',
  'modern_browser', 'ancient_browser', 'msie', 'slice_range',
])

/** What nresty computes (var.ts); every other nginx variable reads as empty. */
const NRESTY_VARIABLES: ReadonlySet<string> = new Set([
  'uri', 'document_uri', 'request_uri', 'args', 'query_string', 'is_args', 'host', 'hostname',
  'remote_addr', 'binary_remote_addr', 'remote_port', 'remote_user', 'server_addr', 'server_port',
  'server_name', 'server_protocol', 'scheme', 'https', 'request_method', 'request', 'request_time', 'msec',
  'time_local', 'time_iso8601', 'status', 'body_bytes_sent', 'bytes_sent', 'request_length',
  'content_type', 'content_length', 'request_body', 'request_id', 'pid', 'nginx_version', 'connection',
  'connection_requests', 'limit_rate', 'document_root', 'realpath_root',
  'upstream_addr', 'upstream_status', 'upstream_response_time', 'upstream_connect_time', 'upstream_header_time',
  'upstream_response_length', 'upstream_bytes_received', 'proxy_host', 'proxy_port', 'proxy_add_x_forwarded_for',
])

function nrestyVariable(name: string): boolean {
  if (NRESTY_VARIABLES.has(name) || /^\d+$/.test(name)) return true
  return ['arg_', 'http_', 'cookie_', 'sent_http_', 'upstream_http_'].some((p) => name.startsWith(p))
}
