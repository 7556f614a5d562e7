// More of ngx.re from Lua, run in this process through the resty command: ctx.pos in and out,
// find's nth, gmatch iterators, sub/gsub templates and function replacements under `u`,
// split's max, ctx and res, and errors. Every expected output was measured on OpenResty.
import { describe, expect, it } from 'vitest'
import { resty } from '../src/resty.ts'

async function lua(code: string, ...opts: string[]): Promise<string> {
  const out: Buffer[] = []
  let err = ''
  const status = await resty([...opts, '-e', code], { out: (b) => { out.push(Buffer.from(b)) }, err: (t) => { err += t } })
  if (status !== 0) throw new Error(err)
  return Buffer.concat(out).toString('latin1')
}

describe('ngx.re from Lua, more (answers measured on OpenResty)', () => {
  it('ctx, nth, gmatch, templates, function replacements, UTF-8 offsets, split', async () => {
    expect(await lua(`
      local ctx = {}
      print(ngx.re.match("abab", "b", "", ctx)[0], ctx.pos)
      print(ngx.re.match("abab", "b", "", ctx)[0], ctx.pos)
      print(ngx.re.match("abab", "b", "", ctx), ctx.pos)
      print(ngx.re.match("abc", "b", "", { pos = 0 })[0])
      print(ngx.re.find("abab", "b", "", { pos = 3 }))
      local fctx = { pos = 2 }
      print(ngx.re.find("abab", "b", "", fctx), fctx.pos)
      print(ngx.re.find("abc", "x"))
      print(ngx.re.find("abc", "(b)(c)", "", nil, 2))
      print(ngx.re.find("\\255", "x", "u"))
      print(ngx.re.find("x", "("))
      print(ngx.re.gmatch("x", "("))
      local it = ngx.re.gmatch("a1b2", "(?<l>[a-z])(\\\\d)")
      local m = it()
      print(m[0], m[1], m[2], m.l)
      m = it()
      print(m[0])
      print(it())
      print(ngx.re.sub("hello", "(l)(l)", "[$0|$1|\${2}|$$]"))
      print(ngx.re.gsub("h\\195\\169llo", "\\\\w", "\\195\\169", "u"))
      print(ngx.re.gsub("h\\195\\169llo", ".", "-", "u"))
      print(ngx.re.gsub("h\\195\\169llo", ".", function(m) return "<" .. m[0] .. ">" end, "u"))
      print(ngx.re.gsub("hello", "l", function(m) return 1 end))
      print(ngx.re.gsub("hello", "(?<c>l)", function(m) return m.c .. m[1] end))
      print(ngx.re.sub("abc", "x", "y"))
      print(ngx.re.sub("abc", "b", "y", "x"))
      print(ngx.re.gsub("\\255", "x", "y", "u"))
      print(ngx.re.gsub("x", "(", "y"))
      print(ngx.re.match("h\\195\\169l", "l", "u", { pos = 3 }))
      print(ngx.re.match("\\240\\159\\152\\128x", "x", "u")[0], ngx.re.find("\\240\\159\\152\\128x", "x", "u"))
      print(ngx.re.find("\\240\\159\\152\\128x", "$", "u"))
      local uctx = { pos = 5 }
      print(ngx.re.match("\\240\\159\\152\\128xx", "x", "u", uctx)[0], uctx.pos)
      local split = require("ngx.re").split
      local t = split("a,b,c,d", ",", "", nil, 2)
      print(#t, t[1], t[2])
      local res = { "z", "z", "z", "z", "z" }
      t = split("a,b", ",", nil, nil, nil, res)
      print(t == res, t[1], t[2], t[3])
      print(split("a,b", "("))
      print(split("a,b,c", ",", "", { pos = 3 })[1])
      print(split("\\255", ",", "u"))
      print(split("h\\195\\169,l", ",", "u", { pos = 3 }))
      print(#split("", ","))
      print(#split("abc", ""), split("abc", "")[2])
      print(pcall(require("ngx.re").opt, 1, 1))
    `)).toBe([
      "b\t3",
      "b\t5",
      "nil\t5",
      "b",
      "4\t4",
      "2\t3",
      "nil",
      "3\t3",
      "nil\tnil\tpcre_exec() failed: -10",
      "nil\tnil\tpcre_compile() failed: missing ) in \"(\"",
      "nil\tpcre_compile() failed: missing ) in \"(\"",
      "a1\ta\t1\ta",
      "b2",
      "nil",
      "he[ll|l|l|$]o\t1",
      "\u00c3\u00a9\u00c3\u00a9\u00c3\u00a9\u00c3\u00a9\u00c3\u00a9\t4",
      "-----\t5",
      "<h><\u00c3\u00a9><l><l><o>\t5",
      "he11o\t2",
      "hellllo\t2",
      "abc\t0",
      "ayc\t1",
      "nil\tnil\tpcre_exec() failed: -10",
      "nil\tnil\tpcre_compile() failed: missing ) in \"(\"",
      "nil\tpcre_exec() failed: -11",
      "x\t5\t5",
      "6\t5",
      "x\t6",
      "2\ta\tb,c,d",
      "true\ta\tb\tnil",
      "nil\tpcre_compile() failed: missing ) in \"(\"",
      "b",
      "nil\tpcre_exec() failed: -10",
      "nil\tpcre_exec() failed: -11",
      "0",
      "3\tb",
      "false\tunrecognized option name",
      "",
    ].join('\n'))
  })
})
