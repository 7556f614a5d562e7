// Connection pools with real peers: reuse counts, pool_size eviction, backlog (overflow,
// waiting then succeeding, queued timeout), idle expiry, peers closing idle connections, and
// setkeepalive refusing connections with unread data. Expected outcomes measured on the
// reference OpenResty (see cosocket.md).
import { afterEach, describe, expect, it } from 'vitest'
import { createSocketPools, tcp } from '../src/socket-tcp.ts'
import type { TcpSocket } from '../src/socket-tcp.ts'
import { closingPeer, echoPeer, payloadPeer, sleep, TestOwner } from './fixtures/cosocket-peers.ts'
import type { Peer } from './fixtures/cosocket-peers.ts'

const owners: TestOwner[] = []
const peers: Peer[] = []
afterEach(async () => {
  for (const o of owners.splice(0)) {
    o.end()
    o._pools.closeAll()
  }
  for (const p of peers.splice(0)) await p.close()
})

async function setup(conf: ConstructorParameters<typeof TestOwner>[1] = {}, p?: Promise<Peer>): Promise<{ o: TestOwner; peer: Peer }> {
  const peer = await (p ?? echoPeer())
  peers.push(peer)
  const o = new TestOwner('content', conf)
  owners.push(o)
  return { o, peer }
}

async function connected(o: TestOwner, port: number, opts?: Parameters<TcpSocket['connect']>[2]): Promise<TcpSocket> {
  const s = tcp(o)
  const r = await s.connect('127.0.0.1', port, opts)
  expect(r).toEqual({ ok: true, value: 1 })
  return s
}

describe('reuse', () => {
  it('counts reuses, and setkeepalive closes the object', async () => {
    const { o, peer } = await setup()
    for (let i = 0; i < 3; i++) {
      const s = await connected(o, peer.port)
      expect(s.getReusedTimes()).toEqual({ ok: true, value: i })
      expect(await s.send('ping\n')).toEqual({ ok: true, value: 5 })
      expect(await s.receive()).toEqual({ ok: true, value: 'ping' })
      expect(s.setKeepalive()).toEqual({ ok: true, value: 1 })
      expect(s.getReusedTimes()).toEqual({ ok: false, err: 'closed' })
      expect(await s.send('x')).toEqual({ ok: false, err: 'closed' })
      expect(s.close()).toEqual({ ok: false, err: 'closed' })
      expect(s.setKeepalive()).toEqual({ ok: false, err: 'closed' })
    }
    expect(peer.accepted()).toBe(1)
  })

  it('keeps pools apart by name: host:port, or the pool option', async () => {
    const { o, peer } = await setup()
    ;(await connected(o, peer.port)).setKeepalive()
    const other = await connected(o, peer.port, { pool: 'other' })
    expect(other.getReusedTimes()).toEqual({ ok: true, value: 0 })
    other.setKeepalive()
    expect(o._pools.names().sort()).toEqual([`127.0.0.1:${peer.port}`, 'other'])
    const again = await connected(o, peer.port, { pool: 'other' })
    expect(again.getReusedTimes()).toEqual({ ok: true, value: 1 })
  })

  it('pools are per worker: another pool set does not see the connection', async () => {
    const { o, peer } = await setup()
    ;(await connected(o, peer.port)).setKeepalive()
    const o2 = new TestOwner('content', {}, createSocketPools())
    owners.push(o2)
    expect((await connected(o2, peer.port)).getReusedTimes()).toEqual({ ok: true, value: 0 })
  })

  it('a connection pooled by one owner is reused by another (requests share the worker pools)', async () => {
    const { o, peer } = await setup()
    ;(await connected(o, peer.port)).setKeepalive()
    o.end()
    const o2 = new TestOwner('timer', {}, o._pools)
    owners.push(o2)
    const s = await connected(o2, peer.port)
    expect(s.getReusedTimes()).toEqual({ ok: true, value: 1 })
    await s.send('x\n')
    expect(await s.receive()).toEqual({ ok: true, value: 'x' })
  })
})

describe('pool_size', () => {
  it('keeps pool_size idle connections and closes the oldest beyond', async () => {
    const { o, peer } = await setup()
    const socks = [] as TcpSocket[]
    for (let i = 0; i < 3; i++) socks.push(await connected(o, peer.port, { pool: 'nb', poolSize: 1 }))
    for (const s of socks) expect(s.setKeepalive()).toEqual({ ok: true, value: 1 })
    await sleep(50)
    expect(peer.sockets.size).toBe(1)
    const reused = []
    for (let i = 0; i < 3; i++) {
      const s = await connected(o, peer.port, { pool: 'nb' })
      reused.push(s.getReusedTimes())
      socks[i] = s
    }
    expect(reused).toEqual([{ ok: true, value: 1 }, { ok: true, value: 0 }, { ok: true, value: 0 }])
  })

  it('takes its default from lua_socket_pool_size, or from setkeepalive’s size', async () => {
    const { o, peer } = await setup({ poolSize: 2 })
    const socks = [] as TcpSocket[]
    for (let i = 0; i < 3; i++) socks.push(await connected(o, peer.port))
    for (const s of socks) s.setKeepalive()
    expect(o._pools.get(`127.0.0.1:${peer.port}`)?.idle).toBe(2)
    const t = [] as TcpSocket[]
    for (let i = 0; i < 3; i++) t.push(await connected(o, peer.port, { pool: 'sized' }))
    for (const s of t) s.setKeepalive(undefined, 3)
    expect(o._pools.get('sized')?.idle).toBe(3)
    expect(() => t[0]!.setKeepalive(1000, 0)).not.toThrow() // closed already: `closed` first
    const u = await connected(o, peer.port, { pool: 'sized' })
    expect(() => u.setKeepalive(1000, 0)).toThrow('bad "pool_size" value: 0')
  })
})

describe('backlog', () => {
  it('queues connects beyond pool_size, refuses beyond the backlog, and hands a released connection over', async () => {
    const { o, peer } = await setup()
    const opts = { pool: 'bl', poolSize: 1, backlog: 1 }
    const a = tcp(o)
    const ca = a.connect('127.0.0.1', peer.port, opts)
    const b = tcp(o)
    const cb = b.connect('127.0.0.1', peer.port, opts)
    const c = tcp(o)
    expect(await c.connect('127.0.0.1', peer.port, opts)).toEqual({ ok: false, err: 'too many waiting connect operations' })
    expect(c.getReusedTimes()).toEqual({ ok: false, err: 'closed' })
    expect(await ca).toEqual({ ok: true, value: 1 })
    let bDone = false
    void cb.then(() => { bDone = true })
    await sleep(50)
    expect(bDone).toBe(false)
    expect(a.setKeepalive()).toEqual({ ok: true, value: 1 })
    expect(await cb).toEqual({ ok: true, value: 1 })
    expect(b.getReusedTimes()).toEqual({ ok: true, value: 1 })
    expect(peer.accepted()).toBe(1)
  })

  it('a waiter gets a fresh connection when an active one is closed', async () => {
    const { o, peer } = await setup()
    const opts = { pool: 'bl2', poolSize: 1, backlog: 1 }
    const a = await connected(o, peer.port, opts)
    const b = tcp(o)
    const cb = b.connect('127.0.0.1', peer.port, opts)
    await sleep(30)
    expect(a.close()).toEqual({ ok: true, value: 1 })
    expect(await cb).toEqual({ ok: true, value: 1 })
    expect(b.getReusedTimes()).toEqual({ ok: true, value: 0 })
    expect(peer.accepted()).toBe(2)
  })

  it('a queued connect times out after the connect timeout', async () => {
    const { o, peer } = await setup()
    const opts = { pool: 'bl3', poolSize: 1, backlog: 1 }
    await connected(o, peer.port, opts)
    const e = tcp(o)
    e.setTimeout(100)
    const t0 = Date.now()
    expect(await e.connect('127.0.0.1', peer.port, opts)).toEqual({ ok: false, err: 'timeout' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90)
    expect(o.logs).toContain('4: lua tcp socket queued connect timed out, when trying to connect to bl3')
  })

  it('backlog 0 refuses at once; closing frees the slot', async () => {
    const { o, peer } = await setup()
    const opts = { pool: 'b0', poolSize: 1, backlog: 0 }
    const a = await connected(o, peer.port, opts)
    expect(await tcp(o).connect('127.0.0.1', peer.port, opts)).toEqual({ ok: false, err: 'too many waiting connect operations' })
    a.close()
    await connected(o, peer.port, opts)
  })

  it('a failed connect frees its slot for the next waiter', async () => {
    const { o } = await setup()
    const opts = { pool: 'dead', poolSize: 1, backlog: 2 }
    const r1 = tcp(o).connect('127.0.0.1', 1, opts)
    const r2 = tcp(o).connect('127.0.0.1', 1, opts)
    expect(await r1).toEqual({ ok: false, err: 'connection refused' })
    expect(await r2).toEqual({ ok: false, err: 'connection refused' })
    expect(o._pools.get('dead')?.count).toBe(0)
  })

  it('a waiter whose owner ends leaves the queue', async () => {
    const { o, peer } = await setup()
    const opts = { pool: 'bl4', poolSize: 1, backlog: 1 }
    const a = await connected(o, peer.port, opts)
    const o2 = new TestOwner('content', {}, o._pools)
    const w = tcp(o2)
    const cw = w.connect('127.0.0.1', peer.port, opts)
    await sleep(20)
    expect(o._pools.get('bl4')?.waiting).toBe(1)
    o2.end()
    expect((await cw).ok).toBe(false)
    expect(o._pools.get('bl4')?.waiting).toBe(0)
    a.setKeepalive()
    expect(o._pools.get('bl4')?.idle).toBe(1)
  })
})

describe('idle connections', () => {
  it('expire after the setkeepalive timeout', async () => {
    const { o, peer } = await setup()
    ;(await connected(o, peer.port)).setKeepalive(100)
    await sleep(250)
    expect(peer.sockets.size).toBe(0)
    expect((await connected(o, peer.port)).getReusedTimes()).toEqual({ ok: true, value: 0 })
  })

  it('expire after lua_socket_keepalive_timeout by default; 0 keeps them', async () => {
    const { o, peer } = await setup({ keepaliveTimeout: 100 })
    ;(await connected(o, peer.port, { pool: 'a' })).setKeepalive()
    ;(await connected(o, peer.port, { pool: 'b' })).setKeepalive(0)
    ;(await connected(o, peer.port, { pool: 'c' })).setKeepalive(-1)
    await sleep(250)
    expect(o._pools.get('a')?.idle).toBe(0)
    expect(o._pools.get('b')?.idle).toBe(1)
    expect(o._pools.get('c')?.idle).toBe(1)
  })

  it('are dropped when the peer closes them', async () => {
    const { o, peer } = await setup({}, closingPeer(100))
    expect((await connected(o, peer.port)).setKeepalive(10_000)).toEqual({ ok: true, value: 1 })
    await sleep(250)
    expect(o._pools.get(`127.0.0.1:${peer.port}`)?.idle).toBe(0)
    expect((await connected(o, peer.port)).getReusedTimes()).toEqual({ ok: true, value: 0 })
  })

  it('closeAll closes every idle connection (worker exit)', async () => {
    const { o, peer } = await setup()
    ;(await connected(o, peer.port)).setKeepalive()
    await sleep(30)
    expect(peer.sockets.size).toBe(1)
    o._pools.closeAll()
    await sleep(50)
    expect(peer.sockets.size).toBe(0)
    expect(o._pools.names()).toEqual([])
  })
})

describe('setkeepalive with unread data', () => {
  it('refuses unread data in buffer and leaves the socket usable', async () => {
    const { o, peer } = await setup({}, payloadPeer('hold', 'hello\nworld'))
    const s = await connected(o, peer.port)
    expect(await s.receive()).toEqual({ ok: true, value: 'hello' })
    expect(s.setKeepalive()).toEqual({ ok: false, err: 'unread data in buffer' })
    expect(await s.receive(1)).toEqual({ ok: true, value: 'w' })
    expect(s.close()).toEqual({ ok: true, value: 1 })
  })

  it('answers connection in dubious state for data that came unasked, and closes', async () => {
    const { o, peer } = await setup({}, payloadPeer('hold', 'hello'))
    const s = await connected(o, peer.port)
    await sleep(50)
    expect(s.setKeepalive()).toEqual({ ok: false, err: 'connection in dubious state' })
    expect(await s.send('x')).toEqual({ ok: false, err: 'closed' })
  })

  it('answers closed when the peer has closed', async () => {
    const { o, peer } = await setup({}, payloadPeer('bulk', ''))
    const s = await connected(o, peer.port)
    await sleep(50)
    expect(s.setKeepalive()).toEqual({ ok: false, err: 'closed' })
  })
})
