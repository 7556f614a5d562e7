// The ngx_lua directives for the nginx.conf front end: *_by_lua_block / *_by_lua_file for the
// request phases and init / init_worker / exit_worker, and lua_code_cache. Each configuration
// load (each worker thread loads its own) gets one LuaApp, whose VM is made on first use.
import { readFileSync } from 'node:fs'
import { basename, isAbsolute } from 'node:path'
import { confError, isNgxSignal, LOG_LEVELS, registerDirective } from '@nresty/core'
import type { ConfBuild, ConfContext, ConfDirective, ConfScope, Handler, Ngx, RewriteOp } from '@nresty/core'
import { lauxlib, lua, toJsString } from './fengari.ts'
import { setClientAbortCheck } from './ngx-async.ts'
import { installNgx } from './ngx-lib.ts'
import { installModules } from './modules.ts'
import { LuaRuntimeError, LuaVm } from './vm.ts'
import type { LuaValues } from './vm.ts'

/** core's SetHandler (the handler of a `setBy` rewrite step). */
type SetHandler = Extract<RewriteOp, { op: 'setBy' }>['handler']

/** Where a LuaApp's VM takes its settings from, when it is made. */
export interface LuaAppSettings {
  readonly packagePath: string | undefined
  readonly prefix: string
}

/** The Lua side of one configuration: its VM (made on first use) and its settings. */
export class LuaApp {
  readonly #settings: () => LuaAppSettings
  readonly #setup: ((vm: LuaVm) => void) | undefined
  #vm: LuaVm | undefined

  /** `settings` is read when the VM is made; `setup` runs after the ngx table is installed. */
  constructor(settings: () => LuaAppSettings, setup?: (vm: LuaVm) => void) {
    this.#settings = settings
    this.#setup = setup
  }

  get vm(): LuaVm {
    if (this.#vm === undefined) {
      const s = this.#settings()
      this.#vm = new LuaVm({
        packagePath: s.packagePath,
        prefix: s.prefix,
        setup: (vm) => {
          installNgx(vm)
          installModules(vm)
          this.#setup?.(vm)
        },
      })
    }
    return this.#vm
  }

  /** A handler running `code` (chunk `name`) in a new coroutine per call. */
  handler(name: string, load: () => string | Uint8Array, cache: boolean, globals = false, needBody?: () => boolean, checkAbort?: () => boolean): Handler {
    let code: string | Uint8Array | undefined
    // The flags are read once, at the first request (the whole conf is read by then).
    let abortOn: boolean | undefined
    const run = (ngx: Ngx): unknown => {
      const vm = this.vm
      if (checkAbort !== undefined) {
        abortOn ??= checkAbort()
        if (abortOn) setClientAbortCheck(ngx, true)
      }
      let ret: Promise<void> | undefined
      let chunk: number
      try {
        code ??= load()
        chunk = vm.compile(name, code, cache)
        if (!cache) code = undefined
      } catch (e) {
        return name.startsWith('@') ? loadFailed(ngx, name.slice(1), e) : inlineFailed(ngx, e)
      }
      try {
        ret = vm.run(ngx, chunk, !cache, globals)
      } catch (e) {
        return aborted(ngx, e)
      }
      return ret?.catch((e: unknown) => aborted(ngx, e))
    }
    if (needBody === undefined) return run
    // lua_need_request_body on: the body is read before the handler runs.
    let bodyOn: boolean | undefined
    return (ngx: Ngx): unknown => {
      bodyOn ??= needBody()
      return bodyOn ? ngx.req.readBody().then(() => run(ngx)) : run(ngx)
    }
  }

  /**
   * A set_by_lua handler: runs `code` at once (nothing in it may yield) with the directive's
   * arguments as `ngx.arg`, and answers its first return value, a string or a number (anything
   * else is the empty string). Failures carry ngx_lua's log line, and core answers 500.
   */
  setHandler(name: string, load: () => string | Uint8Array, cache: boolean): SetHandler {
    let code: string | Uint8Array | undefined
    return (ngx: Ngx): unknown => {
      const vm = this.vm
      let chunk: number
      try {
        code ??= load()
        chunk = vm.compile(name, code, cache)
        if (!cache) code = undefined
      } catch (e) {
        throw new LoggedError(loadFailureText(name, e))
      }
      const out: { v?: LuaValues } = {}
      try {
        // A promise means the code yielded: core refuses it (the yielding APIs refuse first).
        const ret = vm.run(ngx, chunk, !cache, false, out)
        if (ret !== undefined) return ret
      } catch (e) {
        if (!(e instanceof LuaRuntimeError)) throw e
        throw new LoggedError(`failed to run set_by_lua*: ${e.message}${e.traceback === '' ? '' : `\nstack traceback:\n${e.traceback}`}`)
      }
      return out.v === undefined ? undefined : firstValue(vm, out.v)
    }
  }
}

/** The first of `v`'s values as a variable takes it (a string or a number), released. */
function firstValue(vm: LuaVm, v: LuaValues): string | number | undefined {
  const L = vm.L
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, v.ref)
  const t = lua.lua_rawgeti(L, -1, 1) as number
  const value = t === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, -1) as number) : t === lua.LUA_TSTRING ? toJsString(lua.lua_tolstring(L, -1) as Uint8Array) : undefined
  lua.lua_pop(L, 2)
  lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, v.ref)
  return value
}

/** An error core logs with its `logText` as it is (ngx_lua's wording for the failure). */
class LoggedError extends Error {
  readonly logText: string
  constructor(text: string) {
    super(text)
    this.name = 'LoggedError'
    this.logText = text
  }
}

/** Logs `text` at error level, without the `[lua]` prefix of ngx.log when core allows. */
function logError(ngx: Ngx, text: string): void {
  const log = (ngx as unknown as { _logRaw?: (level: number, msg: string) => void })._logRaw
  if (log !== undefined) log.call(ngx, LOG_LEVELS.ERR, text)
  else ngx.log(LOG_LEVELS.ERR, text)
}

/**
 * ngx_lua's report of a `_file` it could not read or compile: `failed to load external Lua
 * file "path": msg`, then 404 for a missing file, else 500.
 */
function loadFailed(ngx: Ngx, path: string, e: unknown): void {
  const phase = ngx.getPhase()
  if (phase === 'init' || phase === 'header_filter' || phase === 'body_filter') return aborted(ngx, e)
  logError(ngx, loadFailureText(`@${path}`, e))
  if (phase === 'init_worker' || phase === 'exit_worker' || phase === 'timer' || phase === 'log') return
  ngx.exit((e as { code?: unknown }).code === 'ENOENT' ? 404 : 500)
}

/**
 * ngx_lua's words for code of chunk `name` that could not be loaded: `failed to load inlined Lua
 * code: msg`, or `failed to load external Lua file "path": msg` (`cannot open path: No such file
 * or directory` when it is missing).
 */
export function loadFailureText(name: string, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  if (!name.startsWith('@')) return `failed to load inlined Lua code: ${msg}`
  const path = name.slice(1)
  const missing = (e as { code?: unknown }).code === 'ENOENT'
  return `failed to load external Lua file "${path}": ${missing ? `cannot open ${path}: No such file or directory` : msg}`
}

/**
 * ngx_lua's report of inlined code that does not compile, in a request handler (rewrite, access,
 * content): `failed to load inlined Lua code: msg`, then 500. Elsewhere as a runtime error.
 */
function inlineFailed(ngx: Ngx, e: unknown): void {
  const phase = ngx.getPhase()
  if (phase !== 'rewrite' && phase !== 'access' && phase !== 'content' && phase !== 'server_rewrite') return aborted(ngx, e)
  logError(ngx, loadFailureText('=inline', e))
  ngx.exit(500)
}

/** ngx_lua's report of a handler that failed, then 500 (or the connection ends, after the header). */
function aborted(ngx: Ngx, e: unknown): void {
  if (isNgxSignal(e)) throw e
  const phase = ngx.getPhase()
  if (phase === 'init') throw e // the start fails, with the error
  const write = (text: string): void => logError(ngx, text)
  const msg = e instanceof LuaRuntimeError ? e.message : e instanceof Error ? e.message : String(e)
  const tb = e instanceof LuaRuntimeError && e.traceback !== '' ? e.traceback : undefined
  if (phase === 'header_filter' || phase === 'body_filter' || phase === 'log') {
    // ngx_lua runs these without an entry thread: `failed to run <phase>_by_lua*: …`.
    write(`failed to run ${phase}_by_lua*: ${msg}${tb === undefined ? '' : `\nstack traceback:\n${tb}`}`)
    if (phase === 'header_filter') ngx.exit(ngx.ERROR)
    if (phase === 'body_filter') throw new FilterAborted()
    return
  }
  write(`lua entry thread aborted: runtime error: ${msg}${tb === undefined ? '' : `\nstack traceback:\ncoroutine 0:\n${tb}`}`)
  if (phase === 'init_worker' || phase === 'exit_worker' || phase === 'timer') return
  ngx.exit(ngx.headersSent ? ngx.ERROR : 500)
}

/** Thrown to core after a body filter's error is logged: core aborts the response. */
class FilterAborted extends Error {
  constructor() {
    super('body_filter_by_lua* failed (see above)')
    this.name = 'FilterAborted'
    this.stack = this.message
  }
}

const STATE_KEY = '@nresty/lua'

export function appOf(conf: ConfBuild): LuaApp {
  let app = conf.state.get(STATE_KEY) as LuaApp | undefined
  if (app === undefined) {
    app = new LuaApp(() => ({ packagePath: conf.lua.packagePath, prefix: conf.prefix }))
    conf.state.set(STATE_KEY, app)
  }
  return app
}

/** A flag of the innermost level that sets it. */
function flag(scope: ConfScope, name: string, def: boolean): boolean {
  for (let s: ConfScope | undefined = scope; s !== undefined; s = s.parent) {
    const v = s.data.get(name)
    if (typeof v === 'boolean') return v
  }
  return def
}

/** lua_code_cache (default on). */
export const codeCache = (scope: ConfScope): boolean => flag(scope, 'lua_code_cache', true)

type Where = 'location' | 'level' | 'init' | 'init_worker' | 'exit_worker'

interface PhaseSpec {
  readonly base: string
  readonly contexts: readonly ConfContext[]
  readonly where: Where
  readonly field: string
}

const LOC: readonly ConfContext[] = ['location', 'location_if']
const LEVELS: readonly ConfContext[] = ['http', 'server', 'location', 'location_if']
const PHASES: readonly PhaseSpec[] = [
  { base: 'content_by_lua', contexts: LOC, where: 'location', field: 'content' },
  { base: 'server_rewrite_by_lua', contexts: ['http', 'server'], where: 'level', field: 'serverRewrite' },
  { base: 'rewrite_by_lua', contexts: LEVELS, where: 'level', field: 'rewrite' },
  { base: 'access_by_lua', contexts: LEVELS, where: 'level', field: 'access' },
  { base: 'header_filter_by_lua', contexts: LEVELS, where: 'level', field: 'headerFilter' },
  { base: 'body_filter_by_lua', contexts: LEVELS, where: 'level', field: 'bodyFilter' },
  { base: 'log_by_lua', contexts: LEVELS, where: 'level', field: 'log' },
  { base: 'init_by_lua', contexts: ['http'], where: 'init', field: 'init' },
  { base: 'init_worker_by_lua', contexts: ['http'], where: 'init_worker', field: 'initWorker' },
  { base: 'exit_worker_by_lua', contexts: ['http'], where: 'exit_worker', field: 'exitWorker' },
]

function install(spec: PhaseSpec, d: ConfDirective, scope: ConfScope, handler: Handler): void {
  const target = (spec.where === 'location' || spec.where === 'level' ? scope.settings : scope.conf.def) as Record<string, unknown> | undefined
  if (target === undefined) throw confError(d, `"${d.name}" directive is not allowed here`)
  target[spec.field] = handler
}

const isInit = (spec: PhaseSpec): boolean => spec.where === 'init' || spec.where === 'init_worker'

/** For rewrite, access and content handlers: whether lua_need_request_body is on (read at run time, once the conf is read). */
function bodyFlag(spec: PhaseSpec, scope: ConfScope): (() => boolean) | undefined {
  if (spec.field !== 'rewrite' && spec.field !== 'access' && spec.field !== 'content') return undefined
  return () => flag(scope, 'lua_need_request_body', false)
}

/** For the handlers where ngx.on_abort works: whether lua_check_client_abort is on. */
function abortFlag(spec: PhaseSpec, scope: ConfScope): (() => boolean) | undefined {
  if (spec.field !== 'serverRewrite' && spec.field !== 'rewrite' && spec.field !== 'access' && spec.field !== 'content') return undefined
  return () => flag(scope, 'lua_check_client_abort', false)
}

function fileLoader(path: string): () => Uint8Array {
  return () => readFileSync(path)
}

let registered = false

/** Registers the Lua directives with the conf front end (once per thread). */
export function registerLuaDirectives(): void {
  if (registered) return
  registered = true
  for (const spec of PHASES) {
    registerDirective({
      name: `${spec.base}_block`, contexts: spec.contexts, args: 'NOARGS', block: true,
      handler: (d, scope) => {
        scope.once(d)
        const block = d.lua!
        const name = `=${spec.base}(${basename(d.file)}:${block.line})`
        const code = block.code
        install(spec, d, scope, appOf(scope.conf).handler(name, () => code, true, isInit(spec), bodyFlag(spec, scope), abortFlag(spec, scope)))
        return undefined
      },
    })
    registerDirective({
      name: `${spec.base}_file`, contexts: spec.contexts, args: 'TAKE1',
      handler: (d, scope) => {
        scope.once(d)
        const arg = d.args[0]!.value
        const path = isAbsolute(arg) ? arg : scope.conf.prefix + arg
        const cache = spec.where === 'location' || spec.where === 'level' ? codeCache(scope) : true
        install(spec, d, scope, appOf(scope.conf).handler(`@${path}`, fileLoader(path), cache, isInit(spec), bodyFlag(spec, scope), abortFlag(spec, scope)))
        return undefined
      },
    })
  }
  registerSetByLua()
  for (const name of ['lua_need_request_body', 'lua_check_client_abort', 'lua_code_cache']) {
    registerDirective({
      name, contexts: LEVELS, args: 'FLAG',
      handler: (d, scope) => {
        scope.once(d)
        const v = d.args[0]!.value
        if (v !== 'on' && v !== 'off') throw confError(d, `invalid value "${v}" in "${d.name}" directive, it must be "on" or "off"`)
        scope.data.set(name, v === 'on')
        if (name === 'lua_code_cache' && v === 'off') scope.conf.warn('lua_code_cache is off; this will hurt performance', d)
        return undefined
      },
    })
  }
}

/** Where set_by_lua* may be: the rewrite module's levels. */
const SET_CONTEXTS: readonly ConfContext[] = ['server', 'server_if', 'location', 'location_if']

/**
 * Appends a set_by_lua* step to the scope's rewrite steps, in order with `set`, `rewrite` and
 * `if`; `first` is the index of the first argument (the ones after the code or path).
 */
function addSetBy(d: ConfDirective, scope: ConfScope, handler: SetHandler, first: number): void {
  const target = d.args[0]!.value
  if (target[0] !== '$') throw confError(d, `invalid variable name "${target}"`)
  const name = target.slice(1)
  if (scope.ops === undefined) throw confError(d, `"${d.name}" directive is not allowed here`)
  scope.conf.declareVariable(name)
  const args = d.args.slice(first).map((a) => scope.conf.template(d, a.value))
  scope.ops.push({ op: 'setBy', name, handler, args })
}

function registerSetByLua(): void {
  registerDirective({
    name: 'set_by_lua_block', contexts: SET_CONTEXTS, args: 'TAKE1', block: true,
    handler: (d, scope) => {
      const block = d.lua!
      const code = block.code
      addSetBy(d, scope, appOf(scope.conf).setHandler(`=set_by_lua(${basename(d.file)}:${block.line})`, () => code, true), 1)
      return undefined
    },
  })
  registerDirective({
    name: 'set_by_lua', contexts: SET_CONTEXTS, args: '2MORE',
    handler: (d, scope) => {
      const code = d.args[1]!.value
      addSetBy(d, scope, appOf(scope.conf).setHandler(`=set_by_lua(${basename(d.file)}:${d.endLine})`, () => code, true), 2)
      return undefined
    },
  })
  registerDirective({
    name: 'set_by_lua_file', contexts: SET_CONTEXTS, args: '2MORE',
    handler: (d, scope) => {
      const arg = d.args[1]!.value
      const path = isAbsolute(arg) ? arg : scope.conf.prefix + arg
      addSetBy(d, scope, appOf(scope.conf).setHandler(`@${path}`, fileLoader(path), codeCache(scope)), 2)
      return undefined
    },
  })
}
