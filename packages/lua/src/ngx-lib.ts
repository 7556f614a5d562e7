// The `ngx` table for Lua: a binding over @nresty/core's TypeScript ngx API (the request, timer
// or init context running now, see vm.ts cur()), with ngx_lua's names, multiple returns
// (`nil, err`), metatables for ngx.var / ngx.header / ngx.arg / ngx.shared, and the async APIs
// (ngx.sleep, ngx.req.read_body, ngx.location.capture, ngx.flush(true)) yielding the coroutine.
import { CORE_CONSTANTS, HTTP_METHODS, HTTP_STATUS, LOG_LEVELS, SharedDict } from '@nresty/core'
import type { CaptureResult, Ngx, NgxCtx, OutputResult } from '@nresty/core'
import { lauxlib, lua, toJsString, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { installAsync } from './ngx-async.ts'
import { installRe } from './ngx-re.ts'
import { callApi, callApiOn, cur, raise, toStr, yieldPromise } from './vm.ts'
import type { LuaVm } from './vm.ts'

type JsFn = (L: LuaState) => number

/** `ngx.null`: a lightuserdata, as in ngx_lua. */
export const NGX_NULL_UD: object = { ngxNull: true }

const S = toLuaString

// ---- values between Lua and JS --------------------------------------------------------------

/** Pushes a JS value: undefined/null → nil, arrays and objects → tables, bytes → strings. */
export function pushJs(L: LuaState, v: unknown): void {
  switch (typeof v) {
    case 'undefined': lua.lua_pushnil(L); return
    case 'boolean': lua.lua_pushboolean(L, v); return
    case 'number': lua.lua_pushnumber(L, v); return
    case 'string': lua.lua_pushstring(L, S(v)); return
    case 'object':
      if (v === null) { lua.lua_pushnil(L); return }
      if (v === NGX_NULL_UD) { lua.lua_pushlightuserdata(L, NGX_NULL_UD); return }
      if (v instanceof Uint8Array) { lua.lua_pushstring(L, v); return }
      if (Array.isArray(v)) {
        lua.lua_createtable(L, v.length, 0)
        v.forEach((x: unknown, i) => { pushJs(L, x); lua.lua_rawseti(L, -2, i + 1) })
        return
      }
      lua.lua_createtable(L, 0, 0)
      for (const [k, x] of Object.entries(v)) { pushJs(L, x); lua.lua_setfield(L, -2, S(k)) }
      return
    default: lua.lua_pushnil(L)
  }
}

/** A Lua value as JS: strings as JS strings (or bytes), tables as arrays / objects. */
export function toJs(L: LuaState, idx: number, bytes = false, depth = 0): unknown {
  switch (lua.lua_type(L, idx) as number) {
    case lua.LUA_TNIL: case lua.LUA_TNONE: return undefined
    case lua.LUA_TBOOLEAN: return lua.lua_toboolean(L, idx) as boolean
    case lua.LUA_TNUMBER: return lua.lua_tonumber(L, idx) as number
    case lua.LUA_TSTRING: {
      const s = lua.lua_tolstring(L, idx) as Uint8Array
      return bytes ? s : toJsString(s)
    }
    case lua.LUA_TLIGHTUSERDATA: return lua.lua_touserdata(L, idx) === NGX_NULL_UD ? null : undefined
    case lua.LUA_TTABLE: {
      if (depth > 100) return undefined
      const t = lua.lua_absindex(L, idx) as number
      const n = lua.lua_rawlen(L, t) as number
      const obj: Record<string, unknown> = {}
      const arr: unknown[] = []
      let isArr = true
      lua.lua_pushnil(L)
      while (lua.lua_next(L, t) !== 0) {
        const kt = lua.lua_type(L, -2) as number
        const val = toJs(L, -1, bytes, depth + 1)
        if (kt === lua.LUA_TNUMBER) {
          const k = lua.lua_tonumber(L, -2) as number
          if (Number.isInteger(k) && k >= 1 && k <= n) arr[k - 1] = val
          else { isArr = false; obj[String(k)] = val }
        } else if (kt === lua.LUA_TSTRING) {
          isArr = false
          obj[toStr(L, -2)] = val
        }
        lua.lua_pop(L, 1)
      }
      if (isArr) return arr
      arr.forEach((x, i) => { obj[String(i + 1)] = x })
      return obj
    }
    default: return undefined
  }
}

function args(L: LuaState, from: number, bytes: boolean): unknown[] {
  const n = lua.lua_gettop(L) as number
  const out: unknown[] = []
  for (let i = from; i <= n; i++) {
    const t = lua.lua_type(L, i) as number
    if (t === lua.LUA_TFUNCTION || t === lua.LUA_TUSERDATA || t === lua.LUA_TTHREAD) out.push(() => undefined)
    else out.push(toJs(L, i, bytes))
  }
  return out
}

const optNum = (L: LuaState, i: number): number | undefined => (lua.lua_isnoneornil(L, i) ? undefined : (lua.lua_tonumber(L, i) as number))
const strArg = (L: LuaState, i: number): string => toStr(L, i)
const bytesArg = (L: LuaState, i: number): Uint8Array => (lua.lua_tolstring(L, i) as Uint8Array | null) ?? new Uint8Array(0)

/** Pushes `nil, err` and answers 2. */
function nilErr(L: LuaState, err: string): number {
  lua.lua_pushnil(L)
  lua.lua_pushstring(L, S(err))
  return 2
}

/**
 * ngx.log / print: the arguments from `from` on, concatenated as ngx_lua does, after
 * `[lua] <chunk>:<line>: ` of the Lua code that called. Values ngx_lua refuses go to core's log,
 * which raises its `bad argument` error.
 */
function luaLog(L: LuaState, level: number, from: number): void {
  const n = lua.lua_gettop(L) as number
  let msg = ''
  for (let i = from; i <= n; i++) {
    const t = lua.lua_type(L, i) as number
    if (t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER) msg += toStr(L, i)
    else if (t === lua.LUA_TNIL) msg += 'nil'
    else if (t === lua.LUA_TBOOLEAN) msg += lua.lua_toboolean(L, i) ? 'true' : 'false'
    else if (t === lua.LUA_TLIGHTUSERDATA && lua.lua_touserdata(L, i) === NGX_NULL_UD) msg += 'null'
    else if (t === lua.LUA_TTABLE && lauxlib.luaL_getmetafield(L, i, S('__tostring')) !== lua.LUA_TNIL) {
      lua.lua_pop(L, 1)
      msg += toJsString(lauxlib.luaL_tolstring(L, i) as Uint8Array)
      lua.lua_pop(L, 1)
    } else {
      const a = args(L, from, false)
      callApi(L, () => cur().log(level, ...a))
      return
    }
  }
  // ngx_lua's prefix: the basename of the source, the line, and `name(): ` of a named function.
  let where = '?'
  const ar = new lua.lua_Debug()
  if (lua.lua_getstack(L, 1, ar) && lua.lua_getinfo(L, S('Snl'), ar)) {
    const src = toJsString(ar.short_src as Uint8Array)
    const name = ar.name === null || ar.name === undefined ? '' : typeof ar.name === 'string' ? ar.name : toJsString(ar.name as Uint8Array)
    where = `${src.slice(src.lastIndexOf('/') + 1)}:${String(ar.currentline)}${name === '' ? '' : `: ${name}()`}`
  }
  callApi(L, () => {
    const ngx = cur()
    const raw = (ngx as unknown as { _logRaw?: (level: number, msg: string) => void })._logRaw
    if (raw !== undefined) raw.call(ngx, level, `[lua] ${where}: ${msg}`)
    else ngx.log(level, msg)
  })
}

function setFn(L: LuaState, name: string, fn: JsFn): void {
  lua.lua_pushjsfunction(L, fn)
  lua.lua_setfield(L, -2, S(name))
}

function setNum(L: LuaState, name: string, n: number): void {
  lua.lua_pushnumber(L, n)
  lua.lua_setfield(L, -2, S(name))
}

/** Calls an API that answers a Result; pushes `1` / `nil, err`. */
function outcome(L: LuaState, r: { ok: boolean; err?: unknown } | undefined): number {
  if (r === undefined) return 0
  if (r.ok) { lua.lua_pushnumber(L, 1); return 1 }
  return nilErr(L, String(r.err))
}

/**
 * One ASCII Lua string as a JS string (the common `ngx.say("text")`): output then takes the
 * string path, with no byte buffers to join. Other bytes stay bytes.
 */
function oneAsciiArg(L: LuaState): string | undefined {
  if ((lua.lua_gettop(L) as number) !== 1 || lua.lua_type(L, 1) !== lua.LUA_TSTRING) return undefined
  const b = lua.lua_tolstring(L, 1) as Uint8Array
  if (b.length > 4096) return undefined
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) return undefined
  // no Buffer made: short output is the common case
  return String.fromCharCode.apply(null, b as unknown as number[])
}

const say = (L: LuaState): OutputResult => {
  const s = oneAsciiArg(L)
  return s !== undefined ? cur().say(s) : cur().say(...args(L, 1, true))
}

const print = (L: LuaState): OutputResult => {
  const s = oneAsciiArg(L)
  return s !== undefined ? cur().print(s) : cur().print(...args(L, 1, true))
}

// ---- per-request Lua ctx tables --------------------------------------------------------------

const CTX_REF = Symbol('nresty.lua.ctx')
type LuaCtx = NgxCtx & { [CTX_REF]?: number }

// ---- the table ---------------------------------------------------------------------------------

/** Builds the `ngx` global of a VM. */
export function installNgx(vm: LuaVm): void {
  const L = vm.L
  const unref = new FinalizationRegistry<number>((ref) => lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref))
  const pushCtx = (Ls: LuaState): void => {
    const ctx = cur().ctx as LuaCtx
    let ref = ctx[CTX_REF]
    if (ref === undefined) {
      lua.lua_createtable(L, 0, 0)
      ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
      ctx[CTX_REF] = ref
      unref.register(ctx, ref)
    }
    lua.lua_rawgeti(Ls, lua.LUA_REGISTRYINDEX, ref)
  }
  // capture's `ctx` option: the subrequest's ngx.ctx is that very Lua table (not a copy).
  const ctxOption = (Ls: LuaState, idx: number): LuaCtx | undefined => {
    if (!lua.lua_istable(Ls, idx)) return undefined
    lua.lua_getfield(Ls, idx, S('ctx'))
    if (!lua.lua_istable(Ls, -1)) { lua.lua_pop(Ls, 1); return undefined }
    const ctx: LuaCtx = {}
    const ref = lauxlib.luaL_ref(Ls, lua.LUA_REGISTRYINDEX) as number
    ctx[CTX_REF] = ref
    unref.register(ctx, ref)
    return ctx
  }

  lua.lua_createtable(L, 0, 128)
  for (const table of [CORE_CONSTANTS, HTTP_STATUS, HTTP_METHODS, LOG_LEVELS]) {
    for (const [k, v] of Object.entries(table)) if (typeof v === 'number') setNum(L, k, v)
  }
  lua.lua_pushlightuserdata(L, NGX_NULL_UD)
  lua.lua_setfield(L, -2, S('null'))
  // tostring(ngx.null) is `userdata: NULL`: lightuserdata share one metatable.
  lua.lua_pushlightuserdata(L, NGX_NULL_UD)
  lua.lua_createtable(L, 0, 1)
  setFn(L, '__tostring', (Ls) => {
    lua.lua_pushstring(Ls, S(lua.lua_touserdata(Ls, 1) === NGX_NULL_UD ? 'userdata: NULL' : 'userdata'))
    return 1
  })
  lua.lua_setmetatable(L, -2)
  lua.lua_pop(L, 1)

  // output
  setFn(L, 'say', (Ls) => outcome(Ls, callApiOn(Ls, say)))
  setFn(L, 'print', (Ls) => outcome(Ls, callApiOn(Ls, print)))
  setFn(L, 'eof', (Ls) => outcome(Ls, callApi(Ls, () => cur().eof())))
  setFn(L, 'send_headers', (Ls) => outcome(Ls, callApi(Ls, () => cur().sendHeaders())))
  setFn(L, 'flush', (Ls) => {
    const wait = lua.lua_toboolean(Ls, 1) as boolean
    const p = callApi(Ls, () => cur().flush(wait))
    if (p === undefined) return 0
    if (!wait) {
      void p.catch(() => undefined)
      lua.lua_pushnumber(Ls, 1)
      return 1
    }
    return yieldPromise(Ls, p, (Lr, r) => outcome(Lr, r))
  })
  setFn(L, 'exit', (Ls) => {
    const code = lauxlib.luaL_checkinteger(Ls, 1) as number
    callApi(Ls, () => cur().exit(code))
    return 0
  })
  setFn(L, 'redirect', (Ls) => {
    const n = lua.lua_gettop(Ls) as number
    if (n !== 1 && n !== 2) return raise(Ls, 'expecting one or two arguments')
    const uri = strArg(Ls, 1)
    const status = optNum(Ls, 2)
    callApi(Ls, () => cur().redirect(uri, status))
    return 0
  })
  setFn(L, 'exec', (Ls) => {
    const argc = lua.lua_gettop(Ls) as number
    if (argc !== 1 && argc !== 2) return raise(Ls, `expecting one or two arguments, but got ${argc}`)
    const uri = strArg(Ls, 1)
    const a = lua.lua_isnoneornil(Ls, 2) ? undefined : (toJs(Ls, 2) as string | Record<string, unknown>)
    callApi(Ls, () => cur().exec(uri, a))
    return 0
  })
  setFn(L, 'log', (Ls) => {
    const level = lauxlib.luaL_checkinteger(Ls, 1) as number
    if (!Number.isInteger(level) || level < 0 || level > 8) return raise(Ls, `bad argument #1 to 'log' (bad log level: ${level})`)
    luaLog(Ls, level, 2)
    return 0
  })
  setFn(L, 'get_phase', (Ls) => {
    const p = callApi(Ls, () => cur().getPhase())
    pushJs(Ls, p)
    return 1
  })
  setFn(L, 'sleep', (Ls) => {
    const n = lua.lua_gettop(Ls) as number
    if (n !== 1) return raise(Ls, `attempt to pass ${n} arguments, but accepted 1`)
    const sec = lauxlib.luaL_checknumber(Ls, 1) as number
    const p = callApi(Ls, () => cur().sleep(sec))
    if (p === undefined) return 0
    return yieldPromise(Ls, p, () => 0)
  })

  // time and encoding helpers
  const simple: Record<string, (Ls: LuaState, n: Ngx) => unknown> = {
    now: (_, n) => n.now(), time: (_, n) => n.time(), today: (_, n) => n.today(), localtime: (_, n) => n.localtime(),
    utctime: (_, n) => n.utctime(), update_time: (_, n) => n.updateTime(),
    http_time: (Ls, n) => n.httpTime(lauxlib.luaL_checknumber(Ls, 1) as number),
    cookie_time: (Ls, n) => n.cookieTime(lauxlib.luaL_checknumber(Ls, 1) as number),
    parse_http_time: (Ls, n) => n.parseHttpTime(strArg(Ls, 1)),
    encode_base64: (Ls, n) => n.encodeBase64(bytesArg(Ls, 1), lua.lua_toboolean(Ls, 2) as boolean),
    decode_base64: (Ls, n) => n.decodeBase64(strArg(Ls, 1)),
    md5: (Ls, n) => n.md5(bytesArg(Ls, 1)), md5_bin: (Ls, n) => n.md5Bin(bytesArg(Ls, 1)),
    sha1_bin: (Ls, n) => n.sha1Bin(bytesArg(Ls, 1)), hmac_sha1: (Ls, n) => n.hmacSha1(bytesArg(Ls, 1), bytesArg(Ls, 2)),
    crc32_short: (Ls, n) => n.crc32Short(bytesArg(Ls, 1)), crc32_long: (Ls, n) => n.crc32Long(bytesArg(Ls, 1)),
    escape_uri: (Ls, n) => n.escapeUri(bytesArg(Ls, 1), optNum(Ls, 2)), unescape_uri: (Ls, n) => n.unescapeUri(strArg(Ls, 1)),
    encode_args: (Ls, n) => n.encodeArgs(toJs(Ls, 1) as Record<string, unknown>),
    decode_args: (Ls, n) => n.decodeArgs(strArg(Ls, 1), optNum(Ls, 2)),
    quote_sql_str: (Ls, n) => n.quoteSqlStr(strArg(Ls, 1)),
  }
  for (const [name, f] of Object.entries(simple)) {
    setFn(L, name, (Ls) => {
      const v = callApi(Ls, () => f(Ls, cur()))
      if (name === 'update_time') return 0
      pushJs(Ls, v)
      return 1
    })
  }

  // ngx.var
  lua.lua_createtable(L, 0, 0)
  lua.lua_createtable(L, 0, 2)
  setFn(L, '__index', (Ls) => {
    const k = lua.lua_type(Ls, 2) === lua.LUA_TNUMBER ? (lua.lua_tonumber(Ls, 2) as number) : strArg(Ls, 2)
    pushJs(Ls, callApi(Ls, () => cur().var[k]))
    return 1
  })
  setFn(L, '__newindex', (Ls) => {
    const k = strArg(Ls, 2)
    const v = lua.lua_isnil(Ls, 3) ? undefined : strArg(Ls, 3)
    callApi(Ls, () => { cur().var[k] = v })
    return 0
  })
  lua.lua_setmetatable(L, -2)
  lua.lua_setfield(L, -2, S('var'))

  // ngx.header
  lua.lua_createtable(L, 0, 0)
  lua.lua_createtable(L, 0, 2)
  setFn(L, '__index', (Ls) => {
    const k = strArg(Ls, 2)
    pushJs(Ls, callApi(Ls, () => cur().header[k]))
    return 1
  })
  setFn(L, '__newindex', (Ls) => {
    const k = strArg(Ls, 2)
    const v = toJs(Ls, 3) as string | number | string[] | undefined
    callApi(Ls, () => { cur().header[k] = v ?? null })
    return 0
  })
  lua.lua_setmetatable(L, -2)
  lua.lua_setfield(L, -2, S('header'))

  // ngx.arg (body filter: [1] chunk, [2] eof; set_by_lua: its arguments, read-only)
  lua.lua_createtable(L, 0, 0)
  lua.lua_createtable(L, 0, 2)
  setFn(L, '__index', (Ls) => {
    const k = lua.lua_tonumber(Ls, 2) as number
    pushJs(Ls, callApi(Ls, () => {
      const n = cur()
      if (n.getPhase() === 'set') return (n.arg as unknown as Readonly<Record<number, string>>)[k]
      return k === 1 ? n.arg[1] : k === 2 ? n.arg[2] : undefined
    }))
    return 1
  })
  setFn(L, '__newindex', (Ls) => {
    const k = lua.lua_tonumber(Ls, 2) as number
    const v = toJs(Ls, 3, true)
    callApi(Ls, () => {
      if (cur().getPhase() === 'set') throw new Error('API disabled in the context of set_by_lua*')
      if (k === 1) cur().arg[1] = (v ?? '') as string | Uint8Array
      else if (k === 2) cur().arg[2] = Boolean(v)
    })
    return 0
  })
  lua.lua_setmetatable(L, -2)
  lua.lua_setfield(L, -2, S('arg'))

  installReq(L)
  installShared(L)
  installRe(L)
  installAsync(vm, L)

  // ngx.worker, ngx.config, ngx.location
  lua.lua_createtable(L, 0, 4)
  setFn(L, 'id', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().worker.id())); return 1 })
  setFn(L, 'count', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().worker.count())); return 1 })
  setFn(L, 'pid', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().worker.pid())); return 1 })
  setFn(L, 'exiting', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().worker.exiting())); return 1 })
  lua.lua_setfield(L, -2, S('worker'))

  lua.lua_createtable(L, 0, 6)
  lua.lua_pushstring(L, S('http'))
  lua.lua_setfield(L, -2, S('subsystem'))
  lua.lua_pushboolean(L, false)
  lua.lua_setfield(L, -2, S('debug'))
  setNum(L, 'nginx_version', 1022001)
  setNum(L, 'ngx_lua_version', 10023)
  setFn(L, 'prefix', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().config.prefix())); return 1 })
  setFn(L, 'nginx_configure', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().config.nginxConfigure())); return 1 })
  lua.lua_setfield(L, -2, S('config'))

  lua.lua_createtable(L, 0, 2)
  setFn(L, 'capture', (Ls) => {
    const argc = lua.lua_gettop(Ls) as number
    if (argc !== 1 && argc !== 2) return raise(Ls, 'expecting one or two arguments')
    const uri = strArg(Ls, 1)
    const opts = lua.lua_isnoneornil(Ls, 2) ? undefined : (toJs(Ls, 2) as Record<string, unknown>)
    if (opts !== undefined) opts.ctx = ctxOption(Ls, 2)
    const p = callApi(Ls, () => cur().location.capture(uri, opts))
    if (p === undefined) return 0
    return yieldPromise(Ls, p, (Lr, r) => { pushCapture(Lr, r); return 1 })
  })
  setFn(L, 'capture_multi', (Ls) => {
    const reqs = (toJs(Ls, 1) as unknown[]).map((x) => (Array.isArray(x) ? [String(x[0]), x[1]] : [String(x)])) as [string, Record<string, unknown>?][]
    // Each `ctx` option stays the caller's Lua table, as in capture.
    reqs.forEach((req, i) => {
      const opts = req[1]
      if (opts === undefined || typeof opts !== 'object') return
      lua.lua_rawgeti(Ls, 1, i + 1)
      if (lua.lua_istable(Ls, -1)) {
        lua.lua_rawgeti(Ls, -1, 2)
        opts.ctx = ctxOption(Ls, lua.lua_gettop(Ls) as number)
        lua.lua_pop(Ls, 1)
      }
      lua.lua_pop(Ls, 1)
    })
    const p = callApi(Ls, () => cur().location.captureMulti(reqs))
    if (p === undefined) return 0
    return yieldPromise(Ls, p, (Lr, rs) => { for (const r of rs) pushCapture(Lr, r); return rs.length })
  })
  lua.lua_setfield(L, -2, S('location'))

  // ngx.status, ngx.ctx, ngx.headers_sent, ngx.is_subrequest
  lua.lua_createtable(L, 0, 2)
  setFn(L, '__index', (Ls) => {
    const k = strArg(Ls, 2)
    if (k === 'ctx') { pushCtx(Ls); return 1 }
    if (k === 'status') { pushJs(Ls, callApi(Ls, () => cur().status)); return 1 }
    if (k === 'headers_sent') { pushJs(Ls, callApi(Ls, () => cur().headersSent)); return 1 }
    if (k === 'is_subrequest') { pushJs(Ls, callApi(Ls, () => cur().isSubrequest)); return 1 }
    return 0
  })
  setFn(L, '__newindex', (Ls) => {
    const k = strArg(Ls, 2)
    if (k === 'status') {
      const v = lua.lua_tonumber(Ls, 3) as number
      callApi(Ls, () => { cur().status = v })
    } else if (k === 'ctx') {
      if (!lua.lua_istable(Ls, 3)) return raise(Ls, `ctx should be a table while getting a ${toJsString(lua.lua_typename(Ls, lua.lua_type(Ls, 3)) as Uint8Array)}`)
      const ctx = cur().ctx as LuaCtx
      lua.lua_pushvalue(Ls, 3)
      const ref = lauxlib.luaL_ref(Ls, lua.LUA_REGISTRYINDEX) as number
      const old = ctx[CTX_REF]
      if (old !== undefined) lauxlib.luaL_unref(Ls, lua.LUA_REGISTRYINDEX, old)
      else unref.register(ctx, ref)
      ctx[CTX_REF] = ref
    } else {
      lua.lua_rawset(Ls, 1)
    }
    return 0
  })
  lua.lua_setmetatable(L, -2)
  lua.lua_setglobal(L, S('ngx'))
  // ngx_lua's global print: ngx.log at NOTICE.
  lua.lua_pushjsfunction(L, (Ls: LuaState) => { luaLog(Ls, LOG_LEVELS.NOTICE, 1); return 0 })
  lua.lua_setglobal(L, S('print'))
  // Lua 5.1's error: a number message gets the position too (`chunk:2: 42`), as a string does.
  lua.lua_pushjsfunction(L, (Ls: LuaState) => {
    const level = lauxlib.luaL_optinteger(Ls, 2, 1) as number
    lua.lua_settop(Ls, 1)
    const t = lua.lua_type(Ls, 1) as number
    if ((t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER) && level > 0) {
      lauxlib.luaL_where(Ls, level)
      lua.lua_pushvalue(Ls, 1)
      lua.lua_concat(Ls, 2)
    }
    return lua.lua_error(Ls) as number
  })
  lua.lua_setglobal(L, S('error'))
}

function pushCapture(L: LuaState, r: CaptureResult): void {
  lua.lua_createtable(L, 0, 4)
  setNum(L, 'status', r.status)
  lua.lua_pushstring(L, r.bodyBuffer)
  lua.lua_setfield(L, -2, S('body'))
  pushJs(L, r.header)
  lua.lua_setfield(L, -2, S('header'))
  lua.lua_pushboolean(L, r.truncated)
  lua.lua_setfield(L, -2, S('truncated'))
}

/** The metatable of get_headers tables: `h["X-Foo"]` and `h.x_foo` find `x-foo`, as in ngx_lua. */
function headersMeta(L: LuaState): number {
  lua.lua_createtable(L, 0, 1)
  setFn(L, '__index', (Ls) => {
    if (lua.lua_type(Ls, 2) !== lua.LUA_TSTRING) return 0
    const k = toStr(Ls, 2)
    const norm = k.toLowerCase().replaceAll('_', '-')
    if (norm === k) return 0
    lua.lua_pushstring(Ls, S(norm))
    lua.lua_rawget(Ls, 1)
    return 1
  })
  return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
}

function installReq(L: LuaState): void {
  const hmeta = headersMeta(L)
  const pushHeaders = (Ls: LuaState, headers: unknown, raw: boolean): void => {
    pushJs(Ls, headers)
    if (raw) return
    lua.lua_rawgeti(Ls, lua.LUA_REGISTRYINDEX, hmeta)
    lua.lua_setmetatable(Ls, -2)
  }
  lua.lua_createtable(L, 0, 24)
  const simple: Record<string, (Ls: LuaState, n: Ngx) => unknown> = {
    get_method: (_, n) => n.req.getMethod(),
    set_method: (Ls, n) => n.req.setMethod(lauxlib.luaL_checkinteger(Ls, 1) as number),
    set_header: (Ls, n) => n.req.setHeader(strArg(Ls, 1), toJs(Ls, 2) as string | string[] | undefined),
    clear_header: (Ls, n) => n.req.clearHeader(strArg(Ls, 1)),
    add_header: (Ls, n) => n.req.addHeader(strArg(Ls, 1), toJs(Ls, 2) as string | string[]),
    set_uri_args: (Ls, n) => n.req.setUriArgs(toJs(Ls, 1) as string | Record<string, unknown>),
    discard_body: (_, n) => n.req.discardBody(),
    get_body_data: (Ls, n) => n.req.getBodyBuffer(optNum(Ls, 1)),
    // core keeps request bodies in memory: there is never a body file.
    get_body_file: () => undefined,
    set_body_data: (Ls, n) => n.req.setBodyData(bytesArg(Ls, 1)),
    http_version: (_, n) => n.req.httpVersion(),
    raw_header: (Ls, n) => n.req.rawHeader(lua.lua_toboolean(Ls, 1) as boolean),
    start_time: (_, n) => n.req.startTime(),
    set_uri: (Ls, n) => n.req.setUri(strArg(Ls, 1), lua.lua_toboolean(Ls, 2) as boolean),
    is_internal: (_, n) => n.req.isInternal(),
  }
  for (const [name, f] of Object.entries(simple)) {
    setFn(L, name, (Ls) => {
      pushJs(Ls, callApi(Ls, () => f(Ls, cur())))
      return 1
    })
  }
  const withTruncated = (name: string, f: (Ls: LuaState, n: Ngx) => { headers?: unknown; args?: unknown; truncated: boolean }): void => {
    setFn(L, name, (Ls) => {
      const r = callApi(Ls, () => f(Ls, cur()))
      if (r === undefined) return 0
      if (r.headers !== undefined) pushHeaders(Ls, r.headers, lua.lua_toboolean(Ls, 2) as boolean)
      else pushJs(Ls, r.args)
      if (!r.truncated) return 1
      lua.lua_pushstring(Ls, S('truncated'))
      return 2
    })
  }
  withTruncated('get_headers', (Ls, n) => n.req.getHeaders(optNum(Ls, 1), lua.lua_toboolean(Ls, 2) as boolean))
  withTruncated('get_uri_args', (Ls, n) => n.req.getUriArgs(optNum(Ls, 1)))
  withTruncated('get_post_args', (Ls, n) => n.req.getPostArgs(optNum(Ls, 1)))
  setFn(L, 'read_body', (Ls) => {
    const p = callApi(Ls, () => cur().req.readBody())
    if (p === undefined) return 0
    return yieldPromise(Ls, p, () => 0)
  })
  lua.lua_setfield(L, -2, S('req'))

  lua.lua_createtable(L, 0, 2)
  setFn(L, 'get_headers', (Ls) => {
    const r = callApi(Ls, () => cur().resp.getHeaders(optNum(Ls, 1), lua.lua_toboolean(Ls, 2) as boolean))
    if (r === undefined) return 0
    pushHeaders(Ls, r.headers, lua.lua_toboolean(Ls, 2) as boolean)
    if (!r.truncated) return 1
    lua.lua_pushstring(Ls, S('truncated'))
    return 2
  })
  setFn(L, 'add_header', (Ls) => {
    const k = strArg(Ls, 1)
    const v = toJs(Ls, 2) as string | string[]
    callApi(Ls, () => cur().resp.addHeader(k, v))
    return 0
  })
  lua.lua_setfield(L, -2, S('resp'))
}

/** Pushes a shdict result's ok/err/forcible as ngx_lua does. */
function pushSet(L: LuaState, r: { ok: boolean; err?: string; forcible: boolean }): number {
  if (r.ok) {
    lua.lua_pushboolean(L, true)
    lua.lua_pushnil(L)
  } else {
    if (r.err === 'nil key' || r.err === 'empty key' || r.err === 'key too long') return nilErr(L, r.err)
    lua.lua_pushboolean(L, false)
    lua.lua_pushstring(L, S(r.err ?? ''))
  }
  lua.lua_pushboolean(L, r.forcible)
  return 3
}

function keyArg(L: LuaState, i: number): Uint8Array | undefined {
  const t = lua.lua_type(L, i) as number
  if (t === lua.LUA_TNIL || t === lua.LUA_TNONE) return undefined
  if (t === lua.LUA_TSTRING) return lua.lua_tolstring(L, i) as Uint8Array
  const s = lauxlib.luaL_tolstring(L, i) as Uint8Array
  lua.lua_pop(L, 1)
  return s
}

type DictValue = number | boolean | Uint8Array | undefined

/** Marks a value of a type a dict cannot store (boolean `false` is a storable value). */
const BAD_VALUE = Symbol('bad value type')

function valueArg(L: LuaState, i: number): DictValue | typeof BAD_VALUE {
  const t = lua.lua_type(L, i) as number
  if (t === lua.LUA_TNIL || t === lua.LUA_TNONE) return undefined
  if (t === lua.LUA_TNUMBER) return lua.lua_tonumber(L, i) as number
  if (t === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, i) as boolean
  if (t === lua.LUA_TSTRING) return lua.lua_tolstring(L, i) as Uint8Array
  return BAD_VALUE
}

const NAME = S('name')
/** The light-userdata key a dict table keeps its SharedDict under. */
const DICT_KEY = {}

function installShared(L: LuaState): void {
  const dicts = new Map<string, SharedDict<Uint8Array>>()
  const byName = (Ls: LuaState, name: string): SharedDict<Uint8Array> => {
    let d = dicts.get(name)
    if (d === undefined) {
      const ts = cur().shared[name]
      if (ts === undefined) raise(Ls, 'bad "zone" argument')
      d = new SharedDict<Uint8Array>(name, ts!.zone, { bytes: true })
      dicts.set(name, d)
    }
    return d
  }
  // Each dict table holds its SharedDict under a light-userdata key: a method call finds it
  // without reading and decoding the `name` field.
  const dictOf = (Ls: LuaState): SharedDict<Uint8Array> => {
    if (!lua.lua_istable(Ls, 1)) raise(Ls, 'bad "zone" argument')
    lua.lua_rawgetp(Ls, 1, DICT_KEY)
    const d = lua.lua_touserdata(Ls, -1) as SharedDict<Uint8Array> | null
    lua.lua_pop(Ls, 1)
    if (d !== null) return d
    lua.lua_getfield(Ls, 1, NAME)
    const name = toStr(Ls, -1)
    lua.lua_pop(Ls, 1)
    return byName(Ls, name)
  }
  lua.lua_createtable(L, 0, 24)
  const methods: Record<string, JsFn> = {
    get: (Ls) => {
      const r = dictOf(Ls).getWithFlags(keyArg(Ls, 2))
      if (!r.ok) return nilErr(Ls, r.err)
      pushJs(Ls, r.value)
      if (r.flags === 0 || r.value === undefined) return 1
      lua.lua_pushnumber(Ls, r.flags)
      return 2
    },
    get_stale: (Ls) => {
      const r = dictOf(Ls).getStale(keyArg(Ls, 2))
      if (!r.ok) return nilErr(Ls, r.err)
      pushJs(Ls, r.value)
      if (r.value === undefined) return 1
      if (r.flags === 0) lua.lua_pushnil(Ls)
      else lua.lua_pushnumber(Ls, r.flags)
      lua.lua_pushboolean(Ls, r.stale)
      return 3
    },
    incr: (Ls) => {
      const d = dictOf(Ls)
      const key = keyArg(Ls, 2)
      const by = lauxlib.luaL_checknumber(Ls, 3) as number
      const init = optNum(Ls, 4)
      const r = d.incrWithResult(key, by, init, optNum(Ls, 5))
      if (!r.ok) return nilErr(Ls, r.err)
      lua.lua_pushnumber(Ls, r.value)
      if (init === undefined) return 1
      lua.lua_pushnil(Ls)
      lua.lua_pushboolean(Ls, r.forcible)
      return 3
    },
    ttl: (Ls) => { const r = dictOf(Ls).ttl(keyArg(Ls, 2)); return r.ok ? (lua.lua_pushnumber(Ls, r.value), 1) : nilErr(Ls, r.err) },
    expire: (Ls) => {
      const d = dictOf(Ls)
      if (lua.lua_isnoneornil(Ls, 3)) return raise(Ls, 'bad "exptime" argument')
      const r = d.expire(keyArg(Ls, 2), lua.lua_tonumber(Ls, 3) as number)
      return r.ok ? (lua.lua_pushboolean(Ls, true), 1) : nilErr(Ls, r.err)
    },
    llen: (Ls) => { const r = dictOf(Ls).llen(keyArg(Ls, 2)); return r.ok ? (lua.lua_pushnumber(Ls, r.value), 1) : nilErr(Ls, r.err) },
    lpop: (Ls) => { const r = dictOf(Ls).lpop(keyArg(Ls, 2)); return r.ok ? (pushJs(Ls, r.value), 1) : nilErr(Ls, r.err) },
    rpop: (Ls) => { const r = dictOf(Ls).rpop(keyArg(Ls, 2)); return r.ok ? (pushJs(Ls, r.value), 1) : nilErr(Ls, r.err) },
    flush_all: (Ls) => { dictOf(Ls).flushAll(); return 0 },
    flush_expired: (Ls) => { lua.lua_pushnumber(Ls, dictOf(Ls).flushExpired(optNum(Ls, 2))); return 1 },
    get_keys: (Ls) => { pushJs(Ls, dictOf(Ls).getKeys(optNum(Ls, 2))); return 1 },
    capacity: (Ls) => { lua.lua_pushnumber(Ls, dictOf(Ls).capacity()); return 1 },
    free_space: (Ls) => { lua.lua_pushnumber(Ls, dictOf(Ls).freeSpace()); return 1 },
  }
  for (const op of ['set', 'safe_set', 'add', 'safe_add', 'replace'] as const) {
    const m = op === 'safe_set' ? 'safeSet' : op === 'safe_add' ? 'safeAdd' : op
    methods[op] = (Ls) => {
      const d = dictOf(Ls)
      const v = valueArg(Ls, 3)
      if (v === BAD_VALUE) return nilErr(Ls, 'bad value type')
      return pushSet(Ls, d[m](keyArg(Ls, 2), v, optNum(Ls, 4), optNum(Ls, 5)))
    }
  }
  methods['delete'] = (Ls) => pushSet(Ls, dictOf(Ls).delete(keyArg(Ls, 2)))
  for (const op of ['lpush', 'rpush'] as const) {
    methods[op] = (Ls) => {
      const d = dictOf(Ls)
      const v = valueArg(Ls, 3)
      if (v === BAD_VALUE || v === undefined || typeof v === 'boolean') return nilErr(Ls, 'bad value type')
      const r = d[op](keyArg(Ls, 2), v)
      return r.ok ? (lua.lua_pushnumber(Ls, r.value), 1) : nilErr(Ls, r.err)
    }
  }
  for (const [name, f] of Object.entries(methods)) setFn(L, name, (Ls) => callApiOn(Ls, f) ?? 0)
  const methodsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
  // ngx.shared: a table of dict objects, made on first use.
  lua.lua_createtable(L, 0, 0)
  lua.lua_createtable(L, 0, 1)
  setFn(L, '__index', (Ls) => {
    const name = strArg(Ls, 2)
    const has = callApi(Ls, () => cur().shared[name] !== undefined)
    if (has !== true) return 0
    lua.lua_createtable(Ls, 0, 2)
    lua.lua_pushstring(Ls, S(name))
    lua.lua_setfield(Ls, -2, NAME)
    lua.lua_pushlightuserdata(Ls, byName(Ls, name))
    lua.lua_rawsetp(Ls, -2, DICT_KEY)
    lua.lua_createtable(Ls, 0, 1)
    lua.lua_rawgeti(Ls, lua.LUA_REGISTRYINDEX, methodsRef)
    lua.lua_setfield(Ls, -2, S('__index'))
    lua.lua_setmetatable(Ls, -2)
    lua.lua_pushvalue(Ls, 2)
    lua.lua_pushvalue(Ls, -2)
    lua.lua_rawset(Ls, 1)
    return 1
  })
  lua.lua_setmetatable(L, -2)
  lua.lua_setfield(L, -2, S('shared'))
}
