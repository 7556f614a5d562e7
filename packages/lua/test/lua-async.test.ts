// Lua cosockets (against the real Redis), timers that push data after the response, light
// threads, and cjson, through an nginx.conf served by startServer.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
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
    lua_shared_dict store 1m;
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location = /redis {
            content_by_lua_block {
                local sock = ngx.socket.tcp()
                sock:settimeout(2000)
                local ok, err = sock:connect("127.0.0.1", 6379)
                if not ok then ngx.say("connect: ", err) return end
                ngx.say(sock:send("PING\r\n"))
                ngx.say(sock:receive())
                local ok2 = pcall(function()
                    sock:send({"ECHO", " ", "abc", "\r\n"})
                    ngx.say(sock:receive("*l"), " ", sock:receive(5))
                end)
                ngx.say(sock:setkeepalive(1000, 10))
                local bad = ngx.socket.tcp()
                bad:settimeout(500)
                ngx.say(bad:connect("127.0.0.1", 1))
            }
        }
        location = /timer {
            content_by_lua_block {
                local ok, err = ngx.timer.at(0.05, function(premature, key, n)
                    ngx.shared.store:set(key, n * 2)
                end, "later", 21)
                ngx.say(ok, " ", err, " ", ngx.shared.store:get("later"))
            }
        }
        location = /later { content_by_lua_block { ngx.say(ngx.shared.store:get("later")) } }
        location = /thread {
            content_by_lua_block {
                local t1 = ngx.thread.spawn(function(a) ngx.sleep(0.02) return a, "x" end, 5)
                local t2 = ngx.thread.spawn(function() return "fast" end)
                ngx.say(ngx.thread.wait(t1))
                ngx.say(ngx.thread.wait(t2))
            }
        }
        location = /api {
            content_by_lua_block {
                ngx.header["X-B"] = { "1", "2" }
                ngx.resp.add_header("X-C", "c")
                local h = ngx.resp.get_headers()
                local hb = h["X-B"][2] .. " " .. h.x_c .. " " .. ngx.status .. " " .. tostring(ngx.headers_sent)
                local d = ngx.shared.store
                d:flush_all()
                ngx.say(d:safe_add("a", "x", 0, 5), " ", d:replace("a", "y"), " ", d:get("a"))
                ngx.say(d:rpush("l", "p"), d:lpush("l", "q"), d:llen("l"), d:lpop("l"), d:rpop("l"), d:lpop("l"))
                ngx.say(d:expire("a", 10), " ", d:ttl("a") > 9, " ", d:ttl("zz"))
                ngx.say(#d:get_keys(), " ", d:flush_expired(), " ", d:capacity(), " ", d:free_space() > 0)
                ngx.say(d:delete("a"), " ", d:get("a"), " ", d:incr("c", 1, 10), " ", d:get_stale("c"))
                ngx.say(d:set("b", true), d:get("b"), d:lpush("b", 1))
                ngx.say(pcall(d.expire, d, "c"))
                ngx.say(ngx.md5_bin("a") == ngx.decode_base64("DMF1ucDxtqgxw5niaXcmYQ=="), " ", #ngx.sha1_bin("a"), " ", #ngx.hmac_sha1("k", "a"))
                ngx.say(ngx.crc32_long("abc"), " ", ngx.parse_http_time("Thu, 01 Jan 1970 00:00:10 GMT"), " ", ngx.decode_args("a=1&b=2").b)
                ngx.say(#ngx.utctime(), " ", ngx.req.start_time() > 0, " ", ngx.req.is_internal(), " ", ngx.req.get_post_args ~= nil)
                ngx.update_time()
                ngx.req.set_header("X-A", "1")
                ngx.say(ngx.req.get_headers()["x-a"], " ", ngx.req.raw_header(true):find("X-A: 1") ~= nil)
                ngx.req.clear_header("X-A")
                ngx.say(ngx.req.get_headers()["x-a"], " ", ngx.req.get_uri_args().q)
                ngx.req.set_uri_args({ q = "z" })
                ngx.say(ngx.var.args, " ", ngx.is_subrequest, " ", ngx.headers_sent, " ", ngx.status)
                ngx.say(hb)
                ngx.ctx = { n = 1 }
                ngx.say(ngx.ctx.n, " ", ngx.config.prefix() ~= nil, " ", ngx.config.nginx_version, " ", ngx.worker.exiting())
                ngx.say(ngx.timer.running_count(), " ", ngx.timer.pending_count(), " ", pcall(ngx.timer.every, 0, function() end))
                local t = ngx.thread.spawn(function() ngx.sleep(1) end)
                ngx.say(ngx.thread.kill(t))
                ngx.say(ngx.flush(true), ngx.flush())
                local u = ngx.socket.udp()
                u:settimeout(500)
                ngx.say(u:setpeername("127.0.0.1", 6379), u:send("x"), u:close())
                local s, err = ngx.socket.connect("127.0.0.1", 6379, { pool = "api-test" })
                local it = s:receiveuntil("\r\n")
                s:send("PING\r\n")
                ngx.say(it(), " ", s:getreusedtimes(), " ", s:setoption("keepalive", true))
                s:settimeouts(100, 100, 100)
                ngx.say(s:receive(1))
                ngx.say(s:close(), s:close())
                ngx.eof()
            }
        }
        location = /json {
            content_by_lua_block {
                local cjson = require "cjson"
                local safe = require "cjson.safe"
                ngx.say(cjson.encode({ a = 10/2, b = { 1, 2, "x/y" }, c = cjson.null, d = {} }))
                ngx.say(cjson.encode(cjson.empty_array), " ", cjson.encode({}))
                local t = cjson.decode('{"k":[1,2,null],"s":"v"}')
                ngx.say(t.k[1] + t.k[2], " ", t.k[3] == cjson.null, " ", t.k[3] == ngx.null, " ", t.s)
                ngx.say(safe.decode("{bad"))
                ngx.say(pcall(cjson.decode, ""))
                cjson.encode_empty_table_as_object(false)
                ngx.say(cjson.encode({}))
            }
        }
    }
}
`

let server: RunningServer
let base: string

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-lua-async-'))
  mkdirSync(join(dir, 'conf'))
  mkdirSync(join(dir, 'logs'))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

const get = async (path: string): Promise<string> => (await fetch(base + path)).text()

describe('async ngx APIs from Lua', () => {
  it('talks to Redis over a cosocket', async () => {
    expect(await get('/redis')).toBe('6\n+PONG\n$3 abc\r\n\n1\nnilconnection refused\n')
  })

  it('runs a timer after the response', async () => {
    expect(await get('/timer')).toBe('1 nil nil\n')
    await new Promise((ok) => setTimeout(ok, 200))
    expect(await get('/later')).toBe('42\n')
  })

  it('spawns and waits for light threads', async () => {
    expect(await get('/thread')).toBe('true5x\ntruefast\n')
  })

  it('binds the rest of the ngx API', async () => {
    const res = await fetch(`${base}/api?q=1`)
    expect(res.headers.get('x-b')).toBe('1, 2')
    expect((await res.text()).split('\n')).toEqual([
      'true true y',
      '122qpnil',
      'true true nilnot found',
      '1 0 1048576 true',
      'true nil 11 11nilfalse',
      'truetruenilvalue not a list',
      'falsebad "exptime" argument',
      'true 20 20',
      '891568578 10 2',
      '19 true false true',
      '1 false',
      'nil 1',
      'q=z false true 200',
      '2 c 0 false',
      '1 true 1022001 false',
      '0 0 falsedelay cannot be zero',
      '1',
      '11',
      '111',
      '+PONG 0 true',
      'niltimeout',
      '1nilclosed',
      '',
    ])
  })

  it('has lua-cjson', async () => {
    const body = await get('/json')
    const lines = body.split('\n')
    expect(JSON.parse(lines[0]!)).toEqual({ a: 5, b: [1, 2, 'x/y'], c: null, d: {} })
    expect(lines[0]).toContain('"x\\/y"')
    expect(lines.slice(1)).toEqual([
      '[] {}', '3 true true v', 'nilExpected value but found invalid token at character 2',
      'falseExpected value but found T_END at character 1', '[]', '',
    ])
  })
})
