// The Perl literal subset: quotes, q/qq, heredocs, qr//, arrays, `.`, `x N`, $ENV, our vars, ?:.
import { describe, expect, it } from 'vitest'
import { PerlError, evalPerl, perlRegex, perlScope, perlString } from '../src/perl.ts'
import type { PerlScope } from '../src/perl.ts'

function scope(env: Record<string, string> = {}): PerlScope {
  return perlScope({ TEST_NGINX_HTML_DIR: '/srv/html', ...env })
}

describe('quotes', () => {
  it('double quotes: escapes and $ENV interpolation', () => {
    expect(evalPerl('"GET /t?a=1\\r\\n\\tx\\x41\\x{263a}\\0\\$no"', scope())).toBe('GET /t?a=1\r\n\tx\x41\u263a\0$no')
    expect(evalPerl('"dir=$ENV{TEST_NGINX_HTML_DIR}/a"', scope())).toBe('dir=/srv/html/a')
  })
  it('single quotes keep backslashes except \\\\ and \\\'', () => {
    expect(evalPerl("'a\\nb\\'c\\\\d'", scope())).toBe("a\\nb'c\\d")
  })
  it('q{} and qq{} with nested braces and other delimiters', () => {
    expect(evalPerl('q{location /t { return 200; }}', scope())).toBe('location /t { return 200; }')
    expect(evalPerl('qq!port $ENV{P}\\n!', scope({ P: '1984' }))).toBe('port 1984\n')
    expect(evalPerl('qq(a (b) c)', scope())).toBe('a (b) c')
  })
  it('our variables interpolate, unknown ones are errors', () => {
    const s = scope()
    s.vars.set('HttpConfig', 'lua_package_path "x";')
    expect(evalPerl('"$HttpConfig\\n${HttpConfig}|$::HttpConfig"', s)).toBe('lua_package_path "x";\nlua_package_path "x";|lua_package_path "x";')
    expect(() => evalPerl('"$Missing"', s)).toThrow(PerlError)
  })
  it('match variables interpolate as undef, as in Perl; \\$1 stays', () => {
    expect(evalPerl('qq{rewrite ^/(.*)$ /x/$1 \\$2;}', scope())).toBe('rewrite ^/(.*)$ /x/ $2;')
  })
  it('array interpolation in a string is refused', () => {
    expect(() => evalPerl('"a @list b"', scope())).toThrow(/array interpolation/)
  })
})

describe('heredocs', () => {
  it('interpolating, literal and indented forms, with code after the marker', () => {
    const s = scope({ PORT: '8080' })
    expect(evalPerl('<<_EOC_ . "tail";\nlisten $ENV{PORT};\n_EOC_\n', s)).toBe('listen 8080;\ntail')
    expect(evalPerl("<<'EOF';\nno $interp\nEOF\n", s)).toBe('no $interp\n')
    expect(evalPerl('<<~EOT;\n    a\n      b\n    EOT\n', s)).toBe('a\n  b\n')
  })
  it('two heredocs on one line', () => {
    expect(evalPerl('[<<A, <<B]\none\nA\ntwo\nB\n', scope())).toEqual(['one\n', 'two\n'])
  })
})

describe('operators', () => {
  it('concatenation and repetition', () => {
    expect(evalPerl('"POST /t\\n" . "a" x 3 . "b"', scope())).toBe('POST /t\naaab')
    expect(evalPerl('"x" x (2 + 1)', scope())).toBe('xxx')
  })
  it('list repetition inside an array', () => {
    expect(evalPerl('[("GET /t") x 3]', scope())).toEqual(['GET /t', 'GET /t', 'GET /t'])
  })
  it('arrays, nested arrays, => and trailing commas', () => {
    expect(evalPerl('["GET /a", ["POST /b\\nhel", "lo"], 200,]', scope())).toEqual(['GET /a', ['POST /b\nhel', 'lo'], 200])
    expect(evalPerl('[a => 1]', scope())).toEqual(['a', 1])
  })
  it('arithmetic and numbers', () => {
    expect(evalPerl('1024 * 1024', scope())).toBe(1048576)
    expect(evalPerl('1_000 + 0x10 - 6 / 2', scope())).toBe(1013)
  })
  it('the PCRE-version ternary', () => {
    const src = '$Test::Nginx::Util::PcreVersion == 2 ? "pcre2_compile() failed" : "pcre_compile() failed"'
    expect(evalPerl(src, scope())).toBe('pcre2_compile() failed')
    expect(evalPerl(src, perlScope({}, 1))).toBe('pcre_compile() failed')
  })
  it('join, defined, !, comparisons', () => {
    expect(evalPerl('join(",", "a", "b", ["c"])', scope())).toBe('a,b,c')
    expect(evalPerl('defined $ENV{NOPE} ? 1 : 0', scope())).toBe(0)
    expect(evalPerl('!$ENV{NOPE} && "eq" eq "eq"', scope())).toBe(1)
  })
  it('comments are skipped and a trailing semicolon is fine', () => {
    expect(evalPerl('# a comment\n"x"; # done\n', scope())).toBe('x')
  })
  it('unsupported code throws PerlError with what it met', () => {
    expect(() => evalPerl('sprintf("%d", 3)', scope())).toThrow(/unknown function or bareword "sprintf"/)
    expect(() => evalPerl('my $x = 1; $x', scope())).toThrow(PerlError)
    expect(() => evalPerl('"a" "b"', scope())).toThrow(/more than one expression/)
  })
})

describe('qr//', () => {
  it('compiles with flags and Perl anchors', () => {
    const re = evalPerl('qr/^hello, \\w+$/', scope()) as RegExp
    expect(re).toBeInstanceOf(RegExp)
    expect(re.test('hello, world\n')).toBe(true)
    expect(re.test('hello, world\nmore')).toBe(false)
    expect((evalPerl('qr{LUA}i', scope()) as RegExp).test('lua')).toBe(true)
    expect((evalPerl('qr/a.b/s', scope()) as RegExp).test('a\nb')).toBe(true)
  })
  it('translates \\A, \\z, \\h, (?P<name>) and /x', () => {
    expect(perlRegex('\\Aab\\z').test('ab')).toBe(true)
    expect(perlRegex('\\Aab\\z').test('ab\n')).toBe(false)
    expect(perlRegex('a\\hb').test('a\tb')).toBe(true)
    expect(perlRegex('(?P<n>\\d+)').exec('x12')?.groups?.['n']).toBe('12')
    expect(perlRegex(' a  b # comment\n c', 'x').test('abc')).toBe(true)
  })
  it('a leading (?i) becomes the i flag; possessive and atomic groups are refused', () => {
    expect(perlRegex('(?i)abc').test('ABC')).toBe(true)
    expect(() => perlRegex('a++')).toThrow(PerlError)
    expect(() => perlRegex('(?>a)')).toThrow(PerlError)
  })
  it('shows as Perl stringifies it', () => {
    expect(perlString(perlRegex('ab', 'i'))).toBe('(?^i:ab)')
  })
})
