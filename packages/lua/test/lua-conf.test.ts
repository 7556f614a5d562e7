// nginx.conf with *_by_lua* code served by startServer: the handlers, yields, numbers, the ngx
// table, per-request globals and error-log wording (checked against the reference OpenResty).
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
    lua_shared_dict dogs 1m;
    access_log off;
    init_by_lua_block { inited = "init" }
    init_worker_by_lua_block { ngx.shared.dogs:set("iw", ngx.get_phase()) }
    server {
        listen 127.0.0.1:PORT;
        server_rewrite_by_lua_block { ngx.ctx.sr = "sr" }
        location = /hello { content_by_lua_block { ngx.say("hello") } }
        location = /num {
            content_by_lua_block {
                ngx.say(10/2, " ", 2^53, " ", tostring(1e15), " ", math.huge, " ", string.format('%d', 2^40), " ", 2147483647 + 1)
                ngx.say(tostring(10/2) .. "|" .. string.format("%s", 3.0) .. "|" .. (os.time() * 1000 > 0 and "pos" or "neg"))
            }
        }
        location = /err {
            content_by_lua_block {
                local x = 1
                foo()
            }
        }
        location = /err2 { content_by_lua_block { error("boom") } }
        location = /glob { content_by_lua_block { ngx.say(tostring(g)); g = (g or 0) + 1 } }
        location = /mod {
            content_by_lua_block {
                local m = require "counter"
                ngx.say(m.incr(), " ", package.loaded.counter == m)
            }
        }
        location = /nomod { content_by_lua_block { require "nosuchmod" } }
        location = /sleep {
            content_by_lua_block {
                local ok, err = pcall(function()
                    ngx.sleep(0.01)
                    return "slept"
                end)
                ngx.say(ok, " ", err)
                local co = coroutine.wrap(function(a)
                    ngx.sleep(0.01)
                    local b = coroutine.yield(a + 1)
                    return b * 2
                end)
                ngx.say(co(1), " ", co(21))
            }
        }
        location = /body {
            content_by_lua_block {
                ngx.req.read_body()
                ngx.say("body: ", ngx.req.get_body_data(), " ", ngx.req.get_method())
            }
        }
        location = /sub { content_by_lua_block { ngx.print("sub:", ngx.var.arg_x) } }
        location = /capture {
            content_by_lua_block {
                local res = ngx.location.capture("/sub", { args = { x = "7" } })
                ngx.say(res.status, " ", res.body)
            }
        }
        location = /dict {
            content_by_lua_block {
                local d = ngx.shared.dogs
                ngx.say(d:set("a", 1, 0, 3))
                ngx.say(d:get("a"))
                ngx.say(d:incr("a", 2^40))
                ngx.say(d:incr("nope", 1))
                ngx.say(d:add("a", 2))
                ngx.say(d:get("missing"))
            }
        }
        location = /phases {
            rewrite_by_lua_block { ngx.ctx.seen = "rewrite" }
            access_by_lua_block {
                ngx.ctx.seen = ngx.ctx.seen .. ",access"
                if ngx.var.arg_deny then ngx.exit(403) end
            }
            content_by_lua_block {
                ngx.header["X-Seen"] = ngx.ctx.seen
                ngx.say(ngx.ctx.seen, ",content ", ngx.get_phase())
            }
            header_filter_by_lua_block { ngx.header["X-Filter"] = "yes" }
            body_filter_by_lua_block { if ngx.arg[1] then ngx.arg[1] = string.upper(ngx.arg[1]) end }
            log_by_lua_block { ngx.log(ngx.NOTICE, "logged ", ngx.ctx.seen) }
        }
        location = /exit {
            content_by_lua_block {
                pcall(function() ngx.say("before"); ngx.exit(200) end)
                ngx.say("not reached")
            }
        }
        location = /vars {
            content_by_lua_block {
                local args = ngx.req.get_uri_args()
                ngx.say(ngx.var.uri, " ", args.a, " ", ngx.req.get_headers()["X-Foo"], " ", ngx.req.get_headers().x_foo, " ", ngx.null == ngx.null)
                ngx.say(ngx.md5("a"), " ", ngx.encode_base64("hi"), " ", ngx.escape_uri("a b"), " ", #ngx.http_time(0))
            }
        }
        location = /needbody {
            lua_need_request_body on;
            content_by_lua_block { ngx.say(ngx.ctx.sr, " ", ngx.req.get_body_data()) }
        }
        location = /hferr {
            content_by_lua_block { ngx.say("x") }
            header_filter_by_lua_block { error("hf") }
        }
        location = /logerr {
            content_by_lua_block { ngx.say("x") }
            log_by_lua_block { error("lg") }
        }
        location = /file { content_by_lua_file lua/page.lua; }
        location = /nocache {
            lua_code_cache off;
            content_by_lua_file lua/page.lua;
        }
        location = /init { content_by_lua_block { ngx.say(inited, " ", ngx.shared.dogs:get("iw")) } }
        location = /shims {
            content_by_lua_block {
                local bit = require "bit"
                local new_tab = require "table.new"
                require "resty.core"
                ngx.say(unpack({1, 2}), " ", bit.band(0xff, 0x0f), " ", bit.tobit(2^32 + 5), " ", bit.lshift(1, 31), " ", type(new_tab(4, 0)))
                ngx.say(collectgarbage("count") >= 0, " ", loadstring("return 3")(), " ", require("ngx.process").type())
                ngx.say(pcall(function() return require("ffi").cdef end))
            }
        }
    }
}
`

let dir: string
let server: RunningServer
let base: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nresty-lua-'))
  mkdirSync(join(dir, 'conf'))
  mkdirSync(join(dir, 'logs'))
  mkdirSync(join(dir, 'lua'))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  writeFileSync(join(dir, 'lua/counter.lua'), 'local M = {}\nlocal n = 0\nfunction M.incr() n = n + 1 return n end\nreturn M\n')
  writeFileSync(join(dir, 'lua/page.lua'), 'ngx.say("page ", 1)\n')
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(base + path, init)
  return { status: res.status, body: await res.text(), headers: res.headers }
}

const errorLog = (): string => readFileSync(join(dir, 'logs/error.log'), 'utf8')

describe('*_by_lua_block', () => {
  it('runs content_by_lua_block', async () => {
    expect(await get('/hello')).toMatchObject({ status: 200, body: 'hello\n' })
  })

  it('prints numbers as LuaJIT does, without 32-bit wrap', async () => {
    const r = await get('/num')
    expect(r.body).toBe('5 9.007199254741e+15 1e+15 inf 1099511627776 2147483648\n5|3|pos\n')
  })

  it('keeps globals per request and modules per worker', async () => {
    expect((await get('/glob')).body).toBe('nil\n')
    expect((await get('/glob')).body).toBe('nil\n')
    expect((await get('/mod')).body).toBe('1 true\n')
    expect((await get('/mod')).body).toBe('2 true\n')
  })

  it('reports runtime errors as ngx_lua does', async () => {
    expect((await get('/err')).status).toBe(500)
    expect((await get('/err2')).status).toBe(500)
    const log = errorLog()
    expect(log).toContain("lua entry thread aborted: runtime error: content_by_lua(nginx.conf:22):3: attempt to call global 'foo' (a nil value)\nstack traceback:\ncoroutine 0:\n")
    expect(log).toContain("lua entry thread aborted: runtime error: content_by_lua(nginx.conf:27):1: boom\nstack traceback:\ncoroutine 0:\n\t[C]: in function 'error'\n\tcontent_by_lua(nginx.conf:27):1: in main chunk, client: 127.0.0.1")
  })

  it('fails a missing module with the paths tried', async () => {
    expect((await get('/nomod')).status).toBe(500)
    expect(errorLog()).toContain(`module 'nosuchmod' not found:\n\tno field package.preload['nosuchmod']\n\tno file '${dir}/lua/nosuchmod.lua'`)
  })

  it('yields from pcall and nested coroutines', async () => {
    expect((await get('/sleep')).body).toBe('true slept\n2 42\n')
  })

  it('reads the body and captures subrequests', async () => {
    expect((await get('/body', { method: 'POST', body: 'abc' })).body).toBe('body: abc POST\n')
    expect((await get('/capture')).body).toBe('200 sub:7\n')
  })

  it('binds ngx.shared.DICT with ngx_lua returns', async () => {
    expect((await get('/dict')).body).toBe('truenilfalse\n13\n1099511627777\nnilnot found\nfalseexistsfalse\nnil\n')
  })

  it('runs every request phase with ngx.ctx', async () => {
    const r = await get('/phases')
    expect(r.body).toBe('REWRITE,ACCESS,CONTENT CONTENT\n')
    expect(r.headers.get('x-seen')).toBe('rewrite,access')
    expect(r.headers.get('x-filter')).toBe('yes')
    expect((await get('/phases?deny=1')).status).toBe(403)
    await new Promise((ok) => setTimeout(ok, 50))
    expect(errorLog()).toContain('logged rewrite,access')
  })

  it('ends the request on ngx.exit, even inside pcall', async () => {
    expect(await get('/exit')).toMatchObject({ status: 200, body: 'before\n' })
  })

  it('binds ngx.var, ngx.req and the helpers', async () => {
    const r = await get('/vars?a=1', { headers: { 'X-Foo': 'bar' } })
    expect(r.body).toBe('/vars 1 bar bar true\n0cc175b9c0f1b6a831c399e269772661 aGk= a%20b 29\n')
  })

  it('runs _file code, cached or read per request with lua_code_cache off', async () => {
    expect((await get('/file')).body).toBe('page 1\n')
    expect((await get('/nocache')).body).toBe('page 1\n')
    writeFileSync(join(dir, 'lua/page.lua'), 'ngx.say("page ", 2)\n')
    expect((await get('/file')).body).toBe('page 1\n')
    expect((await get('/nocache')).body).toBe('page 2\n')
  })

  it('reports filter and log errors as ngx_lua does', async () => {
    await expect(get('/hferr')).rejects.toThrow()
    expect((await get('/logerr')).body).toBe('x\n')
    await new Promise((ok) => setTimeout(ok, 50))
    expect(errorLog()).toMatch(/failed to run header_filter_by_lua\*: header_filter_by_lua\(nginx\.conf:\d+\):1: hf\nstack traceback:\n\t\[C\]: in function 'error'\n/)
    expect(errorLog()).toMatch(/failed to run log_by_lua\*: log_by_lua\(nginx\.conf:\d+\):1: lg\nstack traceback:\n/)
  })

  it('runs server_rewrite_by_lua and reads the body first with lua_need_request_body', async () => {
    expect((await get('/needbody', { method: 'POST', body: 'hello' })).body).toBe('sr hello\n')
    expect((await get('/needbody')).body).toBe('sr nil\n')
  })

  it('runs init_by_lua and init_worker_by_lua', async () => {
    expect((await get('/init')).body).toBe('init init_worker\n')
  })

  it('has the LuaJIT shims', async () => {
    const r = await get('/shims')
    expect(r.body).toMatch(/^1 15 5 -2147483648 table\ntrue 3 single\nfalse.*ffi is not available/)
  })
})
