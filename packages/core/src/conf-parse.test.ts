// The nginx.conf parser against what the reference nginx 1.22.1 + ngx_lua 0.10.23 does.
// Every error text and line below was read from `nginx -t -p <dir> -c conf/nginx.conf` on
// the same input (see conf-parse.md for the runs), and argument values from `return 200 …`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfError } from './errors.ts'
import { ConfFileError, parseConfFile, parseConfParam, parseConfString } from './conf-parse.ts'
import type { ConfDirective, ConfParseOptions, ConfRoot } from './conf-parse.ts'
import { globInclude } from './conf-parse-glob.ts'

const FILE = '/srv/t/conf/nginx.conf'
const FIXTURES = fileURLToPath(new URL('../test/fixtures/conf/', import.meta.url))

const parse = (text: string, options?: ConfParseOptions): ConfRoot => parseConfString(text, FILE, options)

/** The ConfFileError parsing text throws (fails the test if it parses). */
function fail(text: string, options?: ConfParseOptions): ConfFileError {
  try {
    parse(text, options)
  } catch (e) {
    if (e instanceof ConfFileError) return e
    throw e
  }
  throw new Error(`parsed without an error: ${JSON.stringify(text.slice(0, 200))}`)
}

/** `nginx -t`'s line for an error in FILE. */
const emerg = (text: string, line: number): string => `nginx: [emerg] ${text} in ${FILE}:${line}`

const values = (d: ConfDirective | undefined): string[] => d?.args.map((a) => a.value) ?? []

function dir(root: ConfRoot | ConfDirective | undefined, ...path: number[]): ConfDirective | undefined {
  let list = root === undefined ? [] : 'directives' in root ? root.directives : (root.block?.directives ?? [])
  let d: ConfDirective | undefined
  for (const i of path) {
    d = list[i]
    list = d?.block?.directives ?? []
  }
  return d
}

describe('directives, blocks and positions', () => {
  it('reads names, arguments, blocks and the lines of each', () => {
    const conf = parse('worker_processes 2;\nevents {\n    worker_connections 64;\n}\n')
    expect(conf.directives.map((d) => d.name)).toEqual(['worker_processes', 'events'])
    expect(values(dir(conf, 0))).toEqual(['2'])
    expect(dir(conf, 0)).toMatchObject({ file: FILE, line: 1, endLine: 1 })
    expect(dir(conf, 1)?.block).toMatchObject({ line: 2, endLine: 4 })
    expect(dir(conf, 1, 0)).toMatchObject({ name: 'worker_connections', line: 3, endLine: 3 })
    expect(conf).toMatchObject({ file: FILE, files: [FILE], line: 1, endLine: 5 })
  })

  it('puts a directive at the line of its name and ends it at the line of its ";" or "{"', () => {
    // reference: `listen\n  abc\n  ;` fails with `host not found in "abc" of the "listen" directive in …:6`,
    // the line of the ";"; `location\n/ \n\n{` with `"location" directive is not allowed here in …:6`, the "{"
    const conf = parse('server {\nlisten\n  abc\n  ;\nlocation\n/ \n\n{\n}\n}\n')
    expect(dir(conf, 0, 0)).toMatchObject({ name: 'listen', line: 2, endLine: 4 })
    expect(dir(conf, 0, 0)?.args[0]).toMatchObject({ value: 'abc', line: 3 })
    expect(dir(conf, 0, 1)).toMatchObject({ name: 'location', line: 5, endLine: 8 })
    expect(dir(conf, 0, 1)?.block).toMatchObject({ line: 8, endLine: 9 })
  })

  it('counts lines by LF only (CRLF files count the same)', () => {
    const conf = parse('a 1;\r\nb {\r\n  c "x\r\ny";\r\n}\r\n')
    expect(dir(conf, 1, 0)).toMatchObject({ line: 3, endLine: 4 })
    expect(values(dir(conf, 1, 0))).toEqual(['x\r\ny'])
  })

  it('takes a quoted directive name as nginx looks it up', () => {
    expect(dir(parse('"worker_processes" 1;'), 0)?.name).toBe('worker_processes')
  })

  it('parses an empty file, and one with only comments', () => {
    expect(parse('').directives).toEqual([])
    expect(parse('\n\n# only a comment').directives).toEqual([])
  })
})

describe('words, quotes and escapes', () => {
  it('processes \\" \\\' \\\\ \\t \\r \\n in and out of quotes and keeps other backslashes', () => {
    // reference: `return 200 a\;b\ c\x\\y\"z\tq;` answers the bytes `a\;b\ c\x\y"z<TAB>q`
    expect(values(dir(parse('return 200 a\\;b\\ c\\x\\\\y\\"z\\tq;'), 0))).toEqual(['200', 'a\\;b\\ c\\x\\y"z\tq'])
    // reference: `return 200 "q\"\x\\y\n\t\r|\'";` answers `q"\x\y<LF><TAB><CR>|'`
    expect(values(dir(parse('return 200 "q\\"\\x\\\\y\\n\\t\\r|\\\'";'), 0))).toEqual(['200', 'q"\\x\\y\n\t\r|\''])
    // reference: `return 200 's\"\x\\y\n|\'';` answers `s"\x\y<LF>|'`
    expect(values(dir(parse("return 200 's\\\"\\x\\\\y\\n|\\'';"), 0))).toEqual(['200', 's"\\x\\y\n|\''])
    // reference: a backslash before a newline keeps both
    expect(values(dir(parse('return 200 a\\\nb;'), 0))).toEqual(['200', 'a\\\nb'])
  })

  it('says which arguments were quoted, and with what', () => {
    const d = dir(parse('if ($a = "") { }\nx \'1\' "2" 3;'), 1)
    expect(d?.args.map((a) => [a.value, a.quoted, a.quote])).toEqual([['1', true, "'"], ['2', true, '"'], ['3', false, '']])
    expect(dir(parse('if ($a = "") { }'), 0)?.args[2]).toMatchObject({ value: '', quoted: true })
  })

  it('keeps ";", "{", "}", "#" and newlines inside quotes', () => {
    expect(values(dir(parse('x "a;{b}#c\nd" \'e"f\';'), 0))).toEqual(['a;{b}#c\nd', 'e"f'])
  })

  it('keeps "#", "}" and quotes inside a bare word (reference: `return 200 ab#cd` and `a}b`)', () => {
    expect(values(dir(parse('return 200 ab#cd;\nreturn 200 a}b;\nx a"b"c;'), 0))).toEqual(['200', 'ab#cd'])
    expect(values(dir(parse('return 200 ab#cd;\nreturn 200 a}b;\nx a"b"c;'), 1))).toEqual(['200', 'a}b'])
    expect(values(dir(parse('x a"b"c;'), 0))).toEqual(['a"b"c'])
  })

  it('keeps variables as text, ${var} braces included (reference: `${uri}x` answers `/fx`)', () => {
    expect(values(dir(parse('return 200 ${uri}x;\nset $a $b${c}d;'), 0))).toEqual(['200', '${uri}x'])
    expect(values(dir(parse('return 200 ${uri}x;\nset $a $b${c}d;'), 1))).toEqual(['$a', '$b${c}d'])
  })

  it('ends a word at "{" after a variable name, but not right after "$"', () => {
    const conf = parse('a $x{ b; }\nc ${{ ;')
    expect(values(dir(conf, 0))).toEqual(['$x'])
    expect(dir(conf, 0, 0)?.name).toBe('b')
    expect(values(dir(conf, 1))).toEqual(['${{'])
  })

  it('tokenizes `if ($a ~* "x") {` as nginx hands it to the rewrite module', () => {
    const ifs = parse('if ($a ~* "x") { return 200; }\nif ($b ~ \'y\'){ }')
    expect(dir(ifs, 0)?.args.map((a) => [a.value, a.quoted])).toEqual([['($a', false], ['~*', false], ['x', true], [')', false]])
    expect(values(dir(ifs, 0, 0))).toEqual(['200'])
    expect(values(dir(ifs, 1))).toEqual(['($b', '~', 'y', ')'])
  })

  it('needs quotes around a regex with braces: `location ~ ^/a{2}$` opens a block at the "{"', () => {
    // reference: `location ~ ^/a{2}$ { }` fails with `unknown directive "2}$" in …:4`
    const unknown = (d: ConfDirective): void => {
      if (!['server', 'location'].includes(d.name)) throw new ConfFileError(`unknown directive "${d.name}"`, { file: d.file, line: d.endLine })
    }
    const text = 'server {\n\n\n location ~ ^/a{2}$ { }\n }\n'
    expect(fail(text, { onDirective: unknown }).message).toBe(emerg('unknown directive "2}$"', 4))
    expect(fail(text).message).toBe(emerg('unexpected end of file, expecting "}"', 6))
    // reference: both of these pass `nginx -t`
    expect(values(dir(parse('location ~ "^/a{2}$" { }'), 0))).toEqual(['~', '^/a{2}$'])
    expect(values(dir(parse('location ~ ^/a\\{2}$ { }'), 0))).toEqual(['~', '^/a\\{2}$'])
  })
})

describe('comments', () => {
  it('runs from "#" at the start of a word to the end of the line', () => {
    const conf = parse('# top\na 1; # after\nb # between\n  2;\n#end')
    expect(conf.directives.map((d) => [d.name, values(d)])).toEqual([['a', ['1']], ['b', ['2']]])
  })

  it('is no comment right after a closing quote (reference: `http "a"#x` → unexpected "#")', () => {
    expect(fail('events {}\nhttp "a"#x\n;').message).toBe(emerg('unexpected "#"', 2))
  })
})

describe('syntax errors', () => {
  it.each([
    // [input, nginx's text, line] — each as `nginx -t` printed it
    ['events {}\nhttp {\n  }\n}\n', 'unexpected "}"', 4],
    ['events {}\nhttp {\n', 'unexpected end of file, expecting "}"', 3],
    ['events {}\nhttp {\n listen 80', 'unexpected end of file, expecting ";" or "}"', 3],
    ['events {}\n;', 'unexpected ";"', 2],
    ['events {}\n{', 'unexpected "{"', 2],
    ['events {}\nhttp "a""b";', 'unexpected """', 2],
    ['events {}\nhttp "a"b;', 'unexpected "b"', 2],
    ["events {}\nhttp 'a'\"b\";", 'unexpected """', 2],
    ["events {}\nhttp {'a'}", 'unexpected "}"', 2],
    ['events {}\nhttp {\nserver {\nlisten 80 }}', 'unexpected "}"', 4],
    ['events {}\nhttp "a\n\nb', 'unexpected end of file, expecting ";" or "}"', 4],
    ['events {} "abc', 'unexpected end of file, expecting ";" or "}"', 1],
    ['events {}\n\\', 'unexpected end of file, expecting ";" or "}"', 2],
  ])('%j: %s', (text, message, line) => {
    const e = fail(text)
    expect(e.message).toBe(emerg(message, line))
    expect(e).toMatchObject({ text: message, file: FILE, line, level: 'emerg' })
  })

  it('names a non-ASCII byte after a quote as the one byte nginx prints', () => {
    expect(fail('x "a"é;').text).toBe('unexpected "\u00c3"')
  })
})

describe('too long parameters (nginx reads a file through a 4096-byte buffer)', () => {
  const pre = 'events {}\nworker_processes '
  const tail = '\n' + '#'.repeat(10)
  it.each([
    // reference: 4095 bytes pass the tokenizer (`"worker_processes" directive invalid value`)
    [`${pre}${'a'.repeat(4095)};${tail}`, undefined],
    [`${pre}${'a'.repeat(4096)};${tail}`, 'too long parameter "aaaaaaaaaa..." started'],
    [`${pre}${'a'.repeat(4096)};`, 'too long parameter "aaaaaaaaaa..." started'],
    [`${pre}"${'a'.repeat(4094)}";${tail}`, undefined],
    // the quote closes, but the buffer must still reach the ";" (nginx's start stays put)
    [`${pre}"${'a'.repeat(4095)}";${tail}`, 'too long parameter "aaaaaaaaaa..." started'],
    [`${pre}"${'a'.repeat(4094)}" ;${tail}`, 'too long parameter "aaaaaaaaaa..." started'],
    [`${pre}"${'a'.repeat(4096)}";${tail}`, 'too long parameter, probably missing terminating """ character'],
    [`${pre}'${'a'.repeat(4096)}';${tail}`, 'too long parameter, probably missing terminating "\'" character'],
    [`${pre}"\n\n${'a'.repeat(5000)}";${tail}`, 'too long parameter, probably missing terminating """ character'],
    [`${pre}${'é'.repeat(2048)};${tail}`, 'too long parameter "ééééé..." started'],
    // comments count too
    [`events {}\n#${'a'.repeat(4094)}\n${'#'.repeat(10)}`, undefined],
    [`events {}\n#${'a'.repeat(4095)}\n${'#'.repeat(10)}`, 'too long parameter "#aaaaaaaaa..." started'],
    [`events {}\n  ${' '.repeat(5000)}\n${'#'.repeat(10)}`, undefined],
  ])('case %#', (text, message) => {
    if (message === undefined) {
      expect(() => parse(text)).not.toThrow()
      return
    }
    expect(fail(text).message).toBe(emerg(message, 2))
  })

  it('tells end of file from too long when the word runs to the end', () => {
    expect(fail(`${pre}${'a'.repeat(4096)}`).text).toBe('unexpected end of file, expecting ";" or "}"')
  })
})

describe('*_by_lua_block bodies', () => {
  it('takes the code verbatim between the braces, Lua strings, comments and long brackets included', () => {
    const code = [
      '',
      '        -- comment with } brace and "quote',
      '        local s = [==[ a } ]] b',
      ' c ]==] --[[ multi',
      '  } ]]',
      `        ngx.say(s, "|", '}', "\\"}", '\\'}', [[x]], { t = {} })`,
      '    ',
    ].join('\n')
    const conf = parse(`location /a {\n    content_by_lua_block {${code}}\n}\n`)
    expect(dir(conf, 0, 0)).toMatchObject({ name: 'content_by_lua_block', args: [], line: 2, endLine: 2 })
    expect(dir(conf, 0, 0)?.lua).toEqual({ code, line: 2, endLine: 8 })
    expect(dir(conf, 0, 0)?.block).toBeUndefined()
    expect(dir(conf, 0)?.block?.endLine).toBe(9)
  })

  it('gives the line of "{" as the code\'s first line: the N of `=content_by_lua(nginx.conf:N)`', () => {
    // reference: `content_by_lua_block\n  {\n ngx.say(debug.getinfo(1,'S').source, …currentline) }` on
    // lines 19–21 prints `=content_by_lua(nginx.conf:20) 2`; `set_by_lua_block\n$x\n{` likewise names the "{"
    const conf = parse('a;\ncontent_by_lua_block\n  {\n ngx.say(1) }\nset_by_lua_block\n  $x\n\n  {\n return 1\n }\n')
    expect(dir(conf, 1)).toMatchObject({ line: 2, endLine: 3, lua: { line: 3, endLine: 4, code: '\n ngx.say(1) ' } })
    expect(dir(conf, 2)).toMatchObject({ line: 5, endLine: 8, lua: { line: 8, endLine: 10 } })
    expect(values(dir(conf, 2))).toEqual(['$x'])
  })

  it('continues with nginx directives right after the closing brace', () => {
    const conf = parse('content_by_lua_block { a = { b = "}" } }b 1;\nc 2;')
    expect(conf.directives.map((d) => d.name)).toEqual(['content_by_lua_block', 'b', 'c'])
  })

  it('ends a "…" or \'…\' string at its line: an unclosed quote does not hide a "}"', () => {
    // reference: `local a = "x }\n "\n}` closes the block at the "}" inside the quote …
    expect(fail('location / { content_by_lua_block {\n local a = "x }\n "\n}\n}\n').message)
      .toBe(emerg('unexpected end of file, expecting ";" or "}"', 6))
    // … and a backslash before the newline does not carry the string on
    const conf = parse("content_by_lua_block {\n local a = 'x\\\n }\nb';")
    expect(dir(conf, 0)?.lua?.code).toBe("\n local a = 'x\\\n ")
    expect(dir(conf, 1)?.name).toBe("b'")
  })

  it('reads comments, long comments and [=[ ]=] levels as Lua does', () => {
    const conf = parse('content_by_lua_block {\n a = 1 -- }\n b = --[=[ }\n]] ]=] c [=x }\nd;')
    expect(dir(conf, 0)?.lua?.code).toBe('\n a = 1 -- }\n b = --[=[ }\n]] ]=] c [=x ')
    expect(dir(conf, 1)?.name).toBe('d')
    expect(dir(parse('content_by_lua_block { -- [[ }\n]] }'), 0)?.lua?.code).toBe(' -- [[ }\n]] ')
  })

  it.each([
    ['location / { content_by_lua_block {\n local a = [[xx }\n }}}\n', 'Lua code block missing the closing long bracket "]]", the inlined Lua code may be too long', 2],
    ['location / { content_by_lua_block {\n local a = [==[xx]] }\n }}}\n', 'Lua code block missing the closing long bracket "]==]", the inlined Lua code may be too long', 2],
    ['location / { content_by_lua_block {\n --[==[xx]] }\n }}}\n', 'Lua code block missing the closing long bracket "]==]", the inlined Lua code may be too long', 2],
    // a missing end is reported at the last "{" ngx_lua saw
    ['location / { content_by_lua_block {\n local a = {xx }\n ', 'unexpected end of file, expecting terminating characters for lua code block', 2],
    ['location / { content_by_lua_block {\n a={}\n\n [[x\n\n]]\n\nb\n', 'unexpected end of file, expecting terminating characters for lua code block', 2],
    ['location / { content_by_lua_block {\n a={}\n\n {\n\nb\n', 'unexpected end of file, expecting terminating characters for lua code block', 4],
    ['location / { content_by_lua_block {\n\n\n\nb\n', 'unexpected end of file, expecting terminating characters for lua code block', 1],
    ['location / { content_by_lua_block {\n {\n {\n}\n}\n', 'unexpected end of file, expecting terminating characters for lua code block', 3],
    // the block is a block: no ";" instead of it, nothing after it
    ['location / {\n content_by_lua_block;\n}\n', 'directive "content_by_lua_block" has no opening "{"', 2],
    ['location / {\n content_by_lua_block { a }\n;}\n', 'unexpected ";"', 3],
  ])('%j: %s', (text, message, line) => {
    expect(fail(text).message).toBe(emerg(message, line))
  })
})

describe('long Lua blocks (ngx_lua reads them through nginx\'s 4096-byte buffer)', () => {
  // `nginx -t` on: 140 bytes of header + this + a long tail, as measured (conf-parse.md)
  const header = 'load_module a;\nload_module b;\nevents {}\nhttp {\nserver {\n' + '#'.repeat(83) + '\n'
  const tail = '\n}}}\n' + `${'#'.repeat(50)}\n`.repeat(200)
  const block = (body: string): string => `${header}location / { content_by_lua_block {${body}}${tail}`

  it('has the test header where the measurements had it', () => {
    expect(Buffer.byteLength(header)).toBe(140)
  })

  it('fails when no token reaches the end of the first buffer (reference: 3920 a\'s pass, 3921 fail)', () => {
    expect(() => parse(block('a'.repeat(3920)))).not.toThrow()
    expect(fail(block('a'.repeat(3921))).message).toBe(emerg('too long lua code block, probably missing terminating characters', 7))
  })

  it('counts braces, strings and comments as tokens that move the window', () => {
    // reference (a file that ends right after the block): 310 lines of ` local a = 1` pass, 320 fail
    const lines = (n: number): string => `${header}location / { content_by_lua_block {\n${' local a = 1\n'.repeat(n)} }\n }}}\n`
    expect(() => parse(lines(310))).not.toThrow()
    expect(fail(lines(320)).message).toBe(emerg('too long lua code block, probably missing terminating characters', 7))
    // reference: 12000 dashes on one line, 5400 lines of `-- x` pass
    expect(() => parse(`${header}location / { content_by_lua_block {\n${'-'.repeat(12000)}\n }\n }}}\n`)).not.toThrow()
    expect(() => parse(block('\n' + '-- x\n'.repeat(5400)))).not.toThrow()
    expect(() => parse(block('\n' + ' x = {}\n'.repeat(2000)))).not.toThrow()
  })

  it('reads on past a window of exactly half a buffer (reference: a token ending at offset 2048)', () => {
    const at = (end: number, n: number): string => block('b'.repeat(end - 175 - 2) + '{}' + 'a'.repeat(n))
    expect(() => parse(at(2048, 20000))).not.toThrow()
    expect(() => parse(at(2047, 2048))).not.toThrow()
    expect(fail(at(2047, 2049)).text).toBe('too long lua code block, probably missing terminating characters')
    expect(() => parse(at(2050, 4094))).not.toThrow()
    expect(fail(at(2050, 4095)).text).toBe('too long lua code block, probably missing terminating characters')
  })

  it('reads on when the rest of the file fits beside what it keeps (reference: 1912 bytes left pass, 1913 fail)', () => {
    const small = (left: number): string => {
      const body = `${header}location / { content_by_lua_block {${'b'.repeat(1913 - 175 - 4)}--c\n${'a'.repeat(2500)}}\n}}}\n`
      const pad = left - (Buffer.byteLength(body) - 4096)
      return body + `${'#'.repeat(50)}\n`.repeat(Math.floor(pad / 51)) + '#'.repeat(pad % 51)
    }
    expect(() => parse(small(1912))).not.toThrow()
    expect(fail(small(1913)).text).toBe('too long lua code block, probably missing terminating characters')
  })

  it('names the line of the last token for a too long block (reference: 11 after `[[x\\n\\n]]`)', () => {
    const text = `${header}location / { content_by_lua_block {\n a={}\n\n [[x\n\n]]\n\n${'a'.repeat(5000)}\n}${tail}`
    expect(fail(text).line).toBe(12)
  })
})

describe('include', () => {
  it('expands a glob relative to the main file\'s directory, in byte order, hidden files left out', () => {
    const conf = parseConfFile(join(FIXTURES, 'basic/nginx.conf'))
    const http = dir(conf, 2)
    expect(http?.block?.directives.map((d) => [d.name, d.file.slice(FIXTURES.length), d.line])).toEqual([
      ['server_names_hash_bucket_size', 'basic/conf.d/10.conf', 1],
      ['variables_hash_max_size', 'basic/conf.d/9.conf', 1],
      ['default_type', 'basic/conf.d/B.conf', 1],
      // a.conf's own include is relative to the prefix too
      ['keepalive_timeout', 'basic/snippets/common.conf', 1],
      ['server', 'basic/nginx.conf', 9],
    ])
    // reference: `nginx -T` lists the files in this order
    expect(conf.files.map((f) => f.slice(FIXTURES.length))).toEqual([
      'basic/nginx.conf', 'basic/conf.d/10.conf', 'basic/conf.d/9.conf', 'basic/conf.d/B.conf', 'basic/conf.d/a.conf', 'basic/snippets/common.conf',
    ])
    expect(dir(conf, 2, 4, 1, 0)?.lua?.code).toBe('\n                ngx.say("hello")\n            ')
  })

  it('names the included file in its errors', () => {
    const base = join(FIXTURES, 'errors/')
    const message = (file: string): string => {
      try {
        parseConfFile(base + file)
      } catch (e) {
        return (e as ConfFileError).message
      }
      return 'parsed'
    }
    // each as `nginx -t -p <fixtures>/errors/ -c <file>` printed it
    expect(message('nginx.conf')).toBe(`nginx: [emerg] unexpected end of file, expecting "}" in ${base}bad/unclosed.conf:3`)
    expect(message('brace.conf')).toBe(`nginx: [emerg] unexpected "}" in ${base}bad/brace.conf:1`)
    expect(message('missing.conf')).toBe(`nginx: [emerg] open() "${base}no-such-file.conf" failed (2: No such file or directory) in ${base}missing.conf:2`)
    expect(message('directory.conf')).toBe(`nginx: [crit] pread() "${base}bad" failed (21: Is a directory)`)
    expect(message('no-such-main.conf')).toBe(`nginx: [emerg] open() "${base}no-such-main.conf" failed (2: No such file or directory)`)
  })

  it('reports an include cycle at the include that closes it (nginx recurses until it runs out of files)', () => {
    const base = join(FIXTURES, 'cycle/')
    expect(() => parseConfFile(`${base}nginx.conf`)).toThrow(`nginx: [emerg] recursive include of "${base}a.conf" in ${base}b.conf:3`)
  })

  it('bounds how deep includes nest', () => {
    const base = join(FIXTURES, 'basic/')
    expect(() => parseConfFile(`${base}nginx.conf`, { maxIncludeDepth: 1 })).toThrow(
      `nginx: [emerg] includes nested deeper than 1 levels at "${base}snippets/common.conf" in ${base}conf.d/a.conf:2`,
    )
  })

  it('takes no match of a glob as no files, and a missing plain file as an error', () => {
    expect(parse('include /nonexistent-dir/*.conf;\ninclude /nonexistent-dir/x?;').directives).toEqual([])
    expect(fail('\ninclude /nonexistent-dir/x.conf;').message).toBe(emerg('open() "/nonexistent-dir/x.conf" failed (2: No such file or directory)', 2))
  })

  it('checks its own syntax as nginx does', () => {
    expect(fail('events {}\nhttp {\ninclude\n\n a b;}\n').message).toBe(emerg('invalid number of arguments in "include" directive', 5))
    expect(fail('events {}\nhttp {\ninclude;}\n').message).toBe(emerg('invalid number of arguments in "include" directive', 3))
    expect(fail('events {}\nhttp {\ninclude\n\n a {}}\n').message).toBe(emerg('directive "include" is not terminated by ";"', 5))
  })

  it('starts relative paths from options.prefix when given', () => {
    const conf = parseConfString('include snippets/common.conf;', '/elsewhere/nginx.conf', { prefix: join(FIXTURES, 'basic') })
    expect(conf.directives.map((d) => d.name)).toEqual(['keepalive_timeout'])
    expect(conf.files).toEqual(['/elsewhere/nginx.conf', join(FIXTURES, 'basic/snippets/common.conf')])
  })
})

describe('globInclude', () => {
  let root = ''
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'nresty-glob-'))
    for (const f of ['b.conf', 'a.conf', 'A.conf', '_x.conf', '.hidden.conf', '10.conf', '9.conf', 'br[1].conf', 'z*.conf', 'x.txt']) {
      writeFileSync(join(root, f), '')
    }
    mkdirSync(join(root, 'sub'))
    mkdirSync(join(root, 'sub2'))
    mkdirSync(join(root, '.h'))
    writeFileSync(join(root, 'sub/c.conf'), '')
    writeFileSync(join(root, 'sub2/d.conf'), '')
    writeFileSync(join(root, '.h/e.conf'), '')
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const names = (pattern: string): string[] => globInclude(`${root}/${pattern}`).map((p) => p.slice(root.length + 1))

  it('matches as glob() does, sorted byte by byte (reference: `nginx -T` order)', () => {
    expect(names('*.conf')).toEqual(['10.conf', '9.conf', 'A.conf', '_x.conf', 'a.conf', 'b.conf', 'br[1].conf', 'z*.conf'])
    expect(names('sub*/*.conf')).toEqual(['sub/c.conf', 'sub2/d.conf'])
    expect(names('*/*')).toEqual(['sub/c.conf', 'sub2/d.conf'])
    expect(names('.*/*.conf')).toEqual(['./10.conf', './9.conf', './A.conf', './_x.conf', './a.conf', './b.conf', './br[1].conf', './z*.conf', '.h/e.conf'])
  })

  it('handles ?, classes, negation and escapes', () => {
    expect(names('[ab].conf')).toEqual(['a.conf', 'b.conf'])
    expect(names('[!ab0-9_].conf')).toEqual(['A.conf'])
    expect(names('[^ab0-9_].conf')).toEqual(['A.conf'])
    expect(names('[[:upper:]].conf')).toEqual(['A.conf'])
    expect(names('?.conf')).toEqual(['9.conf', 'A.conf', 'a.conf', 'b.conf'])
    expect(names('br\\[1\\].conf')).toEqual(['br[1].conf'])
    expect(names('br?1?.conf')).toEqual(['br[1].conf'])
    expect(names('z\\*.conf')).toEqual(['z*.conf'])
    expect(names('[z]\\*.conf')).toEqual(['z*.conf'])
    expect(names('[].conf')).toEqual([])
  })

  it('returns nothing for no match, and for a directory that is not there', () => {
    expect(names('nope*.conf')).toEqual([])
    expect(names('nodir/*.conf')).toEqual([])
    expect(names('x.txt/*')).toEqual([])
  })
})

describe('the -g command line', () => {
  it('parses directives and includes relative to the prefix', () => {
    const conf = parseConfParam('daemon off; "worker_processes" 2; #x', { prefix: join(FIXTURES, 'basic') })
    expect(conf.directives.map((d) => [d.name, values(d), d.file])).toEqual([['daemon', ['off'], ''], ['worker_processes', ['2'], '']])
    expect(parseConfParam('include snippets/common.conf;', { prefix: join(FIXTURES, 'basic/') }).directives[0]?.name).toBe('keepalive_timeout')
  })

  it.each([
    // each as `nginx -t -g '<param>'` printed it
    ['daemon off', 'unexpected end of parameter, expecting ";"'],
    ['daemon "off', 'unexpected end of parameter, expecting ";"'],
    ['daemon off; }', 'unexpected "}"'],
    ['events {}', 'block directives are not supported in -g option'],
    ['; daemon off;', 'unexpected ";"'],
    ['daemon off;;', 'unexpected ";"'],
  ])('%j: %s in command line', (param, text) => {
    expect(() => parseConfParam(param)).toThrow(`nginx: [emerg] ${text} in command line`)
  })

  it('names the command line for a missing include', () => {
    expect(() => parseConfParam('daemon off; include x;', { prefix: '/nonexistent-dir' })).toThrow(
      'nginx: [emerg] open() "/nonexistent-dir/x" failed (2: No such file or directory) in command line',
    )
  })
})

describe('onDirective and onBlockEnd', () => {
  it('are called in nginx\'s order, with the enclosing blocks, before a block\'s contents are read', () => {
    const seen: string[] = []
    parse('http {\n server {\n  listen 80;\n  content_by_lua_block { x }\n }\n}\nevents {}\n', {
      onDirective: (d, parents) => seen.push(`${[...parents.map((p) => p.name), d.name].join('>')}@${d.endLine}${d.block ? `[${d.block.directives.length}]` : ''}${d.lua ? ' lua' : ''}`),
      onBlockEnd: (d) => seen.push(`end ${d.name}@${d.block?.endLine ?? d.lua?.endLine}`),
    })
    expect(seen).toEqual([
      'http@1[0]', 'http>server@2[0]', 'http>server>listen@3', 'http>server>content_by_lua_block@4',
      'end content_by_lua_block@4', 'end server@5', 'end http@6', 'events@7[0]', 'end events@7',
    ])
  })

  it('let a consumer raise nginx\'s errors where nginx would, ahead of later syntax errors', () => {
    // reference: `upstream u\n{\n\n}` fails with `no servers are inside upstream in …:4` (the "}")
    const options: ConfParseOptions = {
      onBlockEnd: (d) => {
        if (d.name === 'upstream' && d.block?.directives.length === 0) throw new ConfFileError('no servers are inside upstream', { file: d.file, line: d.block.endLine })
      },
    }
    expect(fail('upstream u\n{\n\n}\n}', options).message).toBe(emerg('no servers are inside upstream', 4))
  })

  it('see include directives before they are expanded', () => {
    const names: string[] = []
    parse('include /nonexistent-dir/*.conf;', { onDirective: (d) => names.push(d.name) })
    expect(names).toEqual(['include'])
  })
})

describe('ConfFileError', () => {
  it('keeps the bare text, the located text and the `nginx -t` line', () => {
    const e = new ConfFileError('invalid port in "80x" of the "listen" directive', { file: '/p/conf/nginx.conf', line: 12 })
    expect(e).toBeInstanceOf(ConfError)
    expect(e).toMatchObject({
      name: 'ConfFileError', code: 'NGX_ERR_CONF', level: 'emerg', file: '/p/conf/nginx.conf', line: 12,
      text: 'invalid port in "80x" of the "listen" directive',
      located: 'invalid port in "80x" of the "listen" directive in /p/conf/nginx.conf:12',
      message: 'nginx: [emerg] invalid port in "80x" of the "listen" directive in /p/conf/nginx.conf:12',
    })
  })

  it('prints no place, or the command line, as nginx does', () => {
    expect(new ConfFileError('x', undefined, 'crit')).toMatchObject({ message: 'nginx: [crit] x', file: undefined, line: undefined })
    expect(new ConfFileError('x', 'command line')).toMatchObject({ message: 'nginx: [emerg] x in command line', file: '', line: 0 })
    expect(new ConfFileError('x', { file: 'f', line: 1 }, 'error').message).toBe('nginx: [error] x in f:1')
  })

  it('cuts the text to nginx\'s 1024 bytes (reference: a 2000-byte unknown directive name)', () => {
    const e = new ConfFileError(`unknown directive "${'a'.repeat(2000)}"`, { file: 'f', line: 1 })
    expect(Buffer.byteLength(e.text)).toBe(1024)
    expect(e.message).toBe(`nginx: [emerg] unknown directive "${'a'.repeat(1024 - 19)} in f:1`)
  })
})

describe('speed', () => {
  it('parses a 10k-line configuration well under 100 ms', () => {
    const server = (i: number): string => [
      `server {`, `    listen 127.0.0.1:${8000 + i};`, `    server_name s${i}.example.com "*.s${i}.example.com";`,
      `    location /api/${i}/ {`, `        proxy_set_header Host $host;`, `        proxy_pass http://127.0.0.1:9000;`, `    }`,
      `    location = /lua/${i} {`, `        content_by_lua_block {`, `            local t = { n = ${i}, s = "}" } -- }`,
      `            ngx.say(t.n, [[ } ]])`, `        }`, `    }`, `    # comment ${i}`, `}`,
    ].join('\n')
    const text = `http {\n${Array.from({ length: 700 }, (_, i) => server(i)).join('\n')}\n}\n`
    expect(text.split('\n').length).toBeGreaterThan(10_000)
    parse(text) // warm up
    const t0 = performance.now()
    const conf = parse(text)
    const ms = performance.now() - t0
    expect(dir(conf, 0)?.block?.directives.length).toBe(700)
    expect(ms).toBeLessThan(100)
  })
})
