import { describe, expect, it } from 'vitest'
import { RequestHeaders } from './req-headers.ts'
import { lookupHeader } from './resp-headers.ts'

const RAW = [
  'Host', 'x', 'X-Foo', 'a', 'x-foo', 'b', 'Cookie', 'c=1', 'cookie', 'd=2',
  'X-Forwarded-For', '1.1.1.1', 'X-Forwarded-For', '2.2.2.2', 'User-Agent', 'u1', 'User-Agent', 'u2',
  'Foo_Bar', 'under', 'Referer', 'r1', 'Referer', 'r2', 'X-Empty', '', 'Connection', 'close',
]

describe('RequestHeaders.get ($http_NAME)', () => {
  it('takes the first of repeated headers, joining Cookie with "; " and X-Forwarded-For with ", "', () => {
    // reference: foo=a cookie="c=1; d=2" xff="1.1.1.1, 2.2.2.2" ua=u1 ref=r1
    const h = new RequestHeaders(RAW)
    expect(h.get('x_foo')).toBe('a')
    expect(h.get('cookie')).toBe('c=1; d=2')
    expect(h.get('x_forwarded_for')).toBe('1.1.1.1, 2.2.2.2')
    expect(h.get('user_agent')).toBe('u1')
    expect(h.get('referer')).toBe('r1')
    expect(h.get('x_empty')).toBe('')
    expect(h.get('x_none')).toBeUndefined()
  })

  it('ignores case and reads - and _ as the same', () => {
    const h = new RequestHeaders(RAW)
    expect(h.get('X-FOO')).toBe('a')
    expect(h.get('User_Agent')).toBe('u1')
  })

  it('drops names with _ or other characters nginx finds invalid', () => {
    // reference: "Foo_Bar: under", "X.Dot", "X!Bang", "X'q", "X~t" are not seen by $http_ or get_headers
    const h = new RequestHeaders(['Foo_Bar', 'under', 'X.Dot', '1', 'X!Bang', '2', 'X-OK9', '5'])
    expect(h.get('foo_bar')).toBeUndefined()
    expect({ ...h.getAll(0, true).headers }).toEqual({ 'X-OK9': '5' })
    expect(h.raw()).toEqual(['X-OK9', '5'])
  })

  it('keeps them with underscoresInHeaders or without ignoreInvalidHeaders', () => {
    expect(new RequestHeaders(['Foo_Bar', 'u'], { underscoresInHeaders: true }).get('foo_bar')).toBe('u')
    expect(new RequestHeaders(['X.Dot', '1'], { ignoreInvalidHeaders: false }).raw()).toEqual(['X.Dot', '1'])
  })
})

describe('RequestHeaders.getAll (ngx.req.get_headers)', () => {
  it('lower-cases keys and turns repeats into arrays in arrival order', () => {
    // reference: connection=close cookie={c=1,d=2} host=x referer={r1,r2} user-agent={u1,u2}
    // x-empty= x-foo={a,b} x-forwarded-for={1.1.1.1,2.2.2.2}
    const { headers, truncated } = new RequestHeaders(RAW).getAll()
    expect({ ...headers }).toEqual({
      host: 'x', 'x-foo': ['a', 'b'], cookie: ['c=1', 'd=2'], 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
      'user-agent': ['u1', 'u2'], referer: ['r1', 'r2'], 'x-empty': '', connection: 'close',
    })
    expect(truncated).toBe(false)
    expect(Object.getPrototypeOf(headers)).toBeNull()
    expect(lookupHeader(headers, 'X_FOO')).toEqual(['a', 'b'])
  })

  it('keeps names as received when raw, so different cases are different keys', () => {
    // reference: get_headers(0, true) has Cookie=c=1 and cookie=d=2, X-Foo=a and x-foo=b
    const { headers } = new RequestHeaders(RAW).getAll(0, true)
    expect(headers['X-Foo']).toBe('a')
    expect(headers['x-foo']).toBe('b')
    expect(headers['Cookie']).toBe('c=1')
    expect(headers['User-Agent']).toEqual(['u1', 'u2'])
  })

  it('counts lines toward max and reports truncation', () => {
    // reference: get_headers(3) gives host=x x-foo={a,b} and "truncated"
    const r = new RequestHeaders(RAW).getAll(3)
    expect({ ...r.headers }).toEqual({ host: 'x', 'x-foo': ['a', 'b'] })
    expect(r.truncated).toBe(true)
  })

  it('reads a negative max as 100', () => {
    // reference: 113 headers and get_headers(-5) give 100 lines and "truncated"
    const raw: string[] = []
    for (let i = 0; i < 113; i++) raw.push(`X-R${i}`, 'v')
    const r = new RequestHeaders(raw).getAll(-5)
    expect(Object.keys(r.headers)).toHaveLength(100)
    expect(r.truncated).toBe(true)
    expect(Object.keys(new RequestHeaders(raw).getAll(0).headers)).toHaveLength(113)
  })
})

describe('RequestHeaders.set / add / clear', () => {
  const START = [
    'X-Foo', 'a', 'x-foo', 'b', 'X-Mid', 'm', 'X-Bar', 'b0', 'X-Three', '1', 'X-Three', '2', 'X-Three', '3',
    'X-Baz', 'z1', 'X-Del', 'd', 'x-del', 'd2', 'X-Last', 'l',
  ]

  it('replaces the first header in place, drops the others, and appends the rest', () => {
    // reference (proxied order): X-Foo: F, X-Bar: b1, X-Three: t1, X-Baz: z1, X-Last: l, x_foo: S,
    // New-Hdr: n1, New-Hdr: n2, x-bar: b2, X-Baz: z2, x-baz: z3, x-baz: 4, X-Mid: again
    const h = new RequestHeaders(START)
    h.set('x_foo', 'S')
    h.set('X-FOO', 'F')
    h.set('New-Hdr', ['n1', 'n2'])
    h.set('x-bar', ['b1', 'b2'])
    h.add('X-Baz', 'z2')
    h.add('x-baz', ['z3', 4])
    h.clear('X-Del')
    h.set('X-Mid', undefined)
    h.set('X-Mid', 'again')
    h.set('X-Three', ['t1'])
    expect(h.raw()).toEqual([
      'X-Foo', 'F', 'X-Bar', 'b1', 'X-Three', 't1', 'X-Baz', 'z1', 'X-Last', 'l', 'x_foo', 'S',
      'New-Hdr', 'n1', 'New-Hdr', 'n2', 'x-bar', 'b2', 'X-Baz', 'z2', 'x-baz', 'z3', 'x-baz', '4',
      'X-Mid', 'again',
    ])
    expect(h.get('x_foo')).toBe('F')
  })

  it('replaces only the first of a single-value builtin, even on add', () => {
    // reference: two User-Agent lines; set_header("user-agent", "U") sends "User-Agent: U", "User-Agent: u2";
    // set_header("user-agent", {"A", "B"}) keeps "B"; set("referer", "R") then ("Referer", "R2") sends "referer: R2"
    const h = new RequestHeaders(['User-Agent', 'u1', 'User-Agent', 'u2', 'Accept', 'a'])
    h.set('user-agent', 'U')
    expect(h.raw()).toEqual(['User-Agent', 'U', 'User-Agent', 'u2', 'Accept', 'a'])
    h.set('user-agent', ['A', 'B'])
    h.add('User-Agent', 'C')
    h.set('referer', 'R')
    h.set('Referer', 'R2')
    h.set('accept', ['a1', 'a2'])
    expect(h.raw()).toEqual(['User-Agent', 'C', 'User-Agent', 'u2', 'Accept', 'a1', 'referer', 'R2', 'accept', 'a2'])
    expect(h.get('user_agent')).toBe('C')
  })

  it('clears every line of a name, builtin or not', () => {
    // reference: clear_header("user-agent") with two User-Agent lines leaves none
    const h = new RequestHeaders(['User-Agent', 'u1', 'X-A', 'a', 'User-Agent', 'u2'])
    h.clear('user-agent')
    h.set('X-A', '')
    expect(h.raw()).toEqual([])
    expect(h.get('user_agent')).toBeUndefined()
  })

  it('appends an empty line on add, and a builtin add of "" also empties the old line', () => {
    // reference: add("X-A", ""), add("Referer", ""), set("Accept", {"", "x"}) sends
    // X-A: a, Referer: (empty), X-A: (empty), Referer: (empty), Accept: x
    const h = new RequestHeaders(['X-A', 'a', 'Referer', 'r', 'Accept', 'a'])
    h.add('X-A', '')
    h.add('Referer', '')
    h.set('Accept', ['', 'x'])
    expect(h.raw()).toEqual(['X-A', 'a', 'Referer', '', 'X-A', '', 'Referer', '', 'Accept', 'x'])
  })

  it('escapes control characters and renders numbers and booleans', () => {
    // reference: X-Crlf=a%0D%0Ab X-Ctl=a%01\tb%7F X%3AY%20Z=v X-Num=1.5 X-Bool=true
    const h = new RequestHeaders([])
    h.set('X-Crlf', 'a\r\nb')
    h.set('X-Ctl', 'a\x01\tb\x7f')
    h.set('X:Y Z', 'v')
    h.set('X-Num', 1.5)
    h.set('X-Bool', true)
    expect(h.raw()).toEqual(['X-Crlf', 'a%0D%0Ab', 'X-Ctl', 'a%01\tb%7F', 'X%3AY%20Z', 'v', 'X-Num', '1.5', 'X-Bool', 'true'])
  })

  it('throws ngx_lua\'s messages for add without a value', () => {
    // reference: add_header("X-Q", nil) and add_header("X-Q", {}) raise these
    const h = new RequestHeaders([])
    expect(() => h.add('X-Q', undefined)).toThrow("bad 'value' argument: string or table expected, got nil")
    expect(() => h.add('X-Q', [])).toThrow("bad 'value' argument: non-empty table expected")
  })

  it('rejects a Content-Length that is not a plain number', () => {
    // reference: "12" and "0" pass; "-1", " 12", "1.5", "99999999999999999999", "v1" raise "failed to set header"
    const h = new RequestHeaders([])
    h.set('Content-Length', '12')
    h.set('Content-Length', 0)
    expect(h.get('content_length')).toBe('0')
    for (const v of ['-1', ' 12', '1.5', '99999999999999999999', 'v1']) {
      expect(() => h.set('Content-Length', v)).toThrow('failed to set header')
    }
    h.set('Content-Length', '9223372036854775807')
    h.set('Content-Length', '00000000000000000000000001') // reference: accepted
    expect(() => h.set('Content-Length', '9223372036854775808')).toThrow('failed to set header')
  })

  it('rejects a Host with a slash or two dots in a row', () => {
    // reference: "a b", "[::1]:80", "UP.Case:8080", "a\0b" (escaped), ".dot." pass; "bad/host", "x..y" fail
    const h = new RequestHeaders(['Host', 'x'])
    for (const v of ['ok.com', 'a b', '[::1]:80', 'UP.Case:8080', 'a\0b', '.dot.']) h.set('Host', v)
    expect(h.get('host')).toBe('.dot.')
    for (const v of ['bad/host', 'x..y', ':80', '.']) expect(() => h.set('Host', v)).toThrow('failed to set header')
  })

  it('leaves the input array untouched', () => {
    const raw = ['X-A', 'a']
    const h = new RequestHeaders(raw)
    h.set('X-A', 'b')
    expect(raw).toEqual(['X-A', 'a'])
    expect(h.raw()).toEqual(['X-A', 'b'])
  })
})

describe('RequestHeaders.cookie ($cookie_NAME)', () => {
  const cases: Array<[string, string | undefined]> = [
    // reference: $cookie_a for each Cookie value
    ['A=1', '1'], ['a =1', '1'], ['a= 1', '1'], ['xa=1; a=2', '2'], ['xa=1;a=2', '2'], ['a=1,b=2', '1,b=2'],
    ['b=1,a=2', '2'], ['a', undefined], ['a=', ''], ['a; a=3', undefined], ['b=a=1; a=4', '4'],
    ['ab=1', undefined], ['a=1;;a=2', '1'], ['b="x;a=5"', '5"'], ['b=1, a=6', '6'],
  ]
  for (const [value, want] of cases) {
    it(`finds ${JSON.stringify(want)} for a in ${JSON.stringify(value)}`, () => {
      expect(new RequestHeaders(['Cookie', value]).cookie('a')).toBe(want)
    })
  }

  it('searches every Cookie header and matches the name without case', () => {
    // reference: Cookie: b=1 + Cookie: a=7 → 7; $cookie_a_b and $cookie_a-b are taken literally
    expect(new RequestHeaders(['Cookie', 'b=1', 'cookie', 'a=7']).cookie('a')).toBe('7')
    expect(new RequestHeaders(['Cookie', 'a_b=8']).cookie('a_b')).toBe('8')
    expect(new RequestHeaders(['Cookie', 'a-b=9']).cookie('a-b')).toBe('9')
    expect(new RequestHeaders(['Cookie', 'a=10']).cookie('A')).toBe('10')
  })

  it('sees cookies changed by set and add', () => {
    // reference: set_header("Cookie", "k=v") + add_header("Cookie", "k2=v2") → cookie "k=v; k2=v2"
    const h = new RequestHeaders(['Cookie', 'c=1'])
    h.set('Cookie', 'k=v')
    h.add('Cookie', 'k2=v2')
    expect(h.get('cookie')).toBe('k=v; k2=v2')
    expect(h.cookie('k2')).toBe('v2')
    expect(h.cookie('c')).toBeUndefined()
  })
})

describe('RequestHeaders.rawHeader (ngx.req.raw_header)', () => {
  it('gives the received lines, invalid ones too, ending with an empty line', () => {
    // reference: raw_header() includes "Foo_Bar: under" and does not show set_header changes
    const h = new RequestHeaders(['Host', 'x', 'Foo_Bar', 'under'])
    h.set('Host', 'y')
    expect(h.rawHeader('GET /t HTTP/1.1')).toBe('GET /t HTTP/1.1\r\nHost: x\r\nFoo_Bar: under\r\n\r\n')
    expect(h.rawHeader()).toBe('Host: x\r\nFoo_Bar: under\r\n\r\n')
  })
})
