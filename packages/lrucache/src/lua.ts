// The Lua modules `resty.lrucache` and `resty.lrucache.pureffi` over LRUCache and
// PureFfiLRUCache, for @nresty/lua (which imports this entry on the first `require` of either
// name and calls registerLua). Values are any Lua values, kept as fengari proxies (no copy, no
// registry slot: an evicted value is garbage once nothing else holds it). Plain lrucache keys
// keep Lua's identity (1 and "1" differ, tables by reference); pureffi keys are strings.
// This file imports nothing from @nresty/lua: the binding kit comes as an argument.
import { LRUCache } from './lrucache.ts'
import { PureFfiLRUCache } from './pureffi.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
type LuaState = object
type Proxy = (L: LuaState) => void

/** What this binding uses of @nresty/lua's LuaBinding. */
interface Kit {
  readonly lua: any
  readonly lauxlib: any
  readonly toLuaString: (s: string) => Uint8Array
  readonly luaTostring: (n: number) => string
  readonly callApi: <T>(L: LuaState, fn: () => T) => T | undefined
  readonly defineClass: <T extends object>(L: LuaState, methods: Readonly<Record<string, (L: LuaState, self: T) => number>>) => { push(L: LuaState, obj: T): void }
}

type Register = (name: string, loader: (L: LuaState) => number) => void

/** A Lua string's bytes as a JS string, one char per byte (distinct bytes, distinct keys). */
function latin1(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096))
  return s
}

function fromLatin1(s: string): Uint8Array {
  const b = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i)
  return b
}

type Key = string | number | boolean | object

interface Plain {
  readonly cache: LRUCache<Proxy, Key>
  /** The size as given (upstream's capacity() answers it: 2.7 stays 2.7). */
  readonly size: number
  /** Lua values of the reference-typed keys, to give them back in get_keys. */
  readonly refKeys: WeakMap<object, Proxy>
}

interface Ffi {
  readonly cache: PureFfiLRUCache<Proxy>
  readonly size: number
}

/** Registers `resty.lrucache` and `resty.lrucache.pureffi` with @nresty/lua. */
export function registerLua(register: Register, kit: Kit): void {
  const { lua, lauxlib, toLuaString: S } = kit
  const T_NIL = lua.LUA_TNIL as number
  const T_NONE = lua.LUA_TNONE as number
  /** The value of items set to nil (plain lrucache answers them as misses). */
  const NIL: Proxy = (L) => lua.lua_pushnil(L)

  /** The key at idx of plain lrucache: strings as latin1 strings, others by identity. */
  const plainKey = (L: LuaState, idx: number, refKeys?: WeakMap<object, Proxy>): Key => {
    const t = lua.lua_type(L, idx) as number
    if (t === lua.LUA_TSTRING) return latin1(lua.lua_tolstring(L, idx) as Uint8Array)
    if (t === lua.LUA_TNUMBER) return lua.lua_tonumber(L, idx) as number
    if (t === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, idx) as boolean
    if (t === T_NIL || t === T_NONE) return lauxlib.luaL_error(L, S('table index is nil')) as never
    const p = lua.lua_topointer(L, idx) as object
    if (refKeys !== undefined && !refKeys.has(p)) refKeys.set(p, lua.lua_toproxy(L, idx) as Proxy)
    return p
  }
  /** pureffi's key: a string (numbers as Lua prints them). */
  const ffiKey = (L: LuaState, idx: number): string => {
    const t = lua.lua_type(L, idx) as number
    if (t === lua.LUA_TNUMBER) return kit.luaTostring(lua.lua_tonumber(L, idx) as number)
    if (t === lua.LUA_TSTRING) return latin1(lua.lua_tolstring(L, idx) as Uint8Array)
    // luaL_tolstring leaves its string on the stack: take it off, or the arguments after the
    // key (ttl, flags) are read from the wrong slots.
    const key = latin1(lauxlib.luaL_tolstring(L, idx) as Uint8Array)
    lua.lua_pop(L, 1)
    return key
  }
  const optNum = (L: LuaState, idx: number): number | undefined => (lua.lua_isnoneornil(L, idx) ? undefined : (lauxlib.luaL_checknumber(L, idx) as number))

  /**
   * upstream's get: value, nil, flags | nil, stale value, flags | nil. Plain lrucache answers an
   * item holding nil as a miss (pureffi as a hit: nil, nil, flags).
   */
  const pushGet = (L: LuaState, r: { value: Proxy; stale: boolean; flags: number } | undefined, nilIsMiss = false): number => {
    if (r === undefined || (nilIsMiss && r.value === NIL)) { lua.lua_pushnil(L); return 1 }
    if (r.stale) { lua.lua_pushnil(L); r.value(L) } else { r.value(L); lua.lua_pushnil(L) }
    lua.lua_pushnumber(L, r.flags)
    return 3
  }
  /** get_keys(max?, res?): a sequence, most recent first; with res, res[n+1] = nil. */
  const pushKeys = (L: LuaState, keys: readonly Key[], push: (L: LuaState, k: Key) => void): number => {
    const hasRes = lua.lua_type(L, 3) === lua.LUA_TTABLE
    if (hasRes) lua.lua_pushvalue(L, 3)
    else lua.lua_createtable(L, keys.length, 0)
    keys.forEach((k, i) => { push(L, k); lua.lua_rawseti(L, -2, i + 1) })
    if (hasRes) { lua.lua_pushnil(L); lua.lua_rawseti(L, -2, keys.length + 1) }
    return 1
  }
  const pushPrim = (L: LuaState, k: Key): void => {
    if (typeof k === 'string') lua.lua_pushstring(L, fromLatin1(k))
    else if (typeof k === 'number') lua.lua_pushnumber(L, k)
    else if (typeof k === 'boolean') lua.lua_pushboolean(L, k)
    else lua.lua_pushnil(L)
  }
  const maxArg = (L: LuaState): number | undefined => optNum(L, 2)

  register('resty.lrucache', (L) => {
    const cls = kit.defineClass<Plain>(L, {
      // a nil key: a miss (set raises, as upstream's table store does)
      get: (Ls, self) => (lua.lua_isnoneornil(Ls, 2) ? pushGet(Ls, undefined) : pushGet(Ls, self.cache.getStale(plainKey(Ls, 2)), true)),
      set: (Ls, self) => {
        const key = plainKey(Ls, 2, self.refKeys)
        const value = lua.lua_isnoneornil(Ls, 3) ? NIL : (lua.lua_toproxy(Ls, 3) as Proxy)
        self.cache.set(key, value, optNum(Ls, 4), optNum(Ls, 5))
        return 0
      },
      delete: (Ls, self) => { lua.lua_pushboolean(Ls, !lua.lua_isnoneornil(Ls, 2) && self.cache.delete(plainKey(Ls, 2))); return 1 },
      count: (Ls, self) => { lua.lua_pushnumber(Ls, self.cache.count()); return 1 },
      capacity: (Ls, self) => { lua.lua_pushnumber(Ls, self.size); return 1 },
      get_keys: (Ls, self) => pushKeys(Ls, self.cache.getKeys(maxArg(Ls)), (Lk, k) => {
        if (typeof k === 'object') self.refKeys.get(k)!(Lk)
        else pushPrim(Lk, k)
      }),
      flush_all: (Ls, self) => { self.cache.flushAll(); return 0 },
    })
    lua.lua_createtable(L, 0, 2)
    lua.lua_pushstring(L, S('0.13'))
    lua.lua_setfield(L, -2, S('_VERSION'))
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      const n = lauxlib.luaL_checknumber(Ls, 1) as number
      if (n < 1) { lua.lua_pushnil(Ls); lua.lua_pushstring(Ls, S('size too small')); return 2 }
      const cache = kit.callApi(Ls, () => new LRUCache<Proxy, Key>(n))
      if (cache === undefined) return 0
      cls.push(Ls, { cache, size: n, refKeys: new WeakMap() })
      return 1
    })
    lua.lua_setfield(L, -2, S('new'))
    return 1
  })

  register('resty.lrucache.pureffi', (L) => {
    const cls = kit.defineClass<Ffi>(L, {
      get: (Ls, self) => pushGet(Ls, self.cache.getStale(ffiKey(Ls, 2))),
      set: (Ls, self) => {
        self.cache.set(ffiKey(Ls, 2), lua.lua_toproxy(Ls, 3) as Proxy, optNum(Ls, 4), optNum(Ls, 5))
        return 0
      },
      delete: (Ls, self) => { lua.lua_pushboolean(Ls, self.cache.delete(ffiKey(Ls, 2))); return 1 },
      count: (Ls, self) => { lua.lua_pushnumber(Ls, self.cache.count()); return 1 },
      capacity: (Ls, self) => { lua.lua_pushnumber(Ls, self.size); return 1 },
      get_keys: (Ls, self) => pushKeys(Ls, self.cache.getKeys(maxArg(Ls)), pushPrim),
      flush_all: (Ls, self) => { self.cache.flushAll(); return 0 },
    })
    lua.lua_createtable(L, 0, 2)
    lua.lua_pushstring(L, S('0.13'))
    lua.lua_setfield(L, -2, S('_VERSION'))
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      const n = lauxlib.luaL_checknumber(Ls, 1) as number
      if (n < 1) { lua.lua_pushnil(Ls); lua.lua_pushstring(Ls, S('size too small')); return 2 }
      const lf = optNum(Ls, 2)
      const cache = kit.callApi(Ls, () => new PureFfiLRUCache<Proxy>(n, lf))
      if (cache === undefined) return 0
      cls.push(Ls, { cache, size: n })
      return 1
    })
    lua.lua_setfield(L, -2, S('new'))
    return 1
  })
}
