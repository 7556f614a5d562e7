// balancer_by_lua_block / _file and ngx.balancer, in process: an upstream whose balancer picks a
// node:http backend or a dead port per request (the expectations were measured on the
// reference OpenResty: Debian nginx 1.22.1 + ngx_lua 0.10.23 + lua-resty-core 0.1.25).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfGateway, startServer } from '@nresty/core'
import type { RunningServer } from '@nresty/core'
import '@nresty/lua'
import { freePort } from './helpers.ts'

const CONF = String.raw`
worker_processes 1;
error_log logs/error.log info;
events { worker_connections 64; }
http {
    lua_package_path "$prefix/lua/?.lua;;";
    access_log off;
    upstream backend {
        server 0.0.0.1;
        balancer_by_lua_block {
            require("probe")[ngx.var.arg_t]()
        }
    }
    upstream limited {
        server 0.0.0.1;
        balancer_by_lua_block { require("probe")[ngx.var.arg_t]() }
    }
    upstream failing {
        server 0.0.0.1;
        balancer_by_lua_block {
            local x = nil
            x.y = 1
        }
    }
    upstream filebal {
        server 0.0.0.1;
        balancer_by_lua_file lua/bal.lua;
    }
    upstream missing {
        server 127.0.0.1:BACKEND;
        balancer_by_lua_file lua/nonexist.lua;
    }
    upstream syntax {
        server 0.0.0.1;
        balancer_by_lua_block { local = 1 }
    }
    server {
        listen 127.0.0.1:PORT;
        location /t {
            set $bal '';
            access_by_lua_block { ngx.ctx.from_access = "yes" }
            add_header X-Bal $bal;
            proxy_pass http://backend/back;
        }
        location /n { proxy_next_upstream error http_503; proxy_pass http://backend/fail; }
        location /l { proxy_next_upstream_tries 2; proxy_pass http://limited/back; }
        location /to { proxy_pass http://backend/slow; }
        location /e { proxy_pass http://failing/back; }
        location /f { proxy_pass http://filebal/back; }
        location /m { proxy_pass http://missing/back; }
        location /s { proxy_pass http://syntax/back; }
        location /c {
            content_by_lua_block {
                local b = require "ngx.balancer"
                ngx.say(b.set_current_peer("127.0.0.1", 80))
                ngx.say(b.set_more_tries(1))
                ngx.say(b.get_last_failure())
                ngx.say(b.set_timeouts(1, 1, 1))
                ngx.say(b.recreate_request())
                ngx.say(b.version)
            }
        }
    }
}
`

const PROBE = String.raw`
local b = require "ngx.balancer"
local BACKEND, DEAD = BACKEND_PORT, DEAD_PORT
local function log(...) ngx.log(ngx.WARN, "probe: ", ...) end
local function all(...)
    local t = {}
    for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
    return table.concat(t, " ")
end
local _M = {}
function _M.basic()
    ngx.var.bal = ngx.get_phase() .. " " .. tostring(ngx.ctx.from_access) .. " " .. ngx.var.uri .. " " .. ngx.var.arg_t
    assert(b.set_current_peer("127.0.0.1", BACKEND))
end
function _M.hostport() assert(b.set_current_peer("127.0.0.1:" .. BACKEND)) end
function _M.strport() assert(b.set_current_peer("127.0.0.1", tostring(BACKEND))) end
function _M.retry()
    log("last failure: ", all(b.get_last_failure()))
    ngx.ctx.n = (ngx.ctx.n or 0) + 1
    if ngx.ctx.n == 1 then
        log("more tries: ", all(b.set_more_tries(tonumber(ngx.var.arg_more))))
        assert(b.set_current_peer("127.0.0.1", DEAD))
    elseif ngx.var.arg_dead2 and ngx.ctx.n == 2 then
        assert(b.set_current_peer("127.0.0.1", DEAD))
    else
        assert(b.set_current_peer("127.0.0.1", BACKEND))
    end
end
function _M.next()
    log("last failure: ", all(b.get_last_failure()))
    ngx.ctx.n = (ngx.ctx.n or 0) + 1
    if ngx.ctx.n == 1 then b.set_more_tries(1) end
    assert(b.set_current_peer("127.0.0.1", BACKEND))
end
function _M.args()
    local cases = {
        function() return b.set_current_peer() end,
        function() return b.set_current_peer(1, BACKEND) end,
        function() return b.set_current_peer("127.0.0.1", "x") end,
        function() return b.set_current_peer("localhost", BACKEND) end,
        function() return b.set_more_tries() end,
        function() return b.set_more_tries("1") end,
        function() return b.set_timeouts() end,
        function() b.set_timeouts(0, 1, 1) end,
        function() b.set_timeouts(1, -1, 1) end,
        function() b.set_timeouts(1, 1, "x") end,
        function() return b.get_last_failure() end,
        function() return b.recreate_request() end,
    }
    for i, f in ipairs(cases) do log(i, ": ", all(pcall(f))) end
    assert(b.set_current_peer("127.0.0.1", BACKEND))
end
function _M.disabled()
    log("sleep: ", all(pcall(ngx.sleep, 0.001)))
    log("say: ", all(pcall(ngx.say, "x")))
    log("exec: ", all(pcall(ngx.exec, "/back")))
    assert(b.set_current_peer("127.0.0.1", BACKEND))
end
function _M.sleep() ngx.sleep(0.001) end
function _M.err() error("boom") end
function _M.exit403() assert(b.set_current_peer("127.0.0.1", BACKEND)) ngx.exit(403) end
function _M.exiterr() ngx.exit(ngx.ERROR) end
function _M.exitok() assert(b.set_current_peer("127.0.0.1", BACKEND)) ngx.exit(ngx.OK) end
function _M.timeouts()
    log("set_timeouts: ", all(b.set_timeouts(nil, nil, tonumber(ngx.var.arg_read))))
    assert(b.set_current_peer("127.0.0.1", BACKEND))
end
return _M
`

let dir: string
let server: RunningServer
let backend: Server
let base: string
let backendPort: number

beforeAll(async () => {
  backend = createServer((req, res) => {
    if (req.url!.startsWith('/slow')) {
      setTimeout(() => res.end('slow\n'), 1500)
      return
    }
    if (req.url!.startsWith('/fail')) {
      res.statusCode = 503
      res.end('unavailable\n')
      return
    }
    res.end(`backend ${req.method} ${req.url} host=${req.headers.host}\n`)
  })
  await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok))
  backendPort = (backend.address() as { port: number }).port
  const dead = await freePort()
  dir = mkdtempSync(join(tmpdir(), 'nresty-balancer-'))
  for (const d of ['conf', 'logs', 'lua']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())).replace('BACKEND', String(backendPort)))
  writeFileSync(join(dir, 'lua/probe.lua'), PROBE.replace('BACKEND_PORT', String(backendPort)).replace('DEAD_PORT', String(dead)))
  writeFileSync(join(dir, 'lua/bal.lua'), `local b = require "ngx.balancer"\nlocal x\nif ngx.var.arg_err then x.y = 1 end\nassert(b.set_current_peer("127.0.0.1", ${backendPort}))\n`)
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
  await new Promise((ok) => backend?.close(ok))
})

let logMark = 0
/** The error log written since the last call. */
function newLog(): string {
  const all = readFileSync(join(dir, 'logs/error.log'), 'utf8')
  const text = all.slice(logMark)
  logMark = all.length
  return text
}

async function get(path: string): Promise<{ status: number; body: string; headers: Headers; log: string }> {
  newLog()
  const res = await fetch(base + path)
  const body = await res.text()
  // the log line of a proxied request comes after the answer at most a tick later
  await new Promise((ok) => setTimeout(ok, 20))
  return { status: res.status, body, headers: res.headers, log: newLog() }
}

/** The probe lines of a log, without the context nginx adds. */
const probes = (log: string): string[] =>
  [...log.matchAll(/probe: (.*?)(?:,| while) /g)].map((m) => m[1]!)

describe('balancer_by_lua_block', () => {
  it('picks the peer in the balancer phase, with ngx.ctx and ngx.var of the request', async () => {
    const r = await get('/t?t=basic')
    expect(r.status).toBe(200)
    expect(r.body).toBe(`backend GET /back?t=basic host=backend\n`)
    expect(r.headers.get('x-bal')).toBe('balancer yes /t basic')
  })

  it('takes "addr:port" in one string, and a port as a string', async () => {
    expect((await get('/t?t=hostport')).body).toBe('backend GET /back?t=hostport host=backend\n')
    expect((await get('/t?t=strport')).body).toBe('backend GET /back?t=strport host=backend\n')
  })

  it('runs before each try: set_more_tries and get_last_failure across a refused peer', async () => {
    const r = await get('/t?t=retry&more=1')
    expect(r.status).toBe(200)
    expect(r.body).toBe('backend GET /back?t=retry&more=1 host=backend\n')
    expect(probes(r.log)).toEqual(['last failure: nil', 'more tries: true', 'last failure: failed 502'])
    expect(r.log).toContain('connect() failed (111: Connection refused) while connecting to upstream')
  })

  it('ends with 502 when the tries it allowed all fail', async () => {
    const r = await get('/t?t=retry&more=1&dead2=1')
    expect(r.status).toBe(502)
    expect(probes(r.log)).toEqual(['last failure: nil', 'more tries: true', 'last failure: failed 502'])
    expect(r.log.match(/Connection refused/g)).toHaveLength(2)
  })

  it('reports "reduced tries due to limit" under proxy_next_upstream_tries', async () => {
    const r = await get('/l?t=retry&more=5')
    expect(r.status).toBe(200)
    expect(probes(r.log)).toEqual(['last failure: nil', 'more tries: true reduced tries due to limit', 'last failure: failed 502'])
  })

  it('without more tries a refused peer is the answer', async () => {
    const r = await get('/l?t=retry&more=0')
    expect(r.status).toBe(502)
    expect(probes(r.log)).toEqual(['last failure: nil', 'more tries: true'])
  })

  it('answers argument errors and refusals as lua-resty-core does', async () => {
    const r = await get('/t?t=args')
    expect(r.status).toBe(200)
    const lines = probes(r.log)
    expect(lines[0]).toMatch(/^1: false .*attempt to get length of local 'addr' \(a nil value\)$/)
    expect(lines[1]).toMatch(/^2: false .*attempt to get length of local 'addr' \(a number value\)$/)
    expect(lines[2]).toMatch(/^3: false .*bad argument #4 to 'ngx_lua_ffi_balancer_set_current_peer' \(cannot convert 'nil' to 'int'\)$/)
    expect(lines[3]).toBe('4: true nil no host allowed')
    expect(lines[4]).toMatch(/^5: false .*bad argument #2 to 'ngx_lua_ffi_balancer_set_more_tries' \(cannot convert 'nil' to 'int'\)$/)
    expect(lines[5]).toMatch(/^6: false .*bad argument #2 to 'ngx_lua_ffi_balancer_set_more_tries' \(cannot convert 'string' to 'int'\)$/)
    expect(lines[6]).toBe('7: true true')
    // error(msg, 2): the position of the caller
    expect(lines[7]).toMatch(/^8: false \S*probe\.lua:\d+: bad connect timeout$/)
    expect(lines[8]).toMatch(/^9: false \S*probe\.lua:\d+: bad send timeout$/)
    expect(lines[9]).toMatch(/^10: false \S*probe\.lua:\d+: bad read timeout$/)
    expect(lines[10]).toBe('11: true nil')
    expect(lines[11]).toBe('12: true true')
  })

  it('refuses the APIs that ngx_lua disables there', async () => {
    const r = await get('/t?t=disabled')
    expect(r.status).toBe(200)
    expect(probes(r.log)).toEqual([
      'sleep: false API disabled in the context of balancer_by_lua*',
      'say: false API disabled in the context of balancer_by_lua*',
      'exec: false API disabled in the context of balancer_by_lua*',
    ])
  })

  it('fails the request with 500 and ngx_lua\'s line when the code fails', async () => {
    const r = await get('/e')
    expect(r.status).toBe(500)
    expect(r.log).toContain("[error]")
    expect(r.log).toContain("failed to run balancer_by_lua*: balancer_by_lua(nginx.conf:20):3: attempt to index local 'x' (a nil value)\nstack traceback:\n\tbalancer_by_lua(nginx.conf:20):3: in main chunk")
    expect(r.log).not.toContain('balancer handler aborted')
  })

  it('a yielding API is a failure of the handler', async () => {
    const r = await get('/t?t=sleep')
    expect(r.status).toBe(500)
    expect(r.log).toMatch(/failed to run balancer_by_lua\*: .*probe\.lua:\d+: API disabled in the context of balancer_by_lua\*/)
  })

  it('error() in a module: the message and the traceback through the chunk', async () => {
    const r = await get('/t?t=err')
    expect(r.status).toBe(500)
    expect(r.log).toMatch(/failed to run balancer_by_lua\*: .*probe\.lua:\d+: boom\nstack traceback:\n/)
    expect(r.log).toContain('balancer_by_lua(nginx.conf:10):2: in main chunk')
  })

  it('ngx.exit: ngx.OK goes on with the peer; any other status is 500, without a log line', async () => {
    expect((await get('/t?t=exitok')).status).toBe(200)
    for (const t of ['exit403', 'exiterr']) {
      const r = await get(`/t?t=${t}`)
      expect(r.status).toBe(500)
      expect(r.log).not.toContain('[error]')
    }
  })

  // (undici's timers are coarse below a second: the backend takes 1.5 s)
  it('set_timeouts applies to the try', async () => {
    const slow = await get('/to?t=timeouts&read=0.1')
    expect(slow.status).toBe(504)
    expect(probes(slow.log)).toEqual(['set_timeouts: true'])
    expect(slow.log).toContain('upstream timed out (110: Connection timed out) while reading response header from upstream')
    const ok = await get('/to?t=timeouts&read=3')
    expect(ok).toMatchObject({ status: 200, body: 'slow\n' })
  })

  it('get_last_failure says "failed" for a 5xx answer passed to the next try', async () => {
    const r = await get('/n?t=next')
    expect(r.status).toBe(503)
    expect(probes(r.log)).toEqual(['last failure: nil', 'last failure: failed 503'])
  })

  it('inlined code that does not compile: ngx_lua\'s line and 500', async () => {
    const r = await get('/s')
    expect(r.status).toBe(500)
    // (LuaJIT quotes the token: '<name>' expected near '=')
    expect(r.log).toMatch(/failed to load inlined Lua code: balancer_by_lua\(nginx\.conf:35\):1: '?<name>'? expected near '='/)
  })
})

describe('balancer_by_lua_file', () => {
  it('runs the file, with its path as the chunk name', async () => {
    expect(await get('/f')).toMatchObject({ status: 200, body: 'backend GET /back host=filebal\n' })
    const r = await get('/f?err=1')
    expect(r.status).toBe(500)
    expect(r.log).toContain(`failed to run balancer_by_lua*: ${dir}/lua/bal.lua:3: attempt to index local 'x' (a nil value)`)
  })

  it('a missing file is logged and the try goes to the upstream\'s servers', async () => {
    const r = await get('/m')
    expect(r).toMatchObject({ status: 200, body: 'backend GET /back host=missing\n' })
    expect(r.log).toContain(`failed to load external Lua file "${dir}/lua/nonexist.lua": cannot open ${dir}/lua/nonexist.lua: No such file or directory`)
  })
})

describe('ngx.balancer outside the balancer phase', () => {
  it('answers nil and an error (set_timeouts: false)', async () => {
    const r = await get('/c')
    expect(r.status).toBe(200)
    const lines = r.body.split('\n')
    // The reference says "no upstream found" for a request that has no upstream (core's
    // wording here is its phase check's)
    const err = lines[0]!.slice(3)
    expect(['no upstream found', 'API disabled in the current context']).toContain(err)
    expect(lines).toEqual([`nil${err}`, `nil${err}`, `nilnil${err}`, `false${err}`, `nil${err}`, '0.1.25', ''])
  })
})

describe('directives', () => {
  function load(http: string): () => unknown {
    const d = mkdtempSync(join(tmpdir(), 'nresty-balancer-conf-'))
    mkdirSync(join(d, 'conf'))
    writeFileSync(join(d, 'conf/nginx.conf'), `events {}\nhttp {\n${http}\n}\n`)
    return () => loadConfGateway('conf/nginx.conf', d)
  }

  it('a second balancer in one upstream is a duplicate, worded as ngx_lua words it', () => {
    expect(load('upstream u { server 127.0.0.1; balancer_by_lua_block { } balancer_by_lua_block { } }')).toThrow(/\[emerg\] is duplicate in .*nginx\.conf:3$/)
    expect(load('upstream u { server 127.0.0.1; balancer_by_lua_file x.lua; balancer_by_lua_block { } }')).toThrow(/\[emerg\] is duplicate in /)
    expect(load('upstream u { server 127.0.0.1; balancer_by_lua_block { } balancer_by_lua_file x.lua; }')).toThrow(/\[emerg\] "balancer_by_lua_file" directive is duplicate in /)
  })

  it('is allowed in upstream blocks only', () => {
    expect(load('server { balancer_by_lua_block { } }')).toThrow(/\[emerg\] "balancer_by_lua_block" directive is not allowed here in /)
    expect(load('balancer_by_lua_file x.lua;')).toThrow(/\[emerg\] "balancer_by_lua_file" directive is not allowed here in /)
  })

  it('takes no "backup" servers after it', () => {
    expect(load('upstream u { balancer_by_lua_block { } server 127.0.0.1 backup; server 127.0.0.2; }')).toThrow(/\[emerg\] balancing method does not support parameter "backup" in /)
  })
})
