// Receive patterns against real peers: every pattern must give the same results whether the
// peer sends its data in one write or one byte at a time. The expected values are what the
// reference OpenResty answered to the same Lua calls on the same data (see cosocket.md).
import { afterEach, describe, expect, it } from 'vitest'
import { tcp } from '../src/socket-tcp.ts'
import type { ReceiveResult, TcpSocket } from '../src/socket-tcp.ts'
import { payloadPeer, TestOwner } from './fixtures/cosocket-peers.ts'
import type { Peer } from './fixtures/cosocket-peers.ts'

const owners: TestOwner[] = []
const peers: Peer[] = []
afterEach(async () => {
  for (const o of owners.splice(0)) o.end()
  for (const p of peers.splice(0)) await p.close()
})

async function open(mode: 'bulk' | 'drip', data: string): Promise<TcpSocket> {
  const peer = await payloadPeer(mode, data)
  peers.push(peer)
  const owner = new TestOwner()
  owners.push(owner)
  const s = tcp(owner)
  s.setTimeout(2000)
  const r = await s.connect('127.0.0.1', peer.port)
  expect(r).toEqual({ ok: true, value: 1 })
  return s
}

/** A result the way the reference test printed it: `"data"`, `nil`, `nil,err,"partial"`. */
function fmt(r: ReceiveResult<string | undefined>): string {
  if (r.ok) return r.value === undefined ? 'nil' : JSON.stringify(r.value)
  return `nil,${r.err}${r.partial !== undefined ? `,${JSON.stringify(r.partial)}` : ''}`
}

const PAYLOAD = 'line1\r\nline2\n\nabc--bound--def--bou--nd--x-boundary-y--bound--tail'

describe.each(['bulk', 'drip'] as const)('receive patterns, peer sending %s', (mode) => {
  it('reads lines, counts, receiveuntil and *a in sequence on one connection', async () => {
    const s = await open(mode, PAYLOAD)
    const got: string[] = []
    got.push(fmt(await s.receive()))
    got.push(fmt(await s.receive('*l')))
    got.push(fmt(await s.receive('*l')))
    got.push(fmt(await s.receive(3)))
    got.push(fmt(await s.receive(2)))
    got.push(fmt(await s.receiveUntil('--bound--')()))
    const incl = s.receiveUntil('--', { inclusive: true })
    got.push(fmt(await incl()))
    got.push(fmt(await incl()))
    got.push(fmt(await s.receive('*a')))
    got.push(fmt(await s.receive(3)))
    expect(got).toEqual([
      '"line1"', '"line2"', '""', '"abc"', '"--"', '"bound--def--bou--nd--x-boundary-y"',
      'nil,closed,"tail"', 'nil,closed', 'nil,closed', 'nil,closed',
    ])
    expect(s.close()).toEqual({ ok: false, err: 'closed' })
  })

  it('a byte count beyond the data fails with closed and the partial data', async () => {
    const s = await open(mode, PAYLOAD)
    expect(fmt(await s.receive(100))).toBe(`nil,closed,${JSON.stringify(PAYLOAD)}`)
  })

  it('receiveuntil without a match fails with closed and everything read', async () => {
    const s = await open(mode, PAYLOAD)
    expect(fmt(await s.receiveUntil('nomatch')())).toBe(`nil,closed,${JSON.stringify(PAYLOAD)}`)
  })

  it('receiveuntil(size) cuts the same chunks as the reference', async () => {
    const s = await open(mode, PAYLOAD)
    const it4 = s.receiveUntil('--bound--')
    const got: string[] = []
    for (let i = 0; i < 12; i++) got.push(fmt(await it4(4)))
    expect(got).toEqual([
      '"line"', '"1\\r\\nl"', '"ine2"', '"\\n\\nab"', '"c"', 'nil', '"def--bou"', '"--nd"', '"--x-"',
      '"boun"', '"dary"', '"-y"',
    ])
  })

  it('*l at EOF without LF fails with the partial line, then closed', async () => {
    const s = await open(mode, PAYLOAD)
    const got: string[] = []
    for (let i = 0; i < 6; i++) got.push(fmt(await s.receive()))
    expect(got).toEqual([
      '"line1"', '"line2"', '""', `nil,closed,"abc--bound--def--bou--nd--x-boundary-y--bound--tail"`,
      'nil,closed', 'nil,closed',
    ])
  })

  it('*l drops every CR of the line', async () => {
    const s = await open(mode, 'a\rb\r\r\nc\r\r\n\rd\n')
    const got = [fmt(await s.receive()), fmt(await s.receive()), fmt(await s.receive())]
    expect(got).toEqual(['"ab"', '"c"', '"d"'])
  })

  it('*a returns everything at EOF, then "" again; receive(0) is ""', async () => {
    const s = await open(mode, 'hello')
    expect(fmt(await s.receive('*a'))).toBe('"hello"')
    expect(fmt(await s.receive('*a'))).toBe('""')
    expect(fmt(await s.receive(0))).toBe('""')
    expect(fmt(await s.receive())).toBe('nil,closed,""')
    expect(fmt(await s.receive('*a'))).toBe('nil,closed')
  })

  it('receiveany returns what is there, then closed at EOF', async () => {
    const s = await open(mode, 'hello')
    let all = ''
    for (;;) {
      const r = await s.receiveAny(3)
      if (!r.ok) {
        expect(fmt(r)).toBe('nil,closed,""')
        break
      }
      expect(r.value.length).toBeGreaterThan(0)
      expect(r.value.length).toBeLessThanOrEqual(3)
      all += r.value
    }
    expect(all).toBe('hello')
  })

  // [label, data, pattern, inclusive, sizes (0 = no size), what the reference returned]
  const UNTIL: readonly (readonly [string, string, string, boolean, readonly number[], string])[] = [
    ['basic', 'aaXYbbXYcc', 'XY', false, [], '"aa" | "bb" | nil,closed,"cc"'],
    ['incl', 'aaXYbbXYcc', 'XY', true, [], '"aaXY" | "bbXY" | nil,closed,"cc"'],
    ['start', 'XYbb', 'XY', false, [], '"" | nil,closed,"bb"'],
    ['start sized', 'XYbb', 'XY', false, [4], '"" | nil | nil,closed,"bb"'],
    ['incl sized', 'aaaaaXYbbXYcc', 'XY', true, [2], '"aa" | "aa" | "aXY" | nil | "bb" | "XY" | nil | "cc" | nil,closed,""'],
    ['sized', 'aaaaaXYbbXYcc', 'XY', false, [2], '"aa" | "aa" | "a" | nil | "bb" | "" | nil | "cc" | nil,closed,""'],
    ['pending at eof', 'abcXYZX', 'XYZXY', false, [], 'nil,closed,"abc"'],
    ['pending at eof sized', 'abcXYZX', 'XYZXY', false, [2], '"ab" | nil,closed,"c"'],
    ['one char', 'a,b,,c', ',', false, [], '"a" | "b" | "" | nil,closed,"c"'],
    ['one char sized', 'abcdef,gh', ',', false, [2], '"ab" | "cd" | "ef" | "" | nil | "gh" | nil,closed,""'],
    ['overlap', 'aaab', 'aab', false, [], '"a" | nil,closed,""'],
    ['overlap2', 'abababc-ababc', 'ababc', false, [], '"ab" | "-" | nil,closed,""'],
    ['overlap2 sized', 'xabababcyyyababc', 'ababc', false, [1], '"x" | "ab" | "" | nil | "y" | "y" | "y" | "" | nil | nil,closed,""'],
    ['overlap2 incl', 'abababc-ababc', 'ababc', true, [], '"abababc" | "-ababc" | nil,closed,""'],
    ['repeat', 'aaaaa', 'aa', false, [], '"" | "" | nil,closed,""'],
    ['sized 3', 'aXYaaaaXYbbbbbbbbbbXYz', 'XY', false, [3], '"a" | nil | "aaa" | "a" | nil | "bbb" | "bbb" | "bbb" | "b" | nil'],
    ['sized mixed', 'aXYaaaaXYbbbbbbbbbbXYz', 'XY', false, [3, 0], '"a" | nil | "aaa" | "a" | "bbb" | "bbbbbbb" | nil,closed,"z"'],
    ['crlf', 'abc\r\n\r\ndef\r\n\r\n', '\r\n\r\n', false, [], '"abc" | "def" | nil,closed,""'],
    ['dashes', 'x--bou--nd--y--bound--', '--bound--', false, [4], '"x--bou" | "--nd" | "--y" | nil | nil,closed,""'],
    ['dashes1', 'x--bou--nd--y--bound--', '--bound--', false, [1], '"x" | "--bou" | "--" | "n" | "d" | "--" | "y" | "" | nil | nil,closed,""'],
    ['dashes100', 'x--bou--nd--y--bound--z', '--bound--', false, [100], '"x--bou--nd--y" | nil | nil,closed,"z"'],
  ]

  it.each(UNTIL)('receiveuntil %s', async (_label, data, pattern, inclusive, sizes, expected) => {
    const s = await open(mode, data)
    const iter = s.receiveUntil(pattern, { inclusive })
    const out: string[] = []
    for (let i = 0; i < 10; i++) {
      const size = sizes.length === 0 ? 0 : sizes[i % sizes.length]!
      const r = size > 0 ? await iter(size) : await iter()
      out.push(fmt(r))
      if (!r.ok) break
    }
    expect(out.join(' | ')).toBe(expected)
  })
})
