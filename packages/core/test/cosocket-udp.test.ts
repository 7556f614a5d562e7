// ngx.socket.udp against a UDP echo peer on loopback: setpeername, send, receive (size, timeout,
// ICMP connection refused), close, bind, phases. Err strings as the reference answered.
import { afterEach, describe, expect, it } from 'vitest'
import { udp } from '../src/socket-udp.ts'
import { deadPort, TestOwner, udpPeer, unixEchoPeer } from './fixtures/cosocket-peers.ts'
import type { UdpPeer } from './fixtures/cosocket-peers.ts'

const owners: TestOwner[] = []
const peers: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const o of owners.splice(0)) o.end()
  for (const p of peers.splice(0)) await p.close()
})

function owner(...args: ConstructorParameters<typeof TestOwner>): TestOwner {
  const o = new TestOwner(...args)
  owners.push(o)
  return o
}

async function peer(silent = false): Promise<UdpPeer> {
  const p = await udpPeer(silent)
  peers.push(p)
  return p
}

describe('ngx.socket.udp', () => {
  it('answers closed before setpeername', async () => {
    const s = udp(owner())
    expect(await s.send('x')).toEqual({ ok: false, err: 'closed' })
    expect(await s.receive()).toEqual({ ok: false, err: 'closed' })
    expect(s.close()).toEqual({ ok: false, err: 'closed' })
  })

  it('sends datagrams and receives the answers, cut to the size asked', async () => {
    const p = await peer()
    const s = udp(owner())
    expect(await s.setPeername('127.0.0.1', p.port)).toEqual({ ok: true, value: 1 })
    expect(await s.send('hello')).toEqual({ ok: true, value: 1 })
    expect(await s.receive()).toEqual({ ok: true, value: 'echo:hello' })
    expect(await s.send(['a', ['b', 'c']])).toEqual({ ok: true, value: 1 })
    expect(await s.receive(2)).toEqual({ ok: true, value: 'ec' })
    s.setTimeout(100)
    // the rest of a datagram read short is gone
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout' })
  })

  it('keeps datagrams that arrive before receive is called', async () => {
    const p = await peer()
    const s = udp(owner(), { binary: true })
    await s.setPeername('127.0.0.1', String(p.port))
    await s.send('1')
    await s.send('2')
    await new Promise((r) => setTimeout(r, 50))
    expect(await s.receive()).toEqual({ ok: true, value: Buffer.from('echo:1') })
    expect(await s.receive(3)).toEqual({ ok: true, value: Buffer.from('ech') })
  })

  it('a read timeout leaves the socket usable', async () => {
    const p = await peer()
    const o = owner()
    const s = udp(o)
    await s.setPeername('127.0.0.1', p.port)
    s.setTimeout(100)
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout' })
    expect(o.logs).toContain('4: lua udp socket read timed out')
    expect(await s.send('x')).toEqual({ ok: true, value: 1 })
    expect(await s.receive()).toEqual({ ok: true, value: 'echo:x' })
  })

  it('uses lua_socket_read_timeout by default', async () => {
    const p = await peer(true)
    const s = udp(owner('content', { readTimeout: 80 }))
    await s.setPeername('127.0.0.1', p.port)
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout' })
  })

  it('reports an ICMP port unreachable as connection refused on the next receive, then goes on', async () => {
    const s = udp(owner())
    expect(await s.setPeername('127.0.0.1', await deadPort())).toEqual({ ok: true, value: 1 })
    s.setTimeout(100)
    expect(await s.send('x')).toEqual({ ok: true, value: 1 })
    expect(await s.receive()).toEqual({ ok: false, err: 'connection refused' })
    expect(await s.receive()).toEqual({ ok: false, err: 'timeout' })
    await s.send('x')
    await new Promise((r) => setTimeout(r, 50))
    expect(await s.receive()).toEqual({ ok: false, err: 'connection refused' })
  })

  it('answers socket busy reading for a second receive', async () => {
    const p = await peer(true)
    const s = udp(owner())
    await s.setPeername('127.0.0.1', p.port)
    s.setTimeout(100)
    const first = s.receive()
    expect(await s.receive()).toEqual({ ok: false, err: 'socket busy reading' })
    expect(await first).toEqual({ ok: false, err: 'timeout' })
  })

  it('fails a datagram that is too long with message too long', async () => {
    const p = await peer()
    const s = udp(owner())
    await s.setPeername('127.0.0.1', p.port)
    expect(await s.send('x'.repeat(70000))).toEqual({ ok: false, err: 'message too long' })
  })

  it('parses the peer as connect does', async () => {
    const s = udp(owner('content', { resolver: false }))
    expect(await s.setPeername('localhost', 53)).toEqual({ ok: false, err: 'no resolver defined to resolve "localhost"' })
    expect(await s.send('x')).toEqual({ ok: false, err: 'closed' })
    expect(await s.setPeername('127.0.0.1', 70000)).toEqual({ ok: false, err: 'bad port number: 70000' })
    expect(await s.setPeername('unix:/tmp/nresty-no-such-dir/x.sock')).toEqual({ ok: false, err: 'no such file or directory' })
    const u = await unixEchoPeer()
    peers.push(u)
    expect(await s.setPeername(`unix:${u.path}`)).toEqual({ ok: false, err: 'unix datagram sockets are not supported' })
  })

  it('close, then closed; a pending receive ends with closed when the owner ends', async () => {
    const p = await peer(true)
    const o = new TestOwner()
    const s = udp(o)
    await s.setPeername('127.0.0.1', p.port)
    expect(s.close()).toEqual({ ok: true, value: 1 })
    expect(s.close()).toEqual({ ok: false, err: 'closed' })
    await s.setPeername('127.0.0.1', p.port)
    const pending = s.receive()
    o.end()
    expect(await pending).toEqual({ ok: false, err: 'closed' })
  })

  it('binds to a local address first when asked', async () => {
    const p = await peer()
    const s = udp(owner())
    expect(s.bind('nonsense')).toEqual({ ok: false, err: 'bad address: nonsense' })
    expect(s.bind('127.0.0.1')).toEqual({ ok: true, value: 1 })
    await s.setPeername('127.0.0.1', p.port)
    await s.send('b')
    expect(await s.receive()).toEqual({ ok: true, value: 'echo:b' })
  })

  it('checks phases and owners as tcp does', async () => {
    expect(() => udp(new TestOwner('log'))).toThrow('API disabled in the context of log_by_lua*')
    const p = await peer()
    const a = owner()
    const b = owner()
    const s = udp(a)
    await s.setPeername('127.0.0.1', p.port)
    expect(() => s.assertOwner(b)).toThrow('bad request')
    s.assertOwner(a)
    s.close()
    s.assertOwner(b)
    expect(s.owner).toBe(b)
    expect(() => s.setTimeout(-1)).toThrow('bad timeout value')
  })
})
