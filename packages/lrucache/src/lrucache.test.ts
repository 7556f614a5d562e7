// resty.lrucache's documented behaviour, with the answers measured on the reference
// (lua-resty-lrucache in OpenResty 1.22). Time is driven through core's cached clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { updateTime } from '@nresty/core'
import { LRUCache, normalizeFlags } from './lrucache.ts'
import { PureFfiLRUCache } from './pureffi.ts'

let t = 1_800_000_000_000
function advance(ms: number): void {
  t += ms
  vi.setSystemTime(t)
  updateTime()
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  advance(0)
})
afterEach(() => {
  vi.useRealTimers()
  updateTime()
})

describe('LRUCache', () => {
  it('TEST 1: sanity — set, get, count, capacity, delete', () => {
    const c = new LRUCache<number | string>(3)
    c.set('a', 1)
    c.set('b', 'two')
    expect(c.get('a')).toBe(1)
    expect(c.get('b')).toBe('two')
    expect(c.get('zz')).toBeUndefined()
    expect(c.count()).toBe(2)
    expect(c.capacity()).toBe(3)
    expect(c.delete('a')).toBe(true)
    expect(c.delete('nope')).toBe(false)
    expect(c.get('a')).toBeUndefined()
  })

  it('evicts the least recently used item; get counts as use', () => {
    const c = new LRUCache<number>(3)
    c.set('a', 1)
    c.set('b', 2)
    c.set('c', 3)
    c.get('a')
    c.set('d', 4)
    expect(c.get('b')).toBeUndefined()
    expect(c.getKeys()).toEqual(['d', 'a', 'c'])
    expect(c.count()).toBe(3)
  })

  it('an expired item answers undefined, getStale gives the old value and flags (reference: nil,1,7)', () => {
    const c = new LRUCache<number>(3)
    c.set('a', 1, 0.001, 7)
    c.set('b', 2, undefined, 2 ** 33)
    c.set('c', 3, 0)
    expect(c.get('c')).toBe(3) // ttl 0 lives until the clock moves
    advance(10)
    expect(c.get('a')).toBeUndefined()
    expect(c.getStale('a')).toEqual({ value: 1, stale: true, flags: 7 })
    expect(c.getStale('b')).toEqual({ value: 2, stale: false, flags: 0 })
    expect(c.getStale('c')).toEqual({ value: 3, stale: true, flags: 0 })
    expect(c.getStale('zz')).toBeUndefined()
    expect(c.count()).toBe(3) // expired items are counted until evicted
    expect(c.getKeys()).toEqual(['c', 'b', 'a'])
  })

  it('a float ttl expires at its millisecond; a negative ttl is stale at once', () => {
    const c = new LRUCache<string>(10)
    c.set('k', 'v', 0.25)
    advance(250)
    expect(c.get('k')).toBe('v')
    advance(1)
    expect(c.get('k')).toBeUndefined()
    c.set('neg', 'x', -1)
    expect(c.get('neg')).toBeUndefined()
    expect(c.getStale('neg')?.value).toBe('x')
  })

  it('re-setting a key replaces value, ttl and flags and makes it the most recent', () => {
    const c = new LRUCache<string>(2)
    c.set('a', 'x', 0.001, 3)
    c.set('b', 'y')
    c.set('a', 'z')
    advance(5)
    expect(c.getStale('a')).toEqual({ value: 'z', stale: false, flags: 0 })
    c.set('c', 'w')
    expect(c.getKeys()).toEqual(['c', 'a'])
  })

  it('get_keys(max, res) fills res from the start and trims it (reference: b d nil w → [b, d])', () => {
    const c = new LRUCache<number>(3)
    for (const k of ['a', 'b', 'c']) c.set(k, 1)
    c.set('d', 4)
    c.get('b')
    const res = ['x', 'y', 'z', 'w']
    expect(c.getKeys(2, res)).toBe(res)
    expect(res).toEqual(['b', 'd'])
    expect(c.getKeys(0)).toEqual(['b', 'd', 'c'])
  })

  it('keys of any type, by identity: 1 and "1" differ', () => {
    const c = new LRUCache<string, string | number | object>(5)
    const o = {}
    c.set(1, 'num')
    c.set(o, 'obj')
    expect(c.get(1)).toBe('num')
    expect(c.get('1')).toBeUndefined()
    expect(c.get(o)).toBe('obj')
  })

  it('flags are a uint32 as the reference keeps them', () => {
    expect([2 ** 32 + 5, 2 ** 31, -1, -(2 ** 31), 2 ** 32 - 1, 1e20, 7.9, Number.NaN].map(normalizeFlags))
      .toEqual([5, 2 ** 31, 0, 0, 2 ** 32 - 1, 0, 7, 0])
    const c = new LRUCache<number>(2)
    c.set('f', 1, undefined, 'abc' as unknown as number)
    expect(c.getStale('f')?.flags).toBe(0)
  })

  it('flushAll empties the cache', () => {
    const c = new LRUCache<number>(2)
    c.set('g', 1)
    c.flushAll()
    expect(c.count()).toBe(0)
    expect(c.get('g')).toBeUndefined()
  })

  it('new(0) / new(-1): size too small; a non-number throws', () => {
    expect(() => new LRUCache(0)).toThrow('size too small')
    expect(() => new LRUCache(-1)).toThrow('size too small')
    expect(() => new LRUCache('x' as unknown as number)).toThrow(/number expected, got string/)
    expect(new LRUCache(2.7).capacity()).toBe(2)
  })
})

describe('PureFfiLRUCache', () => {
  it('keys are strings: 1 and "1" are one key; the load factor is clamped', () => {
    const c = new PureFfiLRUCache<string>(3, 5)
    expect(c.loadFactor).toBe(1)
    expect(new PureFfiLRUCache(3, 0.01).loadFactor).toBe(0.1)
    expect(new PureFfiLRUCache(3).loadFactor).toBe(0.5)
    c.set(1, 'num')
    expect(c.get('1')).toBe('num')
    expect(c.getKeys()).toEqual(['1'])
  })

  it('has the same methods and expiry', () => {
    const c = new PureFfiLRUCache<number>(2)
    c.set('a', 1, 0.001, 9)
    c.set('b', 2)
    advance(5)
    expect(c.get('a')).toBeUndefined()
    expect(c.getStale('a')).toEqual({ value: 1, stale: true, flags: 9 })
    expect(c.count()).toBe(2)
    expect(c.capacity()).toBe(2)
    c.set('c', 3)
    expect(c.getKeys(5, [])).toEqual(['c', 'a'])
    expect(c.delete('c')).toBe(true)
    c.flushAll()
    expect(c.count()).toBe(0)
    expect(() => new PureFfiLRUCache(0)).toThrow('size too small')
  })
})
