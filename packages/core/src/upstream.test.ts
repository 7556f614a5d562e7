// Peer choice without sockets: nginx's smooth weighted round robin, the per-request "tried"
// set (past 31 peers too), backup peers, max_fails / fail_timeout, `hash` and the checks of
// an upstream definition.
import { describe, expect, it } from 'vitest'
import { compileUpstream, implicitUpstream, PeerPicker, UpstreamState } from './upstream.ts'
import type { UpstreamDef } from './gateway.ts'

const group = (def: UpstreamDef): UpstreamState => new UpstreamState(compileUpstream('u', def))
const port = (p: { conf: { port: number } } | undefined): number => p?.conf.port ?? 0

describe('round robin', () => {
  it('interleaves by weight as nginx does (5:1:1 → a a b a c a a)', () => {
    const g = group({ servers: [{ address: '10.0.0.1:1', weight: 5 }, '10.0.0.1:2', '10.0.0.1:3'] })
    const order = Array.from({ length: 7 }, () => port(new PeerPicker(g, undefined).pick(0)))
    expect(order).toEqual([1, 1, 2, 1, 3, 1, 1])
  })

  it('does not give one request the same peer twice, also past 31 peers', () => {
    const g = group({ servers: Array.from({ length: 40 }, (_, i) => `10.0.0.1:${i + 1}`) })
    const p = new PeerPicker(g, undefined)
    expect(p.tries).toBe(40)
    const seen = new Set<number>()
    for (let i = 0; i < 40; i++) seen.add(port(p.pick(0)))
    expect(seen.size).toBe(40)
    // every peer tried: none is left for this request
    expect(p.pick(0)).toBeUndefined()
  })

  it('goes to the backup peers when the primary ones are down or tried', () => {
    const g = group({ servers: ['10.0.0.1:1', { address: '10.0.0.1:2', down: true }, { address: '10.0.0.1:9', backup: true }] })
    const p = new PeerPicker(g, undefined)
    expect(port(p.pick(0))).toBe(1)
    expect(port(p.pick(0))).toBe(9)
    expect(p.pick(0)).toBeUndefined()
  })
})

describe('passive health', () => {
  it('takes a peer out after max_fails failures for fail_timeout, then lets it back', () => {
    const g = group({ servers: [{ address: '10.0.0.1:1', maxFails: 2, failTimeout: 10 }, '10.0.0.1:2'] })
    const fail = (now: number): void => {
      const p = new PeerPicker(g, undefined)
      let peer = p.pick(now)
      while (port(peer) !== 1) peer = p.pick(now)
      p.release(peer!, true, now)
    }
    fail(1000)
    expect(g.primary[0]!.fails).toBe(1)
    fail(1000)
    const picks = Array.from({ length: 4 }, () => port(new PeerPicker(g, undefined).pick(2000)))
    expect(picks).toEqual([2, 2, 2, 2])
    // after fail_timeout it is tried again, and a success clears its failures
    const p = new PeerPicker(g, undefined)
    let peer = p.pick(12_000)
    while (port(peer) !== 1) peer = p.pick(12_000)
    expect(p.release(peer!, false, 12_001)).toBeUndefined()
    expect(g.primary[0]!.fails).toBe(0)
  })

  it('says when a peer goes down and forgets every failure once all are down', () => {
    const g = group({ servers: ['10.0.0.1:1', '10.0.0.1:2'] })
    const p = new PeerPicker(g, undefined)
    const a = p.pick(0)!
    expect(p.release(a, true, 0)).toBe('upstream server temporarily disabled')
    const b = p.pick(0)!
    expect(p.release(b, true, 0)).toBe('upstream server temporarily disabled')
    expect(p.tries).toBe(0)
    expect(new PeerPicker(g, undefined).pick(0)).toBeUndefined()
    // "no live upstreams" reset them: the next request may try again
    expect(g.primary.map((x) => x.fails)).toEqual([0, 0])
    expect(new PeerPicker(g, undefined).pick(0)).toBeDefined()
  })

  it('never counts failures of a lone peer, nor retries it', () => {
    const g = new UpstreamState(implicitUpstream('10.0.0.1', 8080))
    const p = new PeerPicker(g, undefined)
    expect(p.tries).toBe(1)
    const peer = p.pick(0)!
    expect(peer.conf.name).toBe('10.0.0.1:8080')
    expect(p.release(peer, true, 0)).toBeUndefined()
    expect(peer.fails).toBe(0)
    expect(p.tries).toBe(0)
  })
})

describe('hash', () => {
  it('maps a key to the same peer, and rehashes past a tried one', () => {
    const g = group({ hash: '$arg_k', servers: ['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3'] })
    const first = port(new PeerPicker(g, 'alpha').pick(0))
    for (let i = 0; i < 5; i++) expect(port(new PeerPicker(g, 'alpha').pick(0))).toBe(first)
    const p = new PeerPicker(g, 'alpha')
    const a = port(p.pick(0))
    const b = port(p.pick(0))
    expect(b).not.toBe(a)
  })

  it('consistent: a key keeps its peer when another peer is added', () => {
    const three = group({ hash: { key: '$k', consistent: true }, servers: ['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3'] })
    const four = group({ hash: { key: '$k', consistent: true }, servers: ['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3', '10.0.0.1:4'] })
    let moved = 0
    for (let i = 0; i < 200; i++) {
      const a = port(new PeerPicker(three, `key${i}`).pick(0))
      const b = port(new PeerPicker(four, `key${i}`).pick(0))
      if (a !== b) {
        moved++
        expect(b).toBe(4)
      }
    }
    // about a quarter move, all of them to the new peer
    expect(moved).toBeGreaterThan(20)
    expect(moved).toBeLessThan(100)
  })
})

describe('compileUpstream', () => {
  it('checks servers and parameters with nginx\'s words', () => {
    expect(() => compileUpstream('u', { servers: [] })).toThrow('no servers are inside upstream')
    expect(() => compileUpstream('u', { servers: [{ address: '10.0.0.1:1', weight: 0 }] })).toThrow('invalid parameter "weight=0"')
    expect(() => compileUpstream('u', { servers: [{ address: '10.0.0.1:1', maxFails: -1 }] })).toThrow('invalid parameter "max_fails=-1"')
    expect(() => compileUpstream('u', { servers: ['10.0.0.1:0'] })).toThrow('invalid port in upstream "10.0.0.1:0"')
    expect(() => compileUpstream('u', { servers: ['a:b:c'] })).toThrow('invalid host in upstream "a:b:c"')
    expect(() => compileUpstream('u', { hash: '$x', servers: ['10.0.0.1:1', { address: '10.0.0.1:2', backup: true }] })).toThrow('invalid parameter "backup"')
    expect(() => compileUpstream('u', { servers: ['10.0.0.1:1'], keepalive: -1 })).toThrow('invalid value "-1" in "keepalive" directive')
  })

  it('reads addresses: host:port, host alone (80), [v6]:port and unix:', () => {
    const c = compileUpstream('u', { servers: ['example.org', '[::1]:8080', 'unix:/tmp/x.sock', '10.0.0.1:81'] })
    expect(c.primary.map((p) => p.name)).toEqual(['example.org:80', '[::1]:8080', 'unix:/tmp/x.sock', '10.0.0.1:81'])
    expect(c.primary[2]!.socketPath).toBe('/tmp/x.sock')
  })
})
