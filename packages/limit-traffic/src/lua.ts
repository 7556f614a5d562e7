// The Lua modules `resty.limit.req`, `resty.limit.count`, `resty.limit.conn` and
// `resty.limit.traffic` over LimitReq, LimitCount, LimitConn and combine, for @nresty/lua (which
// imports this entry on the first `require` of one of them and calls registerLua). Results are
// upstream's: `delay, excess|remaining|conn` or `nil, err`. combine calls each limiter's
// `incoming` / `uncommit` through Lua, so limiters written in Lua combine too.
// This file imports nothing from @nresty/lua (the binding kit comes as an argument), nor the
// Redis store (no ioredis load for Lua users).
import { LimitConn } from './limit-conn.ts'
import { LimitCount } from './limit-count.ts'
import { LimitReq } from './limit-req.ts'
import { combine } from './traffic.ts'
import type { Limiter } from './traffic.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
type LuaState = object
type Proxy = (L: LuaState) => void
type Result = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: string }
type Dict = ConstructorParameters<typeof LimitReq>[0]

/** What this binding uses of @nresty/lua's LuaBinding. */
interface Kit {
  readonly lua: any
  readonly lauxlib: any
  readonly toLuaString: (s: string) => Uint8Array
  readonly toStr: (L: LuaState, idx: number) => string
  readonly cur: () => { readonly shared: Readonly<Record<string, unknown>> }
  readonly callApi: <T>(L: LuaState, fn: () => T) => T | undefined
  readonly defineClass: <T extends object>(L: LuaState, methods: Readonly<Record<string, (L: LuaState, self: T) => number>>) => { push(L: LuaState, obj: T): void }
}

type Register = (name: string, loader: (L: LuaState) => number) => void

/** Registers the resty.limit.* modules with @nresty/lua. */
export function registerLua(register: Register, kit: Kit): void {
  const { lua, lauxlib, toLuaString: S } = kit

  const nilErr = (L: LuaState, err: string): number => {
    lua.lua_pushnil(L)
    lua.lua_pushstring(L, S(err))
    return 2
  }
  /** Pushes the result's value(s) (`push` answers how many) or `nil, err`. */
  const ret = <V>(L: LuaState, r: Result | undefined, push: (L: LuaState, v: V) => number): number => {
    if (r === undefined) return 0
    return r.ok ? push(L, r.value as V) : nilErr(L, r.err)
  }
  const two = (a: number, b: number) => (L: LuaState): number => {
    lua.lua_pushnumber(L, a)
    lua.lua_pushnumber(L, b)
    return 2
  }
  const one = (L: LuaState, v: number): number => { lua.lua_pushnumber(L, v); return 1 }
  const key = (L: LuaState, idx: number): string => kit.toStr(L, idx)
  const num = (L: LuaState, idx: number): number => lauxlib.luaL_checknumber(L, idx) as number
  const commitArg = (L: LuaState): boolean => lua.lua_toboolean(L, 3) as boolean

  /** The module table: `new(dict_name, ...)` → obj | nil, "shared dict not found". */
  const module = (L: LuaState, make: (Ls: LuaState, dict: Dict) => object, cls: { push(L: LuaState, obj: any): void }): number => {
    lua.lua_createtable(L, 0, 2)
    lua.lua_pushstring(L, S('0.09'))
    lua.lua_setfield(L, -2, S('_VERSION'))
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      const name = lua.lua_type(Ls, 1) === lua.LUA_TSTRING ? kit.toStr(Ls, 1) : undefined
      const dict = name === undefined ? undefined : kit.callApi(Ls, () => kit.cur().shared[name])
      if (dict === undefined) return nilErr(Ls, 'shared dict not found')
      const obj = kit.callApi(Ls, () => make(Ls, dict as Dict))
      if (obj === undefined) return 0
      cls.push(Ls, obj)
      return 1
    })
    lua.lua_setfield(L, -2, S('new'))
    return 1
  }

  register('resty.limit.req', (L) => module(L, (Ls, dict) => new LimitReq(dict, num(Ls, 2), num(Ls, 3)), kit.defineClass<LimitReq>(L, {
    incoming: (Ls, self) => ret<{ delay: number; excess: number }>(Ls, self.incoming(key(Ls, 2), commitArg(Ls)), (Lr, v) => two(v.delay, v.excess)(Lr)),
    uncommit: (Ls, self) => ret(Ls, self.uncommit(key(Ls, 2)), (Lr) => { lua.lua_pushboolean(Lr, true); return 1 }),
    set_rate: (Ls, self) => { kit.callApi(Ls, () => self.setRate(num(Ls, 2))); return 0 },
    set_burst: (Ls, self) => { kit.callApi(Ls, () => self.setBurst(num(Ls, 2))); return 0 },
  })))

  register('resty.limit.count', (L) => module(L, (Ls, dict) => new LimitCount(dict, num(Ls, 2), num(Ls, 3)), kit.defineClass<LimitCount>(L, {
    incoming: (Ls, self) => ret<{ delay: number; remaining: number }>(Ls, self.incoming(key(Ls, 2), commitArg(Ls)), (Lr, v) => two(v.delay, v.remaining)(Lr)),
    uncommit: (Ls, self) => ret<number>(Ls, self.uncommit(key(Ls, 2)), one),
  })))

  register('resty.limit.conn', (L) => module(L, (Ls, dict) => new LimitConn(dict, num(Ls, 2), num(Ls, 3), num(Ls, 4)), kit.defineClass<LimitConn>(L, {
    incoming: (Ls, self) => ret<{ delay: number; conn: number }>(Ls, self.incoming(key(Ls, 2), commitArg(Ls)), (Lr, v) => two(v.delay, v.conn)(Lr)),
    is_committed: (Ls, self) => { lua.lua_pushboolean(Ls, self.isCommitted()); return 1 },
    leaving: (Ls, self) => {
      const latency = lua.lua_isnoneornil(Ls, 3) ? undefined : num(Ls, 3)
      return ret<number>(Ls, self.leaving(key(Ls, 2), latency), one)
    },
    uncommit: (Ls, self) => ret<number>(Ls, self.uncommit(key(Ls, 2)), one),
    set_conn: (Ls, self) => { kit.callApi(Ls, () => self.setConn(num(Ls, 2))); return 0 },
    set_burst: (Ls, self) => { kit.callApi(Ls, () => self.setBurst(num(Ls, 2))); return 0 },
  })))

  register('resty.limit.traffic', (L) => {
    lua.lua_createtable(L, 0, 2)
    lua.lua_pushstring(L, S('0.09'))
    lua.lua_setfield(L, -2, S('_VERSION'))
    // combine(limiters, keys, states?): TS combine over adapters that call each Lua limiter's
    // methods with keys[i] (the JS "keys" are the indices).
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      lauxlib.luaL_checktype(Ls, 1, lua.LUA_TTABLE)
      lauxlib.luaL_checktype(Ls, 2, lua.LUA_TTABLE)
      const n = lua.lua_rawlen(Ls, 1) as number
      const call = (i: number, method: string, commit: boolean | undefined): [Proxy | undefined, Proxy] => {
        lua.lua_rawgeti(Ls, 1, i)
        lua.lua_getfield(Ls, -1, S(method))
        lua.lua_insert(Ls, -2)
        lua.lua_rawgeti(Ls, 2, i)
        if (commit !== undefined) lua.lua_pushboolean(Ls, commit)
        lua.lua_call(Ls, commit === undefined ? 2 : 3, 2)
        const first = lua.lua_isnil(Ls, -2) ? undefined : (lua.lua_toproxy(Ls, -2) as Proxy)
        const second = lua.lua_toproxy(Ls, -1) as Proxy
        const d = lua.lua_tonumber(Ls, -2) as number
        lua.lua_pop(Ls, 2)
        return [first === undefined ? undefined : ((Lp: LuaState) => lua.lua_pushnumber(Lp, d)), second]
      }
      const limiters: Limiter<{ delay: number; second: Proxy }>[] = []
      const keys: string[] = []
      for (let i = 1; i <= n; i++) {
        keys.push(String(i))
        limiters.push({
          incoming: (_k, commit) => {
            const [first, second] = call(i, 'incoming', commit === true)
            if (first === undefined) {
              second(Ls)
              const err = kit.toStr(Ls, -1)
              lua.lua_pop(Ls, 1)
              return { ok: false, err }
            }
            first(Ls)
            const delay = lua.lua_tonumber(Ls, -1) as number
            lua.lua_pop(Ls, 1)
            return { ok: true, value: { delay, second } }
          },
          uncommit: () => { call(i, 'uncommit', undefined) },
        })
      }
      const states: ({ second: Proxy } | undefined)[] = []
      const r = combine(limiters, keys, states)
      if (!r.ok) return nilErr(Ls, r.err)
      if (lua.lua_type(Ls, 3) === lua.LUA_TTABLE) {
        states.forEach((s, i) => {
          if (s === undefined) return
          s.second(Ls)
          lua.lua_rawseti(Ls, 3, i + 1)
        })
      }
      lua.lua_pushnumber(Ls, r.value)
      return 1
    })
    lua.lua_setfield(L, -2, S('combine'))
    return 1
  })
}
