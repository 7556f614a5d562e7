// The Lua module `ngx.semaphore` over Semaphore, for @nresty/lua (which imports this entry on
// the first `require "ngx.semaphore"` and calls registerLua). `sema:wait(timeout)` yields the
// coroutine; results are lua-resty-core's: `true, nil` | `false, err` for wait, `true` for post.
// This file imports nothing from @nresty/lua: the binding kit comes as an argument.
import type { Ngx } from '@nresty/core'
import { Semaphore } from './semaphore.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
type LuaState = object
type Result = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: string }

/** What this binding uses of @nresty/lua's LuaBinding. */
interface Kit {
  readonly lua: any
  readonly lauxlib: any
  readonly toLuaString: (s: string) => Uint8Array
  readonly cur: () => Ngx
  readonly callApi: <T>(L: LuaState, fn: () => T) => T | undefined
  readonly yieldPromise: <T>(L: LuaState, promise: Promise<T>, push: (L: LuaState, v: T) => number) => number
  readonly defineClass: <T extends object>(L: LuaState, methods: Readonly<Record<string, (L: LuaState, self: T) => number>>) => { push(L: LuaState, obj: T): void }
}

type Register = (name: string, loader: (L: LuaState) => number) => void

/** Registers `ngx.semaphore` with @nresty/lua. */
export function registerLua(register: Register, kit: Kit): void {
  const { lua, toLuaString: S } = kit
  /**
   * The number at `idx`, or `dflt` when none is given; another value is refused as
   * lua-resty-core refuses it, naming its Lua type.
   */
  const opt = (L: LuaState, idx: number, dflt: number | undefined, fname: string): number | undefined => {
    const t = lua.lua_type(L, idx) as number
    if (t === lua.LUA_TNIL || t === lua.LUA_TNONE) return dflt
    if (t === lua.LUA_TNUMBER) return lua.lua_tonumber(L, idx) as number
    const type = new TextDecoder().decode(lua.lua_typename(L, t) as Uint8Array)
    kit.lauxlib.luaL_where(L, 1)
    lua.lua_pushstring(L, S(`bad argument #1 to '${fname}' (number expected, got ${type})`))
    lua.lua_concat(L, 2)
    return lua.lua_error(L) as undefined
  }
  /** wait's answers, as lua-resty-core gives them: `true, nil` or `false, err`. */
  const result = (L: LuaState, r: Result): number => {
    lua.lua_pushboolean(L, r.ok)
    if (r.ok) lua.lua_pushnil(L)
    else lua.lua_pushstring(L, S(r.err))
    return 2
  }

  register('ngx.semaphore', (L) => {
    const cls = kit.defineClass<Semaphore>(L, {
      post: (Ls, self) => {
        const n = opt(Ls, 2, 1, 'post')
        if (kit.callApi(Ls, () => self.post(n)) === undefined) return 0
        lua.lua_pushboolean(Ls, true)
        return 1
      },
      wait: (Ls, self) => {
        const t = opt(Ls, 2, undefined, 'wait')
        const p = kit.callApi(Ls, () => self.wait(t as number, kit.cur()))
        if (p === undefined) return 0
        return kit.yieldPromise(Ls, p, (Lr, r) => result(Lr, r))
      },
      count: (Ls, self) => {
        lua.lua_pushnumber(Ls, self.count())
        return 1
      },
    })
    lua.lua_createtable(L, 0, 2)
    lua.lua_pushstring(L, S('0.1.28'))
    lua.lua_setfield(L, -2, S('version'))
    // semaphore.new(n): called with `.`, not `:`
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      const n = opt(Ls, 1, 0, 'new')
      const sema = kit.callApi(Ls, () => new Semaphore(n))
      if (sema === undefined) return 0
      cls.push(Ls, sema)
      return 1
    })
    lua.lua_setfield(L, -2, S('new'))
    return 1
  })
}
