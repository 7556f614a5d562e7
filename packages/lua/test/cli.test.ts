// `nresty -p prefix` on a conf with content_by_lua_block: the real command, a master with two
// worker threads; core's front end loads @nresty/lua on the first Lua directive it meets.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { freePort } from './helpers.ts'

const CLI = fileURLToPath(new URL('../../core/src/cli.ts', import.meta.url))
let child: ChildProcess | undefined

afterAll(() => {
  child?.kill('SIGQUIT')
})

it('serves content_by_lua_block through `nresty -p`', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-lua-cli-'))
  mkdirSync(join(dir, 'conf'))
  mkdirSync(join(dir, 'logs'))
  const port = await freePort()
  writeFileSync(join(dir, 'conf/nginx.conf'), `
worker_processes 2;
error_log logs/error.log notice;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:${port};
        location = /hello { content_by_lua_block { ngx.say("hello") } }
        location = /who { content_by_lua_block { ngx.say(ngx.worker.count(), " ", require("ngx.process").type()) } }
    }
}
`)
  const proc = spawn(process.execPath, ['--conditions=@nresty/source', CLI, '-p', dir, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] })
  child = proc
  let stderr = ''
  proc.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  let body = ''
  for (let i = 0; i < 100 && body === ''; i++) {
    await new Promise((ok) => setTimeout(ok, 100))
    body = await fetch(`http://127.0.0.1:${port}/hello`).then((r) => r.text(), () => '')
  }
  expect(stderr).toBe('')
  expect(body).toBe('hello\n')
  expect(await fetch(`http://127.0.0.1:${port}/who`).then((r) => r.text())).toBe('2 worker\n')
  // The master may still be starting its other worker (and installing its signal handlers).
  await new Promise((ok) => setTimeout(ok, 500))
  proc.kill('SIGQUIT')
  const code = await new Promise((ok) => proc.on('exit', (c, sig) => ok(c ?? `${sig} ${stderr}`)))
  child = undefined
  expect(code).toBe(0)
})
