import { describe, expect, it } from 'vitest'
import { checkSetUri, normalizeUriPath, parseExecTarget, parseRequestTarget } from './uri.ts'

const uri = (t: string): string | undefined => parseRequestTarget(t)?.uri
const args = (t: string): string | undefined => parseRequestTarget(t)?.args

describe('parseRequestTarget: the fast path', () => {
  it('returns the path and the query of a plain target', () => {
    expect(parseRequestTarget('/a/b?x=1&y=2')).toEqual({ uri: '/a/b', args: 'x=1&y=2', rawPath: '/a/b', requestUri: '/a/b?x=1&y=2', host: undefined })
  })
  it('returns the target itself when there is no query', () => {
    const t = '/plain/path.html'
    const r = parseRequestTarget(t)
    expect(r).toEqual({ uri: t, args: '', rawPath: t, requestUri: t, host: undefined })
  })
  it('keeps + and other ASCII punctuation as they are', () => {
    expect(parseRequestTarget('/a+b?c+d')).toMatchObject({ uri: '/a+b', args: 'c+d' })
    expect(uri('/a\\b')).toBe('/a\\b')
  })
  it('keeps a dot inside a segment', () => {
    expect(uri('/a.b/c..d/e.')).toBe('/a.b/c..d/e.')
  })
})

// reference: every uri/args below is what $uri / $args showed, and undefined is a 400
describe('parseRequestTarget: percent-decoding', () => {
  it('decodes %XX in the path', () => {
    expect(uri('/%41%42')).toBe('/AB')
    expect(uri('/a%20b')).toBe('/a b')
    expect(uri('/a%0Ab%0d')).toBe('/a\nb\r')
  })
  it('keeps a decoded %, # and ? as plain characters', () => {
    expect(uri('/%25')).toBe('/%')
    expect(uri('/%2541')).toBe('/%41')
    expect(uri('/%23x')).toBe('/#x')
    expect(parseRequestTarget('/%3Fx?y')).toMatchObject({ uri: '/?x', args: 'y' })
  })
  it('decodes UTF-8 bytes into a JS string', () => {
    expect(uri('/%c3%a9')).toBe('/é')
    expect(uri('/\xc3\xa9')).toBe('/é')
  })
  it('keeps bytes that are not UTF-8 as one char each', () => {
    expect(uri('/%e9')).toBe('/\xe9')
    expect(uri('/\xe9')).toBe('/\xe9')
    expect(uri('/%ff%fe')).toBe('/\xff\xfe')
  })
  it('rejects %00 and bad escapes', () => {
    for (const t of ['/%00', '/a%00b', '/a%zzb', '/a%2', '/a%', '/a%g0']) expect(parseRequestTarget(t)).toBeUndefined()
  })
  it('leaves the args raw', () => {
    expect(args('/a?b%zz')).toBe('b%zz')
    expect(args('/a?\xe9')).toBe('\xe9')
  })
})

describe('parseRequestTarget: slashes and dot segments', () => {
  it('merges repeated slashes', () => {
    expect(uri('//a///b//')).toBe('/a/b/')
    expect(uri('//')).toBe('/')
    expect(uri('/a%2F%2Fb')).toBe('/a/b')
  })
  it('removes . segments', () => {
    expect(uri('/a/./b')).toBe('/a/b')
    expect(uri('/a/.')).toBe('/a/')
    expect(uri('/a/./')).toBe('/a/')
    expect(uri('/./')).toBe('/')
    expect(uri('/.')).toBe('/')
    expect(uri('/a/b/.//c')).toBe('/a/b/c')
    expect(uri('/a/b/%2E')).toBe('/a/b/')
  })
  it('resolves .. segments', () => {
    expect(uri('/a/../b')).toBe('/b')
    expect(uri('/a/..')).toBe('/')
    expect(uri('/a/b/..')).toBe('/a/')
    expect(uri('/a/b/../')).toBe('/a/')
    expect(uri('/a//../b')).toBe('/b')
    expect(uri('/a/b//..')).toBe('/a/')
    expect(uri('/a/..//b')).toBe('/b')
  })
  it('resolves encoded dots and slashes like plain ones', () => {
    expect(uri('/a/%2e%2e/b')).toBe('/b')
    expect(uri('/a/.%2E/b')).toBe('/b')
    expect(uri('/a/%2E./b')).toBe('/b')
    expect(uri('/a%2f..%2fb')).toBe('/b')
    expect(uri('/a%2f%2E%2E%2fb')).toBe('/b')
    expect(uri('/a/.%2e%2f')).toBe('/')
  })
  it('keeps segments that only start or end with dots', () => {
    expect(uri('/.a/..b/...')).toBe('/.a/..b/...')
    expect(uri('/a/.../b')).toBe('/a/.../b')
    expect(uri('/a..')).toBe('/a..')
  })
  it('rejects .. above the root', () => {
    for (const t of ['/..', '/a/../../b', '/%2e%2e/', '/.%2e', '/../a']) expect(parseRequestTarget(t)).toBeUndefined()
  })
})

describe('parseRequestTarget: query and fragment', () => {
  it('splits at the first ?', () => {
    expect(parseRequestTarget('/a?b?c')).toMatchObject({ uri: '/a', args: 'b?c' })
  })
  it('gives empty args for a bare ?', () => {
    expect(parseRequestTarget('/a?')).toMatchObject({ uri: '/a', args: '', rawPath: '/a', requestUri: '/a?' })
    expect(parseRequestTarget('/?')).toMatchObject({ uri: '/', args: '' })
  })
  it('ends the path at #, and then has no args', () => {
    expect(parseRequestTarget('/a#frag')).toMatchObject({ uri: '/a', args: '', requestUri: '/a#frag' })
    expect(parseRequestTarget('/a#f?x')).toMatchObject({ uri: '/a', args: '' })
  })
  it('ends the args at #', () => {
    expect(parseRequestTarget('/a?b#c')).toMatchObject({ uri: '/a', args: 'b', requestUri: '/a?b#c' })
  })
})

describe('parseRequestTarget: what nginx answers with 400', () => {
  it('rejects a target that does not start with / or scheme://', () => {
    for (const t of ['foo', '*', '', '1http://h/p', 'http:p', 'http//h/p', 'http:/p']) expect(parseRequestTarget(t)).toBeUndefined()
  })
  it('rejects control bytes, space and DEL, in the path or the args', () => {
    for (const t of ['/a\x01b', '/a\x7fb', '/a?b\x01', '/a b', '/a\0']) expect(parseRequestTarget(t)).toBeUndefined()
  })
})

describe('parseRequestTarget: absolute-form', () => {
  it('uses the path and the host of http://host/path?x', () => {
    expect(parseRequestTarget('http://host/path?x')).toEqual({ uri: '/path', args: 'x', rawPath: '/path', requestUri: '/path?x', host: 'host' })
  })
  it('uses / when there is no path', () => {
    expect(parseRequestTarget('http://host')).toEqual({ uri: '/', args: '', rawPath: '/', requestUri: '/', host: 'host' })
    expect(parseRequestTarget('http://h:8')).toMatchObject({ uri: '/', host: 'h' })
  })
  it('takes ?args right after the host, with / as the uri', () => {
    expect(parseRequestTarget('http://host?x')).toEqual({ uri: '/', args: 'x', rawPath: '', requestUri: '?x', host: 'host' })
    expect(parseRequestTarget('http://h:8080?x')).toMatchObject({ uri: '/', args: 'x', host: 'h' })
  })
  it('accepts any scheme of letters, digits, +, - and .', () => {
    for (const t of ['https://h/p', 'ftp://h/p', 'HTTP://h/p', 'h1t://h/p', 'a+b://h/p', 'a.b-c://h/p']) expect(uri(t)).toBe('/p')
  })
  it('lowercases the host and strips the port and a trailing dot', () => {
    expect(parseRequestTarget('HTTP://Host.COM/p')?.host).toBe('host.com')
    expect(parseRequestTarget('http://host:8080/p')?.host).toBe('host')
    expect(parseRequestTarget('http://h:/p')?.host).toBe('h')
    expect(parseRequestTarget('http://h.:80/p')?.host).toBe('h')
    expect(parseRequestTarget('http://h:99999999/p')?.host).toBe('h')
  })
  it('accepts IPv6 and other bracketed literals', () => {
    expect(parseRequestTarget('http://[::1]:80/p')).toMatchObject({ uri: '/p', host: '[::1]' })
    expect(parseRequestTarget('http://[a_b]/p')?.host).toBe('[a_b]')
  })
  it('accepts a host starting with . or -', () => {
    expect(parseRequestTarget('http://.h/p')?.host).toBe('.h')
    expect(parseRequestTarget('http://-h/p')?.host).toBe('-h')
  })
  it('normalizes the path like an origin-form one', () => {
    expect(uri('http://h//p')).toBe('/p')
    expect(parseRequestTarget('http://h//p')?.requestUri).toBe('//p')
    expect(parseRequestTarget('http://h/p#x?y')).toMatchObject({ uri: '/p', args: '', requestUri: '/p#x?y' })
  })
  it('rejects a bad host, port or what follows it', () => {
    for (const t of ['http:///p', 'http://', 'http://h_x/p', 'http://h~/p', 'http://h!/p', 'http://h%41/p', 'http://user@h/p',
      'http://h..x/p', 'http://h:x/p', 'http://h:80:90/p', 'http://[::1/p', 'http://[::1]x/p', 'http://host#x', 'http://h/../p', 'http://h/%2e%2e']) {
      expect(parseRequestTarget(t)).toBeUndefined()
    }
  })
})

// reference: ngx.exec(target) in content_by_lua_block, then $uri / $args in the new location
describe('normalizeUriPath / parseExecTarget: ngx.exec targets', () => {
  it('does not merge slashes or resolve . segments', () => {
    expect(normalizeUriPath('/a//b')).toBe('/a//b')
    expect(normalizeUriPath('/a/./b')).toBe('/a/./b')
    expect(normalizeUriPath('/a/b/.')).toBe('/a/b/.')
  })
  it('returns a plain path as is', () => {
    const p = '/plain'
    expect(normalizeUriPath(p)).toBe(p)
  })
  it('percent-decodes, as UTF-8 when valid', () => {
    expect(normalizeUriPath('/a%20b')).toBe('/a b')
    expect(normalizeUriPath('/a%2Fb')).toBe('/a/b')
    expect(normalizeUriPath('/%C3%A9')).toBe('/é')
  })
  it('drops a bad escape instead of failing', () => {
    expect(normalizeUriPath('/a%zz')).toBe('/azz')
    expect(normalizeUriPath('/a%2zb')).toBe('/ab')
    expect(normalizeUriPath('/a%')).toBe('/a')
    expect(normalizeUriPath('/a%4')).toBe('/a')
  })
  it('rejects .. as a segment, before or after decoding ("unsafe uri")', () => {
    for (const p of ['/a/../b', '/a/..', '..', '../a', '../', '/a/%2e%2e/b', '/a%2F..%2Fb', '/%2e%2e', '%2e%2e/a', '/a/%2e.']) {
      expect(normalizeUriPath(p)).toBeUndefined()
    }
  })
  it('rejects an empty path and \\0 ("unsafe uri")', () => {
    expect(normalizeUriPath('')).toBeUndefined()
    expect(normalizeUriPath('/a%00b')).toBeUndefined()
    expect(normalizeUriPath('/a\0b')).toBeUndefined()
  })
  it('keeps .. that is not a whole segment', () => {
    for (const p of ['/a/..b', '/a/b..', '/a/...', '/a\\..', '/a/.b']) expect(normalizeUriPath(p)).toBe(p)
  })
  it('accepts a path without a leading slash (it then matches no location)', () => {
    expect(normalizeUriPath('a/b')).toBe('a/b')
  })
  it('keeps a # in the path', () => expect(normalizeUriPath('/a#b')).toBe('/a#b'))
  it('writes chars above latin1 as UTF-8 and reads them back', () => {
    expect(normalizeUriPath('/日本%20😀')).toBe('/日本 😀')
  })
  it('splits ?args before decoding', () => {
    expect(parseExecTarget('/a?x=1')).toEqual({ uri: '/a', args: 'x=1' })
    expect(parseExecTarget('/a%3Fb?c')).toEqual({ uri: '/a?b', args: 'c' })
    expect(parseExecTarget('/a?b%3F')).toEqual({ uri: '/a', args: 'b%3F' })
    expect(parseExecTarget('/a')).toEqual({ uri: '/a', args: undefined })
  })
  it('does not check the args for ..', () => {
    expect(parseExecTarget('/a?../..')).toEqual({ uri: '/a', args: '../..' })
  })
  it('rejects a target starting with ?', () => expect(parseExecTarget('?x')).toBeUndefined())
})

// reference: pcall(ngx.req.set_uri, uri) errors, and $uri after it
describe('checkSetUri: ngx.req.set_uri', () => {
  it('accepts a uri as is, with spaces, tabs, %, ? and high bytes', () => {
    for (const u of ['/a/../b', '/a b', '/a\tb', '/a%zz', '/a?x=1', '..', '/a\x80\xff', '/a"b\\']) expect(checkSetUri(u)).toBeUndefined()
  })
  it('rejects an empty uri', () => expect(checkSetUri('')).toBe('attempt to use zero-length uri'))
  it('rejects control bytes and DEL, naming the first one and quoting the uri', () => {
    expect(checkSetUri('/a\x01b')).toBe('unsafe byte "0x01" in uri "/a\\x01b" (maybe you want to set the \'binary\' argument?)')
    expect(checkSetUri('/a ~\r')).toBe('unsafe byte "0x0d" in uri "/a ~\\x0D" (maybe you want to set the \'binary\' argument?)')
    expect(checkSetUri('/a\rb\x7f"\\\t\x80')).toBe(
      'unsafe byte "0x0d" in uri "/a\\x0Db\\x7F\\x22\\x5C\\x09\\x80" (maybe you want to set the \'binary\' argument?)')
    expect(checkSetUri('/\x1f')).toContain('unsafe byte "0x1f"')
  })
})
