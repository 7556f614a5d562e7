import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CHASH_POINTS_PER_WEIGHT, ChashRing, chashPointsOf, crc32String, nginxServerId } from './chash.ts'

/** The point chain written out with zlib alone: crc32(prev as 4 LE bytes) resumed from crc32(id). */
function slowPoints(id: string, count: number): number[] {
  const out: number[] = []
  const prev = Buffer.alloc(4)
  for (let i = 0; i < count; i++) {
    const h = crc32(prev, crc32(id))
    out.push(h)
    prev.writeUInt32LE(h)
  }
  return out
}

describe('nginxServerId', () => {
  it('splits host and port at the last colon, with a NUL between', () => {
    expect(nginxServerId('127.0.0.1:8080')).toBe('127.0.0.1\u00008080')
    expect(nginxServerId('[::1]:80')).toBe('[::1]\u000080')
    expect(nginxServerId('backend.local')).toBe('backend.local\u000080')
  })

  it('hashes a unix: address as its path and a NUL', () => {
    expect(nginxServerId('unix:/run/app.sock')).toBe('/run/app.sock\u0000')
    expect(nginxServerId('UNIX:/a')).toBe('/a\u0000')
  })
})

describe('chashPointsOf', () => {
  it('chains CRC-32 over the previous hash from the id state', () => {
    expect(Array.from(chashPointsOf('a', 5))).toEqual(slowPoints('a', 5))
    expect(Array.from(chashPointsOf('127.0.0.1\u00008080', 320))).toEqual(slowPoints('127.0.0.1\u00008080', 320))
  })

  it('hashes byte ids as their bytes and string ids as UTF-8', () => {
    expect(Array.from(chashPointsOf(new Uint8Array([0xc3, 0xa9]), 3))).toEqual(Array.from(chashPointsOf('é', 3)))
  })
})

describe('ChashRing', () => {
  // From fixtures/nginx-chash.json of @nresty/balancer: what nginx 1.22.1 answered for
  // `hash $arg_k consistent` over these servers (make-chash-fixture.ts records the full table).
  it('picks the server nginx picks (weights 1, 2, 3)', () => {
    const servers = ['127.0.0.1:26047', '127.0.0.1:26048', '127.0.0.1:26049']
    const ring = new ChashRing(servers.map((s, i) => [nginxServerId(s), i + 1] as const), { dedupe: true })
    const want: Record<string, string[]> = {
      '127.0.0.1:26049': ['k0', 'k3', 'k6', 'k8'],
      '127.0.0.1:26048': ['k1', 'k2', 'k4', 'k5'],
      '127.0.0.1:26047': ['k9', 'k17', 'k26', 'k27'],
    }
    for (const [server, keys] of Object.entries(want)) {
      for (const k of keys) expect(servers[ring.nodeAt(ring.findKey(k))], k).toBe(server)
    }
  })

  it('picks the server nginx picks with a unix: server', () => {
    const servers = ['unix:/tmp/nresty-chash-fixture-uLNKAh/b.sock', '127.0.0.1:26047']
    const ring = new ChashRing([[nginxServerId(servers[0]!), 2], [nginxServerId(servers[1]!), 1]], { dedupe: true })
    const pick = (k: string): string | undefined => servers[ring.nodeAt(ring.findKey(k))]
    expect(['k0', 'k2', 'k3', 'k4'].map(pick)).toEqual(Array(4).fill(servers[0]))
    expect(['k1', 'k5', 'k14', 'k16'].map(pick)).toEqual(Array(4).fill(servers[1]))
  })

  it('has 160 points per unit of weight, sorted, each owned by its node', () => {
    const ring = new ChashRing([['a', 1], ['b', 0], ['c', 3]])
    expect(ring.size).toBe(4 * CHASH_POINTS_PER_WEIGHT)
    expect(ring.ids).toEqual(['a', 'b', 'c'])
    const owned = [0, 0, 0]
    for (let p = 0; p < ring.size; p++) {
      if (p > 0) expect(ring.hashAt(p)).toBeGreaterThanOrEqual(ring.hashAt(p - 1))
      owned[ring.nodeAt(p)]!++
    }
    expect(owned).toEqual([160, 0, 480])
    expect(new Set(Array.from({ length: ring.size }, (_, p) => ring.hashAt(p)))).toEqual(new Set([...slowPoints('a', 160), ...slowPoints('c', 480)]))
  })

  it('finds the first point at or above the hash, wrapping past the last', () => {
    const ring = new ChashRing([['x', 1], ['y', 2]])
    const linear = (h: number): number => {
      for (let p = 0; p < ring.size; p++) if (ring.hashAt(p) >= h) return p
      return 0
    }
    const probes = [0, 1, 0xffffffff, ring.hashAt(0), ring.hashAt(7), ring.hashAt(7) + 1, ring.hashAt(ring.size - 1), ring.hashAt(ring.size - 1) + 1]
    for (let i = 0; i < 2000; i++) probes.push(crc32String(`k${i}`))
    for (const h of probes) expect(ring.find(h), String(h)).toBe(linear(h))
    expect(ring.find(ring.hashAt(ring.size - 1) + 1)).toBe(0)
    expect(ring.findKey('hello')).toBe(ring.find(crc32String('hello')))
    expect(crc32String('hello')).toBe(907060870)
  })

  it('walks to the next point, wrapping', () => {
    const ring = new ChashRing([['x', 1]])
    expect(ring.next(0)).toBe(1)
    expect(ring.next(ring.size - 1)).toBe(0)
  })

  it('answers -1 on an empty ring', () => {
    const ring = new ChashRing([['a', 0]])
    expect(ring.size).toBe(0)
    expect(ring.find(123)).toBe(-1)
    expect(ring.next(0)).toBe(-1)
    expect(() => ring.nodeAt(0)).toThrow(RangeError)
  })

  it('keeps one point per hash with dedupe (as nginx), all with it off', () => {
    // the same id twice: every point collides
    expect(new ChashRing([['a', 1], ['a', 1]]).size).toBe(320)
    const ring = new ChashRing([['a', 1], ['a', 1]], { dedupe: true })
    expect(ring.size).toBe(160)
    for (let p = 0; p < ring.size; p++) expect(ring.nodeAt(p)).toBe(0)
  })

  it('moves only the keys of a removed node', () => {
    const all = new ChashRing([['a', 1], ['b', 1], ['c', 1]])
    const less = new ChashRing([['a', 1], ['c', 1]])
    for (let i = 0; i < 500; i++) {
      const before = all.idAt(all.findKey(`key${i}`))
      if (before !== 'b') expect(less.idAt(less.findKey(`key${i}`))).toBe(before)
    }
  })

  it('rejects bad ids and weights', () => {
    expect(() => new ChashRing([['a', -1]])).toThrow('bad weight of node #1: a non-negative integer expected, got -1')
    expect(() => new ChashRing([['a', 1], ['b', 1.5]])).toThrow('bad weight of node #2')
    expect(() => new ChashRing([[1 as unknown as string, 1]])).toThrow('bad id of node #1: a string or bytes expected')
  })
})
