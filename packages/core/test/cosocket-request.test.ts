// ngx.socket on a request against real loopback peers: a round trip from content, the
// worker's pool shared by requests (getReusedTimes), sockets closed when their handler ends
// and when the worker exits, `bad request` from another request, lua_socket_* settings per
// location, and the phases that refuse cosockets (measured on the reference; cosocket.md).
import { afterEach, describe, expect, it } from 'vitest'
import type { TcpSocket } from '../src/socket-tcp.ts'
import { deadPort, echoPeer, stallPeer, udpPeer } from './fixtures/cosocket-peers.ts'
import type { Peer, UdpPeer } from './fixtures/cosocket-peers.ts'
import { get, serve, serverPerTest } from './harness.ts'

const start = serverPerTest()
const peers: (Peer | UdpPeer)[] = []
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close()
})
async function peer<P extends Peer | UdpPeer>(p: Promise<P>): Promise<P> {
  const v = await p
  peers.push(v)
  return v
}
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const j = (v: unknown): string => JSON.stringify(v)

function caught(fn: () => unknown): string {
  try {
    fn()
    return 'no error'
  } catch (e) {
    return (e as Error).message
  }
}

describe('ngx.socket from a request', () => {
  it('connects, sends and receives from content (tcp, stream, connect)', async () => {
    const p = await peer(echoPeer())
    const t = await start({ '/t': { content: async (ngx) => {
      const s = ngx.socket.tcp()
      ngx.say(j(await s.connect('127.0.0.1', p.port)), ' ', j(await s.send(['ping', '\n'])), ' ', j(await s.receive()))
      s.close()
      const c = await ngx.socket.connect('127.0.0.1', p.port)
      if (!c.ok) return ngx.say(c.err)
      await c.value.send('pong\n')
      ngx.say(j(await c.value.receive()))
      const st = ngx.socket.stream({ binary: true })
      await st.connect('127.0.0.1', p.port)
      await st.send('bin\n')
      const r = await st.receive()
      ngx.say(r.ok && Buffer.isBuffer(r.value) ? 'buffer' : 'not a buffer')
      const bad = await ngx.socket.connect('127.0.0.1', await deadPort())
      ngx.say(j(bad))
    } } })
    expect((await get(t.port, '/t')).body).toBe(
      '{"ok":true,"value":1} {"ok":true,"value":5} {"ok":true,"value":"ping"}\n{"ok":true,"value":"pong"}\nbuffer\n' +
      '{"ok":false,"err":"connection refused"}\n')
    expect(t.errorLog()).toMatch(/\[error\] .*connect\(\) to 127\.0\.0\.1:\d+ failed \(111: Connection refused\), client: 127\.0\.0\.1/)
  })

  it('udp from content', async () => {
    const u = await peer(udpPeer())
    const t = await start({ '/t': { content: async (ngx) => {
      const s = ngx.socket.udp()
      await s.setPeername('127.0.0.1', u.port)
      await s.send('hi')
      ngx.say(j(await s.receive()))
    } } })
    expect((await get(t.port, '/t')).body).toBe('{"ok":true,"value":"echo:hi"}\n')
  })

  it('pools connections per worker: the next request reuses the one set keepalive', async () => {
    const p = await peer(echoPeer())
    const t = await start({ '/t': { content: async (ngx) => {
      const s = ngx.socket.tcp()
      await s.connect('127.0.0.1', p.port)
      ngx.say(j(s.getReusedTimes()), ' ', j(s.setKeepalive()))
    } } })
    expect((await get(t.port, '/t')).body).toBe('{"ok":true,"value":0} {"ok":true,"value":1}\n')
    expect((await get(t.port, '/t')).body).toBe('{"ok":true,"value":1} {"ok":true,"value":1}\n')
    expect((await get(t.port, '/t')).body).toBe('{"ok":true,"value":2} {"ok":true,"value":1}\n')
    expect(p.accepted()).toBe(1)
    // The worker exits: its pools are closed.
    await t.close()
    await wait(20)
    expect(p.sockets.size).toBe(0)
  })

  it('closes the sockets a handler left open when it ends; a socket kept in ctx answers closed later', async () => {
    const p = await peer(echoPeer())
    let later = ''
    const t = await start({ '/t': {
      rewrite: async (ngx) => {
        const s = ngx.socket.tcp()
        await s.connect('127.0.0.1', p.port)
        ngx.ctx.sock = s
      },
      content: async (ngx) => {
        await wait(10)
        ngx.say('open on the peer: ', p.sockets.size)
        later = j(await (ngx.ctx.sock as TcpSocket).send('x'))
      },
    } })
    expect((await get(t.port, '/t')).body).toBe('open on the peer: 0\n')
    expect(later).toBe('{"ok":false,"err":"closed"}')
  })

  it('a socket busy in one request throws bad request when another request uses it (assertOwner)', async () => {
    const p = await peer(stallPeer())
    let shared: TcpSocket | undefined
    let seen = ''
    const t = await start({
      '/a': { content: async (ngx) => {
        shared = ngx.socket.tcp()
        await shared.connect('127.0.0.1', p.port)
        ngx.say(j(await shared.receive()))
      } },
      '/b': { content: (ngx) => {
        seen = caught(() => shared!.assertOwner(ngx as unknown as Parameters<TcpSocket['assertOwner']>[0]))
        void shared!.send('go\n')
        ngx.say('b')
      } },
    })
    const a = get(t.port, '/a')
    await wait(30)
    expect((await get(t.port, '/b')).body).toBe('b\n')
    expect((await a).body).toBe('{"ok":true,"value":"ok"}\n')
    expect(seen).toBe('bad request')
  })

  it('applies a location\'s socket settings (lua_socket_read_timeout) over the server\'s', async () => {
    const p = await peer(stallPeer())
    const t = await start({
      '/short': {
        socket: { readTimeout: '50ms' },
        content: async (ngx) => {
          const s = ngx.socket.tcp()
          await s.connect('127.0.0.1', p.port)
          const t0 = Date.now()
          const r = await s.receive()
          ngx.say(j(r), ' ', Date.now() - t0 < 1000)
        },
      },
      '/quiet': { content: async (ngx) => {
        const s = ngx.socket.tcp()
        await s.connect('127.0.0.1', p.port)
        s.setTimeout(30)
        ngx.say(j(await s.receive()))
      } },
    }, { socket: { readTimeout: '10s', logErrors: false } })
    expect((await get(t.port, '/short')).body).toBe('{"ok":false,"err":"timeout","partial":""} true\n')
    expect((await get(t.port, '/quiet')).body).toBe('{"ok":false,"err":"timeout","partial":""}\n')
    // logErrors: false at the server level is inherited by both
    expect(t.errorLog()).not.toContain('lua tcp socket read timed out')
  })

  it('refuses cosockets in header_filter, body_filter and log, in init and init_worker', async () => {
    const res: string[] = []
    const t = await serve({ '/t': {
      content: (ngx) => ngx.say('ok'),
      headerFilter: (ngx) => { res.push(caught(() => ngx.socket.tcp())) },
      bodyFilter: (ngx) => { if (ngx.arg[2]) res.push(caught(() => ngx.socket.udp())) },
      log: (ngx) => { res.push(caught(() => ngx.socket.tcp()), caught(() => void ngx.socket.connect('127.0.0.1', 1))) },
    } }, {}, {
      init: (ngx) => { res.push(caught(() => ngx.socket.tcp())) },
      initWorker: (ngx) => { res.push(caught(() => ngx.socket.tcp())) },
    })
    await get(t.port, '/t')
    await t.close()
    expect(res).toEqual([
      'no request found', 'API disabled in the context of init_worker_by_lua*',
      'API disabled in the context of header_filter_by_lua*', 'API disabled in the context of body_filter_by_lua*',
      'API disabled in the context of log_by_lua*', 'API disabled in the context of log_by_lua*',
    ])
  })
})
