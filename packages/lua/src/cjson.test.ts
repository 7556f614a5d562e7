// cjson / cjson.safe against lua-cjson 2.1.0.10's answers: sparse arrays, empty tables,
// cjson.null, invalid numbers and keys, nesting depth, safe's `nil, err`, decode errors.
import { describe, expect, it } from 'vitest'
import type { Ngx } from '@nresty/core'
import { lua } from './fengari.ts'
import { installModules } from './modules.ts'
import { LuaVm, toStr } from './vm.ts'

// The code calls no ngx API.
const NO_NGX = {} as Ngx

/** Runs `code`; each `out(...)` call adds one line of its arguments (tostring'd) joined by `|`. */
async function run(code: string): Promise<string[]> {
  const lines: string[] = []
  const vm = new LuaVm({ prefix: '/tmp/', setup: installModules })
  vm.setGlobal('out', (L) => lua.lua_pushjsfunction(L, (Ls: object) => {
    const n = lua.lua_gettop(Ls) as number
    const parts: string[] = []
    for (let i = 1; i <= n; i++) {
      lua.lua_getglobal(Ls, new TextEncoder().encode('tostring'))
      lua.lua_pushvalue(Ls, i)
      lua.lua_call(Ls, 1, 1)
      parts.push(toStr(Ls, -1))
      lua.lua_pop(Ls, 1)
    }
    // LuaJIT names the function '?' under pcall; nresty names it (a difference the README lists).
    lines.push(parts.join('|').replace(/bad argument #(\d+) to '[^']*'/, "bad argument #$1 to '?'"))
    return 0
  }))
  await vm.run(NO_NGX, vm.compile('=cjson', code))
  return lines
}

describe('cjson.encode', () => {
  it('encodes arrays, sparse arrays and mixed tables as lua-cjson', async () => {
    expect(await run(`
      local cjson = require "cjson"
      out(cjson.encode({1, 2, 3}), cjson.encode({[1] = 1, [2] = 2, [10] = 3}))
      out(pcall(cjson.encode, {[1] = 1, [2] = 2, [20] = 3}))
      out(cjson.encode({1, nil, 3}))
      out(cjson.encode({[-1] = "x"}), cjson.encode({[1.5] = 1}))
      out(cjson.encode("\\1\\127\\t/\\"\\\\"), cjson.encode(true), cjson.encode(nil), cjson.encode(2^53), cjson.encode(0.1))
      out(cjson.encode({a = cjson.null, b = {cjson.empty_array}}))
    `)).toEqual([
      '[1,2,3]|[1,2,null,null,null,null,null,null,null,3]',
      'false|Cannot serialise table: excessively sparse array',
      '[1,null,3]',
      '{"-1":"x"}|{"1.5":1}',
      String.raw`"\u0001\u007f\t\/\"\\"|true|null|9.007199254741e+15|0.1`,
      '{"a":null,"b":[[]]}',
    ])
  })

  it('refuses what JSON cannot hold, with the type named', async () => {
    expect(await run(`
      local cjson = require "cjson"
      out(pcall(cjson.encode, function() end))
      out(pcall(cjson.encode, coroutine.create(function() end)))
      out(pcall(cjson.encode, 0/0))
      out(pcall(cjson.encode, {x = math.huge}))
      out(pcall(cjson.encode, {[true] = 1}))
      out(pcall(cjson.encode))
      out(pcall(cjson.encode, 1, 2))
    `)).toEqual([
      'false|Cannot serialise function: type not supported',
      'false|Cannot serialise thread: type not supported',
      'false|Cannot serialise number: must not be NaN or Infinity',
      'false|Cannot serialise number: must not be NaN or Infinity',
      'false|Cannot serialise boolean: table key must be a number or string',
      "false|bad argument #1 to '?' (expected 1 argument)",
      "false|bad argument #1 to '?' (expected 1 argument)",
    ])
  })

  it('encodes empty tables per encode_empty_table_as_object, per module instance', async () => {
    expect(await run(`
      local cjson = require "cjson"
      out(cjson.encode({}), cjson.encode_empty_table_as_object())
      out(cjson.encode_empty_table_as_object("off"), cjson.encode({}), cjson.encode({a = {}}))
      out(cjson.encode_empty_table_as_object(true), cjson.encode({}))
      out(cjson.encode_empty_table_as_object(false), cjson.encode({}))
      local other = cjson.new()
      out(other.encode({}), cjson.encode({}), require("cjson") == cjson)
    `)).toEqual(['{}|true', 'false|[]|{"a":[]}', 'true|{}', 'false|[]', '{}|[]|true'])
  })

  it('limits the nesting depth with encode_max_depth', async () => {
    expect(await run(`
      local cjson = require "cjson"
      out(cjson.encode_max_depth(), cjson.encode_max_depth(2))
      out(cjson.encode({{}}))
      out(pcall(cjson.encode, {{{}}}))
      local t = {} t[1] = t
      out(pcall(cjson.new().encode, t))
      out(cjson.encode_sparse_array(true), cjson.encode_keep_buffer(false), cjson.decode_max_depth(), cjson.encode_number_precision())
      out(cjson._NAME, cjson._VERSION, cjson.null == ngx_null_stub)
    `)).toEqual([
      '1000|2',
      '[{}]',
      'false|Cannot serialise, excessive nesting (3)',
      'false|Cannot serialise, excessive nesting (1001)',
      'true|true|1000|14',
      'cjson|2.1.0.10|false',
    ])
  })
})

describe('cjson.decode', () => {
  it('decodes to Lua values with cjson.null', async () => {
    expect(await run(`
      local cjson = require "cjson"
      local t = cjson.decode('{"a":[1e2,-0.5,true,false,null],"b":{"c":"\\\\u00e9\\\\/"},"d":[]}')
      out(t.a[1], t.a[2], t.a[3], t.a[4], t.a[5] == cjson.null, #t.a, t.b.c, next(t.d))
      out(cjson.decode(123), cjson.decode('"s"'), cjson.decode("null") == cjson.null)
    `)).toEqual(['100|-0.5|true|false|true|5|é/|nil', '123|s|true'])
  })

  it('raises lua-cjson errors; cjson.safe answers nil, err', async () => {
    expect(await run(`
      local cjson = require "cjson"
      local safe = require "cjson.safe"
      out(pcall(cjson.decode, "{bad"))
      out(pcall(cjson.decode, "   "))
      out(pcall(cjson.decode, {}))
      out(safe.decode("{bad"))
      out(safe.decode(""))
      out(safe.encode(function() end))
      out(safe.encode({[1] = 1, [40] = 2}))
      out(safe.encode({1, "a"}), safe.decode("[1]")[1])
      out(safe.new().encode(print))
    `)).toEqual([
      'false|Expected value but found invalid token at character 2',
      'false|Expected value but found T_END at character 1',
      "false|bad argument #1 to '?' (string expected, got table)",
      'nil|Expected value but found invalid token at character 2',
      'nil|Expected value but found T_END at character 1',
      'nil|Cannot serialise function: type not supported',
      'nil|Cannot serialise table: excessively sparse array',
      '[1,"a"]|1',
      'nil|Cannot serialise function: type not supported',
    ])
  })
})
