// ngx.socket (tcp / stream / udp / connect), ngx.timer and ngx.thread for Lua. Socket methods
// check the calling request owns the socket (`bad request`), then yield until the TS promise
// settles and answer ngx_lua's returns (`1` / `nil, err`, receive's `nil, err, partial`).
// Timer and light-thread functions run in their own coroutines of the same VM.
import { LOG_LEVELS } from '@nresty/core'
import type { LightThread, Ngx, ReceiveResult, TcpSocket, UdpSocket } from '@nresty/core'
import { lauxlib, lua, toJsString, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { pushJs, toJs } from './ngx-lib.ts'
import { callApi, cur, LuaRuntimeError, raise, toStr, yieldPromise } from './vm.ts'
import type { LuaValues, LuaVm } from './vm.ts'

const S = toLuaString
type JsFn = (L: LuaState) => number
type Sock = TcpSocket<Buffer> | UdpSocket<Buffer>

function setFn(L: LuaState, name: string, fn: JsFn): void {
  lua.lua_pushjsfunction(L, fn)
  lua.lua_setfield(L, -2, S(name))
}

function nilErr(L: LuaState, err: string): number {
  lua.lua_pushnil(L)
  lua.lua_pushstring(L, S(err))
  return 2
}

/** `1` / `nil, err` of a Result. */
function one(L: LuaState, r: { ok: boolean; err?: unknown; value?: unknown }, value = false): number {
  if (!r.ok) return nilErr(L, String(r.err))
  if (value) pushJs(L, r.value)
  else lua.lua_pushnumber(L, 1)
  return 1
}

function received(L: LuaState, r: ReceiveResult<Buffer | undefined>): number {
  if (r.ok) {
    pushJs(L, r.value)
    return 1
  }
  lua.lua_pushnil(L)
  lua.lua_pushstring(L, S(r.err))
  pushJs(L, r.partial ?? (r.err === 'timeout' || r.err === 'closed' ? new Uint8Array(0) : undefined))
  return 3
}

const optNum = (L: LuaState, i: number): number | undefined => (lua.lua_isnoneornil(L, i) ? undefined : (lua.lua_tonumber(L, i) as number))

/** The TS socket of a Lua socket object (`self` at index 1). */
function sockOf<T extends Sock>(L: LuaState): T {
  if (!lua.lua_istable(L, 1)) raise(L, 'bad argument #1 (table expected)')
  lua.lua_rawgeti(L, 1, 1)
  const s = lua.lua_touserdata(L, -1) as T | null
  lua.lua_pop(L, 1)
  if (s === null) raise(L, 'bad argument #1 (socket expected)')
  s!.assertOwner?.(cur() as never)
  return s!
}

function pushSocket(L: LuaState, s: Sock, metaRef: number): void {
  lua.lua_createtable(L, 1, 0)
  lua.lua_pushlightuserdata(L, s)
  lua.lua_rawseti(L, -2, 1)
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, metaRef)
  lua.lua_setmetatable(L, -2)
}

function metatable(L: LuaState, methods: Record<string, JsFn>): number {
  lua.lua_createtable(L, 0, 1)
  lua.lua_createtable(L, 0, Object.keys(methods).length)
  for (const [name, f] of Object.entries(methods)) setFn(L, name, (Ls) => callApi(Ls, () => f(Ls)) ?? 0)
  lua.lua_setfield(L, -2, S('__index'))
  return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
}

function connectArgs(L: LuaState): [string, number | string | undefined, Record<string, unknown> | undefined] {
  const host = toStr(L, 2)
  if (lua.lua_istable(L, 3)) return [host, undefined, toJs(L, 3) as Record<string, unknown>]
  const port = lua.lua_isnoneornil(L, 3) ? undefined : (lua.lua_tonumber(L, 3) as number)
  const opts = lua.lua_istable(L, 4) ? (toJs(L, 4) as Record<string, unknown>) : undefined
  return [host, port, opts]
}

/**
 * The pieces of an array table to send, as ngx_lua takes them: integer keys from 1 only
 * (`non-array table found`), strings, numbers (as Lua prints them) and nested tables, any other
 * value (nil holes too) a `bad data type <type> found`.
 */
function sendPieces(L: LuaState, i: number, out: Uint8Array[], depth: number): void {
  const bad = (msg: string): never => raise(L, `bad argument #1 to 'send' (${msg})`) as never
  if (depth > 100) bad('bad data type table found')
  let max = 0
  lua.lua_pushnil(L)
  while (lua.lua_next(L, i) !== 0) {
    const k = lua.lua_type(L, -2) === lua.LUA_TNUMBER ? (lua.lua_tonumber(L, -2) as number) : 0
    if (!Number.isInteger(k) || k <= 0) bad('non-array table found')
    max = Math.max(max, k)
    lua.lua_pop(L, 1)
  }
  for (let k = 1; k <= max; k++) {
    const t = lua.lua_rawgeti(L, i, k) as number
    if (t === lua.LUA_TTABLE) sendPieces(L, lua.lua_gettop(L) as number, out, depth + 1)
    else if (t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER) out.push(lua.lua_tolstring(L, -1) as Uint8Array)
    else bad(`bad data type ${toJsString(lua.lua_typename(L, t) as Uint8Array)} found`)
    lua.lua_pop(L, 1)
  }
}

function sendData(L: LuaState, i: number): Uint8Array | unknown[] {
  if (lua.lua_istable(L, i)) {
    const out: Uint8Array[] = []
    sendPieces(L, i, out, 0)
    return out
  }
  // ngx_lua sends nil and booleans as their names.
  if (lua.lua_isnil(L, i)) return S('nil')
  if (lua.lua_isboolean(L, i)) return S(lua.lua_toboolean(L, i) ? 'true' : 'false')
  return (lua.lua_tolstring(L, i) as Uint8Array | null) ?? raise(L, `bad argument #${i - 1} to 'send' (string, number, boolean, nil, or array table expected, got ${toJsString(lua.lua_typename(L, lua.lua_type(L, i)) as Uint8Array)})`) as never
}

/** Adds ngx.socket, ngx.timer and ngx.thread to the `ngx` table at the top of L's stack. */
export function installAsync(vm: LuaVm, L: LuaState): void {
  const tcpMethods: Record<string, JsFn> = {
    connect: (Ls) => {
      const argc = lua.lua_gettop(Ls) as number
      if (argc < 2 || argc > 4) return raise(Ls, `ngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen ${argc}`)
      const s = sockOf<TcpSocket<Buffer>>(Ls)
      const [host, port, opts] = connectArgs(Ls)
      return yieldPromise(Ls, s.connect(host, port, opts as never), (Lr, r) => one(Lr, r))
    },
    sslhandshake: (Ls) => {
      const s = sockOf<TcpSocket<Buffer>>(Ls)
      const reused = lua.lua_type(Ls, 2) === lua.LUA_TLIGHTUSERDATA ? lua.lua_touserdata(Ls, 2) : (lua.lua_toboolean(Ls, 2) as boolean) && undefined
      const name = lua.lua_isnoneornil(Ls, 3) ? undefined : toStr(Ls, 3)
      const verify = lua.lua_toboolean(Ls, 4) as boolean
      const p = s.sslHandshake(reused as never, name, verify)
      return yieldPromise(Ls, p, (Lr, r) => {
        if (!r.ok) return nilErr(Lr, r.err)
        if (r.value === true) lua.lua_pushboolean(Lr, true)
        else lua.lua_pushlightuserdata(Lr, r.value)
        return 1
      })
    },
    send: (Ls) => {
      const argc = lua.lua_gettop(Ls) as number
      if (argc !== 2) return raise(Ls, `expecting 2 arguments (including the object), but got ${argc}`)
      const s = sockOf<TcpSocket<Buffer>>(Ls)
      return yieldPromise(Ls, s.send(sendData(Ls, 2) as never), (Lr, r) => one(Lr, r, true))
    },
    receive: (Ls) => {
      const s = sockOf<TcpSocket<Buffer>>(Ls)
      const pat = lua.lua_isnoneornil(Ls, 2) ? '*l' : lua.lua_type(Ls, 2) === lua.LUA_TNUMBER ? (lua.lua_tonumber(Ls, 2) as number) : toStr(Ls, 2)
      // ngx_lua takes `*a` and `*l` only: other strings of two bytes starting with `*` are a
      // `bad pattern argument`, any other string one `bad pattern argument: <pattern>`.
      if (typeof pat === 'string' && pat !== '*a' && pat !== '*l') {
        return raise(Ls, `bad argument #2 to '?' (bad pattern argument${pat.length === 2 && pat[0] === '*' ? '' : `: ${pat}`})`)
      }
      return yieldPromise(Ls, s.receive(pat as '*l'), received)
    },
    receiveany: (Ls) => {
      const argc = lua.lua_gettop(Ls) as number
      if (argc !== 2) return raise(Ls, `expecting 2 arguments (including the object), but got ${argc}`)
      const s = sockOf<TcpSocket<Buffer>>(Ls)
      return yieldPromise(Ls, s.receiveAny(lauxlib.luaL_checknumber(Ls, 2) as number), received)
    },
    receiveuntil: (Ls) => {
      const s = sockOf<TcpSocket<Buffer>>(Ls)
      const pattern = lua.lua_tolstring(Ls, 2) as Uint8Array
      const opts = lua.lua_istable(Ls, 3) ? (toJs(Ls, 3) as { inclusive?: boolean }) : {}
      const it = s.receiveUntil(pattern, { inclusive: opts.inclusive === true })
      lua.lua_pushjsfunction(Ls, (Li: LuaState) => callApi(Li, () => yieldPromise(Li, it(optNum(Li, 1)), received)) ?? 0)
      return 1
    },
    settimeout: (Ls) => {
      const argc = lua.lua_gettop(Ls) as number
      if (argc !== 2) return raise(Ls, `ngx.socket settimeout: expecting 2 arguments (including the object) but seen ${argc}`)
      sockOf<TcpSocket<Buffer>>(Ls).setTimeout(optNum(Ls, 2) ?? 0)
      return 0
    },
    settimeouts: (Ls) => { sockOf<TcpSocket<Buffer>>(Ls).setTimeouts(optNum(Ls, 2) ?? 0, optNum(Ls, 3) ?? 0, optNum(Ls, 4) ?? 0); return 0 },
    setkeepalive: (Ls) => one(Ls, sockOf<TcpSocket<Buffer>>(Ls).setKeepalive(optNum(Ls, 2), optNum(Ls, 3))),
    getreusedtimes: (Ls) => one(Ls, sockOf<TcpSocket<Buffer>>(Ls).getReusedTimes(), true),
    close: (Ls) => one(Ls, sockOf<TcpSocket<Buffer>>(Ls).close()),
    setoption: (Ls) => {
      const r = sockOf<TcpSocket<Buffer>>(Ls).setOption(toStr(Ls, 2), toJs(Ls, 3) as number)
      return r.ok ? (lua.lua_pushboolean(Ls, true), 1) : nilErr(Ls, r.err)
    },
  }
  const tcpMeta = metatable(L, tcpMethods)
  // ngx.req.socket(): the request body as a read-only cosocket.
  const { receive, receiveany, receiveuntil, settimeout, settimeouts } = tcpMethods as Record<string, JsFn>
  const reqMeta = metatable(L, { receive: receive!, receiveany: receiveany!, receiveuntil: receiveuntil!, settimeout: settimeout!, settimeouts: settimeouts! })
  const udpMeta = metatable(L, {
    setpeername: (Ls) => {
      const s = sockOf<UdpSocket<Buffer>>(Ls)
      const [host, port] = connectArgs(Ls)
      return yieldPromise(Ls, s.setPeername(host, port as number), (Lr, r) => one(Lr, r))
    },
    send: (Ls) => {
      const s = sockOf<UdpSocket<Buffer>>(Ls)
      return yieldPromise(Ls, s.send(sendData(Ls, 2) as never), (Lr, r) => one(Lr, r))
    },
    receive: (Ls) => {
      const s = sockOf<UdpSocket<Buffer>>(Ls)
      return yieldPromise(Ls, s.receive(optNum(Ls, 2)), (Lr, r) => (r.ok ? (pushJs(Lr, r.value), 1) : nilErr(Lr, r.err)))
    },
    settimeout: (Ls) => {
      const argc = lua.lua_gettop(Ls) as number
      if (argc < 2) return raise(Ls, `ngx.socket settimeout: expecting at least 2 arguments (including the object) but seen ${argc}`)
      sockOf<UdpSocket<Buffer>>(Ls).setTimeout(optNum(Ls, 2) ?? 0)
      return 0
    },
    close: (Ls) => one(Ls, sockOf<UdpSocket<Buffer>>(Ls).close()),
  })

  lua.lua_createtable(L, 0, 4)
  const tcp: JsFn = (Ls) => {
    const s = callApi(Ls, () => cur().socket.tcp({ binary: true }))
    if (s === undefined) return 0
    pushSocket(Ls, s, tcpMeta)
    return 1
  }
  setFn(L, 'tcp', tcp)
  setFn(L, 'stream', tcp)
  setFn(L, 'udp', (Ls) => {
    const s = callApi(Ls, () => cur().socket.udp({ binary: true }))
    if (s === undefined) return 0
    pushSocket(Ls, s, udpMeta)
    return 1
  })
  setFn(L, 'connect', (Ls) => {
    lua.lua_pushnil(Ls)
    lua.lua_insert(Ls, 1)
    const s = callApi(Ls, () => cur().socket.tcp({ binary: true }))
    if (s === undefined) return 0
    const [host, port, opts] = connectArgs(Ls)
    return yieldPromise(Ls, s.connect(host, port, opts as never), (Lr, r) => {
      if (!r.ok) return nilErr(Lr, r.err)
      pushSocket(Lr, s, tcpMeta)
      return 1
    })
  })
  lua.lua_setfield(L, -2, S('socket'))

  lua.lua_getfield(L, -1, S('req'))
  setFn(L, 'socket', (Ls) => {
    // The raw (full-duplex) form needs the client connection itself, which core does not hand out.
    if (lua.lua_toboolean(Ls, 1)) return raise(Ls, 'ngx.req.socket(true): raw request sockets are not supported by nresty')
    const r = callApi(Ls, () => cur().req.socket({ binary: true }))
    if (r === undefined) return 0
    if (!r.ok) return nilErr(Ls, r.err)
    pushSocket(Ls, r.value as unknown as Sock, reqMeta)
    return 1
  })
  lua.lua_pop(L, 1)

  // ngx.on_abort(fn): fn runs in its own coroutine when the client goes away.
  setFn(L, 'on_abort', (Ls) => {
    if (lua.lua_type(Ls, 1) !== lua.LUA_TFUNCTION) return raise(Ls, "bad argument #1 to 'on_abort' (function expected)")
    const ngx = cur()
    if (!checkClientAbort(ngx)) return nilErr(Ls, 'lua_check_client_abort is off')
    lua.lua_pushvalue(Ls, 1)
    const held = { ref: lauxlib.luaL_ref(Ls, lua.LUA_REGISTRYINDEX) as number }
    // ngx_lua runs the callback as a user thread: its Lua errors are logged as such (and the
    // request goes on); ngx.exit and friends pass to core.
    const failed = (e: unknown): void => {
      if (!(e instanceof LuaRuntimeError)) throw e
      logError(ngx, (userThreadError(e) as { logText: string }).logText)
    }
    const r = callApi(Ls, () => ngx.onAbort(() => {
      try {
        const ret = vm.runFunction(ngx, (co) => {
          lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, held.ref)
          unrefHeld(L, held)
          return 1
        })
        return ret?.catch(failed)
      } catch (e) {
        return failed(e)
      }
    }))
    if (r === undefined || !r.ok) unrefHeld(L, held)
    else abortRefs.register(ngx, { L, held })
    return r === undefined ? 0 : one(Ls, r)
  })

  // ngx.timer
  const timerFn = (every: boolean): JsFn => (Ls) => {
    const argc = lua.lua_gettop(Ls) as number
    if (argc < 2) return raise(Ls, `expecting at least 2 arguments but got ${argc}`)
    const delay = lauxlib.luaL_checknumber(Ls, 1) as number
    if (lua.lua_type(Ls, 2) !== lua.LUA_TFUNCTION) return raise(Ls, "bad argument #2 to 'at' (Lua function expected)")
    const n = lua.lua_gettop(Ls) as number
    const packed = packValues(Ls, 2, n)
    const run = (ngx: Ngx, premature: boolean): unknown => {
      const ret = vm.runFunction(ngx, (co) => {
        const m = unpackValues(co, packed)
        lua.lua_pushboolean(co, premature)
        lua.lua_insert(co, 2)
        return m + 1
      })
      if (!every) release(L, packed)
      return ret?.catch((e: unknown) => timerFailed(ngx, e))
    }
    const guarded = (ngx: Ngx, premature: boolean): unknown => {
      try {
        return run(ngx, premature)
      } catch (e) {
        return timerFailed(ngx, e)
      }
    }
    const r = callApi(Ls, () => (every ? cur().timer.every(delay, guarded) : cur().timer.at(delay, guarded)))
    if (r === undefined) return 0
    if (!r.ok) release(L, packed)
    return one(Ls, r)
  }
  lua.lua_createtable(L, 0, 4)
  setFn(L, 'at', timerFn(false))
  setFn(L, 'every', timerFn(true))
  setFn(L, 'running_count', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().timer.runningCount())); return 1 })
  setFn(L, 'pending_count', (Ls) => { pushJs(Ls, callApi(Ls, () => cur().timer.pendingCount())); return 1 })
  lua.lua_setfield(L, -2, S('timer'))

  // ngx.thread: a light thread is the Lua coroutine it runs in (type() says "thread"), mapped
  // to core's LightThread; coroutine.status() answers core's status for it.
  const lightThreads = new WeakMap<object, LightThread<unknown>>()
  const threadArg = (Ls: LuaState, i: number): LightThread<unknown> | undefined =>
    lua.lua_type(Ls, i) === lua.LUA_TTHREAD ? lightThreads.get(lua.lua_tothread(Ls, i) as object) : undefined
  lua.lua_createtable(L, 0, 3)
  setFn(L, 'spawn', (Ls) => {
    if (lua.lua_type(Ls, 1) !== lua.LUA_TFUNCTION) return raise(Ls, "bad argument #1 to 'spawn' (Lua function expected)")
    const packed = packValues(Ls, 1, lua.lua_gettop(Ls) as number)
    const ngx = cur()
    let thread: LuaState | undefined
    const t = callApi(Ls, () => ngx.thread.spawn(() => {
      const values: { v?: LuaValues } = {}
      let ret: Promise<void> | undefined
      try {
        ret = vm.runFunction(ngx, (co) => {
          // The coroutine goes on the spawner's stack now, while it can still be pushed.
          thread = co
          lua.lua_pushthread(co)
          lua.lua_xmove(co, Ls, 1)
          return unpackValues(co, packed)
        }, values)
      } catch (e) {
        throw userThreadError(e)
      } finally {
        release(L, packed)
      }
      return ret === undefined ? values.v : ret.then(() => values.v, (e: unknown) => { throw userThreadError(e) })
    }))
    if (t === undefined) return 0
    if (thread === undefined) lua.lua_pushlightuserdata(Ls, t)
    else lightThreads.set(thread, t)
    return 1
  })
  setFn(L, 'wait', (Ls) => {
    const n = lua.lua_gettop(Ls) as number
    const threads: LightThread<unknown>[] = []
    for (let i = 1; i <= n; i++) threads.push((threadArg(Ls, i) ?? lua.lua_touserdata(Ls, i)) as LightThread<unknown>)
    const p = callApi(Ls, () => cur().thread.wait(...threads))
    if (p === undefined) return 0
    return yieldPromise(Ls, p, (Lr, r) => {
      if (r.ok) {
        lua.lua_pushboolean(Lr, true)
        const v = r.value as LuaValues | undefined
        if (v === undefined) return 1
        const m = unpackValues(Lr, v)
        release(L, v)
        return 1 + m
      }
      const err = (r as { err: unknown }).err
      // A thread that failed: false, err; a thread already waited for or killed: nil, err.
      if ((r as { thrown?: boolean }).thrown !== true) return nilErr(Lr, String(err))
      lua.lua_pushboolean(Lr, false)
      lua.lua_pushstring(Lr, S(err instanceof LuaRuntimeError ? `runtime error: ${err.message}` : String(err instanceof Error ? err.message : err)))
      return 2
    })
  })
  setFn(L, 'kill', (Ls) => {
    const t = threadArg(Ls, 1) ?? (lua.lua_type(Ls, 1) === lua.LUA_TLIGHTUSERDATA ? lua.lua_touserdata(Ls, 1) as LightThread<unknown> : undefined)
    if (t === undefined) return raise(Ls, "bad argument #1 to 'kill' (lua thread expected)")
    const r = callApi(Ls, () => cur().thread.kill(t))
    return r === undefined ? 0 : one(Ls, r)
  })
  lua.lua_setfield(L, -2, S('thread'))

  // coroutine.status(light thread): `running` until it ends, `zombie` until waited for, `dead`.
  lua.lua_getglobal(L, S('coroutine'))
  lua.lua_getfield(L, -1, S('status'))
  const rawStatus = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number
  setFn(L, 'status', (Ls) => {
    const t = threadArg(Ls, 1)
    if (t !== undefined) {
      lua.lua_pushstring(Ls, S(t.status))
      return 1
    }
    lua.lua_rawgeti(Ls, lua.LUA_REGISTRYINDEX, rawStatus)
    lua.lua_insert(Ls, 1)
    lua.lua_call(Ls, (lua.lua_gettop(Ls) as number) - 1, 1)
    return 1
  })
  lua.lua_pop(L, 1)
}

/** Whether `lua_check_client_abort` is on where each running request's Lua handlers run. */
const clientAbortChecks = new WeakMap<Ngx, boolean>()

/** Records lua_check_client_abort for `ngx` (its handlers call this as they start). */
export function setClientAbortCheck(ngx: Ngx, on: boolean): void {
  clientAbortChecks.set(ngx, on)
}

function checkClientAbort(ngx: Ngx): boolean {
  return clientAbortChecks.get(ngx) === true
}

/** A registry reference, released once (LUA_NOREF after). */
interface HeldRef { ref: number }

function unrefHeld(L: LuaState, held: HeldRef): void {
  if (held.ref === lua.LUA_NOREF) return
  lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, held.ref)
  held.ref = lua.LUA_NOREF
}

// An on_abort callback never called (the client stayed) is released with its request.
const abortRefs = new FinalizationRegistry<{ L: LuaState; held: HeldRef }>(({ L, held }) => unrefHeld(L, held))

/** A light thread's Lua error, carrying ngx_lua's log line for core to log. */
function userThreadError(e: unknown): unknown {
  if (e instanceof LuaRuntimeError) {
    Object.assign(e, { logText: `lua user thread aborted: runtime error: ${e.message}\nstack traceback:\ncoroutine 0:\n${e.traceback}` })
  }
  return e
}

/** Logs `text` at error level as it is (no `[lua]` prefix). */
function logError(ngx: Ngx, text: string): void {
  const log = (ngx as unknown as { _logRaw?: (level: number, msg: string) => void })._logRaw
  if (log !== undefined) log.call(ngx, LOG_LEVELS.ERR, text)
  else ngx.log(LOG_LEVELS.ERR, text)
}

function timerFailed(ngx: Ngx, e: unknown): void {
  const log = (ngx as unknown as { _logRaw?: (level: number, msg: string) => void })._logRaw
  const text = e instanceof LuaRuntimeError
    ? `lua entry thread aborted: runtime error: ${e.message}\nstack traceback:\ncoroutine 0:\n${e.traceback}`
    : String(e instanceof Error ? e.message : e)
  log?.call(ngx, 3, text)
}

/** Lua values at [from, to] of L kept in the registry (a table with `n`). */
function packValues(L: LuaState, from: number, to: number): LuaValues {
  lua.lua_createtable(L, to - from + 1, 0)
  for (let i = from; i <= to; i++) {
    lua.lua_pushvalue(L, i)
    lua.lua_rawseti(L, -2, i - from + 1)
  }
  return { ref: lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number, n: to - from + 1 }
}

function unpackValues(L: LuaState, v: LuaValues): number {
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, v.ref)
  for (let i = 1; i <= v.n; i++) lua.lua_rawgeti(L, -i, i)
  lua.lua_remove(L, -(v.n + 1))
  return v.n
}

function release(L: LuaState, v: LuaValues): void {
  lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, v.ref)
}
