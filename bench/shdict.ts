// Shared-dict micro-benchmark: ns per op of set, get and incr on a 10m zone, in the loop shape
// OpenResty users measure (1,000,000 ops over 1,000 keys built in the loop as "k" + (i % 1000),
// values i; one fixed key for incr), nresty and the reference OpenResty in the same run with
// their rounds interleaved; then 1 vs 2 worker threads hammering one zone. Standalone:
//   node bench/shdict.ts            (BENCH_ROUNDS=7 by default; BENCH_SHDICT_THREADS_N=1000000)
// Results and how to read them: bench/shdict.md.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { createZone, SharedDict, zoneHandle } from '../packages/core/src/shdict.ts'
import type { ShdictZone } from '../packages/core/src/shdict.ts'

const N = 1_000_000
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7)
const THREAD_N = Number(process.env['BENCH_SHDICT_THREADS_N'] ?? 1_000_000)
/**
 * The CPU both sides run on for the comparison (BENCH_SHDICT_CPU, default the last one; '' = no
 * pinning): the rounds alternate, so the core never idles between them (an idle core starts the
 * next loop slower, which otherwise lands on whoever runs after a wait).
 */
const PIN = process.env['BENCH_SHDICT_CPU'] ?? (taskset() ? String(availableParallelism() - 1) : '')
const LUA_MODULE = '/usr/lib/nginx/modules/ngx_http_lua_module.so'
const NDK_MODULE = '/usr/lib/nginx/modules/ndk_http_module.so'
type Op = 'set' | 'get' | 'incr'
const OPS: readonly Op[] = ['set', 'get', 'incr']

function taskset(): boolean {
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0
}

/** Pins every thread of this process to `cpus` ('0-1', '1'); false when taskset is missing. */
function pinSelf(cpus: string): boolean {
  return spawnSync('taskset', ['-a', '-pc', cpus, String(process.pid)], { stdio: 'ignore' }).status === 0
}

// ---- the loops (the same in both threads and in the main thread) ----------------------------

function loopSet(d: SharedDict, n: number): void {
  for (let i = 0; i < n; i++) d.set('k' + (i % 1000), i)
}

function loopGet(d: SharedDict, n: number): number {
  let s = 0
  for (let i = 0; i < n; i++) s += d.get('k' + (i % 1000)) as number
  return s
}

function loopIncr(d: SharedDict, n: number): void {
  for (let i = 0; i < n; i++) d.incr('counter', 1, 0)
}

/**
 * This thread's CPU time in ns (/proc/thread-self/schedstat, else getrusage). Both advance in
 * scheduler ticks (4 ms here) for a running thread, so the table gives CPU time summed over all
 * rounds, not per round.
 */
function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0])
  } catch {
    const c = process.threadCpuUsage()
    return (c.user + c.system) * 1000
  }
}

/** Runs the loop; [wall ns, this thread's CPU ns]. */
function timeOp(d: SharedDict, op: Op, n: number): [number, number] {
  const c0 = threadCpuNs()
  const t0 = process.hrtime.bigint()
  if (op === 'set') loopSet(d, n)
  else if (op === 'get') loopGet(d, n)
  else loopIncr(d, n)
  const wall = Number(process.hrtime.bigint() - t0)
  return [wall, threadCpuNs() - c0]
}

// ---- worker side: wait for the start word, run the loop, report the time --------------------

if (!isMainThread) {
  const { zone, op, n, go } = workerData as { zone: ShdictZone; op: Op; n: number; go: SharedArrayBuffer }
  const d = new SharedDict('bench', zone)
  timeOp(d, op, Math.min(n, 200_000)) // warm up the JIT before the start signal
  const flag = new Int32Array(go)
  Atomics.add(flag, 1, 1) // ready
  Atomics.wait(flag, 0, 0)
  const [ns] = timeOp(d, op, n)
  parentPort!.postMessage(ns)
}

// ---- OpenResty -----------------------------------------------------------------------------

// Wall time as OpenResty users take it (ngx.update_time/ngx.now, ms resolution), and the
// worker's CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID) through the FFI).
const LUA = `
local ffi = require "ffi"
pcall(ffi.cdef, "typedef struct { long tv_sec; long tv_nsec; } bench_ts; int clock_gettime(int, bench_ts *);")
local ts = ffi.new("bench_ts")
local function cpu() ffi.C.clock_gettime(3, ts) return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec) end
local d = ngx.shared.bench
local N = ${N}
local function t(f)
  ngx.update_time()
  local t0, c0 = ngx.now(), cpu()
  f()
  local c1 = cpu()
  ngx.update_time()
  return string.format('[%.2f,%.2f]', (ngx.now() - t0) * 1e9 / N, (c1 - c0) / N)
end
local set = t(function() for i = 0, N - 1 do d:set("k" .. (i % 1000), i) end end)
local get = t(function() local s = 0 for i = 0, N - 1 do s = s + d:get("k" .. (i % 1000)) end end)
local incr = t(function() for i = 0, N - 1 do d:incr("counter", 1, 0) end end)
ngx.say('{"set":' .. set .. ',"get":' .. get .. ',"incr":' .. incr .. '}')
`

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

type Nginx = { child: ChildProcess; port: number; dir: string }

async function startNginx(): Promise<Nginx | string> {
  if (!existsSync(LUA_MODULE)) return `not installed (${LUA_MODULE}; scripts/install-reference-openresty.sh)`
  const dir = mkdtempSync(join(tmpdir(), 'nresty-bench-shdict-'))
  const port = await freePort()
  for (const sub of ['conf', 'logs', 'tmp']) mkdirSync(join(dir, sub), { recursive: true })
  writeFileSync(join(dir, 'bench.lua'), LUA)
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp/${t};`)
  writeFileSync(
    join(dir, 'conf/nginx.conf'),
    [
      `load_module ${NDK_MODULE};`,
      `load_module ${LUA_MODULE};`,
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      'pid logs/nginx.pid;',
      'error_log logs/error.log error;',
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      '  lua_package_path "/usr/share/lua/5.1/?.lua;;";',
      '  lua_shared_dict bench 10m;',
      ...temp,
      `  server { listen 127.0.0.1:${port}; location = /bench { content_by_lua_file ${dir}/bench.lua; } }`,
      '}',
      '',
    ].join('\n'),
  )
  const args = ['-p', dir, '-c', 'conf/nginx.conf', '-e', 'logs/error.log']
  const child = PIN === '' ? spawn('nginx', args, { stdio: 'ignore' }) : spawn('taskset', ['-c', PIN, 'nginx', ...args], { stdio: 'ignore' })
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      await fetch(`http://127.0.0.1:${port}/nope`)
      return { child, port, dir }
    } catch {
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  child.kill('SIGKILL')
  const log = existsSync(join(dir, 'logs/error.log')) ? readFileSync(join(dir, 'logs/error.log'), 'utf8') : ''
  return `failed to start: ${log.trim().split('\n').pop() ?? ''}`
}

async function nginxRound(ng: Nginx): Promise<Record<Op, [number, number]>> {
  const res = await fetch(`http://127.0.0.1:${ng.port}/bench`, { signal: AbortSignal.timeout(60_000) })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`OpenResty answered ${res.status}: ${text.slice(0, 200)}`)
  return JSON.parse(text) as Record<Op, [number, number]>
}

// ---- threads -------------------------------------------------------------------------------

async function threaded(op: Op, threads: number): Promise<number> {
  const zone = createZone('bench', '10m')
  const d = new SharedDict('bench', zone)
  for (let i = 0; i < 1000; i++) d.set('k' + i, i) // get reads numbers
  const go = new SharedArrayBuffer(8)
  const flag = new Int32Array(go)
  const workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url), { workerData: { zone: zoneHandle(zone), op, n: THREAD_N, go } }))
  const done = workers.map((w) => new Promise<number>((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
  }))
  while (Atomics.load(flag, 1) < threads) await new Promise((r) => setTimeout(r, 5))
  const t0 = process.hrtime.bigint()
  Atomics.store(flag, 0, 1)
  Atomics.notify(flag, 0)
  await Promise.all(done)
  const wall = Number(process.hrtime.bigint() - t0)
  await Promise.all(workers.map((w) => w.terminate()))
  return (threads * THREAD_N) / (wall / 1e9)
}

// ---- main ----------------------------------------------------------------------------------

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[(s.length - 1) >> 1] as number)
}
const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '-')

async function main(): Promise<void> {
  const d = new SharedDict('bench', createZone('bench', '10m'))
  if (PIN !== '') pinSelf(PIN)
  // [wall, cpu] ns/op per round
  const ours: Record<Op, [number, number][]> = { set: [], get: [], incr: [] }
  const theirs: Record<Op, [number, number][]> = { set: [], get: [], incr: [] }
  const ng = await startNginx()
  const cleanup = (): void => {
    if (typeof ng !== 'string') {
      ng.child.kill('SIGKILL')
      rmSync(ng.dir, { recursive: true, force: true })
    }
  }
  process.on('exit', cleanup)
  try {
    // one warm-up round each (JIT, traces, the entries created), not recorded
    for (const op of OPS) timeOp(d, op, N)
    if (typeof ng !== 'string') await nginxRound(ng)
    for (let r = 0; r < ROUNDS; r++) {
      for (const op of OPS) {
        const [wall, cpu] = timeOp(d, op, N)
        ours[op].push([wall / N, cpu / N])
      }
      if (typeof ng !== 'string') {
        const t = await nginxRound(ng)
        for (const op of OPS) theirs[op].push(t[op])
      }
    }
  } finally {
    cleanup()
    if (PIN !== '') pinSelf(`0-${availableParallelism() - 1}`)
  }
  const lines: string[] = []
  lines.push(
    `node ${process.version}; ${ROUNDS} rounds of ${N} ops each after a warm-up round, nresty and OpenResty interleaved` +
      (PIN === '' ? '' : `, both on CPU ${PIN}`),
  )
  if (typeof ng === 'string') lines.push(`OpenResty: ${ng}`)
  lines.push('wall: elapsed ns/op, best (median) of the rounds; cpu: the running thread\'s CPU ns/op over all rounds')
  lines.push('')
  lines.push('| op | nresty wall | OpenResty wall | nresty / OpenResty | nresty cpu | OpenResty cpu | nresty / OpenResty |')
  lines.push('| --- | --- | --- | --- | --- | --- | --- |')
  const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((x, y) => x + y, 0) / xs.length)
  for (const op of OPS) {
    const a = ours[op].map((x) => x[0])
    const b = theirs[op].map((x) => x[0])
    const ca = mean(ours[op].map((x) => x[1]))
    const cb = mean(theirs[op].map((x) => x[1]))
    const ba = Math.min(...a)
    const bb = b.length > 0 ? Math.min(...b) : NaN
    lines.push(
      `| ${op} | ${fmt(ba)} (${fmt(median(a))}) | ${fmt(bb)} (${fmt(median(b))}) | ` +
        `${fmt(ba / bb, 2)} (${fmt(median(a) / median(b), 2)}) | ${fmt(ca)} | ${fmt(cb)} | ${fmt(ca / cb, 2)} |`,
    )
  }
  lines.push('')
  lines.push(`| op | 1 thread Mops/s | 2 threads, one zone, aggregate Mops/s | (${THREAD_N} ops per thread) |`)
  lines.push('| --- | --- | --- | --- |')
  for (const op of OPS) {
    const one = await threaded(op, 1)
    const two = await threaded(op, 2)
    lines.push(`| ${op} | ${fmt(one / 1e6, 2)} | ${fmt(two / 1e6, 2)} | ${fmt(two / one, 2)}x |`)
  }
  console.log(lines.join('\n'))
}

if (isMainThread) await main()
