import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { checkZone, createZone, SharedDict } from './shdict.ts'
import type { ShdictZone } from './shdict.ts'
import { formatZone } from './shdict-zone.ts'
import { parseSize } from './units.ts'
import { updateTime } from './time.ts'

// Random operation sequences (seeded, reproducible) run against a zone and against a plain JS
// model of the documented semantics (shdict.md): values, flags, expiry, LRU order, the two
// expired entries freed at the LRU end before writes and reads, forced eviction with forcible,
// and memory counted in chunks. After every step the results must agree and checkZone() must
// find nothing wrong. Small zones make eviction and "no memory" frequent.

const CHUNK = 128
const HEAD_CAP = 72 // key + string bytes in an entry's first chunk
const ELEM_CAP = 96 // string bytes in a list element's first chunk
const CONT_CAP = 116 // bytes in each further chunk
const entryChunks = (n: number): number => (n <= HEAD_CAP ? 1 : 1 + Math.ceil((n - HEAD_CAP) / CONT_CAP))
const elemChunks = (n: number): number => (n <= ELEM_CAP ? 1 : 1 + Math.ceil((n - ELEM_CAP) / CONT_CAP))

type Item = number | Uint8Array
type Entry = {
  key: Uint8Array
  type: 'number' | 'boolean' | 'string' | 'list'
  value: number | boolean | Uint8Array
  list: Item[]
  flags: number
  expires: number
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const toBytes = (k: string | Uint8Array): Uint8Array => (typeof k === 'string' ? enc.encode(k) : k)

/** The documented semantics, over a Map kept in use order (least recently used first). */
class Model {
  readonly map = new Map<string, Entry>()
  free: number
  readonly total: number
  now = 0
  forcible = false

  constructor(freeChunks: number) {
    this.free = freeChunks
    this.total = freeChunks
  }

  chunksOf(e: Entry): number {
    if (e.type === 'list') {
      return entryChunks(e.key.length) + e.list.reduce<number>((n, it) => n + elemChunks(typeof it === 'number' ? 0 : it.length), 0)
    }
    return entryChunks(e.key.length + (e.type === 'string' ? (e.value as Uint8Array).length : 0))
  }

  expired(e: Entry): boolean {
    return e.expires !== 0 && e.expires <= this.now
  }

  oldest(): Entry | undefined {
    for (const e of this.map.values()) return e
    return undefined
  }

  touch(e: Entry): void {
    const k = hex(e.key)
    this.map.delete(k)
    this.map.set(k, e)
  }

  remove(e: Entry): void {
    this.map.delete(hex(e.key))
    this.free += this.chunksOf(e)
  }

  reap(): void {
    for (let n = 0; n < 2; n++) {
      const t = this.oldest()
      if (t === undefined || !this.expired(t)) return
      this.remove(t)
    }
  }

  evictOnce(): number {
    let freed = 0
    for (let n = 0; n < 3; n++) {
      const t = this.oldest()
      if (t === undefined || (n !== 0 && !this.expired(t))) break
      this.remove(t)
      freed++
    }
    return freed
  }

  ensureFree(need: number, safe: boolean): boolean {
    if (this.free >= need) return true
    if (safe || need > this.total) return false
    for (let i = 0; i < 30; i++) {
      if (this.evictOnce() === 0) return false
      this.forcible = true
      if (this.free >= need) return true
    }
    return false
  }

  insert(e: Entry): void {
    this.map.set(hex(e.key), e)
    this.free -= this.chunksOf(e)
  }

  expiresAt(ms: number): number {
    return ms > 0 ? this.now + ms : 0
  }

  store(op: 'set' | 'add' | 'replace', safe: boolean, key: Uint8Array, type: Entry['type'], value: Entry['value'], ms: number, flags: number): string {
    this.forcible = false
    this.reap()
    const fresh: Entry = { key, type, value, list: [], flags, expires: this.expiresAt(ms) }
    const need = this.chunksOf(fresh)
    const e = this.map.get(hex(key))
    if (e !== undefined) {
      const expired = this.expired(e)
      if (op === 'add' && !expired) {
        this.touch(e)
        return 'exists'
      }
      if (op === 'replace' && expired) {
        this.touch(e)
        return 'not found'
      }
      if (e.type !== 'list' && this.chunksOf(e) === need) {
        this.remove(e)
        this.insert(fresh)
        return 'ok'
      }
      this.remove(e)
    } else if (op === 'replace') {
      return 'not found'
    }
    if (!this.ensureFree(need, safe)) return 'no memory'
    this.insert(fresh)
    return 'ok'
  }

  del(key: Uint8Array): void {
    this.forcible = false
    this.reap()
    const e = this.map.get(hex(key))
    if (e !== undefined) this.remove(e)
  }

  get(key: Uint8Array, stale: boolean): Entry | 'missing' | 'list' {
    if (!stale) this.reap()
    const e = this.map.get(hex(key))
    if (e === undefined) return 'missing'
    this.touch(e)
    if (this.expired(e) && !stale) return 'missing'
    return e.type === 'list' ? 'list' : e
  }

  incr(key: Uint8Array, delta: number, init: number | undefined, ttlMs: number): number | string {
    this.forcible = false
    this.reap()
    const e = this.map.get(hex(key))
    if (e !== undefined) {
      this.touch(e)
      if (!this.expired(e)) {
        if (e.type !== 'number') return 'not a number'
        e.value = (e.value as number) + delta
        return e.value
      }
      if (init === undefined) return 'not found'
      this.remove(e)
    } else if (init === undefined) {
      return 'not found'
    }
    if (!this.ensureFree(entryChunks(key.length), false)) return 'no memory'
    this.insert({ key, type: 'number', value: init + delta, list: [], flags: 0, expires: this.expiresAt(ttlMs) })
    return init + delta
  }

  push(key: Uint8Array, left: boolean, item: Item): number | string {
    this.reap()
    let e = this.map.get(hex(key))
    if (e !== undefined) {
      this.touch(e)
      if (this.expired(e)) {
        this.remove(e)
        e = undefined
      } else if (e.type !== 'list') {
        return 'value not a list'
      }
    }
    const need = elemChunks(typeof item === 'number' ? 0 : item.length) + (e === undefined ? entryChunks(key.length) : 0)
    if (this.free < need) return 'no memory'
    if (e === undefined) {
      e = { key, type: 'list', value: 0, list: [], flags: 0, expires: 0 }
      this.insert(e) // counts the entry's own chunks
    }
    this.free -= elemChunks(typeof item === 'number' ? 0 : item.length)
    if (left) e.list.unshift(item)
    else e.list.push(item)
    return e.list.length
  }

  pop(key: Uint8Array, left: boolean): Item | undefined | string {
    this.reap()
    const e = this.map.get(hex(key))
    if (e === undefined) return undefined
    this.touch(e)
    if (this.expired(e)) return undefined
    if (e.type !== 'list') return 'value not a list'
    if (e.list.length === 1) {
      const item = e.list[0]
      this.remove(e)
      return item
    }
    const item = (left ? e.list.shift() : e.list.pop()) as Item
    this.free += elemChunks(typeof item === 'number' ? 0 : item.length)
    return item
  }

  llen(key: Uint8Array): number | string {
    this.reap()
    const e = this.map.get(hex(key))
    if (e === undefined) return 0
    this.touch(e)
    if (this.expired(e)) return 0
    return e.type === 'list' ? e.list.length : 'value not a list'
  }

  ttl(key: Uint8Array): number | string {
    const e = this.map.get(hex(key))
    if (e === undefined) return 'not found'
    return e.expires === 0 ? 0 : (e.expires - this.now) / 1000
  }

  expire(key: Uint8Array, ms: number): string {
    const e = this.map.get(hex(key))
    if (e === undefined) return 'not found'
    e.expires = this.expiresAt(ms)
    return 'ok'
  }

  flushAll(): void {
    for (const e of this.map.values()) e.expires = 1
  }

  flushExpired(max: number): number {
    let n = 0
    for (const e of [...this.map.values()]) {
      if (!this.expired(e)) continue
      this.remove(e)
      if (++n === max) break
    }
    return n
  }

  keys(max: number): string[] {
    const out: string[] = []
    for (const e of this.map.values()) {
      if (this.expired(e)) continue
      out.push(hex(e.key))
      if (out.length === max) break
    }
    return out
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS: (string | Uint8Array)[] = [
  'a',
  'b',
  'counter',
  'list',
  'ключ',
  'k\0nul',
  new Uint8Array([0xff, 0x00, 0x80]),
  'x'.repeat(80), // two chunks of key alone
  'user:1234567890',
  'q',
  'list2',
  'z'.repeat(70),
  ...Array.from({ length: 40 }, (_, i) => `key${i}`),
]

let clock = 1_900_000_000_000
beforeEach(() => {
  vi.spyOn(Date, 'now').mockImplementation(() => clock)
  updateTime()
})
afterEach(() => {
  vi.restoreAllMocks()
  updateTime()
})

/** A zone in a plain SharedArrayBuffer: its lock runs on JS Atomics instead of wasm. */
function plainZone(size: string): ShdictZone {
  const bytes = parseSize(size)
  const sab = new SharedArrayBuffer(bytes)
  formatZone(sab, bytes)
  return sab
}

function run(seed: number, size: string, steps: number, plain = false): void {
  const rnd = mulberry32(seed)
  const int = (n: number): number => Math.floor(rnd() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T
  const zone = plain ? plainZone(size) : createZone('m', size)
  const s = new SharedDict('m', zone)
  const b = new SharedDict<Uint8Array>('m', zone, { bytes: true })
  const m = new Model(s.freeSpace() / CHUNK)
  clock = 1_900_000_000_000
  updateTime()
  m.now = clock

  const randString = (): string | Uint8Array => {
    const len = pick([0, 1, 5, 60, 69, 70, 100, 200, 300, 600, 1500])
    const r = rnd()
    if (r < 0.6) return 'v'.repeat(len)
    if (r < 0.8) return 'é'.repeat(len >> 1) + 'x'
    const u = new Uint8Array(len)
    for (let i = 0; i < len; i++) u[i] = int(256)
    return u
  }
  const randValue = (): { v: number | boolean | string | Uint8Array | undefined } => {
    const r = rnd()
    if (r < 0.35) return { v: pick([0, 1, -1, 2.5, 1e300, -0, 42]) + int(100) }
    if (r < 0.45) return { v: rnd() < 0.5 }
    if (r < 0.95) return { v: randString() }
    return { v: undefined }
  }
  const randExp = (): number => pick([0, 0, 0, 0.001, 0.002, 0.005, 0.0004, 1])
  const ms = (x: number): number => Math.trunc(x * 1000)
  /** What a dict returns for a stored string: bytes, or the decoded string. */
  const out = (v: Entry['value'] | Item, bytesMode: boolean): unknown =>
    v instanceof Uint8Array ? (bytesMode ? v : dec.decode(v)) : v
  const asEntry = (v: number | boolean | string | Uint8Array): [Entry['type'], Entry['value']] =>
    typeof v === 'string' ? ['string', enc.encode(v)] : v instanceof Uint8Array ? ['string', v] : [typeof v as 'number' | 'boolean', v]

  for (let step = 0; step < steps; step++) {
    if (rnd() < 0.3) {
      clock += pick([0, 1, 1, 2, 3, 10])
      updateTime()
      m.now = clock
    }
    const key = pick(KEYS)
    const kb = toBytes(key)
    const r = rnd()
    const what = `seed ${seed} step ${step}`
    if (r < 0.3) {
      const op = pick(['set', 'set', 'safeSet', 'add', 'safeAdd', 'replace'] as const)
      const { v } = randValue()
      const e = randExp()
      const flags = pick([0, 0, 1, 7, -5, 2 ** 31 - 1])
      const got = s[op](key, v, e, flags)
      let want: string
      if (v === undefined) {
        if (op === 'set' || op === 'safeSet') {
          m.del(kb)
          want = 'ok'
        } else {
          want = 'attempt to add or replace nil values'
        }
      } else {
        const [type, value] = asEntry(v)
        want = m.store(op === 'safeSet' || op === 'set' ? 'set' : op === 'replace' ? 'replace' : 'add', op.startsWith('safe'), kb, type, value, ms(e), flags)
      }
      expect(got.ok ? 'ok' : got.err, what).toBe(want)
      expect(got.forcible, what).toBe(m.forcible && want !== 'attempt to add or replace nil values')
    } else if (r < 0.5) {
      const bytesMode = rnd() < 0.3
      const stale = rnd() < 0.3
      const got = stale ? (bytesMode ? b : s).getStale(key) : (bytesMode ? b : s).getWithFlags(key)
      const e = m.get(kb, stale)
      if (e === 'list') expect(got, what).toEqual({ ok: false, err: 'value is a list' })
      else if (e === 'missing') expect(got, what).toEqual(stale ? { ok: true, value: undefined, flags: 0, stale: false } : { ok: true, value: undefined, flags: 0 })
      else {
        const want = { ok: true, value: out(e.value, bytesMode), flags: e.flags }
        expect(got, what).toEqual(stale ? { ...want, stale: m.expired(e) } : want)
      }
    } else if (r < 0.62) {
      const delta = pick([1, -1, 0.5, 100])
      const withInit = rnd() < 0.6
      const init = withInit ? pick([0, 10, -3]) : undefined
      const ttl = withInit && rnd() < 0.3 ? pick([0.001, 0.003, 2]) : undefined
      const got = s.incrWithResult(key, delta, init, ttl)
      const want = m.incr(kb, delta, init, ttl === undefined ? 0 : ms(ttl))
      if (typeof want === 'number') expect(got, what).toEqual({ ok: true, value: want, forcible: m.forcible })
      else expect(got, what).toEqual({ ok: false, err: want, forcible: want === 'no memory' ? m.forcible : false })
    } else if (r < 0.77) {
      const left = rnd() < 0.5
      const raw = rnd() < 0.4 ? int(1000) : randString()
      const item: Item = typeof raw === 'string' ? enc.encode(raw) : raw
      const got = left ? s.lpush(key, raw) : s.rpush(key, raw)
      const want = m.push(kb, left, item)
      expect(got, what).toEqual(typeof want === 'number' ? { ok: true, value: want } : { ok: false, err: want })
    } else if (r < 0.87) {
      const left = rnd() < 0.5
      const bytesMode = rnd() < 0.5
      const d = bytesMode ? b : s
      const got = left ? d.lpop(key) : d.rpop(key)
      const want = m.pop(kb, left)
      if (want === 'value not a list') expect(got, what).toEqual({ ok: false, err: want })
      else expect(got, what).toEqual({ ok: true, value: want === undefined ? undefined : out(want, bytesMode) })
    } else if (r < 0.9) {
      const got = s.llen(key)
      const want = m.llen(kb)
      expect(got, what).toEqual(typeof want === 'number' ? { ok: true, value: want } : { ok: false, err: want })
    } else if (r < 0.93) {
      const got = s.ttl(key)
      const want = m.ttl(kb)
      expect(got, what).toEqual(typeof want === 'number' ? { ok: true, value: want } : { ok: false, err: want })
    } else if (r < 0.96) {
      const e = pick([0, 0.001, 0.01, 5, -1])
      const got = s.expire(key, e)
      const want = m.expire(kb, ms(e) < 0 ? 0 : ms(e))
      expect(got.ok ? 'ok' : got.err, what).toBe(want)
    } else if (r < 0.97) {
      const max = pick([0, 1, 2, 5])
      expect(s.flushExpired(max), what).toBe(m.flushExpired(max))
    } else if (r < 0.975) {
      s.flushAll()
      m.flushAll()
    } else {
      const max = pick([0, 1, 3, 1024])
      expect(b.getKeys(max).map(hex), what).toEqual(m.keys(max))
    }
    expect(s.freeSpace(), what).toBe(m.free * CHUNK)
    expect(checkZone(zone), what).toEqual([])
  }
  expect(b.getKeys(0).map(hex)).toEqual(m.keys(0))
}

describe('shared dict against a model', () => {
  it.each([
    [1, '12k'],
    [2, '12k'],
    [3, '12k'],
    [4, '16k'],
    [5, '24k'],
    [6, '64k'],
  ])('seed %i, zone %s: 2500 random steps agree', (seed, size) => {
    run(seed, size, 2500)
  })

  it.each([
    [7, '12k'],
    [8, '32k'],
  ])('seed %i, zone %s in a plain SharedArrayBuffer: 2500 random steps agree', (seed, size) => {
    run(seed, size, 2500, true)
  })
})
