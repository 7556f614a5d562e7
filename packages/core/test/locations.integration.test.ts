import { describe, expect, it } from 'vitest'
import { defineGateway, startServer } from '../src/index.ts'
import type { LocationDef } from '../src/index.ts'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, get, serverPerTest } from './harness.ts'

const start = serverPerTest()
const say = (text: string): LocationDef => ({ content: (ngx) => ngx.say(text) })

describe('location matching', () => {
  it('follows nginx\'s documented example (A–E)', async () => {
    const t = await start({
      '= /': say('A'),
      '/': say('B'),
      '/documents/': say('C'),
      '^~ /images/': say('D'),
      '~* \\.(gif|jpg|jpeg)$': say('E'),
    })
    const body = async (p: string): Promise<string> => (await get(t.port, p)).body.trim()
    expect(await body('/')).toBe('A')
    expect(await body('/index.html')).toBe('B')
    expect(await body('/documents/document.html')).toBe('C')
    expect(await body('/images/1.gif')).toBe('D')
    expect(await body('/documents/1.jpg')).toBe('E')
  })

  it('searches nested locations of the longest prefix', async () => {
    const t = await start({ '/api/': { ...say('api'), locations: { '/api/v1/': say('v1'), '~ \\.json$': say('json') } } })
    expect((await get(t.port, '/api/x')).body).toBe('api\n')
    expect((await get(t.port, '/api/v1/x')).body).toBe('v1\n')
    expect((await get(t.port, '/api/x.json')).body).toBe('json\n')
  })
})

describe('rewrite-module directives', () => {
  it('return sends a status with text, a redirect, or a bare status', async () => {
    const t = await start({
      '/text': { return: [200, 'uri is $uri\n'] },
      '/moved': { return: [301, 'http://$host/new'] },
      '/gone': { return: 410 },
      '/url': { return: 'https://example.com/' },
    })
    const text = await get(t.port, '/text')
    expect(text.body).toBe('uri is /text\n')
    expect(text.headers['content-type']).toBe('text/plain')
    const moved = await get(t.port, '/moved')
    expect(moved.status).toBe(301)
    expect(moved.headers.location).toBe('http://localhost/new')
    expect((await get(t.port, '/gone')).status).toBe(410)
    const url = await get(t.port, '/url')
    expect(url.status).toBe(302)
    expect(url.headers.location).toBe('https://example.com/')
  })

  it('a server-level return answers before any location', async () => {
    const t = await start({ '/': say('no') }, { return: [503, 'maintenance'] })
    const res = await get(t.port, '/anything')
    expect(res.status).toBe(503)
    expect(res.body).toBe('maintenance')
  })

  it('set runs before rewrite handlers and feeds templates', async () => {
    const t = await start({ '/t': { set: { a: '$arg_x-1' }, rewrite: (ngx) => { ngx.ctx.a = ngx.var.a }, content: (ngx) => ngx.say(ngx.ctx.a) } })
    expect((await get(t.port, '/t?x=v')).body).toBe('v-1\n')
  })
})

describe('response settings', () => {
  it('add_header applies to 2xx/3xx, with always to every status, and is inherited only when a level has none', async () => {
    const t = await start(
      {
        '/ok': say('ok'),
        '/err': { content: (ngx) => ngx.exit(500) },
        '/own': { addHeader: { 'X-Own': 'o' }, ...say('own') },
      },
      { addHeader: { 'X-Server': 's', 'X-Always': { value: 'a $uri', always: true } } },
    )
    const ok = await get(t.port, '/ok')
    expect(ok.headers['x-server']).toBe('s')
    expect(ok.headers['x-always']).toBe('a /ok')
    const err = await get(t.port, '/err')
    expect(err.headers['x-server']).toBeUndefined()
    expect(err.headers['x-always']).toBe('a /err')
    const own = await get(t.port, '/own')
    expect(own.headers['x-own']).toBe('o')
    expect(own.headers['x-server']).toBeUndefined()
  })

  it('default_type sets the Content-Type of responses that set none', async () => {
    const t = await start({ '/j': { defaultType: 'application/json', content: (ngx) => ngx.say('{}') } })
    expect((await get(t.port, '/j')).headers['content-type']).toBe('application/json')
  })

  it('error_page redirects internally and keeps the error status', async () => {
    const t = await start({
      '/t': { errorPage: { 404: '/oops' }, content: (ngx) => ngx.exit(404) },
      '/oops': { content: (ngx) => ngx.say('custom page for ', ngx.var.request_uri) },
    })
    const res = await get(t.port, '/t')
    expect(res.status).toBe(404)
    expect(res.body).toBe('custom page for /t\n')
  })
})

describe('server selection', () => {
  it('picks the server by Host (exact, wildcard), falling back to the default server', async () => {
    const port = await freePort()
    const srv = await startServer(defineGateway({
      errorLog: 'stderr',
      accessLog: false,
      servers: [
        { listen: { host: '127.0.0.1', port }, serverName: 'a.test', locations: { '/': say('a') } },
        { listen: { host: '127.0.0.1', port, defaultServer: true }, serverName: ['b.test', '*.wild.test'], locations: { '/': say('b') } },
        { listen: { host: '127.0.0.1', port }, serverName: 'c.test', locations: { '/': say('c') } },
      ],
    }), { prefix: mkdtempSync(join(tmpdir(), 'nresty-test-')) })
    try {
      expect((await get(port, '/', { Host: 'a.test' })).body).toBe('a\n')
      expect((await get(port, '/', { Host: 'C.TEST:80' })).body).toBe('c\n')
      expect((await get(port, '/', { Host: 'x.wild.test' })).body).toBe('b\n')
      expect((await get(port, '/', { Host: 'unknown.test' })).body).toBe('b\n')
    } finally {
      await srv.close()
    }
  })
})
