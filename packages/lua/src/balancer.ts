// balancer_by_lua_block / balancer_by_lua_file (context: upstream) and lua-resty-core's
// `ngx.balancer` module over core's NgxBalancer. The handler runs in core's balancer phase,
// synchronously before each try: nothing in it may yield, and a failure ends the request with
// 500 after ngx_lua's `failed to run balancer_by_lua*: …` line.
import { readFileSync } from 'node:fs'
import { basename, isAbsolute } from 'node:path'
import { confError, isNgxSignal, LOG_LEVELS, NGX_ERROR, NGX_OK, registerDirective, setBalancingMethod, upstreamBuild } from '@nresty/core'
import type { ConfDirective, ConfScope, Handler, Ngx, NgxBalancer } from '@nresty/core'
import { appOf, codeCache, loadFailureText } from './directives.ts'
import type { LuaApp } from './directives.ts'
import { lauxlib, lua, toJsString, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { registerLuaModule } from './registry.ts'
import { callApi, cur, curOrUndefined, LuaRuntimeError, raise, toStr } from './vm.ts'

const S = toLuaString

/** What the balancer handler reads of core's request beyond the Ngx interface. */
interface RequestInternals {
  readonly _exitCode?: number
  readonly _logRaw?: (level: number, msg: string) => void
}

/** Logs `text` as it is (no `[lua]` prefix), as ngx_lua logs its own failures. */
function logError(ngx: Ngx, text: string): void {
  const log = (ngx as unknown as RequestInternals)._logRaw
  if (log !== undefined) log.call(ngx, LOG_LEVELS.ERR, text)
  else ngx.log(LOG_LEVELS.ERR, text)
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * The balancer handler of chunk `name`. A `_file` that cannot be read or compiled is logged and
 * the try goes on with the upstream's own servers (as the reference does); inlined code that
 * does not compile, a runtime error, or an exit other than ngx.OK end the request with 500.
 */
function balancerHandler(app: LuaApp, name: string, load: () => string | Uint8Array, cache: boolean): Handler {
  let code: string | Uint8Array | undefined
  const file = name.startsWith('@') ? name.slice(1) : undefined
  return (ngx: Ngx): void => {
    const vm = app.vm
    let chunk: number
    try {
      code ??= load()
      chunk = vm.compile(name, code, cache)
      if (!cache) code = undefined
    } catch (e) {
      logError(ngx, loadFailureText(name, e))
      // inlined code that does not compile ends the request; a file goes on to the servers
      if (file === undefined) return ngx.exit(NGX_ERROR)
      return
    }
    let ret: Promise<void> | undefined
    try {
      ret = vm.run(ngx, chunk, !cache)
    } catch (e) {
      if (isNgxSignal(e)) {
        // ngx.exit(ngx.OK) goes on with the peer set; any other status fails the try with 500.
        const status = (ngx as unknown as RequestInternals)._exitCode
        if (status === NGX_OK || status === NGX_ERROR) throw e
        return ngx.exit(NGX_ERROR)
      }
      const tb = e instanceof LuaRuntimeError && e.traceback !== '' ? `\nstack traceback:\n${e.traceback}` : ''
      logError(ngx, `failed to run balancer_by_lua*: ${message(e)}${tb}`)
      return ngx.exit(NGX_ERROR)
    }
    if (ret !== undefined) {
      // An API that waits and that core did not refuse: the try cannot wait for it (ngx_lua
      // disables every yielding API here).
      ret.catch(() => undefined)
      logError(ngx, 'failed to run balancer_by_lua*: API disabled in the context of balancer_by_lua*')
      ngx.exit(NGX_ERROR)
    }
  }
}

/**
 * Makes `handler` the balancer of the enclosing upstream block. A second one is a duplicate,
 * worded as ngx_lua words it (for a `_block` the directive's name is left out).
 */
function install(d: ConfDirective, scope: ConfScope, handler: () => Handler): void {
  const def = upstreamBuild(scope)
  if (def.balancer !== undefined) throw confError(d, d.name.endsWith('_block') ? 'is duplicate' : `"${d.name}" directive is duplicate`)
  setBalancingMethod(d, scope, false)
  def.balancer = handler()
}

// ---- ngx.balancer ---------------------------------------------------------------------------

/** The type name of the value at `idx`, as Lua's messages spell it. */
function typeName(L: LuaState, idx: number): string {
  const t = lua.lua_type(L, idx) as number
  // an absent argument is nil to a Lua function
  return t === lua.LUA_TNONE ? 'nil' : toJsString(lua.lua_typename(L, t) as Uint8Array)
}

/** The balancer API of the running request; outside a request, lua-resty-core's error. */
function api(L: LuaState): NgxBalancer {
  const ngx = curOrUndefined()
  if (ngx === undefined) return raise(L, 'no request found') as never
  const phase = ngx.getPhase()
  if (phase === 'init' || phase === 'init_worker' || phase === 'exit_worker') return raise(L, 'no request found') as never
  return cur().balancer
}

/** An argument LuaJIT's FFI converts to a C int: numbers truncate; nil, strings, … raise. */
function ffiInt(L: LuaState, idx: number, fn: string, pos: number): number {
  if (lua.lua_type(L, idx) === lua.LUA_TNUMBER) return Math.trunc(lua.lua_tonumber(L, idx) as number)
  return raise(L, `bad argument #${pos} to '${fn}' (cannot convert '${typeName(L, idx)}' to 'int')`) as never
}

function pushTrue(L: LuaState): number {
  lua.lua_pushboolean(L, true)
  return 1
}

function nilErr(L: LuaState, err: string): number {
  lua.lua_pushnil(L)
  lua.lua_pushstring(L, S(err))
  return 2
}

/** Raises `msg` at the position of the Lua caller, as `error(msg, 2)` in lua-resty-core. */
function callerError(L: LuaState, msg: string): number {
  lauxlib.luaL_where(L, 1)
  lua.lua_pushstring(L, S(msg))
  lua.lua_concat(L, 2)
  return lua.lua_error(L) as number
}

/** A timeout argument of set_timeouts: seconds, or undefined for nil/false (keep the location's). */
function timeoutArg(L: LuaState, idx: number, what: string): number | undefined {
  const t = lua.lua_type(L, idx) as number
  if (t === lua.LUA_TNONE || t === lua.LUA_TNIL || (t === lua.LUA_TBOOLEAN && !(lua.lua_toboolean(L, idx) as boolean))) return undefined
  const v = t === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, idx) as number) : Number.NaN
  if (!(v > 0)) return callerError(L, `bad ${what} timeout`) as never
  return v
}

const FUNCTIONS: Readonly<Record<string, (L: LuaState) => number>> = {
  set_current_peer(L) {
    const b = api(L)
    const t = lua.lua_type(L, 1) as number
    if (t !== lua.LUA_TSTRING) return raise(L, `attempt to get length of local 'addr' (a ${typeName(L, 1)} value)`)
    const addr = toStr(L, 1)
    let port: number | undefined
    const pt = lua.lua_type(L, 2) as number
    if (pt === lua.LUA_TNONE || pt === lua.LUA_TNIL || (pt === lua.LUA_TBOOLEAN && !(lua.lua_toboolean(L, 2) as boolean))) port = undefined
    else if (pt === lua.LUA_TSTRING) {
      // tonumber(port), then the FFI's int
      const n = Number(toStr(L, 2).trim())
      if (toStr(L, 2).trim() === '' || Number.isNaN(n)) return raise(L, "bad argument #4 to 'ngx_lua_ffi_balancer_set_current_peer' (cannot convert 'nil' to 'int')")
      port = Math.trunc(n)
    } else port = ffiInt(L, 2, 'ngx_lua_ffi_balancer_set_current_peer', 4)
    const host = lua.lua_type(L, 3) === lua.LUA_TSTRING ? toStr(L, 3) : undefined
    const r = callApi(L, () => b.setCurrentPeer(addr, port === 0 ? undefined : port, host))!
    return r.ok ? pushTrue(L) : nilErr(L, r.err)
  },
  set_more_tries(L) {
    const b = api(L)
    const count = ffiInt(L, 1, 'ngx_lua_ffi_balancer_set_more_tries', 2)
    const r = callApi(L, () => b.setMoreTries(count))!
    if (!r.ok) return nilErr(L, r.err)
    lua.lua_pushboolean(L, true)
    if (r.value === true) return 1
    lua.lua_pushstring(L, S(r.value))
    return 2
  },
  get_last_failure(L) {
    const b = api(L)
    if (cur().getPhase() !== 'balancer') {
      // core's getLastFailure answers nothing here: recreateRequest, refused without effect
      // outside the balancer phase, gives the error lua-resty-core returns third.
      const r = b.recreateRequest()
      lua.lua_pushnil(L)
      lua.lua_pushnil(L)
      lua.lua_pushstring(L, S(r.ok ? 'API disabled in the current context' : r.err))
      return 3
    }
    const f = b.getLastFailure()
    if (f === undefined) {
      lua.lua_pushnil(L)
      return 1
    }
    lua.lua_pushstring(L, S(f.state))
    lua.lua_pushnumber(L, f.code)
    return 2
  },
  set_timeouts(L) {
    const b = api(L)
    const c = timeoutArg(L, 1, 'connect')
    const s = timeoutArg(L, 2, 'send')
    const rd = timeoutArg(L, 3, 'read')
    const r = callApi(L, () => b.setTimeouts(c, s, rd))!
    if (r.ok) return pushTrue(L)
    // lua-resty-core answers `false, err` here (not nil)
    lua.lua_pushboolean(L, false)
    lua.lua_pushstring(L, S(r.err))
    return 2
  },
  recreate_request(L) {
    const b = api(L)
    const r = callApi(L, () => b.recreateRequest())!
    return r.ok ? pushTrue(L) : nilErr(L, r.err)
  },
}

/** `require "ngx.balancer"`: a table of the functions, with resty.core's version. */
function loadModule(L: LuaState): number {
  lua.lua_createtable(L, 0, Object.keys(FUNCTIONS).length + 1)
  lua.lua_pushstring(L, S('0.1.25'))
  lua.lua_setfield(L, -2, S('version'))
  for (const [name, fn] of Object.entries(FUNCTIONS)) {
    lua.lua_pushjsfunction(L, fn)
    lua.lua_setfield(L, -2, S(name))
  }
  return 1
}

let registered = false

/** Registers balancer_by_lua_block / _file and the `ngx.balancer` module (once per thread). */
export function registerBalancerByLua(): void {
  if (registered) return
  registered = true
  registerLuaModule('ngx.balancer', loadModule)
  registerDirective({
    name: 'balancer_by_lua_block', contexts: ['upstream'], args: 'NOARGS', block: true,
    handler: (d, scope) => {
      const block = d.lua!
      const code = block.code
      install(d, scope, () => balancerHandler(appOf(scope.conf), `=balancer_by_lua(${basename(d.file)}:${block.line})`, () => code, true))
      return undefined
    },
  })
  registerDirective({
    name: 'balancer_by_lua_file', contexts: ['upstream'], args: 'TAKE1',
    handler: (d, scope) => {
      const arg = d.args[0]!.value
      const path = isAbsolute(arg) ? arg : scope.conf.prefix + arg
      install(d, scope, () => balancerHandler(appOf(scope.conf), `@${path}`, () => readFileSync(path), codeCache(scope)))
      return undefined
    },
  })
}
