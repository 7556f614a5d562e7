// resty.limit.req / conn / count from Lua, as OpenResty users write them: access_by_lua_block
// limiting, log_by_lua_block leaving. Served by @nresty/lua, which finds this package's `lua`
// entry on the first require.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfGateway, startServer } from '@nresty/core'
import type { RunningServer } from '@nresty/core'
import '@nresty/lua'
import { freePort } from '../../lua/test/helpers.ts'

const CONF = String.raw`
worker_processes 1;
error_log logs/error.log notice;
events { worker_connections 256; }
http {
    lua_shared_dict my_limit_req_store 1m;
    lua_shared_dict my_limit_conn_store 1m;
    lua_shared_dict my_limit_count_store 1m;
    lua_shared_dict stats 1m;
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location = /req {
            access_by_lua_block {
                local limit_req = require "resty.limit.req"
                local lim, err = limit_req.new("my_limit_req_store", 5, 0)
                if not lim then ngx.log(ngx.ERR, "failed to instantiate: ", err) return ngx.exit(500) end
                local delay, err = lim:incoming("client", true)
                if not delay then
                    if err == "rejected" then return ngx.exit(503) end
                    ngx.log(ngx.ERR, "failed to limit req: ", err)
                    return ngx.exit(500)
                end
                if delay >= 0.001 then ngx.sleep(delay) end
            }
            content_by_lua_block { ngx.say("ok") }
        }
        location = /conn {
            access_by_lua_block {
                local limit_conn = require "resty.limit.conn"
                local lim = limit_conn.new("my_limit_conn_store", 2, 1, 0.05)
                local delay, err = lim:incoming("client", true)
                if not delay then
                    if err == "rejected" then return ngx.exit(503) end
                    return ngx.exit(500)
                end
                if lim:is_committed() then
                    ngx.ctx.limit_conn = lim
                    ngx.ctx.limit_conn_key = "client"
                end
                if delay >= 0.001 then ngx.sleep(delay) end
            }
            content_by_lua_block {
                local stats = ngx.shared.stats
                local now = stats:incr("active", 1, 0)
                local max = stats:get("max") or 0
                if now > max then stats:set("max", now) end
                ngx.sleep(0.1)
                stats:incr("active", -1)
                ngx.say("ok")
            }
            log_by_lua_block {
                local lim = ngx.ctx.limit_conn
                if lim then
                    local conn, err = lim:leaving(ngx.ctx.limit_conn_key, tonumber(ngx.var.request_time))
                    if not conn then ngx.log(ngx.ERR, "failed to record the connection leaving: ", err) end
                end
            }
        }
        location = /count {
            access_by_lua_block {
                local limit_count = require "resty.limit.count"
                local lim = limit_count.new("my_limit_count_store", 3, 60)
                local delay, remaining = lim:incoming("client", true)
                if not delay then return ngx.exit(429) end
                ngx.header["X-RateLimit-Remaining"] = remaining
            }
            content_by_lua_block { ngx.say("ok") }
        }
        location = /max {
            content_by_lua_block { ngx.say(ngx.shared.stats:get("max"), " ", ngx.shared.my_limit_conn_store:get("client")) }
        }
    }
}
`

let server: RunningServer | undefined
let base = ''

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-limit-lua-'))
  for (const d of ['conf', 'logs']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

describe('resty.limit.* from Lua', () => {
  it('limit.req with burst 0 admits the first of a burst and answers 503 to the rest', async () => {
    const statuses = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/req`).then((r) => r.status)))
    // 5 r/s: one every 200 ms; 10 requests sent at once arrive within far less than 200 ms
    expect(statuses.filter((s) => s === 200).length).toBe(1)
    expect(statuses.filter((s) => s === 503).length).toBe(9)
  })

  it('limit.conn never lets more than max + burst in at once; leaving in log_by_lua frees the slots', async () => {
    const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/conn`).then((r) => r.status)))
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3)
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(1)
    await new Promise((r) => setTimeout(r, 50))
    expect(await (await fetch(`${base}/max`)).text()).toMatch(/^[123] 0\n$/)
  })

  it('limit.count counts down the remaining requests, then 429', async () => {
    const r = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/count`)
      r.push(`${res.status}:${res.headers.get('x-ratelimit-remaining')}`)
    }
    expect(r).toEqual(['200:2', '200:1', '200:0', '429:null'])
  })
})
