import { describe, expect, it } from 'vitest'
import { compileRegex } from './pcre.ts'

const re = (src: string, caseless = false): RegExp => compileRegex(src, caseless)

describe('compileRegex: what JS already reads like PCRE', () => {
  it('keeps ordinary patterns working', () => {
    expect(re('^/api/(\\d+)/(\\w+)\\.json').exec('/api/12/item.json')?.slice(1)).toEqual(['12', 'item'])
  })
  it('makes the pattern case-insensitive when asked (~*)', () => {
    expect(re('\\.png', true).test('/A.PNG')).toBe(true)
    expect(re('\\.png').test('/A.PNG')).toBe(false)
  })
  it('reads escaped punctuation as literals', () => {
    expect(re('^/a\\-b\\/c\\@').test('/a-b/c@')).toBe(true)
    expect(re('[a\\-z]+$').test('-')).toBe(true)
  })
  it('uses no g or y flag, so test() keeps no state between calls', () => {
    const r = re('a')
    expect([r.test('a'), r.test('a')]).toEqual([true, true])
  })
})

describe('compileRegex: named groups', () => {
  it('translates (?P<name>...) to a JS named group', () => {
    expect(re('^/(?P<user>\\w+)').exec('/bob')?.groups).toEqual({ user: 'bob' })
  })
  it('keeps (?<name>...) and translates (?\'name\'...)', () => {
    expect(re("(?<a>x)(?'b'y)").exec('xy')?.groups).toEqual({ a: 'x', b: 'y' })
  })
  it('translates (?P=name), \\k{name} and \\g{1} back references', () => {
    expect(re('(?P<n>a)(?P=n)').test('aa')).toBe(true)
    expect(re('(?<n>a)\\k{n}').test('aa')).toBe(true)
    expect(re('(a)\\g{1}\\g1').test('aaa')).toBe(true)
  })
  it('keeps lookbehind groups apart from named groups', () => {
    expect(re('(?<=/)x(?<!y)').test('/x')).toBe(true)
  })
})

describe('compileRegex: options', () => {
  it('turns a leading (?i) into the i flag', () => {
    expect(re('(?i)^/abc').flags).toContain('i')
    expect(re('(?i)^/abc').test('/ABC')).toBe(true)
  })
  // reference: "location ~ ^/(?i)CI/" matches /CI/, /ci/ and /Ci/
  it('applies an inline (?i) to the rest of the pattern only', () => {
    expect(re('^/(?i)ci/').test('/Ci/')).toBe(true)
    expect(re('^/a(?i)b').test('/aB')).toBe(true)
    expect(re('^/a(?i)b').test('/AB')).toBe(false)
  })
  // reference: "location ~ ^/alt/(x(?i)b|c)$" matches /alt/C and /alt/xB, not /alt/Xb
  it('applies an inline option to the later alternatives of its group, as PCRE does', () => {
    expect(re('^(a(?i)b|c)$').test('C')).toBe(true)
    expect(re('^(a(?i)b|c)d$').test('cD')).toBe(false)
  })
  it('supports (?i:...) groups and turning an option off', () => {
    expect(re('^(?i:a)b$').test('Ab')).toBe(true)
    expect(re('^(?-i:a)b$', true).test('aB')).toBe(true)
    expect(re('^(?-i:a)b$', true).test('AB')).toBe(false)
  })
  it('drops (?#comments)', () => {
    expect(re('^a(?#note)b$').test('ab')).toBe(true)
  })
})

describe('compileRegex: anchors', () => {
  // reference: "location ~ \.php$" matches /x.php%0A but not /x.php%0Ax
  it('lets $ match before a final newline, as PCRE does', () => {
    expect(re('\\.php$').test('/x.php\n')).toBe(true)
    expect(re('\\.php$').test('/x.php\nx')).toBe(false)
    expect(re('\\.php$').test('/x.php')).toBe(true)
  })
  it('reads \\A, \\z and \\Z', () => {
    expect(re('\\A/a').test('x/a')).toBe(false)
    expect(re('a\\z').test('a\n')).toBe(false)
    expect(re('a\\Z').test('a\n')).toBe(true)
  })
})

describe('compileRegex: PCRE meanings JS differs on', () => {
  // reference: "location ~ ^/dot/a.b$" matches /dot/a%0Db, not /dot/a%0Ab
  it('lets . match \\r but not \\n', () => {
    expect(re('^/a.b$').test('/a\rb')).toBe(true)
    expect(re('^/a.b$').test('/a\nb')).toBe(false)
  })
  it('keeps JS\'s . when (?s) is used', () => {
    expect(re('(?s)^a.b$').test('a\nb')).toBe(true)
  })
  // reference: "location ~ ^/sp/a\s$" matches /sp/a%20, not /sp/a%A0
  it('lets \\s match ASCII spaces only', () => {
    expect(re('^\\s+$').test(' \t\n\r\f\v')).toBe(true)
    expect(re('^\\s$').test('\xa0')).toBe(false)
    expect(re('^\\S$').test('\xa0')).toBe(true)
    expect(re('^[\\sx]+$').test(' x')).toBe(true)
  })
})

describe('compileRegex: PCRE escapes JS lacks', () => {
  // reference: "location ~ ^/h\h/" matches "/h /" and "/h\t/" but not "/hh/"
  it('reads \\h as horizontal space, not the letter h', () => {
    expect(re('^/h\\h/').test('/h /')).toBe(true)
    expect(re('^/h\\h/').test('/h\t/')).toBe(true)
    expect(re('^/h\\h/').test('/hh/')).toBe(false)
    expect(re('^\\H$').test(' ')).toBe(false)
  })
  it('reads \\v as vertical space and \\R as a line break', () => {
    expect(re('^\\v$').test('\n')).toBe(true)
    expect(re('^a\\Rb$').test('a\r\nb')).toBe(true)
  })
  // reference: "^/lit/\Qa.b\E$" matches /lit/a.b, not /lit/axb
  it('reads \\Q...\\E as a literal', () => {
    expect(re('^\\Q/a.b*\\E$').test('/a.b*')).toBe(true)
    expect(re('^\\Q/a.b*\\E$').test('/axbb')).toBe(false)
  })
  it('reads \\x{...}, \\e and \\a', () => {
    expect(re('^\\x{41}\\x{e9}$').test('Aé')).toBe(true)
    expect(re('^\\e\\a$').test('\x1b\x07')).toBe(true)
  })
  it('reads \\pL with the unicode flag', () => {
    expect(re('^\\pL+$').test('été')).toBe(true)
  })
})

describe('compileRegex: character classes', () => {
  // reference: "^/px/[[:digit:]]+$" matches /px/123, not /px/12a
  it('reads POSIX classes', () => {
    expect(re('^[[:digit:]]+$').test('123')).toBe(true)
    expect(re('^[[:alpha:][:digit:]_]+$').test('a1_')).toBe(true)
    expect(re('^[[:alpha:]]$').test('1')).toBe(false)
  })
  it('takes a ] right after [ or [^ as a literal', () => {
    expect(re('^[]a]+$').test(']a')).toBe(true)
    expect(re('^[^]a]$').test('b')).toBe(true)
    expect(re('^[^]a]$').test(']')).toBe(false)
  })
  it('reads \\h inside a class', () => {
    expect(re('^[\\hx]+$').test(' x\t')).toBe(true)
  })
})

describe('compileRegex: errors', () => {
  const err = (src: string): string => {
    try {
      compileRegex(src, false)
    } catch (e) {
      return (e as Error).message
    }
    return 'no error'
  }
  // reference: the pcre2 texts are nginx -t's for these patterns (without its `at "..."` part)
  it('reports an unmatched )', () => expect(err('a)')).toBe('pcre2_compile() failed: unmatched closing parenthesis in "a)"'))
  it('reports a missing )', () => expect(err('(a')).toBe('pcre2_compile() failed: missing closing parenthesis in "(a"'))
  it('reports a quantifier with nothing to repeat', () => {
    expect(err('*a')).toBe('pcre2_compile() failed: quantifier does not follow a repeatable item in "*a"')
  })
  it('reports {} numbers out of order', () => expect(err('a{3,1}')).toBe('pcre2_compile() failed: numbers out of order in {} quantifier in "a{3,1}"'))
  it('reports a range out of order', () => expect(err('[z-a]')).toBe('pcre2_compile() failed: range out of order in character class in "[z-a]"'))
  it('reports a missing ]', () => expect(err('[a')).toBe('pcre2_compile() failed: missing terminating ] for character class in "[a"'))
  it('reports a duplicate group name', () => expect(err('(?<n>a)(?<n>b)')).toContain('two named subpatterns have the same name'))
  it('reports a group name starting with a digit', () => expect(err('(?<1a>x)')).toContain('subpattern name must start with a non-digit'))
  it('reports an unknown POSIX class', () => expect(err('[[:foo:]]')).toBe('pcre2_compile() failed: unknown POSIX class name in "[[:foo:]]"'))
  it('reports a reference to a missing group', () => expect(err('(?<a>x)\\k<zz>')).toContain('reference to non-existent subpattern'))
  it('reports a trailing backslash', () => expect(err('a\\')).toContain('\\ at end of pattern'))
  it('rejects what JS cannot express rather than match differently', () => {
    expect(err('a++b')).toContain('possessive quantifiers are not supported')
    expect(err('(?>a)')).toContain('unsupported group "(?>"')
    expect(err('a\\Kb')).toContain('unsupported escape \\K')
    expect(err('\\Ga')).toContain('unsupported escape \\G')
    expect(err('(?x) a')).toContain('(?x) option is not supported')
  })
  it('accepts a lazy quantifier', () => expect(err('a+?b*?c??')).toBe('no error'))
  it('throws a ConfError', () => expect(() => compileRegex('(', false)).toThrow(expect.objectContaining({ code: 'NGX_ERR_CONF' })))
})
