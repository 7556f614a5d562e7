// resty.lock from Lua: nginx.conf + *_by_lua_block served by @nresty/lua, which finds this
// package's `lua` entry on the first require. The cache-stampede pattern: concurrent requests
// missing the cache take the lock, one fetches, the others wait and find the value.
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
    lua_shared_dict my_cache 1m;
    lua_shared_dict my_locks 100k;
    access_log off;
    server {
        listen 127.0.0.1:PORT;
        location = /get {
            content_by_lua_block {
                local resty_lock = require "resty.lock"
                local cache = ngx.shared.my_cache
                local key = ngx.var.arg_k
                local val = cache:get(key)
                if val then ngx.say("hit ", val) return end

                local lock, err = resty_lock:new("my_locks")
                local elapsed, err = lock:lock(key)
                if not elapsed then ngx.say("failed to lock: ", err) return end

                val = cache:get(key)
                if val then
                    lock:unlock()
                    ngx.say("waited ", val)
                    return
                end
                ngx.sleep(0.1) -- the slow backend
                local n = cache:incr("fetches", 1, 0)
                cache:set(key, "v" .. n)
                local ok, err = lock:unlock()
                ngx.say("fetched v", n, " ", ok)
            }
        }
        location = /timeout {
            content_by_lua_block {
                local resty_lock = require "resty.lock"
                local a = resty_lock:new("my_locks")
                local b = resty_lock:new("my_locks", { timeout = 0.05, step = 0.01 })
                a:lock("t")
                local t0 = ngx.now()
                local elapsed, err = b:lock("t")
                ngx.update_time()
                ngx.say(tostring(elapsed), " ", err, " ", ngx.now() - t0 >= 0.04)
                a:unlock()
            }
        }
    }
}
`

let server: RunningServer | undefined
let base = ''

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-lock-lua-'))
  for (const d of ['conf', 'logs']) mkdirSync(join(dir, d))
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(await freePort())))
  const conf = loadConfGateway('conf/nginx.conf', dir)
  server = await startServer(conf.gateway, { prefix: `${dir}/` })
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})

afterAll(async () => {
  await server?.close()
})

const get = async (path: string): Promise<string> => (await fetch(base + path)).text()

describe('resty.lock from Lua', () => {
  it('lets one of 5 concurrent requests fetch; the others wait and find the value', async () => {
    const bodies = await Promise.all([1, 2, 3, 4, 5].map(() => get('/get?k=x')))
    expect(bodies.filter((b) => b === 'fetched v1 1\n')).toHaveLength(1)
    expect(bodies.filter((b) => b === 'waited v1\n')).toHaveLength(4)
    expect(await get('/get?k=x')).toBe('hit v1\n')
  })

  it('times out after the timeout, having slept for it', async () => {
    expect(await get('/timeout')).toBe('nil timeout true\n')
  })
})
