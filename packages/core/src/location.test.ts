import { describe, expect, it } from 'vitest'
import { LocationTree, parseLocation } from './location.ts'

/** Builds a tree from [spec, name, children?] rows. */
interface Row extends ReadonlyArray<unknown> { readonly 0: string; readonly 1: string; readonly 2?: readonly Row[] }
function tree(rows: readonly Row[]): LocationTree<string> {
  const t = new LocationTree<string>()
  for (const [spec, name, kids] of rows) t.add(spec, name, kids === undefined ? undefined : tree(kids))
  return t
}
const at = (t: LocationTree<string>, uri: string): string | undefined => t.find(uri)?.value
/** find() with captures as a plain array (they are RegExp exec arrays, with index/input). */
const match = (t: LocationTree<string>, uri: string): unknown => {
  const m = t.find(uri)
  return m && { ...m, captures: m.captures && [...m.captures] }
}

describe('parseLocation', () => {
  it('reads the four modifiers separated by a space', () => {
    expect(parseLocation('= /x')).toMatchObject({ kind: 'exact', path: '/x', regex: undefined })
    expect(parseLocation('^~ /a/')).toMatchObject({ kind: 'noregex', path: '/a/' })
    expect(parseLocation('~ \\.php$')).toMatchObject({ kind: 'regex', path: '\\.php$' })
    expect(parseLocation('~* \\.PNG$')).toMatchObject({ kind: 'iregex', path: '\\.PNG$' })
  })

  it('reads a plain prefix and a named location', () => {
    expect(parseLocation('/p')).toEqual({ kind: 'prefix', path: '/p', regex: undefined })
    expect(parseLocation('@fallback')).toEqual({ kind: 'named', path: '@fallback', regex: undefined })
  })

  // reference: nginx -t accepts location =/x, ~\.php$ and ~*\.PNG
  it('accepts =, ~ and ~* glued to the path as nginx does', () => {
    expect(parseLocation('=/x')).toMatchObject({ kind: 'exact', path: '/x' })
    expect(parseLocation('~\\.php$')).toMatchObject({ kind: 'regex', path: '\\.php$' })
    expect(parseLocation('~*\\.PNG')).toMatchObject({ kind: 'iregex', path: '\\.PNG' })
  })

  // reference: nginx -t accepts "location ^~/a" as a plain prefix named "^~/a"
  it('takes ^~ glued to the path as part of a plain prefix, like nginx', () => {
    expect(parseLocation('^~/a')).toMatchObject({ kind: 'prefix', path: '^~/a' })
  })

  it('compiles ~ case-sensitively and ~* case-insensitively', () => {
    expect(parseLocation('~ \\.png$').regex?.test('/A.PNG')).toBe(false)
    expect(parseLocation('~* \\.png$').regex?.test('/A.PNG')).toBe(true)
  })

  it('keeps the rest of the spec after the modifier as the pattern', () => {
    expect(parseLocation('~ ^/a b$').path).toBe('^/a b$')
  })

  it('accepts = with an empty path', () => {
    expect(parseLocation('=')).toMatchObject({ kind: 'exact', path: '' })
  })

  // reference: nginx -t says invalid location modifier "=~" / "@" / "/a"
  it('rejects an unknown modifier with nginx words', () => {
    expect(() => parseLocation('=~ /a')).toThrow('invalid location modifier "=~"')
    expect(() => parseLocation('@ /a')).toThrow('invalid location modifier "@"')
    expect(() => parseLocation('/a /b')).toThrow('invalid location modifier "/a"')
  })

  it('rejects an empty spec with nginx words', () => {
    expect(() => parseLocation('')).toThrow('invalid number of arguments in "location" directive')
  })

  // reference: pcre2_compile() failed: missing closing parenthesis in "\.php("
  it('rejects a bad regex with pcre2_compile() words', () => {
    expect(() => parseLocation('~ \\.php(')).toThrow('pcre2_compile() failed: missing closing parenthesis in "\\.php("')
  })

  it('throws a ConfError', () => {
    expect(() => parseLocation('=~ /a')).toThrow(expect.objectContaining({ code: 'NGX_ERR_CONF' }))
  })
})

describe('LocationTree: nginx docs example A–E', () => {
  const t = tree([
    ['= /', 'A'],
    ['/', 'B'],
    ['/documents/', 'C'],
    ['^~ /images/', 'D'],
    ['~* \\.(gif|jpg|jpeg)$', 'E'],
  ])
  // reference: OpenResty answers A, B, C, D, E, E, B for these
  it('matches "/" with the exact location A', () => expect(at(t, '/')).toBe('A'))
  it('matches "/index.html" with B', () => expect(at(t, '/index.html')).toBe('B'))
  it('matches "/documents/document.html" with C', () => expect(at(t, '/documents/document.html')).toBe('C'))
  it('matches "/images/1.gif" with D: ^~ skips the regexes', () => expect(at(t, '/images/1.gif')).toBe('D'))
  it('matches "/documents/1.jpg" with E: a regex beats the prefix', () => expect(at(t, '/documents/1.jpg')).toBe('E'))
  it('matches ~* whatever the case', () => expect(at(t, '/documents/1.JPG')).toBe('E'))
  it('matches "/images" (no slash) with B', () => expect(at(t, '/images')).toBe('B'))
})

describe('LocationTree: prefixes and exact matches', () => {
  const t = tree([
    ['= /x', 'X='],
    ['/x', 'Xp'],
    ['/l', '1'],
    ['/lb', '2'],
    ['/lbc', '3'],
  ])
  it('prefers = over a prefix of the same name', () => expect(at(t, '/x')).toBe('X='))
  it('uses the prefix for longer uris than the exact name', () => expect(at(t, '/xy')).toBe('Xp'))
  it('takes the longest matching prefix', () => {
    expect(at(t, '/lbd')).toBe('2')
    expect(at(t, '/lbcd')).toBe('3')
    expect(at(t, '/lc')).toBe('1')
  })
  it('returns undefined when nothing matches (server level)', () => expect(at(t, '/z')).toBeUndefined())
  it('matches case-sensitively', () => expect(at(t, '/LB')).toBeUndefined())
  it('has no captures for a prefix match and returns the same object each time', () => {
    const m = t.find('/lb')
    expect(m).toEqual({ value: '2', captures: undefined, groups: undefined })
    expect(t.find('/lbz')).toBe(m)
  })

  // reference: "location ^~ /a/" loses to the longer plain "/a/b/", whose regex check then runs
  it('lets a longer plain prefix win over a shorter ^~ one, then tries regexes', () => {
    const u = tree([['^~ /a/', 'N'], ['/a/b/', 'P'], ['~ b', 'R']])
    expect(at(u, '/a/b/')).toBe('R')
    expect(at(u, '/a/x/b')).toBe('N')
  })

  it('tries regexes in configuration order, first match wins', () => {
    const u = tree([['~ a', '1'], ['~ ab', '2']])
    expect(at(u, '/ab')).toBe('1')
  })

  it('falls back to the longest prefix when no regex matches', () => {
    const u = tree([['/a', 'P'], ['~ z', 'R']])
    expect(at(u, '/ab')).toBe('P')
  })
})

describe('LocationTree: nested locations', () => {
  // reference: /a/x.php → inner, /b/x.php → outer, /a/x.html → P
  it('searches a prefix location\'s nested regex before the outer regexes', () => {
    const t = tree([['/a/', 'P', [['~ \\.php$', 'inner']]], ['~ \\.php$', 'outer']])
    expect(at(t, '/a/x.php')).toBe('inner')
    expect(at(t, '/b/x.php')).toBe('outer')
    expect(at(t, '/a/x.html')).toBe('P')
  })

  // reference: a nested ^~ does not stop the server-level regexes: /a/b/x → R, /a/b/y → N
  it('lets a nested ^~ skip only the regexes of its own level', () => {
    const t = tree([['/a/', 'P', [['^~ /a/b/', 'N']]], ['~ x', 'R']])
    expect(at(t, '/a/b/x')).toBe('R')
    expect(at(t, '/a/b/y')).toBe('N')
    expect(at(t, '/a/b')).toBe('P')
  })

  // reference: /a/x.php → inner under "location ^~ /a/ { location ~ \.php$ }"
  it('still searches the nested regexes of a ^~ location', () => {
    const t = tree([['^~ /a/', 'P', [['~ \\.php$', 'inner']]], ['~ \\.php$', 'outer']])
    expect(at(t, '/a/x.php')).toBe('inner')
    expect(at(t, '/a/x.html')).toBe('P')
  })

  it('searches a regex location\'s nested locations', () => {
    const t = tree([['~ ^/r/', 'R', [['~ q$', 'Q']]]])
    expect(at(t, '/r/q')).toBe('Q')
    expect(at(t, '/r/x')).toBe('R')
  })

  // reference: /a/e → E, /a/b/ → B, /a/b/e → B
  it('reaches a nested exact location only through its parent prefix', () => {
    const t = tree([['/a/', 'A', [['= /a/e', 'E'], ['= /a/b/e', 'never']]], ['/a/b/', 'B']])
    expect(at(t, '/a/e')).toBe('E')
    expect(at(t, '/a/b/')).toBe('B')
    expect(at(t, '/a/b/e')).toBe('B')
  })

  // reference: /a/b/c/z → Z, /a/b/c/y → Y, /a/b/x → B, /a/y → Y
  it('walks three levels and then the regexes from the inside out', () => {
    const t = tree([
      ['/a/', 'A', [['/a/b/', 'B', [['/a/b/c/', 'C']]], ['~ z', 'Z']]],
      ['~ y', 'Y'],
    ])
    expect(at(t, '/a/b/c/z')).toBe('Z')
    expect(at(t, '/a/b/c/y')).toBe('Y')
    expect(at(t, '/a/b/c/')).toBe('C')
    expect(at(t, '/a/b/x')).toBe('B')
    expect(at(t, '/a/y')).toBe('Y')
  })

  it('allows a nested location with the same name as its parent', () => {
    const t = tree([['/a/', 'outer', [['/a/', 'inner']]]])
    expect(at(t, '/a/x')).toBe('inner')
  })
})

describe('LocationTree: captures', () => {
  it('returns $0..$n of the matching regex, unmatched groups as ""', () => {
    // reference: 1=[] 2=[b] 3=[c] for /u/bc under ~ ^/u/(a)?(b)?(c)
    const t = tree([['~ ^/u/(a)?(b)?(c)', 'U']])
    expect((match(t, '/u/bc') as { captures: unknown }).captures).toEqual(['/u/bc', '', 'b', 'c'])
  })

  it('returns named groups for (?<name>) and (?P<name>)', () => {
    const t = tree([['~ ^/n/(?<num>\\d+)/(?P<w>\\w+)', 'N']])
    expect(match(t, '/n/7/foo')).toMatchObject({ captures: ['/n/7/foo', '7', 'foo'], groups: { num: '7', w: 'foo' } })
  })

  // reference: "location ~ ^/c/(\d+) { location ~ \.php$ {...} }": $1 is empty (ngx.var[1] nil)
  it('drops $1.. after a nested regex without captures', () => {
    const t = tree([['~ ^/c/(\\d+)', 'C', [['~ \\.php$', 'php']]]])
    expect(t.find('/c/12/x.php')).toEqual({ value: 'php', captures: undefined, groups: undefined })
  })

  // reference: /d/12/x.php → d1=x
  it('takes $1.. from the innermost regex that matched', () => {
    const t = tree([['~ ^/d/(\\d+)', 'D', [['~ (\\w+)\\.php$', 'php']]]])
    expect((match(t, '/d/12/x.php') as { captures: unknown }).captures).toEqual(['x.php', 'x'])
  })

  // reference: num=7 word=foo 1=foo
  it('keeps named captures of an outer regex after a nested one matched', () => {
    const t = tree([['~ ^/n/(?<num>\\d+)', 'N', [['~ (?<word>\\w+)\\.php$', 'php']]]])
    expect(match(t, '/n/7/foo.php')).toMatchObject({ captures: ['foo.php', 'foo'], groups: { num: '7', word: 'foo' } })
  })

  it('does not leak captures of one find into the next', () => {
    const t = tree([['~ ^/(a)', 'A'], ['/', 'root']])
    t.find('/a')
    expect(t.find('/b')).toEqual({ value: 'root', captures: undefined, groups: undefined })
  })
})

describe('LocationTree: named locations', () => {
  it('finds a named location by its name with the @', () => {
    const t = tree([['@fallback', 'F'], ['/', 'root']])
    expect(t.named('@fallback')).toBe('F')
    expect(t.named('@other')).toBeUndefined()
  })

  it('never matches a uri against a named location', () => {
    expect(at(tree([['@a', 'F']]), '@a')).toBeUndefined()
  })

  // reference: two "location @a" pass nginx -t; ngx.exec("@a") runs the first
  it('keeps the first of two named locations with the same name', () => {
    expect(tree([['@a', 'first'], ['@a', 'second']]).named('@a')).toBe('first')
  })
})

describe('LocationTree: configuration errors', () => {
  // reference: each message is nginx -t's [emerg] text (without " in FILE:LINE")
  it('rejects two prefixes with the same name', () => {
    expect(() => tree([['/a', '1'], ['/a', '2']])).toThrow('duplicate location "/a"')
  })
  it('rejects ^~ and a plain prefix with the same name', () => {
    expect(() => tree([['^~ /a', '1'], ['/a', '2']])).toThrow('duplicate location "/a"')
  })
  it('rejects two exact locations with the same name', () => {
    expect(() => tree([['= /a', '1'], ['= /a', '2']])).toThrow('duplicate location "/a"')
  })
  it('allows = and a prefix with the same name, and two equal regexes', () => {
    expect(() => tree([['= /a', '1'], ['/a', '2'], ['~ x', '3'], ['~ x', '4']])).not.toThrow()
  })
  it('rejects a nested prefix outside its parent', () => {
    expect(() => tree([['/a', 'A', [['/b', 'B']]]])).toThrow('location "/b" is outside location "/a"')
  })
  it('compares a prefix nested in a regex location with the pattern text', () => {
    expect(() => tree([['~ \\.php', 'R', [['/x', 'X']]]])).toThrow('location "/x" is outside location "\\.php"')
    expect(() => tree([['~ /a', 'R', [['/a/x', 'X']]]])).not.toThrow()
  })
  it('rejects a named location that is nested', () => {
    expect(() => tree([['/a', 'A', [['@n', 'N']]]])).toThrow('named location "@n" can be on the server level only')
  })
  it('rejects a location inside an exact location', () => {
    expect(() => tree([['= /a', 'A', [['/a/b', 'B']]]])).toThrow('location "/a/b" cannot be inside the exact location "/a"')
  })
  it('rejects a location inside a named location', () => {
    expect(() => tree([['@a', 'A', [['/x', 'X']]]])).toThrow('location "/x" cannot be inside the named location "@a"')
  })
  it('accepts a nested regex anywhere', () => {
    expect(() => tree([['/a', 'A', [['~ x', 'X']]]])).not.toThrow()
  })
  it('compiles a ParsedLocation given with a regex kind but no RegExp', () => {
    const t = new LocationTree<string>()
    t.add({ kind: 'iregex', path: '\\.PNG$', regex: undefined }, 'R')
    expect(at(t, '/a.png')).toBe('R')
  })
  it('accepts an already parsed location', () => {
    const t = new LocationTree<string>()
    t.add(parseLocation('= /p'), 'P')
    expect(at(t, '/p')).toBe('P')
  })
})
