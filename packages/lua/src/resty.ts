#!/usr/bin/env node
// The `resty` command, as OpenResty's resty-cli: runs Lua code (`-e 'code'` or a script with
// its arguments in `arg`) in a timer of a one-worker nresty, with the ngx API; `print`,
// ngx.say and ngx.print write to stdout. `-I dir` adds a module directory, `--shdict 'name
// size'` a shared dict. Exit status 0, or 1 after a Lua error (printed to stderr).
import { writeSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineGateway, startServer } from '@nresty/core'
import type { Ngx } from '@nresty/core'
import { registerBalancerByLua } from './balancer.ts'
import { LuaApp } from './directives.ts'
import { lua, toLuaString } from './fengari.ts'
import type { LuaState } from './fengari.ts'
import { LuaRuntimeError } from './vm.ts'
import type { LuaVm } from './vm.ts'

const USAGE = `Usage: resty [OPTIONS] [lua-file [args]]

Options:
    -c NUM              Set maximal connection count (default: 64).
    -e PROG             Run the inlined Lua code in "prog".
    -h, --help          Print this help.
    -I DIR              Add dir to the search paths for Lua libraries.
    --shdict 'NAME SIZE'
                        Create the specified lua shared dicts in the http configuration block (multiple instances are supported).
    -V, -v              Print version numbers.
`

interface RestyArgs {
  readonly code: string | undefined
  readonly file: string | undefined
  readonly args: readonly string[]
  readonly inc: readonly string[]
  readonly shdicts: Readonly<Record<string, string>>
}

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`)
  process.exit(2)
}

/** Parses resty-cli's command line. */
export function parseRestyArgs(argv: readonly string[]): RestyArgs | 'help' | 'version' {
  let code: string | undefined
  const inc: string[] = []
  const shdicts: Record<string, string> = {}
  let i = 0
  for (; i < argv.length; i++) {
    const a = argv[i]!
    const next = (): string => argv[++i] ?? fail(`option ${a} takes an argument`)
    if (a === '--') { i++; break }
    if (a === '-h' || a === '--help') return 'help'
    if (a === '-v' || a === '-V') return 'version'
    if (a === '-e') code = next()
    else if (a.startsWith('-e') && a.length > 2) code = a.slice(2)
    else if (a === '-I') inc.push(next())
    else if (a.startsWith('-I') && a.length > 2) inc.push(a.slice(2))
    else if (a === '-c') next()
    else if (a === '--shdict') {
      const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(next())
      if (m === null) fail(`bad --shdict value: ${argv[i]}`)
      shdicts[m[1]!] = m[2]!
    } else if (a.startsWith('-') && a !== '-') fail(`unknown option ${a}`)
    else break
  }
  const file = code === undefined ? argv[i++] : undefined
  return { code, file, args: argv.slice(i), inc, shdicts }
}

/** Lua run in the VM: print / ngx.say / ngx.print / ngx.flush / ngx.eof write to stdout. */
const STDOUT_LUA = `
local _, write = ...
local null = ngx.null
local function render(v, out)
  local t = type(v)
  if t == "table" then for _, x in ipairs(v) do render(x, out) end
  elseif v == nil then out[#out + 1] = "nil"
  elseif v == null then out[#out + 1] = "null"
  else out[#out + 1] = tostring(v) end
end
print = function(...)
  local t = {}
  for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
  write(table.concat(t, "\\t") .. "\\n")
end
ngx.print = function(...)
  local out = {}
  for i = 1, select("#", ...) do render((select(i, ...)), out) end
  write(table.concat(out))
  return 1
end
ngx.say = function(...)
  ngx.print(...)
  write("\\n")
  return 1
end
ngx.flush = function() return 1 end
ngx.eof = function() return 1 end
`

/** Where resty's output goes: stdout and stderr, or a caller's sinks (tests run it in-process). */
export interface RestyIo {
  readonly out: (bytes: Uint8Array) => void
  readonly err: (text: string) => void
}

const PROCESS_IO: RestyIo = {
  out: (bytes) => { writeSync(1, bytes) },
  err: (text) => { process.stderr.write(text) },
}

function setupStdout(vm: LuaVm, io: RestyIo): void {
  const L = vm.L
  const chunk = vm.compile('=resty', STDOUT_LUA)
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, chunk)
  lua.lua_pushglobaltable(L)
  lua.lua_pushjsfunction(L, (Ls: LuaState) => {
    const s = lua.lua_tolstring(Ls, 1) as Uint8Array | null
    if (s !== null) io.out(s)
    return 0
  })
  // The compiled chunk takes _ENV, then the writer.
  if (lua.lua_pcall(L, 2, 0, 0) !== lua.LUA_OK) throw new Error(String(lua.lua_tojsstring(L, -1)))
}

function setArg(vm: LuaVm, script: string, args: readonly string[]): void {
  const L = vm.L
  lua.lua_createtable(L, args.length, 1)
  lua.lua_pushstring(L, toLuaString(script))
  lua.lua_rawseti(L, -2, 0)
  args.forEach((a, i) => {
    lua.lua_pushstring(L, toLuaString(a))
    lua.lua_rawseti(L, -2, i + 1)
  })
  lua.lua_setglobal(L, toLuaString('arg'))
}

/** Runs resty with `argv` (without node and the script); resolves to the exit status. */
export async function resty(argv: readonly string[], io: RestyIo = PROCESS_IO): Promise<number> {
  // ngx.balancer is requirable from any code, as with OpenResty's resty
  registerBalancerByLua()
  const a = parseRestyArgs(argv)
  if (a === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (a === 'version') {
    process.stderr.write('resty (nresty) 0.1.0\nnginx version: nresty\n')
    return 0
  }
  if (a.code === undefined && a.file === undefined) {
    process.stderr.write(USAGE)
    return 1
  }
  const cwd = process.cwd()
  const path = [...a.inc.map((d) => `${resolve(cwd, d)}/?.lua;${resolve(cwd, d)}/?/init.lua`), ';'].join(';')
  const app = new LuaApp(() => ({ packagePath: path, prefix: `${cwd}/` }), (vm) => setupStdout(vm, io))
  const name = a.code === undefined ? `@${a.file!}` : '=(command line -e)'
  const load = a.code === undefined ? undefined : (): string => a.code!
  let status = 0
  let done!: () => void
  const finished = new Promise<void>((ok) => { done = ok })
  const main = async (ngx: Ngx): Promise<void> => {
    try {
      const vm = app.vm
      setArg(vm, a.file ?? 'resty', a.args)
      let code: string | Uint8Array
      if (load !== undefined) code = load()
      else {
        const { readFileSync } = await import('node:fs')
        code = readFileSync(resolve(cwd, a.file!))
      }
      await vm.run(ngx, vm.compile(name, code), true, true)
    } catch (e) {
      status = 1
      const text = e instanceof LuaRuntimeError
        ? `ERROR: ${e.message}${e.traceback === '' ? '' : `\nstack traceback:\n${e.traceback}`}`
        : `ERROR: ${e instanceof Error ? e.message : String(e)}`
      io.err(`${text}\n`)
    } finally {
      done()
    }
  }
  const gateway = defineGateway({
    accessLog: false,
    errorLog: { path: 'stderr', level: 'warn' },
    sharedDicts: a.shdicts,
    initWorker: (ngx) => {
      const r = ngx.timer.at(0, main)
      if (!r.ok) throw new Error(`failed to create the timer: ${r.err}`)
    },
    servers: [{ listen: '127.0.0.1:0', locations: {} }],
  })
  const server = await startServer(gateway, { prefix: `${cwd}/`, errorLog: 'stderr', errorLogLevel: 'warn' })
  await finished
  await server.close()
  return status
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/resty') === true) {
  void resty(process.argv.slice(2)).then((code) => process.exit(code))
}
