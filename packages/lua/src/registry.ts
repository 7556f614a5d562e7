// Lua modules supplied by other packages (`resty.lrucache` by @nresty/lrucache, …). A package
// registers a loader with `registerLuaModule(name, loader)`; `require` finds it after
// package.preload and before lua_package_path. For the module names of the sibling packages,
// the first `require` that misses imports `@nresty/<pkg>/lua` (yielding the coroutine while it
// loads; where the code cannot wait — header and body filters, a Lua function called from JS —
// it is loaded synchronously, with require(esm)): that entry exports
// `registerLua(register, binding)`, called with this file's registerLuaModule and the binding
// kit below. A package that is not installed is remembered and `require` goes on to
// lua_package_path. The registry lives on globalThis, so two copies of this package (sources
// in tests, dist at run time) see the same modules.
import { createRequire } from 'node:module'
import { lauxlib, lua, luaTostring, toJsString, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { pushJs, toJs } from './ngx-lib.ts'
import { callApi, cur, curOrUndefined, raise, toStr, yieldPromise } from './vm.ts'
import type { LuaVm } from './vm.ts'

/** Pushes the module's value onto `L` and answers 1 (what `require` returns and caches). */
export type LuaModuleLoader = (L: LuaState) => number

/**
 * What a package's Lua binding works with: fengari (patched by this package: never import
 * fengari directly) and the bridge's helpers.
 */
export interface LuaBinding {
  /** fengari's `lua` API (lua_pushnumber, …). */
  readonly lua: any // eslint-disable-line @typescript-eslint/no-explicit-any
  /** fengari's `lauxlib` API (luaL_checknumber, …). */
  readonly lauxlib: any // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly toLuaString: (s: string) => Uint8Array
  readonly toJsString: (s: Uint8Array) => string
  /** A number as LuaJIT's tostring prints it. */
  readonly luaTostring: (n: number) => string
  /** The value at `idx` as a JS string (numbers as LuaJIT prints them). */
  readonly toStr: (L: LuaState, idx: number) => string
  /** Pushes a JS value (undefined/null → nil, arrays/objects → tables). */
  readonly pushJs: (L: LuaState, v: unknown) => void
  readonly toJs: (L: LuaState, idx: number, bytes?: boolean) => unknown
  /** The running request / timer / init context's ngx API. */
  readonly cur: typeof cur
  readonly curOrUndefined: typeof curOrUndefined
  /** Calls TS code: a thrown error becomes a Lua error (with the caller's position), ngx.exit a signal. */
  readonly callApi: typeof callApi
  /** Yields the coroutine until the promise settles; `push` pushes the results. */
  readonly yieldPromise: typeof yieldPromise
  /** Raises a Lua error with `message` (no position). */
  readonly raise: (L: LuaState, message: string) => number
  /** Raises `message` with the position of the Lua caller, as `error(msg, 2)`. */
  readonly argError: (L: LuaState, message: string) => number
  /**
   * A class of Lua objects backed by JS objects: `push(L, obj)` pushes a table whose metatable
   * has `methods`; each method gets the JS object of its `self` (a bad `self` raises).
   */
  readonly defineClass: <T extends object>(L: LuaState, methods: Readonly<Record<string, (L: LuaState, self: T) => number>>) => LuaClass<T>
  /** The JS object behind the Lua object at `idx`, or undefined. */
  readonly objectAt: (L: LuaState, idx: number) => object | undefined
}

export interface LuaClass<T extends object> {
  /** Pushes a new Lua object for `obj`. */
  push(L: LuaState, obj: T): void
}

const KEY = Symbol.for('@nresty/lua.modules')

interface Registry {
  readonly loaders: Map<string, LuaModuleLoader>
  /** Imports of the packages' `lua` entries, by package name. */
  readonly tried: Map<string, Promise<void>>
  /** Packages whose import settled. */
  readonly settled: Set<string>
}

const registry: Registry = ((globalThis as Record<symbol, unknown>)[KEY] ??= { loaders: new Map(), tried: new Map(), settled: new Set() }) as Registry

/** The module names supplied by nresty's sibling packages, and the package of each. */
export const SIBLING_MODULES: Readonly<Record<string, string>> = {
  'resty.lrucache': 'lrucache',
  'resty.lrucache.pureffi': 'lrucache',
  'resty.lock': 'lock',
  'resty.limit.req': 'limit-traffic',
  'resty.limit.count': 'limit-traffic',
  'resty.limit.conn': 'limit-traffic',
  'resty.limit.traffic': 'limit-traffic',
  'resty.redis': 'redis',
  'resty.mysql': 'mysql',
  'resty.http': 'http',
  'resty.jwt': 'jwt',
  'resty.jwt-validators': 'jwt',
  'resty.logger.socket': 'logger-socket',
  'resty.chash': 'balancer',
  'resty.roundrobin': 'balancer',
  'resty.swrr': 'balancer',
  'ngx.semaphore': 'semaphore',
}

/**
 * Makes `name` requirable from Lua in every VM of this thread (a later registration of the
 * same name replaces the loader; modules already loaded stay in package.loaded).
 *
 * @example
 * registerLuaModule('my.answer', (L) => { luaBinding.pushJs(L, { value: 42 }); return 1 })
 */
export function registerLuaModule(name: string, loader: LuaModuleLoader): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('registerLuaModule: "name" must be a non-empty string')
  if (typeof loader !== 'function') throw new TypeError('registerLuaModule: "loader" must be a function')
  registry.loaders.set(name, loader)
}

/** Whether a loader is registered for `name`. */
export function hasLuaModule(name: string): boolean {
  return registry.loaders.has(name)
}

/** A sibling package's `lua` entry: it registers its modules when called. */
interface LuaEntry {
  readonly registerLua?: (register: typeof registerLuaModule, binding: LuaBinding) => void
}

/** Whether an import failed because the package (or its `lua` entry) is not there. */
function notInstalled(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true
  // the same, as vite reports it in tests
  return e instanceof Error && /Cannot find (module|package)|Failed to (load|resolve)|is not exported|Missing ".*" specifier/.test(e.message)
}

/** Imports `@nresty/<pkg>/lua` once per thread; a missing package resolves quietly. */
export function discover(pkg: string): Promise<void> {
  let p = registry.tried.get(pkg)
  if (p === undefined) {
    const spec = `@nresty/${pkg}/lua`
    p = (import(spec) as Promise<LuaEntry>).then(
      (m) => { m.registerLua?.(registerLuaModule, luaBinding) },
      (e: unknown) => {
        if (!notInstalled(e)) throw e // not installed: fall through to the path
      },
    ).finally(() => { registry.settled.add(pkg) })
    registry.tried.set(pkg, p)
  }
  return p
}

const requireSync = createRequire(import.meta.url)

/**
 * Loads `@nresty/<pkg>/lua` synchronously (Node's require of an ES module), for code that
 * cannot wait. Answers whether it registered; a load error other than "not installed" raises.
 */
function discoverSync(pkg: string): void {
  if (registry.settled.has(pkg)) return
  try {
    const m = requireSync(`@nresty/${pkg}/lua`) as LuaEntry
    m.registerLua?.(registerLuaModule, luaBinding)
  } catch (e) {
    if (!notInstalled(e)) throw e
  }
  registry.settled.add(pkg)
  if (!registry.tried.has(pkg)) registry.tried.set(pkg, Promise.resolve())
}

/** Phases whose handlers core runs synchronously: a first require there loads synchronously. */
const NO_WAIT: ReadonlySet<string> = new Set(['header_filter', 'body_filter', 'set', 'balancer'])

/** package.searchers[2]: registered modules, discovering the sibling package on a first miss. */
function searcher(L: LuaState): number {
  const name = toStr(L, 1)
  const found = pushLoader(L, name)
  if (found !== 0) return found
  const pkg = SIBLING_MODULES[name]
  if (pkg === undefined || registry.settled.has(pkg)) return 0
  const ngx = curOrUndefined()
  if (ngx === undefined || !(lua.lua_isyieldable(L) as boolean) || NO_WAIT.has(ngx.getPhase())) {
    callApi(L, () => discoverSync(pkg))
    return pushLoader(L, name)
  }
  return yieldPromise(L, discover(pkg), (Lr) => pushLoader(Lr, name))
}

function pushLoader(L: LuaState, name: string): number {
  const loader = registry.loaders.get(name)
  if (loader === undefined) return 0
  lua.lua_pushjsfunction(L, (Ll: LuaState) => {
    lua.lua_settop(Ll, 0)
    const n = loader(Ll)
    return n < 1 ? 0 : 1
  })
  return 1
}

/** Puts the registry's searcher after package.preload's (before lua_package_path's). */
export function installSearcher(vm: LuaVm): void {
  const L = vm.L
  lua.lua_getglobal(L, toLuaString('table'))
  lua.lua_getfield(L, -1, toLuaString('insert'))
  lua.lua_getglobal(L, toLuaString('package'))
  lua.lua_getfield(L, -1, toLuaString('searchers'))
  lua.lua_remove(L, -2)
  lua.lua_pushinteger(L, 2)
  lua.lua_pushjsfunction(L, searcher)
  lua.lua_call(L, 3, 0)
  lua.lua_pop(L, 1)
}

// ---- the binding kit ---------------------------------------------------------------------------

const objects = new WeakMap<object, object>()

function objectAt(L: LuaState, idx: number): object | undefined {
  if (lua.lua_type(L, idx) !== lua.LUA_TTABLE) return undefined
  return objects.get(lua.lua_topointer(L, idx) as object)
}

function argError(L: LuaState, message: string): number {
  lauxlib.luaL_where(L, 2)
  lua.lua_pushstring(L, toLuaString(message))
  lua.lua_concat(L, 2)
  return lua.lua_error(L) as number
}

function defineClass<T extends object>(L: LuaState, methods: Readonly<Record<string, (L: LuaState, self: T) => number>>): LuaClass<T> {
  lua.lua_createtable(L, 0, Object.keys(methods).length)
  for (const [name, f] of Object.entries(methods)) {
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      const self = objectAt(Ls, 1) as T | undefined
      if (self === undefined) return argError(Ls, `bad argument #1 to '${name}' (object expected, got ${toJsString(lua.lua_typename(Ls, lua.lua_type(Ls, 1)) as Uint8Array)}); use obj:${name}(...)`)
      return f(Ls, self)
    })
    lua.lua_setfield(L, -2, toLuaString(name))
  }
  // the metatable { __index = methods }, kept in the registry
  lua.lua_createtable(L, 0, 1)
  lua.lua_insert(L, -2)
  lua.lua_setfield(L, -2, toLuaString('__index'))
  const meta = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
  return {
    push(Ls: LuaState, obj: T): void {
      lua.lua_createtable(Ls, 0, 0)
      lua.lua_rawgeti(Ls, lua.LUA_REGISTRYINDEX, meta)
      lua.lua_setmetatable(Ls, -2)
      objects.set(lua.lua_topointer(Ls, -1) as object, obj)
    },
  }
}

/** The kit handed to the packages' `registerLua`. */
export const luaBinding: LuaBinding = {
  lua, lauxlib, toLuaString, toJsString, luaTostring, toStr, pushJs,
  toJs: (L, idx, bytes) => toJs(L, idx, bytes ?? false),
  cur, curOrUndefined, callApi, yieldPromise, raise, argError, defineClass, objectAt,
}
