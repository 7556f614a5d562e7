// lrucache micro-benchmark: ns per op of set and get for @nresty/lrucache, raw lru-cache and
// OpenResty's resty.lrucache, the same loop on each side (1,000,000 ops over 1,000 keys built
// in the loop as "k" + (i % 1000), values i, a cache of 2,000 items: no evictions), rounds
// interleaved in one run. Standalone: node bench/lrucache.ts (BENCH_ROUNDS=7). See lrucache.md.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LRUCache as RawLru } from 'lru-cache'
import { LRUCache } from '../packages/lrucache/src/index.ts'
import { cleanup, freePort, guard, LUA_MODULE, median, NDK_MODULE, tempDir, track, waitListening } from './lib.ts'

const N = 1_000_000
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7)
type Op = 'set' | 'get'
type Side = Record<Op, number[]>

// One loop per cache type, so that each call site sees one receiver type (as in a real app).
function oursSet(c: LRUCache<number>): void {
  for (let i = 0; i < N; i++) c.set('k' + (i % 1000), i)
}
function oursGet(c: LRUCache<number>): number {
  let s = 0
  for (let i = 0; i < N; i++) s += c.get('k' + (i % 1000)) as number
  return s
}
function rawSet(c: RawLru<string, number>): void {
  for (let i = 0; i < N; i++) c.set('k' + (i % 1000), i)
}
function rawGet(c: RawLru<string, number>): number {
  let s = 0
  for (let i = 0; i < N; i++) s += c.get('k' + (i % 1000)) as number
  return s
}
function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t0) / N
}

const LUA = `
local lrucache = require "resty.lrucache"
local c = lrucache.new(2000)
local N = ${N}
local function t(f)
  ngx.update_time()
  local t0 = ngx.now()
  f()
  ngx.update_time()
  return string.format('%.2f', (ngx.now() - t0) * 1e9 / N)
end
local set = t(function() for i = 0, N - 1 do c:set("k" .. (i % 1000), i) end end)
local get = t(function() local s = 0 for i = 0, N - 1 do s = s + c:get("k" .. (i % 1000)) end end)
ngx.say('{"set":' .. set .. ',"get":' .. get .. '}')
`

/** The reference OpenResty with the loop in a location; undefined (and why) when it cannot run. */
export async function startNginx(name: string, lua: string): Promise<{ port: number } | string> {
  const dir = tempDir(name)
  const port = await freePort()
  for (const sub of ['conf', 'logs', 'tmp']) mkdirSync(join(dir, sub), { recursive: true })
  writeFileSync(join(dir, 'bench.lua'), lua)
  writeFileSync(join(dir, 'conf/nginx.conf'), [
    `load_module ${NDK_MODULE};`, `load_module ${LUA_MODULE};`,
    process.getuid?.() === 0 ? 'user root;' : '',
    'daemon off;', 'master_process off;', 'worker_processes 1;', 'pid logs/nginx.pid;',
    'error_log logs/error.log error;', 'events { worker_connections 64; }',
    'http {', '  access_log off;', '  lua_package_path "/usr/share/lua/5.1/?.lua;;";', '  lua_shared_dict bench 10m;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp/${t};`),
    `  server { listen 127.0.0.1:${port}; location = /bench { content_by_lua_file ${dir}/bench.lua; } }`,
    '}', '',
  ].join('\n'))
  const child = spawn('nginx', ['-p', dir, '-c', 'conf/nginx.conf', '-e', 'logs/error.log'], { stdio: 'ignore' })
  track(child)
  if (child.pid !== undefined) guard(child.pid)
  const why = await waitListening(child, port, 5000)
  return why === '' ? { port } : `OpenResty ${why}`
}

export async function nginxRound(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/bench`, { signal: AbortSignal.timeout(60_000) })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`OpenResty answered ${res.status}: ${text.slice(0, 200)}`)
  return JSON.parse(text) as Record<string, number>
}

async function main(): Promise<void> {
  const ours = new LRUCache<number>(2000)
  const raw = new RawLru<string, number>({ max: 2000 })
  const sides: Record<string, Side> = { nresty: { set: [], get: [] }, 'lru-cache': { set: [], get: [] }, OpenResty: { set: [], get: [] } }
  const ng = await startNginx('lrucache', LUA)
  try {
    const runs = {
      nresty: { set: () => oursSet(ours), get: () => oursGet(ours) },
      'lru-cache': { set: () => rawSet(raw), get: () => rawGet(raw) },
    }
    for (let w = 0; w < 2; w++) for (const r of Object.values(runs)) { r.set(); r.get() } // warm-up
    if (typeof ng !== 'string') await nginxRound(ng.port)
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, run] of Object.entries(runs)) {
        sides[name]!.set.push(time(run.set))
        sides[name]!.get.push(time(run.get))
      }
      if (typeof ng !== 'string') {
        const t = await nginxRound(ng.port)
        sides['OpenResty']!.set.push(t['set']!)
        sides['OpenResty']!.get.push(t['get']!)
      }
    }
  } finally {
    cleanup()
  }
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-')
  console.log(`node ${process.version}; ${ROUNDS} rounds of ${N} ops, median ns/op (best in brackets)` + (typeof ng === 'string' ? `; ${ng}` : ''))
  console.log('')
  console.log('| op | @nresty/lrucache | raw lru-cache | nresty / raw | OpenResty resty.lrucache | nresty / OpenResty |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const op of ['set', 'get'] as const) {
    const m = (s: string): number => median(sides[s]![op])
    const b = (s: string): number => Math.min(...sides[s]![op])
    console.log(`| ${op} | ${f(m('nresty'))} (${f(b('nresty'))}) | ${f(m('lru-cache'))} (${f(b('lru-cache'))}) | ${(m('nresty') / m('lru-cache')).toFixed(2)} | ${f(m('OpenResty'))} (${f(b('OpenResty'))}) | ${(m('nresty') / m('OpenResty')).toFixed(2)} |`)
  }
}

if (import.meta.main) await main()
