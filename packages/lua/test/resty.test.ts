// The `resty` command: -e, a script with arguments, -I, --shdict, stdout and errors.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const RESTY = fileURLToPath(new URL('../src/resty.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'nresty-resty-'))
mkdirSync(join(dir, 'lua'))
writeFileSync(join(dir, 'lua/my-module.lua'), 'local M = { main = "main of my-module" }\nreturn M\n')
writeFileSync(join(dir, 'script.lua'), 'print(arg[0], arg[1], arg[2], #arg)\nerror("bad " .. arg[1])\n')

function resty(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@nresty/source', RESTY, ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('resty', () => {
  it('runs -e code in a timer, printing to stdout', () => {
    const r = resty('-e', 'print("hi", 10/2, nil) ngx.say({"a", 1}, ngx.null) ngx.sleep(0.01) print(ngx.get_phase(), ngx.worker.pid() > 0)')
    expect(r).toEqual({ status: 0, stdout: 'hi\t5\tnil\na1null\ntimer\ttrue\n', stderr: '' })
  })

  it('finds modules with -I', () => {
    expect(resty('-Ilua', '-e', 'require "my-module" print(package.loaded["my-module"].main)').stdout).toBe('main of my-module\n')
  })

  it('lists package.loaded', () => {
    const names = resty('-e', 'for k in pairs(package.loaded) do print(k) end').stdout.split('\n')
    expect(names).toEqual(expect.arrayContaining(['_G', 'string', 'table', 'coroutine', 'package']))
  })

  it('makes shared dicts with --shdict', () => {
    expect(resty('--shdict', 'dogs 1m', '-e', 'print(ngx.shared.dogs:set("a", 3)) print(ngx.shared.dogs:get("a"))').stdout).toBe('true\tnil\tfalse\n3\n')
  })

  it('runs a script with its arguments and reports errors', () => {
    const r = resty('script.lua', 'x', 'y')
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('script.lua\tx\ty\t2\n')
    expect(r.stderr).toBe("ERROR: script.lua:2: bad x\nstack traceback:\n\t[C]: in function 'error'\n\tscript.lua:2: in main chunk\n")
  })
})
