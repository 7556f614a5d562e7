import { describe, expect, it } from 'vitest'
import { get, rawRequest, request, serverPerTest } from './harness.ts'

const start = serverPerTest()

describe('ngx.var', () => {
  it('reads uri, request_uri, args, arg_*, is_args, request_method and server_protocol', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      const v = ngx.var
      ngx.say(v.uri, '|', v.request_uri, '|', v.args, '|', v.arg_a, '|', v.arg_B, '|', v.is_args, '|', v.request_method, '|', v.server_protocol)
    } } })
    expect((await get(t.port, '/t?a=1%202&b=x')).body).toBe('/t|/t?a=1%202&b=x|a=1%202&b=x|1%202|x|?|GET|HTTP/1.1\n')
  })

  it('decodes and normalises $uri but keeps $request_uri raw', async () => {
    const t = await start({ '/': { content: (ngx) => ngx.say(ngx.var.uri, ' ', ngx.var.request_uri) } })
    expect((await get(t.port, '/a//b/./c/../d%20e')).body).toBe('/a/b/d e /a//b/./c/../d%20e\n')
  })

  it('reads http_*, cookie_*, host, remote_addr, server_port and binary_remote_addr', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      const v = ngx.var
      ngx.say(v.http_user_agent, '|', v.http_x_custom_header, '|', v.cookie_session, '|', v.host, '|', v.remote_addr, '|', v.server_port === String(t.port), '|', v.binary_remote_addr?.length)
    } } })
    const res = await get(t.port, '/t', { 'User-Agent': 'tester/1', 'X-Custom-Header': 'v', Cookie: 'a=1; session=abc' })
    expect(res.body).toBe('tester/1|v|abc|localhost|127.0.0.1|true|4\n')
  })

  it('gives undefined for unknown variables and regex captures as ngx.var[1]', async () => {
    const t = await start({ '~ ^/item/(\\d+)/(?<name>\\w+)$': { content: (ngx) => ngx.say(ngx.var[1], ' ', ngx.var.name, ' ', ngx.var.nope === undefined) } })
    expect((await get(t.port, '/item/42/bolt')).body).toBe('42 bolt true\n')
  })

  it('reads and writes user variables declared with set, and refuses undeclared ones with ngx_lua\'s message', async () => {
    let err = ''
    const t = await start(
      { '/t': { set: { greeting: 'hi $arg_who' }, content: (ngx) => {
        ngx.say(ngx.var.greeting)
        ngx.var.greeting = 'changed'
        ngx.say(ngx.var.greeting)
        try { ngx.var.undeclared = 'x' } catch (e) { err = (e as Error).message }
        try { ngx.var.uri = 'x' } catch (e) { err += '|' + (e as Error).message }
      } } },
    )
    expect((await get(t.port, '/t?who=bob')).body).toBe('hi bob\nchanged\n')
    expect(err).toBe('variable "undeclared" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $undeclared \'\';" in the config file to define it first|variable "uri" not changeable')
  })

  it('lets $args be rewritten', async () => {
    const t = await start({ '/t': { rewrite: (ngx) => { ngx.var.args = 'x=1' }, content: (ngx) => ngx.say(ngx.var.arg_x, ' ', ngx.req.getUriArgs().args.x) } })
    expect((await get(t.port, '/t?y=2')).body).toBe('1 1\n')
  })

  it('has $request_time, $status and $request_id', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.say(/^\d+\.\d{3}$/.test(ngx.var.request_time ?? ''), ' ', ngx.var.status, ' ', /^[0-9a-f]{32}$/.test(ngx.var.request_id ?? ''), ' ', ngx.var.request_id === ngx.var.request_id)
    } } })
    expect((await get(t.port, '/t')).body).toBe('true 000 true true\n')
  })
})

describe('ngx.req', () => {
  it('getHeaders lower-cases names, groups repeats into arrays and reports truncation', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      const all = ngx.req.getHeaders()
      ngx.say(JSON.stringify(all.headers['x-multi']), ' ', all.truncated)
      const two = ngx.req.getHeaders(2)
      ngx.say(Object.keys(two.headers).length, ' ', two.truncated)
      ngx.say(Object.keys(ngx.req.getHeaders(0, true).headers).includes('X-Multi'))
    } } })
    const res = await rawRequest(t.port, 'GET /t HTTP/1.1\r\nHost: localhost\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\n')
    expect(res.body).toBe('["a","b"] false\n2 true\ntrue\n')
  })

  it('setHeader and clearHeader change what later phases see', async () => {
    const t = await start({ '/t': {
      rewrite: (ngx) => { ngx.req.setHeader('X-Added', 'yes'); ngx.req.clearHeader('User-Agent') },
      content: (ngx) => ngx.say(ngx.var.http_x_added, ' ', ngx.var.http_user_agent === undefined),
    } })
    expect((await get(t.port, '/t', { 'User-Agent': 'ua' })).body).toBe('yes true\n')
  })

  it('getUriArgs decodes, keeps multi-values and treats a bare key as true', async () => {
    const t = await start({ '/t': { content: (ngx) => ngx.say(JSON.stringify(ngx.req.getUriArgs().args)) } })
    expect((await get(t.port, '/t?a=1&a=2&b&c=&d=x%20y+z')).body).toBe('{"a":["1","2"],"b":true,"c":"","d":"x y z"}\n')
  })

  it('setUriArgs takes a string or a table', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.req.setUriArgs({ a: 1, b: ['x', 'y'] })
      ngx.say(ngx.var.args)
      ngx.req.setUriArgs('raw=1')
      ngx.say(ngx.var.args)
    } } })
    expect((await get(t.port, '/t')).body).toBe('a=1&b=x&b=y\nraw=1\n')
  })

  it('readBody then getBodyData and getPostArgs', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      await ngx.req.readBody()
      ngx.say(ngx.req.getBodyData())
      ngx.say(JSON.stringify(ngx.req.getPostArgs().args))
    } } })
    const res = await request(t.port, 'POST', '/t', 'a=1&b=hello%20there', { 'Content-Type': 'application/x-www-form-urlencoded' })
    expect(res.body).toBe('a=1&b=hello%20there\n{"a":"1","b":"hello there"}\n')
  })

  it('reads a chunked request body', async () => {
    const t = await start({ '/t': { content: async (ngx) => { await ngx.req.readBody(); ngx.say(ngx.req.getBodyData()) } } })
    const res = await rawRequest(t.port, 'POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
    expect(res.body).toBe('hello world\n')
  })

  it('getPostArgs before readBody throws ngx_lua\'s message', async () => {
    let err = ''
    const t = await start({ '/t': { content: (ngx) => { try { ngx.req.getPostArgs() } catch (e) { err = (e as Error).message } ngx.say('done') } } })
    await request(t.port, 'POST', '/t', 'a=1')
    expect(err).toBe('no request body found; maybe you should turn on lua_need_request_body?')
  })

  it('getBodyData is undefined before the body is read and for an empty body', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.say(ngx.req.getBodyData() === undefined)
      await ngx.req.readBody()
      ngx.say(ngx.req.getBodyData() === undefined)
    } } })
    expect((await request(t.port, 'POST', '/t', '')).body).toBe('true\ntrue\n')
  })

  it('setBodyData replaces the body once read', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      await ngx.req.readBody()
      ngx.req.setBodyData('replaced')
      ngx.say(ngx.req.getBodyData())
    } } })
    expect((await request(t.port, 'POST', '/t', 'orig')).body).toBe('replaced\n')
  })

  it('a body over client_max_body_size is refused with 413 before any handler runs', async () => {
    let ran = false
    const t = await start({ '/t': { clientMaxBodySize: '10', rewrite: () => { ran = true }, content: (ngx) => ngx.say('no') } })
    const res = await request(t.port, 'POST', '/t', 'x'.repeat(11))
    expect(res.status).toBe(413)
    expect(res.body).toContain('413 Request Entity Too Large')
    expect(ran).toBe(false)
    expect(t.errorLog()).toContain('client intended to send too large body: 11 bytes')
  })

  it('a chunked body over client_max_body_size ends the request with 413 while reading', async () => {
    const t = await start({ '/t': { clientMaxBodySize: 8, content: async (ngx) => { await ngx.req.readBody(); ngx.say('no') } } })
    const res = await rawRequest(t.port, 'POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
    expect(res.status).toBe(413)
  })

  it('getMethod, setMethod, httpVersion, startTime, isInternal', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      const before = ngx.req.getMethod()
      ngx.req.setMethod(ngx.HTTP_POST)
      const st = ngx.req.startTime()
      ngx.say(before, ' ', ngx.req.getMethod(), ' ', ngx.req.httpVersion(), ' ', Math.abs(st - Date.now() / 1000) < 5, ' ', ngx.req.isInternal())
    } } })
    expect((await get(t.port, '/t')).body).toBe('GET POST 1.1 true false\n')
  })

  it('rawHeader returns the header block as received, with or without the request line', async () => {
    const t = await start({ '/t': { content: (ngx) => { ngx.print(ngx.req.rawHeader()); ngx.print('--\n'); ngx.print(ngx.req.rawHeader(true)) } } })
    const res = await rawRequest(t.port, 'GET /t?x=1 HTTP/1.1\r\nHost: localhost\r\nX-Foo: bar\r\nConnection: close\r\n\r\n')
    expect(res.body).toBe('GET /t?x=1 HTTP/1.1\r\nHost: localhost\r\nX-Foo: bar\r\nConnection: close\r\n\r\n--\nHost: localhost\r\nX-Foo: bar\r\nConnection: close\r\n\r\n')
  })

  it('setUri changes $uri; with jump it re-matches locations', async () => {
    const t = await start({
      '/old': { rewrite: (ngx) => ngx.req.setUri('/new', true), content: (ngx) => ngx.say('old') },
      '/new': { content: (ngx) => ngx.say('new ', ngx.var.uri) },
      '/keep': { content: (ngx) => { ngx.req.setUri('/elsewhere'); ngx.say(ngx.var.uri) } },
    })
    expect((await get(t.port, '/old')).body).toBe('new /new\n')
    expect((await get(t.port, '/keep')).body).toBe('/elsewhere\n')
  })

  it('setUri with jump outside rewrite throws', async () => {
    let err = ''
    const t = await start({ '/t': { content: (ngx) => { try { ngx.req.setUri('/x', true) } catch (e) { err = (e as Error).message } ngx.say('ok') } } })
    await get(t.port, '/t')
    expect(err).toBe('API disabled in the context of content_by_lua*')
  })
})
