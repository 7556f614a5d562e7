import { describe, expect, it } from 'vitest'
import { escapeHeaderName, escapeHeaderValue, lookupHeader, ResponseHeaders } from './resp-headers.ts'

function sent(h: ResponseHeaders): string[] {
  const out: string[] = []
  h.writeTo(out)
  return out
}

describe('ResponseHeaders names', () => {
  it('sends a name as it was given, with _ turned into -', () => {
    // reference: OpenResty sends "foo-bar: 1", "X-My-Header: 1", "X-CASE: c"
    const h = new ResponseHeaders()
    h.set('foo_bar', 1)
    h.set('X-My-Header', 1)
    h.set('X_CASE', 'c')
    expect(sent(h)).toEqual(['foo-bar', '1', 'X-My-Header', '1', 'X-CASE', 'c'])
  })

  it('always sends Content-Type under that name, before the other headers', () => {
    // reference: ngx.header.content_type = "text/x" is sent as "Content-Type: text/x"
    const h = new ResponseHeaders()
    h.set('X-A', 'a')
    h.set('content_type', 'text/x')
    expect(sent(h)).toEqual(['Content-Type', 'text/x', 'X-A', 'a'])
    expect(h.get('CONTENT-TYPE')).toBe('text/x')
  })

  it('keeps the first name and place of a header when it is set again', () => {
    // reference: x_foo=1, X_FOO=2 sends "x-foo: 2"; Z-Order1 keeps its place before Z-Order2
    const h = new ResponseHeaders()
    h.set('x_foo', 1)
    h.set('Z-Order1', '1')
    h.set('Z-Order2', '2')
    h.set('X_FOO', 2)
    h.set('Z-Order1', '3')
    expect(sent(h)).toEqual(['x-foo', '2', 'Z-Order1', '3', 'Z-Order2', '2'])
  })

  it('gives a single-value builtin the name of its latest set', () => {
    // reference: Server=a then server=b sends "server: b"; Expires then EXPIRES sends "EXPIRES: b"
    const h = new ResponseHeaders()
    h.set('Server', 'a')
    h.set('Expires', 'a')
    h.set('server', 'b')
    h.set('EXPIRES', 'b')
    expect(sent(h)).toEqual(['server', 'b', 'EXPIRES', 'b'])
  })

  it('keeps underscores when transformUnderscores is off', () => {
    const h = new ResponseHeaders(false)
    h.set('foo_bar', 'x')
    expect(sent(h)).toEqual(['foo_bar', 'x'])
    expect(h.get('foo-bar')).toBeUndefined()
    expect(h.get('FOO_BAR')).toBe('x')
  })
})

describe('ResponseHeaders values', () => {
  it('renders numbers with Lua tostring() and booleans as words', () => {
    // reference: 3.5, true, false, 0/-1, 0/0, 2^53, 1/0 send "3.5" "true" "false" "-0" "nan" "9.007199254741e+15" "inf"
    const h = new ResponseHeaders()
    const values = [3.5, true, false, -0, NaN, 2 ** 53, Infinity]
    values.forEach((v, i) => h.set(`x-${i}`, v))
    expect(values.map((_, i) => h.get(`x-${i}`))).toEqual(['3.5', 'true', 'false', '-0', 'nan', '9.007199254741e+15', 'inf'])
  })

  it('sends an array as repeated lines and reads it back as an array', () => {
    // reference: ngx.header.x_multi = {"a", "b", 3} sends three x-multi lines
    const h = new ResponseHeaders()
    h.set('x_multi', ['a', 'b', 3])
    expect(sent(h)).toEqual(['x-multi', 'a', 'x-multi', 'b', 'x-multi', '3'])
    expect(h.get('X-Multi')).toEqual(['a', 'b', '3'])
  })

  it('keeps only the last value of a single-value header', () => {
    // reference: {"1", "2"} sends one line "2" for each of these; Cache-Control, Link, Vary, Age keep both
    const single = ['Server', 'Date', 'Content-Encoding', 'Location', 'Refresh', 'Last-Modified',
      'Content-Range', 'Accept-Ranges', 'WWW-Authenticate', 'Expires', 'ETag', 'Content-Length', 'Content-Type']
    const h = new ResponseHeaders()
    for (const n of [...single, 'Cache-Control', 'Link', 'Vary', 'Age']) h.set(n, ['1', '2'])
    for (const n of single) expect(h.get(n)).toBe('2')
    for (const n of ['Cache-Control', 'Link', 'Vary', 'Age']) expect(h.get(n)).toEqual(['1', '2'])
  })

  it('overrides a repeated header in place with the first value and appends the rest', () => {
    // reference: C-1={"x","y"}, D-1="d", c-1={"z","w","v"} sends C-1: z, D-1: d, c-1: w, c-1: v
    const h = new ResponseHeaders()
    h.set('C-1', ['x', 'y'])
    h.set('D-1', 'd')
    h.set('c-1', ['z', 'w', 'v'])
    expect(sent(h)).toEqual(['C-1', 'z', 'D-1', 'd', 'c-1', 'w', 'c-1', 'v'])
  })

  it('removes on undefined, null, [] and "", and skips empty values in an array', () => {
    // reference: X-K="" is not sent and reads nil; {"", "a", ""} sends only "a"; {} removes
    const h = new ResponseHeaders()
    h.set('X-K', '')
    h.set('X-L', '1')
    h.set('X-L', '')
    h.set('X-L2', ['', 'a', ''])
    h.set('X-M', 'm')
    h.set('X-M', [])
    h.set('X-N', 'n')
    h.set('X-N', null)
    h.set('X-O', 'o')
    h.delete('x_o')
    expect(sent(h)).toEqual(['X-L2', 'a'])
    expect(h.get('X-K')).toBeUndefined()
    expect(h.get('X-L2')).toBe('a')
  })

  it('appends a header set again after removal, but a builtin gets its old place back', () => {
    // reference: A-1 removed and set again goes last; Content-Encoding, Cache-Control, Link and
    // an Expires first set to "" come back where they were
    const h = new ResponseHeaders()
    h.set('A-1', 'a')
    h.set('Content-Encoding', 'x')
    h.set('Link', ['a', 'b'])
    h.set('Expires', '')
    h.set('B-1', 'b')
    h.delete('A-1')
    h.delete('Content-Encoding')
    h.delete('Link')
    h.set('a-1', 'c')
    h.set('content-encoding', 'gz')
    h.set('link', ['x', 'y', 'z'])
    h.set('expires', 'e')
    expect(sent(h)).toEqual([
      'content-encoding', 'gz', 'Link', 'x', 'Link', 'y', 'expires', 'e', 'B-1', 'b', 'a-1', 'c', 'link', 'z',
    ])
  })

  it('escapes control characters in values, keeping tab and non-ASCII', () => {
    // reference: "a\r\nb" → "a%0D%0Ab", "a\0b" → "a%00b", "a\1b\127c\31" → "a%01b%7Fc%1F", tab kept
    expect(escapeHeaderValue('a\r\nb')).toBe('a%0D%0Ab')
    expect(escapeHeaderValue('a\0b')).toBe('a%00b')
    expect(escapeHeaderValue('a\x01b\x7fc\x1f')).toBe('a%01b%7Fc%1F')
    expect(escapeHeaderValue('a\tb é% "q"')).toBe('a\tb é% "q"')
    const h = new ResponseHeaders()
    h.set('Content-Type', 'a\r\nb')
    h.set('X-J', ['ok', 'a\r\nb'])
    expect(sent(h)).toEqual(['Content-Type', 'a%0D%0Ab', 'X-J', 'ok', 'X-J', 'a%0D%0Ab'])
  })

  it('escapes name bytes outside the token set, UTF-8 for non-ASCII', () => {
    // reference: "X:G" → "X%3AG", "X-é" → "X-%C3%A9", separators and controls escaped
    expect(escapeHeaderName('X:G')).toBe('X%3AG')
    expect(escapeHeaderName('X G')).toBe('X%20G')
    expect(escapeHeaderName('X\r\nI')).toBe('X%0D%0AI')
    expect(escapeHeaderName('X-é')).toBe('X-%C3%A9')
    expect(escapeHeaderName('X\x01\x7f\tP()<>@,;\\"/[]?={}'))
      .toBe('X%01%7F%09P%28%29%3C%3E%40%2C%3B%5C%22%2F%5B%5D%3F%3D%7B%7D')
    expect(escapeHeaderName("X!#$%&*+.^`|~-'Z")).toBe("X!#$%&*+.^`|~-'Z")
  })

  it('reads an escaped name only by its escaped form', () => {
    // reference: after ngx.header["X\nH"] = "v", ngx.header["X\nH"] is nil and ngx.header["X%0AH"] is "v"
    const h = new ResponseHeaders()
    h.set('X\nH', 'v')
    expect(h.get('X\nH')).toBeUndefined()
    expect(h.get('X%0AH')).toBe('v')
  })
})

describe('ResponseHeaders.add', () => {
  it('appends, while Content-Type and single-value builtins still replace', () => {
    // reference: Y-Add=1, add y-add 2, add {3, 4} sends four lines; add Server s2, s3 sends "Server: s3"
    const h = new ResponseHeaders()
    h.set('Y-Add', '1')
    h.add('y-add', '2')
    h.add('y-add', ['3', 4])
    h.add('Content-Type', 'text/y')
    h.add('Server', 's2')
    h.add('Server', 's3')
    h.add('X-E', [])
    expect(sent(h)).toEqual(['Content-Type', 'text/y', 'Y-Add', '1', 'y-add', '2', 'y-add', '3', 'y-add', '4', 'Server', 's3'])
  })

  it('throws "invalid header value" for nil', () => {
    // reference: require("ngx.resp").add_header("X-L", nil) raises "invalid header value"
    expect(() => new ResponseHeaders().add('X-L', undefined)).toThrow('invalid header value')
  })
})

describe('ResponseHeaders content type and length', () => {
  it('marks Content-Type as set once it is set or removed', () => {
    // reference: content_type = nil sends no Content-Type at all; setting X-A alone keeps the default
    const h = new ResponseHeaders()
    h.set('X-A', '1')
    expect(h.contentTypeSet).toBe(false)
    h.contentType = 'a/b'
    h.set('content_type', '')
    expect(h.contentType).toBeUndefined()
    expect(h.contentTypeSet).toBe(true)
  })

  it('reads Content-Length as a number, -1 when it is not digits', () => {
    const h = new ResponseHeaders()
    expect(h.contentLength).toBeUndefined()
    h.contentLength = 12
    expect(h.get('content_length')).toBe('12')
    expect(h.contentLength).toBe(12)
    h.set('Content-Length', 'abc')
    expect(h.contentLength).toBe(-1)
    h.contentLength = undefined
    expect(h.contentLength).toBeUndefined()
  })
})

describe('ResponseHeaders.getAll', () => {
  it('lower-cases keys, adds content-type and connection, and merges repeats', () => {
    // reference: ngx.resp.get_headers() lists "connection=keep-alive" and "content-type" beside the list
    const h = new ResponseHeaders()
    h.set('X-A', '1')
    h.set('Content-Type', 'text/a')
    h.set('CONTENT-LENGTH', '3')
    h.set('C-1', ['z', 'w'])
    const { headers, truncated } = h.getAll()
    expect({ ...headers }).toEqual({
      'content-type': 'text/a', connection: 'keep-alive', 'x-a': '1', 'content-length': '3', 'c-1': ['z', 'w'],
    })
    expect(truncated).toBe(false)
    expect(lookupHeader(headers, 'C_1')).toEqual(['z', 'w'])
  })

  it('keeps names as sent when raw', () => {
    // reference: get_headers(0, true) gives "CONTENT-LENGTH=3 X-A=1 connection=close content-type=text/a"
    const h = new ResponseHeaders()
    h.connection = 'close'
    h.set('X-A', '1')
    h.set('Content-Type', 'text/a')
    h.set('CONTENT-LENGTH', '3')
    expect({ ...h.getAll(0, true).headers }).toEqual({
      'CONTENT-LENGTH': '3', 'X-A': '1', connection: 'close', 'content-type': 'text/a',
    })
  })

  it('counts the extra headers toward max but returns at least one list header', () => {
    // reference: X-A, X-B, X-C + Content-Type: max 1..3 → x-a only, 4 → x-a x-b, 5 → all; all but 5 "truncated"
    const h = new ResponseHeaders()
    h.set('X-A', '1')
    h.set('X-B', '2')
    h.set('X-C', '3')
    h.set('Content-Type', 'text/a')
    const listed = (max: number): string => {
      const r = h.getAll(max)
      return Object.keys(r.headers).filter((k) => k.startsWith('x-')).join(',') + (r.truncated ? ' truncated' : '')
    }
    expect([1, 2, 3, 4, 5, 0, -5].map(listed)).toEqual([
      'x-a truncated', 'x-a truncated', 'x-a truncated', 'x-a,x-b truncated', 'x-a,x-b,x-c', 'x-a,x-b,x-c', 'x-a,x-b,x-c',
    ])
  })

  it('stops at 100 by default', () => {
    // reference: with 120 headers get_headers() returns 100 entries and "truncated"
    const h = new ResponseHeaders()
    for (let i = 1; i <= 120; i++) h.set(`X-H${i}`, '1')
    const r = h.getAll()
    expect(Object.keys(r.headers)).toHaveLength(100)
    expect(r.truncated).toBe(true)
    expect(Object.keys(h.getAll(-5).headers)).toHaveLength(121)
  })

  it('reports chunked transfer-encoding when asked to', () => {
    const h = new ResponseHeaders()
    h.chunked = true
    h.connection = undefined
    expect({ ...h.getAll().headers }).toEqual({ 'transfer-encoding': 'chunked' })
  })
})

describe('ResponseHeaders.clear', () => {
  it('drops every header and the Content-Type mark', () => {
    const h = new ResponseHeaders()
    h.set('X-A', '1')
    h.set('Content-Type', 'a/b')
    h.clear()
    expect(sent(h)).toEqual([])
    expect(h.contentTypeSet).toBe(false)
  })
})
