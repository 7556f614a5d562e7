// ngx.socket.tcp against real peers on loopback: connect outcomes, send, timeouts, closed
// and reset peers, unix sockets, busy states, phases and owners. Expected strings are the
// reference OpenResty's (measured with content_by_lua scripts; see cosocket.md).
import { afterEach, describe, expect, it } from 'vitest'
import { socketConnect, tcp } from '../src/socket-tcp.ts'
import {
  blockedPeer, deadPort, echoPeer, payloadPeer, resetPeer, sleep, stallPeer, TestOwner, unixEchoPeer,
} from './fixtures/cosocket-peers.ts'
import type { Peer, UnixPeer } from './fixtures/cosocket-peers.ts'

const owners: TestOwner[] = []
const peers: (Peer | UnixPeer)[] = []
afterEach(async () => {
  for (const o of owners.splice(0)) o.end()
  for (const p of peers.splice(0)) await p.close()
})

function owner(...args: ConstructorParameters<typeof TestOwner>): TestOwner {
  const o = new TestOwner(...args)
  owners.push(o)
  return o
}

async function peer<P extends Peer | UnixPeer>(p: Promise<P>): Promise<P> {
  const v = await p
  peers.push(v)
  return v
}

describe('connect', () => {
  it('connects, sends and receives a line (TEST: echo round trip)', async () => {
    const p = await peer(echoPeer())
    const s = tcp(owner())
    expect(await s.connect('127.0.0.1', p.port)).toEqual({ ok: true, value: 1 })
    expect(s.connected).toBe(true)
    expect(s.getReusedTimes()).toEqual({ ok: true, value: 0 })
    expect(await s.send('ping\n')).toEqual({ ok: true, value: 5 })
    expect(await s.receive()).toEqual({ ok: true, value: 'ping' })
    expect(s.close()).toEqual({ ok: true, value: 1 })
    expect(s.close()).toEqual({ ok: false, err: 'closed' })
  })

  it('takes the port as a numeric string and options in place of the port for unix', async () => {
    const p = await peer(echoPeer())
    const s = tcp(owner())
    expect(await s.connect('127.0.0.1', String(p.port))).toEqual({ ok: true, value: 1 })
    const u = await peer(unixEchoPeer())
    expect(await s.connect(`unix:${u.path}`, { pool: 'u' })).toEqual({ ok: true, value: 1 })
  })

  it('answers connection refused, and the socket is closed after it', async () => {
    const o = owner()
    const s = tcp(o)
    const port = await deadPort()
    expect(await s.connect('127.0.0.1', port)).toEqual({ ok: false, err: 'connection refused' })
    expect(await s.send('x')).toEqual({ ok: false, err: 'closed' })
    expect(await s.receive()).toEqual({ ok: false, err: 'closed' })
    expect(s.close()).toEqual({ ok: false, err: 'closed' })
    expect(s.setKeepalive()).toEqual({ ok: false, err: 'closed' })
    expect(s.getReusedTimes()).toEqual({ ok: false, err: 'closed' })
    expect(o.logs).toContain(`4: connect() to 127.0.0.1:${port} failed (111: Connection refused)`)
    expect(o.logs).toContain('4: attempt to send data on a closed socket')
    expect(o.logs).toContain('4: attempt to receive data on a closed socket')
  })

  it('logs nothing with lua_socket_log_errors off', async () => {
    const o = owner('content', { logErrors: false })
    const s = tcp(o)
    expect(await s.connect('127.0.0.1', await deadPort())).toEqual({ ok: false, err: 'connection refused' })
    expect(o.logs).toEqual([])
  })

  it('answers no such file or directory for a missing unix socket', async () => {
    const s = tcp(owner())
    expect(await s.connect('unix:/tmp/nresty-no-such-dir/none.sock')).toEqual({ ok: false, err: 'no such file or directory' })
  })

  it.each([
    ['127.0.0.1', undefined, 'missing the port number'],
    ['127.0.0.1', 70000, 'bad port number: 70000'],
    ['127.0.0.1', 'http', 'bad port number: http'],
    ['unix:', undefined, 'failed to parse host name "unix:": no path in the unix domain socket'],
    ['::1', 80, 'failed to parse host name "::1": invalid port'],
  ] as const)('connect(%j, %j) fails with %j', async (host, port, err) => {
    const s = tcp(owner())
    expect(await s.connect(host, port)).toEqual({ ok: false, err })
  })

  it('answers port 0 with connection refused', async () => {
    expect(await tcp(owner()).connect('127.0.0.1', 0)).toEqual({ ok: false, err: 'connection refused' })
  })

  it('without a resolver, a name fails as nginx says; with one, localhost resolves', async () => {
    const p = await peer(echoPeer())
    const off = owner('content', { resolver: false })
    expect(await tcp(off).connect('localhost', p.port)).toEqual({ ok: false, err: 'no resolver defined to resolve "localhost"' })
    expect(await tcp(off).connect(' 127.0.0.1', p.port)).toEqual({ ok: false, err: 'no resolver defined to resolve " 127.0.0.1"' })
    const s = tcp(owner())
    expect(await s.connect('localhost', p.port)).toEqual({ ok: true, value: 1 })
    expect(await tcp(owner()).connect('no-such-host.invalid', p.port)).toEqual({
      ok: false, err: 'no-such-host.invalid could not be resolved (3: Host not found)',
    })
  })

  it('connects [::1] as an IPv6 literal', async () => {
    // nothing listens on ::1 for this port: the address was parsed and dialled
    const r = await tcp(owner()).connect('[::1]', await deadPort())
    expect(r.ok).toBe(false)
    if (!r.ok) expect(['connection refused', 'cannot assign requested address', 'address family not supported by protocol']).toContain(r.err)
  })

  it('times out a connect the peer never completes, after the connect timeout', async () => {
    const b = await blockedPeer(3000)
    try {
      await b.fill()
      const o = owner()
      const s = tcp(o)
      s.setTimeouts(150, 1000, 1000)
      const t0 = Date.now()
      expect(await s.connect('127.0.0.1', b.port)).toEqual({ ok: false, err: 'timeout' })
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
      expect(o.logs).toContain(`4: lua tcp socket connect timed out, when trying to connect to 127.0.0.1:${b.port}`)
    } finally {
      b.close()
    }
  })

  it('connect on a connected socket closes the first connection', async () => {
    const p = await peer(echoPeer())
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    await s.connect('127.0.0.1', p.port)
    await sleep(50)
    expect(p.accepted()).toBe(2)
    expect(p.sockets.size).toBe(1)
    expect(s.getReusedTimes()).toEqual({ ok: true, value: 0 })
  })

  it('ngx.socket.connect gives a connected socket, or the error', async () => {
    const p = await peer(echoPeer())
    const o = owner()
    const r = await socketConnect(o, '127.0.0.1', p.port)
    expect(r.ok && r.value.connected).toBe(true)
    expect(await socketConnect(o, '127.0.0.1', await deadPort())).toEqual({ ok: false, err: 'connection refused' })
  })

  it('rejects bad connect options as ngx_lua does', async () => {
    const p = await peer(echoPeer())
    const s = tcp(owner())
    await expect(async () => s.connect('127.0.0.1', p.port, { poolSize: 0 })).rejects.toThrow('bad "pool_size" option value: 0')
    await expect(async () => s.connect('127.0.0.1', p.port, { backlog: -1 })).rejects.toThrow('bad "backlog" option value: -1')
    await expect(async () => s.connect('127.0.0.1', p.port, { pool: true as unknown as string })).rejects.toThrow('bad "pool" option type: boolean')
    expect(await s.connect('127.0.0.1', p.port, { pool: 1 })).toEqual({ ok: true, value: 1 })
  })
})

describe('send', () => {
  it('sends strings, bytes and nested arrays as one piece and returns the byte count', async () => {
    const p = await peer(echoPeer())
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    expect(await s.send(['a', ['b', new Uint8Array([0x31, 0x2e, 0x35])], 'c\n'])).toEqual({ ok: true, value: 7 })
    expect(await s.receive()).toEqual({ ok: true, value: 'ab1.5c' })
    expect(await s.send('')).toEqual({ ok: true, value: 0 })
    expect(await s.send([])).toEqual({ ok: true, value: 0 })
    expect(await s.send('é\n')).toEqual({ ok: true, value: 3 })
    expect(await s.receive()).toEqual({ ok: true, value: 'é' })
    expect(() => s.send([true as unknown as string])).toThrow('bad data type')
  })

  it('waits for a large write to reach the kernel', async () => {
    const p = await peer(echoPeer())
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    const big = 'x'.repeat(4 * 1024 * 1024)
    const sent = s.send(big)
    const got = s.receive(big.length)
    expect(await sent).toEqual({ ok: true, value: big.length })
    const r = await got
    expect(r.ok && r.value.length).toBe(big.length)
  })

  it('answers socket busy writing for a second send while the first waits', async () => {
    const p = await peer(stallPeer())
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    // the stall peer does not read: a big write stays queued
    for (const sock of p.sockets) sock.pause()
    s.setTimeout(300)
    const first = s.send('y'.repeat(32 * 1024 * 1024))
    expect(await s.send('x')).toEqual({ ok: false, err: 'socket busy writing' })
    expect(s.close()).toEqual({ ok: false, err: 'socket busy writing' })
    expect(s.setKeepalive()).toEqual({ ok: false, err: 'socket busy writing' })
    expect(await first).toEqual({ ok: false, err: 'timeout' })
    expect(s.connected).toBe(false)
  })

  it('reports the OS error of a send to a reset connection and closes the socket', async () => {
    const p = await peer(resetPeer('abc', 10))
    const o = owner()
    const s = tcp(o)
    await s.connect('127.0.0.1', p.port)
    await sleep(100)
    const r = await s.send('x')
    expect(r).toEqual({ ok: false, err: 'connection reset by peer' })
    expect(await s.send('x')).toEqual({ ok: false, err: 'closed' })
  })

  it('can send after the peer half-closed its side', async () => {
    const p = await peer(payloadPeer('bulk', 'hello'))
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    expect(await s.receiveUntil('l', { inclusive: true })()).toEqual({ ok: true, value: 'hel' })
    expect(await s.receive('*a')).toEqual({ ok: true, value: 'lo' })
    expect(await s.send('x')).toEqual({ ok: true, value: 1 })
  })
})

describe('receive errors and timeouts', () => {
  it('a read timeout returns timeout and leaves the socket usable', async () => {
    const p = await peer(stallPeer())
    const o = owner()
    const s = tcp(o)
    await s.connect('127.0.0.1', p.port)
    s.setTimeout(100)
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(await s.receive(5)).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(await s.receive('*a')).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(await s.receiveAny(10)).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(o.logs).toContain('4: lua tcp socket read timed out')
    s.setTimeout(2000)
    expect(await s.send('go\n')).toEqual({ ok: true, value: 3 })
    expect(await s.receive()).toEqual({ ok: true, value: 'ok' })
  })

  it('a timeout hands back (and consumes) what was read', async () => {
    const p = await peer(payloadPeer('hold', 'abc\ndef'))
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    s.setTimeouts(1000, 1000, 100)
    expect(await s.receive()).toEqual({ ok: true, value: 'abc' })
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout', partial: 'def' })
    expect(await s.receive(1)).toEqual({ ok: false, err: 'timeout', partial: '' })
  })

  it('receiveuntil keeps its state over a timeout; pending boundary bytes are not partial data', async () => {
    const p = await peer(payloadPeer('hold', 'abcdefghXYZ'))
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    s.setTimeout(100)
    const it3 = s.receiveUntil('XYZW')
    expect(await it3(3)).toEqual({ ok: true, value: 'abc' })
    expect(await it3(3)).toEqual({ ok: true, value: 'def' })
    expect(await it3(3)).toEqual({ ok: false, err: 'timeout', partial: 'gh' })
    expect(await it3(3)).toEqual({ ok: false, err: 'timeout', partial: '' })
  })

  it('each read gets its whole timeout, also after a read with a shorter one', async () => {
    const p = await peer(stallPeer())
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    s.setTimeout(100)
    await s.send('go\n')
    expect(await s.receive()).toEqual({ ok: true, value: 'ok' })
    s.setTimeout(300)
    const t0 = Date.now()
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    s.setTimeout(100)
    const t1 = Date.now()
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(Date.now() - t1).toBeLessThan(280)
  })

  it('uses lua_socket_read_timeout when the timeout is 0', async () => {
    const p = await peer(stallPeer())
    const s = tcp(owner('content', { readTimeout: 120 }))
    await s.connect('127.0.0.1', p.port)
    s.setTimeout(0)
    const t0 = Date.now()
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110)
  })

  it('a peer closing mid-read gives closed with the partial data, then closed', async () => {
    const p = await peer(payloadPeer('bulk', 'partial'))
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    expect(await s.receive(100)).toEqual({ ok: false, err: 'closed', partial: 'partial' })
    expect(await s.receive(1)).toEqual({ ok: false, err: 'closed' })
    expect(s.connected).toBe(false)
  })

  it('a reset gives connection reset by peer with the partial data', async () => {
    const p = await peer(resetPeer('abc'))
    const o = owner()
    const s = tcp(o)
    await s.connect('127.0.0.1', p.port)
    expect(await s.receive('*a')).toEqual({ ok: false, err: 'connection reset by peer', partial: 'abc' })
    expect(await s.receive('*a')).toEqual({ ok: false, err: 'closed' })
    expect(o.logs).toContain('4: recv() failed (104: Connection reset by peer)')
  })

  it('a second reader gets socket busy reading, and so do close and setkeepalive', async () => {
    const p = await peer(stallPeer())
    const s = tcp(owner())
    await s.connect('127.0.0.1', p.port)
    s.setTimeout(150)
    const first = s.receive()
    expect(await s.receive()).toEqual({ ok: false, err: 'socket busy reading' })
    expect(await s.receiveUntil('x')()).toEqual({ ok: false, err: 'socket busy reading' })
    expect(await s.receiveAny(2)).toEqual({ ok: false, err: 'socket busy reading' })
    expect(s.setKeepalive()).toEqual({ ok: false, err: 'socket busy reading' })
    expect(s.close()).toEqual({ ok: false, err: 'socket busy reading' })
    // full duplex: one writer may work while a reader waits
    expect(await s.send('x')).toEqual({ ok: true, value: 1 })
    expect(await first).toEqual({ ok: false, err: 'timeout', partial: '' })
    expect(s.close()).toEqual({ ok: true, value: 1 })
  })

  it('binary sockets give Buffers byte for byte; latin1 sockets give one char per byte', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xe9, 0x0a, 0x80])
    const p = await peer(payloadPeer('bulk', bytes))
    const b = tcp(owner(), { binary: true })
    await b.connect('127.0.0.1', p.port)
    const line = await b.receive()
    expect(line.ok && Buffer.isBuffer(line.value) && [...line.value]).toEqual([0xff, 0x00, 0xe9])
    expect(await b.receive('*a')).toEqual({ ok: true, value: Buffer.from([0x80]) })
    const l = tcp(owner(), { encoding: 'latin1' })
    await l.connect('127.0.0.1', p.port)
    expect(await l.receive(5)).toEqual({ ok: true, value: '\xff\x00\xe9\n\x80' })
    const u = tcp(owner(), { binary: true })
    await u.connect('127.0.0.1', p.port)
    const it = u.receiveUntil(new Uint8Array([0x0a]))
    expect(await it()).toEqual({ ok: true, value: Buffer.from([0xff, 0x00, 0xe9]) })
  })

  it('rejects bad arguments as ngx_lua does', async () => {
    const s = tcp(owner())
    expect(() => s.receive('*x' as '*l')).toThrow('bad pattern argument: *x')
    expect(() => s.receive(-1)).toThrow('bad pattern argument: -1')
    expect(() => s.receiveAny(0)).toThrow('bad max argument')
    expect(() => s.receiveUntil('')).toThrow('pattern is empty')
    expect(() => s.setTimeout(-1)).toThrow('bad timeout value')
    expect(() => s.setTimeouts(1, 2, -3)).toThrow('bad timeout value')
  })

  it('keeps reading after buffering more than the buffer size unasked', async () => {
    const big = Buffer.alloc(256 * 1024, 0x61)
    const p = await peer(payloadPeer('hold', big))
    const s = tcp(owner(), { binary: true })
    await s.connect('127.0.0.1', p.port)
    await sleep(100)
    const r = await s.receive(big.length)
    expect(r.ok && r.value.length).toBe(big.length)
  })
})

describe('unix sockets', () => {
  it('connects to a unix socket and pools it by its path', async () => {
    const u = await peer(unixEchoPeer())
    const o = owner()
    const s = tcp(o)
    expect(await s.connect(`unix:${u.path}`)).toEqual({ ok: true, value: 1 })
    await s.send('hi\n')
    expect(await s.receive()).toEqual({ ok: true, value: 'hi' })
    expect(s.setKeepalive()).toEqual({ ok: true, value: 1 })
    const s2 = tcp(o)
    expect(await s2.connect(`unix:${u.path}`)).toEqual({ ok: true, value: 1 })
    expect(s2.getReusedTimes()).toEqual({ ok: true, value: 1 })
    expect(u.accepted()).toBe(1)
  })

  it('answers connection refused for a path that is not a socket', async () => {
    expect(await tcp(owner()).connect('unix:/tmp')).toEqual({ ok: false, err: 'connection refused' })
  })
})

describe('phases and owners', () => {
  it.each([
    ['header_filter', 'API disabled in the context of header_filter_by_lua*'],
    ['body_filter', 'API disabled in the context of body_filter_by_lua*'],
    ['log', 'API disabled in the context of log_by_lua*'],
    ['set', 'API disabled in the context of set_by_lua*'],
    ['init_worker', 'API disabled in the context of init_worker_by_lua*'],
    ['exit_worker', 'API disabled in the context of exit_worker_by_lua*'],
    ['balancer', 'API disabled in the context of balancer_by_lua*'],
    ['init', 'no request found'],
  ] as const)('ngx.socket.tcp() in %s throws %j', (phase, msg) => {
    expect(() => tcp(new TestOwner(phase))).toThrow(msg)
  })

  it.each(['rewrite', 'server_rewrite', 'access', 'content', 'timer'] as const)('works in %s', (phase) => {
    expect(tcp(owner(phase)).connected).toBe(false)
  })

  it('checks the phase of each call against the owner’s current phase', async () => {
    const p = await peer(echoPeer())
    const o = owner('content')
    const s = tcp(o)
    await s.connect('127.0.0.1', p.port)
    o._phase = 'log'
    expect(() => s.send('x')).toThrow('API disabled in the context of log_by_lua*')
    expect(() => s.receive()).toThrow('API disabled in the context of log_by_lua*')
    expect(() => s.connect('127.0.0.1', p.port)).toThrow('API disabled in the context of log_by_lua*')
  })

  it('closes a socket left open when the owner ends, and ends a pending read with closed', async () => {
    const p = await peer(stallPeer())
    const o = new TestOwner()
    const s = tcp(o)
    await s.connect('127.0.0.1', p.port)
    const pending = s.receive()
    o.end()
    expect(await pending).toEqual({ ok: false, err: 'closed' })
    expect(s.connected).toBe(false)
    await sleep(50)
    expect(p.sockets.size).toBe(0)
  })

  it('a connect in progress when the owner ends does not leave a connection behind', async () => {
    const p = await peer(echoPeer())
    const o = new TestOwner()
    const s = tcp(o)
    const c = s.connect('127.0.0.1', p.port)
    o.end()
    expect(await c).toEqual({ ok: false, err: 'closed' })
    await sleep(50)
    expect(p.sockets.size).toBe(0)
  })

  it('assertOwner: bad request for a connected socket used elsewhere; a closed one moves', async () => {
    const p = await peer(echoPeer())
    const a = owner()
    const b = owner()
    const s = tcp(a)
    s.assertOwner(a)
    await s.connect('127.0.0.1', p.port)
    expect(() => s.assertOwner(b)).toThrow('bad request')
    s.close()
    s.assertOwner(b)
    expect(s.owner).toBe(b)
    await s.connect('127.0.0.1', p.port)
    a.end() // the old owner's cleanup no longer touches it
    expect(s.connected).toBe(true)
    b.end()
    expect(s.connected).toBe(false)
  })
})

describe('setOption', () => {
  it('sets keepalive and tcp-nodelay, accepts buffer options, refuses unknown names', async () => {
    const p = await peer(echoPeer())
    const s = tcp(owner())
    expect(() => s.setOption('keepalive', true)).toThrow('socket is never created nor connected')
    await s.connect('127.0.0.1', p.port)
    expect(s.setOption('keepalive', true)).toEqual({ ok: true, value: true })
    expect(s.setOption('tcp-nodelay', true)).toEqual({ ok: true, value: true })
    expect(s.setOption('sndbuf', 4096)).toEqual({ ok: true, value: true })
    expect(s.setOption('reuseaddr', 1)).toEqual({ ok: true, value: true })
    expect(s.setOption('bogus', 1)).toEqual({ ok: false, err: 'unsupported option bogus' })
    s.close()
    expect(s.setOption('keepalive', true)).toEqual({ ok: false, err: 'closed' })
  })
})
