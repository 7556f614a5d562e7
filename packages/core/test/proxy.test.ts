// proxyPass against real local backends: URI and header rules, bodies streamed both ways with
// flat memory, 502 / 504 with nginx's error-log lines, proxy_next_upstream, keepalive reuse
// seen from the backend, passive health (max_fails / fail_timeout), the balancer phase,
// `hash … consistent`, WebSocket pass-through, and the phases that run on proxied answers.
import { createServer, request } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { ChashRing, nginxServerId } from '../src/chash.ts'
import { crc32Long } from '../src/encoding.ts'
import { deadPort } from './fixtures/cosocket-peers.ts'
import { get, rawRequest, serverPerTest } from './harness.ts'

const start = serverPerTest()
const backends: Server[] = []
afterEach(async () => {
  for (const b of backends.splice(0)) {
    b.closeAllConnections()
    await new Promise((ok) => b.close(ok))
  }
})

interface Backend {
  readonly port: number
  readonly addr: string
  /** TCP connections accepted so far. */
  connections(): number
  readonly seen: { method: string; url: string; headers: string[]; body: number }[]
}

type Answer = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void

/** A node:http backend that records what it is sent; the answer defaults to `<name> <url>`. */
async function backend(name: string, answer?: Answer): Promise<Backend> {
  let conns = 0
  const seen: Backend['seen'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.rawHeaders, body: body.length })
      if (answer !== undefined) return answer(req, res, body)
      res.setHeader('Content-Type', 'text/plain')
      res.end(`${name} ${req.url ?? ''}\n`)
    })
  })
  server.on('connection', () => conns++)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  backends.push(server)
  const port = (server.address() as AddressInfo).port
  return { port, addr: `127.0.0.1:${port}`, connections: () => conns, seen }
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const headerOf = (list: string[], name: string): string | undefined => {
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === name) return list[i + 1]
  return undefined
}

describe('proxyPass: the request sent upstream', () => {
  it('follows nginx URI rules with and without a URI part', async () => {
    const b = await backend('b')
    const t = await start({
      '/a/': { proxyPass: `http://${b.addr}/v1/` },
      '/plain/': { proxyPass: `http://${b.addr}` },
      '= /exact': { proxyPass: `http://${b.addr}/other` },
      '~ ^/re/': { proxyPass: `http://${b.addr}` },
      '/var/': { proxyPass: `http://${b.addr}/fixed$is_args$args` },
      '/rw/': { rewriteOps: [{ op: 'rewrite', regex: '^/rw/(.*)$', replacement: '/new/$1', flag: 'break' }], proxyPass: `http://${b.addr}/ignored/` },
    })
    const paths = ['/a/x%20y?q=1', '/plain/p%2Fq?z', '/exact?k=v', '/re/anything', '/var/ab?x=1', '/rw/tail?a=b']
    for (const p of paths) expect((await fetch(t.url(p))).status).toBe(200)
    expect(b.seen.map((s) => s.url)).toEqual([
      '/v1/x%20y?q=1', // the prefix replaced, $uri escaped again
      '/plain/p%2Fq?z', // no URI part: the client's request target as sent
      '/other?k=v',
      '/re/anything',
      '/fixed?x=1', // with variables, the rendered URI as it is
      '/new/tail?a=b', // after rewrite … break, the new URI whole
    ])
  })

  it('sends Host $proxy_host and Connection close first, then the client headers not overridden', async () => {
    const b = await backend('b')
    const t = await start({
      '/d': { proxyPass: `http://${b.addr}` },
      '/s': {
        proxyPass: `http://${b.addr}`,
        proxy: { setHeaders: { 'X-Real-IP': '$remote_addr', 'X-Forwarded-For': '$proxy_add_x_forwarded_for', 'User-Agent': '', Host: 'example.com' } },
      },
    })
    await get(t.port, '/d', { 'X-A': '1', 'Keep-Alive': '300', TE: 'trailers', Expect: '100-continue' })
    await get(t.port, '/s', { 'X-A': '2', 'X-Forwarded-For': '10.0.0.1', 'User-Agent': 'ua' })
    const [d, s] = b.seen
    expect(headerOf(d!.headers, 'host')).toBe(b.addr)
    expect(headerOf(d!.headers, 'expect')).toBeUndefined()
    expect(headerOf(d!.headers, 'connection')).toBe('close')
    expect(headerOf(d!.headers, 'x-a')).toBe('1')
    // nginx drops these by default
    expect(headerOf(d!.headers, 'keep-alive')).toBeUndefined()
    expect(headerOf(d!.headers, 'te')).toBeUndefined()
    expect(headerOf(s!.headers, 'host')).toBe('example.com')
    expect(headerOf(s!.headers, 'x-real-ip')).toBe('127.0.0.1')
    expect(headerOf(s!.headers, 'x-forwarded-for')).toBe('10.0.0.1, 127.0.0.1')
    expect(headerOf(s!.headers, 'user-agent')).toBeUndefined()
    expect(headerOf(s!.headers, 'x-a')).toBe('2')
  })

  it('passes the answer with its headers, hiding Server, Date and X-Accel-*', async () => {
    const b = await backend('b', (_req, res) => {
      res.setHeader('Server', 'backend/1')
      res.setHeader('X-Accel-Buffering', 'no')
      res.setHeader('Set-Cookie', ['a=1', 'b=2'])
      res.setHeader('X-Mine', 'yes')
      res.statusCode = 201
      res.end('made')
    })
    const t = await start({ '/': { proxyPass: `http://${b.addr}`, proxy: { passHeaders: ['X-Accel-Buffering'] } }, '/h': { proxyPass: `http://${b.addr}` } })
    const r = await fetch(t.url('/x'))
    expect(r.status).toBe(201)
    expect(r.headers.get('server')).toMatch(/^nresty\//)
    expect(r.headers.get('x-mine')).toBe('yes')
    expect(r.headers.get('x-accel-buffering')).toBe('no')
    expect(r.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    // no Content-Type from the backend: none is added
    expect(r.headers.get('content-type')).toBeNull()
    expect(await r.text()).toBe('made')
    const h = await fetch(t.url('/h'))
    expect(h.headers.get('x-accel-buffering')).toBeNull()
  })
})

describe('proxyPass: bodies', () => {
  it('streams large bodies both ways without holding them', async () => {
    const size = 128 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 'x')
    // A backend that counts what it is sent and answers with as much, without keeping either.
    let received = 0
    const server = createServer((req, res) => {
      req.on('data', (c: Buffer) => { received += c.length })
      req.on('end', () => {
        res.setHeader('X-Got', String(received))
        let left = size
        const pump = (): void => {
          while (left > 0) {
            left -= chunk.length
            if (!res.write(chunk)) return void res.once('drain', pump)
          }
          res.end()
        }
        pump()
      })
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    backends.push(server)
    const t = await start({ '/': { proxyPass: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, clientMaxBodySize: 0 } })
    // Live buffer memory, sampled after a full collection (garbage would hide what is held).
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    let peak = 0
    const base = process.memoryUsage().arrayBuffers
    const sampler = setInterval(() => {
      gc()
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)
    }, 50)
    // A client that writes as fast as the proxy takes it (fetch's streamed upload does not wait).
    let got = 0
    let gotHeader: string | undefined
    await new Promise<void>((ok, ko) => {
      const req = request({ host: '127.0.0.1', port: t.port, method: 'POST', path: '/up', headers: { 'Content-Length': String(size) } }, (res) => {
        res.on('data', (c: Buffer) => { got += c.length })
        res.on('end', () => {
          gotHeader = res.headers['x-got'] as string
          ok()
        })
      })
      req.on('error', ko)
      let left = size
      const pump = (): void => {
        while (left > 0) {
          left -= chunk.length
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    clearInterval(sampler)
    expect(gotHeader).toBe(String(size))
    expect(got).toBe(size)
    // 128 MiB went each way through this process (and its client and backend); holding either
    // body would take all of it. Measured: under 10 MiB alone, up to ~40 MiB with other test
    // files loading the machine; half a body is the bound.
    expect(peak).toBeLessThan(64 * 1024 * 1024)
  }, 60_000)

  it('streams to a slow client without piling up listeners (send_timeout re-armed per drain)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'y')
    const b = await backend('b', (_req, res) => {
      let left = 128
      const pump = (): void => {
        while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', pump)
        res.end()
      }
      pump()
    })
    const t = await start({ '/': { proxyPass: `http://${b.addr}` } })
    const warnings: string[] = []
    const onWarning = (w: Error): void => { warnings.push(w.name) }
    process.on('warning', onWarning)
    try {
      const got = await new Promise<number>((ok, ko) => {
        request({ host: '127.0.0.1', port: t.port, path: '/slow' }, (res) => {
          let n = 0
          res.on('data', (c: Buffer) => {
            n += c.length
            // a slow reader: pauses now and then, so the proxy meets backpressure many times
            res.pause()
            setTimeout(() => res.resume(), 1)
          })
          res.on('end', () => ok(n))
        }).on('error', ko).end()
      })
      expect(got).toBe(128 * chunk.length)
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  }, 30_000)

  it('sends a chunked request body and a body read by a handler first', async () => {
    const b = await backend('b', (req, res, body) => res.end(`${req.headers['content-length'] ?? 'chunked'}:${body.toString()}`))
    const t = await start({
      '/s': { proxyPass: `http://${b.addr}` },
      '/read': { access: async (ngx) => { await ngx.req.readBody() }, proxyPass: `http://${b.addr}` },
      '/off': { proxyPass: `http://${b.addr}`, proxy: { passRequestBody: false } },
    })
    const parts = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(Buffer.from('ab')); c.enqueue(Buffer.from('cd')); c.close() } })
    // a chunked body is read whole and goes with its length, as nginx sends it
    expect(await (await fetch(t.url('/s'), { method: 'POST', body: parts, duplex: 'half' } as RequestInit)).text()).toBe('4:abcd')
    expect(await (await fetch(t.url('/read'), { method: 'POST', body: 'hello' })).text()).toBe('5:hello')
    // no body goes up (undici frames a POST without one with `Content-Length: 0`)
    expect(await (await fetch(t.url('/off'), { method: 'POST', body: 'hello' })).text()).toBe('0:')
  })
})

describe('proxyPass: failures', () => {
  it('answers 502 for a refused connection, with nginx\'s error-log line', async () => {
    const port = await deadPort()
    const t = await start({ '/r': { proxyPass: `http://127.0.0.1:${port}` } })
    const r = await fetch(t.url('/r?a=1'))
    expect(r.status).toBe(502)
    expect(await r.text()).toContain('<title>502 Bad Gateway</title>')
    expect(t.errorLog()).toContain(`[error] ${process.pid}#${process.pid}: *`)
    expect(t.errorLog()).toMatch(new RegExp(`connect\\(\\) failed \\(111: Connection refused\\) while connecting to upstream, client: 127\\.0\\.0\\.1, server: localhost, request: "GET /r\\?a=1 HTTP/1\\.1", upstream: "http://127\\.0\\.0\\.1:${port}/r\\?a=1", host: "127\\.0\\.0\\.1:${t.port}"`))
  })

  it('answers 504 when the backend is too slow, and frees the try', async () => {
    const b = await backend('slow', (_req, res) => { setTimeout(() => res.end('late'), 1500) })
    const t = await start({ '/': { proxyPass: `http://${b.addr}`, proxy: { readTimeout: '200ms' }, addHeader: { 'X-Up': { value: '$upstream_status', always: true } } } })
    const r = await fetch(t.url('/slow'))
    expect(r.status).toBe(504)
    expect(r.headers.get('x-up')).toBe('504')
    expect(t.errorLog()).toContain('upstream timed out (110: Connection timed out) while reading response header from upstream')
  })

  it('answers 504 when the backend stops taking the request body (proxy_send_timeout)', async () => {
    // accepts, reads the headers' first bytes, then never reads again
    const socks: Socket[] = []
    const sink = createNetServer((sock) => {
      socks.push(sock)
      sock.once('data', () => sock.pause())
    })
    await new Promise<void>((ok) => sink.listen(0, '127.0.0.1', ok))
    try {
      const t = await start({ '/': { proxyPass: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, clientMaxBodySize: 0, proxy: { sendTimeout: '300ms' } } })
      const status = await new Promise<number>((ok, ko) => {
        const req = request({ host: '127.0.0.1', port: t.port, method: 'PUT', path: '/up', headers: { 'Content-Length': String(64 << 20) } }, (res) => {
          res.resume()
          ok(res.statusCode ?? 0)
        })
        req.on('error', ko)
        const chunk = Buffer.alloc(1 << 16)
        let left = 64 << 20
        const pump = (): void => {
          while (left > 0) {
            left -= chunk.length
            if (!req.write(chunk)) return void req.once('drain', pump)
          }
          req.end()
        }
        pump()
      })
      expect(status).toBe(504)
      expect(t.errorLog()).toContain('upstream timed out (110: Connection timed out) while sending request to upstream')
    } finally {
      for (const sock of socks) sock.destroy()
      await new Promise((ok) => sink.close(ok))
    }
  }, 20_000)

  it('proxies to a unix socket', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nresty-sock-')), 'b.sock')
    const server = createServer((req, res) => res.end(`unix ${req.url ?? ''}`))
    await new Promise<void>((ok) => server.listen(path, ok))
    backends.push(server)
    const t = await start({ '/u/': { proxyPass: `http://unix:${path}:/in/`, addHeader: { 'X-Up': '$upstream_addr' } } })
    const r = await fetch(t.url('/u/x?y=1'))
    expect(await r.text()).toBe('unix /in/x?y=1')
    expect(r.headers.get('x-up')).toBe(`unix:${path}`)
  })

  it('cuts the client response short when the backend dies mid-body', async () => {
    const b = await backend('b', (_req, res) => {
      res.setHeader('Content-Length', '100')
      res.write('only part')
      setTimeout(() => res.socket?.destroy(), 50)
    })
    const t = await start({ '/': { proxyPass: `http://${b.addr}` } })
    const r = await fetch(t.url('/x'))
    await expect(r.text()).rejects.toThrow()
    await wait(50)
    expect(t.errorLog()).toContain('upstream prematurely closed connection while reading upstream')
  })

  it('retries a 5xx on the next peer and reports both tries', async () => {
    const bad = await backend('bad', (_req, res) => { res.statusCode = 502; res.end('bad') })
    const good = await backend('good')
    const t = await start(
      { '/': { proxyPass: 'http://pair', proxy: { nextUpstream: ['error', 'timeout', 'http_502'] }, addHeader: { 'X-Up': '$upstream_addr|$upstream_status' } } },
      {},
      { upstreams: { pair: { servers: [bad.addr, good.addr] } } },
    )
    const statuses = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const r = await fetch(t.url('/x'))
      expect(r.status).toBe(200)
      expect(await r.text()).toBe('good /x\n')
      statuses.add(r.headers.get('x-up')!)
    }
    expect(statuses).toContain(`${bad.addr}, ${good.addr}|502, 200`)
    // without http_502 in proxy_next_upstream, the backend's 502 goes to the client
    const t2 = await start({ '/': { proxyPass: `http://${bad.addr}` } })
    const r2 = await fetch(t2.url('/y'))
    expect(r2.status).toBe(502)
    expect(await r2.text()).toBe('bad')
  })

  it('takes a failing peer out for fail_timeout, then tries it again', async () => {
    const dead = await deadPort()
    const good = await backend('good')
    const t = await start(
      { '/': { proxyPass: 'http://u', addHeader: { 'X-Up': '$upstream_addr' } } },
      {},
      { upstreams: { u: { servers: [{ address: `127.0.0.1:${dead}`, maxFails: 1, failTimeout: '1s' }, good.addr] } } },
    )
    const ups: string[] = []
    for (let i = 0; i < 6; i++) ups.push((await fetch(t.url('/'))).headers.get('x-up')!)
    expect(ups.filter((u) => u.includes(String(dead)))).toHaveLength(1)
    expect(ups.filter((u) => u === good.addr)).toHaveLength(5)
    expect(t.errorLog()).toContain('upstream server temporarily disabled while connecting to upstream')
    await wait(1100)
    const again: string[] = []
    for (let i = 0; i < 4; i++) again.push((await fetch(t.url('/'))).headers.get('x-up')!)
    expect(again.some((u) => u.includes(String(dead)))).toBe(true)
  })

  it('answers 502 "no live upstreams" when every peer is down', async () => {
    const t = await start(
      { '/': { proxyPass: 'http://u' } },
      {},
      { upstreams: { u: { servers: [{ address: '127.0.0.1:1', down: true }, { address: '127.0.0.1:2', down: true }] } } },
    )
    expect((await fetch(t.url('/'))).status).toBe(502)
    expect(t.errorLog()).toContain('no live upstreams while connecting to upstream')
  })
})

describe('proxyPass: upstream connections', () => {
  it('reuses connections with keepalive and HTTP/1.1, one per request without', async () => {
    const b = await backend('b')
    const t = await start(
      {
        '/ka': { proxyPass: 'http://ka', proxy: { httpVersion: '1.1', setHeaders: { Connection: '' } } },
        '/plain': { proxyPass: 'http://plain' },
      },
      {},
      { upstreams: { ka: { servers: [b.addr], keepalive: 8 }, plain: { servers: [b.addr] } } },
    )
    for (let i = 0; i < 10; i++) expect((await fetch(t.url('/ka'))).status).toBe(200)
    expect(b.connections()).toBe(1)
    for (let i = 0; i < 10; i++) expect((await fetch(t.url('/plain'))).status).toBe(200)
    expect(b.connections()).toBe(11)
    expect(headerOf(b.seen[0]!.headers, 'connection')).toBe('keep-alive')
    expect(headerOf(b.seen[10]!.headers, 'connection')).toBe('close')
  })

  it('spreads requests by weight (smooth round robin)', async () => {
    const a = await backend('a')
    const c = await backend('c')
    const t = await start({ '/': { proxyPass: 'http://w' } }, {}, { upstreams: { w: { servers: [{ address: a.addr, weight: 3 }, c.addr] } } })
    const order: string[] = []
    for (let i = 0; i < 8; i++) order.push((await (await fetch(t.url('/'))).text()).split(' ')[0]!)
    expect(order.join('')).toBe('aacaaaca')
  })

  it('picks peers by `hash $arg_k consistent` as the ring does', async () => {
    const peers = [await backend('p1'), await backend('p2'), await backend('p3')]
    const t = await start(
      { '/': { proxyPass: 'http://h' } },
      {},
      { upstreams: { h: { hash: { key: '$arg_k', consistent: true }, servers: peers.map((p, i) => ({ address: p.addr, weight: i + 1 })) } } },
    )
    const ring = new ChashRing(peers.map((p, i) => [nginxServerId(p.addr), i + 1]), { dedupe: true })
    for (const k of ['a', 'user42', 'x-y-z', '', '12345']) {
      const want = `p${ring.nodeAt(ring.find(crc32Long(k))) + 1}`
      for (let n = 0; n < 2; n++) expect((await (await fetch(t.url(`/?k=${k}`))).text()).split(' ')[0]).toBe(want)
    }
  })

  it('runs the balancer phase before each try', async () => {
    const good = await backend('good')
    const dead = await deadPort()
    const seen: string[] = []
    const t = await start(
      { '/': { proxyPass: 'http://lb', addHeader: { 'X-Up': '$upstream_addr' } } },
      {},
      {
        upstreams: {
          lb: {
            servers: ['0.0.0.1'],
            balancer: (ngx) => {
              const last = ngx.balancer.getLastFailure()
              seen.push(`${ngx.getPhase()} ${last === undefined ? 'first' : `${last.state} ${last.code}`}`)
              if (last === undefined) {
                expect(ngx.balancer.setMoreTries(1)).toEqual({ ok: true, value: true })
                expect(ngx.balancer.setCurrentPeer('127.0.0.1', dead)).toEqual({ ok: true, value: true })
              } else {
                expect(ngx.balancer.setCurrentPeer(`127.0.0.1:${good.port}`)).toEqual({ ok: true, value: true })
              }
              expect(ngx.balancer.setCurrentPeer('localhost', 80)).toEqual({ ok: false, err: 'no host allowed' })
            },
          },
        },
      },
    )
    const r = await fetch(t.url('/x'))
    expect(r.status).toBe(200)
    expect(r.headers.get('x-up')).toBe(`127.0.0.1:${dead}, ${good.addr}`)
    expect(seen).toEqual(['balancer first', 'balancer failed 502'])
    // a request that is not proxied (ngx_lua looks for the upstream first)
    const t2 = await start({ '/': { content: (ngx) => ngx.say(JSON.stringify(ngx.balancer.setCurrentPeer('127.0.0.1', 80))) } })
    expect(await (await fetch(t2.url('/'))).text()).toBe('{"ok":false,"err":"no upstream found"}\n')
  })
})

describe('proxyPass: phases and variables', () => {
  it('runs header and body filters and the log phase on the proxied answer', async () => {
    const b = await backend('b', (_req, res) => { res.setHeader('X-B', 'v'); res.write('one,'); setTimeout(() => res.end('two'), 20) })
    let logged = ''
    const t = await start({
      '/': {
        proxyPass: `http://${b.addr}`,
        headerFilter: (ngx) => {
          ngx.header['X-Filter'] = `${ngx.status} ${String(ngx.header['X-B'])} ${ngx.var.upstream_http_x_b}`
          ngx.header['Content-Length'] = undefined as unknown as string
        },
        bodyFilter: (ngx) => {
          const c = ngx.arg[1]
          ngx.arg[1] = typeof c === 'string' ? c.toUpperCase() : Buffer.from(c).toString().toUpperCase()
        },
        log: (ngx) => { logged = `${ngx.var.upstream_addr} ${ngx.var.upstream_status} ${/^\d+\.\d{3}$/.test(ngx.var.upstream_response_time ?? '')}` },
      },
    })
    const r = await fetch(t.url('/x'))
    expect(r.headers.get('x-filter')).toBe('200 v v')
    expect(await r.text()).toBe('ONE,TWO')
    await wait(20)
    expect(logged).toBe(`${b.addr} 200 true`)
  })

  it('passes a WebSocket through when Upgrade is sent on', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    wss.on('connection', (ws) => ws.on('message', (m, binary) => ws.send(binary ? m : `echo:${String(m)}`)))
    await new Promise((ok) => wss.once('listening', ok))
    const port = (wss.address() as AddressInfo).port
    try {
      const t = await start({
        '/ws': {
          proxyPass: `http://127.0.0.1:${port}`,
          proxy: { httpVersion: '1.1', setHeaders: { Upgrade: '$http_upgrade', Connection: 'upgrade' } },
        },
      })
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/ws`)
      const got: string[] = []
      await new Promise<void>((ok, ko) => {
        ws.onerror = () => ko(new Error('websocket failed'))
        ws.onopen = () => { ws.send('hi'); ws.send('there') }
        ws.onmessage = (e) => {
          got.push(String(e.data))
          if (got.length === 2) ok()
        }
      })
      ws.close()
      expect(got).toEqual(['echo:hi', 'echo:there'])
      await wait(50)
      await t.close()
      expect(t.accessLog()).toContain('"GET /ws HTTP/1.1" 101 ')
    } finally {
      for (const c of wss.clients) c.terminate()
      await new Promise((ok) => wss.close(ok))
    }
  })

  it('sends error_page for a backend status with proxy_intercept_errors', async () => {
    const b = await backend('b', (_req, res) => { res.statusCode = 404; res.end('backend 404 page') })
    const t = await start({
      '/': { proxyPass: `http://${b.addr}`, proxy: { interceptErrors: true }, errorPage: { 404: '/nf' } },
      '= /nf': { content: (ngx) => ngx.say('our 404') },
      '/raw/': { proxyPass: `http://${b.addr}`, errorPage: { 404: '/nf' } },
    })
    const r = await fetch(t.url('/x'))
    expect(r.status).toBe(404)
    expect(await r.text()).toBe('our 404\n')
    expect(await (await fetch(t.url('/raw/x'))).text()).toBe('backend 404 page')
  })

  it('aborts the upstream request when the client goes away', async () => {
    let closed = false
    const b = await backend('b', (req, res) => {
      res.write('start')
      req.socket.on('close', () => { closed = true })
    })
    const t = await start({ '/': { proxyPass: `http://${b.addr}` } })
    const ac = new AbortController()
    const r = await fetch(t.url('/x'), { signal: ac.signal })
    const reader = r.body!.getReader()
    await reader.read()
    ac.abort()
    for (let i = 0; i < 50 && !closed; i++) await wait(20)
    expect(closed).toBe(true)
  })
})

/** A raw TCP backend: `answer` gets each connection's first request bytes. */
async function rawBackend(answer: (sock: Socket, request: string) => void): Promise<{ port: number; close(): Promise<void> }> {
  const socks: Socket[] = []
  const server = createNetServer((sock) => {
    socks.push(sock)
    sock.once('data', (d: Buffer) => answer(sock, d.toString('latin1')))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of socks) s.destroy()
      await new Promise((ok) => server.close(ok))
    },
  }
}

describe('proxyPass: answers nginx refuses', () => {
  const cases: [string, (sock: Socket) => void, number, string][] = [
    ['an invalid header line', (s) => s.end('HTTP/1.1 200 OK\r\nBad Header\r\n\r\n'), 502, 'upstream sent invalid header while reading response header from upstream'],
    ['a header block over proxy_buffer_size', (s) => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(6000)}\r\nContent-Length: 0\r\n\r\n`), 502, 'upstream sent too big header while reading response header from upstream'],
    ['a close before any answer', (s) => s.end(), 502, 'upstream prematurely closed connection while reading response header from upstream'],
  ]
  for (const [what, answer, status, log] of cases) {
    it(`answers ${status} for ${what}`, async () => {
      const b = await rawBackend(answer)
      try {
        const t = await start({ '/': { proxyPass: `http://127.0.0.1:${b.port}` } })
        const r = await fetch(t.url('/x'))
        expect(r.status).toBe(status)
        expect(t.errorLog()).toContain(log)
      } finally {
        await b.close()
      }
    })
  }

  it('cuts the answer short when the backend stalls mid-body (proxy_read_timeout)', async () => {
    const b = await rawBackend((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))
    try {
      const t = await start({ '/': { proxyPass: `http://127.0.0.1:${b.port}`, proxy: { readTimeout: '300ms' } } })
      const r = await fetch(t.url('/x'))
      await expect(r.text()).rejects.toThrow()
      await wait(50)
      expect(t.errorLog()).toContain('upstream timed out (110: Connection timed out) while reading upstream')
    } finally {
      await b.close()
    }
  })
})

describe('proxyPass: targets and redirects', () => {
  it('renders a URL with variables: an upstream name, an address, a bad URL, a name without resolver', async () => {
    const b = await backend('b')
    const t = await start(
      {
        '/name': { proxyPass: 'http://$arg_up', addHeader: { 'X-Host': '$proxy_host' } },
        '/full': { proxyPass: `http://127.0.0.1:$arg_port/fixed/path?z=1` },
        '/bad': { proxyPass: '$arg_url' },
        '/dns': { proxyPass: 'http://$arg_host', socket: { resolver: false } },
      },
      {},
      { upstreams: { named: { servers: [b.addr] } } },
    )
    const r = await fetch(t.url('/name?up=named'))
    expect(await r.text()).toBe('b /name?up=named\n')
    expect(r.headers.get('x-host')).toBe('named')
    expect(await (await fetch(t.url(`/full?port=${b.port}`))).text()).toBe('b /fixed/path?z=1\n')
    expect((await fetch(t.url('/bad?url=ftp://x'))).status).toBe(500)
    expect(t.errorLog()).toContain('invalid URL prefix in "ftp://x"')
    expect((await fetch(t.url('/dns?host=nosuch.example'))).status).toBe(502)
    expect(t.errorLog()).toContain('no resolver defined to resolve nosuch.example')
  })

  it('refuses bad proxyPass values at start, with nginx\'s words', async () => {
    await expect(start({ '~ ^/r': { proxyPass: 'http://127.0.0.1:1/uri' } })).rejects.toThrow('"proxy_pass" cannot have URI part in location given by regular expression')
    await expect(start({ '/': { proxyPass: 'ftp://x' } })).rejects.toThrow('invalid URL prefix in "ftp://x"')
    await expect(start({ '/': { proxyPass: 'https://x' } })).rejects.toThrow('https upstreams are not supported in "https://x"')
    await expect(start({ '/': { proxyPass: 'http://' } })).rejects.toThrow('no host in "http://"')
    await expect(start({ '/': { proxyPass: 'http://127.0.0.1:1', content: (ngx) => ngx.say('x') } })).rejects.toThrow('"proxyPass" and "content" cannot both be set')
  })

  it('redirects /p to /p/ for a proxying `location /p/`, keeping the args', async () => {
    const b = await backend('b')
    const t = await start({ '/p/': { proxyPass: `http://${b.addr}/` }, '= /q': { content: (ngx) => ngx.say('exact') }, '/q/': { proxyPass: `http://${b.addr}/` } })
    const r = await fetch(t.url('/p?x=1'), { redirect: 'manual' })
    expect(r.status).toBe(301)
    expect(r.headers.get('location')).toBe(`http://127.0.0.1:${t.port}/p/?x=1`)
    expect(await (await fetch(t.url('/q'))).text()).toBe('exact\n')
  })

  it('follows X-Accel-Redirect (as GET) unless ignoreHeaders names it', async () => {
    const b = await backend('b', (_req, res) => { res.setHeader('X-Accel-Redirect', '/inner/file?k=v'); res.end('backend') })
    const t = await start({
      '/': { proxyPass: `http://${b.addr}` },
      '/keep/': { proxyPass: `http://${b.addr}/`, proxy: { ignoreHeaders: ['X-Accel-Redirect'] } },
      '/inner/': { internal: true, content: (ngx) => ngx.say(`inner ${ngx.req.getMethod()} ${ngx.var.uri} ${ngx.var.args}`) },
    })
    expect(await (await fetch(t.url('/x'), { method: 'POST', body: 'b' })).text()).toBe('inner GET /inner/file k=v\n')
    expect(await (await fetch(t.url('/keep/x'))).text()).toBe('backend')
  })

  it('sends the client\'s absolute-form target as its path, and HEAD without a body', async () => {
    const b = await backend('b')
    const t = await start({ '/': { proxyPass: `http://${b.addr}` } })
    const raw = await rawRequest(t.port, `GET http://localhost/abs?a=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
    expect(raw.body).toBe('b /abs?a=1\n')
    const head = await rawRequest(t.port, 'HEAD /h HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
  })

  it('passes a subrequest\'s body to the backend', async () => {
    const b = await backend('b', (req, res, body) => res.end(`${req.method ?? ''} ${body.toString()}`))
    const t = await start({
      '/sub': { internal: true, proxyPass: `http://${b.addr}` },
      '/t': { content: async (ngx) => {
        const r = await ngx.location.capture('/sub', { method: ngx.HTTP_POST, body: 'captured' })
        ngx.say(r.status, ' ', r.body)
      } },
    })
    expect(await (await fetch(t.url('/t'))).text()).toBe('200 POST captured\n')
  })
})

describe('proxyPass: tries', () => {
  it('caps tries with nextUpstreamTries and marks a 404 as `next` without counting it', async () => {
    const nf = await backend('nf', (_req, res) => { res.statusCode = 404; res.end('nf') })
    const ok = await backend('ok')
    const dead = await deadPort()
    const states: string[] = []
    const t = await start(
      {
        '/': { proxyPass: 'http://three', proxy: { nextUpstream: ['error', 'http_404'], nextUpstreamTries: 2 }, addHeader: { 'X-Up': { value: '$upstream_status', always: true } } },
        '/lb': { set: { try: '1' }, proxyPass: 'http://lb', proxy: { nextUpstream: ['error', 'http_404'], nextUpstreamTries: 2, setHeaders: { 'X-Try': '$try' } } },
      },
      {},
      {
        upstreams: {
          three: { servers: [`127.0.0.1:${dead}`, nf.addr, ok.addr] },
          lb: {
            servers: ['0.0.0.1'],
            balancer: (ngx) => {
              const last = ngx.balancer.getLastFailure()
              states.push(last === undefined ? 'first' : `${last.state} ${last.code}`)
              if (last === undefined) {
                expect(ngx.balancer.setMoreTries(5)).toEqual({ ok: true, value: 'reduced tries due to limit' })
                expect(ngx.balancer.setTimeouts(1, undefined, 2)).toEqual({ ok: true, value: true })
                expect(() => ngx.balancer.setTimeouts(-1)).toThrow('bad connect timeout')
                // what the request sends changes, then the request is built again
                ngx.var.try = '2'
                expect(ngx.balancer.recreateRequest()).toEqual({ ok: true, value: true })
                ngx.balancer.setCurrentPeer(`127.0.0.1:${nf.port}`)
              } else ngx.balancer.setCurrentPeer('127.0.0.1', ok.port)
            },
          },
        },
      },
    )
    const r = await fetch(t.url('/'))
    // two tries at most: the first peer is dead or 404, the second the next one
    expect(r.headers.get('x-up')!.split(', ')).toHaveLength(2)
    expect((await fetch(t.url('/lb'))).status).toBe(200)
    expect(states).toEqual(['first', 'next 404'])
    expect(headerOf(ok.seen.at(-1)!.headers, 'x-try')).toBe('2')
    expect(nf.seen.length).toBeGreaterThan(0)
  })

  it('ends the request with 500 when the balancer throws or exits', async () => {
    const t = await start(
      { '/throw': { proxyPass: 'http://a' }, '/exit': { proxyPass: 'http://b' }, '/async': { proxyPass: 'http://c' } },
      {},
      {
        upstreams: {
          a: { servers: ['0.0.0.1'], balancer: () => { throw new Error('boom') } },
          b: { servers: ['0.0.0.1'], balancer: (ngx) => ngx.exit(403) },
          c: { servers: ['0.0.0.1'], balancer: async () => undefined },
        },
      },
    )
    for (const p of ['/throw', '/exit', '/async']) expect((await fetch(t.url(p))).status).toBe(500)
    expect(t.errorLog()).toContain('balancer handler aborted: Error: boom')
    expect(t.errorLog()).toContain('balancer handlers must not be async')
  })
})

