import { describe, expect, it } from 'vitest'
import { decodeArgs, decodeUriArgs, encodeArgs } from './args.ts'
import type { Args, DecodeArgsResult } from './args.ts'

/** A plain copy, since the results have no prototype. */
const plain = (r: DecodeArgsResult): { args: Args; truncated: boolean } => ({ args: { ...r.args }, truncated: r.truncated })

describe.each([
  ['decodeArgs', decodeArgs],
  ['decodeUriArgs', decodeUriArgs],
])('%s shared rules', (_name, decode) => {
  it.each([
    // reference: OpenResty answers these for both ngx.decode_args and ngx.req.get_uri_args
    ['a=1&a=2&b', { a: ['1', '2'], b: true }],
    ['foo', { foo: true }],
    ['foo=', { foo: '' }],
    ['=bar', {}],
    ['&&', {}],
    ['a&=x', { a: true }],
    ['a=1&&b=2', { a: '1', b: '2' }],
    ['a+b=c+d&%41=%42', { 'a b': 'c d', A: 'B' }],
    ['a=1=2', { a: '1=2' }],
    ['a&a=1&a', { a: [true, '1', true] }],
    ['=', {}],
    ['&=&', {}],
    ['x=%zz', { x: '%zz' }],
    ['a=&a', { a: ['', true] }],
    ['a=b&A=c', { a: 'b', A: 'c' }],
    ['a%3Db=c', { 'a=b': 'c' }],
    ['a=%2B+b&c=%e9', { a: '+ b', c: '\u00e9' }],
    ['', {}],
  ])('decodes %j', (query, expected) => {
    expect(plain(decode(query))).toEqual({ args: expected, truncated: false })
  })

  it('gives __proto__ no special meaning', () => {
    // reference: OpenResty answers [__proto__]=[1]
    const { args } = decode('__proto__=1&constructor=2')
    expect(Object.getPrototypeOf(args)).toBeNull()
    expect(args['__proto__']).toBe('1')
    expect(args['constructor']).toBe('2')
  })

  it('stops at 100 arguments by default and has no limit with 0', () => {
    // reference: OpenResty keeps 100 of 101 and says "truncated"; with 0 it keeps all 101
    const q = Array.from({ length: 101 }, (_, i) => `k${i + 1}=${i + 1}`).join('&')
    const r = decode(q)
    expect(Object.keys(r.args)).toHaveLength(100)
    expect(r.truncated).toBe(true)
    expect(r.args['k101']).toBeUndefined()
    const all = decode(q, 0)
    expect(Object.keys(all.args)).toHaveLength(101)
    expect(all.truncated).toBe(false)
    expect(decode(q.slice(0, q.lastIndexOf('&'))).truncated).toBe(false)
  })

  it('reads a fractional max as its integer part', () => {
    expect(plain(decode('a&b&c&d', 2.5))).toEqual({ args: { a: true, b: true }, truncated: true })
  })
})

describe('decodeArgs (ngx.decode_args, ngx.req.get_post_args)', () => {
  it.each([
    // reference: OpenResty's ngx.decode_args(q, 2) answers these
    ['a=1&b=2', { a: '1', b: '2' }, false],
    ['a=1&b=2&c=3', { a: '1', b: '2' }, true],
    ['a=1&b=2&', { a: '1', b: '2' }, true],
    ['a=1&b=2&&', { a: '1', b: '2' }, true],
    ['a=1&a=2&a=3', { a: ['1', '2'] }, true],
    ['=x&&a=1&b=2', {}, true],
    ['=x&=y&a=1&b=2', {}, true],
    ['&&&a=1&b=2', {}, true],
    ['a&b', { a: true, b: true }, false],
    ['a&b&', { a: true, b: true }, true],
  ])('counts every "&"-ended segment toward max: %j with max 2', (query, args, truncated) => {
    expect(plain(decodeArgs(query, 2))).toEqual({ args, truncated })
  })

  it('treats a negative max as no limit', () => {
    // reference: OpenResty's ngx.decode_args(q, -1) keeps all 101 args
    const q = Array.from({ length: 101 }, (_, i) => `k${i}`).join('&')
    expect(decodeArgs(q, -1).truncated).toBe(false)
    expect(Object.keys(decodeArgs(q, -1).args)).toHaveLength(101)
  })
})

describe('decodeUriArgs (ngx.req.get_uri_args)', () => {
  it.each([
    // reference: OpenResty's ngx.req.get_uri_args(2) answers these
    ['a=1&b=2', 2, { a: '1', b: '2' }, false],
    ['a=1&b=2&c=3', 2, { a: '1', b: '2' }, true],
    ['a=1&b=2&', 2, { a: '1', b: '2' }, true],
    ['=x&&a=1&b=2', 2, { a: '1', b: '2' }, true],
    ['=x&=y&a=1&b=2', 2, { a: '1', b: '2' }, true],
    ['&&&a=1&b=2', 2, { a: '1', b: '2' }, true],
    ['a=1&a=2&a=3', 2, { a: ['1', '2'] }, true],
    // reference: OpenResty's ngx.req.get_uri_args(3) answers these
    ['=x&&a=1&b=2&c=3', 3, { a: '1', b: '2', c: '3' }, true],
    ['a=1&&&', 3, { a: '1' }, true],
    ['a&&', 3, { a: true }, false],
    ['&', 3, {}, false],
  ])('truncates when %j has more segments than max %i, keeping max non-empty keys', (query, max, args, truncated) => {
    expect(plain(decodeUriArgs(query, max))).toEqual({ args, truncated })
  })

  it('treats a negative max as the default 100', () => {
    // reference: OpenResty's ngx.req.get_uri_args(-1) truncates 101 args
    const q = Array.from({ length: 101 }, (_, i) => `k${i}=1`).join('&')
    expect(decodeUriArgs(q, -1).truncated).toBe(true)
  })
})

describe('encodeArgs', () => {
  it('escapes keys and values as escape_uri component mode does', () => {
    // reference: OpenResty answers a%20b=c%26d%3D%C3%A9, %C3%A9%20k=%E2%82%AC, a=~!*()'
    expect(encodeArgs({ 'a b': 'c&d=é' })).toBe('a%20b=c%26d%3D%C3%A9')
    expect(encodeArgs({ 'é k': '€' })).toBe('%C3%A9%20k=%E2%82%AC')
    expect(encodeArgs({ a: "~!*()'" })).toBe("a=~!*()'")
    expect(encodeArgs({ a: '', '': 'x' })).toBe('a=&=x')
    expect(encodeArgs({})).toBe('')
  })

  it('renders numbers as Lua tostring does', () => {
    // reference: OpenResty answers a=1.5, a=nan, a=1e%2B15, a=-0
    expect(encodeArgs({ a: 1.5 })).toBe('a=1.5')
    expect(encodeArgs({ a: 0 / 0 })).toBe('a=nan')
    expect(encodeArgs({ a: 1e15 })).toBe('a=1e%2B15')
    expect(encodeArgs({ a: -0 })).toBe('a=-0')
    expect(encodeArgs({ a: 10n })).toBe('a=10')
  })

  it('writes true as the bare key and leaves out false, undefined and empty arrays', () => {
    // reference: OpenResty answers "a", "", "b=1" for {a=true}, {a=false}, {a={}, b=1}
    expect(encodeArgs({ a: true })).toBe('a')
    expect(encodeArgs({ a: false })).toBe('')
    expect(encodeArgs({ a: [], b: 1 })).toBe('b=1')
    expect(encodeArgs({ a: false, b: 1 })).toBe('b=1')
    expect(encodeArgs({ a: [false], b: 1 })).toBe('b=1')
    expect(encodeArgs({ a: undefined, b: 'x' })).toBe('b=x')
  })

  it('repeats the key for each array element', () => {
    // reference: OpenResty answers a=1&a=x%20y&a for {a={1,"x y",true,false}}, a=1&a=3 for {1,nil,3}
    expect(encodeArgs({ a: [1, 'x y', true, false] })).toBe('a=1&a=x%20y&a')
    expect(encodeArgs({ a: [1, undefined, 3] })).toBe('a=1&a=3')
    expect(encodeArgs({ a: { x: 1 } })).toBe('a=1')
    expect(encodeArgs({ a: new Uint8Array([0xff, 0x41]) })).toBe('a=%FFA')
  })

  it("throws ngx's message for values that cannot be query args", () => {
    // reference: OpenResty raises "attempt to use table|userdata|function as query arg value"
    expect(() => encodeArgs({ a: [[]] })).toThrow('attempt to use table as query arg value')
    expect(() => encodeArgs({ a: [1, {}] })).toThrow('attempt to use table as query arg value')
    expect(() => encodeArgs({ a: null })).toThrow('attempt to use userdata as query arg value')
    expect(() => encodeArgs({ a: () => 1 })).toThrow('attempt to use function as query arg value')
    expect(() => encodeArgs({ a: [null] })).toThrow('attempt to use userdata as query arg value')
  })

  it('round-trips through decodeArgs', () => {
    const args = { a: ['1', 'x y'], 'k&=': 'v%+', b: true, c: 'é' }
    expect({ ...decodeArgs(encodeArgs(args)).args }).toEqual(args)
  })
})
