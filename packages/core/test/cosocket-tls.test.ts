// tcpsock:sslhandshake against a TLS peer with a self-signed certificate (CN/SAN test.local):
// verification on and off, SNI, trusted CAs, host mismatch, session reuse, pooled TLS
// connections, and failures against non-TLS peers. Err strings as the reference answered.
import { afterEach, describe, expect, it } from 'vitest'
import { tcp } from '../src/socket-tcp.ts'
import type { SslSession, TcpSocket } from '../src/socket-tcp.ts'
import { verifyErrorText } from '../src/socket-tls.ts'
import { echoPeer, payloadPeer, sleep, stallPeer, TestOwner, TLS_CERT, tlsPeer } from './fixtures/cosocket-peers.ts'
import type { Peer, TlsPeer } from './fixtures/cosocket-peers.ts'

const owners: TestOwner[] = []
const peers: Peer[] = []
afterEach(async () => {
  for (const o of owners.splice(0)) {
    o.end()
    o._pools.closeAll()
  }
  for (const p of peers.splice(0)) await p.close()
})

async function start(conf: ConstructorParameters<typeof TestOwner>[1] = {}): Promise<{ o: TestOwner; peer: TlsPeer }> {
  const peer = await tlsPeer()
  peers.push(peer)
  const o = new TestOwner('content', conf)
  owners.push(o)
  return { o, peer }
}

async function conn(o: TestOwner, port: number): Promise<TcpSocket> {
  const s = tcp(o)
  s.setTimeout(2000)
  expect(await s.connect('127.0.0.1', port)).toEqual({ ok: true, value: 1 })
  return s
}

describe('sslHandshake', () => {
  it('with verification off, works and passes the server name as SNI', async () => {
    const { o, peer } = await start()
    const s = await conn(o, peer.port)
    const r = await s.sslHandshake(undefined, 'test.local', false)
    expect(r.ok).toBe(true)
    await s.send('x\n')
    expect(await s.receive()).toEqual({ ok: true, value: 'sni=test.local' })
    expect(peer.names).toEqual(['test.local'])
    expect(s.close()).toEqual({ ok: true, value: 1 })
    await sleep(50)
    expect(peer.sockets.size).toBe(0)
  })

  it('sends no SNI without a server name, and returns true for reusedSession=false', async () => {
    const { o, peer } = await start()
    const s = await conn(o, peer.port)
    expect(await s.sslHandshake(false)).toEqual({ ok: true, value: true })
    await s.send('x\n')
    expect(await s.receive()).toEqual({ ok: true, value: 'sni=false' })
  })

  it('with verification on and the certificate not trusted: 18: self-signed certificate', async () => {
    const { o, peer } = await start()
    const s = await conn(o, peer.port)
    expect(await s.sslHandshake(undefined, 'test.local', true)).toEqual({ ok: false, err: '18: self-signed certificate' })
    expect(o.logs).toContain('4: lua ssl certificate verify error: (18: self-signed certificate)')
    expect(await s.send('x')).toEqual({ ok: false, err: 'closed' })
  })

  it('with no CA at all (nginx without lua_ssl_trusted_certificate) also fails verification', async () => {
    const { o, peer } = await start({ sslTrustedCertificate: [] })
    const s = await conn(o, peer.port)
    expect(await s.sslHandshake(undefined, undefined, true)).toEqual({ ok: false, err: '18: self-signed certificate' })
  })

  it('with the certificate trusted: verifies, checks the host name when one is given', async () => {
    const { o, peer } = await start({ sslTrustedCertificate: TLS_CERT.toString() })
    const good = await conn(o, peer.port)
    expect((await good.sslHandshake(undefined, 'test.local', true)).ok).toBe(true)
    const noName = await conn(o, peer.port)
    expect((await noName.sslHandshake(undefined, undefined, true)).ok).toBe(true)
    const bad = await conn(o, peer.port)
    expect(await bad.sslHandshake(undefined, 'other.local', true)).toEqual({ ok: false, err: 'certificate host mismatch' })
    expect(o.logs).toContain('4: lua ssl certificate does not match host "other.local"')
    const unverified = await conn(o, peer.port)
    expect((await unverified.sslHandshake(undefined, 'other.local')).ok).toBe(true)
  })

  it('is a no-op on a connection that is TLS already, also one from the pool', async () => {
    const { o, peer } = await start()
    const s = await conn(o, peer.port)
    const r1 = await s.sslHandshake(undefined, 'test.local')
    expect(r1.ok).toBe(true)
    const r2 = await s.sslHandshake(undefined, 'test.local')
    expect(r2).toEqual(r1)
    expect(s.setKeepalive()).toEqual({ ok: true, value: 1 })
    const p = await conn(o, peer.port)
    expect(p.getReusedTimes()).toEqual({ ok: true, value: 1 })
    expect(await p.sslHandshake(false, 'test.local')).toEqual({ ok: true, value: true })
    await p.send('x\n')
    expect(await p.receive()).toEqual({ ok: true, value: 'sni=test.local' })
    expect(peer.names).toEqual(['test.local'])
  })

  it('resumes a session it is given', async () => {
    const { o, peer } = await start()
    const a = await conn(o, peer.port)
    const r = await a.sslHandshake(undefined, 'test.local')
    expect(r.ok).toBe(true)
    const session = (r as { value: SslSession }).value
    await a.send('x\n')
    await a.receive()
    expect(session.data).toBeInstanceOf(Buffer)
    const b = await conn(o, peer.port)
    const r2 = await b.sslHandshake(session, 'test.local')
    expect(r2.ok).toBe(true)
    await b.send('x\n')
    expect(await b.receive()).toEqual({ ok: true, value: 'sni=test.local' })
    expect(peer.resumed).toEqual([false, true])
  })

  it('fails with handshake failed against a peer that does not speak TLS', async () => {
    const p = await echoPeer()
    peers.push(p)
    const o = new TestOwner()
    owners.push(o)
    const s = await conn(o, p.port)
    expect(await s.sslHandshake(undefined, undefined, false)).toEqual({ ok: false, err: 'handshake failed' })
    const closing = await payloadPeer('bulk', '')
    peers.push(closing)
    const c = await conn(o, closing.port)
    expect(await c.sslHandshake()).toEqual({ ok: false, err: 'handshake failed' })
  })

  it('times out after the connect timeout against a silent peer', async () => {
    const p = await stallPeer()
    peers.push(p)
    const o = new TestOwner()
    owners.push(o)
    const s = await conn(o, p.port)
    s.setTimeouts(100, 5000, 5000)
    const t0 = Date.now()
    expect(await s.sslHandshake()).toEqual({ ok: false, err: 'timeout' })
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  it('throws on a socket never connected, answers closed on a closed one', async () => {
    const { o, peer } = await start()
    const s = tcp(o)
    await expect(async () => s.sslHandshake()).rejects.toThrow('socket is never created nor connected')
    await s.connect('127.0.0.1', peer.port)
    s.close()
    expect(await s.sslHandshake()).toEqual({ ok: false, err: 'closed' })
    await s.connect('127.0.0.1', peer.port)
    await expect(async () => s.sslHandshake(undefined, 12 as unknown as string)).rejects.toThrow('bad server name')
  })
})

describe('verifyErrorText', () => {
  it.each([
    ['DEPTH_ZERO_SELF_SIGNED_CERT', '18: self-signed certificate'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', '20: unable to get local issuer certificate'],
    ['CERT_HAS_EXPIRED', '10: certificate has expired'],
    ['SOMETHING_NEW', '0: something new'],
  ])('%s → %s', (code, text) => {
    expect(verifyErrorText(code)).toBe(text)
  })
})
