// Compiles a gateway definition into what the request path reads: per listen address a
// server-name index; per server a location tree; per location its merged settings (nginx's
// merge of http → server → location → nested location), handler arrays and compiled
// templates. Everything that can be decided once is decided here.
import { availableParallelism } from 'node:os'
import { resolve as resolvePath } from 'node:path'
import { AccessLog, COMBINED_FORMAT } from './access-log.ts'
import type { CosocketConf } from './cosocket.ts'
import { ConfError } from './errors.ts'
import type {
  AddHeaderSpec, GatewayDef, Handler, HandlerList, IfTest, LevelSettings, ListenSpec, LocationDef,
  ReturnSpec, RewriteOp, ServerDef, SetHandler,
} from './gateway.ts'
import { LocationTree, parseLocation } from './location.ts'
import { compileProxyPass, mergeProxyConf, proxyHandler } from './proxy.ts'
import type { ProxyConf, ProxyTarget } from './proxy.ts'
import { compileUpstream } from './upstream.ts'
import type { UpstreamConf } from './upstream.ts'
import { compileRegex } from './pcre.ts'
import { ServerNameMatcher } from './server-name.ts'
import { mergeCosocketConf } from './socket-api.ts'
import type { TimerLimits } from './timer.ts'
import { compileTemplate } from './template.ts'
import type { Template } from './template.ts'
import { parseSize, parseTime } from './units.ts'

/**
 * The rewrite module's steps, flattened as nginx compiles them: an `if` is followed by its
 * block's steps, which a false condition skips (`skip` of them); then the steps after the
 * block run either way.
 */
export type CompiledOp =
  | { readonly op: 'set'; readonly name: string; readonly value: Template }
  | { readonly op: 'return'; readonly ret: CompiledReturn }
  | { readonly op: 'rewrite'; readonly rw: CompiledRewrite }
  | { readonly op: 'break' }
  | { readonly op: 'if'; readonly test: CompiledTest; readonly skip: number; readonly conf: LocConf | undefined }
  | { readonly op: 'setBy'; readonly name: string; readonly handler: SetHandler; readonly args: readonly Template[] }

/** `rewrite regex replacement [flag]`. */
export interface CompiledRewrite {
  readonly regex: RegExp
  /** The regex has groups: a match sets `$1`…; one without sets none. */
  readonly groups: boolean
  /** The new `$uri` (a redirect: the whole Location, `?args` included). */
  readonly uri: Template
  /** What follows the replacement's first `?`: the new `$args` (not for a redirect). */
  readonly args: Template | undefined
  /** The replacement has a `?` (a redirect then appends the old args with `&`). */
  readonly question: boolean
  /** The old args are kept (appended); a replacement ending in `?` drops them. */
  readonly addArgs: boolean
  readonly mode: RewriteMode
  /** 301 or 302 for a redirect. */
  readonly status: number
}

/** 0: go on with the next step; 1 `last`; 2 `break`; 3 a redirect. */
export type RewriteMode = 0 | 1 | 2 | 3

/** `if (…)`: kind 0 `($var)`, 1 `=`, 2 `!=`, 3 a regex, 4 a file test. */
export interface CompiledTest {
  readonly kind: 0 | 1 | 2 | 3 | 4
  readonly negate: boolean
  /** The variable tested (kinds 0–3). */
  readonly name: string
  /** The right side of `=` / `!=`, or the path of a file test. */
  readonly value: Template | undefined
  readonly regex: RegExp | undefined
  readonly groups: boolean
  /** The file test's letter: `f`, `d`, `e` or `x`. */
  readonly file: string
}

export interface CompiledReturn {
  readonly status: number
  /** Body text, or the Location for a redirect status. */
  readonly text: Template | undefined
  readonly redirect: boolean
}

export interface CompiledAddHeader {
  readonly name: string
  readonly value: Template
  readonly always: boolean
}

const REDIRECT_CODES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/** The settings of one location (or of a server, for requests no location matches). */
export class LocConf {
  readonly name: string
  readonly server: ServerConf
  readonly rewriteOps: readonly CompiledOp[]
  readonly rewrite: readonly Handler[]
  readonly access: readonly Handler[]
  readonly content: Handler | undefined
  readonly headerFilter: readonly Handler[]
  readonly bodyFilter: readonly Handler[]
  readonly log: readonly Handler[]
  readonly defaultType: string
  readonly addHeaders: readonly CompiledAddHeader[]
  readonly clientMaxBodySize: number
  readonly clientBodyTimeout: number
  readonly sendTimeout: number
  readonly accessLog: AccessLog | null
  readonly errorPages: ReadonlyMap<number, string> | null
  readonly internal: boolean
  /** lua_socket_* for the cosockets of requests here (and of the timers they create). */
  readonly cosocket: CosocketConf
  /** proxy_* settings (used by proxyPass). */
  readonly proxy: ProxyConf
  /** The compiled proxyPass, when the location has one (it is then the content handler). */
  readonly proxyPass: ProxyTarget | undefined

  constructor(name: string, server: ServerConf, m: Merged, def: LocationDef | undefined, ctx: CompileContext, inIf = false) {
    this.name = name
    this.server = server
    this.rewriteOps = def === undefined ? [] : compileOps(def, def.return, ctx, { name, server, merged: m, def })
    this.rewrite = m.rewrite
    this.access = m.access
    this.proxy = m.proxy
    this.proxyPass = def?.proxyPass === undefined ? undefined : compileLocationProxy(name, def.proxyPass, inIf, ctx)
    if (this.proxyPass !== undefined && def?.content !== undefined) throw new ConfError('"proxyPass" and "content" cannot both be set in one location')
    this.content = this.proxyPass !== undefined ? proxyHandler(this.proxyPass) : def?.content
    this.headerFilter = m.headerFilter
    this.bodyFilter = m.bodyFilter
    this.log = m.log
    this.defaultType = m.defaultType
    this.addHeaders = m.addHeaders
    this.clientMaxBodySize = m.clientMaxBodySize
    this.clientBodyTimeout = m.clientBodyTimeout
    this.sendTimeout = m.sendTimeout
    this.accessLog = m.accessLog.get()
    this.errorPages = m.errorPages
    this.internal = def?.internal === true
    this.cosocket = m.cosocket
  }
}

export class ServerConf {
  readonly names: readonly string[]
  readonly serverRewriteOps: readonly CompiledOp[]
  readonly serverRewrite: readonly Handler[]
  readonly locations: LocationTree<LocConf>
  /** The server's own settings, used when no location matches. */
  readonly base: LocConf
  readonly keepaliveTimeout: number
  readonly clientHeaderTimeout: number
  /**
   * URIs that get a 301 to themselves with a `/`: the names of prefix locations ending in `/`
   * that proxy, without it (nginx's auto_redirect).
   */
  readonly autoRedirect: Set<string> = new Set()

  constructor(def: ServerDef, http: Merged, gw: GatewayDef, ctx: CompileContext) {
    const names = def.serverName === undefined ? [''] : typeof def.serverName === 'string' ? [def.serverName] : [...def.serverName]
    this.names = names
    this.serverRewriteOps = [...(ctx.httpOps), ...compileOps(def, def.return, ctx, undefined)]
    this.serverRewrite = list(def.serverRewrite ?? gw.serverRewrite)
    this.keepaliveTimeout = parseTime(def.keepaliveTimeout ?? gw.keepaliveTimeout ?? '75s', 'keepalive_timeout')
    this.clientHeaderTimeout = parseTime(def.clientHeaderTimeout ?? gw.clientHeaderTimeout ?? '60s', 'client_header_timeout')
    const merged = merge(http, def, ctx)
    this.base = new LocConf('', this, merged, undefined, ctx)
    this.locations = buildTree(this, def.locations, merged, ctx)
  }

  /** nginx's `$server_name`: the first name of the server. */
  get primaryName(): string {
    return this.names[0] ?? ''
  }
}

/** One listening address and the servers on it. */
export interface ListenGroup {
  readonly host: string
  readonly port: number
  readonly backlog: number | undefined
  readonly servers: ServerConf[]
  defaultServer: ServerConf
  readonly byName: ServerNameMatcher<ServerConf>
  /** Set when one server listens here with no other: the name lookup is skipped. */
  only: ServerConf | undefined
}

export interface CompiledGateway {
  readonly prefix: string
  readonly listens: readonly ListenGroup[]
  readonly servers: readonly ServerConf[]
  /** Every variable declared with `set` anywhere (nginx's variables are global). */
  readonly declaredVars: ReadonlySet<string>
  /** node's limit for the whole header block: nginx's 4 large buffers. */
  readonly maxHeaderSize: number
  /** nginx's large_client_header_buffers size: the longest request line or header line. */
  readonly headerBufferSize: number
  readonly errorLog: { readonly path: string; readonly level: string }
  /** The access logs this gateway opened (closed with the server). */
  readonly accessLogs: readonly AccessLog[]
  /** The process model: worker count ('auto' resolved), limits, pid file, life-cycle phases. */
  readonly workers: number
  readonly workerConnections: number
  /** ms; undefined = wait for in-flight requests however long they take. */
  readonly workerShutdownTimeout: number | undefined
  /** Bytes; undefined = node's default heap limit. */
  readonly workerHeapLimit: number | undefined
  /** Absolute path of the pid file. */
  readonly pidPath: string
  /** Shared dict zones: name → size in bytes, in declaration order. */
  readonly sharedDicts: ReadonlyMap<string, number>
  /** The http level's lua_socket_* (cosockets of init_worker's timers). */
  readonly cosocket: CosocketConf
  /** lua_max_pending_timers, lua_max_running_timers. */
  readonly timerLimits: TimerLimits
  /** `upstream` blocks by name. */
  readonly upstreams: ReadonlyMap<string, UpstreamConf>
  readonly init: readonly Handler[]
  readonly initWorker: readonly Handler[]
  readonly exitWorker: readonly Handler[]
}

/** What a level inherits from the one around it (nginx's merge_loc_conf). */
type Merged = Pick<LocConf,
  | 'rewrite' | 'access' | 'headerFilter' | 'bodyFilter' | 'log' | 'defaultType' | 'addHeaders'
  | 'clientMaxBodySize' | 'clientBodyTimeout' | 'sendTimeout' | 'errorPages' | 'cosocket' | 'proxy'> & {
  /** Opened on first use: a level whose every location turns logging off opens no file. */
  readonly accessLog: { get(): AccessLog | null }
}

interface CompileContext {
  readonly prefix: string
  readonly upstreams: ReadonlyMap<string, UpstreamConf>
  readonly declared: Set<string>
  readonly formats: ReadonlyMap<string, string>
  readonly accessLogs: Map<string, AccessLog>
  httpOps: readonly CompiledOp[]
}

/** Compiles and checks a gateway definition. Throws ConfError with nginx's wording. */
export function compileGateway(gw: GatewayDef, prefixOverride?: string): CompiledGateway {
  const prefix = resolvePath(prefixOverride ?? gw.prefix ?? '.')
  const formats = new Map<string, string>([['combined', COMBINED_FORMAT]])
  for (const [name, fmt] of Object.entries(gw.logFormats ?? {})) {
    if (name === 'combined') throw new ConfError('duplicate "log_format" name "combined"')
    formats.set(name, fmt)
  }
  const upstreams = new Map<string, UpstreamConf>()
  for (const [name, def] of Object.entries(gw.upstreams ?? {})) upstreams.set(name, compileUpstream(name, def))
  const ctx: CompileContext = { prefix, upstreams, declared: new Set(), formats, accessLogs: new Map(), httpOps: [] }
  if (gw.set !== undefined || gw.rewriteOps !== undefined) {
    throw new ConfError('"set" directive is not allowed here')
  }
  const servers: ServerConf[] = []
  const groups = new Map<string, ListenGroup>()
  try {
    const http = merge(undefined, gw, ctx)
    for (const sdef of gw.servers) {
      const server = new ServerConf(sdef, http, gw, ctx)
      servers.push(server)
      const listens = Array.isArray(sdef.listen) ? (sdef.listen as readonly ListenSpec[]) : [sdef.listen as ListenSpec]
      for (const l of listens) addListen(groups, server, l)
    }
    if (servers.length === 0) throw new ConfError('no "server" defined in the gateway')
  } catch (e) {
    // Let go of the access logs opened before the error.
    for (const log of ctx.accessLogs.values()) void log.close()
    throw e
  }
  const headerBufferSize = parseSize(gw.largeClientHeaderBuffers ?? '8k', 'large_client_header_buffers')
  const errorLog = typeof gw.errorLog === 'string' ? { path: gw.errorLog, level: 'error' } : { path: gw.errorLog?.path ?? 'logs/error.log', level: gw.errorLog?.level ?? 'error' }
  return {
    prefix,
    listens: [...groups.values()],
    servers,
    declaredVars: ctx.declared,
    accessLogs: [...ctx.accessLogs.values()],
    maxHeaderSize: 4 * headerBufferSize,
    headerBufferSize,
    errorLog,
    workers: compileWorkers(gw.workers),
    workerConnections: compileWorkerConnections(gw.workerConnections),
    workerShutdownTimeout: gw.workerShutdownTimeout === undefined ? undefined : parseTime(gw.workerShutdownTimeout, 'worker_shutdown_timeout'),
    workerHeapLimit: gw.workerHeapLimit === undefined ? undefined : parseSize(gw.workerHeapLimit, 'worker_heap_limit'),
    pidPath: resolvePath(prefix, gw.pid ?? 'logs/nginx.pid'),
    sharedDicts: compileSharedDicts(gw.sharedDicts),
    cosocket: mergeCosocketConf(undefined, gw.socket),
    timerLimits: compileTimerLimits(gw),
    upstreams,
    init: list(gw.init),
    initWorker: list(gw.initWorker),
    exitWorker: list(gw.exitWorker),
  }
}

function compileTimerLimits(gw: GatewayDef): TimerLimits {
  const count = (n: number | undefined, dflt: number, name: string): number => {
    if (n === undefined) return dflt
    if (!Number.isInteger(n) || n < 1) throw new ConfError(`"${name}" directive invalid value`)
    return n
  }
  return {
    maxPending: count(gw.maxPendingTimers, 1024, 'lua_max_pending_timers'),
    maxRunning: count(gw.maxRunningTimers, 256, 'lua_max_running_timers'),
  }
}

function compileWorkers(w: number | 'auto' | undefined): number {
  if (w === undefined) return 1
  if (w === 'auto') return availableParallelism()
  if (!Number.isInteger(w) || w < 1) throw new ConfError('"worker_processes" directive invalid value')
  return w
}

function compileWorkerConnections(n: number | undefined): number {
  if (n === undefined) return 512
  if (!Number.isInteger(n) || n < 1) throw new ConfError(`invalid number "${String(n)}"`)
  return n
}

function compileSharedDicts(dicts: Readonly<Record<string, number | string>> | undefined): Map<string, number> {
  const zones = new Map<string, number>()
  for (const [name, size] of Object.entries(dicts ?? {})) {
    if (name === '') throw new ConfError('invalid lua shared dict name ""')
    let bytes: number
    try {
      bytes = parseSize(size, 'lua_shared_dict')
    } catch {
      bytes = 0
    }
    // ngx_lua refuses zones of 8191 bytes or less: a slab pool needs a page beyond its header.
    if (bytes <= 8191) throw new ConfError(`invalid lua shared dict size "${String(size)}"`)
    zones.set(name, bytes)
  }
  return zones
}

function addListen(groups: Map<string, ListenGroup>, server: ServerConf, l: ListenSpec): void {
  let host = '0.0.0.0'
  let port: number
  let isDefault = false
  let backlog: number | undefined
  if (typeof l === 'number') port = l
  else if (typeof l === 'string') {
    const i = l.lastIndexOf(':')
    if (i < 0) port = Number(l)
    else {
      host = l.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0'
      port = Number(l.slice(i + 1))
    }
  } else {
    port = l.port
    host = l.host ?? host
    isDefault = l.defaultServer === true
    backlog = l.backlog
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfError(`invalid port in "${typeof l === 'object' ? `${host}:${port}` : String(l)}" of the "listen" directive`)
  const key = `${host}:${port}`
  let g = groups.get(key)
  if (g === undefined) {
    // A lone server skips the name lookup, unless a regex name must set its captures.
    const only = server.names.some((n) => n.startsWith('~')) ? undefined : server
    g = { host, port, backlog, servers: [], defaultServer: server, byName: new ServerNameMatcher<ServerConf>(), only }
    groups.set(key, g)
  } else {
    g.only = undefined
    if (isDefault) g.defaultServer = server
  }
  g.servers.push(server)
  for (const name of server.names) g.byName.add(name, server)
}

function list(h: HandlerList | undefined): readonly Handler[] {
  if (h === undefined) return []
  if (typeof h === 'function') return [h]
  for (const f of h) if (typeof f !== 'function') throw new ConfError('a phase handler must be a function')
  return h
}

function merge(parent: Merged | undefined, s: LevelSettings, ctx: CompileContext): Merged {
  const pick = (own: HandlerList | undefined, inherited: readonly Handler[] | undefined): readonly Handler[] =>
    own !== undefined ? list(own) : (inherited ?? [])
  return {
    rewrite: pick(s.rewrite, parent?.rewrite),
    access: pick(s.access, parent?.access),
    headerFilter: pick(s.headerFilter, parent?.headerFilter),
    bodyFilter: pick(s.bodyFilter, parent?.bodyFilter),
    log: pick(s.log, parent?.log),
    defaultType: s.defaultType ?? parent?.defaultType ?? 'text/plain',
    // add_header is inherited only by levels that define none (nginx).
    addHeaders: s.addHeader !== undefined ? compileAddHeaders(s.addHeader) : (parent?.addHeaders ?? []),
    clientMaxBodySize: s.clientMaxBodySize !== undefined ? parseSize(s.clientMaxBodySize, 'client_max_body_size') : (parent?.clientMaxBodySize ?? 1024 * 1024),
    clientBodyTimeout: s.clientBodyTimeout !== undefined ? parseTime(s.clientBodyTimeout, 'client_body_timeout') : (parent?.clientBodyTimeout ?? 60_000),
    sendTimeout: s.sendTimeout !== undefined ? parseTime(s.sendTimeout, 'send_timeout') : (parent?.sendTimeout ?? 60_000),
    accessLog: s.accessLog !== undefined ? lazyAccessLog(s.accessLog, ctx) : parent === undefined ? lazyAccessLog('logs/access.log', ctx) : parent.accessLog,
    errorPages: s.errorPage !== undefined ? compileErrorPages(s.errorPage) : (parent?.errorPages ?? null),
    cosocket: mergeCosocketConf(parent?.cosocket, s.socket),
    proxy: mergeProxyConf(parent?.proxy, s.proxy),
  }
}

/** A location's proxyPass; a URI part replaces the prefix of prefix and exact locations only. */
function compileLocationProxy(name: string, url: string, inIf: boolean, ctx: CompileContext): ProxyTarget {
  let prefix: string | undefined
  if (!inIf && name !== '') {
    const loc = parseLocation(name)
    if (loc.kind === 'prefix' || loc.kind === 'exact' || loc.kind === 'noregex') prefix = loc.path
  } else if (!inIf) prefix = ''
  return compileProxyPass(url, prefix, ctx.upstreams)
}

function compileAddHeaders(h: Readonly<Record<string, string | AddHeaderSpec>>): CompiledAddHeader[] {
  return Object.entries(h).map(([name, v]) => {
    const spec = typeof v === 'string' ? { value: v } : v
    return { name, value: compileTemplate(spec.value), always: spec.always === true }
  })
}

function compileErrorPages(pages: Readonly<Record<number, string>>): Map<number, string> {
  const m = new Map<number, string>()
  for (const [code, uri] of Object.entries(pages)) {
    const status = Number(code)
    if (!Number.isInteger(status) || status < 300 || status > 599) throw new ConfError(`value "${code}" must be between 300 and 599`)
    m.set(status, uri)
  }
  return m
}

function lazyAccessLog(spec: false | string | { path: string; format?: string }, ctx: CompileContext): { get(): AccessLog | null } {
  if (spec === false || spec === 'off') return { get: () => null }
  const path = resolvePath(ctx.prefix, typeof spec === 'string' ? spec : spec.path)
  const formatName = typeof spec === 'string' ? 'combined' : (spec.format ?? 'combined')
  const format = ctx.formats.get(formatName)
  if (format === undefined) throw new ConfError(`unknown log format "${formatName}"`)
  const key = `${path}\0${formatName}`
  return {
    get: () => {
      let log = ctx.accessLogs.get(key)
      if (log === undefined) {
        log = new AccessLog({ path, format })
        ctx.accessLogs.set(key, log)
      }
      return log
    },
  }
}

/** Where a location's steps are compiled: what its `if` blocks' settings merge over. */
interface OpsOwner {
  readonly name: string
  readonly server: ServerConf
  readonly merged: Merged
  readonly def: LocationDef
}

function compileOps(level: LevelSettings, ret: ReturnSpec | undefined, ctx: CompileContext, owner: OpsOwner | undefined): CompiledOp[] {
  const ops: RewriteOp[] = level.rewriteOps !== undefined ? [...level.rewriteOps] : []
  if (level.rewriteOps === undefined) {
    for (const [name, value] of Object.entries(level.set ?? {})) ops.push({ op: 'set', name, value })
    if (ret !== undefined) ops.push({ op: 'return', spec: ret })
  }
  const out: CompiledOp[] = []
  flattenOps(ops, out, ctx, owner, false)
  return out
}

function flattenOps(ops: readonly RewriteOp[], out: CompiledOp[], ctx: CompileContext, owner: OpsOwner | undefined, inIf: boolean): void {
  for (const op of ops) {
    switch (op.op) {
      case 'set':
        if (!/^[A-Za-z0-9_]+$/.test(op.name)) throw new ConfError(`invalid variable name "${op.name}"`)
        ctx.declared.add(op.name)
        out.push({ op: 'set', name: op.name, value: compileTemplate(op.value) })
        break
      case 'return':
        out.push({ op: 'return', ret: compileReturn(op.spec) })
        break
      case 'rewrite':
        out.push({ op: 'rewrite', rw: compileRewrite(op.regex, op.replacement, op.flag) })
        break
      case 'break':
        out.push({ op: 'break' })
        break
      case 'setBy':
        if (!/^[A-Za-z0-9_]+$/.test(op.name)) throw new ConfError(`invalid variable name "${op.name}"`)
        if (typeof op.handler !== 'function') throw new ConfError('a set handler must be a function')
        ctx.declared.add(op.name)
        out.push({ op: 'setBy', name: op.name, handler: op.handler, args: (op.args ?? []).map((a) => compileTemplate(a)) })
        break
      case 'if': {
        if (inIf) throw new ConfError('"if" directive is not allowed here')
        const test = compileTest(op.test)
        let conf: LocConf | undefined
        if (op.location !== undefined) {
          if (owner === undefined) throw new ConfError('an "if" at the server level cannot have location settings')
          // nginx's "if location": merged over the location; its steps stay in the location's list.
          const l = op.location
          const own = l.content !== undefined || l.proxyPass !== undefined
          // Without a content handler of its own, the block keeps the location's (proxyPass too).
          let def: LocationDef = l
          if (!own && owner.def.proxyPass !== undefined) def = { ...l, proxyPass: owner.def.proxyPass }
          else if (!own && owner.def.content !== undefined) def = { ...l, content: owner.def.content }
          conf = new LocConf(owner.name, owner.server, merge(owner.merged, def, ctx), def, ctx, l.proxyPass !== undefined)
        }
        const at = out.length
        out.push({ op: 'break' }) // replaced below, once the block's length is known
        flattenOps(op.then, out, ctx, owner, true)
        out[at] = { op: 'if', test, skip: out.length - at - 1, conf }
        break
      }
      default:
        throw new ConfError(`unknown rewrite step "${String((op as { op: unknown }).op)}"`)
    }
  }
}

/** `rewrite regex replacement [flag]` as ngx_http_rewrite compiles it. */
export function compileRewrite(regex: string, replacement: string, flag: string | undefined): CompiledRewrite {
  const re = compileRegex(regex, false)
  let mode: RewriteMode = 0
  let status = 302
  // A replacement naming a scheme redirects whatever the flag; `permanent` makes it a 301.
  if (/^(https?:\/\/|\$scheme)/.test(replacement)) mode = 3
  switch (flag) {
    case undefined: break
    case 'last': if (mode !== 3) mode = 1; break
    case 'break': if (mode !== 3) mode = 2; break
    case 'redirect': mode = 3; break
    case 'permanent': mode = 3; status = 301; break
    default: throw new ConfError(`invalid parameter "${flag}"`)
  }
  const addArgs = !replacement.endsWith('?')
  const src = addArgs ? replacement : replacement.slice(0, -1)
  const q = src.indexOf('?')
  const split = mode !== 3 && q >= 0
  return {
    regex: re,
    groups: countGroups(re) > 0,
    uri: compileTemplate(split ? src.slice(0, q) : src),
    args: split ? compileTemplate(src.slice(q + 1)) : undefined,
    question: q >= 0,
    addArgs,
    mode,
    status,
  }
}

/** How many capture groups a regex has. */
function countGroups(re: RegExp): number {
  // An empty alternative matches '' with every group unset.
  return (new RegExp(`(?:${re.source})|`, re.flags).exec('') as RegExpExecArray).length - 1
}

const FILE_TESTS: ReadonlySet<string> = new Set(['-f', '!-f', '-d', '!-d', '-e', '!-e', '-x', '!-x'])
const REGEX_OPS: ReadonlySet<string> = new Set(['~', '~*', '!~', '!~*'])

/** An `if` condition, checked as ngx_http_rewrite_if_condition checks it. */
export function compileTest(t: IfTest): CompiledTest {
  if (!('var' in t)) {
    if (!FILE_TESTS.has(t.op)) throw new ConfError(`invalid condition "${String(t.op)}"`)
    const negate = t.op[0] === '!'
    return { kind: 4, negate, name: '', value: compileTemplate(t.path), regex: undefined, groups: false, file: t.op[negate ? 2 : 1] as string }
  }
  if (!/^[A-Za-z0-9_]+$/.test(t.var)) throw new ConfError(`invalid variable name "${t.var}"`)
  if (!('op' in t)) return { kind: 0, negate: false, name: t.var, value: undefined, regex: undefined, groups: false, file: '' }
  if (t.op === '=' || t.op === '!=') {
    return { kind: t.op === '=' ? 1 : 2, negate: false, name: t.var, value: compileTemplate(t.value), regex: undefined, groups: false, file: '' }
  }
  if (!REGEX_OPS.has(t.op) || !('regex' in t)) throw new ConfError(`unexpected "${String(t.op)}" in condition`)
  const re = compileRegex(t.regex, t.op.endsWith('*'))
  return { kind: 3, negate: t.op[0] === '!', name: t.var, value: undefined, regex: re, groups: countGroups(re) > 0, file: '' }
}

function compileReturn(spec: ReturnSpec): CompiledReturn {
  if (typeof spec === 'number') return { status: checkStatus(spec), text: undefined, redirect: false }
  if (typeof spec === 'string') {
    if (!/^(https?:\/\/|\$scheme)/.test(spec)) throw new ConfError(`invalid return code "${spec}"`)
    return { status: 302, text: compileTemplate(spec), redirect: true }
  }
  const status = checkStatus(spec[0])
  const text = spec[1] === undefined ? undefined : compileTemplate(spec[1])
  return { status, text, redirect: REDIRECT_CODES.has(status) }
}

function checkStatus(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 999) throw new ConfError(`invalid return code "${n}"`)
  return n
}

function buildTree(server: ServerConf, locs: Readonly<Record<string, LocationDef>> | undefined, parent: Merged, ctx: CompileContext): LocationTree<LocConf> {
  const tree = new LocationTree<LocConf>()
  for (const [spec, def] of Object.entries(locs ?? {})) {
    if (def === null || typeof def !== 'object') throw new ConfError(`location "${spec}" must be an object`)
    const merged = merge(parent, def, ctx)
    const conf = new LocConf(spec, server, merged, def, ctx)
    if (conf.proxyPass !== undefined) {
      const loc = parseLocation(spec)
      if ((loc.kind === 'prefix' || loc.kind === 'noregex') && loc.path.length > 1 && loc.path.endsWith('/')) server.autoRedirect.add(loc.path.slice(0, -1))
    }
    const children = def.locations === undefined ? undefined : buildTree(server, def.locations, merged, ctx)
    try {
      tree.add(spec, conf, children)
    } catch (e) {
      throw new ConfError((e as Error).message)
    }
  }
  return tree
}
