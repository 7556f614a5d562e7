// ngx.re from Lua through the resty command (run in this process): byte offsets, u, named
// captures, errors, split.
import { describe, expect, it } from 'vitest'
import { resty } from '../src/resty.ts'

async function lua(code: string): Promise<string> {
  const out: Buffer[] = []
  let err = ''
  const status = await resty(['-e', code], { out: (b) => { out.push(Buffer.from(b)) }, err: (t) => { err += t } })
  if (status !== 0) throw new Error(err)
  return Buffer.concat(out).toString('latin1')
}

describe('ngx.re from Lua (answers measured on OpenResty)', () => {
  it('byte offsets without u, decoded UTF-8 with u', async () => {
    expect(await lua(`
      print(ngx.re.match("h\\195\\169llo", "h.l", ""))
      print(ngx.re.match("h\\195\\169llo", "h..l", "")[0] == "h\\195\\169l")
      print(ngx.re.match("h\\195\\169llo", "h.l", "u")[0] == "h\\195\\169l")
      print(ngx.re.find("h\\195\\169llo", "l+", ""))
      print(ngx.re.find("h\\195\\169llo", "l+", "u"))
      print(ngx.re.match("h\\195\\169llo", "l", "u", { pos = 3 }))
      print(ngx.re.match("\\255\\254", "\\\\xff", "u"))
      local ctx = { pos = 2 }
      ngx.re.match("h\\195\\169llo", "l", "u", ctx)
      print(ctx.pos)
    `)).toBe('nil\ntrue\ntrue\n4\t5\n4\t5\nnil\tpcre_exec() failed: -11\nnil\tpcre_exec() failed: -10\n5\n')
  })
  it('match tables: false for unmatched groups, names, D arrays, res reuse', async () => {
    expect(await lua(`
      local m = ngx.re.match("hello", "(?<w>h)(x)?")
      print(m[0], m[1], m[2], m.w)
      m = ngx.re.match("dup", "(?<a>d)(?<a>u)?", "D")
      print(#m.a, m.a[1], m.a[2])
      m = ngx.re.match("abc", "b", "", nil, { "old" })
      print(m[0], m[1])
    `)).toBe('h\th\tfalse\th\n2\td\tu\tb\told\n'.replace('u\tb', 'u\nb'))
  })
  it('errors: compile, template, unknown flag', async () => {
    expect(await lua(`
      print(ngx.re.match("x", "("))
      print(ngx.re.find("x", "("))
      print(ngx.re.gsub("hello", "l", "$"))
      print(pcall(ngx.re.match, "x", "x", "z"))
    `)).toBe('nil\tpcre_compile() failed: missing ) in "("\nnil\tnil\tpcre_compile() failed: missing ) in "("\nnil\tnil\tfailed to compile the replacement template\nfalse\tunknown flag "z" (flags "z")\n')
  })
  it('gsub with a function, gmatch, require "ngx.re".split', async () => {
    expect(await lua(`
      print(ngx.re.gsub("hello", "l", function(m) return "<" .. m[0] .. ">" end))
      print(ngx.re.gsub("hello", "l", function(m) return nil end))
      local n = 0
      for m in ngx.re.gmatch("a1b22", "\\\\d+") do n = n + #m[0] end
      print(n)
      local t = require("ngx.re").split("a,b,,c", "(,)")
      print(#t, table.concat(t, "|"))
    `)).toBe('he<l><l>o\t2\nhenilnilo\t2\n3\n7\ta|,|b|,||,|c\n')
  })
  it('arguments as resty.core takes them: tostring subjects and replacements, LuaJIT-worded misuse', async () => {
    expect(await lua(`
      print(ngx.re.sub(nil, "a", "b"))
      print(ngx.re.gsub("aba", "a", nil))
      print(ngx.re.match(12, "2")[0])
      print(pcall(ngx.re.match, "a", nil))
      print(pcall(ngx.re.match, "a", "a", 5))
      print(pcall(ngx.re.match, "a", "a", nil, 5))
      print(pcall(ngx.re.match, "a", "a", nil, nil, 5))
      print(pcall(ngx.re.find, "hello", "l", "", nil, "x"))
      print(pcall(require("ngx.re").opt, "foo", 1))
    `)).toBe([
      'nil\t0', 'nilbnil\t2', '2',
      "false\tattempt to get length of local 'regex' (a nil value)",
      "false\tattempt to get length of local 'opts' (a number value)",
      "false\tattempt to index local 'ctx' (a number value)",
      "false\tattempt to index local 'res' (a number value)",
      'false\tattempt to compare string with number',
      'false\tunrecognized option name', '',
    ].join('\n'))
  })
  it('possessive quantifiers and atomic groups keep PCRE group numbers', async () => {
    expect(await lua(`
      print(ngx.re.match("aaab", "a++b")[0], ngx.re.match("aaa", "a++a"))
      local m = ngx.re.match("xaay", "(x)?a*+(y)")
      print(m[1], m[2], ngx.re.find("xaay", "(x)?a*+(y)", "", nil, 2))
    `)).toBe('aaab\tnil\nx\ty\t4\t4\n')
  })
})
