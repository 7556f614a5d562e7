// resty.lrucache and resty.lrucache.pureffi from Lua: nginx.conf + content_by_lua_block served by
// @nresty/lua, which finds this package's `lua` entry on the first require. Module-level caches
// live per worker, across requests; values are any Lua values.
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
    lua_shared_dict store 1m;
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location = /synopsis {
            content_by_lua_block {
                local lrucache = require "resty.lrucache"
                local c, err = lrucache.new(200)
                if not c then error("failed to create the cache: " .. (err or "unknown")) end
                c:set("dog", 32)
                c:set("cat", 56)
                ngx.say("dog: ", (c:get("dog")))
                ngx.say("cat: ", (c:get("cat")))
                c:set("dog", { age = 10 }, 0.1)
                c:delete("dog")
                ngx.say("dog: ", (c:get("dog")))
            }
        }
        location = /cached {
            content_by_lua_block {
                local cache = require "mycache"
                ngx.say(cache.fetch(ngx.var.arg_k))
            }
        }
        location = /pureffi {
            content_by_lua_block {
                local lrucache = require "resty.lrucache.pureffi"
                local c = lrucache.new(3)
                c:set(10, "ten")
                c:set("a\0b", "binary key")
                ngx.say(c:get("10"), " ", c:get("a\0b"), " ", tostring(c:get("a")), " ", #c:get_keys())
            }
        }
    }
}
`

// A module caching a "backend" answer per worker for 0.1 s, refreshed from its stale value.
const MYCACHE = String.raw`
local lrucache = require "resty.lrucache"
local c = lrucache.new(2)
local fetches = 0
local M = {}
function M.fetch(k)
    local v, stale = c:get(k)
    if v then return "hit " .. v.answer end
    fetches = fetches + 1
    c:set(k, { answer = k .. fetches }, 0.1)
    return "miss " .. k .. fetches .. " stale " .. (stale and stale.answer or "none")
end
return M
`

let server: RunningServer | undefined
let base = ''

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-lrucache-lua-'))
  for (const d of ['conf', 'logs', 'lua']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  writeFileSync(join(dir, 'lua/mycache.lua'), MYCACHE)
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

const get = async (path: string): Promise<string> => (await fetch(base + path)).text()

describe('resty.lrucache from Lua', () => {
  it("runs upstream's synopsis", async () => {
    expect(await get('/synopsis')).toBe('dog: 32\ncat: 56\ndog: nil\n')
  })

  it('keeps a module-level cache per worker: hits, expiry to a stale value, eviction', async () => {
    expect(await get('/cached?k=a')).toBe('miss a1 stale none\n')
    expect(await get('/cached?k=a')).toBe('hit a1\n')
    await new Promise((r) => setTimeout(r, 150))
    expect(await get('/cached?k=a')).toBe('miss a2 stale a1\n')
    expect(await get('/cached?k=b')).toBe('miss b3 stale none\n')
    expect(await get('/cached?k=c')).toBe('miss c4 stale none\n') // evicts a (2 items)
    expect(await get('/cached?k=a')).toBe('miss a5 stale none\n')
  })

  it('pureffi: number keys are strings, binary keys are kept whole', async () => {
    expect(await get('/pureffi')).toBe('ten binary key nil 2\n')
  })
})
