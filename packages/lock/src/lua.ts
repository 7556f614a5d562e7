// The Lua module `resty.lock` over Lock, for @nresty/lua (which imports this entry on the first
// `require "resty.lock"` and calls registerLua). `lock:lock(key)` yields the coroutine while the
// TS lock backs off; results are upstream's: elapsed | nil, err; 1 | nil, err; true | nil, err.
// This file imports nothing from @nresty/lua: the binding kit comes as an argument.
import { Lock } from './lock.ts'
import type { LockOptions } from './lock.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
type LuaState = object
type Result = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: string }

/** What this binding uses of @nresty/lua's LuaBinding. */
interface Kit {
  readonly lua: any
  readonly lauxlib: any
  readonly toLuaString: (s: string) => Uint8Array
  readonly toStr: (L: LuaState, idx: number) => string
  readonly cur: () => { readonly shared: Readonly<Record<string, unknown>> }
  readonly callApi: <T>(L: LuaState, fn: () => T) => T | undefined
  readonly yieldPromise: <T>(L: LuaState, promise: Promise<T>, push: (L: LuaState, v: T) => number) => number
  readonly defineClass: <T extends object>(L: LuaState, methods: Readonly<Record<string, (L: LuaState, self: T) => number>>) => { push(L: LuaState, obj: T): void }
}

type Register = (name: string, loader: (L: LuaState) => number) => void

const OPTIONS: readonly (readonly [string, keyof LockOptions])[] = [
  ['exptime', 'exptime'], ['timeout', 'timeout'], ['step', 'step'], ['ratio', 'ratio'], ['max_step', 'maxStep'],
]

/** Registers `resty.lock` with @nresty/lua. */
export function registerLua(register: Register, kit: Kit): void {
  const { lua, toLuaString: S } = kit

  /** Pushes `value` (as `push` does) or `nil, err`. */
  const ret = (L: LuaState, r: Result | undefined, push: (L: LuaState, v: unknown) => void): number => {
    if (r === undefined) return 0
    if (r.ok) { push(L, r.value); return 1 }
    lua.lua_pushnil(L)
    lua.lua_pushstring(L, S(r.err))
    return 2
  }
  const num = (L: LuaState, v: unknown): void => lua.lua_pushnumber(L, v as number)

  register('resty.lock', (L) => {
    const cls = kit.defineClass<Lock>(L, {
      lock: (Ls, self) => {
        const key = lua.lua_isnoneornil(Ls, 2) ? undefined : kit.toStr(Ls, 2)
        const p = kit.callApi(Ls, () => self.lock(key))
        if (p === undefined) return 0
        return kit.yieldPromise(Ls, p, (Lr, r) => ret(Lr, r, num))
      },
      unlock: (Ls, self) => ret(Ls, self.unlock(), num),
      expire: (Ls, self) => {
        const t = lua.lua_isnoneornil(Ls, 2) ? undefined : (kit.lauxlib.luaL_checknumber(Ls, 2) as number)
        return ret(Ls, kit.callApi(Ls, () => self.expire(t)), (Lr) => lua.lua_pushboolean(Lr, true))
      },
    })
    lua.lua_createtable(L, 0, 2)
    lua.lua_pushstring(L, S('0.09'))
    lua.lua_setfield(L, -2, S('_VERSION'))
    // resty_lock:new(dict_name, opts): the first argument is the module (called with `:`)
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      const name = lua.lua_type(Ls, 2) === lua.LUA_TSTRING ? kit.toStr(Ls, 2) : undefined
      const dict = name === undefined ? undefined : kit.callApi(Ls, () => kit.cur().shared[name])
      if (dict === undefined) {
        lua.lua_pushnil(Ls)
        lua.lua_pushstring(Ls, S('dictionary not found'))
        return 2
      }
      const opts: Record<string, number> = {}
      if (lua.lua_type(Ls, 3) === lua.LUA_TTABLE) {
        for (const [luaName, tsName] of OPTIONS) {
          lua.lua_getfield(Ls, 3, S(luaName))
          if (!lua.lua_isnil(Ls, -1)) opts[tsName] = lua.lua_tonumber(Ls, -1) as number
          lua.lua_pop(Ls, 1)
        }
      }
      const lock = kit.callApi(Ls, () => new Lock(dict as ConstructorParameters<typeof Lock>[0], opts))
      if (lock === undefined) return 0
      cls.push(Ls, lock)
      return 1
    })
    lua.lua_setfield(L, -2, S('new'))
    return 1
  })
}
