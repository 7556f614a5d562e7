// The raw client: request bytes as Test::Nginx builds them, packets, and response parsing,
// against a real TCP peer.
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { buildRequest, exchange, headerValue, parseResponses, splitPackets } from '../src/http.ts'

describe('buildRequest', () => {
  it('GET: adds Host and Connection: close, HTTP/1.1 by default', () => {
    expect(buildRequest('GET /t?a=1\n').bytes.toString()).toBe('GET /t?a=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
  })
  it('POST: the body is trimmed and counted', () => {
    const r = buildRequest('POST /t\n  hello world \n')
    expect(r.method).toBe('POST')
    expect(r.bytes.toString()).toBe('POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello world')
  })
  it('more_headers; Host, Connection and Content-Length from them win', () => {
    const r = buildRequest('PUT /x HTTP/1.0\nabc', { moreHeaders: 'Host: a.com\nX-Foo: 1\nContent-Length: 2\n' }).bytes.toString()
    expect(r).toBe('PUT /x HTTP/1.0\r\nConnection: close\r\nHost: a.com\r\nX-Foo: 1\r\nContent-Length: 2\r\n\r\nabc')
    expect(buildRequest('GET /', { keepAlive: true }).bytes.toString()).toContain('Connection: keep-alive')
  })
  it('a bad request line throws', () => {
    expect(() => buildRequest('\n')).toThrow(/bad request line/)
  })
})

describe('splitPackets', () => {
  it('keeps the lengths of the later packets, counted from the end', () => {
    const full = buildRequest('POST /t\nhello').bytes
    const p = splitPackets(full, [{ length: 11, delayBeforeMs: 0 }, { length: 2, delayBeforeMs: 5 }])
    expect(p.map((x) => x.data.toString())).toEqual([full.subarray(0, full.length - 2).toString(), 'lo'])
    expect(p[1]?.delayBeforeMs).toBe(5)
  })
})

describe('parseResponses', () => {
  it('content-length, chunked and read-to-close bodies; several responses', () => {
    const data = Buffer.from(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: 1\r\nX-A: 2\r\n\r\nabc' +
      'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n' +
      'HTTP/1.1 200 OK\r\n\r\nuntil close',
    )
    const rs = parseResponses(data, ['GET', 'GET', 'GET'])
    expect(rs.map((r) => [r.status, r.body.toString(), r.complete])).toEqual([[200, 'abc', true], [404, 'hello', true], [200, 'until close', true]])
    expect(headerValue(rs[0]!, 'x-a')).toBe('1, 2')
    expect(headerValue(rs[0]!, 'x-b')).toBeUndefined()
    expect(rs[0]?.rawHeaders).toBe('Content-Length: 3\r\nX-A: 1\r\nX-A: 2\r\n')
  })
  it('HEAD and 304 have no body; truncated data is incomplete', () => {
    const rs = parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n'), ['HEAD', 'GET'])
    expect(rs.map((r) => [r.status, r.body.length])).toEqual([[200, 0], [304, 0]])
    expect(parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'), ['GET'])[0]?.complete).toBe(false)
    expect(parseResponses(Buffer.from('HTTP/1.1 200 OK\r\nCont'), ['GET'])[0]?.complete).toBe(false)
  })
})

describe('exchange', () => {
  let server: Server | undefined
  afterEach(() => { server?.close() })

  function serve(onConn: (s: Socket) => void): Promise<number> {
    return new Promise((resolve) => {
      server = createServer(onConn)
      server.listen(0, '127.0.0.1', () => {
        const a = server?.address()
        resolve(typeof a === 'object' && a !== null ? a.port : 0)
      })
    })
  }

  it('sends packets with their delays and reads until the peer closes', async () => {
    const got: string[] = []
    const port = await serve((s) => {
      s.on('data', (d) => {
        got.push(d.toString())
        if (got.join('').endsWith('\r\n\r\n')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      })
    })
    const t0 = Date.now()
    const r = await exchange('127.0.0.1', port, [
      { data: Buffer.from('GET / HTTP/1.1\r\n'), delayBeforeMs: 0 },
      { data: Buffer.from('Host: x\r\n\r\n'), delayBeforeMs: 150 },
    ], 2000)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    expect(got).toEqual(['GET / HTTP/1.1\r\n', 'Host: x\r\n\r\n'])
    expect(r.timedOut).toBe(false)
    expect(r.data.toString()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
  })

  it('times out when the peer stays silent', async () => {
    const port = await serve(() => { /* never answers */ })
    const r = await exchange('127.0.0.1', port, [{ data: Buffer.from('GET /'), delayBeforeMs: 0 }], 150)
    expect(r.timedOut).toBe(true)
    expect(r.data.length).toBe(0)
  })

  it('reports a refused connection', async () => {
    const port = await serve(() => { /* unused */ })
    server?.close()
    await new Promise((r) => setTimeout(r, 20))
    const r = await exchange('127.0.0.1', port, [{ data: Buffer.from('x'), delayBeforeMs: 0 }], 500)
    expect(r.error).toMatch(/ECONNREFUSED/)
  })
})
