// One Lua VM (a fengari state) per worker thread: compiles each handler chunk once
// (`lua_code_cache on`), runs each handler in a new coroutine with ngx_lua's per-request global
// environment, and turns a yield of an async API into awaiting its promise (the coroutine is
// resumed when the promise settles, also across pcall and nested coroutines).
import { isNgxSignal } from '@nresty/core'
import type { Ngx } from '@nresty/core'
import { lauxlib, lua, lualib, luaTostring, toJsString, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { PRELUDE } from './prelude.ts'

/** The lightuserdata an API yields with; the prelude's coroutine.resume passes it up. */
export const YIELD_MARK: object = { nrestyYield: true }

/** What a yielding binding leaves for the scheduler. */
type Pending =
  | { readonly kind: 'promise'; readonly promise: Promise<unknown>; readonly push: (L: LuaState, v: unknown) => number }
  | { readonly kind: 'signal'; readonly signal: unknown }

/** A Lua error that ended a handler: the message and the coroutine's traceback. */
export class LuaRuntimeError extends Error {
  readonly traceback: string
  constructor(message: string, traceback: string) {
    super(message)
    this.name = 'LuaRuntimeError'
    this.traceback = traceback
  }
}

let current: Ngx | undefined
let pending: Pending | undefined
let resumeError: unknown

/** The request (or timer, init…) whose Lua code runs now. */
export function cur(): Ngx {
  if (current === undefined) throw new Error('no ngx API outside a handler')
  return current
}

/** The ngx of the running code, or undefined (module loading at init). */
export function curOrUndefined(): Ngx | undefined {
  return current
}

/** Raises a Lua error with a JS string message (never returns normally). */
export function raise(L: LuaState, message: string): number {
  lua.lua_pushstring(L, toLuaString(message))
  return lua.lua_error(L) as number
}

function continuation(L: LuaState): number {
  if (resumeError !== undefined) {
    const e = resumeError
    resumeError = undefined
    return raise(L, errorText(e))
  }
  return lua.lua_gettop(L) as number
}

/** The message of a JS error as the Lua error it becomes. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * Suspends the running coroutine until `promise` settles; `push` pushes the Lua results. A
 * rejected promise raises its message as a Lua error where the API was called.
 */
export function yieldPromise<T>(L: LuaState, promise: Promise<T>, push: (L: LuaState, v: T) => number): number {
  pending = { kind: 'promise', promise, push: push as (L: LuaState, v: unknown) => number }
  lua.lua_settop(L, 0)
  lua.lua_pushlightuserdata(L, YIELD_MARK)
  return lua.lua_yieldk(L, 1, 0, continuation) as number
}

/**
 * Calls a TS API from a binding: an NgxSignal (ngx.exit/exec/redirect) ends the coroutine,
 * any other error becomes a Lua error with its message.
 */
export function callApi<T>(L: LuaState, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (e) {
    return apiFailed(L, e)
  }
}

/** callApi for a function of the Lua state, without a closure per call (hot bindings). */
export function callApiOn<T>(L: LuaState, fn: (L: LuaState) => T): T | undefined {
  try {
    return fn(L)
  } catch (e) {
    return apiFailed(L, e)
  }
}

function apiFailed(L: LuaState, e: unknown): undefined {
  // fengari's own unwinding (lua_error, lua_yield) throws its error-jump record: let it pass.
  if (!(e instanceof Error) && !isNgxSignal(e)) throw e
  if (isNgxSignal(e)) {
    pending = { kind: 'signal', signal: e }
    lua.lua_settop(L, 0)
    lua.lua_pushlightuserdata(L, YIELD_MARK)
    lua.lua_yieldk(L, 1, 0, continuation)
    return undefined
  }
  lauxlib.luaL_where(L, 1)
  lua.lua_pushstring(L, toLuaString(errorText(e)))
  lua.lua_concat(L, 2)
  lua.lua_error(L)
  return undefined
}

export interface LuaVmOptions {
  /** `lua_package_path` as configured (`$prefix` and `;;` are expanded here). */
  readonly packagePath?: string | undefined
  readonly prefix: string
  /** Sets up the VM's globals (the ngx table, modules). */
  readonly setup?: (vm: LuaVm) => void
}

/** The default package.path `;;` stands for. */
const DEFAULT_PATH = './?.lua;./?/init.lua'

/** Lua values kept in the registry (a sequence table), e.g. what a light thread returned. */
export interface LuaValues {
  readonly ref: number
  readonly n: number
}

/** A compiled chunk: the registry reference of its function. */
type ChunkRef = number

export class LuaVm {
  readonly L: LuaState
  readonly #chunks = new Map<string, ChunkRef>()
  readonly #envMeta: number

  constructor(options: LuaVmOptions) {
    const L = lauxlib.luaL_newstate() as LuaState
    this.L = L
    lualib.luaL_openlibs(L)
    const path = options.packagePath === undefined
      ? DEFAULT_PATH
      : options.packagePath.replaceAll('$prefix', options.prefix.replace(/\/$/, '')).replaceAll(';;', `;${DEFAULT_PATH};`)
    lua.lua_getglobal(L, toLuaString('package'))
    lua.lua_pushstring(L, toLuaString(path))
    lua.lua_setfield(L, -2, toLuaString('path'))
    lua.lua_pushstring(L, toLuaString(''))
    lua.lua_setfield(L, -2, toLuaString('cpath'))
    lua.lua_pushstring(L, toLuaString(''))
    lua.lua_setfield(L, -2, toLuaString('jspath'))
    lua.lua_pop(L, 1)
    options.setup?.(this)
    this.#exec(PRELUDE, '=prelude', (Ls) => {
      lua.lua_pushlightuserdata(Ls, YIELD_MARK)
      return 1
    })
    // The per-request environment's metatable: { __index = _G }.
    lua.lua_createtable(L, 0, 1)
    lua.lua_pushglobaltable(L)
    lua.lua_setfield(L, -2, toLuaString('__index'))
    this.#envMeta = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
  }

  #exec(code: string, name: string, args: (L: LuaState) => number): void {
    const L = this.L
    if (lauxlib.luaL_loadbuffer(L, toLuaString(code), null, toLuaString(name)) !== lua.LUA_OK) {
      throw new Error(toStr(L, -1))
    }
    const n = args(L)
    if (lua.lua_pcall(L, n, 0, 0) !== lua.LUA_OK) throw new Error(toStr(L, -1))
  }

  /** Sets a global to what `push` pushes. */
  setGlobal(name: string, push: (L: LuaState) => void): void {
    push(this.L)
    lua.lua_setglobal(this.L, toLuaString(name))
  }

  /**
   * Compiles a handler chunk once (by `name`, its chunk name such as
   * `=content_by_lua(nginx.conf:17)`). The code runs with `_ENV` bound to the request's
   * environment. Throws the Lua syntax error's text.
   */
  compile(name: string, code: string | Uint8Array, cache = true): ChunkRef {
    const hit = cache ? this.#chunks.get(name) : undefined
    if (hit !== undefined) return hit
    const L = this.L
    const src = typeof code === 'string' ? toLuaString(code) : code
    const prefix = toLuaString('local _ENV = ...; ')
    const buf = new Uint8Array(prefix.length + src.length)
    buf.set(prefix)
    buf.set(src, prefix.length)
    if (lauxlib.luaL_loadbuffer(L, buf, null, toLuaString(name)) !== lua.LUA_OK) {
      const msg = toStr(L, -1)
      lua.lua_pop(L, 1)
      throw new LuaRuntimeError(fixMessage(msg), '')
    }
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as ChunkRef
    if (cache) this.#chunks.set(name, ref)
    return ref
  }

  /**
   * Runs a compiled chunk for `ngx` in a new coroutine with a fresh global environment (or
   * with _G itself when `globals`, as init_by_lua and init_worker_by_lua run).
   * Returns undefined when it ran to its end without yielding, else a promise; throws an
   * NgxSignal (ngx.exit…) or a LuaRuntimeError. With `out`, the chunk's return values are
   * kept in `out.v` (release them with luaL_unref).
   */
  run(ngx: Ngx, chunk: ChunkRef, release = false, globals = false, out?: { v?: LuaValues }): Promise<void> | undefined {
    const L = this.L
    const co = lua.lua_newthread(L) as LuaState
    // fengari's objects live as long as JavaScript holds them (it has no collector of its
    // own): the coroutine needs no registry reference, only to be off L's stack.
    lua.lua_pop(L, 1)
    const coRef = lua.LUA_NOREF
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, chunk)
    if (release) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, chunk)
    if (globals) {
      lua.lua_pushglobaltable(co)
    } else {
      lua.lua_createtable(co, 0, 0)
      lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, this.#envMeta)
      lua.lua_setmetatable(co, -2)
    }
    return this.#step(ngx, co, coRef, 1, out)
  }

  /**
   * Runs a Lua function in a new coroutine: `push` pushes the function and its arguments onto
   * the coroutine and answers the number of arguments. With `out`, its return values are kept
   * in `out.v` (release them with luaL_unref).
   */
  runFunction(ngx: Ngx, push: (co: LuaState) => number, out?: { v?: LuaValues }): Promise<void> | undefined {
    const L = this.L
    const co = lua.lua_newthread(L) as LuaState
    const coRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
    const nargs = push(co) - 1
    return this.#step(ngx, co, coRef, nargs, out)
  }

  #step(ngx: Ngx, co: LuaState, coRef: number, nargs: number, out?: { v?: LuaValues }): Promise<void> | undefined {
    const L = this.L
    for (;;) {
      const prev = current
      current = ngx
      pending = undefined
      let st: number
      try {
        st = lua.lua_resume(co, null, nargs) as number
      } finally {
        current = prev
      }
      if (st === lua.LUA_OK) {
        if (out !== undefined) {
          const n = lua.lua_gettop(co) as number
          lua.lua_createtable(co, n, 0)
          lua.lua_insert(co, 1)
          for (let i = n; i >= 1; i--) lua.lua_rawseti(co, 1, i)
          out.v = { ref: lauxlib.luaL_ref(co, lua.LUA_REGISTRYINDEX) as number, n }
        }
        lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, coRef)
        return undefined
      }
      if (st === lua.LUA_YIELD) {
        const p = pending as Pending | undefined
        pending = undefined
        lua.lua_settop(co, 0)
        if (p === undefined) {
          nargs = 0 // a plain coroutine.yield() in the entry thread: go on at once
          continue
        }
        if (p.kind === 'signal') {
          lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, coRef)
          throw p.signal
        }
        return p.promise.then(
          (v) => this.#step(ngx, co, coRef, p.push(co, v), out),
          (e: unknown) => {
            if (isNgxSignal(e)) {
              lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, coRef)
              throw e
            }
            resumeError = e
            return this.#step(ngx, co, coRef, 0, out)
          },
        )
      }
      const msg = fixMessage(lua.lua_type(co, -1) === lua.LUA_TSTRING || lua.lua_type(co, -1) === lua.LUA_TNUMBER ? toStr(co, -1) : errorObjectText(co))
      lauxlib.luaL_traceback(L, co, null, 0)
      const tb = toStr(L, -1).replace(/^stack traceback:\n/, '').replaceAll('\t[JS]: ', '\t[C]: ')
      lua.lua_pop(L, 1)
      lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, coRef)
      throw new LuaRuntimeError(msg, tb)
    }
  }
}

function errorObjectText(co: LuaState): string {
  const t = lua.lua_type(co, -1) as number
  if (t === lua.LUA_TNIL) return 'nil'
  return 'unknown reason'
}

/** A Lua string at idx as a JS string (numbers as LuaJIT prints them). */
export function toStr(L: LuaState, idx: number): string {
  if (lua.lua_type(L, idx) === lua.LUA_TNUMBER) return luaTostring(lua.lua_tonumber(L, idx) as number)
  const s = lua.lua_tolstring(L, idx) as Uint8Array | null
  return s === null ? '' : toJsString(s)
}

/**
 * fengari's (Lua 5.3's) error wording as LuaJIT words it:
 * `attempt to call a nil value (global 'x')` → `attempt to call global 'x' (a nil value)`,
 * `unexpected symbol near <eof>` → `unexpected symbol near '<eof>'`.
 */
export function fixMessage(msg: string): string {
  return msg
    .replace(/attempt to (\w+) a (\w+) value \((global|local|field|upvalue|method|constant) '([^']*)'\)/g, "attempt to $1 $3 '$4' (a $2 value)")
    // the parser's end of input, quoted as LuaJIT quotes it
    .replace(/ near <eof>$/, " near '<eof>'")
    .replace(/^(.*?):(\d+): /, (all, chunk: string) => (chunk.startsWith('[string') ? all : all))
}
