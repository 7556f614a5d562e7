import { describe, expect, it } from 'vitest'
import type { Ngx } from '../src/index.ts'
import { get, serverPerTest } from './harness.ts'

const start = serverPerTest()

describe('phases', () => {
  it('runs server_rewrite, rewrite, access, content, header_filter, body_filter and log in nginx order', async () => {
    const seen: string[] = []
    const note = (ngx: Ngx): void => { seen.push(ngx.getPhase()) }
    const t = await start(
      {
        '/t': {
          rewrite: note, access: note,
          content: (ngx) => { note(ngx); ngx.say('body') },
          headerFilter: note, bodyFilter: note, log: note,
        },
      },
      { serverRewrite: note },
    )
    const res = await get(t.port, '/t')
    expect(res.body).toBe('body\n')
    // The body filter sees the chunk, then the last (eof) buffer, as in nginx.
    expect(seen).toEqual(['server_rewrite', 'rewrite', 'access', 'content', 'header_filter', 'body_filter', 'body_filter', 'log'])
  })

  it('runs the body filter once per output chunk and once more with eof', async () => {
    const calls: Array<[string, boolean]> = []
    const t = await start({
      '/t': {
        content: async (ngx) => { ngx.print('a'); await ngx.flush(); ngx.print('b') },
        bodyFilter: (ngx) => { calls.push([String(ngx.arg[1]), ngx.arg[2]]) },
      },
    })
    await get(t.port, '/t')
    expect(calls).toEqual([['a', false], ['b', false], ['', true]])
  })

  it('lets the body filter rewrite, drop and truncate chunks', async () => {
    const t = await start({
      '/up': { content: (ngx) => { ngx.print('hello '); ngx.print('secret '); ngx.print('world') }, bodyFilter: (ngx) => {
        const c = String(ngx.arg[1])
        ngx.arg[1] = c === 'secret ' ? '' : c.toUpperCase()
      } },
      '/cut': { content: (ngx) => { ngx.print('one|'); ngx.print('two|'); ngx.print('three') }, bodyFilter: (ngx) => {
        if (String(ngx.arg[1]) === 'two|') { ngx.arg[1] = 'two'; ngx.arg[2] = true }
      } },
    })
    expect((await get(t.port, '/up')).body).toBe('HELLO WORLD')
    expect((await get(t.port, '/cut')).body).toBe('one|two')
  })

  it('lets the header filter change status and headers before they are sent', async () => {
    const t = await start({
      '/t': {
        content: (ngx) => ngx.say('x'),
        headerFilter: (ngx) => { ngx.status = 201; ngx.header['X-Filtered'] = 'yes' },
      },
    })
    const res = await get(t.port, '/t')
    expect(res.status).toBe(201)
    expect(res.headers['x-filtered']).toBe('yes')
  })

  it('awaits async handlers in every phase before moving on', async () => {
    const t = await start({
      '/t': {
        rewrite: async (ngx) => { await sleep(5); ngx.ctx.a = 1 },
        access: async (ngx) => { await sleep(5); ngx.ctx.b = 2 },
        content: async (ngx) => { await sleep(5); ngx.say(ngx.ctx.a + ngx.ctx.b) },
      },
    })
    expect((await get(t.port, '/t')).body).toBe('3\n')
  })

  it('ngx.exit(ngx.OK) in rewrite and access ends only that handler', async () => {
    const t = await start({
      '/t': {
        rewrite: [(ngx) => { ngx.ctx.r = 'r'; ngx.exit(ngx.OK) }, (ngx) => { ngx.ctx.r += '2' }],
        access: (ngx) => { ngx.ctx.a = 'a'; ngx.exit(ngx.OK) },
        content: (ngx) => ngx.say(ngx.ctx.r, ngx.ctx.a),
      },
    })
    expect((await get(t.port, '/t')).body).toBe('r2a\n')
  })

  it('ngx.exit(status >= 300) in access finishes the request with nginx\'s error page', async () => {
    let contentRan = false
    const t = await start({ '/t': { access: (ngx) => ngx.exit(403), content: (ngx) => { contentRan = true; ngx.say('no') } } })
    const res = await get(t.port, '/t')
    expect(res.status).toBe(403)
    expect(res.headers['content-type']).toBe('text/html')
    expect(res.body).toContain('<center><h1>403 Forbidden</h1></center>')
    expect(contentRan).toBe(false)
  })

  it('ngx.exit(2xx) without output sends that status with an empty body', async () => {
    const t = await start({ '/t': { rewrite: (ngx) => ngx.exit(204) }, '/ok': { content: (ngx) => ngx.exit(200) } })
    const r204 = await get(t.port, '/t')
    expect(r204.status).toBe(204)
    expect(r204.body).toBe('')
    const r200 = await get(t.port, '/ok')
    expect(r200.status).toBe(200)
    expect(r200.body).toBe('')
  })

  it('ngx.exit after output ends the request keeping what was sent', async () => {
    const t = await start({ '/t': { content: (ngx) => { ngx.say('partial'); ngx.exit(500); ngx.say('never') } } })
    const res = await get(t.port, '/t')
    expect(res.status).toBe(200)
    expect(res.body).toBe('partial\n')
  })

  it('ngx.exit(444) and ngx.exit(ngx.ERROR) close the connection without a response', async () => {
    const t = await start({ '/close': { content: (ngx) => ngx.exit(444) }, '/error': { access: (ngx) => ngx.exit(ngx.ERROR) } })
    expect((await get(t.port, '/close')).raw).toBe('')
    expect((await get(t.port, '/error')).raw).toBe('')
  })

  it('a handler that throws gives 500, logs the error with its stack, and the server keeps serving', async () => {
    const t = await start({ '/boom': { content: () => { throw new Error('kaboom') } }, '/ok': { content: (ngx) => ngx.say('fine') } })
    const res = await get(t.port, '/boom')
    expect(res.status).toBe(500)
    expect(res.body).toContain('500 Internal Server Error')
    const log = t.errorLog()
    expect(log).toMatch(/\[error\] \d+#\d+: \*\d+ content handler aborted: Error: kaboom\n\s+at /)
    expect(log).toContain('request: "GET /boom HTTP/1.1"')
    expect((await get(t.port, '/ok')).body).toBe('fine\n')
  })

  it('a rejected async handler is handled like a throw', async () => {
    const t = await start({ '/t': { access: async () => { await sleep(1); throw new TypeError('late') } } })
    expect((await get(t.port, '/t')).status).toBe(500)
    expect(t.errorLog()).toContain('access handler aborted: TypeError: late')
  })

  it('runs the log phase after the response was sent, with the final status', async () => {
    let logged: [string, string | undefined] | undefined
    const t = await start({ '/t': { content: (ngx) => ngx.exit(404), log: (ngx) => { logged = [ngx.getPhase(), ngx.var.status] } } })
    await get(t.port, '/t')
    await sleep(10)
    expect(logged).toEqual(['log', '404'])
  })

  it('inherits phase handlers from server and gateway levels unless the location sets its own', async () => {
    const t = await start(
      { '/inherit': { content: (ngx) => ngx.say(ngx.ctx.from) }, '/own': { access: (ngx) => { ngx.ctx.from = 'location' }, content: (ngx) => ngx.say(ngx.ctx.from) } },
      { access: (ngx) => { ngx.ctx.from = 'server' } },
    )
    expect((await get(t.port, '/inherit')).body).toBe('server\n')
    expect((await get(t.port, '/own')).body).toBe('location\n')
  })
})

describe('phase checks', () => {
  const cases: Array<[string, (ngx: Ngx) => unknown, string]> = [
    ['ngx.say in header_filter', (ngx) => ngx.say('x'), 'API disabled in the context of header_filter_by_lua*'],
    ['ngx.exec in header_filter', (ngx) => ngx.exec('/x'), 'API disabled in the context of header_filter_by_lua*'],
    ['ngx.req.readBody in header_filter', (ngx) => ngx.req.readBody(), 'API disabled in the context of header_filter_by_lua*'],
    ['ngx.location.capture in header_filter', (ngx) => ngx.location.capture('/x'), 'API disabled in the context of header_filter_by_lua*'],
  ]
  for (const [name, call, msg] of cases) {
    it(`${name} throws "${msg}"`, async () => {
      let err: unknown
      const t = await start({ '/t': { content: (ngx) => ngx.say('ok'), headerFilter: (ngx) => { try { call(ngx) } catch (e) { err = e } } } })
      await get(t.port, '/t')
      expect((err as Error).message).toBe(msg)
      expect((err as { code: string }).code).toBe('NGX_ERR_PHASE')
    })
  }

  it('ngx.say in the log phase throws "API disabled in the context of log_by_lua*"', async () => {
    let err: unknown
    const t = await start({ '/t': { content: (ngx) => ngx.say('ok'), log: (ngx) => { try { ngx.say('x') } catch (e) { err = e } } } })
    await get(t.port, '/t')
    await sleep(10)
    expect((err as Error).message).toBe('API disabled in the context of log_by_lua*')
  })

  it('ngx.exit in body_filter throws "API disabled in the context of body_filter_by_lua*"', async () => {
    let err: unknown
    const t = await start({ '/t': { content: (ngx) => ngx.say('ok'), bodyFilter: (ngx) => { try { ngx.exit(200) } catch (e) { err = e } } } })
    await get(t.port, '/t')
    expect((err as Error).message).toBe('API disabled in the context of body_filter_by_lua*')
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

describe('early end of the response', () => {
  it('ngx.eof() in access ends the request and still runs the log phase', async () => {
    let logged = false
    const t = await start({ '/t': { access: (ngx) => { ngx.say('from access'); ngx.eof() }, content: (ngx) => ngx.say('never'), log: () => { logged = true } } })
    const res = await get(t.port, '/t')
    expect(res.body).toBe('from access\n')
    await sleep(10)
    expect(logged).toBe(true)
  })
})
