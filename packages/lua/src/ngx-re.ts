// ngx.re for Lua (match, find, gmatch, sub, gsub) and `require "ngx.re"` (split, opt): a binding
// over core's re.ts. Lua strings are bytes: without `u` the subject and the pattern go to the JS
// regex as latin1 strings (one char per byte, so offsets are byte offsets); with `u` (or `U`)
// they are decoded from UTF-8 and offsets are mapped back to bytes.
import type { Ngx } from '@nresty/core'
import { lauxlib, lua, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { cur, raise } from './vm.ts'

type NgxRe = Ngx['re']
type ReCtx = NonNullable<Parameters<NgxRe['match']>[3]>
type ReMatch = NonNullable<Parameters<NgxRe['match']>[4]>
// ngx.re needs no request: outside one (init), core's shared object is reached the same way.
const api = (): NgxRe => cur().re

const S = toLuaString
const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8enc = new TextEncoder()

/** One way of seeing bytes as a JS string, with its offset maps. */
interface View {
  readonly text: string
  readonly toBytes: (s: string) => Uint8Array
  readonly byteAt: (i: number) => number // 0-based JS index → 0-based byte offset
  readonly indexAt: (b: number) => number // 0-based byte offset → 0-based JS index
}

function latin1(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192))
  return s
}
const fromLatin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

/** A view of `b`; `undefined` when `utf` and `b` is not UTF-8 (PCRE's -10, bad UTF-8). */
function view(b: Uint8Array, utf: boolean): View | undefined {
  if (!utf) return { text: latin1(b), toBytes: fromLatin1, byteAt: (i) => i, indexAt: (x) => x }
  let text: string
  try { text = utf8.decode(b) } catch { return undefined }
  const bytes: number[] = []
  let off = 0
  for (let i = 0; i < text.length; i++) {
    bytes.push(off)
    const cp = text.codePointAt(i) as number
    off += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (cp >= 0x10000) { bytes.push(off); i++ }
  }
  bytes.push(off)
  const indexAt = (x: number): number => {
    let lo = 0
    let hi = bytes.length - 1
    while (lo < hi) { const mid = (lo + hi) >> 1; if ((bytes[mid] as number) < x) lo = mid + 1; else hi = mid }
    return (bytes[lo] as number) >= x ? lo : text.length + (x - off)
  }
  return { text, toBytes: (s) => utf8enc.encode(s), byteAt: (i) => bytes[i] ?? off + (i - text.length), indexAt }
}

const TYPES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread']

/** tostring(v) as bytes: resty.core converts subjects and replacements so (nil → "nil"). */
function tostringArg(L: LuaState, i: number): Uint8Array {
  const b = lauxlib.luaL_tolstring(L, i) as Uint8Array
  lua.lua_pop(L, 1)
  return b
}

/**
 * A pattern or option string; anything else fails as resty.core's code does on LuaJIT
 * (`attempt to get length of local 'regex' (a nil value)`).
 */
function strArg(L: LuaState, i: number, local: string, opt = false): Uint8Array | undefined {
  const t = lua.lua_type(L, i) as number
  if (t === lua.LUA_TSTRING) return lua.lua_tolstring(L, i) as Uint8Array
  if (opt && t <= 0) return undefined
  raise(L, `attempt to get length of local '${local}' (a ${TYPES[t] ?? 'nil'} value)`)
  return undefined
}

/** Subject, pattern and flags of a call, seen as JS strings. */
interface Call { readonly subj: View; readonly pattern: string; readonly flags: string }

/** Reads arguments 1..3; pushes `nil, err` (`nres` nils) and answers undefined on bad UTF-8. */
function call(L: LuaState, flagsAt: number): Call | string {
  const s = tostringArg(L, 1)
  const p = strArg(L, 2, 'regex') as Uint8Array
  const f = strArg(L, flagsAt, 'opts', true)
  const flags = f === undefined ? '' : latin1(f)
  const utf = flags.includes('u') || flags.includes('U')
  const pv = view(p, utf)
  // A pattern that is not UTF-8 under `u`: PCRE's compile error.
  if (pv === undefined) return `pcre_compile() failed: invalid UTF-8 string in "${latin1(p)}"`
  let c: ReturnType<NgxRe['compile']>
  try {
    c = api().compile(pv.text, flags)
  } catch (e) {
    return raise(L, e instanceof Error ? e.message : String(e)) as never
  }
  if (!c.ok) return c.err
  const subj = view(s, utf)
  if (subj === undefined) return 'pcre_exec() failed: -10'
  return { subj, pattern: pv.text, flags }
}

function nils(L: LuaState, n: number, err: string): number {
  for (let i = 0; i < n; i++) lua.lua_pushnil(L)
  lua.lua_pushstring(L, S(err))
  return n + 1
}

/** Reads `ctx.pos` (bytes) as a JS-index ReCtx. */
function readCtx(L: LuaState, i: number, v: View): ReCtx | string | undefined {
  const t = lua.lua_type(L, i) as number
  if (t <= 0) return undefined
  if (t !== lua.LUA_TTABLE) { raise(L, `attempt to index local 'ctx' (a ${TYPES[t] ?? 'nil'} value)`); return undefined }
  lua.lua_getfield(L, i, S('pos'))
  const pt = lua.lua_type(L, -1) as number
  const pos = pt === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, -1) as number) : undefined
  lua.lua_pop(L, 1)
  if (pt > 0 && pt !== lua.LUA_TNUMBER) { raise(L, `attempt to compare ${TYPES[pt] ?? 'nil'} with number`); return undefined }
  if (pos === undefined) return {}
  if (pos <= 0) return { pos }
  const at = v.indexAt(pos - 1)
  return v.byteAt(at) === pos - 1 ? { pos: at + 1 } : 'pcre_exec() failed: -11' // inside a UTF-8 sequence
}

function writeCtx(L: LuaState, i: number, v: View, ctx: ReCtx | undefined): void {
  if (ctx?.pos === undefined || !lua.lua_istable(L, i)) return
  lua.lua_pushnumber(L, v.byteAt(ctx.pos - 1) + 1)
  lua.lua_setfield(L, i, S('pos'))
}

function pushStr(L: LuaState, v: View, s: string): void {
  lua.lua_pushstring(L, v.toBytes(s))
}

/** Pushes a match table (into the table at `res` when given). */
function pushMatch(L: LuaState, v: View, m: ReMatch, res = 0): void {
  if (res !== 0) lua.lua_pushvalue(L, res)
  else lua.lua_createtable(L, 4, 2)
  for (const [k, x] of Object.entries(m)) {
    if (typeof x === 'string') pushStr(L, v, x)
    else if (x === false) lua.lua_pushboolean(L, false)
    else {
      lua.lua_createtable(L, x.length, 0)
      x.forEach((y, j) => { pushStr(L, v, y); lua.lua_rawseti(L, -2, j + 1) })
    }
    if (/^\d+$/.test(k)) lua.lua_rawseti(L, -2, Number(k))
    else lua.lua_setfield(L, -2, S(k))
  }
}

function match(L: LuaState): number {
  const c = call(L, 3)
  if (typeof c === 'string') return nils(L, 1, c)
  const ctx = readCtx(L, 4, c.subj)
  if (typeof ctx === 'string') return nils(L, 1, ctx)
  const r = api().match(c.subj.text, c.pattern, c.flags, ctx)
  if (!r.ok) return nils(L, 1, r.err)
  writeCtx(L, 4, c.subj, ctx)
  if (r.value === undefined) { lua.lua_pushnil(L); return 1 }
  const rt = lua.lua_type(L, 5) as number
  if (rt > 0 && rt !== lua.LUA_TTABLE) return raise(L, `attempt to index local 'res' (a ${TYPES[rt] ?? 'nil'} value)`)
  pushMatch(L, c.subj, r.value, rt === lua.LUA_TTABLE ? 5 : 0)
  return 1
}

function find(L: LuaState): number {
  const c = call(L, 3)
  if (typeof c === 'string') return nils(L, 2, c)
  const ctx = readCtx(L, 4, c.subj)
  if (typeof ctx === 'string') return nils(L, 2, ctx)
  const nt = lua.lua_type(L, 5) as number
  if (nt > 0 && nt !== lua.LUA_TNUMBER) return raise(L, `attempt to compare ${TYPES[nt] ?? 'nil'} with number`)
  const nth = nt === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, 5) as number) : 0
  const r = api().find(c.subj.text, c.pattern, c.flags, ctx, nth)
  if (!r.ok) return nils(L, 2, r.err)
  writeCtx(L, 4, c.subj, ctx)
  if (r.value === undefined) { lua.lua_pushnil(L); return 1 }
  lua.lua_pushnumber(L, c.subj.byteAt(r.value[0] - 1) + 1)
  lua.lua_pushnumber(L, c.subj.byteAt(r.value[1]))
  return 2
}

function gmatch(L: LuaState): number {
  const c = call(L, 3)
  if (typeof c === 'string') return nils(L, 1, c)
  const r = api().gmatch(c.subj.text, c.pattern, c.flags)
  if (!r.ok) return nils(L, 1, r.err)
  const next = r.value
  lua.lua_pushjsfunction(L, (Li: LuaState) => {
    const m = next()
    if (m === undefined) { lua.lua_pushnil(Li); return 1 }
    pushMatch(Li, c.subj, m)
    return 1
  })
  return 1
}

function substitute(global: boolean): (L: LuaState) => number {
  return (L) => {
    const c = call(L, 4)
    if (typeof c === 'string') return nils(L, 2, c)
    let repl: string | ((m: ReMatch) => string)
    if (lua.lua_isfunction(L, 3)) {
      repl = (m) => {
        lua.lua_pushvalue(L, 3)
        pushMatch(L, c.subj, m)
        lua.lua_call(L, 1, 1)
        const b = tostringArg(L, -1)
        lua.lua_pop(L, 1)
        const bv = view(b, c.flags.includes('u') || c.flags.includes('U'))
        return bv?.text ?? latin1(b)
      }
    } else {
      const b = tostringArg(L, 3)
      repl = view(b, c.flags.includes('u') || c.flags.includes('U'))?.text ?? latin1(b)
    }
    const r = (global ? api().gsub : api().sub)(c.subj.text, c.pattern, repl, c.flags)
    if (!r.ok) {
      const named = typeof repl === 'string' ? /\$\{([A-Za-z_]\w*)\}/.exec(repl) : null
      if (named !== null) logErr(`attempt to use named capturing variable "${named[1] as string}" (named captures not supported yet)`)
      return nils(L, 2, r.err)
    }
    pushStr(L, c.subj, r.value[0])
    lua.lua_pushnumber(L, r.value[1])
    return 2
  }
}

/** An error-log line without the `[lua]` prefix, as ngx_lua's C code logs. */
function logErr(msg: string): void {
  const ngx = cur()
  const raw = (ngx as unknown as { _logRaw?: (level: number, msg: string) => void })._logRaw
  if (raw !== undefined) raw.call(ngx, 4, msg)
  else ngx.log(4, msg)
}

function split(L: LuaState): number {
  const c = call(L, 3)
  if (typeof c === 'string') return nils(L, 1, c)
  const ctx = readCtx(L, 4, c.subj)
  if (typeof ctx === 'string') return nils(L, 1, ctx)
  const max = lua.lua_isnumber(L, 5) ? (lua.lua_tonumber(L, 5) as number) : undefined
  const r = api().split(c.subj.text, c.pattern, c.flags, ctx, max)
  if (!r.ok) return nils(L, 1, r.err)
  if (lua.lua_istable(L, 6)) lua.lua_pushvalue(L, 6)
  else lua.lua_createtable(L, r.value.length, 0)
  r.value.forEach((s, j) => { pushStr(L, c.subj, s); lua.lua_rawseti(L, -2, j + 1) })
  lua.lua_pushnil(L)
  lua.lua_rawseti(L, -2, r.value.length + 1)
  return 1
}

function opt(L: LuaState): number {
  const name = lua.lua_type(L, 1) === lua.LUA_TSTRING ? latin1(lua.lua_tolstring(L, 1) as Uint8Array) : ''
  try {
    api().opt(name, lua.lua_tonumber(L, 2) as number)
  } catch (e) {
    return raise(L, e instanceof Error ? e.message : String(e))
  }
  return 0
}

/** Sets `ngx.re` on the table at the top of the stack (the ngx table). */
export function installRe(L: LuaState): void {
  lua.lua_createtable(L, 0, 5)
  for (const [name, f] of [['match', match], ['find', find], ['gmatch', gmatch], ['sub', substitute(false)], ['gsub', substitute(true)]] as const) {
    lua.lua_pushjsfunction(L, f)
    lua.lua_setfield(L, -2, S(name))
  }
  lua.lua_setfield(L, -2, S('re'))
  // require "ngx.re": split and opt (resty.core's module).
  lua.lua_getglobal(L, S('package'))
  if (lua.lua_istable(L, -1)) {
    lua.lua_getfield(L, -1, S('preload'))
    lua.lua_pushjsfunction(L, pushReModule)
    lua.lua_setfield(L, -2, S('ngx.re'))
    lua.lua_pop(L, 1)
  }
  lua.lua_pop(L, 1)
}

/** Pushes the `ngx.re` module (`require "ngx.re"`): split and opt. */
export function pushReModule(L: LuaState): number {
  lua.lua_createtable(L, 0, 2)
  lua.lua_pushjsfunction(L, split)
  lua.lua_setfield(L, -2, S('split'))
  lua.lua_pushjsfunction(L, opt)
  lua.lua_setfield(L, -2, S('opt'))
  return 1
}
