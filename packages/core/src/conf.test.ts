import { describe, expect, it } from 'vitest'
import { compileGateway } from './conf.ts'
import type { GatewayDef, LocationDef } from './gateway.ts'

const noop = (): void => undefined
const gw = (locations: Record<string, LocationDef>, extra: Partial<GatewayDef> = {}): GatewayDef => ({
  accessLog: false,
  ...extra,
  servers: [{ listen: 8080, locations }],
})

describe('compileGateway', () => {
  it('merges handlers and settings from gateway to server to location to nested location', () => {
    const c = compileGateway({
      accessLog: false,
      access: noop,
      defaultType: 'text/html',
      clientMaxBodySize: '2m',
      servers: [{
        listen: 8080,
        defaultType: 'application/json',
        locations: { '/a/': { clientMaxBodySize: '1k', locations: { '/a/b/': { content: noop } } } },
      }],
    })
    const nested = c.servers[0]!.locations.find('/a/b/x')!.value
    expect(nested.access).toEqual([noop])
    expect(nested.defaultType).toBe('application/json')
    expect(nested.clientMaxBodySize).toBe(1024)
    expect(c.servers[0]!.base.clientMaxBodySize).toBe(2 * 1024 * 1024)
  })

  it('uses nginx defaults: default_type text/plain, client_max_body_size 1m, timeouts 60s, keepalive 75s', () => {
    const c = compileGateway(gw({ '/': { content: noop } }))
    const loc = c.servers[0]!.locations.find('/')!.value
    expect([loc.defaultType, loc.clientMaxBodySize, loc.clientBodyTimeout, loc.sendTimeout]).toEqual(['text/plain', 1048576, 60000, 60000])
    expect([c.servers[0]!.keepaliveTimeout, c.servers[0]!.clientHeaderTimeout]).toEqual([75000, 60000])
  })

  it('groups servers by listen address and keeps the default server', () => {
    const c = compileGateway({
      accessLog: false,
      servers: [
        { listen: '127.0.0.1:81', serverName: 'a' },
        { listen: { host: '127.0.0.1', port: 81, defaultServer: true }, serverName: 'b' },
        { listen: 82, serverName: 'c' },
      ],
    })
    expect(c.listens.map((g) => `${g.host}:${g.port}`)).toEqual(['127.0.0.1:81', '0.0.0.0:82'])
    expect(c.listens[0]!.defaultServer.primaryName).toBe('b')
    expect(c.listens[0]!.only).toBeUndefined()
    expect(c.listens[1]!.only?.primaryName).toBe('c')
  })

  it('collects variables declared with set into one global set, as nginx does', () => {
    const c = compileGateway({ accessLog: false, servers: [{ listen: 80, set: { a: '1' }, locations: { '/': { set: { b: '$a' } } } }] })
    expect([...c.declaredVars].sort()).toEqual(['a', 'b'])
  })

  it('rejects what nginx rejects, in nginx\'s words', () => {
    expect(() => compileGateway(gw({ '/': {}, '/ ': {} }))).toThrow('duplicate location "/"')
    expect(() => compileGateway(gw({ '/': { return: 1000 } }))).toThrow('invalid return code "1000"')
    expect(() => compileGateway(gw({ '/': { return: 'ftp://x' } }))).toThrow('invalid return code "ftp://x"')
    expect(() => compileGateway(gw({ '/': { set: { 'bad-name': '' } } }))).toThrow('invalid variable name "bad-name"')
    expect(() => compileGateway(gw({ '/': { clientMaxBodySize: 'lots' } }))).toThrow(/client_max_body_size|invalid value/)
    expect(() => compileGateway(gw({ '/': { errorPage: { 200: '/x' } } }))).toThrow('value "200" must be between 300 and 599')
    expect(() => compileGateway(gw({}, { set: { x: '1' } }))).toThrow('"set" directive is not allowed here')
    expect(() => compileGateway(gw({}, { logFormats: { combined: '$uri' } }))).toThrow('duplicate "log_format" name "combined"')
    expect(() => compileGateway(gw({ '/': { accessLog: { path: '/tmp/x.log', format: 'nope' } } }))).toThrow('unknown log format "nope"')
    expect(() => compileGateway({ servers: [] })).toThrow('no "server" defined')
    expect(() => compileGateway({ accessLog: false, servers: [{ listen: 70000 }] })).toThrow('invalid port in "70000" of the "listen" directive')
  })

  it('compiles return specs: bare status, text, redirect, URL alone', () => {
    const c = compileGateway(gw({ '/a': { return: 204 }, '/b': { return: [200, 'x $uri'] }, '/c': { return: [301, '/new'] }, '/d': { return: 'https://x/' } }))
    const ret = (p: string): unknown => {
      const op = c.servers[0]!.locations.find(p)!.value.rewriteOps.at(-1)!
      return op.op === 'return' ? [op.ret.status, op.ret.redirect, op.ret.text?.source] : undefined
    }
    expect(ret('/a')).toEqual([204, false, undefined])
    expect(ret('/b')).toEqual([200, false, 'x $uri'])
    expect(ret('/c')).toEqual([301, true, '/new'])
    expect(ret('/d')).toEqual([302, true, 'https://x/'])
  })
})
