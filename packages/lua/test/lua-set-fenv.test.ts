// set_by_lua*, setfenv / getfenv, light threads as coroutines (type, status, error log lines),
// ngx.on_abort and ngx.req.socket, through an nginx.conf served by startServer.
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
error_log logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    lua_package_path "$prefix/lua/?.lua;;";
    server {
        listen 127.0.0.1:PORT;
        set_by_lua_block $srv { return "srv" }
        location = /set {
            set $x 7;
            set_by_lua $a 'return ngx.arg[1] * 2 .. "|" .. ngx.arg[2] .. "|" .. tostring(ngx.arg[3])' $x "x=$x";
            set_by_lua_block $b { return 1/3 }
            set_by_lua_block $c { return ngx.var.a .. ngx.var.srv }
            set_by_lua_block $d { return false }
            set_by_lua_file $e lua/set.lua $arg_n;
            return 200 "$a $b $c [$d] $e\n";
        }
        location = /set-fail { set_by_lua_block $a { local t = nil; return t.x } return 200 "$a"; }
        location = /set-yield { set_by_lua_block $a { ngx.sleep(0.001) return 1 } return 200 "$a"; }
        location = /set-write { set_by_lua_block $a { ngx.arg[1] = "x" } return 200 "$a"; }
        location = /set-syntax { set_by_lua $a 'return 1 +'; return 200 "$a"; }
        location = /set-nofile { set_by_lua_file $a lua/none.lua; return 200 "$a"; }
        location = /fenv {
            content_by_lua_block {
                local fenvmod = require "fenvmod"
                local function f() return x end
                local env = { x = 1 }
                setfenv(f, env)
                local function g() setfenv(1, { ngx = ngx }) y = 2 ngx.say(y) end
                g()
                ngx.say(f(), " ", getfenv(f) == env, " ", tostring(y), " ", getfenv(g).y)
                ngx.say(getfenv(fenvmod.get) == _G, " ", getfenv(0) == _G, " ", getfenv(ngx.say) == _G)
                setfenv(fenvmod.get, { answer = 42 })
                ngx.say(fenvmod.get(), " ", fenvmod.other())
                ngx.say(pcall(setfenv, ngx.say, {}))
                ngx.say(pcall(getfenv, 99))
                ngx.say(pcall(setfenv, 0, {}))
            }
        }
        location = /threads {
            content_by_lua_block {
                local t = ngx.thread.spawn(function() ngx.sleep(0.005) return "v" end)
                local bad = ngx.thread.spawn(function() error("thread boom") end)
                ngx.say(type(t), " ", coroutine.status(t), " ", coroutine.status(bad))
                ngx.say(ngx.thread.wait(t))
                ngx.say(coroutine.status(t), " ", ngx.thread.wait(bad), " ", coroutine.status(bad))
                local co = coroutine.create(function() end)
                ngx.say(coroutine.status(co))
            }
        }
        location = /abort-off { content_by_lua_block { ngx.say(ngx.on_abort(function() end)) } }
        location = /abort {
            lua_check_client_abort on;
            content_by_lua_block {
                ngx.say(ngx.on_abort(function() ngx.log(ngx.NOTICE, "aborted in ", ngx.get_phase()) ngx.exit(499) end))
                ngx.say(ngx.on_abort(function() end))
                ngx.flush(true)
                ngx.sleep(0.3)
            }
        }
        location = /sock {
            content_by_lua_block {
                local sock, err = ngx.req.socket()
                if not sock then ngx.say(err) return end
                ngx.say(sock:receive(4), " ", sock:receive("*a"))
                ngx.say(pcall(ngx.req.socket, true))
            }
        }
    }
}
`

let dir: string
let server: RunningServer | undefined
let base: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nresty-set-fenv-'))
  mkdirSync(join(dir, 'conf'))
  mkdirSync(join(dir, 'logs'))
  mkdirSync(join(dir, 'lua'))
  const port = await freePort()
  writeFileSync(join(dir, 'conf/nginx.conf'), CONF.replace('PORT', String(port)))
  writeFileSync(join(dir, 'lua/set.lua'), 'return "file:" .. (ngx.arg[1] or "none")\n')
  writeFileSync(join(dir, 'lua/fenvmod.lua'), 'local _M = {}\nfunction _M.get() return answer end\nfunction _M.other() return answer end\nreturn _M\n')
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

describe('set_by_lua*', () => {
  it('sets variables in order with ngx.arg, numbers as Lua prints them', async () => {
    expect(await get('/set?n=3')).toEqual({ status: 200, body: '14|x=7|nil 0.33333333333333 14|x=7|nilsrv [] file:3\n' })
    expect((await get('/set')).body).toBe('14|x=7|nil 0.33333333333333 14|x=7|nilsrv [] file:\n')
  })

  it('answers 500 on a runtime error with ngx_lua\'s log line', async () => {
    expect((await get('/set-fail')).status).toBe(500)
    expect(errorLog()).toMatch(/\[error\] .* failed to run set_by_lua\*: set_by_lua\(nginx\.conf:20\):1: attempt to index local 't' \(a nil value\)\nstack traceback:\n/)
  })

  it('refuses yielding APIs and writes to ngx.arg', async () => {
    expect((await get('/set-yield')).status).toBe(500)
    expect((await get('/set-write')).status).toBe(500)
    expect(errorLog().match(/failed to run set_by_lua\*: .*API disabled in the context of set_by_lua\*/g)).toHaveLength(2)
  })

  it('reports code that does not load', async () => {
    expect((await get('/set-syntax')).status).toBe(500)
    expect((await get('/set-nofile')).status).toBe(500)
    expect(errorLog()).toContain("failed to load inlined Lua code: set_by_lua(nginx.conf:23):1: unexpected symbol near '<eof>'")
    expect(errorLog()).toContain(`failed to load external Lua file "${dir}/lua/none.lua": cannot open ${dir}/lua/none.lua: No such file or directory`)
  })
})

describe('setfenv / getfenv', () => {
  it('work on functions and levels', async () => {
    expect((await get('/fenv')).body.split('\n')).toEqual([
      '2',
      '1 true nil 2',
      'true true true',
      '42 nil',
      "false'setfenv' cannot change environment of given object",
      "falsebad argument #1 to '?' (invalid level)",
      "false'setfenv' cannot change environment of given object",
      '',
    ])
  })
})

describe('light threads', () => {
  it('are coroutines with ngx_lua\'s status, and log user thread errors', async () => {
    expect((await get('/threads')).body).toBe('thread running zombie\ntruev\ndead false dead\nsuspended\n')
    const log = errorLog()
    expect(log).toMatch(/lua user thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: thread boom\nstack traceback:\ncoroutine 0:\n/)
    expect(log).not.toContain('light thread aborted')
  })
})

describe('ngx.on_abort and ngx.req.socket', () => {
  it('needs lua_check_client_abort', async () => {
    expect((await get('/abort-off')).body).toBe('nillua_check_client_abort is off\n')
  })

  it('runs the callback when the client goes away', async () => {
    const ac = new AbortController()
    const res = await fetch(base + '/abort', { signal: ac.signal })
    const reader = res.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toBe('1\nnilduplicate call\n')
    ac.abort()
    await new Promise((ok) => setTimeout(ok, 100))
    expect(errorLog()).toContain('aborted in content')
  })

  it('reads the body through the request socket', async () => {
    expect((await get('/sock', { method: 'POST', body: 'abcdefg' })).body).toBe('abcd efg\nfalsengx.req.socket(true): raw request sockets are not supported by nresty\n')
    expect((await get('/sock')).body).toBe('no body\n')
  })
})
