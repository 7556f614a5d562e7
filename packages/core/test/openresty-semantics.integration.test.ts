// Behaviours checked against the reference OpenResty (nginx 1.22.1 + ngx_lua 0.10.23).
import { afterEach, describe, expect, it } from 'vitest'
import type { LocationDef } from '../src/index.ts'
import { get, serve } from './harness.ts'
import type { TestServer } from './harness.ts'

let s: TestServer | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})
const start = async (locs: Record<string, LocationDef>): Promise<TestServer> => (s = await serve(locs))
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
})
