import { describe, expect, it } from 'vitest'
import { get, rawRequest, serverPerTest } from './harness.ts'

const start = serverPerTest()

describe('output', () => {
  it('say and print flatten nested arrays and render numbers, booleans, null and undefined as ngx_lua does', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.say('a', ['b', ['c', 1]], 2.5, true, null, undefined)
      ngx.print(10 / 4, ' ', 3, '\n')
    } } })
    expect((await get(t.port, '/t')).body).toBe('abc12.5truenullnil\n2.5 3\n')
  })

  it('say refuses objects with ngx_lua\'s message', async () => {
    let err = ''
    const t = await start({ '/t': { content: (ngx) => { try { ngx.say({ a: 1 }) } catch (e) { err = (e as Error).message } ngx.say('ok') } } })
    await get(t.port, '/t')
    // reference: a hash table is refused as "non-array table found"
    expect(err).toBe("bad argument #1 to 'say' (non-array table found)")
  })

  it('a fully buffered response carries Content-Length, default_type and the Server header', async () => {
    const t = await start({ '/t': { content: (ngx) => ngx.say('hello') } })
    const res = await get(t.port, '/t')
    expect(res.headers['content-length']).toBe('6')
    expect(res.headers['content-type']).toBe('text/plain')
    expect(res.headers.server).toMatch(/^nresty\//)
  })

  it('flush sends what is buffered at once and the rest is chunked', async () => {
    const t = await start({ '/t': { content: async (ngx) => { ngx.say('first'); await ngx.flush(true); ngx.say('second') } } })
    const res = await get(t.port, '/t')
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect(res.body).toBe('first\nsecond\n')
  })

  it('eof ends the response while the handler goes on', async () => {
    let after = false
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.say('done')
      ngx.eof()
      await new Promise((r) => setTimeout(r, 20))
      after = true
      ngx.say('late')
    } } })
    const res = await get(t.port, '/t')
    expect(res.body).toBe('done\n')
    await new Promise((r) => setTimeout(r, 40))
    expect(after).toBe(true)
  })

  it('ngx.status sets the status; setting it after headers were sent only logs', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.status = 418
      ngx.say('teapot')
      await ngx.flush()
      ngx.status = 200
    } } })
    const res = await get(t.port, '/t')
    expect(res.status).toBe(418)
    expect(t.errorLog()).toContain('attempt to set ngx.status after sending out response headers')
  })
})

describe('ngx.header', () => {
  it('is case-insensitive, maps _ to -, and sends arrays as repeated headers', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.header.content_type = 'application/json'
      ngx.header['X-Multi'] = ['a', 'b']
      ngx.header.x_under = 'u'
      ngx.say(JSON.stringify([ngx.header['CONTENT-TYPE'], ngx.header.x_multi]))
    } } })
    const res = await get(t.port, '/t')
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.headers['x-multi']).toBe('a, b')
    expect(res.headers['x-under']).toBe('u')
    expect(res.body).toBe('["application/json",["a","b"]]\n')
  })

  it('nil removes a header', async () => {
    const t = await start({ '/t': { content: (ngx) => { ngx.header['X-A'] = '1'; ngx.header['X-A'] = undefined; ngx.say('ok') } } })
    expect((await get(t.port, '/t')).headers['x-a']).toBeUndefined()
  })

  it('ngx.resp.getHeaders lists the response headers set so far', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.header['X-One'] = '1'
      ngx.resp.addHeader('X-One', '2')
      ngx.say(JSON.stringify(ngx.resp.getHeaders().headers['x-one']))
    } } })
    expect((await get(t.port, '/t')).body).toBe('["1","2"]\n')
  })
})

describe('redirect and exec', () => {
  it('redirect sends 302 with Location as given (ngx_lua does not absolutise it) and nginx\'s page', async () => {
    const t = await start({ '/r': { content: (ngx) => ngx.redirect('/there') }, '/p': { rewrite: (ngx) => ngx.redirect('http://example.com/', 301) } })
    const r = await get(t.port, '/r')
    expect(r.status).toBe(302)
    expect(r.headers.location).toBe('/there')
    expect(r.body).toContain('302 Found')
    const p = await get(t.port, '/p')
    expect(p.status).toBe(301)
    expect(p.headers.location).toBe('http://example.com/')
  })

  it('redirect refuses CR/LF and statuses that are not redirects', async () => {
    const errs: string[] = []
    const t = await start({ '/t': { content: (ngx) => {
      try { ngx.redirect('/a\r\nSet-Cookie: x=1') } catch (e) { errs.push((e as Error).message) }
      try { ngx.redirect('/a', 200) } catch (e) { errs.push((e as Error).message) }
      ngx.say('ok')
    } } })
    expect((await get(t.port, '/t')).body).toBe('ok\n')
    expect(errs[0]).toContain('unsafe byte "0x0d"')
    expect(errs[1]).toBe('only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed')
  })

  it('exec redirects internally, resets ngx.ctx and replaces the args', async () => {
    const t = await start({
      '/from': { content: (ngx) => { ngx.ctx.x = 'set'; ngx.exec('/to', { a: 1 }) } },
      '/to': { content: (ngx) => ngx.say(String(ngx.ctx.x), ' ', ngx.var.uri, ' ', ngx.var.args, ' ', ngx.req.isInternal()) },
    })
    expect((await get(t.port, '/from?orig=1')).body).toBe('undefined /to a=1 true\n')
  })

  it('exec reaches named and internal locations', async () => {
    const t = await start({
      '/a': { access: (ngx) => ngx.exec('@named') },
      '@named': { content: (ngx) => ngx.say('named ', ngx.var.uri) },
      '/b': { content: (ngx) => ngx.exec('/secret') },
      '/secret': { internal: true, content: (ngx) => ngx.say('secret') },
    })
    expect((await get(t.port, '/a')).body).toBe('named /a\n')
    expect((await get(t.port, '/b')).body).toBe('secret\n')
    expect((await get(t.port, '/secret')).status).toBe(404)
  })

  it('an exec loop ends in 500 with nginx\'s cycle message', async () => {
    const t = await start({ '/loop': { content: (ngx) => ngx.exec('/loop') } })
    expect((await get(t.port, '/loop')).status).toBe(500)
    expect(t.errorLog()).toContain('rewrite or internal redirection cycle while internally redirecting to "/loop"')
  })

  it('exec after output throws', async () => {
    let err = ''
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.say('x'); await ngx.flush()
      try { ngx.exec('/y') } catch (e) { err = (e as Error).message }
    } } })
    await get(t.port, '/t')
    expect(err).toBe('attempt to call ngx.exec after sending out response headers')
  })
})

describe('subrequests', () => {
  it('capture runs a location in memory and returns status, headers and body', async () => {
    const t = await start({
      '/main': { content: async (ngx) => {
        const res = await ngx.location.capture('/sub?a=1', { args: { b: 2 } })
        ngx.say(res.status, ' ', res.header['X-Sub'], ' ', res.body.trim())
      } },
      '/sub': { content: (ngx) => { ngx.status = 201; ngx.header['X-Sub'] = 'yes'; ngx.say('args ', ngx.var.args, ' sub=', ngx.isSubrequest) } },
    })
    expect((await get(t.port, '/main')).body).toBe('201 yes args a=1&b=2 sub=true\n')
  })

  it('captureMulti runs subrequests concurrently and keeps their order', async () => {
    const t = await start({
      '/main': { content: async (ngx) => {
        const rs = await ngx.location.captureMulti([['/slow'], ['/fast'], ['/missing']])
        ngx.say(rs.map((r) => `${r.status}:${r.body.trim().slice(0, 4)}`).join(' '))
      } },
      '/slow': { content: async (ngx) => { await new Promise((r) => setTimeout(r, 20)); ngx.say('slow') } },
      '/fast': { content: (ngx) => ngx.say('fast') },
    })
    // reference: a subrequest's special response has no page body
    expect((await get(t.port, '/main')).body).toBe('200:slow 200:fast 404:\n')
  })

  it('subrequests skip the access phase and pass method, body and ctx', async () => {
    const t = await start({
      '/main': { content: async (ngx) => {
        const ctx = { n: 1 }
        const res = await ngx.location.capture('/sub', { method: ngx.HTTP_POST, body: 'payload', ctx })
        ngx.say(res.body.trim(), ' ', ctx.n)
      } },
      '/sub': { access: (ngx) => ngx.exit(403), content: async (ngx) => {
        await ngx.req.readBody()
        ngx.ctx.n = 2
        ngx.say(ngx.req.getMethod(), ' ', ngx.req.getBodyData())
      } },
    })
    expect((await get(t.port, '/main')).body).toBe('POST payload 2\n')
  })
})

describe('on_abort', () => {
  it('calls the callback when the client goes away before the response ends', async () => {
    let aborted = false
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.onAbort(() => { aborted = true })
      await new Promise((r) => setTimeout(r, 200))
      ngx.say('late')
    } } })
    await rawRequest(t.port, 'GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n', 50)
    await new Promise((r) => setTimeout(r, 100))
    expect(aborted).toBe(true)
  })
})
