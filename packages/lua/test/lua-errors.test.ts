// Error paths of the ngx API from Lua, through an nginx.conf served by startServer: argument
// errors, cosocket failures (`nil, err`), shared dict returns, APIs called in the wrong phase,
// module loading failures, failing _file code, filters, timers and threads, and conf errors.
// The expected answers were measured on the reference OpenResty with the same Lua code.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfGateway, startServer } from '@nresty/core'
import type { RunningServer } from '@nresty/core'
import '@nresty/lua'
import { freePort } from './helpers.ts'

const CONF = String.raw`
worker_processes 1;
error_log logs/error.log notice;
events { worker_connections 64; }
http {
    lua_package_path "$prefix/lua/?.lua;;";
    lua_shared_dict d 1m;
    access_log off;
    init_worker_by_lua_file lua/iw.lua;
    server {
        listen 127.0.0.1:PORT;
        location = /probe { content_by_lua_file lua/probe.lua; }
        location = /show { content_by_lua_block { ngx.say(ngx.shared.d:get(ngx.var.arg_k)) } }
        location = /lg {
            content_by_lua_block { ngx.say("x") }
            header_filter_by_lua_block { require("phase")("hf") }
            log_by_lua_block { require("phase")("log") }
        }
        location = /syn { content_by_lua_file lua/badsyn.lua; }
        location = /nofile {
            lua_code_cache off;
            rewrite_by_lua_file lua/nofile.lua;
            content_by_lua_block { ngx.say("no") }
        }
        location = /mods {
            content_by_lua_block {
                ngx.say(pcall(require, "badsyn"))
                ngx.say(pcall(require, "moderr"))
            }
        }
        location = /bf {
            content_by_lua_block { ngx.say("x") }
            body_filter_by_lua_block { error("bf") }
        }
        location = /late { content_by_lua_block { ngx.say("a") ngx.flush(true) error("late") } }
        location = /timer {
            content_by_lua_block {
                ngx.timer.at(0, function() error("tm boom") end)
                ngx.say("ok")
            }
        }
        location = /cosock { content_by_lua_file lua/cosock.lua; }
        location ~ ^/cap/(\w+)$ {
            set $myv "init";
            header_filter_by_lua_block { ngx.header["X-Gone"] = nil }
            content_by_lua_block {
                ngx.header["X-Gone"] = "x"
                ngx.say(ngx.var[1], " ", ngx.var.myv, " ", tostring(ngx.null), " ", ngx.var[2])
                ngx.var.myv = nil
                ngx.say(ngx.var.myv == "", " ", tostring(ngx.var.myv))
                ngx.say(pcall(function() ngx.var.nosuch = "1" end))
                local a, b = ngx.location.capture_multi({ { "/show", { args = { k = "zz" } } }, { "/show?k=yy" } })
                ngx.say(a.status, " ", a.body, b.status, " ", b.body)
                ngx.say(pcall(ngx.exec, "/x", 1, 2))
            }
            body_filter_by_lua_block {
                if ngx.arg[2] then ngx.arg[1] = ngx.arg[1] .. "[" .. tostring(ngx.arg[3]) .. "]" end
            }
        }
        location = /redis {
            content_by_lua_block {
                local s = ngx.socket.tcp()
                s:settimeout(1000)
                ngx.say(s:connect("127.0.0.1", 6379))
                ngx.say(pcall(function() return s:send(function() end) end))
                ngx.say(s:close())
            }
        }
    }
}
`

const P = 'local function p(...) local function pk(...) return select("#", ...), {...} end local n, t = pk(pcall(...)) for i=1,n do t[i]=tostring(t[i]) end ngx.say(table.concat(t, "|", 1, n)) end\n'

/** pcall of each call: `ok|results...` per line. */
const PROBE = P + String.raw`p(ngx.sleep)
p(ngx.sleep, "x")
p(ngx.sleep, -1)
p(ngx.sleep, 1, 2)
p(ngx.say, {1, {2, "a"}, true, nil})
p(ngx.say, {1, {}})
p(ngx.say, {a=1})
p(ngx.log)
p(ngx.log, "x")
p(ngx.redirect)
p(ngx.timer.at)
p(ngx.timer.at, 1)
p(ngx.timer.at, 1, 2)
p(ngx.timer.at, "x", function() end)
p(ngx.thread.spawn, 1)
p(ngx.thread.spawn)
p(ngx.thread.wait)
p(ngx.thread.kill)
local s = ngx.socket.tcp()
p(s.connect, s)
p(s.connect, s, "127.0.0.1", 1)
p(s.send, s, "x")
p(s.close, s)
p(s.setkeepalive, s)
p(s.getreusedtimes, s)
p(s.connect, s, "127.0.0.1")
p(s.connect, s, "unix:/nonexistent.sock")
p(ngx.socket.connect, "127.0.0.1", 1)
p(s.receiveany, s)
local u = ngx.socket.udp()
p(u.send, u, "x")
p(u.receive, u)
p(u.close, u)
local d = ngx.shared.d
p(d.get, d, nil)
p(d.get, d, "")
p(d.set, d, nil, 1)
p(d.set, d, "", 1)
p(d.set, d, "k", {})
p(d.set, d, "k", 1.5, 0, 7)
p(d.get, d, "k")
p(d.get_stale, d, "k")
p(d.get_stale, d, "nokey")
p(d.incr, d, "s", 1)
p(d.set, d, "s", "str")
p(d.incr, d, "s", 1)
p(d.incr, d, "n", 1, 0, 10)
p(d.replace, d, "none", 1)
p(d.add, d, "k", 1)
p(d.safe_set, d, "k2", true)
p(d.delete, d, "k2")
p(d.lpush, d, "lst", true)
p(d.lpush, d, "lst", nil)
p(d.lpop, d, "nolst")
p(d.llen, d, "nolst")
p(d.llen, d, "k")
p(d.ttl, d, "k")
p(d.expire, d, "none", 1)
p(d.get_keys, d, 1)
p(d.flush_expired, d)
p(d.get, d, 12)
p(d.get, {}, "k")
p(d.get, nil, "k")
p(ngx.req.get_headers, 0)
p(ngx.req.get_uri_args, 1)
p(ngx.req.get_post_args)
p(ngx.req.set_method, 12345)
p(ngx.req.get_body_data)
p(ngx.encode_args, {a = {1, 2}, b = true, c = false})
p(ngx.escape_uri, nil)
p(ngx.decode_base64, "!!!")
p(ngx.location.capture)
p(ngx.exec)
p(function() ngx.ctx = 1 end)
`

/** Cosockets against Redis: timeouts with partial data, closed, options, UDP, threads. */
const COSOCK = P + String.raw`local s = ngx.socket.tcp()
p(s.settimeout, s)
p(s.settimeouts, s, 500, nil, 300)
p(s.connect, s, "127.0.0.1", 6379, { pool = "rp" })
p(s.send, s, "PING\r\n")
p(s.receive, s, 10)
p(s.setoption, s, "nosuchopt", 1)
local it = s:receiveuntil("\r\n", { inclusive = true })
p(s.send, s, "PING\r\n")
p(it)
p(s.send, s, "QUIT\r\n")
p(s.receive, s, 100)
local s2 = ngx.socket.tcp()
s2:settimeout(500)
p(s2.connect, s2, "127.0.0.1", 6379)
p(s2.sslhandshake, s2, nil, "example.com", false)
local u = ngx.socket.udp()
p(u.settimeout, u)
u:settimeout(150)
p(u.setpeername, u, "127.0.0.1", 6379)
p(u.send, u, {"a", "b"})
p(u.receive, u)
p(u.close, u)
p(ngx.timer.at, -1, function() end)
local t = ngx.thread.spawn(function() end)
p(ngx.thread.wait, t)
p(ngx.thread.wait, t)
`

/** Called by phase handlers: what each API answers there, kept in ngx.shared.d[tag]. */
const PHASE = String.raw`local function p(...) local function pk(...) return select("#", ...), {...} end local n, t = pk(pcall(...)) for i=1,n do t[i]=tostring(t[i]) end return table.concat(t, "|", 1, n) end
return function(tag)
  local out = {}
  for _, f in ipairs({
    function() return p(ngx.req.get_method) end,
    function() return p(ngx.req.get_headers) end,
    function() return p(ngx.resp.get_headers) end,
    function() return p(ngx.sleep, 0.001) end,
    function() return p(ngx.socket.tcp) end,
    function() return p(ngx.location.capture, "/x") end,
    function() return p(ngx.say, "x") end,
    function() return p(function() return ngx.var.uri end) end,
    function() return p(function() return ngx.status end) end,
    function() return p(function() return ngx.ctx end) end,
  }) do out[#out + 1] = f() end
  ngx.shared.d:set(tag, table.concat(out, "\n"))
end
`

let dir: string
let server: RunningServer
let base: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nresty-lua-err-'))
  mkdirSync(join(dir, 'conf'))
  mkdirSync(join(dir, 'logs'))
  mkdirSync(join(dir, 'lua'))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  writeFileSync(join(dir, 'lua/probe.lua'), PROBE)
  writeFileSync(join(dir, 'lua/phase.lua'), PHASE)
  writeFileSync(join(dir, 'lua/cosock.lua'), COSOCK)
  writeFileSync(join(dir, 'lua/iw.lua'), 'require("phase")("iw")\n')
  writeFileSync(join(dir, 'lua/badsyn.lua'), 'x = = 1\n')
  writeFileSync(join(dir, 'lua/moderr.lua'), 'error("mod boom")\n')
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(base + path, init)
  return { status: res.status, body: await res.text() }
}

const errorLog = (): string => readFileSync(join(dir, 'logs/error.log'), 'utf8')

/** LuaJIT names a function '?' when pcall calls it; nresty names it (the README lists this). */
const unnamed = (s: string): string => s.replace(/bad argument #(\d+) to '[^']*'/g, "bad argument #$1 to '?'").replace(/table: 0x[0-9a-f]+/g, 'table')

describe('the ngx API from Lua, when called wrongly', () => {
  it('answers argument errors, cosocket failures and shared dict results as ngx_lua', async () => {
    const r = await get('/probe?a=1&a=2', { method: 'POST', body: 'x=1' })
    expect(r.status).toBe(200)
    expect(unnamed(r.body).split('\n')).toEqual([
      'false|attempt to pass 0 arguments, but accepted 1',
      "false|bad argument #1 to '?' (number expected, got string)",
      'false|invalid sleep duration "-1000"',
      'false|attempt to pass 2 arguments, but accepted 1',
      '12atrue',
      'true|1',
      '1',
      'true|1',
      "false|bad argument #1 to '?' (non-array table found)",
      "false|bad argument #1 to '?' (number expected, got no value)",
      "false|bad argument #1 to '?' (number expected, got string)",
      'false|expecting one or two arguments',
      'false|expecting at least 2 arguments but got 0',
      'false|expecting at least 2 arguments but got 1',
      "false|bad argument #2 to '?' (Lua function expected)",
      "false|bad argument #1 to '?' (number expected, got string)",
      "false|bad argument #1 to '?' (Lua function expected)",
      "false|bad argument #1 to '?' (Lua function expected)",
      'false|at least one coroutine should be specified',
      "false|bad argument #1 to '?' (lua thread expected)",
      'false|ngx.socket connect: expecting 2, 3, or 4 arguments (including the object), but seen 1',
      'true|nil|connection refused',
      'true|nil|closed',
      'true|nil|closed',
      'true|nil|closed',
      'true|nil|closed',
      'true|nil|missing the port number',
      'true|nil|no such file or directory',
      'true|nil|connection refused',
      'false|expecting 2 arguments (including the object), but got 1',
      'true|nil|closed',
      'true|nil|closed',
      'true|nil|closed',
      'true|nil|nil key',
      'true|nil|empty key',
      'true|nil|nil key',
      'true|nil|empty key',
      'true|nil|bad value type',
      'true|true|nil|false',
      'true|1.5|7',
      'true|1.5|7|false',
      'true|nil',
      'true|nil|not found',
      'true|true|nil|false',
      'true|nil|not a number',
      'true|1|nil|false',
      'true|false|not found|false',
      'true|false|exists|false',
      'true|true|nil|false',
      'true|true|nil|false',
      'true|nil|bad value type',
      'true|nil|bad value type',
      'true|nil',
      'true|0',
      'true|nil|value not a list',
      'true|0',
      'true|nil|not found',
      'true|table',
      'true|0',
      'true|nil',
      'false|bad "zone" argument',
      'false|bad "zone" argument',
      'true|table',
      'true|table|truncated',
      'false|no request body found; maybe you should turn on lua_need_request_body?',
      'false|unsupported HTTP method: 12345',
      'true|nil',
      'true|a=1&a=2&b',
      'true|',
      'true|nil',
      'false|expecting one or two arguments',
      'false|expecting one or two arguments, but got 0',
      expect.stringMatching(/^false\|(.*: )?ctx should be a table while getting a number$/),
      '',
    ])
  })

  it('disables APIs in phases that cannot use them', async () => {
    expect((await get('/lg')).body).toBe('x\n')
    await new Promise((ok) => setTimeout(ok, 100))
    const show = async (k: string): Promise<string[]> => unnamed((await get(`/show?k=${k}`)).body).split('\n')
    const disabled = (phase: string): string => `false|API disabled in the context of ${phase}_by_lua*`
    expect(await show('iw')).toEqual([
      'false|API disabled in the current context',
      'false|API disabled in the current context',
      'false|API disabled in the current context',
      ...Array<string>(4).fill(disabled('init_worker')),
      expect.stringMatching(/lua\/phase\.lua:12: API disabled in the current context$/),
      expect.stringMatching(/lua\/phase\.lua:13: API disabled in the current context$/),
      'true|table',
      '',
    ])
    expect(await show('hf')).toEqual([
      'true|GET', 'true|table', 'true|table',
      ...Array<string>(4).fill(disabled('header_filter')),
      'true|/lg', 'true|200', 'true|table', '',
    ])
    expect(await show('log')).toEqual([
      'true|GET', 'true|table', 'true|table',
      ...Array<string>(4).fill(disabled('log')),
      'true|/lg', 'true|200', 'true|table', '',
    ])
  })

  it('answers cosocket timeouts, closed peers and option errors as ngx_lua', async () => {
    expect(unnamed((await get('/cosock')).body).split('\n')).toEqual([
      'false|ngx.socket settimeout: expecting 2 arguments (including the object) but seen 1',
      'true',
      'true|1',
      'true|6',
      'true|nil|timeout|+PONG\r',
      '',
      'true|nil|unsupported option nosuchopt',
      'true|6',
      'true|+PONG\r',
      '',
      'true|6',
      'true|nil|closed|+OK\r',
      '',
      'true|1',
      'true|nil|timeout',
      'false|ngx.socket settimeout: expecting at least 2 arguments (including the object) but seen 1',
      'true|1',
      'true|1',
      'true|nil|connection refused',
      'true|1',
      'true|1',
      'true|true',
      'true|nil|already waited or killed',
      '',
    ])
  })

  it('binds captures, set variables, header clearing, capture_multi and ngx.arg', async () => {
    const res = await fetch(`${base}/cap/abc`)
    expect(res.headers.has('x-gone')).toBe(false)
    expect(await res.text()).toMatch(new RegExp('^' + [
      'abc init userdata: NULL nil',
      'false nil',
      `falsecontent_by_lua\\(nginx\\.conf:\\d+\\):6: variable "nosuch" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set \\$nosuch '';" in the config file to define it first`,
      '200 nil',
      '200 nil',
      '',
      'falseexpecting one or two arguments, but got 3',
      '\\[nil\\]$',
    ].join('\n')))
  })

  it('raises a bad send argument with its type', async () => {
    expect((await get('/redis')).body).toBe("1\nfalsebad argument #1 to 'send' (string, number, boolean, nil, or array table expected, got function)\n1\n")
  })
})

describe('failing Lua code', () => {
  it('fails require of a module with a syntax error or a runtime error', async () => {
    const r = await get('/mods')
    expect(r.body).toBe(`falseerror loading module 'badsyn' from file '${dir}/lua/badsyn.lua':\n\t${dir}/lua/badsyn.lua:1: unexpected symbol near '='\nfalse${dir}/lua/moderr.lua:1: mod boom\n`)
  })

  it('answers 500 for a _file with a syntax error, 404 for a missing one', async () => {
    expect((await get('/syn')).status).toBe(500)
    expect((await get('/nofile')).status).toBe(404)
    expect(errorLog()).toContain(`failed to load external Lua file "${dir}/lua/badsyn.lua": ${dir}/lua/badsyn.lua:1: unexpected symbol near '='`)
    expect(errorLog()).toContain(`failed to load external Lua file "${dir}/lua/nofile.lua": cannot open ${dir}/lua/nofile.lua: No such file or directory`)
  })

  it('logs a body filter error and ends the response', async () => {
    await expect(get('/bf')).rejects.toThrow()
    expect(errorLog()).toMatch(/failed to run body_filter_by_lua\*: body_filter_by_lua\(nginx\.conf:\d+\):1: bf\nstack traceback:\n\t\[C\]: in function 'error'\n/)
  })

  it('ends the response after the header when the handler fails late', async () => {
    // The header went out: the status stays 200 and the chunked body ends without its last chunk.
    const res = await fetch(`${base}/late`)
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
    expect(errorLog()).toMatch(/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):1: late\nstack traceback:\ncoroutine 0:\n/)
  })

  it('logs an error of a timer function', async () => {
    expect((await get('/timer')).body).toBe('ok\n')
    await new Promise((ok) => setTimeout(ok, 100))
    expect(errorLog()).toMatch(/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: tm boom\nstack traceback:\ncoroutine 0:\n/)
  })
})

describe('conf errors', () => {
  const load = (http: string): (() => unknown) => {
    const d = mkdtempSync(join(tmpdir(), 'nresty-lua-conf-'))
    mkdirSync(join(d, 'conf'))
    mkdirSync(join(d, 'logs'))
    writeFileSync(join(d, 'conf/nginx.conf'), `events {}\nhttp {\n${http}\n}\n`)
    return () => loadConfGateway('conf/nginx.conf', d)
  }

  it('refuses lua_code_cache and lua_need_request_body values other than on and off', () => {
    expect(load('lua_code_cache maybe;')).toThrow(/invalid value "maybe" in "lua_code_cache" directive, it must be "on" or "off"/)
    expect(load('lua_need_request_body 1;')).toThrow(/invalid value "1" in "lua_need_request_body" directive, it must be "on" or "off"/)
  })

  it('fails the start when init_by_lua fails', async () => {
    const port = await freePort()
    const d = mkdtempSync(join(tmpdir(), 'nresty-lua-init-'))
    mkdirSync(join(d, 'conf'))
    mkdirSync(join(d, 'logs'))
    writeFileSync(join(d, 'conf/nginx.conf'), `events {}\nhttp {\n init_by_lua_block { error("init boom") }\n server { listen 127.0.0.1:${port}; }\n}\n`)
    const conf = loadConfGateway('conf/nginx.conf', d)
    await expect(startServer(conf.gateway, { prefix: `${d}/` })).rejects.toThrow(/init boom/)
  })
})
