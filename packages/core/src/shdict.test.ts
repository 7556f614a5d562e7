import { threadId } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfError, NgxApiError } from './errors.ts'
import { checkZone, createZone, recoverZone, SharedDict, shdictOwnerId, zoneBuffer } from './shdict.ts'
import { ZONE } from './shdict-zone.ts'
import { updateTime } from './time.ts'

// Every expectation marked "reference:" was measured on the reference OpenResty (nginx 1.22 +
// ngx_lua + resty.core) with content_by_lua_block scripts; see shdict.md.

let clock = 1_800_000_000_000
beforeEach(() => {
  clock = 1_800_000_000_000
  vi.spyOn(Date, 'now').mockImplementation(() => clock)
  updateTime()
})
afterEach(() => {
  vi.restoreAllMocks()
  updateTime()
})
/** Moves the cached clock on by `ms`. */
function advance(ms: number): void {
  clock += ms
  updateTime()
}

const dicts: SharedDict<string | Uint8Array>[] = []
function dict(size: string | number = '1m'): SharedDict {
  const d = new SharedDict('d', createZone('d', size))
  dicts.push(d)
  return d
}
afterEach(() => {
  for (const d of dicts.splice(0)) expect(checkZone(d.zone)).toEqual([])
})
const { CHUNK } = ZONE
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b)
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('zones', () => {
  it('are created with nginx size syntax and report the declared capacity', () => {
    expect(dict('10m').capacity()).toBe(10485760) // reference: capacity() of a 10m zone
    expect(dict('64k').capacity()).toBe(65536)
    expect(dict(20000).capacity()).toBe(20000)
    const d = dict('12k')
    expect(d.freeSpace() % CHUNK).toBe(0)
    expect(d.freeSpace()).toBeGreaterThan(10000)
    expect(d.freeSpace()).toBeLessThan(12288)
  })

  it('refuse sizes nginx refuses, with its words', () => {
    // reference: `lua_shared_dict small 4k` → invalid lua shared dict size "4k"
    expect(() => createZone('d', '4k')).toThrow(new ConfError('invalid lua shared dict size "4k"'))
    expect(() => createZone('d', '8191')).toThrow('invalid lua shared dict size "8191"')
    expect(() => createZone('d', '10x')).toThrow('invalid lua shared dict size "10x"')
    expect(() => createZone('', '1m')).toThrow(NgxApiError)
    expect(() => new SharedDict('d', new SharedArrayBuffer(65536))).toThrow('bad "zone" argument')
  })

  it('are at most 2047m, and commit no memory until used', () => {
    expect(() => createZone('d', '2g')).toThrow('lua shared dict size "2g" is too large (at most 2047m here)')
    const rss = process.memoryUsage().rss
    const d = dict('256m')
    d.set('x', 1)
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024)
    expect(d.freeSpace()).toBeGreaterThan(250 * 1024 * 1024)
  })

  it('can be opened twice and show the same data', () => {
    const zone = createZone('d', '1m')
    const a = new SharedDict('d', zone)
    const b = new SharedDict('d', zone)
    a.set('x', 1)
    expect(b.get('x')).toBe(1)
    expect(b.zone).toBe(zone)
    expect(shdictOwnerId()).toBe(threadId + 1)
  })
})

describe('set / get', () => {
  it('keeps the type of numbers, booleans and strings', () => {
    const d = dict()
    expect(d.set('n', 1.5)).toEqual({ ok: true, forcible: false })
    expect(d.get('n')).toBe(1.5)
    d.set('z', -0)
    expect(Object.is(d.get('z'), -0)).toBe(true) // reference: 1/get('z') is -inf
    d.set('nan', NaN)
    expect(d.get('nan')).toBeNaN()
    d.set('inf', -Infinity)
    expect(d.get('inf')).toBe(-Infinity)
    d.set('t', true)
    d.set('f', false)
    expect(d.get('t')).toBe(true)
    expect(d.get('f')).toBe(false) // reference: get bool => (false)
    d.set('s', 'hello')
    expect(d.get('s')).toBe('hello')
    d.set('e', '')
    expect(d.get('e')).toBe('') // reference: get es => ("")
    expect(d.get('missing')).toBeUndefined()
    d.set('n', 'now a string')
    expect(d.get('n')).toBe('now a string')
    d.set('n', 2)
    expect(d.get('n')).toBe(2)
  })

  it('returns shared frozen results from set', () => {
    const d = dict()
    const a = d.set('a', 1)
    expect(d.set('b', 2)).toBe(a)
    expect(Object.isFrozen(a)).toBe(true)
  })

  it('stores long keys and values across chunks', () => {
    const d = dict()
    for (const [k, v] of [
      ['k'.repeat(71), 'v'.repeat(1)],
      ['k'.repeat(72), ''],
      ['k'.repeat(73), 'v'.repeat(115)],
      ['key', 'x'.repeat(72 - 3)],
      ['key', 'x'.repeat(72 - 3 + 116)],
      ['key', 'x'.repeat(72 - 3 + 117)],
      ['q'.repeat(300), 'abc'.repeat(10_000)],
    ] as const) {
      d.set(k, v)
      expect(d.get(k)).toBe(v)
    }
    d.set('k'.repeat(65535), 'fits')
    expect(d.get('k'.repeat(65535))).toBe('fits')
    expect(d.get('k'.repeat(65534))).toBeUndefined()
  })

  it('deletes on set(key, undefined | null) and delete()', () => {
    const d = dict()
    d.set('a', 1)
    expect(d.set('a', undefined)).toEqual({ ok: true, forcible: false })
    expect(d.get('a')).toBeUndefined()
    d.set('a', 1)
    expect(d.set('a', null)).toEqual({ ok: true, forcible: false })
    expect(d.get('a')).toBeUndefined()
    d.set('a', 1)
    expect(d.delete('a')).toEqual({ ok: true, forcible: false })
    expect(d.getStale('a')).toEqual({ ok: true, value: undefined, flags: 0, stale: false })
    expect(d.delete('never')).toEqual({ ok: true, forcible: false }) // reference: delete missing => (true, nil, false)
    expect(d.safeSet('a', undefined)).toEqual({ ok: true, forcible: false })
  })

  it('refuses nil values for add, safe_add and replace', () => {
    // reference: (false, "attempt to add or replace nil values", false), also for an existing key
    const d = dict()
    d.set('a', 1)
    const r = { ok: false, err: 'attempt to add or replace nil values', forcible: false }
    expect(d.add('a', undefined)).toEqual(r)
    expect(d.add('new', null)).toEqual(r)
    expect(d.safeAdd('new', undefined)).toEqual(r)
    expect(d.replace('a', undefined)).toEqual(r)
    expect(d.replace('missing', undefined)).toEqual(r)
    expect(d.get('a')).toBe(1)
  })

  it('throws for values of other types', () => {
    const d = dict()
    expect(() => d.set('a', {} as never)).toThrow(new NgxApiError('NGX_ERR_ARG', 'bad value type')) // reference: "bad value type"
    expect(() => d.set('a', 1n as never)).toThrow('bad value type')
  })
})

describe('flags', () => {
  it('come back from getWithFlags and getStale, 0 when not set', () => {
    const d = dict()
    d.set('x', 'abc', 0, 7)
    expect(d.getWithFlags('x')).toEqual({ ok: true, value: 'abc', flags: 7 }) // reference: ("abc", 7)
    expect(d.getStale('x')).toEqual({ ok: true, value: 'abc', flags: 7, stale: false })
    d.set('x', 'abc')
    expect(d.getWithFlags('x')).toEqual({ ok: true, value: 'abc', flags: 0 })
    expect(d.getWithFlags('missing')).toEqual({ ok: true, value: undefined, flags: 0 })
  })

  it('are a C int, converted as LuaJIT converts numbers', () => {
    // reference: -1 → -1, 7.9 → 7, -5.5 → -5, 2^31, 2^31+1, 2^32-1, -2^31-1 → -2147483648
    const d = dict()
    const flagsAfter = (f: number): number => {
      d.set('f', 1, 0, f)
      const r = d.getWithFlags('f')
      return r.ok ? r.flags : NaN
    }
    expect(flagsAfter(-1)).toBe(-1)
    expect(flagsAfter(7.9)).toBe(7)
    expect(flagsAfter(-5.5)).toBe(-5)
    expect(flagsAfter(2 ** 31 - 1)).toBe(2147483647)
    expect(flagsAfter(2 ** 31)).toBe(-2147483648)
    expect(flagsAfter(2 ** 32 - 1)).toBe(-2147483648)
    expect(flagsAfter(-(2 ** 31) - 1)).toBe(-2147483648)
    expect(flagsAfter(NaN)).toBe(-2147483648)
  })

  it('throw when not a number', () => {
    const d = dict()
    expect(() => d.set('f', 1, 0, '7' as never)).toThrow('bad "flags" argument: number expected, got string')
  })
})

describe('exptime', () => {
  it('expires keys by the cached clock; getStale still sees them', () => {
    const d = dict()
    d.set('live', 0) // the least recently used entry: reads free no expired entry before it
    d.set('x', 'v', 1.5, 5)
    expect(d.ttl('x')).toEqual({ ok: true, value: 1.5 }) // reference: ttl ef => (1.5)
    advance(1499)
    expect(d.get('x')).toBe('v')
    advance(1)
    expect(d.get('x')).toBeUndefined()
    expect(d.getStale('x')).toEqual({ ok: true, value: 'v', flags: 5, stale: true }) // reference: ("v", 5, true)
    expect(d.getWithFlags('x')).toEqual({ ok: true, value: undefined, flags: 0 })
    expect(d.ttl('x')).toEqual({ ok: true, value: 0 }) // 0 s left exactly
    advance(12)
    expect(d.ttl('x')).toEqual({ ok: true, value: -0.012 }) // reference: ttl expired => (-0.012)
  })

  it('is whole milliseconds: below 1 ms means never', () => {
    const d = dict()
    d.set('t', 1, 0.0004)
    expect(d.ttl('t')).toEqual({ ok: true, value: 0 }) // reference: ttl et => (0), get et => (1)
    advance(1000)
    expect(d.get('t')).toBe(1)
  })

  it('throws when negative or not a number', () => {
    const d = dict()
    expect(() => d.set('n', 1, -1)).toThrow(new NgxApiError('NGX_ERR_ARG', 'bad "exptime" argument')) // reference
    expect(() => d.set('n', 1, -0.0005)).toThrow('bad "exptime" argument')
    expect(() => d.set('n', 1, NaN)).toThrow('bad "exptime" argument')
    expect(() => d.set('n', 1, '5' as never)).toThrow('bad "exptime" argument: number expected, got string')
    expect(d.ttl('n')).toEqual({ ok: false, err: 'not found' })
    d.set('inf', 1, Infinity)
    expect(d.ttl('inf')).toEqual({ ok: true, value: 0 })
  })
})

describe('ttl / expire', () => {
  it('ttl: 0 for never, not found for missing', () => {
    const d = dict()
    d.set('i', 1)
    expect(d.ttl('i')).toEqual({ ok: true, value: 0 }) // reference: ttl i => (0)
    expect(d.ttl('nope')).toEqual({ ok: false, err: 'not found' }) // reference: (nil, "not found")
  })

  it('expire sets a new time to live, 0 or a negative one meaning never', () => {
    const d = dict()
    d.set('i', 1)
    expect(d.expire('nope', 1)).toEqual({ ok: false, err: 'not found' }) // reference
    expect(d.expire('i', 10)).toEqual({ ok: true, value: true })
    expect(d.ttl('i')).toEqual({ ok: true, value: 10 })
    expect(d.expire('i', 0)).toEqual({ ok: true, value: true })
    expect(d.ttl('i')).toEqual({ ok: true, value: 0 })
    expect(d.expire('i', -1)).toEqual({ ok: true, value: true }) // reference: expire neg => (true); ttl 0, get works
    expect(d.ttl('i')).toEqual({ ok: true, value: 0 })
    d.expire('i', -0.0005)
    expect(d.get('i')).toBe(1)
    expect(() => d.expire('i', undefined as never)).toThrow('bad "exptime" argument') // reference
    expect(() => d.expire('i', 'a' as never)).toThrow('bad "exptime" argument: number expected, got string')
    expect(() => d.expire('i', NaN)).toThrow('bad "exptime" argument')
  })

  it('expire revives an expired entry still in the zone', () => {
    // reference: expire e10 expired => (true); get e10 => ("v10", 5); ttl 100
    const d = dict()
    d.set('live', 0)
    d.set('e', 'v', 0.001, 5)
    advance(10)
    expect(d.get('e')).toBeUndefined()
    expect(d.expire('e', 100)).toEqual({ ok: true, value: true })
    expect(d.getWithFlags('e')).toEqual({ ok: true, value: 'v', flags: 5 })
    expect(d.ttl('e')).toEqual({ ok: true, value: 100 })
  })
})

describe('add / replace', () => {
  it('add: exists for a live key, replaces an expired one', () => {
    const d = dict()
    expect(d.add('a', 1)).toEqual({ ok: true, forcible: false })
    expect(d.add('a', 2)).toEqual({ ok: false, err: 'exists', forcible: false }) // reference
    expect(d.safeAdd('a', 2)).toEqual({ ok: false, err: 'exists', forcible: false })
    d.set('e', 'v', 0.001, 5)
    advance(10)
    expect(d.add('e', 'new')).toEqual({ ok: true, forcible: false }) // reference: add on expired => ok
    expect(d.getWithFlags('e')).toEqual({ ok: true, value: 'new', flags: 0 })
    expect(d.ttl('e')).toEqual({ ok: true, value: 0 })
    d.set('e2', 'v', 0.001, 5)
    advance(10)
    expect(d.safeAdd('e2', 'new', 0, 3)).toEqual({ ok: true, forcible: false })
    expect(d.getWithFlags('e2')).toEqual({ ok: true, value: 'new', flags: 3 })
  })

  it('replace: not found for a missing or expired key, and the expired one stays', () => {
    const d = dict()
    expect(d.replace('r', 1)).toEqual({ ok: false, err: 'not found', forcible: false }) // reference
    d.set('r', 1)
    expect(d.replace('r', 'x', 0, 2)).toEqual({ ok: true, forcible: false })
    expect(d.getWithFlags('r')).toEqual({ ok: true, value: 'x', flags: 2 })
    d.set('x', 'v', 0.001, 3)
    advance(10)
    expect(d.replace('x', 1)).toEqual({ ok: false, err: 'not found', forcible: false }) // reference
    expect(d.getStale('x')).toEqual({ ok: true, value: 'v', flags: 3, stale: true }) // reference
  })
})

describe('incr', () => {
  it('not found without init; init + value with init', () => {
    const d = dict()
    expect(d.incrWithResult('i', 1)).toEqual({ ok: false, err: 'not found', forcible: false }) // reference
    expect(d.incr('i', 1)).toBeUndefined()
    expect(d.incrWithResult('i', 1, 10)).toEqual({ ok: true, value: 11, forcible: false }) // reference: (11, nil, false)
    expect(d.incr('i', 2.5)).toBe(13.5) // reference
    expect(d.incr('i', 1, 100)).toBe(14.5) // init ignored for an existing key
    expect(d.incr('i', -20)).toBe(-5.5)
    expect(d.incr('nan', NaN, 0)).toBeNaN() // reference: incr nan => (nan, nil, false)
    expect(d.incr('inf', Infinity, 0)).toBe(Infinity)
    expect(d.incr('fl', 0.1, 0.2)).toBe(0.30000000000000004) // reference: 0.3 (printed with %.14g)
  })

  it('not a number for strings, booleans and lists, with or without init', () => {
    // reference: incr string / numeric string / bool / list → (nil, "not a number")
    const d = dict()
    d.set('s', 'abc')
    d.set('ns', '12')
    d.set('b', true)
    d.lpush('l', 'a')
    for (const k of ['s', 'ns', 'b', 'l']) {
      expect(d.incrWithResult(k, 1)).toEqual({ ok: false, err: 'not a number', forcible: false })
      expect(d.incrWithResult(k, 1, 0)).toEqual({ ok: false, err: 'not a number', forcible: false })
    }
  })

  it('keeps the flags and ttl of an existing number; creates with flags 0 and init_ttl', () => {
    const d = dict()
    d.set('fi', 5, 7, 9)
    expect(d.incr('fi', 1)).toBe(6)
    expect(d.getWithFlags('fi')).toEqual({ ok: true, value: 6, flags: 9 }) // reference: get fi => (6, 9)
    expect(d.ttl('fi')).toEqual({ ok: true, value: 7 })
    d.incr('new1', 1, 0)
    expect(d.getWithFlags('new1')).toEqual({ ok: true, value: 1, flags: 0 }) // reference
    d.incr('new2', 1, 0, 5)
    expect(d.ttl('new2')).toEqual({ ok: true, value: 5 }) // reference: ttl new2 => (5)
    d.incr('new2', 1, 0, 100)
    expect(d.ttl('new2')).toEqual({ ok: true, value: 5 }) // reference: init_ttl only on creation
  })

  it('recreates an expired key with init (flags 0, init_ttl), else not found and the entry stays', () => {
    const d = dict()
    d.set('live', 0)
    d.set('e3', 7, 0.001, 5)
    d.set('e4', 'str', 0.001, 5)
    d.lpush('e5', 'x')
    d.expire('e5', 0.001)
    advance(10)
    expect(d.incrWithResult('e3', 1)).toEqual({ ok: false, err: 'not found', forcible: false }) // reference
    expect(d.getStale('e3')).toEqual({ ok: true, value: 7, flags: 5, stale: true }) // reference: N1 stays
    expect(d.incrWithResult('e3', 1, 100)).toEqual({ ok: true, value: 101, forcible: false }) // reference
    expect(d.getWithFlags('e3')).toEqual({ ok: true, value: 101, flags: 0 })
    expect(d.ttl('e3')).toEqual({ ok: true, value: 0 })
    expect(d.incr('e4', 1, 5, 3)).toBe(6) // reference: incr expired str init => 6
    expect(d.ttl('e4')).toEqual({ ok: true, value: 3 })
    expect(d.incr('e5', 1, 1)).toBe(2) // reference: incr expired list init => 2
  })

  it('throws for bad arguments with ngx_lua words', () => {
    const d = dict()
    expect(() => d.incr('i', 'a' as never)).toThrow('bad "value" argument: number expected, got string')
    expect(() => d.incr('i', 1, 'a' as never)).toThrow('bad init arg: number expected, got string') // reference
    expect(() => d.incr('i', 1, 0, -1)).toThrow('bad "init_ttl" argument') // reference
    expect(() => d.incr('i', 1, 0, 'a' as never)).toThrow('bad init_ttl arg: number expected, got string') // reference
    expect(() => d.incr('i', 1, undefined, 3)).toThrow('must provide "init" when providing "init_ttl"') // reference
  })
})

describe('lists', () => {
  it('push, pop and count from both ends', () => {
    const d = dict()
    expect(d.lpush('l', 'a')).toEqual({ ok: true, value: 1 })
    expect(d.rpush('l', 2)).toEqual({ ok: true, value: 2 })
    expect(d.lpush('l', 'w')).toEqual({ ok: true, value: 3 })
    expect(d.rpush('l', 1.5)).toEqual({ ok: true, value: 4 })
    expect(d.llen('l')).toEqual({ ok: true, value: 4 })
    expect(d.lpop('l')).toEqual({ ok: true, value: 'w' })
    expect(d.rpop('l')).toEqual({ ok: true, value: 1.5 })
    expect(d.rpop('l')).toEqual({ ok: true, value: 2 })
    expect(d.lpop('l')).toEqual({ ok: true, value: 'a' })
    // reference: popping the last element removes the key
    expect(d.llen('l')).toEqual({ ok: true, value: 0 })
    expect(d.ttl('l')).toEqual({ ok: false, err: 'not found' })
    expect(d.lpop('l')).toEqual({ ok: true, value: undefined })
    expect(d.rpop('nope')).toEqual({ ok: true, value: undefined }) // reference: lpop missing => (nil)
  })

  it('keeps long and empty string elements', () => {
    const d = dict()
    const long = 'L'.repeat(5000)
    d.rpush('l', '')
    d.rpush('l', long)
    d.rpush('l', 'x'.repeat(96))
    d.rpush('l', 'y'.repeat(97))
    expect(d.lpop('l')).toEqual({ ok: true, value: '' }) // reference: lpop empty => ("")
    expect(d.lpop('l')).toEqual({ ok: true, value: long })
    expect(d.lpop('l')).toEqual({ ok: true, value: 'x'.repeat(96) })
    expect(d.lpop('l')).toEqual({ ok: true, value: 'y'.repeat(97) })
  })

  it('answer value not a list / value is a list across types', () => {
    const d = dict()
    d.set('x', 'str')
    d.lpush('l', 'a')
    expect(d.lpush('x', 'a')).toEqual({ ok: false, err: 'value not a list' }) // reference
    expect(d.rpush('x', 'a')).toEqual({ ok: false, err: 'value not a list' })
    expect(d.llen('x')).toEqual({ ok: false, err: 'value not a list' })
    expect(d.lpop('x')).toEqual({ ok: false, err: 'value not a list' })
    expect(d.rpop('x')).toEqual({ ok: false, err: 'value not a list' })
    expect(d.get('l')).toBeUndefined()
    expect(d.getWithFlags('l')).toEqual({ ok: false, err: 'value is a list' }) // reference
    expect(d.getStale('l')).toEqual({ ok: false, err: 'value is a list' })
    expect(d.set('l', 1)).toEqual({ ok: true, forcible: false }) // reference: set on a list replaces it
    expect(d.get('l')).toBe(1)
    expect(() => d.lpush('l2', true as never)).toThrow('bad value type') // reference: nil, "bad value type"
    expect(() => d.rpush('l2', undefined as never)).toThrow('bad value type')
  })

  it('expire like other entries; pushing onto an expired key starts a new list', () => {
    const d = dict()
    d.set('live', 0)
    d.lpush('l', 'a')
    d.rpush('l', 'b')
    expect(d.ttl('l')).toEqual({ ok: true, value: 0 })
    expect(d.expire('l', 1)).toEqual({ ok: true, value: true })
    expect(d.ttl('l')).toEqual({ ok: true, value: 1 })
    d.set('s', 'x', 0.001)
    advance(1000)
    expect(d.llen('l')).toEqual({ ok: true, value: 0 }) // reference: llen of an expired list => 0
    expect(d.lpop('l')).toEqual({ ok: true, value: undefined })
    expect(d.getStale('l')).toEqual({ ok: false, err: 'value is a list' }) // reference: still there
    expect(d.lpush('l', 'c')).toEqual({ ok: true, value: 1 }) // reference: lpush expired list => 1
    expect(d.ttl('l')).toEqual({ ok: true, value: 0 })
    expect(d.lpush('s', 'b')).toEqual({ ok: true, value: 1 }) // reference: lpush expired string => 1
    expect(d.rpop('s')).toEqual({ ok: true, value: 'b' })
  })

  it('can be replaced by a value, removed, and are counted by get_keys', () => {
    const d = dict()
    d.lpush('L', 1)
    d.set('a', 1)
    d.set('b', 2, 0.001)
    advance(5)
    expect(d.getKeys()).toEqual(['L', 'a']) // reference: keys => ("L", "a")
    expect(d.delete('L')).toEqual({ ok: true, forcible: false })
    expect(d.llen('L')).toEqual({ ok: true, value: 0 })
  })
})

describe('keys', () => {
  it('nil, empty and too long keys give ngx_lua errs', () => {
    const d = dict()
    const long = 'a'.repeat(65536)
    expect(d.set(undefined, 1)).toEqual({ ok: false, err: 'nil key', forcible: false }) // reference: (nil, "nil key")
    expect(d.set(null, 1)).toEqual({ ok: false, err: 'nil key', forcible: false })
    expect(d.set('', 1)).toEqual({ ok: false, err: 'empty key', forcible: false })
    expect(d.set(long, 1)).toEqual({ ok: false, err: 'key too long', forcible: false })
    expect(d.set(new Uint8Array(0), 1)).toEqual({ ok: false, err: 'empty key', forcible: false })
    expect(d.set(new Uint8Array(65536), 1)).toEqual({ ok: false, err: 'key too long', forcible: false })
    expect(d.set('é'.repeat(40000), 1)).toEqual({ ok: false, err: 'key too long', forcible: false }) // 80000 bytes
    expect(d.add('', 1)).toEqual({ ok: false, err: 'empty key', forcible: false })
    expect(d.get('')).toBeUndefined()
    expect(d.getWithFlags(undefined)).toEqual({ ok: false, err: 'nil key' })
    expect(d.getWithFlags('')).toEqual({ ok: false, err: 'empty key' })
    expect(d.getStale(long)).toEqual({ ok: false, err: 'key too long' })
    expect(d.incrWithResult(undefined, 1)).toEqual({ ok: false, err: 'nil key', forcible: false })
    expect(d.incr('', 1, 0)).toBeUndefined()
    expect(d.lpush(undefined, 'a')).toEqual({ ok: false, err: 'nil key' })
    expect(d.rpush('', 'a')).toEqual({ ok: false, err: 'empty key' })
    expect(d.lpop('')).toEqual({ ok: false, err: 'empty key' })
    expect(d.llen(undefined)).toEqual({ ok: false, err: 'nil key' })
    expect(d.ttl('')).toEqual({ ok: false, err: 'empty key' })
    expect(d.expire(undefined, 1)).toEqual({ ok: false, err: 'nil key' })
    expect(d.delete(long)).toEqual({ ok: false, err: 'key too long', forcible: false })
    expect(d.getBytes('')).toBeUndefined()
  })

  it('throws for keys that are neither strings nor bytes', () => {
    const d = dict()
    expect(() => d.set(12 as never, 1)).toThrow('bad "key" argument: string or Uint8Array expected, got number')
    expect(() => d.get({} as never)).toThrow(NgxApiError)
  })

  it('are bytes: NUL and non-ASCII keys, the same as strings or as Uint8Array', () => {
    const d = dict()
    d.set('a\0b', 'x')
    expect(d.get('a\0b')).toBe('x')
    expect(d.get('a')).toBeUndefined() // reference: get a => (nil)
    expect(d.get(bytes(0x61, 0, 0x62))).toBe('x')
    d.set('ключ', 1)
    expect(d.get(utf8('ключ'))).toBe(1)
    d.set(bytes(0xff, 0xfe, 0), 'raw')
    expect(d.get(bytes(0xff, 0xfe, 0))).toBe('raw')
    expect(d.get(bytes(0xff, 0xfe))).toBeUndefined()
    d.set('😀'.repeat(30), 'emoji') // 120 bytes, two chunks
    expect(d.get(utf8('😀'.repeat(30)))).toBe('emoji')
    const keys = d.getKeys(0)
    expect(keys).toContain('ключ')
    expect(keys).toContain('a\0b')
  })
})

describe('binary values', () => {
  it('store bytes as given and read them back with getBytes or a bytes dict', () => {
    const zone = createZone('d', '1m')
    const d = new SharedDict('d', zone)
    const b = new SharedDict<Uint8Array>('d', zone, { bytes: true })
    const raw = bytes(0x78, 0, 0x79, 0xff)
    d.set('nul', raw) // reference: set('a\0b', 'x\0y\255') then get gives the same 4 bytes
    expect(d.getBytes('nul')).toEqual(raw)
    expect(b.get('nul')).toEqual(raw)
    expect(b.getWithFlags('nul')).toEqual({ ok: true, value: raw, flags: 0 })
    d.set('text', 'ñandú\0!')
    expect(d.get('text')).toBe('ñandú\0!')
    expect(b.get('text')).toEqual(utf8('ñandú\0!'))
    expect(d.getBytes('text')).toEqual(utf8('ñandú\0!'))
    expect(d.getBytes('missing')).toBeUndefined()
    d.set('n', 5)
    d.set('t', true)
    expect(d.getBytes('n')).toBe(5)
    expect(d.getBytes('t')).toBe(true)
    const long = new Uint8Array(3000).map((_, i) => i & 0xff)
    d.set('long', long)
    expect(d.getBytes('long')).toEqual(long)
    d.rpush('l', raw)
    d.rpush('l', 'é')
    expect(b.lpop('l')).toEqual({ ok: true, value: raw })
    expect(b.lpop('l')).toEqual({ ok: true, value: utf8('é') })
    expect(b.getKeys(0)).toContainEqual(utf8('nul'))
    expect(checkZone(zone)).toEqual([])
  })

  it('decode short and long strings, ASCII or not', () => {
    const d = dict()
    for (const s of ['a', 'x'.repeat(16), 'x'.repeat(17), 'é', 'aaaaaaaaaaaaaaé', 'z'.repeat(300) + 'é'.repeat(100)]) {
      d.set('s', s)
      expect(d.get('s')).toBe(s)
    }
  })
})

describe('flush_all / flush_expired', () => {
  it('flush_all marks everything expired at the epoch; memory stays until flush_expired', () => {
    const d = dict()
    for (let i = 0; i < 6; i++) d.set(`old${i}`, i) // three reads free two of these each
    d.set('fa', 'x', 0, 4)
    d.lpush('fl', 1)
    const free = d.freeSpace()
    d.flushAll()
    expect(d.freeSpace()).toBe(free)
    expect(d.get('fa')).toBeUndefined()
    expect(d.getStale('fa')).toEqual({ ok: true, value: 'x', flags: 4, stale: true }) // reference
    expect(d.ttl('fa')).toEqual({ ok: true, value: (1 - clock) / 1000 }) // reference: -1795269725.045
    expect(d.llen('fl')).toEqual({ ok: true, value: 0 })
    expect(d.getKeys()).toEqual([])
    expect(d.incrWithResult('fa', 1)).toEqual({ ok: false, err: 'not found', forcible: false })
    expect(d.flushExpired()).toBe(2)
    expect(d.freeSpace()).toBeGreaterThan(free)
    expect(d.add('fa', 1)).toEqual({ ok: true, forcible: false })
    expect(d.getKeys()).toEqual(['fa'])
  })

  it('flush_expired frees from the least recently used end, up to max', () => {
    // reference: f1..f5 expired, get_stale(f2) moves f2 up; flush_expired(2) frees f1 and f3
    const d = dict()
    for (let i = 1; i <= 5; i++) d.set(`f${i}`, i, 0.001)
    d.set('live', 1)
    advance(5)
    d.getStale('f2')
    expect(d.flushExpired(2)).toBe(2)
    expect(['f1', 'f2', 'f3', 'f4', 'f5'].map((k) => (d.getStale(k) as { value: unknown }).value)).toEqual([
      undefined,
      2,
      undefined,
      4,
      5,
    ])
    expect(d.flushExpired(1.5)).toBe(1) // reference: flush_expired(1.5) => 1
    expect(d.flushExpired(-1)).toBe(2) // reference: flush_expired(-1) => all
    expect(d.flushExpired()).toBe(0)
    expect(d.get('live')).toBe(1)
    expect(() => d.flushExpired('1' as never)).toThrow('bad "max_count" argument: number expected, got string')
  })
})

describe('get_keys', () => {
  it('lists unexpired keys, least recently used first, 1024 by default, 0 or less = all', () => {
    // reference: k1..k5 set, get(k1) → k2 k3 k4 k5 k1; set(k3) → k2 k4 k5 k1 k3
    const d = dict()
    for (let i = 1; i <= 5; i++) d.set(`k${i}`, i)
    d.get('k1')
    expect(d.getKeys()).toEqual(['k2', 'k3', 'k4', 'k5', 'k1'])
    d.set('k3', 9)
    expect(d.getKeys()).toEqual(['k2', 'k4', 'k5', 'k1', 'k3'])
    d.ttl('k2')
    d.expire('k2', 100)
    expect(d.getKeys()[0]).toBe('k2') // ttl and expire do not count as use
    expect(d.getKeys(2)).toEqual(['k2', 'k4'])
    expect(d.getKeys(1.5)).toEqual(['k2']) // reference: get_keys(1.5) => 1 key
    expect(d.getKeys(-1)).toHaveLength(5) // reference: get_keys(-1) => all
    for (let i = 0; i < 1100; i++) d.set(`many${i}`, i)
    expect(d.getKeys()).toHaveLength(1024)
    expect(d.getKeys(0)).toHaveLength(1105)
    expect(() => d.getKeys('1' as never)).toThrow('bad "max_count" argument')
  })
})

describe('expired entries at the LRU end', () => {
  // reference: 10 expired entries then 'live'; each write frees at most two expired entries
  // from the least recently used end, so flush_expired afterwards counts 8.
  function setup(liveFirst = false): SharedDict {
    const d = dict()
    if (liveFirst) d.set('live', 1)
    for (let i = 1; i <= 10; i++) d.set(`e${i}`, `v${i}`, 0.001, 5)
    if (!liveFirst) d.set('live', 1)
    advance(5)
    return d
  }
  const cases: [string, (d: SharedDict) => unknown, number][] = [
    ['add new', (d) => d.add('x', 1), 8],
    ['set new', (d) => d.set('x', 1), 8],
    ['safe_set new', (d) => d.safeSet('x', 1), 8],
    ['set existing', (d) => d.set('live', 2), 8],
    ['set existing, other size', (d) => d.set('live', 'abcdefgh'.repeat(20)), 8],
    ['replace', (d) => d.replace('live', 3), 8],
    ['incr new with init', (d) => d.incr('x', 1, 0), 8],
    ['incr existing', (d) => d.incr('live', 1), 8],
    ['incr missing without init', (d) => d.incr('nokey', 1), 8],
    ['lpush new', (d) => d.lpush('x', 1), 8],
    ['lpop missing', (d) => d.lpop('nokey'), 8],
    ['llen missing', (d) => d.llen('nokey'), 8],
    ['delete', (d) => d.delete('nokey'), 8],
    ['add existing', (d) => d.add('live', 1), 8],
    ['get', (d) => d.get('e1'), 8],
    ['get_stale', (d) => d.getStale('e1'), 10],
    ['ttl', (d) => d.ttl('e1'), 10],
    ['expire', (d) => d.expire('live', 3), 10],
    ['get_keys', (d) => d.getKeys(), 10],
    ['set a too long key', (d) => d.set('a'.repeat(70000), 1), 10],
    ['add a nil value', (d) => d.add('q', undefined), 10],
    ['add expired e5', (d) => d.add('e5', 'abc'), 7],
    ['incr expired e5 with init', (d) => d.incr('e5', 1, 0), 7],
  ]
  it.each(cases)('%s', (_, op, left) => {
    const d = setup()
    op(d)
    expect(d.flushExpired()).toBe(left)
  })

  it('stop at the first live entry', () => {
    const d = setup(true)
    d.add('x', 1)
    expect(d.flushExpired()).toBe(10) // reference: F live first, add => 10
  })

  it('follow use: get and get_stale count as use of an expired entry, ttl does not', () => {
    // reference: get(e5) on an expired e5 moves it up, so 8 frees spare it
    for (const touch of [(d: SharedDict) => d.get('e5'), (d: SharedDict) => d.getStale('e5')]) {
      const d = setup(true)
      touch(d)
      d.set('live', 2)
      for (let i = 0; i < 4; i++) d.delete('nokey')
      expect(d.getStale('e5')).toEqual({ ok: true, value: 'v5', flags: 5, stale: true })
      expect(d.getStale('e10')).toEqual({ ok: true, value: 'v10', flags: 5, stale: true })
      expect(d.getStale('e9')).toEqual({ ok: true, value: undefined, flags: 0, stale: false })
    }
    const d = setup(true)
    d.ttl('e5')
    d.set('live', 2)
    for (let i = 0; i < 4; i++) d.delete('nokey')
    expect(d.getStale('e5')).toEqual({ ok: true, value: undefined, flags: 0, stale: false })
  })
})

describe('use order (LRU)', () => {
  // reference: [X, e1, e2, e3] with e* expired; an op on X that counts as use moves X up, so
  // the next write frees e1 and e2 and flush_expired counts 1; otherwise 3.
  const str = (d: SharedDict): void => void d.set('X', 'abc')
  const num = (d: SharedDict): void => void d.set('X', 1)
  const lst = (d: SharedDict): void => {
    d.lpush('X', 'a')
    d.lpush('X', 'b')
  }
  const cases: [string, (d: SharedDict) => void, (d: SharedDict) => unknown, boolean][] = [
    ['get', str, (d) => d.get('X'), true],
    ['add exists', str, (d) => d.add('X', 1), true],
    ['replace', str, (d) => d.replace('X', 1), true],
    ['incr not a number', str, (d) => d.incr('X', 1), true],
    ['incr', num, (d) => d.incr('X', 1), true],
    ['lpush not a list', str, (d) => d.lpush('X', 1), true],
    ['llen not a list', str, (d) => d.llen('X'), true],
    ['lpush', lst, (d) => d.lpush('X', 1), true],
    ['rpop', lst, (d) => d.rpop('X'), true],
    ['llen', lst, (d) => d.llen('X'), true],
    ['get list', lst, (d) => d.get('X'), true],
    ['set list', lst, (d) => d.set('X', 1), true],
    ['set same', num, (d) => d.set('X', 5), true],
    ['ttl', str, (d) => d.ttl('X'), false],
    ['expire', str, (d) => d.expire('X', 10), false],
  ]
  it.each(cases)('%s', (_, setup, op, touched) => {
    const d = dict()
    setup(d)
    for (let i = 1; i <= 3; i++) d.set(`e${i}`, 'v', 0.001)
    advance(5)
    op(d)
    d.delete('nokey')
    expect(d.flushExpired()).toBe(touched ? 1 : 3)
  })
})

describe('a full zone', () => {
  function fill(d: SharedDict, prefix = 'k'): number {
    let i = 0
    while (d.safeSet(`${prefix}${i}`, i).ok) i++
    return i
  }

  it('evicts least recently used entries on set, reporting forcible', () => {
    const d = dict('12k')
    const free = d.freeSpace()
    expect(free).toBe(94 * CHUNK) // 96 chunks less the header's and the index's
    expect(fill(d)).toBe(94) // one chunk each
    expect(d.freeSpace()).toBe(0)
    d.get('k0') // k0 is used: k1 is now the least recently used
    expect(d.set('new', 1)).toEqual({ ok: true, forcible: true })
    expect(d.get('k1')).toBeUndefined()
    expect(d.get('k0')).toBe(0)
    expect(d.get('k2')).toBe(2)
    // A value needing three chunks frees the three least recently used entries.
    expect(d.set('big', 'x'.repeat(72 - 3 + 116 + 1))).toEqual({ ok: true, forcible: true })
    expect([2, 3, 4, 5, 6].map((i) => d.get(`k${i}`))).toEqual([2, undefined, undefined, undefined, 6])
  })

  it('answers no memory without evicting in safe_set / safe_add, and loses the old value like nginx', () => {
    const d = dict('12k')
    fill(d)
    expect(d.safeSet('new', 1)).toEqual({ ok: false, err: 'no memory', forcible: false }) // reference
    expect(d.safeAdd('new', 1)).toEqual({ ok: false, err: 'no memory', forcible: false })
    expect(d.safeSet('k5', 2)).toEqual({ ok: true, forcible: false }) // same size: in place
    // reference: safe_set existing bigger => (false, "no memory", false), then get k5 => nil
    expect(d.safeSet('k5', 'x'.repeat(100))).toEqual({ ok: false, err: 'no memory', forcible: false })
    expect(d.get('k5')).toBeUndefined()
    expect(d.safeSet('k5', 5)).toEqual({ ok: true, forcible: false })
  })

  it('incr with init and add evict too', () => {
    const d = dict('12k')
    fill(d)
    expect(d.incrWithResult('i', 1, 0)).toEqual({ ok: true, value: 1, forcible: true })
    expect(d.add('a', 1)).toEqual({ ok: true, forcible: true })
    expect(d.get('k0')).toBeUndefined()
    expect(d.get('k1')).toBeUndefined()
    expect(d.incrWithResult('k2', 1)).toEqual({ ok: true, value: 3, forcible: false })
  })

  it('reports forcible when the forced eviction only freed expired entries', () => {
    // reference: all entries expired, set of a 200-byte value => (true, nil, true)
    const d = dict('12k')
    let i = 0
    while (d.safeSet(`k${i}`, i, 0.001).ok) i++
    advance(5)
    expect(d.set('xnew', 'y'.repeat(300))).toEqual({ ok: true, forcible: true })
    expect(d.safeSet('xnew2', 'y'.repeat(60))).toEqual({ ok: true, forcible: false })
  })

  it('safe_set frees two expired entries at the LRU end before giving up', () => {
    // reference: 4 expired at the LRU end of a full zone; lpush succeeds, flush_expired => 2
    const d = dict('12k')
    let i = 0
    while (d.safeSet(`k${i}`, i, i < 4 ? 0.001 : 0).ok) i++
    advance(5)
    expect(d.safeSet('a', 1)).toEqual({ ok: true, forcible: false })
    expect(d.flushExpired()).toBe(2)
  })

  it('never evicts for lists: no memory', () => {
    const d = dict('12k')
    let n = 0
    for (;;) {
      const r = d.lpush('L', n)
      if (!r.ok) {
        expect(r.err).toBe('no memory') // reference: lpush fail at 253 => (nil, "no memory")
        break
      }
      n++
    }
    expect(d.llen('L')).toEqual({ ok: true, value: n })
    expect(d.lpush('M', 1)).toEqual({ ok: false, err: 'no memory' })
    // set still evicts, and the list is the least recently used entry
    expect(d.set('zz', 1)).toEqual({ ok: true, forcible: true }) // reference: set after lists => true
    expect(d.llen('L')).toEqual({ ok: true, value: 0 })
  })

  it('refuses a value larger than the zone without evicting', () => {
    const d = dict('12k')
    d.set('keep', 1)
    expect(d.set('big', 'x'.repeat(20_000))).toEqual({ ok: false, err: 'no memory', forcible: false })
    expect(d.get('keep')).toBe(1)
    d.set('big', 1)
    expect(d.set('big', 'x'.repeat(20_000))).toEqual({ ok: false, err: 'no memory', forcible: false })
    expect(d.get('big')).toBeUndefined() // the old value went first, as in nginx
  })

  it('gives up after 30 evictions, forcible and no memory', () => {
    const d = dict('64k')
    // a list element per chunk would leave no room: fill with one-chunk entries, but use
    // them all so that the LRU end holds one-chunk entries only
    const n = fill(d)
    expect(n).toBeGreaterThan(100)
    const need = 72 - 3 + 116 * 40 // 41 chunks: more than 30 one-chunk evictions free
    expect(d.set('big', 'x'.repeat(need))).toEqual({ ok: false, err: 'no memory', forcible: true })
    expect(d.get('k29')).toBeUndefined()
    expect(d.get('k30')).toBe(30)
    expect(d.set('big', 'x'.repeat(need))).toEqual({ ok: true, forcible: true })
  })
})

describe('recovery', () => {
  it('recoverZone repairs a zone whose lock a dead owner held, mid-mutation', () => {
    const zone = createZone('d', '64k')
    const d = new SharedDict('d', zone)
    for (let i = 0; i < 50; i++) d.set(`k${i}`, `v${i}`, 0, i)
    d.rpush('l', 'a')
    d.rpush('l', 'b')
    d.rpush('l', 'c')
    const i32 = new Int32Array(zoneBuffer(zone))
    // Simulate a thread (owner 77) killed inside an operation: lock held, LRU links cut,
    // a chunk taken off the free list and a fresh entry left uncommitted.
    i32[0] = 77
    const head = i32[9] as number
    i32[(head << 5) + 5] = 0 // LRU next of the most recently used entry
    const free = i32[16] as number // the first never used chunk
    i32[16] = free + 1 // taken...
    i32[8] = (i32[8] as number) - 1
    i32[free << 5] = 2 // ...and left uncommitted (K_BUSY)
    expect(recoverZone(zone, 78)).toBe(false)
    expect(recoverZone(zone, 77)).toBe(true)
    expect(i32[0]).toBe(0)
    expect(checkZone(zone)).toEqual([])
    for (let i = 0; i < 50; i++) expect(d.getWithFlags(`k${i}`)).toEqual({ ok: true, value: `v${i}`, flags: i })
    expect(d.llen('l')).toEqual({ ok: true, value: 3 })
    expect(d.getKeys(3)).toEqual(['k0', 'k1', 'k2']) // LRU order kept by the stamps
    expect(recoverZone(zone, 77)).toBe(false)
  })

  it('cuts a list at a bad element and drops records that are not sound', () => {
    const zone = createZone('d', '64k')
    const d = new SharedDict('d', zone)
    for (const v of ['a', 'b', 'c', 'd']) d.rpush('l', v)
    d.set('x', 'y')
    d.set('gone', 'z')
    const i32 = new Int32Array(zoneBuffer(zone))
    const findEntry = (key: string): number => {
      const k = new TextEncoder().encode(key)
      for (let c = i32[4] as number; c < (i32[3] as number); c++) {
        const w = c << 5
        if (((i32[w] as number) & 0xff) === 1 && (i32[w] as number) >>> 16 === k.length) {
          const b = new Uint8Array(zoneBuffer(zone), (c << 7) + 56, k.length)
          if (b.every((x, j) => x === k[j])) return c
        }
      }
      return 0
    }
    const l = findEntry('l')
    const first = i32[(l << 5) + 12] as number
    const second = i32[(first << 5) + 4] as number
    i32[(second << 5) + 4] = 12345 // c's link points nowhere
    const gone = findEntry('gone')
    i32[(gone << 5) + 2] ^= 1 // its hash no longer matches its key
    i32[0] = 5
    expect(recoverZone(zone, 5)).toBe(true)
    expect(checkZone(zone)).toEqual([])
    expect(d.llen('l')).toEqual({ ok: true, value: 2 })
    expect(d.rpop('l')).toEqual({ ok: true, value: 'b' })
    expect(d.get('x')).toBe('y')
    expect(d.get('gone')).toBeUndefined()
  })

  it('checkZone names what is wrong', () => {
    const zone = createZone('d', '64k')
    const d = new SharedDict('d', zone)
    d.set('a', 1)
    d.set('b', 2)
    d.lpush('l', 1)
    const i32 = new Int32Array(zoneBuffer(zone))
    const saved = Int32Array.from(i32)
    i32[8] = (i32[8] as number) + 1
    expect(checkZone(zone)).toEqual([expect.stringContaining('free list:')])
    i32.set(saved)
    i32[11] = 7
    expect(checkZone(zone)).toEqual(['header: 7 entries counted, 3 indexed'])
    i32.set(saved)
    const head = i32[9] as number
    i32[(head << 5) + 4] = 3
    expect(checkZone(zone).join()).toContain('lru:')
    i32.set(saved)
    i32[(head << 5) + 7] = 5 // the list's length
    expect(checkZone(zone).join()).toContain('length 5, 1 elements')
    i32.set(saved)
    i32[0] = 99
    expect(checkZone(zone)).toEqual(['lock held by owner 99'])
    i32[0] = 0
    expect(checkZone(new SharedArrayBuffer(16))).toEqual(['not a shared dict zone'])
    i32.set(saved)
    expect(checkZone(zone)).toEqual([])
  })

  it('waits for a lock held by another thread, then takes it', async () => {
    const { Worker } = await import('node:worker_threads')
    const zone = createZone('d', '64k')
    const d = new SharedDict('d', zone)
    d.set('x', 1)
    const i32 = new Int32Array(zoneBuffer(zone))
    i32[0] = 999 // held by "thread 998"
    const w = new Worker(
      `const { workerData } = require('node:worker_threads')
       const i32 = new Int32Array(workerData)
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150)
       Atomics.store(i32, 0, 0)
       Atomics.notify(i32, 0)`,
      { eval: true, workerData: zoneBuffer(zone) },
    )
    const t0 = performance.now()
    expect(d.get('x')).toBe(1) // blocks until the worker lets go
    expect(performance.now() - t0).toBeGreaterThan(50)
    expect(i32[0]).toBe(0)
    await w.terminate()
  })

  it('throws when the owner takes its own lock again', () => {
    const zone = createZone('d', '64k')
    const d = new SharedDict('d', zone)
    new Int32Array(zoneBuffer(zone))[0] = shdictOwnerId()
    expect(() => d.get('x')).toThrow('shared dict lock re-entered by its owner')
    new Int32Array(zoneBuffer(zone))[0] = 0
  })

  const inside: [string, string, (d: SharedDict) => unknown][] = [
    ['getWithFlags', 'getCore', (d) => d.getWithFlags('a')],
    ['getBytes', 'getCore', (d) => d.getBytes('a')],
    ['set', 'storeCore', (d) => d.set('a', 1)],
    ['delete', 'deleteCore', (d) => d.delete('a')],
    ['incr', 'incrCore', (d) => d.incr('a', 1)],
    ['lpush', 'pushCore', (d) => d.lpush('l', 1)],
    ['lpop', 'popCore', (d) => d.lpop('l')],
    ['llen', 'llenCore', (d) => d.llen('l')],
    ['ttl', 'ttlCore', (d) => d.ttl('a')],
    ['expire', 'expireCore', (d) => d.expire('a', 1)],
    ['flushAll', 'flushAllCore', (d) => d.flushAll()],
    ['flushExpired', 'flushExpiredCore', (d) => d.flushExpired()],
    ['getKeys', 'keysCore', (d) => d.getKeys()],
  ]
  it.each(inside)('%s: an exception inside repairs the zone and releases the lock', async (_, core, call) => {
    const zone = createZone('d', '64k')
    const d = new SharedDict('d', zone)
    d.set('a', 'x'.repeat(300))
    d.rpush('l', 1)
    const { Zone } = await import('./shdict-zone.ts')
    const spy = vi.spyOn(Zone.prototype, core as 'getCore').mockImplementation(function (this: InstanceType<typeof Zone>) {
      this.i32[7] = 0 // the free list head lost
      throw new RangeError('boom')
    })
    expect(() => call(d)).toThrow('boom')
    spy.mockRestore()
    expect(new Int32Array(zoneBuffer(zone))[0]).toBe(0)
    expect(checkZone(zone)).toEqual([])
    expect(d.get('a')).toBe('x'.repeat(300))
  })

  it('repairs the zone and releases the lock when an operation throws inside', async () => {
    const zone = createZone('d', '64k')
    const d = new SharedDict('d', zone)
    d.set('a', 'x'.repeat(300))
    const { Zone } = await import('./shdict-zone.ts')
    const spy = vi.spyOn(Zone.prototype, 'getCore').mockImplementation(function (this: InstanceType<typeof Zone>) {
      this.i32[7] = 0 // corrupt the free list head, then fail
      throw new RangeError('Array buffer allocation failed')
    })
    expect(() => d.get('a')).toThrow('Array buffer allocation failed')
    spy.mockRestore()
    expect(new Int32Array(zoneBuffer(zone))[0]).toBe(0)
    expect(checkZone(zone)).toEqual([])
    expect(d.get('a')).toBe('x'.repeat(300))
  })
})
