// `cjson` and `cjson.safe`: lua-cjson's API over a JS encoder and JSON.parse. Numbers print as
// `%.14g`, `/` is escaped as `\/`, an empty table is `{}` unless encode_empty_table_as_object
// is off, `cjson.empty_array` is `[]`, `cjson.null` (== ngx.null) is `null`.
import { lauxlib, lua, luaTostring, toJsString, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { NGX_NULL_UD } from './ngx-lib.ts'
import { raise } from './vm.ts'

const S = toLuaString

/** `cjson.empty_array`: a lightuserdata encoded as `[]`. */
export const EMPTY_ARRAY_UD: object = { cjsonEmptyArray: true }

interface Settings {
  emptyTableAsObject: boolean
  maxDepth: number
}

const ESC: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function quote(s: string): string {
  return `"${s.replace(/["\\/\u0000-\u001f\u007f]/g, (c) => ESC[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`
}

class EncodeError extends Error {}

function encodeAt(L: LuaState, idx: number, st: Settings, depth: number): string {
  const t = lua.lua_type(L, idx) as number
  switch (t) {
    case lua.LUA_TNIL: return 'null'
    case lua.LUA_TBOOLEAN: return lua.lua_toboolean(L, idx) ? 'true' : 'false'
    case lua.LUA_TNUMBER: {
      const n = lua.lua_tonumber(L, idx) as number
      if (!Number.isFinite(n)) throw new EncodeError('Cannot serialise number: must not be NaN or Infinity')
      return luaTostring(n)
    }
    case lua.LUA_TSTRING: return quote(toJsString(lua.lua_tolstring(L, idx) as Uint8Array))
    case lua.LUA_TLIGHTUSERDATA: {
      const u = lua.lua_touserdata(L, idx)
      if (u === NGX_NULL_UD) return 'null'
      if (u === EMPTY_ARRAY_UD) return '[]'
      throw new EncodeError('Cannot serialise lightuserdata: type not supported')
    }
    case lua.LUA_TTABLE: {
      if (depth > st.maxDepth) throw new EncodeError(`Cannot serialise, excessive nesting (${depth})`)
      lua.lua_checkstack(L, 4) // the key, value and element each level pushes
      const abs = lua.lua_absindex(L, idx) as number
      let max = 0
      let items = 0
      let isArray = true
      lua.lua_pushnil(L)
      while (lua.lua_next(L, abs) !== 0) {
        items++
        if (lua.lua_type(L, -2) === lua.LUA_TNUMBER) {
          const k = lua.lua_tonumber(L, -2) as number
          if (Number.isInteger(k) && k >= 1) max = Math.max(max, k)
          else isArray = false
        } else isArray = false
        lua.lua_pop(L, 1)
      }
      if (items === 0) return st.emptyTableAsObject ? '{}' : '[]'
      if (isArray && max > items * 2 && max > 10) throw new EncodeError('Cannot serialise table: excessively sparse array')
      if (isArray) {
        const parts: string[] = []
        for (let i = 1; i <= max; i++) {
          lua.lua_rawgeti(L, abs, i)
          parts.push(encodeAt(L, -1, st, depth + 1))
          lua.lua_pop(L, 1)
        }
        return `[${parts.join(',')}]`
      }
      const parts: string[] = []
      lua.lua_pushnil(L)
      while (lua.lua_next(L, abs) !== 0) {
        const kt = lua.lua_type(L, -2) as number
        let key: string
        if (kt === lua.LUA_TSTRING) key = toJsString(lua.lua_tolstring(L, -2) as Uint8Array)
        else if (kt === lua.LUA_TNUMBER) key = luaTostring(lua.lua_tonumber(L, -2) as number)
        else throw new EncodeError(`Cannot serialise ${toJsString(lua.lua_typename(L, kt) as Uint8Array)}: table key must be a number or string`)
        parts.push(`${quote(key)}:${encodeAt(L, -1, st, depth + 1)}`)
        lua.lua_pop(L, 1)
      }
      return `{${parts.join(',')}}`
    }
    default:
      throw new EncodeError(`Cannot serialise ${toJsString(lua.lua_typename(L, t) as Uint8Array)}: type not supported`)
  }
}

function pushJson(L: LuaState, v: unknown): void {
  if (v === null) lua.lua_pushlightuserdata(L, NGX_NULL_UD)
  else if (typeof v === 'string') lua.lua_pushstring(L, S(v))
  else if (typeof v === 'number') lua.lua_pushnumber(L, v)
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v)
  else if (Array.isArray(v)) {
    lua.lua_createtable(L, v.length, 0)
    v.forEach((x: unknown, i) => { pushJson(L, x); lua.lua_rawseti(L, -2, i + 1) })
  } else {
    const o = v as Record<string, unknown>
    lua.lua_createtable(L, 0, 0)
    for (const k of Object.keys(o)) { pushJson(L, o[k]); lua.lua_setfield(L, -2, S(k)) }
  }
}

/** lua-cjson's decode error text for JSON.parse's failure. */
function decodeError(text: string, e: unknown): string {
  const m = /position (\d+)/.exec(e instanceof Error ? e.message : '')
  const at = m === null ? text.length + 1 : Number(m[1]) + 1
  if (text.trim() === '') return 'Expected value but found T_END at character 1'
  return `Expected value but found invalid token at character ${at}`
}

/** Pushes a new cjson module table (`safe`: errors become `nil, err`). */
export function pushCjson(L: LuaState, safe: boolean): void {
  const st: Settings = { emptyTableAsObject: true, maxDepth: 1000 }
  lua.lua_createtable(L, 0, 12)
  const fn = (name: string, f: (Ls: LuaState) => number): void => {
    lua.lua_pushjsfunction(L, f)
    lua.lua_setfield(L, -2, S(name))
  }
  const fail = (Ls: LuaState, msg: string): number => {
    if (!safe) return raise(Ls, msg)
    lua.lua_pushnil(Ls)
    lua.lua_pushstring(Ls, S(msg))
    return 2
  }
  fn('encode', (Ls) => {
    if (lua.lua_gettop(Ls) !== 1) return raise(Ls, "bad argument #1 to 'encode' (expected 1 argument)")
    let out: string
    try {
      out = encodeAt(Ls, 1, st, 1)
    } catch (e) {
      if (e instanceof EncodeError) return fail(Ls, e.message)
      throw e
    }
    lua.lua_pushstring(Ls, S(out))
    return 1
  })
  fn('decode', (Ls) => {
    const s = lauxlib.luaL_checklstring(Ls, 1) as Uint8Array
    const text = toJsString(s)
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch (e) {
      return fail(Ls, decodeError(text, e))
    }
    pushJson(Ls, v)
    return 1
  })
  fn('encode_empty_table_as_object', (Ls) => {
    if (!lua.lua_isnoneornil(Ls, 1)) {
      const v = lua.lua_type(Ls, 1) === lua.LUA_TSTRING ? toJsString(lua.lua_tolstring(Ls, 1) as Uint8Array) !== 'off' : lua.lua_toboolean(Ls, 1) as boolean
      st.emptyTableAsObject = v
    }
    lua.lua_pushboolean(Ls, st.emptyTableAsObject)
    return 1
  })
  const noop = (Ls: LuaState): number => { lua.lua_pushboolean(Ls, true); return 1 }
  for (const name of ['encode_sparse_array', 'encode_keep_buffer', 'encode_invalid_numbers', 'decode_invalid_numbers', 'decode_array_with_array_mt', 'encode_escape_forward_slash']) fn(name, noop)
  fn('encode_max_depth', (Ls) => { if (!lua.lua_isnoneornil(Ls, 1)) st.maxDepth = lua.lua_tonumber(Ls, 1) as number; lua.lua_pushnumber(Ls, st.maxDepth); return 1 })
  fn('decode_max_depth', (Ls) => { lua.lua_pushnumber(Ls, 1000); return 1 })
  fn('encode_number_precision', (Ls) => { lua.lua_pushnumber(Ls, 14); return 1 })
  fn('new', (Ls) => { pushCjson(Ls, safe); return 1 })
  lua.lua_pushlightuserdata(L, NGX_NULL_UD)
  lua.lua_setfield(L, -2, S('null'))
  lua.lua_pushlightuserdata(L, EMPTY_ARRAY_UD)
  lua.lua_setfield(L, -2, S('empty_array'))
  lua.lua_pushstring(L, S('cjson'))
  lua.lua_setfield(L, -2, S('_NAME'))
  lua.lua_pushstring(L, S('2.1.0.10'))
  lua.lua_setfield(L, -2, S('_VERSION'))
}
