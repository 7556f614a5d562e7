import { describe, expect, it } from 'vitest'
import { Swrr } from './swrr.ts'

const picks = (sw: Swrr, n: number): string => Array.from({ length: n }, () => sw.find()).join('')

describe('Swrr', () => {
  it('spreads the picks of a cycle as nginx does', () => {
    // nginx's own example (ngx_http_upstream_round_robin.c): { a = 5, b = 1, c = 1 }
    expect(picks(new Swrr({ a: 5, b: 1, c: 1 }), 14)).toBe('aabacaa'.repeat(2))
    expect(picks(new Swrr({ a: 1, b: 2, c: 3 }), 6)).toBe('cbacbc')
  })

  it('picks each node as often as its weight', () => {
    const s = picks(new Swrr({ a: 1, b: 2, c: 5, d: 0 }), 800)
    expect([...'abcd'].map((c) => s.split(c).length - 1)).toEqual([100, 200, 500, 0])
  })

  it('follows incr, decr, set and delete, keeping the scores', () => {
    const sw = new Swrr({ a: 1, b: 1 })
    sw.incr('a')
    sw.incr('c', 3)
    sw.decr('b')
    sw.set('a', 1)
    expect(sw.nodes).toEqual(new Map([['a', 1], ['c', 3]]))
    const s = picks(sw, 400)
    expect(s.split('a').length - 1).toBe(100)
    sw.delete('c')
    expect(picks(sw, 3)).toBe('aaa')
    sw.delete('a')
    expect(sw.find()).toBeUndefined()
    sw.reinit({ x: 1 })
    expect(sw.next()).toBe('x')
  })

  it('throws on empty nodes and bad arguments', () => {
    expect(() => new Swrr({})).toThrow('empty nodes')
    const sw = new Swrr({ a: 1 })
    expect(() => sw.set('a', -2)).toThrow('bad "weight" argument: non-negative integer expected, got -2')
    expect(() => sw.delete(1 as never)).toThrow('bad "id" argument: string expected, got number')
  })
})
