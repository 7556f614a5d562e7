import { describe, expect, it } from 'vitest'
import type { LocationDef } from '../src/index.ts'
import { get, rawRequest, serverPerTest } from './harness.ts'

const start = serverPerTest()
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

describe('clients that go away or stop reading', () => {
  it('a client that disconnects mid-handler does not disturb the server', async () => {
    const t = await start({
      '/slow': { content: async (ngx) => { await new Promise((r) => setTimeout(r, 100)); ngx.say('late'); await ngx.flush(true); ngx.say('later') } },
      '/ok': { content: (ngx) => ngx.say('ok') },
    })
    await rawRequest(t.port, 'GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n', 20)
    await new Promise((r) => setTimeout(r, 200))
    expect((await get(t.port, '/ok')).body).toBe('ok\n')
  })

  it('a client that stops reading a large response is cut off after send_timeout', async () => {
    const size = 64 * 1024 * 1024
    const t = await start({ '/big': { sendTimeout: '300ms', content: (ngx) => ngx.print('x'.repeat(size)) } })
    const { connect } = await import('node:net')
    const sock = connect(t.port, '127.0.0.1')
    sock.write('GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n')
    sock.pause()
    await new Promise((r) => setTimeout(r, 1000))
    expect(t.errorLog()).toContain('client timed out (110: Connection timed out) while sending to client')
    // What the kernel already buffered still arrives, then the connection ends short.
    let received = 0
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000)
      sock.on('data', (c: Buffer) => { received += c.length })
      sock.on('close', () => { clearTimeout(timer); resolve(true) })
      sock.resume()
    })
    sock.destroy()
    expect(closed).toBe(true)
    expect(received).toBeLessThan(size)
  })
})
