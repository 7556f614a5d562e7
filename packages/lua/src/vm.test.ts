import { describe, expect, it } from 'vitest'
import type { Ngx } from '@nresty/core'
import { lua, luaTostring } from './fengari.ts'
import { installModules } from './modules.ts'
import { fixMessage, LuaRuntimeError, LuaVm, toStr, yieldPromise } from './vm.ts'

/** A VM with `out(...)` collecting strings and `wait(ms, v)` yielding on a real timer. */
function setup(): { vm: LuaVm; out: string[] } {
  const out: string[] = []
  const vm = new LuaVm({ prefix: '/tmp/', setup: installModules })
  vm.setGlobal('out', (L) => lua.lua_pushjsfunction(L, (Ls: object) => {
    const n = lua.lua_gettop(Ls) as number
    const parts: string[] = []
    for (let i = 1; i <= n; i++) parts.push(lua.lua_isnil(Ls, i) ? 'nil' : lua.lua_isboolean(Ls, i) ? String(lua.lua_toboolean(Ls, i)) : toStr(Ls, i))
    out.push(parts.join(' '))
    return 0
  }))
  vm.setGlobal('wait', (L) => lua.lua_pushjsfunction(L, (Ls: object) => {
    const ms = lua.lua_tonumber(Ls, 1) as number
    const v = toStr(Ls, 2)
    return yieldPromise(Ls, new Promise<string>((ok) => setTimeout(() => ok(v), ms)), (Lr, r) => {
      lua.lua_pushstring(Lr, new TextEncoder().encode(r))
      return 1
    })
  }))
  vm.setGlobal('fail', (L) => lua.lua_pushjsfunction(L, (Ls: object) => yieldPromise(Ls, Promise.reject(new Error('it failed')), () => 0)))
  return { vm, out }
}

// The code here calls no ngx API: the handler's ngx is never touched.
const NO_NGX = {} as Ngx

async function run(code: string): Promise<string[]> {
  const { vm, out } = setup()
  await vm.run(NO_NGX, vm.compile('=test', code))
  return out
}

describe('LuaJIT numbers', () => {
  it('formats as %.14g', () => {
    expect(luaTostring(5)).toBe('5')
    expect(luaTostring(2 ** 53)).toBe('9.007199254741e+15')
    expect(luaTostring(1e15)).toBe('1e+15')
    expect(luaTostring(1e14)).toBe('1e+14')
    expect(luaTostring(99999999999999)).toBe('99999999999999')
    expect(luaTostring(Infinity)).toBe('inf')
    expect(luaTostring(-Infinity)).toBe('-inf')
    expect(luaTostring(NaN)).toBe('nan')
    expect(luaTostring(-0)).toBe('-0')
    expect(luaTostring(0.1)).toBe('0.1')
    expect(luaTostring(1 / 3)).toBe('0.33333333333333')
    expect(luaTostring(1e-5)).toBe('1e-05')
    expect(luaTostring(123456.789e3)).toBe('123456789')
    expect(luaTostring(-1.5e-7)).toBe('-1.5e-07')
    expect(luaTostring(1e100)).toBe('1e+100')
  })

  it('computes with doubles in Lua', async () => {
    expect(await run(`
      out(10/2, 2^53, 1e15, math.huge, -math.huge)
      out(2147483647 + 1, -2147483648 - 1, 65536 * 65536, os.time() * 1000 > 1e12)
      out(string.format('%d', 2^40), string.format('%s', 3.0), string.format('%5.1f', 2.5), math.floor(2^40))
      out(tostring(10/2) .. "", 7 % 3, -7 % 3)
      local n = 0 for i = 1, 3 do n = n + i end out(n, #"abc" + 2^31, tonumber("10") / 4)
      out(string.rep("ab", 2.0), ("x"):byte(1), math.max(1, 2.5), select('#', 1, 2))
    `)).toEqual([
      '5 9.007199254741e+15 1e+15 inf -inf',
      '2147483648 -2147483649 4294967296 true',
      '1099511627776 3   2.5 1099511627776',
      '5 1 2',
      '6 2147483651 2.5',
      'abab 120 2.5 2',
    ])
  })
})

describe('the VM', () => {
  it('yields across pcall and nested coroutines', async () => {
    expect(await run(`
      out(pcall(function() return wait(5, "a") end))
      local co = coroutine.create(function(x)
        local v = wait(5, x)
        local y = coroutine.yield(v .. "!")
        return wait(5, y)
      end)
      out(coroutine.resume(co, "b"))
      out(coroutine.resume(co, "c"))
      out(coroutine.status(co))
      local gen = coroutine.wrap(function() for i = 1, 2 do coroutine.yield(wait(1, i)) end end)
      out(gen(), gen())
      out(pcall(fail))
    `)).toEqual(['true a', 'true b!', 'true c', 'dead', '1 2', 'false it failed'])
  })

  it('runs synchronously when nothing yields', () => {
    const { vm, out } = setup()
    expect(vm.run(NO_NGX, vm.compile('=sync', 'out("now")'))).toBeUndefined()
    expect(out).toEqual(['now'])
  })

  it('gives each run its own globals; modules stay per VM', async () => {
    const { vm, out } = setup()
    const chunk = vm.compile('=g', 'out(tostring(x), tostring(package.loaded.m ~= nil)); x = 1; package.loaded.m = {}')
    await vm.run(NO_NGX, chunk)
    await vm.run(NO_NGX, chunk)
    expect(out).toEqual(['nil false', 'nil true'])
  })

  it('reports errors in LuaJIT wording with a traceback', () => {
    const { vm } = setup()
    const chunk = vm.compile('=content_by_lua(nginx.conf:3)', 'local t = {}\nt.x.y = 1')
    let err: unknown
    try {
      vm.run(NO_NGX, chunk)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(LuaRuntimeError)
    expect((err as LuaRuntimeError).message).toBe("content_by_lua(nginx.conf:3):2: attempt to index field 'x' (a nil value)")
    expect((err as LuaRuntimeError).traceback).toContain('content_by_lua(nginx.conf:3):2: in main chunk')
    expect(() => vm.compile('=bad', 'x = = 1')).toThrow("bad:1: unexpected symbol near '='")
  })

  it('words type errors as LuaJIT inside pcall too', async () => {
    expect(await run(`
      out(pcall(function() undefinedfn() end))
      out(pcall(function() local t = {} t.x.y = 1 end))
      out(pcall(function() return ("x"):bad() end))
      out(pcall(function() return 1 + {} end))
      out(pcall(function() return #nil end))
    `)).toEqual([
      "false test:2: attempt to call global 'undefinedfn' (a nil value)",
      "false test:3: attempt to index field 'x' (a nil value)",
      "false test:4: attempt to call method 'bad' (a nil value)",
      'false test:5: attempt to perform arithmetic on a table value',
      'false test:6: attempt to get length of a nil value',
    ])
  })

  it('words messages as LuaJIT', () => {
    expect(fixMessage("x:1: attempt to call a nil value (global 'foo')")).toBe("x:1: attempt to call global 'foo' (a nil value)")
    expect(fixMessage("x:1: attempt to index a number value (local 'n')")).toBe("x:1: attempt to index local 'n' (a number value)")
    expect(fixMessage('x:1: boom')).toBe('x:1: boom')
  })
})

describe('shims', () => {
  it('has bit with LuaJIT results', async () => {
    expect(await run(`
      local bit = require "bit"
      out(bit.tobit(0xffffffff), bit.tobit(2^32 + 3), bit.band(-1, 0xff), bit.bor(1, 2, 4), bit.bxor(5, 3))
      out(bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x80000001, 1))
      out(bit.tohex(255), bit.tohex(-1, -4), bit.bswap(0x12345678) == 0x78563412)
    `)).toEqual(['-1 3 255 7 6', '-1 -2147483648 15 -16 3', '000000ff FFFF true'])
  })

  it('has the Lua 5.1 and LuaJIT names', async () => {
    expect(await run(`
      out(unpack({1, 2, 3}))
      out(loadstring("return 1 + 1")(), table.getn({1, 2}), math.pow(2, 10), collectgarbage("count"), collectgarbage())
      local t = table.new(4, 4) t.a = 1 t[1] = 2 out(table.nkeys(t)) table.clear(t) out(next(t))
      out(require("jit").version, require("resty.core").version ~= nil)
      out(pcall(function() return require("ffi").new end))
    `)).toEqual([
      '1 2 3', '2 2 1024 0 0', '2', 'nil', 'LuaJIT 2.1.0-beta3 true',
      'false =test:6: ffi is not available in nresty (fengari): ffi.new'.replace('=test', 'test'),
    ])
  })
})
