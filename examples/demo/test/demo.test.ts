import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '@nresty/core'
import type { RunningServer } from '@nresty/core'
import { demoGateway } from '../src/gateway.ts'

let server: RunningServer
let base: string
let prefix: string
beforeAll(async () => {
  prefix = mkdtempSync(join(tmpdir(), 'nresty-demo-'))
  // the backend's port must be known to its upstream: a free one, found first
  const probe = createNetServer()
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok))
  const backendPort = (probe.address() as AddressInfo).port
  await new Promise((ok) => probe.close(ok))
  server = await startServer(demoGateway('127.0.0.1:0', prefix, backendPort))
  base = `http://127.0.0.1:${server.addresses[0]!.port}`
})
afterAll(() => server.close())

describe('demo gateway', () => {
  it('GET / lists the routes', async () => {
    const text = await (await fetch(`${base}/`)).text()
    expect(text).toContain('nresty demo gateway; routes:')
    for (const route of ['/hello', '/counter', '/ctx', '/echo', '/headers']) expect(text).toContain(route)
  })

  it('GET /hello says hello world, with the X-Powered-By header from add_header', async () => {
    const res = await fetch(`${base}/hello`)
    expect(await res.text()).toBe('hello, world\n')
    expect(res.headers.get('x-powered-by')).toBe('nresty')
  })

  it('GET /counter counts across requests of the same worker', async () => {
    const first = await (await fetch(`${base}/counter`)).text()
    const n = Number(/served \/counter (\d+) time/.exec(first)?.[1])
    const second = await (await fetch(`${base}/counter`)).text()
    expect(second).toBe(`this worker has served /counter ${n + 1} times\n`)
  })

  it('GET /ctx carries ngx.ctx from access to content to log', async () => {
    const denied = await fetch(`${base}/ctx`)
    expect(denied.status).toBe(401)
    const ok = await fetch(`${base}/ctx?user=alice`)
    expect(await ok.text()).toBe('hello, alice (authenticated in the access phase)\n')
    await new Promise((r) => setTimeout(r, 20))
    server.errorLog.flush()
    expect(readFileSync(join(prefix, 'logs/error.log'), 'utf8')).toMatch(/\[notice\] .*served alice in \d+ ms/)
  })

  it('POST /echo echoes the body and refuses bodies over 1k with 413', async () => {
    expect(await (await fetch(`${base}/echo`, { method: 'POST', body: 'ping' })).text()).toBe('ping')
    expect((await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(2000) })).status).toBe(413)
    expect((await fetch(`${base}/echo`)).status).toBe(405)
  })

  it('GET /headers shows the request headers', async () => {
    const text = await (await fetch(`${base}/headers`, { headers: { 'X-Demo': 'yes' } })).text()
    expect(text).toContain('x-demo: yes')
  })

  it('GET /api/ checks the user, then proxies to the backend over a kept connection', async () => {
    expect((await fetch(`${base}/api/time`)).status).toBe(401)
    const res = await fetch(`${base}/api/time?user=alice`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-upstream')).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(await res.json()).toEqual({ served_by: 'backend', uri: '/v1/time?user=alice', user: 'alice' })
  })
})
