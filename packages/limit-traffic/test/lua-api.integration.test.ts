// Every method and edge of the resty.limit.req / count / conn / traffic Lua bindings (src/lua.ts),
// in this process: nginx.conf + content_by_lua_block served by @nresty/lua. Each location prints
// all the values a call returns (`select('#', ...)` counts them), numbers rounded to 0.1, and
// limit.req's delays to whole seconds (it measures the milliseconds between calls).
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
events { worker_connections 64; }
http {
    lua_package_path "$prefix/lua/?.lua;;";
    lua_shared_dict req_store 1m;
    lua_shared_dict count_store 1m;
    lua_shared_dict conn_store 1m;
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location = /req {
            content_by_lua_block {
                local p = require "p"
                local limit_req = require "resty.limit.req"
                p(limit_req._VERSION)
                p(limit_req.new("nope", 1, 0))
                p(limit_req.new(nil, 1, 0))
                p(pcall(limit_req.new, "req_store", -1, 0))
                -- delays to whole seconds: limit.req counts the milliseconds between calls
                local function int(...)
                    local d, e = ...
                    if d then d = math.floor(d + 0.5) end
                    if select('#', ...) == 1 then return d end
                    return d, e
                end
                local lim = limit_req.new("req_store", 0.5, 2)
                p(lim:uncommit("none"))
                p(int(lim:incoming("k", false)))
                p(int(lim:incoming("k", true)))
                p(int(lim:incoming("k", true)))
                p(int(lim:incoming("k", true)))
                p(int(lim:incoming("k", true)))
                p(lim:uncommit("k"))
                p(int(lim:incoming("k", true)))
                lim:set_burst(5)
                p(int(lim:incoming("k", true)))
                lim:set_rate(0.25)
                p(int(lim:incoming("k")))
            }
        }
        location = /count {
            content_by_lua_block {
                local p = require "p"
                local limit_count = require "resty.limit.count"
                p(limit_count._VERSION)
                p(limit_count.new("nope", 2, 60))
                p(pcall(limit_count.new, "count_store", 0, 60))
                local lim = limit_count.new("count_store", 2, 60)
                p(lim:uncommit("none"))
                p(lim:incoming("c", false))
                p(lim:incoming("c", true))
                p(lim:incoming("c", true))
                p(lim:incoming("c", true))
                p(lim:uncommit("c"))
                p(lim:incoming("c", true))
                ngx.shared.count_store:set("s", "text")
                p(lim:incoming("s", true))
                p(lim:uncommit("s"))
            }
        }
        location = /conn {
            content_by_lua_block {
                local p = require "p"
                local limit_conn = require "resty.limit.conn"
                p(limit_conn._VERSION)
                p(limit_conn.new("nope", 1, 1, 0.5))
                p(pcall(limit_conn.new, "conn_store", 0, 1, 0.5))
                local lim = limit_conn.new("conn_store", 1, 1, 0.5)
                p(lim:is_committed())
                p(lim:incoming("x", false))
                p(lim:is_committed())
                p(lim:incoming("x", true))
                p(lim:is_committed())
                p(lim:incoming("x", true))
                p(lim:incoming("x", true))
                p(lim:uncommit("x"))
                p(lim:leaving("x", 0.1))
                p(lim:leaving("none"))
                p(lim:uncommit("none"))
                lim:set_conn(2)
                lim:set_burst(0)
                p(lim:incoming("y", true))
                p(lim:incoming("y", true))
                p(lim:incoming("y", true))
                lim:set_conn(1)
                lim:set_burst(5)
                p(lim:incoming("z", true))
                p(lim:incoming("z", true))
                p(lim:leaving("z"))
            }
        }
        location = /traffic {
            content_by_lua_block {
                local p = require "p"
                local limit_traffic = require "resty.limit.traffic"
                local lreq = require("resty.limit.req").new("req_store", 0.5, 5)
                local function int(...)
                    local d, e = ...
                    if d then d = math.floor(d + 0.5) end
                    if select('#', ...) == 1 then return d end
                    return d, e
                end
                local lconn = require("resty.limit.conn").new("conn_store", 5, 5, 0.5)
                local lcount = require("resty.limit.count").new("count_store", 5, 60)
                p(limit_traffic._VERSION)
                local states = {}
                p(int(limit_traffic.combine({ lreq, lconn, lcount }, { "t1", "t2", "t3" }, states)))
                p(states[1], states[2], states[3])
                p(int(limit_traffic.combine({ lreq, lconn, lcount }, { "t1", "t2", "t3" }, states)))
                p(states[1], states[2], states[3])
                p(limit_traffic.combine({ lcount }, { "t3" }))
                -- a rejection in the dry run: nothing committed
                local one = require("resty.limit.count").new("count_store", 1, 60)
                p(limit_traffic.combine({ one, lcount }, { "r", "t3" }))
                p(limit_traffic.combine({ one, lcount }, { "r", "t3" }))
                p(lcount:incoming("t3", false))
                -- a rejection while committing: the last limiter's commit is given back
                local st = {}
                p(limit_traffic.combine({ one, one }, { "u", "u" }, st))
                p(st[1], st[2], ngx.shared.count_store:get("u"))
                -- limiters written in Lua combine too
                local fixed = { incoming = function(self, key, commit) return 0.25, key .. tostring(commit) end }
                local failing = { incoming = function() return nil, "boom" end }
                local st2 = {}
                p(limit_traffic.combine({ fixed, lcount }, { "f", "t3" }, st2))
                p(st2[1], st2[2])
                p(limit_traffic.combine({ lconn, failing }, { "t2", "b" }))
                p(limit_traffic.combine({}, {}))
                local ok, err = pcall(limit_traffic.combine, nil, {})
                p(ok, (err:find("table expected", 1, true)) ~= nil)
                ok, err = pcall(limit_traffic.combine, {}, "k")
                p(ok, (err:find("table expected", 1, true)) ~= nil)
            }
        }
    }
}
`

// Prints every value of a call (nils too, numbers rounded to 0.1), space-separated.
const P = String.raw`
return function(...)
    local n = select('#', ...)
    local t = {}
    for i = 1, n do
        local v = (select(i, ...))
        if type(v) == "number" then v = math.floor(v * 10 + 0.5) / 10 end
        t[i] = tostring(v)
    end
    ngx.say(n, ": ", table.concat(t, " "))
end
`

let server: RunningServer | undefined
let base = ''

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-limit-lua-api-'))
  for (const d of ['conf', 'logs', 'lua']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  writeFileSync(join(dir, 'lua/p.lua'), P)
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

const get = async (path: string): Promise<string> => (await fetch(base + path)).text()

const lines = (...l: string[]): string => l.join('\n') + '\n'

describe('resty.limit.* Lua API', () => {
  it('limit.req: new, incoming dry run / commit / rejected, uncommit, set_rate, set_burst', async () => {
    const out = (await get('/req')).split('\n')
    expect(out.slice(0, 3)).toEqual(['1: 0.09', '2: nil shared dict not found', '2: nil shared dict not found'])
    expect(out[3]).toMatch(/^2: false /) // a bad rate raises (upstream asserts)
    expect(out.slice(4)).toEqual([
      '2: nil not found',
      '2: 0 0', // dry run: nothing stored
      '2: 0 0',
      '2: 2 1', // 0.5 r/s: 1 excess request waits 2 s
      '2: 4 2',
      '2: nil rejected', // excess 3 > burst 2
      '1: true',
      '2: 4 2',
      '2: 6 3', // burst 5
      '2: 16 4', // rate 0.25: 4 excess requests wait 16 s
      '',
    ])
  })

  it('limit.count: remaining, rejected, uncommit, a non-number record', async () => {
    const out = (await get('/count')).split('\n')
    expect(out.slice(0, 2)).toEqual(['1: 0.09', '2: nil shared dict not found'])
    expect(out[2]).toMatch(/^2: false /)
    expect(out.slice(3)).toEqual([
      '1: 2', // uncommit of an unknown key: the limit
      '2: 0 1',
      '2: 0 1',
      '2: 0 0',
      '2: nil rejected',
      '1: 0',
      '2: nil rejected',
      '2: nil not a number',
      '2: nil not a number',
      '',
    ])
  })

  it('limit.conn: is_committed, delays, rejected, uncommit, leaving with and without latency', async () => {
    const out = (await get('/conn')).split('\n')
    expect(out.slice(0, 2)).toEqual(['1: 0.09', '2: nil shared dict not found'])
    expect(out[2]).toMatch(/^2: false /)
    expect(out.slice(3)).toEqual([
      '1: false',
      '2: 0 1',
      '1: false', // a dry run commits nothing
      '2: 0 1',
      '1: true',
      '2: 0.5 2',
      '2: nil rejected',
      '1: 1',
      '1: 0', // leaving with 0.1 s latency: the unit delay becomes (0.1 + 0.5) / 2
      '2: nil not found',
      '2: nil not found',
      '2: 0 1',
      '2: 0 2',
      '2: nil rejected', // conn 2, burst 0
      '2: 0 1',
      '2: 0.3 2',
      '1: 1',
      '',
    ])
  })

  it('limit.traffic.combine: states, max delay, rejections, Lua limiters, bad arguments', async () => {
    expect(await get('/traffic')).toBe(lines(
      '1: 0.09',
      '1: 0',
      '3: 0 1 4',
      '1: 2', // limit.req: 1 excess request at 0.5 r/s
      '3: 1 2 3',
      '1: 0',
      '1: 0',
      '2: nil rejected',
      '2: 0 0',
      '2: nil rejected',
      '3: nil nil 0', // commit 0, rejected commit -1, the last one's given back
      '1: 0.3',
      '2: ftrue 0',
      '2: nil boom',
      '1: 0',
      '2: false true',
      '2: false true',
    ))
  })
})
