import { describe, expect, it } from 'vitest'
import { ALL_READER, anyReader, bytesReader, LINE_READER, ReadBuffer, UntilMatcher } from './socket-receive.ts'
import type { Reader } from './socket-receive.ts'

const b = (s: string): Buffer => Buffer.from(s, 'latin1')

function buffer(...chunks: string[]): ReadBuffer {
  const rb = new ReadBuffer()
  for (const c of chunks) rb.push(b(c))
  return rb
}

describe('ReadBuffer', () => {
  it('takes across chunk boundaries and keeps the rest', () => {
    const rb = buffer('ab', '', 'cde', 'f')
    expect(rb.length).toBe(6)
    expect(rb.indexOf(0x64)).toBe(3)
    expect(rb.indexOf(0x7a)).toBe(-1)
    expect(rb.at(4)).toBe(0x65)
    expect(rb.at(9)).toBe(-1)
    expect(rb.take(1).toString()).toBe('a')
    expect(rb.head().toString()).toBe('b')
    expect(rb.indexOf(0x64)).toBe(2)
    expect(rb.take(3).toString()).toBe('bcd')
    expect(rb.take(0).length).toBe(0)
    expect(rb.take(1).toString()).toBe('e')
    expect(rb.takeAll().toString()).toBe('f')
    expect(rb.length).toBe(0)
    expect(rb.head().length).toBe(0)
  })
})

describe('pattern readers', () => {
  it('*l waits for LF, drops CRs, and gives the rest as partial', () => {
    const rb = buffer('a\rb')
    expect(LINE_READER.read(rb)).toBeUndefined()
    rb.push(b('\r\nnext'))
    expect(LINE_READER.read(rb)?.toString()).toBe('ab')
    expect(LINE_READER.atEof(rb)).toBeUndefined()
    rb.push(b('\r'))
    expect(LINE_READER.partial(rb).toString()).toBe('next')
  })

  it('*a only completes at EOF', () => {
    const rb = buffer('xy')
    expect(ALL_READER.read(rb)).toBeUndefined()
    expect(ALL_READER.atEof(rb)?.toString()).toBe('xy')
    rb.push(b('z'))
    expect(ALL_READER.partial(rb).toString()).toBe('z')
  })

  it('n bytes waits for all of them', () => {
    const r = bytesReader(3)
    const rb = buffer('ab')
    expect(r.read(rb)).toBeUndefined()
    rb.push(b('cd'))
    expect(r.read(rb)?.toString()).toBe('abc')
    expect(r.atEof(rb)).toBeUndefined()
    expect(r.partial(rb).toString()).toBe('d')
  })

  it('receiveany gives what is there up to max', () => {
    const r = anyReader(2)
    const rb = new ReadBuffer()
    expect(r.read(rb)).toBeUndefined()
    rb.push(b('abc'))
    expect(r.read(rb)?.toString()).toBe('ab')
    expect(r.read(rb)?.toString()).toBe('c')
    expect(r.atEof(rb)).toBeUndefined()
    expect(r.partial(rb).length).toBe(0)
  })
})

/**
 * Runs receiveuntil calls over `data` arriving in the given segments, as the socket does:
 * read, push the next segment while the call waits, EOF when none is left.
 */
function until(data: string, segments: number[], pattern: string, inclusive: boolean, sizes: number[], calls = 10): string[] {
  const chunks: string[] = []
  let pos = 0
  for (const n of segments) {
    if (pos >= data.length) break
    chunks.push(data.slice(pos, pos + n))
    pos += n
  }
  if (pos < data.length) chunks.push(data.slice(pos))
  const rb = new ReadBuffer()
  const m = new UntilMatcher(b(pattern), inclusive)
  const out: string[] = []
  for (let i = 0; i < calls; i++) {
    const size = sizes.length === 0 ? 0 : sizes[i % sizes.length]!
    if (m.begin(size)) {
      out.push('nil')
      continue
    }
    const reader: Reader = m.reader
    let r = reader.read(rb)
    while (r === undefined && chunks.length > 0) {
      rb.push(b(chunks.shift()!))
      r = reader.read(rb)
    }
    if (r === undefined) {
      out.push(`closed:${reader.partial(rb).toString('latin1')}`)
      break
    }
    out.push(r.toString('latin1'))
  }
  return out
}

describe('UntilMatcher', () => {
  it('matches the reference chunking with sizes (x--bou--nd--y--bound--)', () => {
    expect(until('x--bou--nd--y--bound--', [1000], '--bound--', false, [1])).toEqual([
      'x', '--bou', '--', 'n', 'd', '--', 'y', '', 'nil', 'closed:',
    ])
    expect(until('x--bou--nd--y--bound--', [1000], '--bound--', false, [4])).toEqual([
      'x--bou', '--nd', '--y', 'nil', 'closed:',
    ])
  })

  it('falls back along the pattern’s borders (ababc in abababc)', () => {
    expect(until('xabababcyyyababc', [1000], 'ababc', false, [1])).toEqual([
      'x', 'ab', '', 'nil', 'y', 'y', 'y', '', 'nil', 'closed:',
    ])
    expect(until('abababc-ababc', [1000], 'ababc', true, [])).toEqual(['abababc', '-ababc', 'closed:'])
  })

  it('drops the bytes of a partial match at EOF', () => {
    expect(until('abcXYZX', [1000], 'XYZXY', false, [])).toEqual(['closed:abc'])
  })

  it('gives the same results however the data is segmented', () => {
    const cases: [string, string, boolean, number[]][] = [
      ['line1\r\nline2\n\nabc--bound--def--bou--nd--x-boundary-y--bound--tail', '--bound--', false, [4]],
      ['line1\r\nline2\n\nabc--bound--def--bou--nd--x-boundary-y--bound--tail', '--bound--', true, [3, 0]],
      ['aXYaaaaXYbbbbbbbbbbXYz', 'XY', false, [3, 0]],
      ['xabababcyyyababcababab', 'ababc', false, [2]],
      ['aaaaabaaaab', 'aaab', false, [1, 2, 0]],
      ['--------', '---', true, [2]],
    ]
    let seed = 12345
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed
    }
    for (const [data, pat, incl, sizes] of cases) {
      const whole = until(data, [data.length], pat, incl, sizes, 40)
      expect(until(data, new Array<number>(data.length).fill(1), pat, incl, sizes, 40)).toEqual(whole)
      for (let k = 0; k < 20; k++) {
        const segs = Array.from({ length: data.length }, () => 1 + (rand() % 5))
        expect(until(data, segs, pat, incl, sizes, 40)).toEqual(whole)
      }
    }
  })
})
