// The shared-dict loop of bench/shdict.ts written in Lua and run through nresty's Lua VM
// (fengari, @nresty/lua) and through OpenResty's LuaJIT, from the same content_by_lua_file in
// the same nginx.conf, rounds interleaved. Also the RSS of each server process after its loops:
// for nresty, one worker with its Lua VM.
//
//   node bench/lua-shdict.ts            (BENCH_ROUNDS=5, BENCH_LUA_SHDICT_N=200000)
//
// Each op is timed in Lua as OpenResty users time it: ngx.update_time(), ngx.now() around the
// loop, ns per op. Both servers run pinned to the same core, one at a time.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import {
  armWatchdog, cleanup, commandWorks, formatTable, freePort, HOST, INSTALL_HINT, intEnv, LUA_MODULE, median, NDK_MODULE, rssKb,
  stop, tempDir, track, waitListening,
} from './lib.ts'

const N = intEnv('BENCH_LUA_SHDICT_N', 200_000, 1000, 10_000_000)
const OPS = ['set', 'get', 'incr'] as const
type Op = (typeof OPS)[number]

const LUA = `
local d = ngx.shared.bench
local N = ${N}
local function t(f)
  ngx.update_time()
  local t0 = ngx.now()
  f()
  ngx.update_time()
  return string.format('%.1f', (ngx.now() - t0) * 1e9 / N)
end
local set = t(function() for i = 0, N - 1 do d:set("k" .. (i % 1000), i) end end)
local get = t(function() local s = 0 for i = 0, N - 1 do s = s + d:get("k" .. (i % 1000)) end end)
local incr = t(function() for i = 0, N - 1 do d:incr("counter", 1, 0) end end)
ngx.say('{"set":' .. set .. ',"get":' .. get .. ',"incr":' .. incr .. '}')
`

/** The one conf both servers run (nginx gets the load_module lines first). */
function conf(dir: string, port: number, nginx: boolean): string {
  const head = nginx
    ? [`load_module ${NDK_MODULE};`, `load_module ${LUA_MODULE};`, process.getuid?.() === 0 ? 'user root;' : '', 'daemon off;', 'master_process off;']
    : []
  return [
    ...head,
    'worker_processes 1;',
    'error_log logs/error.log error;',
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    '  lua_shared_dict bench 10m;',
    ...(nginx ? ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp/${t};`) : []),
    `  server { listen ${HOST}:${port}; location = /bench { content_by_lua_file ${dir}/bench.lua; } }`,
    '}',
    '',
  ].filter((l) => l !== '').join('\n')
}

function prepare(name: string, port: number, nginx: boolean): string {
  const dir = tempDir(`lua-shdict-${name}`)
  for (const sub of ['conf', 'logs', 'tmp']) mkdirSync(join(dir, sub), { recursive: true })
  writeFileSync(join(dir, 'bench.lua'), LUA)
  writeFileSync(join(dir, 'conf/nginx.conf'), conf(dir, port, nginx))
  return dir
}

/** The nresty server (this file with `serve <port> <dir>`): the conf in one thread. */
async function serve(port: number, dir: string): Promise<void> {
  const { loadConfGateway, startServer } = await import('@nresty/core')
  await import('@nresty/lua')
  await startServer(loadConfGateway('conf/nginx.conf', dir).gateway, { prefix: `${dir}/` })
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
  void port
}

async function round(port: number): Promise<Record<Op, number>> {
  const res = await fetch(`http://${HOST}:${port}/bench`, { signal: AbortSignal.timeout(300_000) })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`answered ${res.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as Record<Op, number>
}

async function main(): Promise<void> {
  if (!existsSync(LUA_MODULE)) {
    process.stderr.write(`bench/lua-shdict.ts: the reference OpenResty is not installed (${INSTALL_HINT})\n`)
    process.exit(1)
  }
  const rounds = intEnv('BENCH_ROUNDS', 5, 1, 50)
  armWatchdog('lua-shdict', 60 + rounds * 120)
  const pin = availableParallelism() >= 2 && commandWorks('taskset', ['-c', '0', 'true'])
  const start = (cmd: string, args: string[]): ChildProcess => {
    const child = pin ? spawn('taskset', ['-c', '0', cmd, ...args], { stdio: ['pipe', 'inherit', 'inherit'] }) : spawn(cmd, args, { stdio: ['pipe', 'inherit', 'inherit'] })
    track(child)
    return child
  }
  const nrPort = await freePort()
  const ngPort = await freePort()
  const nrDir = prepare('nresty', nrPort, false)
  const ngDir = prepare('openresty', ngPort, true)
  const servers = [
    { name: 'nresty (@nresty/lua on fengari)', port: nrPort, child: start(process.execPath, [resolve(import.meta.dirname, 'lua-shdict.ts'), 'serve', String(nrPort), nrDir]) },
    { name: 'OpenResty (LuaJIT)', port: ngPort, child: start('nginx', ['-p', ngDir, '-c', 'conf/nginx.conf', '-e', 'logs/error.log']) },
  ]
  const results = servers.map(() => ({ set: [] as number[], get: [] as number[], incr: [] as number[], rss: 0 }))
  try {
    for (const s of servers) {
      const up = await waitListening(s.child, s.port, 20_000)
      if (up !== '') throw new Error(`${s.name}: ${up}`)
    }
    // a warm-up round each (JIT, the entries created), not recorded
    for (const s of servers) await round(s.port)
    for (let r = 0; r < rounds; r++) {
      const parts: string[] = []
      for (let i = 0; i < servers.length; i++) {
        const k = (i + r) % servers.length
        const got = await round(servers[k]!.port)
        for (const op of OPS) results[k]![op].push(got[op])
        results[k]!.rss = Math.max(results[k]!.rss, rssKb(servers[k]!.child.pid))
        parts.push(`${k === 0 ? 'nresty' : 'openresty'} ${OPS.map((op) => `${op} ${got[op]}`).join(' ')}`)
      }
      process.stdout.write(`round ${r + 1}/${rounds}: ${parts.join(' | ')}\n`)
    }
  } finally {
    await Promise.all(servers.map((s) => stop(s.child)))
    cleanup()
  }
  const lines: string[][] = [['op (ns/op, median)', servers[0]!.name, servers[1]!.name, 'OpenResty / nresty (speed)']]
  for (const op of OPS) {
    const a = median(results[0]![op])
    const b = median(results[1]![op])
    lines.push([op, a.toFixed(1), b.toFixed(1), (b / a).toFixed(3)])
  }
  lines.push(['RSS after the loops (MB)', (results[0]!.rss / 1024).toFixed(1), (results[1]!.rss / 1024).toFixed(1), ''])
  process.stdout.write(`\n${N} ops per loop, ${rounds} rounds, the servers ${pin ? 'pinned to core 0' : 'unpinned'}\n${formatTable(lines, new Set([1, 2, 3]))}\n`)
}

if (process.argv[2] === 'serve') await serve(Number(process.argv[3]), process.argv[4] ?? '')
else await main()
