// fengari (Lua 5.3 in JS) loaded with LuaJIT's number semantics, fixed once at the root: before
// fengari's modules bind each other's exports, this file swaps in (1) LuaJIT's number printing
// (`%.14g`, no `.0` on integral floats, `inf`, `nan`), (2) numerals and string→number coercions
// that give doubles, never fengari's 32-bit wrapping integers, and (3) luaL_checkinteger /
// luaL_optinteger that truncate any finite double, as LuaJIT's do (`string.format('%d', 2^40)`).
// Every other file of the package reaches fengari through this one.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** A fengari lua_State (opaque here). */
export type LuaState = object

const FULL_INT_LIMIT = 1e14

/**
 * A number as LuaJIT's tostring() and `..` print it: `%.14g`, `-0`, `inf`, `-inf`, `nan`.
 *
 * @example
 * luaTostring(10 / 2)  // '5'
 * luaTostring(2 ** 53) // '9.007199254741e+15'
 */
export function luaTostring(n: number): string {
  if (Number.isInteger(n) && n < FULL_INT_LIMIT && n > -FULL_INT_LIMIT) return n === 0 && 1 / n < 0 ? '-0' : String(n)
  if (n !== n) return 'nan'
  if (n === Infinity) return 'inf'
  if (n === -Infinity) return '-inf'
  return formatG14(n)
}

/** C's `%.14g`. */
function formatG14(n: number): string {
  const exp = Math.floor(Math.log10(Math.abs(n)))
  let s = n.toExponential(13) // d.ddddddddddddde±x
  const m = /^(-?)(\d)\.(\d+)e([+-]\d+)$/.exec(s)!
  const e = Number(m[4])
  void exp
  if (e < -4 || e >= 14) {
    const frac = m[3]!.replace(/0+$/, '')
    const ee = Math.abs(e) < 10 ? `${e < 0 ? '-' : '+'}0${Math.abs(e)}` : `${e < 0 ? '-' : '+'}${Math.abs(e)}`
    return `${m[1]}${m[2]}${frac === '' ? '' : `.${frac}`}e${ee}`
  }
  s = n.toFixed(Math.max(0, 13 - e))
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '')
  return s
}

require('fengari/src/fengaricore.js')
const luaconf = require('fengari/src/luaconf.js')
luaconf.LUA_COMPAT_FLOATSTRING = true
luaconf.lua_number2str = luaTostring

require('fengari/src/lua.js')
const lauxlib0 = require('fengari/src/lauxlib.js')
const lapi0 = require('fengari/src/lapi.js')
const checkinteger = lauxlib0.luaL_checkinteger
const LUA_TNUMBER = 3
const LUA_TNONE = -1
const LUA_TNIL = 0
function checkInteger(L: LuaState, arg: number): number {
  if (lapi0.lua_type(L, arg) === LUA_TNUMBER) {
    const n = lapi0.lua_tonumberx(L, arg) as number
    if (Number.isFinite(n)) return Math.trunc(n)
  }
  return checkinteger(L, arg) as number
}
lauxlib0.luaL_checkinteger = checkInteger
lauxlib0.luaL_optinteger = (L: LuaState, arg: number, def: number): number => {
  const t = lapi0.lua_type(L, arg) as number
  return t === LUA_TNONE || t === LUA_TNIL ? def : checkInteger(L, arg)
}

const fengari = require('fengari')

// llex, lapi and lvm call lobject.luaO_str2num through the module object.
const lobject = require('fengari/src/lobject.js')
const str2num = lobject.luaO_str2num
lobject.luaO_str2num = (s: Uint8Array, o: { ttisinteger(): boolean; setfltvalue(n: number): void; value: number }): number => {
  const size = str2num(s, o) as number
  if (size !== 0 && o.ttisinteger()) o.setfltvalue(o.value)
  return size
}

// ldebug's type errors, in LuaJIT's words: Lua 5.3's `attempt to call a nil value (global 'x')`
// becomes `attempt to call global 'x' (a nil value)`. ldebug formats them through this function.
const pushvfstring = lobject.luaO_pushvfstring
const TYPE_ERROR = 'attempt to %s a %s value%s'
lobject.luaO_pushvfstring = (L: LuaState, fmt: Uint8Array, argp: unknown[]): unknown => {
  if (fmt.length === TYPE_ERROR.length && fengari.to_jsstring(fmt) === TYPE_ERROR) {
    const info = argp[2] instanceof Uint8Array ? fengari.to_jsstring(argp[2]) : String(argp[2] ?? '')
    const m = /^ \((.*)\)$/.exec(info)
    if (m !== null) return pushvfstring(L, fengari.to_luastring('attempt to %s %s (a %s value)'), [argp[0], fengari.to_luastring(m[1]!), argp[1]])
  }
  return pushvfstring(L, fmt, argp)
}


export const lua: any = fengari.lua
export const lauxlib: any = fengari.lauxlib
export const lualib: any = fengari.lualib
export const toLuaString: (s: string) => Uint8Array = fengari.to_luastring
export const toJsString: (s: Uint8Array) => string = fengari.to_jsstring
