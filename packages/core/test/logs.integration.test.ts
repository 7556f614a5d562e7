import { describe, expect, it } from 'vitest'
import { get, serverPerTest } from './harness.ts'

const start = serverPerTest()

describe('ngx.log', () => {
  it('writes nginx error-log lines with level, connection, the caller\'s file:line and the request context', async () => {
    const t = await start({ '/t': { content: (ngx) => { ngx.log(ngx.WARN, 'value: ', 42, ' ', true, ' ', null, ' ', undefined); ngx.say('ok') } } })
    await get(t.port, '/t')
    const line = t.errorLog().split('\n').find((l) => l.includes('value: '))
    expect(line).toMatch(
      /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[warn\] \d+#\d+: \*\d+ \[ts\] logs\.integration\.test\.ts:\d+: value: 42 true null nil, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1", host: "localhost"$/,
    )
  })

  it('drops messages below the error_log level', async () => {
    const t = await start({ '/t': { content: (ngx) => { ngx.log(ngx.DEBUG, 'hidden-debug'); ngx.log(ngx.ERR, 'shown-error'); ngx.say('ok') } } }, {}, { errorLog: { path: 'logs/error.log', level: 'warn' } })
    await get(t.port, '/t')
    const log = t.errorLog()
    expect(log).toContain('shown-error')
    expect(log).not.toContain('hidden-debug')
  })
})

describe('access log', () => {
  it('writes the combined format by default', async () => {
    const t = await start({ '/t': { content: (ngx) => ngx.say('hello') } })
    await get(t.port, '/t?a=1', { 'User-Agent': 'curl/8', Referer: 'http://ref/' })
    await t.close()
    expect(t.accessLog()).toMatch(/^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/t\?a=1 HTTP\/1\.1" 200 6 "http:\/\/ref\/" "curl\/8"\n$/)
  })

  it('uses a named log_format and can be turned off per location', async () => {
    const t = await start(
      { '/t': { content: (ngx) => ngx.say('x') }, '/quiet': { accessLog: false, content: (ngx) => ngx.say('x') } },
      { accessLog: { path: 'logs/access.log', format: 'short' } },
      { logFormats: { short: '$request_method $uri $status' } },
    )
    await get(t.port, '/t')
    await get(t.port, '/quiet')
    await t.close()
    expect(t.accessLog()).toBe('GET /t 200\n')
  })
})

describe('several servers in one process', () => {
  it('closing one leaves the other\'s access log (the same file) writing', async () => {
    const a = await start({ '/a': { content: (ngx) => ngx.say('a') } })
    const { defineGateway, startServer } = await import('../src/index.ts')
    const b = await startServer(defineGateway({ errorLog: 'logs/b-error.log', servers: [{ listen: '127.0.0.1:0', locations: { '/b': { content: (ngx) => ngx.say('b') } } }] }), { prefix: a.prefix })
    await b.close()
    await get(a.port, '/a')
    await a.close()
    expect(a.accessLog()).toMatch(/"GET \/a HTTP\/1\.1" 200 2 /)
  })

  it('a port in use is reported as nginx words it', async () => {
    const a = await start({ '/': { content: (ngx) => ngx.say('a') } })
    const { defineGateway, startServer } = await import('../src/index.ts')
    await expect(startServer(defineGateway({ errorLog: 'stderr', accessLog: false, servers: [{ listen: `127.0.0.1:${a.port}` }] }), { prefix: a.prefix }))
      .rejects.toThrow(`bind() to 127.0.0.1:${a.port} failed (98: Address already in use)`)
  })
})
