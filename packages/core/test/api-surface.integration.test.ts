import { describe, expect, it } from 'vitest'
import { HTTP_STATUS, LOG_LEVELS, NRESTY_VERSION } from '../src/index.ts'
import { get, request, serverPerTest } from './harness.ts'

const start = serverPerTest()

describe('the ngx object', () => {
  it('carries ngx_lua\'s constants, ngx.null, config and worker', async () => {
    let seen: unknown[] = []
    const t = await start({ '/t': { content: (ngx) => {
      seen = [ngx.OK, ngx.ERROR, ngx.DECLINED, ngx.HTTP_GET, ngx.HTTP_POST, ngx.HTTP_NOT_FOUND, ngx.HTTP_CLOSE, ngx.ERR, ngx.DEBUG, ngx.null,
        ngx.config.subsystem, ngx.config.nginxVersion, ngx.config.ngxLuaVersion, ngx.config.nrestyVersion, ngx.config.prefix() === `${t.prefix}/`,
        ngx.worker.id(), ngx.worker.count(), ngx.worker.pid() === process.pid, ngx.worker.exiting()]
      ngx.say('ok')
    } } })
    await get(t.port, '/t')
    expect(seen).toEqual([0, -1, -5, 2, 8, 404, 444, LOG_LEVELS.ERR, 8, null, 'http', 1022001, 10023, NRESTY_VERSION, true, 0, 1, true, false])
    expect(HTTP_STATUS.HTTP_OK).toBe(200)
  })

  it('offers the request-independent functions on ngx too', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.say(ngx.encodeBase64('hi'), ' ', ngx.md5('x'), ' ', ngx.escapeUri('a b'), ' ', ngx.unescapeUri('a%20b'), ' ', ngx.encodeArgs({ a: 1 }), ' ', JSON.stringify(ngx.decodeArgs('a=1&b')),
        ' ', ngx.quoteSqlStr("it's"), ' ', ngx.crc32Long('hello'), ' ', ngx.httpTime(0), ' ', ngx.parseHttpTime('Thu, 01 Jan 1970 00:00:10 GMT'), ' ', typeof ngx.today())
    } } })
    expect((await get(t.port, '/t')).body).toBe("aGk= 9dd4e461268c8034f5c8564e155c67a6 a%20b a b a=1 {\"a\":\"1\",\"b\":true} 'it\\'s' 907060870 Thu, 01 Jan 1970 00:00:00 GMT 10 string\n")
  })

  it('ngx.ctx can be replaced wholesale', async () => {
    const t = await start({ '/t': { rewrite: (ngx) => { ngx.ctx = { replaced: true } }, content: (ngx) => ngx.say(String(ngx.ctx.replaced)) } })
    expect((await get(t.port, '/t')).body).toBe('true\n')
  })
})

describe('ngx.header table operations', () => {
  it('supports delete and the in operator', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.header['X-A'] = '1'
      const had = 'x_a' in ngx.header
      delete ngx.header['X-A']
      ngx.say(had, ' ', 'X-A' in ngx.header)
    } } })
    const res = await get(t.port, '/t')
    expect(res.body).toBe('true false\n')
    expect(res.headers['x-a']).toBeUndefined()
  })

  it('setting or adding headers after they were sent only logs', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.say('x')
      await ngx.flush()
      ngx.header['X-Late'] = '1'
      ngx.resp.addHeader('X-Later', '2')
    } } })
    const res = await get(t.port, '/t')
    expect(res.headers['x-late']).toBeUndefined()
    expect(t.errorLog().match(/attempt to set ngx\.header\.HEADER after sending out response headers/g)).toHaveLength(2)
  })
})

describe('misc request API', () => {
  it('onAbort a second time answers "duplicate call"', async () => {
    let second: unknown
    const t = await start({ '/t': { content: (ngx) => { ngx.onAbort(() => undefined); second = ngx.onAbort(() => undefined); ngx.say('ok') } } })
    await get(t.port, '/t')
    expect(second).toEqual({ ok: false, err: 'duplicate call' })
  })

  it('discardBody leaves no body to read; getBodyBuffer takes a byte limit', async () => {
    const t = await start({
      '/discard': { content: async (ngx) => { ngx.req.discardBody(); await ngx.req.readBody(); ngx.say(String(ngx.req.getBodyData())) } },
      '/limit': { content: async (ngx) => { await ngx.req.readBody(); ngx.say(ngx.req.getBodyBuffer(3)?.toString()) } },
    })
    expect((await request(t.port, 'POST', '/discard', 'body')).body).toBe('undefined\n')
    expect((await request(t.port, 'POST', '/limit', 'abcdef')).body).toBe('abc\n')
  })

  it('setMethod refuses unknown method ids', async () => {
    let err = ''
    const t = await start({ '/t': { content: (ngx) => { try { ngx.req.setMethod(3) } catch (e) { err = (e as Error).message } ngx.say('ok') } } })
    await get(t.port, '/t')
    expect(err).toBe('unsupported HTTP method: 3')
  })

  it('exec merges a query in the uri with the args argument; a named exec drops args with a warning', async () => {
    const t = await start({
      '/a': { content: (ngx) => ngx.exec('/b?x=1', 'y=2') },
      '/b': { content: (ngx) => ngx.say(ngx.var.args) },
      '/n': { content: (ngx) => ngx.exec('@named', 'q=1') },
      '@named': { content: (ngx) => ngx.say('named ', String(ngx.var.args)) },
    })
    expect((await get(t.port, '/a')).body).toBe('x=1&y=2\n')
    expect((await get(t.port, '/n?orig=1')).body).toBe('named orig=1\n')
    expect(t.errorLog()).toContain("query strings q=1 ignored when exec'ing named location @named")
  })

  it('getUriArgs reports truncation past max', async () => {
    const t = await start({ '/t': { content: (ngx) => { const r = ngx.req.getUriArgs(2); ngx.say(Object.keys(r.args).join(','), ' ', r.truncated) } } })
    expect((await get(t.port, '/t?a=1&b=2&c=3')).body).toBe('a,b true\n')
  })
})
