import { describe, expect, it } from 'vitest'
import { normalizeHost, ServerNameMatcher } from './server-name.ts'

function matcher(rows: ReadonlyArray<readonly [string, string]>): ServerNameMatcher<string> {
  const m = new ServerNameMatcher<string>()
  for (const [name, value] of rows) m.add(name, value)
  return m
}

// reference: the server each host reached, one server block per row, in this order
const rows: ReadonlyArray<readonly [string, string]> = [
  ['exact.example.org', 'exact'],
  ['*.example.org', 'lead1'],
  ['*.sub.example.org', 'lead2'],
  ['.dot.org', 'dot'],
  ['www.example.*', 'tail1'],
  ['www.example.co.*', 'tail2'],
  ['~^(?<user>.+)\\.example\\.net$', 're1'],
  ['~^www\\.(\\w+)\\.example\\.net$', 're2'],
  ['~^UP\\.test$', 'reUP'],
  ['~^low\\.test$', 'reLow'],
  ['', 'empty'],
  ['trail.test.', 'trail'],
  ['*.mix.org', 'mixlead'],
  ['www.mix.*', 'mixtail'],
  ['~mix', 'mixre'],
  ['*.com', 'starcom'],
  ['*.example.com', 'starexcom'],
]
const m = matcher(rows)
const at = (host: string): string | undefined => m.find(host)?.value

describe('ServerNameMatcher.find', () => {
  it('finds an exact name', () => expect(at('exact.example.org')).toBe('exact'))
  it('compares names case-insensitively (names are lowercased, hosts come lowercased)', () => {
    const u = matcher([['Mixed.Case.ORG', 'M']])
    expect(u.find('mixed.case.org')?.value).toBe('M')
  })
  it('matches a leading wildcard one or more labels deep', () => {
    expect(at('a.example.org')).toBe('lead1')
    expect(at('a.b.example.org')).toBe('lead1')
  })
  it('does not match *.example.org for example.org itself', () => expect(at('example.org')).toBeUndefined())
  it('prefers the longest leading wildcard', () => {
    expect(at('a.sub.example.org')).toBe('lead2')
    expect(at('x.y.sub.example.org')).toBe('lead2')
    expect(at('sub.example.org')).toBe('lead1')
    expect(at('a.example.com')).toBe('starexcom')
    expect(at('example.com')).toBe('starcom')
  })
  it('matches .dot.org for the name itself and its subdomains', () => {
    expect(at('dot.org')).toBe('dot')
    expect(at('a.dot.org')).toBe('dot')
    expect(at('a.b.dot.org')).toBe('dot')
  })
  it('matches a trailing wildcard, the longest first', () => {
    expect(at('www.example.co')).toBe('tail1')
    expect(at('www.example.co.uk')).toBe('tail2')
  })
  it('needs one more label for a trailing wildcard', () => expect(at('www.example')).toBeUndefined())
  it('checks leading wildcards before trailing ones', () => {
    expect(at('www.example.com')).toBe('starexcom')
    expect(at('www.mix.org')).toBe('mixlead')
  })
  it('checks regexes last, in order, and returns their captures', () => {
    const r = m.find('www.foo.example.net')
    expect(r?.value).toBe('re1')
    expect(r?.groups).toEqual({ user: 'www.foo' })
    expect([...(r?.captures ?? [])]).toEqual(['www.foo.example.net', 'www.foo'])
  })
  it('makes a regex case-insensitive only when it has an uppercase letter', () => {
    expect(at('up.test')).toBe('reUP')
    const u = matcher([['~^low\\.test$', 'L']])
    expect(u.find('LOW.test')).toBeUndefined()
  })
  // reference: server_name ~^(a)(b)?(?<c>c)$ gives 1=[a] 2=[] 3=[c] c=[c] for "ac"
  it('gives unmatched regex groups as ""', () => {
    const u = matcher([['~^(a)(b)?(?<c>c)$', 'R']])
    const r = u.find('ac')
    expect([...(r?.captures ?? [])]).toEqual(['ac', 'a', '', 'c'])
    expect(r?.groups).toEqual({ c: 'c' })
  })
  it('gives no captures for a regex without groups', () => {
    expect(m.find('mixer.io')).toEqual({ value: 'mixre', captures: undefined, groups: undefined })
  })
  // reference: an HTTP/1.0 request without Host reached server_name ""
  it('finds server_name "" for a request without Host', () => expect(at('')).toBe('empty'))
  // reference: with only "~.*" and a default server, a request without Host got the default
  it('does not try regexes for a request without Host', () => {
    expect(matcher([['~.*', 'R']]).find('')).toBeUndefined()
  })
  // reference: "server_name trail.test." is never reached: the Host loses its trailing dot
  it('keeps a name with a trailing dot as written', () => expect(at('trail.test')).toBeUndefined())
  it('returns undefined when nothing matches', () => expect(at('nothing.here')).toBeUndefined())
  it('returns the same object for repeated non-regex matches', () => {
    expect(m.find('a.example.org')).toBe(m.find('b.example.org'))
  })
})

describe('ServerNameMatcher.add', () => {
  // reference: nginx warns conflicting server name "..." on ADDR, ignored, and the first one stays
  it('ignores a second equal name, case-insensitively, and keeps the first', () => {
    const u = new ServerNameMatcher<string>()
    expect(u.add('a', '1')).toBe(true)
    expect(u.add('A', '2')).toBe(false)
    expect(u.find('a')?.value).toBe('1')
  })
  it('lets .a.com and a.com conflict in either order', () => {
    const u = new ServerNameMatcher<string>()
    u.add('a.com', 'A')
    expect(u.add('.a.com', 'B')).toBe(false)
    expect(u.find('x.a.com')).toBeUndefined()
    const v = new ServerNameMatcher<string>()
    v.add('.a.com', 'B')
    expect(v.add('a.com', 'A')).toBe(false)
    expect(v.find('a.com')?.value).toBe('B')
  })
  it('lets .a.com and *.a.com conflict in either order', () => {
    const u = new ServerNameMatcher<string>()
    u.add('.a.com', 'A')
    expect(u.add('*.a.com', 'B')).toBe(false)
    expect(u.find('x.a.com')?.value).toBe('A')
    const v = new ServerNameMatcher<string>()
    v.add('*.a.com', 'A')
    expect(v.add('.a.com', 'B')).toBe(false)
    expect(v.find('a.com')).toBeUndefined()
  })
  it('does not let *.a.com and a.com conflict', () => {
    const u = matcher([['a.com', 'A'], ['*.a.com', 'B']])
    expect([u.find('a.com')?.value, u.find('x.a.com')?.value]).toEqual(['A', 'B'])
  })
  it('ignores a second equal trailing wildcard', () => {
    const u = new ServerNameMatcher<string>()
    u.add('www.a.*', '1')
    expect(u.add('www.a.*', '2')).toBe(false)
  })
  it('never reports a regex as conflicting', () => {
    const u = new ServerNameMatcher<string>()
    u.add('~a', '1')
    expect(u.add('~a', '2')).toBe(true)
    expect(u.find('a')?.value).toBe('1')
  })
  // reference: nginx -t [emerg] texts
  it('rejects * without a following dot, and a lone dot', () => {
    for (const n of ['*', '*a.com', '*.', '.']) {
      expect(() => new ServerNameMatcher().add(n, 1)).toThrow(`server name "${n}" is invalid`)
    }
  })
  it('rejects a misplaced or second *, and ..', () => {
    for (const n of ['a.*.com', '*.a.*', 'a..com', 'a*']) {
      expect(() => new ServerNameMatcher().add(n, 1)).toThrow(`invalid server name or wildcard "${n}"`)
    }
  })
  it('rejects a bad regex with pcre2 words', () => {
    expect(() => new ServerNameMatcher().add('~^(?<x>a', 1)).toThrow('pcre2_compile() failed: missing closing parenthesis in "^(?<x>a"')
  })
  it('accepts the short forms nginx accepts', () => {
    for (const n of ['*.a', '.a', 'x.*', 'a_b', 'a/b']) expect(() => new ServerNameMatcher().add(n, 1)).not.toThrow()
  })
})

describe('normalizeHost', () => {
  // reference: each value is what $host showed, or 400 "client sent invalid host header"
  it('returns a plain lowercase host as is', () => {
    const h = 'example.org'
    expect(normalizeHost(h)).toBe(h)
  })
  it('lowercases ASCII letters only', () => {
    expect(normalizeHost('EXACT.Example.ORG')).toBe('exact.example.org')
    expect(normalizeHost('\xc3\x89.Org')).toBe('\xc3\x89.org')
  })
  it('strips the port', () => {
    expect(normalizeHost('www.example.com:8080')).toBe('www.example.com')
    expect(normalizeHost('a:b:c')).toBe('a')
  })
  it('strips one trailing dot, also before a port', () => {
    expect(normalizeHost('trail.test.')).toBe('trail.test')
    expect(normalizeHost('trail.test.:80')).toBe('trail.test')
    expect(normalizeHost('exact.example.org.')).toBe('exact.example.org')
  })
  it('keeps the dot when the last dot is in the port', () => expect(normalizeHost('a.:80.')).toBe('a.'))
  it('keeps an IPv6 literal with its brackets and drops its port', () => {
    expect(normalizeHost('[::1]:80')).toBe('[::1]')
    expect(normalizeHost('[::1]x:80')).toBe('[::1]')
  })
  it('takes [ as a literal start only at the beginning', () => expect(normalizeHost('x[::1]')).toBe('x['))
  it('accepts a leading dot and other odd but legal bytes', () => {
    for (const h of ['.a', '-', '_x', 'a%20b', 'a\\b', 'é.org']) expect(normalizeHost(h)).toBe(h)
  })
  it('rejects an empty host, and one that is only a port or a dot', () => {
    for (const h of ['', ':80', '.']) expect(normalizeHost(h)).toBeUndefined()
  })
  it('rejects .. anywhere, the port included', () => {
    for (const h of ['a..b', 'a..', '..a', 'a:..']) expect(normalizeHost(h)).toBeUndefined()
  })
  it('rejects /, space, control bytes and DEL anywhere', () => {
    for (const h of ['a/b', 'a:8/0', 'a b', 'a\tb', 'a\x01b', 'a\x7fb', 'a\0b']) expect(normalizeHost(h)).toBeUndefined()
  })
})
