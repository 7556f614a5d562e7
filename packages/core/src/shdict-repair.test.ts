import { describe, expect, it } from 'vitest'
import { checkZone, createZone, recoverZone, SharedDict, zoneBuffer } from './shdict.ts'
import type { ShdictZone } from './shdict.ts'
import { ZONE } from './shdict-zone.ts'

const {
  C_OWNER,
  H_BUMP,
  E_BNEXT,
  E_FIRST,
  E_HASH,
  E_LAST,
  E_LNEXT,
  E_NEXT,
  E_PAYLOAD,
  E_PREV,
  E_VLEN,
  EF_STAMP,
  H_BUCKETS,
  H_FIRST,
  H_FREE_COUNT,
  H_FREE_HEAD,
  H_LOCK,
  H_LRU_HEAD,
  H_LRU_TAIL,
  H_MASK,
  H_NCHUNKS,
  HF_STAMP,
  K_BUSY,
  K_CONT,
  K_ENTRY,
  L_LNEXT,
  L_OWNER,
  L_PREV,
} = ZONE

// checkZone() names each kind of damage, and recoverZone() repairs each one, keeping every
// entry whose record is sound. The damage is what a thread killed between two stores (or a
// bug) could leave, written straight into the buffer.

type Zone = {
  zone: ShdictZone
  d: SharedDict
  i32: Int32Array
  f64: Float64Array
  /** The head chunk of the entry with this key. */
  at: (key: string) => number
  /** The chunk on the free list. */
  free: () => number
  /** Takes a chunk as the allocator would, and returns it. */
  take: () => number
}

function zoneWith(): Zone {
  const zone = createZone('d', '64k')
  const d = new SharedDict('d', zone)
  d.set('a', 1)
  d.set('b', 'two')
  d.set('long', 'L'.repeat(300)) // three chunks
  d.rpush('l', 'x')
  d.rpush('l', 'y'.repeat(200)) // a two-chunk element
  d.rpush('l', 3)
  d.set('c', true)
  d.set('tmp', 1)
  d.delete('tmp') // one chunk on the free list
  const i32 = new Int32Array(zoneBuffer(zone))
  const f64 = new Float64Array(zoneBuffer(zone))
  const at = (key: string): number => {
    const k = new TextEncoder().encode(key)
    for (let c = i32[H_FIRST] as number; c < (i32[H_NCHUNKS] as number); c++) {
      const w0 = i32[c << 5] as number
      if ((w0 & 0xff) !== K_ENTRY || w0 >>> 16 !== k.length) continue
      const b = new Uint8Array(zoneBuffer(zone), (c << 7) + E_PAYLOAD, k.length)
      if (b.every((x, j) => x === k[j])) return c
    }
    throw new Error(`no entry ${key}`)
  }
  const take = (): number => {
    let c = i32[H_FREE_HEAD] as number
    if (c !== 0) i32[H_FREE_HEAD] = i32[(c << 5) + E_NEXT] as number
    else {
      c = i32[H_BUMP] as number
      i32[H_BUMP] = c + 1
    }
    i32[H_FREE_COUNT] = (i32[H_FREE_COUNT] as number) - 1
    return c
  }
  return { zone, d, i32, f64, at, free: () => i32[H_FREE_HEAD] as number, take }
}

const bucketOf = (z: Zone, e: number): number => (z.i32[H_BUCKETS] as number) + ((z.i32[(e << 5) + E_HASH] as number) & (z.i32[H_MASK] as number))
const elem = (z: Zone, n: number): number => {
  let el = z.i32[(z.at('l') << 5) + E_FIRST] as number
  for (let i = 0; i < n; i++) el = z.i32[(el << 5) + L_LNEXT] as number
  return el
}

const damage: [string, (z: Zone) => void, string, string[]][] = [
  // [what, damage, a problem checkZone must name, keys gone after repair]
  ['a bucket chain loops', (z) => void (z.i32[(z.at('a') << 5) + E_BNEXT] = z.at('a')), 'indexed twice', []],
  ['a bucket points outside the chunks', (z) => void (z.i32[bucketOf(z, z.at('a'))] = 1), 'out of range', []],
  ['an entry left uncommitted', (z) => void (z.i32[z.at('b') << 5] = K_BUSY | (3 << 8) | (1 << 16)), 'has kind 2', ['b']],
  ['a bad value type', (z) => void (z.i32[z.at('b') << 5] = K_ENTRY | (9 << 8) | (1 << 16)), 'bad value type 9', ['b']],
  ['a bad value length', (z) => void (z.i32[(z.at('b') << 5) + E_VLEN] = -4), 'bad value length -4', ['b']],
  [
    'an entry in the wrong bucket',
    (z) => {
      const e = z.at('a')
      const from = bucketOf(z, e)
      z.i32[from] = z.i32[(e << 5) + E_BNEXT] as number
      const to = from === (z.i32[H_BUCKETS] as number) ? from + 1 : from - 1
      z.i32[(e << 5) + E_BNEXT] = z.i32[to] as number
      z.i32[to] = e
    },
    'hash says',
    [],
  ],
  ['a stored hash that is not its key\'s', (z) => void (z.i32[(z.at('b') << 5) + E_HASH] ^= 1 << 28), 'does not match its key', ['b']],
  ['a continuation owned by another chunk', (z) => void (z.i32[((z.i32[(z.at('long') << 5) + E_NEXT] as number) << 5) + C_OWNER] = 3), 'bad chunk chain', ['long']],
  ['a chain longer than its record', (z) => void (z.i32[(z.at('a') << 5) + E_NEXT] = z.free()), 'bad chunk chain', ['a']],
  [
    'one key twice',
    (z) => {
      const a = z.at('a')
      const f = z.take()
      z.i32.copyWithin(f << 5, a << 5, (a << 5) + 32)
      z.f64[(f << 4) + EF_STAMP] = (z.f64[(a << 4) + EF_STAMP] as number) - 0.5
      z.i32[(f << 5) + E_BNEXT] = z.i32[bucketOf(z, a)] as number
      z.i32[bucketOf(z, a)] = f
    },
    'same key',
    [],
  ],
  ['an LRU link outside the chunks', (z) => void (z.i32[((z.i32[H_LRU_HEAD] as number) << 5) + E_LNEXT] = 99999), 'lru: bad or repeated link', []],
  ['an LRU back link that is wrong', (z) => void (z.i32[(z.at('b') << 5) + E_PREV] = 0), 'prev is 0', []],
  ['an LRU tail that is not the end', (z) => void (z.i32[H_LRU_TAIL] = z.i32[H_LRU_HEAD] as number), 'lru: tail is', []],
  ['stamps out of order', (z) => void (z.f64[(z.at('a') << 4) + EF_STAMP] = 1e9), 'not below', []],
  ['a stamp above the counter', (z) => void (z.f64[HF_STAMP] = 2), 'above the counter', []],
  ['stamps that are not numbers', (z) => void (z.f64[(z.at('c') << 4) + EF_STAMP] = NaN), 'not below', []],
  ['an entry on the free list', (z) => void (z.i32[H_FREE_HEAD] = z.at('a')), 'free list: bad or repeated chunk', []],
  ['a free chunk of another kind', (z) => void (z.i32[z.free() << 5] = K_CONT), 'free list: chunk', []],
  [
    'a chunk taken off the free list and lost',
    (z) => void z.take(),
    '1 chunks neither free nor owned',
    [],
  ],
  [
    'a never used chunk taken and lost',
    (z) => {
      z.take() // the free list's
      z.take() // a never used one
    },
    '2 chunks neither free nor owned',
    [],
  ],
  ['a bad mark of never used chunks', (z) => void (z.i32[H_BUMP] = 1), 'bad mark of never used chunks', []],
  ['an entry beyond the never used mark', (z) => void (z.i32[H_BUMP] = z.at('c')), 'beyond the mark', []],
  ['a free list chunk beyond the mark', (z) => void (z.i32[H_BUMP] = z.free()), 'free list: bad or repeated chunk', []],
  ['a list element owned by another list', (z) => void (z.i32[(elem(z, 1) << 5) + L_OWNER] = 5), 'bad element', []],
  ['a list element with a wrong back link', (z) => void (z.i32[(elem(z, 2) << 5) + L_PREV] = 0), 'prev is 0, not', []],
  ['a list element of a bad type', (z) => void (z.i32[elem(z, 2) << 5] = 4 | (9 << 8)), 'has type 9', []],
  ['a list element with a bad chain', (z) => void (z.i32[((z.i32[(elem(z, 1) << 5) + E_NEXT] as number) << 5) + C_OWNER] = 3), 'element', []],
  ['a list without elements', (z) => void (z.i32[(z.at('l') << 5) + E_FIRST] = 0), 'empty', ['l']],
  ['a list whose last element is wrong', (z) => void (z.i32[(z.at('l') << 5) + E_LAST] = elem(z, 0)), 'last is', []],
]

describe('damaged zones', () => {
  it.each(damage)('%s: named by checkZone, repaired by recoverZone', (_, hurt, problem, gone) => {
    const z = zoneWith()
    expect(checkZone(z.zone)).toEqual([])
    hurt(z)
    expect(checkZone(z.zone).join('\n')).toContain(problem)
    z.i32[H_LOCK] = 42 // the thread that did it died holding the lock
    expect(recoverZone(z.zone, 42)).toBe(true)
    expect(checkZone(z.zone)).toEqual([])
    const { d } = z
    const want: Record<string, unknown> = { a: 1, b: 'two', long: 'L'.repeat(300), c: true }
    for (const [k, v] of Object.entries(want)) expect(d.get(k)).toBe(gone.includes(k) ? undefined : v)
    if (!gone.includes('l')) expect(d.lpop('l').ok).toBe(true)
    // the zone works on
    for (let i = 0; i < 100; i++) d.set(`n${i}`, 'v'.repeat(i))
    expect(d.get('n99')).toBe('v'.repeat(99))
    expect(checkZone(z.zone)).toEqual([])
  })

  it('a list cut at a bad element keeps the elements before it', () => {
    const z = zoneWith()
    z.i32[(elem(z, 1) << 5) + L_OWNER] = 5
    z.i32[H_LOCK] = 42
    expect(recoverZone(z.zone, 42)).toBe(true)
    expect(z.d.llen('l')).toEqual({ ok: true, value: 1 })
    expect(z.d.lpop('l')).toEqual({ ok: true, value: 'x' })
  })

  it('of one key twice, the later used record stays', () => {
    const z = zoneWith()
    const a = z.at('a')
    const f = z.take()
    z.i32.copyWithin(f << 5, a << 5, (a << 5) + 32)
    z.f64[(f << 4) + 6] = 99 // the copy's number value
    z.f64[(f << 4) + EF_STAMP] = (z.f64[HF_STAMP] as number) + 1 // used after everything else
    z.f64[HF_STAMP] = (z.f64[HF_STAMP] as number) + 1
    z.i32[H_LOCK] = 42
    expect(recoverZone(z.zone, 42)).toBe(true)
    expect(z.d.get('a')).toBe(99)
    expect(checkZone(z.zone)).toEqual([])
  })
})
