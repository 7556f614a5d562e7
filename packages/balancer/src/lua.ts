// The Lua modules `resty.chash`, `resty.roundrobin` and `resty.swrr` over Chash, RoundRobin and
// Swrr, for @nresty/lua (which imports this entry on the first `require` of one of them and
// calls registerLua). The Lua API is lua-resty-balancer's: `obj = mod:new(nodes)` with nodes a
// table id -> weight; `obj:find(key)` (chash: id, index; the others: id), `obj:next(index)`,
// `obj:set(id, w)`, `obj:delete(id)`, `obj:incr(id, w?)`, `obj:decr(id, w?)`, `obj:reinit(nodes)`.
// Ids are strings or numbers (a number id comes back as a number; chash hashes what
// tostring(id) prints, as upstream). chash indexes are 1-based, as upstream's.
// This file imports nothing from @nresty/lua: the binding kit comes as an argument.
import type { ChashId } from '@nresty/core'
import { Chash } from './chash.ts'
import { RoundRobin } from './roundrobin.ts'
import { Swrr } from './swrr.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
type LuaState = object

/** What this binding uses of @nresty/lua's LuaBinding. */
interface Kit {
  readonly lua: any
  readonly lauxlib: any
  readonly toLuaString: (s: string) => Uint8Array
  readonly luaTostring: (n: number) => string
  readonly callApi: <T>(L: LuaState, fn: () => T) => T | undefined
  readonly argError: (L: LuaState, message: string) => number
  readonly defineClass: <T extends object>(L: LuaState, methods: Readonly<Record<string, (L: LuaState, self: T) => number>>) => { push(L: LuaState, obj: T): void }
}

type Register = (name: string, loader: (L: LuaState) => number) => void

/** A Lua string's bytes as a JS string, one char per byte. */
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

/** Chash over Lua strings: ids are latin1 JS strings, hashed as the Lua string's bytes. */
class LuaChash extends Chash {
  protected override idBytes(id: string): ChashId {
    return fromLatin1(id)
  }
}

interface Balancer {
  reinit(nodes: Map<string, number>): void
  set(id: string, weight: number): void
  delete(id: string): void
  incr(id: string, weight?: number): void
  decr(id: string, weight?: number): void
}

/** A Lua balancer object: the TS balancer and the ids given as Lua numbers. */
interface Obj<B extends Balancer> {
  readonly b: B
  readonly numeric: Set<string>
}

/** Registers `resty.chash`, `resty.roundrobin` and `resty.swrr` with @nresty/lua. */
export function registerLua(register: Register, kit: Kit): void {
  const { lua, lauxlib, toLuaString: S } = kit
  const typeName = (L: LuaState, idx: number): string => latin1(lua.lua_typename(L, lua.lua_type(L, idx)) as Uint8Array)

  /** The id at idx as a JS string (numbers as tostring prints them); raises for other types. */
  const idAt = (L: LuaState, idx: number, numeric: Set<string>, fn: string): string => {
    const t = lua.lua_type(L, idx) as number
    if (t === lua.LUA_TSTRING) return latin1(lua.lua_tolstring(L, idx) as Uint8Array)
    if (t === lua.LUA_TNUMBER) {
      const id = kit.luaTostring(lua.lua_tonumber(L, idx) as number)
      numeric.add(id)
      return id
    }
    return kit.argError(L, `bad argument #1 to '${fn}' (string or number id expected, got ${typeName(L, idx)})`) as never
  }
  const pushId = (L: LuaState, id: string | undefined, numeric: Set<string>): void => {
    if (id === undefined) lua.lua_pushnil(L)
    else if (numeric.has(id)) lua.lua_pushnumber(L, Number(id))
    else lua.lua_pushstring(L, fromLatin1(id))
  }
  /** The weight at idx: `tonumber(w) or dflt`, as upstream reads it. */
  const weightAt = (L: LuaState, idx: number, dflt: number): number => {
    const w = lua.lua_tonumberx(L, idx, null) as number | false
    return w === false ? dflt : w
  }
  /** The nodes table at idx: id -> weight, in the table's iteration order. */
  const nodesAt = (L: LuaState, idx: number, numeric: Set<string>, fn: string): Map<string, number> => {
    if (lua.lua_type(L, idx) !== lua.LUA_TTABLE) return kit.argError(L, `bad argument #1 to '${fn}' (table expected, got ${typeName(L, idx)})`) as never
    const nodes = new Map<string, number>()
    lua.lua_pushnil(L)
    while (lua.lua_next(L, idx) !== 0) {
      const id = idAt(L, -2, numeric, fn)
      const w = lua.lua_tonumberx(L, -1, null) as number | false
      if (w === false) return kit.argError(L, `bad weight of node "${id}" in '${fn}' (number expected, got ${typeName(L, -1)})`) as never
      nodes.set(id, w)
      lua.lua_pop(L, 1)
    }
    return nodes
  }

  /** The methods all three share; `find` and `next` are each module's own. */
  const common = <B extends Balancer>(): Record<string, (L: LuaState, self: Obj<B>) => number> => ({
    reinit: (L, self) => {
      self.numeric.clear()
      const nodes = nodesAt(L, 2, self.numeric, 'reinit')
      kit.callApi(L, () => self.b.reinit(nodes))
      return 0
    },
    set: (L, self) => {
      const id = idAt(L, 2, self.numeric, 'set')
      const w = weightAt(L, 3, 0)
      kit.callApi(L, () => self.b.set(id, w))
      return 0
    },
    delete: (L, self) => {
      const id = idAt(L, 2, self.numeric, 'delete')
      kit.callApi(L, () => self.b.delete(id))
      return 0
    },
    incr: (L, self) => {
      const id = idAt(L, 2, self.numeric, 'incr')
      const w = weightAt(L, 3, 1)
      kit.callApi(L, () => self.b.incr(id, w))
      return 0
    },
    decr: (L, self) => {
      const id = idAt(L, 2, self.numeric, 'decr')
      const w = weightAt(L, 3, 1)
      kit.callApi(L, () => self.b.decr(id, w))
      return 0
    },
  })

  /** The module table { new = function(self, nodes) }. */
  const pushModule = <B extends Balancer>(L: LuaState, make: (nodes: Map<string, number>) => B, cls: { push(L: LuaState, obj: Obj<B>): void }): void => {
    lua.lua_createtable(L, 0, 1)
    lua.lua_pushjsfunction(L, (Ls: LuaState) => {
      const numeric = new Set<string>()
      const nodes = nodesAt(Ls, 2, numeric, 'new')
      const b = kit.callApi(Ls, () => make(nodes))
      if (b === undefined) return 0
      cls.push(Ls, { b, numeric })
      return 1
    })
    lua.lua_setfield(L, -2, S('new'))
  }

  /** The key as tostring(key) prints it. */
  const keyAt = (L: LuaState, idx: number): Uint8Array => {
    const t = lua.lua_type(L, idx) as number
    if (t === lua.LUA_TSTRING) return lua.lua_tolstring(L, idx) as Uint8Array
    if (t === lua.LUA_TNUMBER) return S(kit.luaTostring(lua.lua_tonumber(L, idx) as number))
    const s = lauxlib.luaL_tolstring(L, idx) as Uint8Array
    lua.lua_pop(L, 1)
    return s
  }

  register('resty.chash', (L) => {
    const pick = (L2: LuaState, self: Obj<LuaChash>, p: readonly [string, number] | undefined): number => {
      if (p === undefined) { lua.lua_pushnil(L2); return 1 }
      pushId(L2, p[0], self.numeric)
      lua.lua_pushinteger(L2, p[1] + 1)
      return 2
    }
    const cls = kit.defineClass<Obj<LuaChash>>(L, {
      ...common<LuaChash>(),
      find: (Ls, self) => pick(Ls, self, self.b.find(keyAt(Ls, 2))),
      next: (Ls, self) => {
        const i = lua.lua_tointegerx(Ls, 2) as number | false
        if (i === false) return kit.argError(Ls, `bad argument #1 to 'next' (integer index expected, got ${typeName(Ls, 2)})`)
        const n = self.b.points
        if (n === 0) { lua.lua_pushnil(Ls); return 1 }
        // upstream: the next index is index % npoints + 1, for any integer index
        return pick(Ls, self, self.b.next((((i - 1) % n) + n) % n))
      },
    })
    pushModule(L, (nodes) => new LuaChash(nodes), cls)
    return 1
  })

  const rrLike = <B extends Balancer & { find(): string | undefined }>(name: string, make: (nodes: Map<string, number>) => B): void => {
    register(name, (L) => {
      const find = (Ls: LuaState, self: Obj<B>): number => { pushId(Ls, self.b.find(), self.numeric); return 1 }
      const cls = kit.defineClass<Obj<B>>(L, { ...common<B>(), find, next: find })
      pushModule(L, make, cls)
      return 1
    })
  }
  rrLike('resty.roundrobin', (nodes) => new RoundRobin(nodes))
  rrLike('resty.swrr', (nodes) => new Swrr(nodes))
}
