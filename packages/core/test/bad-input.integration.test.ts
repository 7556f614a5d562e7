import { afterEach, describe, expect, it } from 'vitest'
import type { LocationDef } from '../src/index.ts'
import { get, rawRequest, serve } from './harness.ts'
import type { TestServer } from './harness.ts'

let s: TestServer | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})
const start = async (locs: Record<string, LocationDef>, server = {}, gw = {}): Promise<TestServer> => (s = await serve(locs, server, gw))
const hello: Record<string, LocationDef> = { '/': { content: (ngx) => ngx.say('hello') } }

describe('bad input', () => {
  it('a malformed request line gets nginx\'s 400 page and the connection is closed', async () => {
    const t = await start(hello)
    const res = await rawRequest(t.port, 'GARBAGE\r\n\r\n')
    expect(res.status).toBe(400)
    expect(res.headers.connection).toBe('close')
    expect(res.body).toContain('<center><h1>400 Bad Request</h1></center>')
    expect((await get(t.port, '/')).body).toBe('hello\n')
  })

  it('a malformed header line gets 400', async () => {
    const t = await start(hello)
    const res = await rawRequest(t.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\n\r\n')
    expect(res.status).toBe(400)
  })

  it('a path climbing above the root gets 400', async () => {
    const t = await start(hello)
    expect((await get(t.port, '/../etc/passwd')).status).toBe(400)
  })

  it('an oversize request header gets nginx\'s "Request Header Or Cookie Too Large" 400', async () => {
    const t = await start(hello, {}, { largeClientHeaderBuffers: '4k' })
    const res = await get(t.port, '/', { 'X-Big': 'x'.repeat(8000) })
    expect(res.status).toBe(400)
    expect(res.body).toContain('Request Header Or Cookie Too Large')
  })

  it('a client that sends its headers too slowly is cut off after client_header_timeout', async () => {
    const t = await start(hello, { clientHeaderTimeout: '300ms' })
    const started = Date.now()
    const res = await rawRequest(t.port, 'GET / HTTP/1.1\r\nHost: local', 5000)
    expect(res.status).not.toBe(200)
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('a client that stops sending its body is cut off after client_body_timeout with 408 semantics (connection closed)', async () => {
    const t = await start({ '/t': { clientBodyTimeout: '200ms', content: async (ngx) => { await ngx.req.readBody(); ngx.say('got it') } } })
    const started = Date.now()
    const res = await rawRequest(t.port, 'POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\npartial', 5000)
    expect(res.raw).toBe('')
    expect(Date.now() - started).toBeLessThan(3000)
    expect(t.errorLog()).toContain('client timed out (110: Connection timed out) while reading client request body')
  })

  it('a request to an unknown location is 404 with nginx\'s page', async () => {
    const t = await start({ '= /only': { content: (ngx) => ngx.say('x') } })
    const res = await get(t.port, '/other')
    expect(res.status).toBe(404)
    expect(res.body).toContain('<title>404 Not Found</title>')
  })
})
