// The registry of Lua modules other packages supply: require order (preload, registered and
// discovered modules, then lua_package_path), discovery of a sibling package's `lua` entry on a
// first miss (yielding), and a sibling that is not installed falling through to the path.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Ngx } from '@nresty/core'
import { lua } from './fengari.ts'
import { installModules } from './modules.ts'
import { discover, hasLuaModule, luaBinding, registerLuaModule, SIBLING_MODULES } from './registry.ts'
import { LuaVm, toStr } from './vm.ts'

const NO_NGX = { getPhase: () => 'content' } as unknown as Ngx

async function run(code: string, packagePath?: string): Promise<string[]> {
  const lines: string[] = []
  const vm = new LuaVm({ prefix: '/tmp/', packagePath, setup: installModules })
  vm.setGlobal('out', (L) => lua.lua_pushjsfunction(L, (Ls: object) => {
    const n = lua.lua_gettop(Ls) as number
    const parts: string[] = []
    for (let i = 1; i <= n; i++) parts.push(toStr(Ls, i))
    lines.push(parts.join('|'))
    return 0
  }))
  await vm.run(NO_NGX, vm.compile('=registry', code))
  return lines
}

function luaDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nresty-registry-'))
  for (const [name, src] of Object.entries(files)) {
    const path = join(dir, name)
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, src)
  }
  return dir
}

describe('registerLuaModule', () => {
  it('makes a module requirable, before lua_package_path, cached in package.loaded', async () => {
    let loads = 0
    registerLuaModule('test.answer', (L) => {
      loads++
      luaBinding.pushJs(L, { value: 42 })
      return 1
    })
    const dir = luaDir({ 'test/answer.lua': 'return { value = "from the path" }' })
    expect(hasLuaModule('test.answer')).toBe(true)
    expect(await run(`
      local a = require "test.answer"
      out(a.value, tostring(require("test.answer") == a), tostring(package.loaded["test.answer"] == a))
    `, `${dir}/?.lua;;`)).toEqual(['42|true|true'])
    expect(loads).toBe(1)
  })

  it('refuses a bad name or loader', () => {
    expect(() => registerLuaModule('', () => 0)).toThrow(TypeError)
    expect(() => registerLuaModule('x', undefined as never)).toThrow(TypeError)
  })

  it('gives objects of a class their JS object; a bad self raises', async () => {
    registerLuaModule('test.counter', (L) => {
      const cls = luaBinding.defineClass<{ n: number }>(L, {
        incr: (Ls, self) => { self.n++; lua.lua_pushnumber(Ls, self.n); return 1 },
      })
      lua.lua_createtable(L, 0, 1)
      lua.lua_pushjsfunction(L, (Ls: object) => { cls.push(Ls, { n: 0 }); return 1 })
      lua.lua_setfield(L, -2, luaBinding.toLuaString('new'))
      return 1
    })
    const out = await run(`
      local counter = require "test.counter"
      local a, b = counter.new(), counter.new()
      a:incr() a:incr()
      out(a:incr(), b:incr(), select(2, pcall(a.incr, {})))
    `)
    expect(out[0]).toMatch(/^3\|1\|registry:5: bad argument #1 to 'incr' \(object expected, got table\)/)
  })
})

describe('discovery of the sibling packages', () => {
  it("imports @nresty/lrucache/lua on the first require (the coroutine yields meanwhile)", async () => {
    expect(await run(`
      local lrucache = require "resty.lrucache"
      local c = lrucache.new(2)
      c:set("a", 1)
      out(type(lrucache.new), c:get("a"), c:capacity())
    `)).toEqual(['function|1|2'])
    expect(hasLuaModule('resty.lrucache.pureffi')).toBe(true)
  })

  it('loads the package synchronously where the code cannot yield (a Lua function called from JS)', async () => {
    expect(hasLuaModule('resty.lock')).toBe(false)
    expect(await run(`
      local s = string.gsub("x", "x", function() return type(require("resty.lock").new) end)
      out(s)
    `)).toEqual(['function'])
    expect(hasLuaModule('resty.lock')).toBe(true)
  })

  it('falls through to lua_package_path when the package is not installed', async () => {
    await discover('no-such-package')
    const dir = luaDir({ 'resty/redis.lua': 'return { from = "path" }' })
    // resty.redis belongs to @nresty/redis, not installed in this checkout
    expect(await run('out(require("resty.redis").from)', `${dir}/?.lua;;`)).toEqual(['path'])
  })

  it('falls through when the package is installed without a lua entry', async () => {
    // every sibling installed here has a "./lua" entry: a module mapped to @nresty/core (which
    // has none) stands in for one without
    const map = SIBLING_MODULES as Record<string, string>
    map['nresty.test.nolua'] = 'core'
    try {
      const dir = luaDir({ 'nresty/test/nolua.lua': 'return { from = "path" }' })
      expect(await run('out(require("nresty.test.nolua").from)', `${dir}/?.lua;;`)).toEqual(['path'])
    } finally {
      delete map['nresty.test.nolua']
    }
  })

  it("fails a module found nowhere with Lua's message and the paths tried", async () => {
    const dir = luaDir({})
    const out = await run('out(select(2, pcall(require, "resty.jwt")))', `${dir}/?.lua;;`)
    expect(out[0]).toContain(`module 'resty.jwt' not found:\n\tno field package.preload['resty.jwt']\n\tno file '${dir}/resty/jwt.lua'`)
  })
})
