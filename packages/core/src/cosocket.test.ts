import { describe, expect, it } from 'vitest'
import {
  assertCosocketPhase, checkTimeout, contextName, CTX_COSOCKET, DEFAULT_COSOCKET_CONF, parsePeer, resolveHost,
  socketErrorLog, socketErrorText, toBytes,
} from './cosocket.ts'
import { PHASE_BIT } from './phase.ts'

describe('phases', () => {
  it('allows rewrite, server_rewrite, access, content and timer', () => {
    for (const p of ['rewrite', 'server_rewrite', 'access', 'content', 'timer'] as const) {
      expect(PHASE_BIT[p] & CTX_COSOCKET).not.toBe(0)
      expect(() => assertCosocketPhase(p)).not.toThrow()
    }
  })

  it('throws ngx_lua’s words elsewhere', () => {
    expect(() => assertCosocketPhase('header_filter')).toThrow('API disabled in the context of header_filter_by_lua*')
    expect(() => assertCosocketPhase('init')).toThrow('no request found')
    try {
      assertCosocketPhase('log')
    } catch (e) {
      expect((e as { code: string }).code).toBe('NGX_ERR_PHASE')
    }
    expect(contextName('timer')).toBe('ngx.timer')
  })
})

describe('defaults', () => {
  it('are the lua_socket_* defaults', () => {
    expect(DEFAULT_COSOCKET_CONF).toMatchObject({
      connectTimeout: 60_000, sendTimeout: 60_000, readTimeout: 60_000, poolSize: 30,
      keepaliveTimeout: 60_000, bufferSize: 4096, logErrors: true,
    })
  })
})

describe('parsePeer', () => {
  it.each([
    ['127.0.0.1', 80, { unix: false, host: '127.0.0.1', port: 80 }],
    ['127.0.0.1', '8080', { unix: false, host: '127.0.0.1', port: 8080 }],
    ['127.0.0.1', 80.7, { unix: false, host: '127.0.0.1', port: 80 }],
    ['[::1]', 80, { unix: false, host: '::1', port: 80 }],
    ['example.com', 0, { unix: false, host: 'example.com', port: 0 }],
    ['unix:/tmp/a.sock', undefined, { unix: true, path: '/tmp/a.sock' }],
    ['unix:/tmp/a.sock', 80, { unix: true, path: '/tmp/a.sock' }],
    ['127.0.0.1', undefined, 'missing the port number'],
    ['127.0.0.1', -1, 'bad port number: -1'],
    ['127.0.0.1', 65536, 'bad port number: 65536'],
    ['127.0.0.1', '80x', 'bad port number: 80x'],
    ['unix:', undefined, 'failed to parse host name "unix:": no path in the unix domain socket'],
    ['::1', 80, 'failed to parse host name "::1": invalid port'],
  ] as const)('(%j, %j) → %j', (host, port, want) => {
    expect(parsePeer(host, port)).toEqual(want)
  })

  it('throws for a host that is not a string', () => {
    expect(() => parsePeer(undefined as unknown as string, 80)).toThrow('string expected')
  })
})

describe('resolveHost', () => {
  it('passes IP literals, refuses names without a resolver', async () => {
    const off = { ...DEFAULT_COSOCKET_CONF, resolver: false }
    expect(await resolveHost('10.1.2.3', off)).toEqual({ ip: '10.1.2.3' })
    expect(await resolveHost('example.com', off)).toEqual({ err: 'no resolver defined to resolve "example.com"' })
  })
})

describe('toBytes', () => {
  it('flattens strings, bytes and nested arrays', () => {
    expect(toBytes('é', 'utf8')).toEqual(Buffer.from([0xc3, 0xa9]))
    expect(toBytes('é', 'latin1')).toEqual(Buffer.from([0xe9]))
    expect(toBytes(new Uint8Array([1, 2]), 'utf8')).toEqual(Buffer.from([1, 2]))
    expect(toBytes(['a', ['b', ['c', new Uint8Array([0x64])]]], 'utf8').toString()).toBe('abcd')
    expect(toBytes([['x']], 'utf8').toString()).toBe('x')
    expect(toBytes([], 'utf8').length).toBe(0)
  })

  it('throws on other types', () => {
    expect(() => toBytes([1 as unknown as string], 'utf8')).toThrow('bad data type')
    const deep: unknown[] = []
    let cur = deep
    for (let i = 0; i < 200; i++) {
      const next: unknown[] = []
      cur.push(next)
      cur = next
    }
    expect(() => toBytes(deep as never, 'utf8')).toThrow('bad data type')
  })
})

describe('errors', () => {
  it('words OS errors as ngx_lua returns them, and as nginx logs them', () => {
    const refused = Object.assign(new Error('x'), { errno: -111, code: 'ECONNREFUSED' })
    expect(socketErrorText(refused)).toBe('connection refused')
    expect(socketErrorLog(refused)).toBe('111: Connection refused')
    expect(socketErrorText(Object.assign(new Error('x'), { errno: -113, code: 'EHOSTUNREACH' }))).toBe('no route to host')
    expect(socketErrorText(Object.assign(new Error('x'), { errno: 32, code: 'EPIPE' }))).toBe('broken pipe')
    expect(socketErrorText(new Error('Odd'))).toBe('odd')
  })

  it('checks timeouts', () => {
    expect(checkTimeout(0)).toBe(0)
    expect(checkTimeout(10.9)).toBe(10)
    expect(() => checkTimeout(-1)).toThrow('bad timeout value')
    expect(() => checkTimeout(Number.NaN)).toThrow('bad timeout value')
  })
})
