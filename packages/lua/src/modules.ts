// Built-in Lua modules of the bridge, found by `require` before lua_package_path:
// `ngx.process`, `ngx.base64`, `ngx.errlog`, `resty.core` (a no-op: the ngx API is already complete), `jit`, `bit`,
// `table.new` / `table.clear` / `table.nkeys`, `cjson` / `cjson.safe`, and `ffi`, which fails
// when used.
import { decodeBase64url, encodeBase64url } from '@nresty/core'
import { lauxlib, lua, toJsString, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { callApi, cur } from './vm.ts'
import type { LuaVm } from './vm.ts'
import { pushCjson } from './cjson.ts'
import { pushJs } from './ngx-lib.ts'
import { installSearcher } from './registry.ts'

const S = toLuaString

/** Lua source of the modules written in Lua. */
const LUA_MODULES: Readonly<Record<string, string>> = {
  'resty.core': 'return { version = "0.1.25" }',
  'resty.core.base': 'return { version = "0.1.25" }',
  jit: 'return { version = "LuaJIT 2.1.0-beta3", version_num = 20100, os = "Linux", arch = "x64", on = function() end, off = function() end, flush = function() end, status = function() return false end, opt = { start = function() end } }',
  ffi: 'return setmetatable({}, { __index = function(_, k) error("ffi is not available in nresty (fengari): ffi." .. tostring(k), 2) end })',
  'ngx.resp': 'return { add_header = ngx.resp.add_header, get_headers = ngx.resp.get_headers }',
  'table.new': 'return function(narr, nrec) return {} end',
  'table.clear': 'return function(t) for k in pairs(t) do t[k] = nil end end',
  'table.nkeys': 'return function(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end',
}

function preload(L: LuaState, name: string, fn: (L: LuaState) => number): void {
  lua.lua_getglobal(L, S('package'))
  lua.lua_getfield(L, -1, S('preload'))
  lua.lua_pushjsfunction(L, fn)
  lua.lua_setfield(L, -2, S(name))
  lua.lua_pop(L, 2)
}

/** LuaJIT's BitOp on JS's int32 operators (the same semantics: operands are taken modulo 2^32). */
const BIT: Readonly<Record<string, (...a: number[]) => number>> = {
  tobit: (a) => a | 0,
  bnot: (a) => ~a,
  band: (...a) => a.reduce((x, y) => x & y, -1),
  bor: (...a) => a.reduce((x, y) => x | y, 0),
  bxor: (...a) => a.reduce((x, y) => x ^ y, 0),
  lshift: (a, n) => a << n,
  rshift: (a, n) => (a >>> n) | 0,
  arshift: (a, n) => a >> n,
  rol: (a, n) => (a << n) | (a >>> (32 - (n & 31))),
  ror: (a, n) => (a >>> n) | (a << (32 - (n & 31))),
  bswap: (a) => ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24),
}

function bitTohex(L: LuaState): number {
  const a = toInt32(lauxlib.luaL_checknumber(L, 1) as number)
  let n = lua.lua_isnoneornil(L, 2) ? 8 : toInt32(lua.lua_tonumber(L, 2) as number)
  const upper = n < 0
  if (upper) n = -n
  if (n > 8) n = 8
  let s = (a >>> 0).toString(16).padStart(8, '0').slice(8 - n)
  if (upper) s = s.toUpperCase()
  lua.lua_pushstring(L, S(s))
  return 1
}

/** LuaJIT's tobit: doubles wrap modulo 2^32 into int32. */
function toInt32(n: number): number {
  return Number.isFinite(n) ? Number(BigInt.asIntN(32, BigInt(Math.trunc(n)))) : 0
}

/**
 * Adds the built-in modules to package.preload (what `require` tries first), then the searcher
 * of the modules other packages supply (registry.ts), before lua_package_path's.
 */
export function installModules(vm: LuaVm): void {
  const L = vm.L
  installSearcher(vm)
  for (const [name, src] of Object.entries(LUA_MODULES)) {
    preload(L, name, (Ls) => {
      if (lauxlib.luaL_loadbuffer(Ls, S(src), null, S(`=${name}`)) !== lua.LUA_OK) return lua.lua_error(Ls) as number
      lua.lua_call(Ls, 0, 1)
      return 1
    })
  }
  preload(L, 'bit', (Ls) => {
    lua.lua_createtable(Ls, 0, 12)
    for (const [name, f] of Object.entries(BIT)) {
      lua.lua_pushjsfunction(Ls, (Lf: LuaState) => {
        const n = lua.lua_gettop(Lf) as number
        const a: number[] = []
        for (let i = 1; i <= n; i++) a.push(toInt32(lauxlib.luaL_checknumber(Lf, i) as number))
        lua.lua_pushnumber(Lf, f(...a))
        return 1
      })
      lua.lua_setfield(Ls, -2, S(name))
    }
    lua.lua_pushjsfunction(Ls, bitTohex)
    lua.lua_setfield(Ls, -2, S('tohex'))
    return 1
  })
  preload(L, 'cjson', (Ls) => { pushCjson(Ls, false); return 1 })
  preload(L, 'cjson.safe', (Ls) => { pushCjson(Ls, true); return 1 })
  /** error(msg, 2) of a Lua function: the position of whoever called it (none for pcall). */
  const callerError = (Lf: LuaState, msg: string): number => {
    lauxlib.luaL_where(Lf, 1)
    lua.lua_pushstring(Lf, S(msg))
    lua.lua_concat(Lf, 2)
    return lua.lua_error(Lf) as number
  }
  const nilErr = (Lf: LuaState, err: string): number => {
    lua.lua_pushnil(Lf)
    lua.lua_pushstring(Lf, S(err))
    return 2
  }
  preload(L, 'ngx.base64', (Ls) => {
    lua.lua_createtable(Ls, 0, 2)
    lua.lua_pushjsfunction(Ls, (Lf: LuaState) => {
      if (lua.lua_type(Lf, 1) !== lua.LUA_TSTRING) return nilErr(Lf, 'must provide a string')
      lua.lua_pushstring(Lf, S(encodeBase64url(lua.lua_tolstring(Lf, 1) as Uint8Array)))
      return 1
    })
    lua.lua_setfield(Ls, -2, S('encode_base64url'))
    lua.lua_pushjsfunction(Ls, (Lf: LuaState) => {
      if (lua.lua_type(Lf, 1) !== lua.LUA_TSTRING) return nilErr(Lf, 'must provide a string')
      const out = decodeBase64url(toJsString(lua.lua_tolstring(Lf, 1) as Uint8Array))
      if (out === undefined) return nilErr(Lf, 'invalid input')
      lua.lua_pushstring(Lf, new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
      return 1
    })
    lua.lua_setfield(Ls, -2, S('decode_base64url'))
    return 1
  })
  // ngx.errlog: raw_log and the error log's level; capturing the log (lua_capture_error_log)
  // is not supported, and get_logs / set_filter_level answer as an nginx without the capture
  // patch does (Debian's, the reference).
  preload(L, 'ngx.errlog', (Ls) => {
    lua.lua_createtable(Ls, 0, 4)
    const host = (): { _logRaw(level: number, msg: string): void; readonly _rt: { readonly errorLog: { enabled(l: number): boolean } } } => cur() as never
    lua.lua_pushjsfunction(Ls, (Lf: LuaState) => {
      if (lua.lua_type(Lf, 1) !== lua.LUA_TNUMBER) return callerError(Lf, "bad argument #1 to 'raw_log' (must be a number)")
      if (lua.lua_type(Lf, 2) !== lua.LUA_TSTRING) return callerError(Lf, "bad argument #2 to 'raw_log' (must be a string)")
      const level = lua.lua_tonumber(Lf, 1) as number
      const msg = toJsString(lua.lua_tolstring(Lf, 2) as Uint8Array)
      callApi(Lf, () => host()._logRaw(level, msg))
      return 0
    })
    lua.lua_setfield(Ls, -2, S('raw_log'))
    lua.lua_pushjsfunction(Ls, (Lf: LuaState) => {
      const log = callApi(Lf, () => host()._rt.errorLog)
      let level = 0
      if (log !== undefined) for (let l = 8; l >= 0; l--) if (log.enabled(l)) { level = l; break }
      lua.lua_pushnumber(Lf, level)
      return 1
    })
    lua.lua_setfield(Ls, -2, S('get_sys_filter_level'))
    for (const name of ['get_logs', 'set_filter_level']) {
      lua.lua_pushjsfunction(Ls, (Lf: LuaState) => nilErr(Lf, 'missing the capture error log patch for nginx'))
      lua.lua_setfield(Ls, -2, S(name))
    }
    return 1
  })
  preload(L, 'ngx.process', (Ls) => {
    lua.lua_createtable(Ls, 0, 2)
    lua.lua_pushjsfunction(Ls, (Lf: LuaState) => {
      pushJs(Lf, callApi(Lf, () => cur().process.type()))
      return 1
    })
    lua.lua_setfield(Ls, -2, S('type'))
    lua.lua_pushjsfunction(Ls, (Lf: LuaState) => {
      pushJs(Lf, callApi(Lf, () => cur().process.masterPid()))
      return 1
    })
    lua.lua_setfield(Ls, -2, S('get_master_pid'))
    return 1
  })
  // What LuaJIT + OpenResty have loaded at start: the jit and bit globals, ngx, resty.core.
  const boot = 'jit = require "jit"; bit = require "bit"; package.loaded.ngx = ngx; require "resty.core"; math.maxinteger = nil; math.mininteger = nil; table.pack = nil; rawlen = nil; _VERSION = "Lua 5.1"'
  if (lauxlib.luaL_loadbuffer(L, S(boot), null, S('=boot')) !== lua.LUA_OK || lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
    throw new Error(String(lua.lua_tojsstring(L, -1)))
  }
  // table.new / table.clear as fields too (LuaJIT code calls require "table.new" or uses them directly).
  for (const name of ['table.new', 'table.clear', 'table.nkeys']) {
    const field = name.slice(6)
    lua.lua_getglobal(L, S('require'))
    lua.lua_pushstring(L, S(name))
    lua.lua_call(L, 1, 1)
    lua.lua_getglobal(L, S('table'))
    lua.lua_insert(L, -2)
    lua.lua_setfield(L, -2, S(field))
    lua.lua_pop(L, 1)
  }
}
