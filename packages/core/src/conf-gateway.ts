// The nginx.conf front end: reads `conf/nginx.conf` (and `-g` directives) with the parser,
// runs each directive's registered handler when nginx would (conf-directives.ts), and returns
// the same Gateway a TypeScript user writes, plus what the `nresty` command needs (daemon,
// master_process, pid, env). Errors are ConfFileErrors in nginx's words, first error first.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { argCountOk, confError, ConfBuild, findDirective } from './conf-directives.ts'
import type { ConfScope, ConfWarning, DirectiveSpec, LuaConfSettings } from './conf-directives.ts'
// The echo and headers-more directives register themselves with core's (OpenResty builds have both).
import './conf-echo.ts'
import './conf-headers-more.ts'
// The proxy and upstream directives (the proxy engine runs what they define).
import './conf-proxy.ts'
import { ConfFileError, parseConfFile, parseConfParam } from './conf-parse.ts'
import type { ConfDirective, ConfParseOptions } from './conf-parse.ts'
import { defineGateway } from './gateway.ts'
import type { Gateway, Handler, HandlerList } from './gateway.ts'

/** A configuration read by loadConfGateway. */
export interface ConfGateway {
  /** The gateway definition, as `defineGateway` makes it. */
  readonly gateway: Gateway
  /** The main configuration file (absolute). */
  readonly file: string
  /** Every file read, in nginx's order (what `nresty -T` dumps). */
  readonly files: readonly string[]
  /** The prefix, with a trailing `/`. */
  readonly prefix: string
  /** `daemon` (nginx's default: on). */
  readonly daemon: boolean
  /** `master_process` (default on); off is single-process mode. */
  readonly masterProcess: boolean
  /** The pid file (absolute): `pid`, else `logs/nginx.pid`. */
  readonly pidPath: string
  /** The main level has an `error_log`. */
  readonly errorLogSet: boolean
  /** `env` directives: the variables workers keep (TZ is always kept), with set values. */
  readonly env: ReadonlyMap<string, string | undefined>
  /** lua_* settings for the Lua bridge, cosockets and timers. */
  readonly lua: Readonly<LuaConfSettings>
  /** nginx's `[warn]`s, and where nresty does less than nginx. */
  readonly warnings: readonly ConfWarning[]
  /** What extensions kept for the whole configuration. */
  readonly state: ReadonlyMap<string, unknown>
}

/** Drives the registry from the parser's hooks, as ngx_conf_handler does. */
class Driver {
  readonly conf: ConfBuild
  private readonly stack: ConfScope[]
  private readonly blocks = new Map<ConfDirective, DirectiveSpec>()
  private readonly lua = new Map<ConfDirective, { readonly spec: DirectiveSpec; readonly scope: ConfScope }>()

  constructor(conf: ConfBuild) {
    this.conf = conf
    this.stack = [conf.root]
  }

  readonly onDirective = (d: ConfDirective): void => {
    if (d.name === 'include') return // the parser's own
    const scope = this.stack[this.stack.length - 1]!
    if (scope.any !== undefined) return scope.any(d)
    const specs = findDirective(d.name) ?? (loadConfPlugins() ? findDirective(d.name) : undefined)
    if (specs === undefined) throw confError(d, `unknown directive "${d.name}"`)
    const spec = specs.find((s) => s.contexts.includes(scope.context))
    if (spec === undefined) throw confError(d, `"${d.name}" directive is not allowed here`)
    // The parser itself checks that a Lua block has its `{`.
    const lua = d.name.endsWith('_by_lua_block')
    if (!lua && spec.block !== true && d.block !== undefined) throw confError(d, `directive "${d.name}" is not terminated by ";"`)
    if (!lua && spec.block === true && d.block === undefined) throw confError(d, `directive "${d.name}" has no opening "{"`)
    if (!argCountOk(spec.args, d.args.length)) throw confError(d, `invalid number of arguments in "${d.name}" directive`)
    if (lua) {
      // ngx_lua's handler runs once the code is read.
      this.lua.set(d, { spec, scope })
      return
    }
    const inner = spec.handler(d, scope)
    if (d.block === undefined) return
    if (inner === undefined) throw new TypeError(`the handler of the block directive "${d.name}" returned no scope`)
    this.blocks.set(d, spec)
    this.stack.push(inner)
  }

  readonly onBlockEnd = (d: ConfDirective): void => {
    const lua = this.lua.get(d)
    if (lua !== undefined) {
      this.lua.delete(d)
      lua.spec.handler(d, lua.scope)
      return
    }
    const spec = this.blocks.get(d)
    if (spec === undefined) return // a block a scope's `any` took
    this.blocks.delete(d)
    const inner = this.stack.pop()!
    spec.end?.(d, inner)
  }
}

/** Packages whose import registers more directives (nginx's load_module, done on demand). */
const CONF_PLUGINS: readonly string[] = ['@nresty/lua']
let pluginsLoaded = false

/**
 * The first directive nothing registered loads the installed plugin packages (`@nresty/lua`
 * registers the `*_by_lua*` directives), once per thread, synchronously (require of an ES
 * module); a plugin that is not installed is skipped. Answers whether anything was loaded.
 */
function loadConfPlugins(): boolean {
  if (pluginsLoaded) return false
  pluginsLoaded = true
  const require = createRequire(import.meta.url)
  let loaded = false
  for (const name of CONF_PLUGINS) {
    try {
      require(name)
      loaded = true
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      // Not installed (or not built): the directives stay unknown, as without load_module.
      if (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND') continue
      throw e
    }
  }
  return loaded
}

/**
 * The parser hooks that run the registry's handlers into `conf` (for a parse of your own, such
 * as `-g` directives alone).
 */
export function confHooks(conf: ConfBuild, prefix?: string): ConfParseOptions {
  const driver = new Driver(conf)
  const hooks = { onDirective: driver.onDirective, onBlockEnd: driver.onBlockEnd }
  return prefix === undefined ? hooks : { ...hooks, prefix }
}

/**
 * Reads an nginx.conf into a gateway: `confPath` (absolute, or relative to `prefix`), its
 * includes (relative to the file's directory, nginx's conf prefix), and `globals`, the
 * directives of `nginx -g`, read first. Throws a ConfFileError with nginx's message and place.
 *
 * @example
 * const { gateway, daemon, pidPath } = loadConfGateway('conf/nginx.conf', '/srv/app/')
 * if (!daemon) await startServer(gateway, { prefix: '/srv/app/' })
 */
export function loadConfGateway(confPath: string, prefix: string, globals?: string): ConfGateway {
  const pfx = prefix.endsWith('/') ? prefix : `${prefix}/`
  const file = confPath.startsWith('/') ? confPath : pfx + confPath
  const conf = new ConfBuild(pfx, file)
  const hooks = confHooks(conf, dirname(file))
  if (globals !== undefined && globals !== '') parseConfParam(globals, hooks)
  const root = parseConfFile(file, hooks)
  if (!conf.events) throw new ConfFileError('no "events" section in configuration', undefined)
  const def = conf.def
  def.prefix = pfx
  // nginx's workers see only the variables `env` names (and TZ): os.getenv() finds nothing else.
  // The master (init) keeps its whole environment, with the values `env NAME=value` gives.
  const env = conf.env
  def.initWorker = [() => keepEnv(env), ...handlers(def.initWorker)]
  if ([...env.values()].some((v) => v !== undefined)) {
    def.init = [() => setEnv(env), ...handlers(def.init)]
  }
  return {
    gateway: defineGateway(def),
    file: root.file,
    files: root.files,
    prefix: pfx,
    daemon: conf.daemon ?? true,
    masterProcess: conf.masterProcess ?? true,
    pidPath: resolve(pfx, def.pid ?? 'logs/nginx.pid'),
    errorLogSet: conf.errorLogSet,
    env,
    lua: conf.lua,
    warnings: conf.warnings,
    state: conf.state,
  }
}

const handlers = (h: HandlerList | undefined): Handler[] => (h === undefined ? [] : typeof h === 'function' ? [h] : [...h])

/** Leaves in process.env only TZ and the `env` variables, with the values `env` gives. */
export function keepEnv(env: ReadonlyMap<string, string | undefined>): void {
  for (const name of Object.keys(process.env)) {
    if (name !== 'TZ' && !env.has(name)) delete process.env[name]
  }
  setEnv(env)
}

/** Sets the values of `env NAME=value`. */
export function setEnv(env: ReadonlyMap<string, string | undefined>): void {
  for (const [name, v] of env) if (v !== undefined) process.env[name] = v
}

/**
 * What `nginx -T` prints after the test: each file read, as `# configuration file <path>:`,
 * its bytes, and a newline.
 */
export function dumpConf(files: readonly string[]): Buffer {
  const parts: Buffer[] = []
  for (const f of files) {
    parts.push(Buffer.from(`# configuration file ${f}:\n`, 'latin1'))
    try {
      parts.push(readFileSync(f))
    } catch {
      // gone since it was read: nginx dumps what it read, which we no longer have
    }
    parts.push(Buffer.from('\n'))
  }
  return Buffer.concat(parts)
}
