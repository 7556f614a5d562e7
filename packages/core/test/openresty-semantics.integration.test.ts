// Behaviours checked against the reference OpenResty (nginx 1.22.1 + ngx_lua 0.10.23).
import { describe, expect, it } from 'vitest'
import type { LocationDef } from '../src/index.ts'
import { get, rawRequest, serverPerTest } from './harness.ts'

const start = serverPerTest()
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('as OpenResty answers', () => {
  it('output in a rewrite or access handler ends the request after that handler', async () => {
    let content = false
    const t = await start({ '/t': { access: (ngx) => { ngx.say('from access') }, content: (ngx) => { content = true; ngx.say('content') } } })
    expect((await get(t.port, '/t')).body).toBe('from access\n')
    expect(content).toBe(false)
  })

  it('ngx.exit(403) in a header filter replaces the response with the 403 page; exit(200) with an empty body', async () => {
    const t = await start({
      '/deny': { content: (ngx) => ngx.say('original'), headerFilter: (ngx) => ngx.exit(403) },
      '/empty': { content: (ngx) => ngx.say('original'), headerFilter: (ngx) => ngx.exit(200) },
      '/ok': { content: (ngx) => ngx.say('kept'), headerFilter: [(ngx) => ngx.exit(ngx.OK), (ngx) => { ngx.header['X-Second'] = 'ran' }] },
    })
    const deny = await get(t.port, '/deny')
    expect(deny.status).toBe(403)
    expect(deny.body).toContain('403 Forbidden')
    expect(deny.body).not.toContain('original')
    const empty = await get(t.port, '/empty')
    expect([empty.status, empty.body]).toEqual([200, ''])
    const ok = await get(t.port, '/ok')
    expect([ok.body, ok.headers['x-second']]).toEqual(['kept\n', 'ran'])
  })

  it('after eof, say/print/flush/eof answer "seen eof"; flush before any output answers "nothing to flush"', async () => {
    const errs: unknown[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      const f = await ngx.flush()
      errs.push(f.ok ? 'ok' : f.err)
      ngx.say('x')
      ngx.eof()
      for (const r of [ngx.say('y'), ngx.print('z'), await ngx.flush(), ngx.eof()]) errs.push(r.ok ? 'ok' : r.err)
    } } })
    expect((await get(t.port, '/t')).body).toBe('x\n')
    expect(errs).toEqual(['nothing to flush', 'seen eof', 'seen eof', 'seen eof', 'seen eof'])
  })

  it('$query_string is not changeable', async () => {
    let err = ''
    const t = await start({ '/t': { content: (ngx) => { try { ngx.var.query_string = 'a=1' } catch (e) { err = (e as Error).message } ngx.say('ok') } } })
    await get(t.port, '/t')
    expect(err).toBe('variable "query_string" not changeable')
  })

  it('ngx.arg outside a body filter throws "API disabled in the current context"', async () => {
    let err = ''
    const t = await start({ '/t': { content: (ngx) => { try { void ngx.arg[1] } catch (e) { err = (e as Error).message } ngx.say('ok') } } })
    await get(t.port, '/t')
    expect(err).toBe('API disabled in the current context')
  })

  it('body filters run on subrequests too', async () => {
    const t = await start({
      '/main': { content: async (ngx) => { ngx.print((await ngx.location.capture('/sub')).body) } },
      '/sub': { content: (ngx) => ngx.say('lower'), bodyFilter: (ngx) => { ngx.arg[1] = String(ngx.arg[1]).toUpperCase() } },
    })
    expect((await get(t.port, '/main')).body).toBe('LOWER\n')
  })

  it('a subrequest that ends with ngx.ERROR gives the parent status 500', async () => {
    const t = await start({
      '/main': { content: async (ngx) => { ngx.say((await ngx.location.capture('/sub')).status) } },
      '/sub': { content: (ngx) => ngx.exit(ngx.ERROR) },
    })
    expect((await get(t.port, '/main')).body).toBe('500\n')
  })

  it('ngx.now() stays put inside synchronous code and moves on after an await', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const a = ngx.now()
      const until = Date.now() + 30
      while (Date.now() < until) { /* busy */ }
      const b = ngx.now()
      await sleep(30)
      const c = ngx.now()
      ngx.updateTime()
      ngx.say(a === b, ' ', c > b)
    } } })
    expect((await get(t.port, '/t')).body).toBe('true true\n')
  })

  it('error-log lines carry the referrer, and " while logging request" in the log phase', async () => {
    const t = await start({ '/t': { content: (ngx) => ngx.say('ok'), log: (ngx) => ngx.log(ngx.ERR, 'in log') } })
    await get(t.port, '/t', { Referer: 'http://from/' })
    await sleep(10)
    expect(t.errorLog()).toMatch(/in log while logging request, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "localhost", referrer: "http:\/\/from\/"/)
  })

  it('ngx.exit(2xx) keeps a status already set (204 excepted)', async () => {
    const t = await start({ '/t': { content: (ngx) => { ngx.status = 404; ngx.exit(200) } }, '/n': { content: (ngx) => { ngx.status = 201; ngx.exit(204) } } })
    expect((await get(t.port, '/t')).status).toBe(404)
    expect((await get(t.port, '/n')).status).toBe(204)
  })

  it('nginx closes the connection after a 500 page, not after a handler\'s own 500', async () => {
    const t = await start({ '/page': { content: (ngx) => ngx.exit(500) }, '/own': { content: (ngx) => { ngx.status = 500; ngx.say('mine') } } })
    const ka = 'GET /page HTTP/1.1\r\nHost: localhost\r\n\r\n'
    expect((await rawRequest(t.port, ka, 500)).headers.connection).toBe('close')
    expect((await rawRequest(t.port, ka.replace('/page', '/own'), 300)).headers.connection).toBe('keep-alive')
  })

  it('a status with no page is sent with Content-Length 0 and no Content-Type', async () => {
    const t = await start({ '/t': { content: (ngx) => ngx.exit(418) } })
    const res = await get(t.port, '/t')
    expect([res.status, res.headers['content-length'], res.headers['content-type']]).toEqual([418, '0', undefined])
  })

  it('HEAD gets no Content-Length for a handler\'s body', async () => {
    const t = await start({ '/t': { content: (ngx) => ngx.say('hello') } })
    const res = await rawRequest(t.port, 'HEAD /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    expect([res.status, res.headers['content-length'], res.body]).toEqual([200, undefined, ''])
  })

  it('an HTTP/1.0 client gets the whole response with a Content-Length even after ngx.flush', async () => {
    const t = await start({ '/t': { content: async (ngx) => { ngx.say('a'); await ngx.flush(); ngx.say('b') } } })
    const res = await rawRequest(t.port, 'GET /t HTTP/1.0\r\n\r\n')
    expect([res.headers['content-length'], res.body]).toEqual(['4', 'a\nb\n'])
  })

  it('the return directive makes a relative redirect absolute; ngx.header.Location stays as written', async () => {
    const t = await start({ '/r': { return: [302, '/rel'] }, '/h': { content: (ngx) => { ngx.header.Location = '/x'; ngx.exit(301) } } })
    expect((await get(t.port, '/r')).headers.location).toBe(`http://localhost:${t.port}/rel`)
    expect((await get(t.port, '/h')).headers.location).toBe('/x')
  })

  it('an error_page target sees the error status in ngx.status and $status', async () => {
    const t = await start({ '/t': { errorPage: { 404: '/custom' }, content: (ngx) => ngx.exit(404) }, '/custom': { content: (ngx) => ngx.say(ngx.status, ' ', ngx.var.status) } })
    const res = await get(t.port, '/t')
    expect([res.status, res.body]).toEqual([404, '404 404\n'])
  })

  it('uses ngx_lua\'s wording for say(function), redirect with CR/LF, capture(""), and a bad log level', async () => {
    const errs: string[] = []
    const t = await start({ '/t': { content: (ngx) => {
      const tries: Array<() => unknown> = [
        () => ngx.say(() => 1),
        () => ngx.redirect('/a\r\nb'),
        () => ngx.location.capture(''),
        () => ngx.log(99, 'x'),
      ]
      for (const f of tries) { try { f() } catch (e) { errs.push((e as Error).message) } }
      ngx.say('ok')
    } } })
    await get(t.port, '/t')
    expect(errs).toEqual([
      "bad argument #1 to 'say' (string, number, boolean, nil, ngx.null, or array table expected, but got function)",
      'unsafe byte "0x0d" in redirect uri "/a\\x0D\\x0Ab"',
      'unsafe uri in argument #1: ',
      "bad argument #1 to 'log' (bad log level: 99)",
    ])
  })

  it('ngx.header.Server replaces the Server header', async () => {
    const t = await start({ '/t': { content: (ngx) => { ngx.header.Server = 'mine'; ngx.say('x') } } })
    expect((await get(t.port, '/t')).headers.server).toBe('mine')
  })

  it('a subrequest that fails after output keeps its partial body, marked truncated', async () => {
    const t = await start({
      '/main': { content: async (ngx) => { const r = await ngx.location.capture('/sub'); ngx.say(JSON.stringify([r.body, r.truncated])) } },
      '/sub': { content: async (ngx) => { ngx.say('part'); await ngx.flush(); throw new Error('boom') } },
    })
    expect((await get(t.port, '/main')).body).toBe('["part\\n",true]\n')
  })
})

describe('request checks nginx makes', () => {
  const ok: Record<string, LocationDef> = { '/': { content: (ngx) => ngx.say('host=', ngx.var.host) } }
  const cases: Array<[string, string, number, string]> = [
    ['an HTTP/1.1 request without Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'client sent HTTP/1.1 request without "Host" header'],
    ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', 400, 'client sent duplicate host header: "Host: b", previous value: "Host: a"'],
    ['an invalid Host', 'GET / HTTP/1.1\r\nHost: a/b\r\nConnection: close\r\n\r\n', 400, 'client sent invalid host header'],
    ['a header line over 8k', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(9000)}\r\nConnection: close\r\n\r\n`, 400, 'client sent too long header line: "X-Big: aaa'],
    ['a request line over 8k', `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 414, 'client sent too long URI'],
  ]
  for (const [name, raw, status, log] of cases) {
    it(`${name} gets ${status} and is logged`, async () => {
      const t = await start(ok)
      const res = await rawRequest(t.port, raw)
      expect(res.status).toBe(status)
      expect(t.errorLog()).toContain(log)
    })
  }

  it('the long header line gets nginx\'s "Request Header Or Cookie Too Large" page', async () => {
    const t = await start(ok)
    const res = await rawRequest(t.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`)
    expect(res.body).toContain('Request Header Or Cookie Too Large')
    expect(res.headers.connection).toBe('close')
  })

  it('an absolute-form target\'s host wins over the Host header', async () => {
    const t = await start(ok)
    expect((await rawRequest(t.port, 'GET http://Example.com/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).body).toBe('host=example.com\n')
  })

  it('Expect: 100-continue with a body over the limit gets the 413 without a 100', async () => {
    const t = await start({ '/t': { clientMaxBodySize: 10, content: async (ngx) => { await ngx.req.readBody(); ngx.say('x') } } })
    const res = await rawRequest(t.port, 'POST /t HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n', 1000)
    expect(res.raw.startsWith('HTTP/1.1 413 ')).toBe(true)
  })

  it('Expect: 100-continue gets its 100 when the handler reads the body', async () => {
    const t = await start({ '/t': { content: async (ngx) => { await ngx.req.readBody(); ngx.say(ngx.req.getBodyData()) } } })
    const { connect } = await import('node:net')
    const sock = connect(t.port, '127.0.0.1')
    let got = ''
    sock.on('data', (c: Buffer) => {
      got += c.toString()
      if (got.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !got.includes('200')) sock.write('hello')
    })
    sock.write('POST /t HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n')
    await new Promise((r) => sock.on('close', r))
    expect(got).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK[\s\S]*\r\n\r\nhello\n$/)
  })
})
