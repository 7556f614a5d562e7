// Every method and edge of the resty.lrucache / resty.lrucache.pureffi Lua bindings (src/lua.ts),
// in this process: nginx.conf + content_by_lua_block served by @nresty/lua. Each location prints
// all the values a call returns (`select('#', ...)` counts them), as upstream's Lua API answers.
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
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location = /new {
            content_by_lua_block {
                local p = require "p"
                local lrucache = require "resty.lrucache"
                p(lrucache._VERSION)
                p(lrucache.new(0))
                p(lrucache.new(-1))
                p(pcall(lrucache.new, "x"))
                local c = lrucache.new(3)
                p(c:capacity(), c:count())
            }
        }
        location = /get {
            content_by_lua_block {
                local p = require "p"
                local c = require("resty.lrucache").new(10)
                c:set("a", 1, nil, 7)
                p(c:get("a"))
                c:set("b", "two", 0.001, 3)
                c:set("n", nil)
                ngx.sleep(0.05)
                p(c:get("b"))
                p(c:get("zz"))
                p(c:get(nil))
                p(c:get("n"))
                c:set(1, "num")
                p(c:get(1), c:get("1"))
                c:set(true, "yes")
                p(c:get(true), c:get(false))
                local t = {}
                c:set(t, "tab")
                p(c:get(t), c:get({}))
                p(c:count())
            }
        }
        location = /delete {
            content_by_lua_block {
                local p = require "p"
                local c = require("resty.lrucache").new(4)
                c:set("a", 1)
                c:set("b", 2)
                p(c:delete("a"), c:delete("a"), c:delete(nil), c:count())
                p(c:get("a"), c:get("b"))
            }
        }
        location = /keys {
            content_by_lua_block {
                local p = require "p"
                local c = require("resty.lrucache").new(3)
                local t = {}
                c:set("a", 1)
                c:set(2, 2)
                c:set(t, 3)
                c:set(true, 4)
                local keys = c:get_keys()
                p(#keys, keys[1], keys[2] == t, keys[3])
                keys = c:get_keys(2)
                p(#keys, keys[1], keys[2] == t)
                local res = { "x", "y", "z", "w" }
                local got = c:get_keys(0, res)
                p(got == res, #res, res[1], res[2] == t, res[3], res[4], res[5])
                p(c:count(), c:capacity())
                c:flush_all()
                p(c:count(), #c:get_keys(), c:get("a"))
                c:set("z", 26)
                p(c:get("z"), c:count())
            }
        }
        location = /badset {
            content_by_lua_block {
                local p = require "p"
                local c = require("resty.lrucache").new(2)
                local ok, err = pcall(c.set, c, nil, 1)
                p(ok, (err:find("table index is nil", 1, true)) ~= nil)
                p(c:count())
            }
        }
        location = /pureffi {
            content_by_lua_block {
                local p = require "p"
                local lrucache = require "resty.lrucache.pureffi"
                p(lrucache._VERSION)
                p(lrucache.new(0))
                p(pcall(lrucache.new, "x"))
                local c = lrucache.new(4, 0.7)
                p(c:capacity(), c:count())
                c:set("a", 1, nil, 5)
                p(c:get("a"))
                c:set("s", "old", 0.001, 9)
                c:set("n", nil, nil, 2)
                ngx.sleep(0.05)
                p(c:get("s"))
                p(c:get("n"))
                p(c:get("zz"))
                c:set(1.5, "f")
                p(c:get("1.5"))
                c:set(true, "t")
                p(c:get(true))
                -- "true" made a 5th item: "a", the least recently used, is gone
                p(c:get("a"), c:delete(1.5), c:delete("1.5"), c:count())
                local keys = c:get_keys()
                p(#keys, keys[1], keys[2], keys[3], keys[4])
                p(#c:get_keys(1), c:get_keys(1)[1])
                local res = { 1, 2, 3, 4, 5, 6 }
                c:get_keys(nil, res)
                p(res[1], res[2], res[3], res[4], res[5], res[6])
                c:flush_all()
                p(c:count(), c:get("true"))
            }
        }
    }
}
`

// Prints every value of a call (nils too), space-separated.
const P = String.raw`
return function(...)
    local n = select('#', ...)
    local t = {}
    for i = 1, n do t[i] = tostring((select(i, ...))) end
    ngx.say(n, ": ", table.concat(t, " "))
end
`

let server: RunningServer | undefined
let base = ''

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-lrucache-lua-api-'))
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

describe('resty.lrucache Lua API', () => {
  it('new: version, "size too small", a bad size raises', async () => {
    const out = (await get('/new')).split('\n')
    expect(out.slice(0, 3)).toEqual(['1: 0.13', '2: nil size too small', '2: nil size too small'])
    expect(out[3]).toMatch(/^2: false /)
    expect(out[4]).toBe('2: 3 0')
  })

  it('get: hit with flags, stale value, misses, nil values, key identity', async () => {
    expect(await get('/get')).toBe([
      '3: 1 nil 7',
      '3: nil two 3',
      '1: nil',
      '1: nil',
      '1: nil',
      '2: num nil',
      '2: yes nil',
      '2: tab nil',
      '1: 6',
    ].join('\n') + '\n')
  })

  it('delete answers whether the key was there', async () => {
    expect(await get('/delete')).toBe('4: true false false 1\n4: nil 2 nil 0\n')
  })

  it('get_keys (all, max, into res), count, capacity, flush_all', async () => {
    expect(await get('/keys')).toBe([
      '4: 3 true true 2',
      '3: 2 true true',
      '7: true 3 true true 2 nil nil',
      '2: 3 3',
      '3: 0 0 nil',
      '2: 26 1',
    ].join('\n') + '\n')
  })

  it('set with a nil key raises', async () => {
    expect(await get('/badset')).toBe('2: false true\n1: 0\n')
  })

  it('pureffi: the same API over string keys', async () => {
    const out = (await get('/pureffi')).split('\n')
    expect(out.slice(0, 2)).toEqual(['1: 0.13', '2: nil size too small'])
    expect(out[2]).toMatch(/^2: false /)
    expect(out.slice(3)).toEqual([
      '2: 4 0',
      '3: 1 nil 5',
      '3: nil old 9',
      '3: nil nil 2',
      '1: nil',
      '3: f nil 0',
      '3: t nil 0',
      '4: nil true false 3',
      '5: 3 true n s nil',
      '2: 1 true',
      '6: true n s nil 5 6',
      '2: 0 nil',
      '',
    ])
  })
})
