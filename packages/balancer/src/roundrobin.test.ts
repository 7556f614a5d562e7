import { describe, expect, it } from 'vitest'
import { RoundRobin } from './roundrobin.ts'

function count(pick: () => string | undefined, n: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const id = pick()!
    out[id] = (out[id] ?? 0) + 1
  }
  return out
}

describe('RoundRobin', () => {
  it('picks each node as often as its weight over whole cycles', () => {
    const rr = new RoundRobin({ a: 1, b: 2, c: 5 })
    expect(count(() => rr.find(), 8 * 100)).toEqual({ a: 100, b: 200, c: 500 })
  })

  it('divides the weights by their gcd: a cycle is weight/gcd picks each', () => {
    const rr = new RoundRobin({ a: 20, b: 10 })
    expect(count(() => rr.find(), 3)).toEqual({ a: 2, b: 1 })
  })

  it('interleaves: the heaviest node first, the others as the threshold drops', () => {
    // start after a random node; over one cycle from a's turn the order is fixed
    const rr = new RoundRobin(new Map([['a', 3], ['b', 2], ['c', 1]]))
    const seq = Array.from({ length: 12 }, () => rr.find()).join('')
    expect(seq.repeat(2)).toContain('aababc'.repeat(2))
  })

  it('starts at a random node', () => {
    const firsts = new Set<string>()
    for (let i = 0; i < 200; i++) firsts.add(new RoundRobin({ a: 1, b: 1, c: 1 }).find()!)
    expect(firsts).toEqual(new Set(['a', 'b', 'c']))
  })

  it('ignores the key, and next is find', () => {
    const rr = new RoundRobin({ a: 1, b: 1 })
    const x = rr.find('k')
    expect(rr.next(7)).not.toBe(x)
    expect(rr.find('k')).toBe(x)
  })

  it('follows incr, decr, set and delete', () => {
    const rr = new RoundRobin({ a: 1, b: 1 })
    rr.incr('a', 2)
    rr.incr('c')
    rr.decr('b', 5) // removed
    rr.set('c', 2)
    expect(rr.nodes).toEqual(new Map([['a', 3], ['c', 2]]))
    expect(count(() => rr.find(), 500)).toEqual({ a: 300, c: 200 })
    rr.set('c', 0)
    rr.delete('nope')
    expect(count(() => rr.find(), 3)).toEqual({ a: 3 })
    rr.delete('a')
    expect(rr.find()).toBeUndefined()
    rr.reinit({ z: 4, y: 2 })
    expect(count(() => rr.find(), 300)).toEqual({ z: 200, y: 100 })
  })

  it('skips nodes of weight 0 (one node alone is always picked)', () => {
    expect(count(() => new RoundRobin({ a: 0, b: 3 }).find(), 30)).toEqual({ b: 30 })
    expect(new RoundRobin({ a: 0 }).find()).toBe('a')
  })

  it('throws on empty nodes and bad arguments', () => {
    expect(() => new RoundRobin({})).toThrow('empty nodes')
    expect(() => new RoundRobin({ a: 'x' as never })).toThrow('bad weight of node "a": non-negative integer expected, got string')
    const rr = new RoundRobin({ a: 1 })
    expect(() => rr.reinit(new Map())).toThrow('empty nodes')
    expect(() => rr.incr('a', 0.5)).toThrow('bad "weight" argument: non-negative integer expected, got 0.5')
    expect(() => rr.set(null as never, 1)).toThrow('bad "id" argument: string expected, got nil')
  })
})
