import { describe, expect, it } from 'vitest'
import { ChashRing, crc32String } from '@nresty/core'
import { Chash } from './chash.ts'

/** How many of `n` keys each node gets. */
function spread(ch: Chash, n: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const id = ch.find(`key-${i}`)![0]
    out[id] = (out[id] ?? 0) + 1
  }
  return out
}

describe('Chash', () => {
  it('maps a key to the node of the first point at or after crc32(key)', () => {
    const ch = new Chash({ a: 1, b: 2, c: 5 })
    const ring = new ChashRing([['a', 1], ['b', 2], ['c', 5]])
    for (let i = 0; i < 300; i++) {
      const p = ring.find(crc32String(`k${i}`))
      expect(ch.find(`k${i}`)).toEqual([ring.idAt(p), p])
    }
    expect(ch.points).toBe(8 * 160)
  })

  it('always answers the same node for a key, whatever the insertion order', () => {
    const a = new Chash(new Map([['x', 1], ['y', 3], ['z', 2]]))
    const b = new Chash({ z: 2, y: 3, x: 1 })
    for (let i = 0; i < 300; i++) expect(a.find(`k${i}`)![0]).toBe(b.find(`k${i}`)![0])
  })

  it('spreads keys about as the weights', () => {
    const s = spread(new Chash({ a: 1, b: 2, c: 5 }), 8000)
    expect(s.a! / 1000).toBeCloseTo(1, 0)
    expect(s.b! / 2000).toBeCloseTo(1, 0)
    expect(s.c! / 5000).toBeCloseTo(1, 0)
  })

  it('hashes a number key as Lua prints it, bytes as they are', () => {
    const ch = new Chash({ a: 1, b: 1, c: 1 })
    expect(ch.find(12)).toEqual(ch.find('12'))
    expect(ch.find(0.1)).toEqual(ch.find('0.1'))
    expect(ch.find(1e20)).toEqual(ch.find('1e+20'))
    expect(ch.find(new TextEncoder().encode('é'))).toEqual(ch.find('é'))
  })

  it('walks the ring with next, wrapping, for retries', () => {
    const ch = new Chash({ a: 1, b: 1 })
    const [, index] = ch.find('hello')!
    expect(ch.next(index)![1]).toBe((index + 1) % ch.points)
    expect(ch.next(ch.points - 1)![1]).toBe(0)
    const seen = new Set<string>()
    let p = index
    for (let i = 0; i < 20; i++) {
      const [id, q] = ch.next(p)!
      seen.add(id)
      p = q
    }
    expect(seen).toEqual(new Set(['a', 'b']))
  })

  it('incr, decr, set and delete give the ring a fresh new would build', () => {
    const ch = new Chash({ a: 1, b: 2 })
    ch.incr('a')
    ch.incr('c', 3)
    ch.decr('b')
    expect(ch.nodes).toEqual(new Map([['a', 2], ['b', 1], ['c', 3]]))
    const fresh = new Chash({ c: 3, a: 2, b: 1 })
    for (let i = 0; i < 300; i++) expect(ch.find(`k${i}`)).toEqual(fresh.find(`k${i}`))
    ch.set('a', 4)
    ch.decr('c', 5) // to 0 or below: removed
    ch.decr('nope')
    ch.delete('nope')
    expect(ch.nodes).toEqual(new Map([['a', 4], ['b', 1]]))
    ch.set('b', 0)
    expect(ch.nodes).toEqual(new Map([['a', 4]]))
    expect(ch.points).toBe(640)
    expect(ch.find('any')![0]).toBe('a')
  })

  it('moves only the keys of the node that changed', () => {
    const ch = new Chash({ a: 1, b: 1, c: 1 })
    const before = Array.from({ length: 500 }, (_, i) => ch.find(`k${i}`)![0])
    ch.delete('b')
    before.forEach((id, i) => { if (id !== 'b') expect(ch.find(`k${i}`)![0]).toBe(id) })
  })

  it('answers undefined with no weighted node, and reinit replaces the nodes', () => {
    const ch = new Chash({})
    expect(ch.find('k')).toBeUndefined()
    expect(new Chash({ a: 0 }).find('k')).toBeUndefined()
    ch.reinit({ z: 1 })
    expect(ch.find('k')![0]).toBe('z')
  })

  it('throws on bad arguments, naming them', () => {
    expect(() => new Chash(null as never)).toThrow('bad "nodes" argument: table of id -> weight expected, got nil')
    expect(() => new Chash({ a: -1 })).toThrow('bad weight of node "a": non-negative integer expected, got -1')
    expect(() => new Chash({ a: 1.5 })).toThrow('bad weight of node "a": non-negative integer expected, got 1.5')
    expect(() => new Chash(new Map([[1, 1]]) as never)).toThrow('bad "nodes" argument: string ids expected, got number')
    const ch = new Chash({ a: 1 })
    expect(() => ch.set('a', '2' as never)).toThrow('bad "weight" argument: non-negative integer expected, got string')
    expect(() => ch.incr(3 as never)).toThrow('bad "id" argument: string expected, got number')
    expect(() => ch.decr('a', -1)).toThrow('bad "weight" argument')
    expect(() => ch.find({} as never)).toThrow('bad "key" argument: string or number expected, got object')
    expect(() => ch.next(160)).toThrow('bad "index" argument: ring position expected, got 160')
    expect(() => ch.next(-1)).toThrow('bad "index" argument')
    expect(() => ch.delete(undefined as never)).toThrow(expect.objectContaining({ code: 'NGX_ERR_ARG' }))
  })
})
