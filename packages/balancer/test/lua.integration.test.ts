// resty.chash, resty.roundrobin and resty.swrr from Lua: nginx.conf + content_by_lua_block served
// by @nresty/lua, which finds this package's `lua` entry on the first require. Balancers made
// at module level live per worker, across requests, as in OpenResty.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
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
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location = /synopsis {
            content_by_lua_block {
                local ups = require "ups"
                for _, key in ipairs({ "k0", "k1", "k9", "user-0.example_0" }) do
                    local id = ups.chash:find(key)
                    ngx.say(key, " -> ", ups.servers[id])
                end
                local rr = {}
                for _ = 1, 6 do rr[#rr + 1] = ups.rr:find() end
                table.sort(rr)
                ngx.say("rr: ", table.concat(rr, " "))
            }
        }
        location = /nginx {
            content_by_lua_block {
                local ups = require "ups"
                for _, key in ipairs(ups.keys) do
                    ngx.say(key, " ", ups.servers[(ups.chash:find(key))])
                end
            }
        }
        location = /chash {
            content_by_lua_block {
                local p = require "p"
                local chash = require "resty.chash"
                local c = chash:new({ a = 1, b = 2, [7] = 1 })
                local id, i = c:find("hello")
                p(type(id), math.type and math.type(i) or type(i), i >= 1 and i <= 640)
                local id2, i2 = c:next(i)
                p(i2 == i % 640 + 1, c:next(640) ~= nil, select(2, c:next(640)), select(2, c:next(0)))
                p(c:find("x") == c:find("x"), select(2, c:find(nil)) == select(2, c:find("nil")))
                p(select(2, c:find(12)) == select(2, c:find("12")))
                local n7 = 0
                for k = 1, 400 do if c:find("key" .. k) == 7 then n7 = n7 + 1 end end
                p(n7 > 50, n7 < 150)
                c:delete(7)
                c:decr("b")
                c:incr("z", 2)
                c:set("a", 0)
                local seen = {}
                for k = 1, 200 do seen[c:find("key" .. k)] = true end
                p(seen.a, seen.b, seen.z, seen[7])
                c:reinit({ only = 1 })
                p(c:find("anything"))
                c:delete("only")
                p(c:find("anything"))
            }
        }
        location = /rr {
            content_by_lua_block {
                local p = require "p"
                local rr = require("resty.roundrobin"):new({ a = 1, b = 2, c = 5 })
                local n = { a = 0, b = 0, c = 0 }
                for _ = 1, 800 do local id = rr:find("ignored") n[id] = n[id] + 1 end
                p(n.a, n.b, n.c, select('#', rr:find()))
                rr:set("a", 0)
                rr:incr(1, 3)
                rr:decr("c", 4)
                n = {}
                for _ = 1, 48 do local id = rr:next() n[id] = (n[id] or 0) + 1 end
                p(n.a, n.b, n.c, n[1], n["1"])
                p(pcall(require("resty.roundrobin").new, require("resty.roundrobin"), {}))
            }
        }
        location = /swrr {
            content_by_lua_block {
                local p = require "p"
                local sw = require("resty.swrr"):new({ a = 5, b = 1, c = 1 })
                local s = {}
                for _ = 1, 7 do s[#s + 1] = sw:find() end
                local n = {}
                for _, id in ipairs(s) do n[id] = (n[id] or 0) + 1 end
                p(n.a, n.b, n.c, s[1], s[2])
                sw:delete("a")
                sw:set("b", "3")
                s = {}
                for _ = 1, 4 do s[#s + 1] = sw:next() end
                table.sort(s)
                p(table.concat(s))
            }
        }
        location = /errors {
            content_by_lua_block {
                local p = require "p"
                local chash = require "resty.chash"
                p(pcall(chash.new, chash, "x"))
                p(pcall(chash.new, chash, { a = -1 }))
                p(pcall(chash.new, chash, { a = "w" }))
                p(pcall(chash.new, chash, { [true] = 1 }))
                local c = chash:new({ a = 1 })
                p(pcall(c.find))
                p(pcall(c.next, c, "x"))
                p(pcall(c.next, c, 1.5))
                p(pcall(c.incr, c, {}, 1))
            }
        }
    }
}
`

const P = String.raw`
return function(...)
    local n = select('#', ...)
    local t = {}
    for i = 1, n do t[i] = tostring((select(i, ...))) end
    ngx.say(n, ": ", table.concat(t, " "))
end
`

interface Upstream {
  readonly servers: readonly { readonly server: string; readonly weight: number }[]
  readonly picks: Readonly<Record<string, string>>
}
const fixture = JSON.parse(readFileSync(new URL('fixtures/nginx-chash.json', import.meta.url), 'utf8')) as { upstreams: Record<string, Upstream> }
const u = fixture.upstreams.u!

// upstream's synopsis: ids host\0port to pick as nginx's `hash ... consistent` does
const UPS = String.raw`
local resty_chash = require "resty.chash"
local resty_roundrobin = require "resty.roundrobin"
local server_list = { SERVERS }
local servers, nodes = {}, {}
for serv, weight in pairs(server_list) do
    local id = string.gsub(serv, ":", string.char(0))
    servers[id] = serv
    nodes[id] = weight
end
return {
    chash = resty_chash:new(nodes),
    rr = resty_roundrobin:new(server_list),
    servers = servers,
    keys = { KEYS },
}
`
  .replace('SERVERS', u.servers.map((s) => `["${s.server}"] = ${s.weight}`).join(', '))
  .replace('KEYS', Object.keys(u.picks).map((k) => `"${k}"`).join(', '))

let server: RunningServer | undefined
let base = ''

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-balancer-lua-'))
  for (const d of ['conf', 'logs', 'lua']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  writeFileSync(join(dir, 'lua/p.lua'), P)
  writeFileSync(join(dir, 'lua/ups.lua'), UPS)
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

const get = async (path: string): Promise<string> => (await fetch(base + path)).text()

describe('lua-resty-balancer modules from Lua', () => {
  it("runs upstream's synopsis: resty.chash picks what nginx picks", async () => {
    const [p1, p2, p3] = u.servers.map((s) => s.server)
    const keys = ['k0', 'k1', 'k9', 'user-0.example_0']
    expect(await get('/synopsis')).toBe(`${keys.map((k) => `${k} -> ${u.picks[k]}\n`).join('')}rr: ${[p1, p2, p2, p3, p3, p3].sort().join(' ')}\n`)
  })

  it('resty.chash with ids host\\0port picks the server nginx picked for all 200 keys', async () => {
    const want = Object.entries(u.picks).map(([k, s]) => `${k} ${s}\n`).join('')
    expect(await get('/nginx')).toBe(want)
  })

  it('resty.chash: find and next give 1-based ring indexes; number ids stay numbers; updates', async () => {
    expect(await get('/chash')).toBe([
      '3: string integer true', // find: id, index in 1..npoints (4 units of weight: 640 points)
      '4: true true 1 1', // next(i) is i % npoints + 1, wrapping
      '2: true true', // same key, same node; find(nil) hashes tostring(nil)
      '1: true', // a number key hashes as tostring prints it
      '2: true true', // the node of id 7 (a number) gets about 1/4 of the keys
      '4: nil true true nil', // after delete(7), decr, incr of a new id, set to 0
      '2: only 11',
      '1: nil', // no node left
      '',
    ].join('\n'))
  })

  it('resty.roundrobin: picks follow the weights; find ignores the key; empty nodes raise', async () => {
    expect(await get('/rr')).toBe('4: 100 200 500 1\n5: nil 16 8 24 nil\n2: false empty nodes\n')
  })

  it('resty.swrr: smooth picks, updates', async () => {
    expect(await get('/swrr')).toBe('5: 5 1 1 a a\n1: bbbc\n')
  })

  it('raises on bad arguments', async () => {
    const at = (line: number): string => `content_by_lua(nginx.conf:92):${line}:`
    expect(await get('/errors')).toBe([
      `2: false ${at(4)} bad argument #1 to 'new' (table expected, got string)`,
      '2: false bad weight of node "a": non-negative integer expected, got -1',
      `2: false ${at(6)} bad weight of node "a" in 'new' (number expected, got string)`,
      `2: false ${at(7)} bad argument #1 to 'new' (string or number id expected, got boolean)`,
      `2: false ${at(9)} bad argument #1 to 'find' (object expected, got no value); use obj:find(...)`,
      `2: false ${at(10)} bad argument #1 to 'next' (integer index expected, got string)`,
      `2: false ${at(11)} bad argument #1 to 'next' (integer index expected, got number)`,
      `2: false ${at(12)} bad argument #1 to 'incr' (string or number id expected, got table)`,
      '',
    ].join('\n'))
  })
})
