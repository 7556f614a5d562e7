// The built-in modules' edge cases: bit.tohex widths (LuaJIT clamps to 8 digits, a negative
// width means upper case), bit ops on out-of-range numbers, ffi fields failing when used.
import { describe, expect, it } from 'vitest'
import type { Ngx } from '@nresty/core'
import { lua } from './fengari.ts'
import { installModules } from './modules.ts'
import { LuaVm, toStr } from './vm.ts'

const NO_NGX = {} as Ngx

async function run(code: string): Promise<string[]> {
  const lines: string[] = []
  const vm = new LuaVm({ prefix: '/tmp/', setup: installModules })
  vm.setGlobal('out', (L) => lua.lua_pushjsfunction(L, (Ls: object) => {
    const n = lua.lua_gettop(Ls) as number
    const parts: string[] = []
    for (let i = 1; i <= n; i++) parts.push(toStr(Ls, i))
    // LuaJIT names the function '?' under pcall; nresty names it (a difference the README lists).
    lines.push(parts.join('|').replace(/bad argument #(\d+) to '[^']*'/, "bad argument #$1 to '?'"))
    return 0
  }))
  await vm.run(NO_NGX, vm.compile('=modules', code))
  return lines
}

describe('bit', () => {
  it('formats tohex as LuaJIT', async () => {
    expect(await run(`
      local bit = require "bit"
      out(bit.tohex(-1, 4), bit.tohex(0x12345678, 20), bit.tohex(0xabc, -3), bit.tohex(1, 1))
      out(bit.tobit(2^31), bit.tobit(-2^31 - 1), bit.ror(1, 1), bit.band(2^32 + 7, 3))
      local ok, err = pcall(bit.band, "x") out(tostring(ok), err)
    `)).toEqual([
      'ffff|12345678|ABC|1',
      '-2147483648|2147483647|-2147483648|3',
      "false|bad argument #1 to '?' (number expected, got string)",
    ])
  })
})

describe('ffi and jit', () => {
  it('loads, and fails on use with a clear message', async () => {
    expect(await run(`
      local ffi = require "ffi"
      local ok, err = pcall(function() return ffi.C end) out(type(ffi), tostring(ok), err)
      local jit = require "jit"
      out(jit.version_num, jit.os, jit.arch, select('#', jit.on()), tostring(jit.status()))
    `)).toEqual([
      'table|false|modules:3: ffi is not available in nresty (fengari): ffi.C',
      '20100|Linux|x64|0|false',
    ])
  })
})
