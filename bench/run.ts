// Side-by-side throughput benchmark: raw node:http, Fastify, nresty (hello and a five-phase
// chain) and the reference OpenResty, one worker each, every server in its own process pinned
// to core 0 and wrk pinned to core 1. Rounds alternate the servers; medians are reported.
//
//   npm run bench                      (builds first)
//   BENCH_ROUNDS=5 BENCH_DURATION=10 npm run bench
//
// Env: BENCH_ROUNDS (5), BENCH_DURATION seconds per run (5), BENCH_WARMUP seconds (2),
// BENCH_NODE_FLAGS='--flag …' (passed to the node servers, e.g. --no-memory-reducer),
// BENCH_CONNECTIONS (50), BENCH_ONLY=node,nresty (a subset), BENCH_JSON=<file> (write results).
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer as createNetServer, connect } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const HOST = '127.0.0.1'
const LUA_MODULE = '/usr/lib/nginx/modules/ngx_http_lua_module.so'
const NDK_MODULE = '/usr/lib/nginx/modules/ndk_http_module.so'
const INSTALL_HINT = 'bash /work/shared/tools/install-reference-openresty.sh'

const ROUNDS = intEnv('BENCH_ROUNDS', 5, 1, 50)
const DURATION = intEnv('BENCH_DURATION', 5, 1, 120)
const WARMUP = intEnv('BENCH_WARMUP', 2, 0, 60)
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 50, 1, 1000)
const START_TIMEOUT_MS = 20_000

type Kind = 'node' | 'fastify' | 'nresty' | 'nresty-chain' | 'openresty'

interface ServerSpec {
  readonly kind: Kind
  readonly label: string
}

const SERVERS: readonly ServerSpec[] = [
  { kind: 'node', label: 'node:http (raw)' },
  { kind: 'fastify', label: 'Fastify' },
  { kind: 'nresty', label: 'nresty hello' },
  { kind: 'nresty-chain', label: 'nresty five-phase chain' },
  { kind: 'openresty', label: 'OpenResty (ngx_lua)' },
]

interface Sample {
  readonly rps: number
  readonly p99Ms: number
  readonly rssKb: number
  /** Server CPU use during the run, in cores (1 = one core busy all the time). */
  readonly cpu: number
  /** Server CPU time per request, in microseconds: steadier than req/s on a busy machine. */
  readonly cpuUsPerReq: number
  readonly errors: string
}

interface Running {
  readonly spec: ServerSpec
  readonly child: ChildProcess
  readonly port: number
  readonly dir: string
  readonly samples: Sample[]
}

interface Row {
  readonly spec: ServerSpec
  readonly status: 'ok' | 'not installed' | 'failed'
  readonly reason: string
  readonly samples: readonly Sample[]
}

const repoRoot = resolve(import.meta.dirname, '..')
const serversScript = join(import.meta.dirname, 'servers.ts')
const cpus = availableParallelism()
const hasTaskset = commandWorks('taskset', ['-V'])
const pin = hasTaskset && cpus >= 2
const children = new Set<ChildProcess>()
const tmpDirs: string[] = []

// A hard bound on the whole run, whatever hangs.
const budgetS = 60 + SERVERS.length * (WARMUP + 5 + ROUNDS * (DURATION + 5))
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: still running after ${budgetS}s, giving up\n`)
  cleanup()
  process.exit(1)
}, budgetS * 1000)
watchdog.unref()
process.on('SIGINT', () => {
  cleanup()
  process.exit(130)
})
process.on('SIGTERM', () => {
  cleanup()
  process.exit(143)
})

async function main(): Promise<void> {
  if (!commandWorks('wrk', ['-v'], true)) {
    process.stderr.write(`bench: wrk is not installed; install the reference stack with: ${INSTALL_HINT}\n`)
    process.exit(1)
  }
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const specs = only === undefined ? SERVERS : SERVERS.filter((s) => only.includes(s.kind))

  printHeader()
  const rows = new Map<Kind, Row>()
  const running: Running[] = []
  for (const spec of specs) {
    const started = await startOne(spec)
    if ('status' in started) {
      rows.set(spec.kind, started)
      process.stdout.write(`  ${spec.label}: ${started.status}${started.reason === '' ? '' : ` (${started.reason})`}\n`)
      continue
    }
    running.push(started)
    process.stdout.write(`  ${spec.label}: listening on ${HOST}:${started.port}, pid ${started.child.pid ?? '?'}\n`)
  }

  try {
    if (WARMUP > 0) {
      process.stdout.write(`warm-up: ${WARMUP}s each\n`)
      for (const r of running) await runWrk(r.port, WARMUP)
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so drift (thermal, page cache, neighbours) spreads evenly.
      const order = running.map((_, i) => running[(i + round) % running.length]!)
      const parts: string[] = []
      for (const r of order) {
        if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`${r.spec.label} exited`)
        const before = cpuTicks(r.child.pid)
        const t0 = performance.now()
        const out = await runWrk(r.port, DURATION)
        const seconds = (performance.now() - t0) / 1000
        const cpuSeconds = (cpuTicks(r.child.pid) - before) / clockTicks()
        const sample = parseWrk(out, rssKb(r.child.pid), cpuSeconds, seconds)
        r.samples.push(sample)
        parts.push(`${r.spec.kind} ${fmtInt(sample.rps)}`)
      }
      process.stdout.write(`round ${round + 1}/${ROUNDS}: ${parts.join(', ')}\n`)
    }
  } finally {
    await Promise.all(running.map((r) => stop(r.child)))
    cleanup()
  }
  for (const r of running) rows.set(r.spec.kind, { spec: r.spec, status: 'ok', reason: '', samples: r.samples })

  const ordered = specs.map((s) => rows.get(s.kind)!)
  printTable(ordered)
  printRatios(rows)
  const json = process.env.BENCH_JSON
  if (json !== undefined && json !== '') writeFileSync(json, JSON.stringify(toJson(ordered), null, 2) + '\n')
  const failed = ordered.filter((r) => r.status === 'failed')
  process.exitCode = failed.length > 0 ? 1 : 0
}

// ---------------------------------------------------------------------------------------------
// Servers

async function startOne(spec: ServerSpec): Promise<Running | Row> {
  const notInstalled = (reason: string): Row => ({ spec, status: 'not installed', reason, samples: [] })
  const failed = (reason: string): Row => ({ spec, status: 'failed', reason, samples: [] })
  if (spec.kind === 'openresty' && !(existsSync(LUA_MODULE) && commandWorks('nginx', ['-v'], true))) {
    return notInstalled(`needs nginx + ${LUA_MODULE}: ${INSTALL_HINT}`)
  }
  const dir = mkdtempSync(join(tmpdir(), `nresty-bench-${spec.kind}-`))
  tmpDirs.push(dir)
  const port = await freePort()
  let cmd: string
  let args: string[]
  if (spec.kind === 'openresty') {
    writeNginxConf(dir, port)
    cmd = 'nginx'
    args = ['-p', dir, '-c', 'conf/nginx.conf', '-e', 'logs/error.log']
  } else {
    cmd = process.execPath
    args = [...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), serversScript, spec.kind, String(port), dir]
  }
  if (pin) {
    args = ['-c', '0', cmd, ...args]
    cmd = 'taskset'
  }
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d
  })
  child.stdout!.resume()
  child.on('exit', () => children.delete(child))
  if (spec.kind === 'openresty' && child.pid !== undefined) guard(child.pid)
  const running: Running = { spec, child, port, dir, samples: [] }
  const up = await waitListening(child, port)
  if (up !== '') {
    await stop(child)
    const log = spec.kind === 'openresty' ? readTail(join(dir, 'logs/error.log')) : ''
    return failed(`${up}${oneLine(stderr + log)}`)
  }
  const bad = await checkResponse(spec.kind, port)
  if (bad !== '') {
    await stop(child)
    return failed(bad)
  }
  return running
}

function writeNginxConf(dir: string, port: number): void {
  mkdirSync(join(dir, 'conf'), { recursive: true })
  mkdirSync(join(dir, 'logs'), { recursive: true })
  const asRoot = process.getuid?.() === 0
  const conf = [
    `load_module ${NDK_MODULE};`,
    `load_module ${LUA_MODULE};`,
    asRoot ? 'user root;' : '',
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    'pid logs/nginx.pid;',
    'error_log logs/error.log error;',
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    '  default_type text/plain;',
    `  client_body_temp_path ${dir}/tmp/body;`,
    `  proxy_temp_path ${dir}/tmp/proxy;`,
    `  fastcgi_temp_path ${dir}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${dir}/tmp/uwsgi;`,
    `  scgi_temp_path ${dir}/tmp/scgi;`,
    '  server {',
    `    listen ${HOST}:${port};`,
    '    location = /hello {',
    '      content_by_lua_block { ngx.say("hello") }',
    '    }',
    '  }',
    '}',
    '',
  ].filter((l) => l !== '').join('\n') + '\n'
  mkdirSync(join(dir, 'tmp'), { recursive: true })
  writeFileSync(join(dir, 'conf/nginx.conf'), conf)
}

/** Resolves '' once the port accepts connections, or the reason it never did. */
async function waitListening(child: ChildProcess, port: number): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return `exited (${child.exitCode ?? child.signalCode}): `
    if (await canConnect(port)) return ''
    await sleep(50)
  }
  return `not listening after ${START_TIMEOUT_MS / 1000}s: `
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ host: HOST, port })
    s.setTimeout(500)
    s.once('connect', () => {
      s.destroy()
      ok(true)
    })
    s.once('timeout', () => {
      s.destroy()
      ok(false)
    })
    s.once('error', () => ok(false))
  })
}

/** Checks that the server answers what the benchmark expects ('' when it does). */
async function checkResponse(kind: Kind, port: number): Promise<string> {
  const res = await get(port, { 'X-Bench': '1' })
  if (typeof res === 'string') return `GET /hello failed: ${res}`
  if (res.status !== 200 || res.body !== 'hello\n') return `GET /hello answered ${res.status} ${JSON.stringify(res.body.slice(0, 80))}`
  if (kind === 'nresty-chain') {
    if (res.headers['x-chain'] !== '1') return 'the header filter did not set X-Chain: 1'
    const denied = await get(port, {})
    if (typeof denied === 'string' || denied.status !== 403) {
      return `without X-Bench the access phase should answer 403, got ${typeof denied === 'string' ? denied : denied.status}`
    }
  }
  return ''
}

interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

function get(port: number, headers: Record<string, string>): Promise<Reply | string> {
  return new Promise((ok) => {
    const req = request({ host: HOST, port, path: '/hello', headers: { ...headers, Connection: 'close' }, timeout: 3000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', (e) => ok(e.message))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (e) => ok(e.message))
    req.end()
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  // nginx: TERM = fast shutdown; ours: close and exit.
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(t)
}

/**
 * nginx does not watch its parent: a tiny shell holds a pipe from us and stops nginx when the
 * pipe closes, so even a SIGKILLed bench leaves no server behind.
 */
function guard(pid: number): void {
  const g = spawn('sh', ['-c', 'read _ignored; kill -TERM "$1" 2>/dev/null', 'sh', String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] })
  children.add(g)
  g.on('exit', () => children.delete(g))
}

function cleanup(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const s = createNetServer()
    s.once('error', ko)
    s.listen(0, HOST, () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      s.close(() => ok(port))
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Load and measurements

function runWrk(port: number, seconds: number): Promise<string> {
  let cmd = 'wrk'
  let args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', 'X-Bench: 1', `http://${HOST}:${port}/hello`]
  if (pin) {
    args = ['-c', '1', cmd, ...args]
    cmd = 'taskset'
  }
  return new Promise((ok, ko) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      out += d
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => {
      out += d
    })
    const t = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000)
    child.on('exit', (code, signal) => {
      clearTimeout(t)
      children.delete(child)
      if (code === 0) ok(out)
      else ko(new Error(`wrk failed (${code ?? signal}): ${oneLine(out)}`))
    })
  })
}

function parseWrk(out: string, rss: number, cpuSeconds: number, seconds: number): Sample {
  const rpsMatch = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const totalMatch = /(\d+) requests in /.exec(out)
  const p99Match = /^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out)
  if (rpsMatch === null || p99Match === null || totalMatch === null) throw new Error(`cannot parse wrk output: ${oneLine(out)}`)
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }
  const errors: string[] = []
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)
  if (non2xx !== null) errors.push(`${non2xx[1]} non-2xx`)
  const sock = /Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  if (sock !== null) {
    const [, c, r, w, t] = sock
    const parts = [['connect', c], ['read', r], ['write', w], ['timeout', t]].filter(([, n]) => n !== '0')
    if (parts.length > 0) errors.push(`socket errors: ${parts.map(([k, n]) => `${k} ${n}`).join(', ')}`)
  }
  return {
    rps: Number(rpsMatch[1]),
    p99Ms: Number(p99Match[1]) * unit[p99Match[2]!]!,
    rssKb: rss,
    cpu: cpuSeconds / seconds,
    cpuUsPerReq: (cpuSeconds * 1e6) / Math.max(1, Number(totalMatch[1])),
    errors: errors.join('; '),
  }
}

function rssKb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? Number.NaN : Number(m[1])
  } catch {
    return Number.NaN
  }
}

/** utime + stime of the process (all its threads), in clock ticks. */
function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return Number.NaN
  }
}

let ticks = 0
function clockTicks(): number {
  if (ticks === 0) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    ticks = r.status === 0 ? Number(r.stdout.trim()) || 100 : 100
  }
  return ticks
}

// ---------------------------------------------------------------------------------------------
// Report

function printHeader(): void {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(safeRead('/proc/cpuinfo'))?.[1] ?? 'unknown CPU'
  const nginxV = commandWorks('nginx', ['-v'], true) ? oneLine(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr) : 'nginx not installed'
  process.stdout.write(
    `nresty bench: ${ROUNDS} round(s) x ${DURATION}s per server, warm-up ${WARMUP}s, wrk -t1 -c${CONNECTIONS}\n` +
      `machine: ${cpus} CPU(s), ${cpuModel}; ` +
      (pin ? 'servers pinned to core 0, wrk to core 1 (taskset)\n' : `no pinning (${hasTaskset ? 'fewer than 2 CPUs' : 'taskset not found'})\n`) +
      `node ${process.version}; ${nginxV}\n` +
      'starting servers:\n',
  )
}

interface Summary {
  readonly rps: number
  readonly p99Ms: number
  readonly rssKb: number
  readonly cpu: number
  readonly cpuUsPerReq: number
}

function summary(row: Row): Summary | undefined {
  if (row.status !== 'ok' || row.samples.length === 0) return undefined
  return {
    rps: median(row.samples.map((s) => s.rps)),
    p99Ms: median(row.samples.map((s) => s.p99Ms)),
    rssKb: median(row.samples.map((s) => s.rssKb)),
    cpu: median(row.samples.map((s) => s.cpu)),
    cpuUsPerReq: median(row.samples.map((s) => s.cpuUsPerReq)),
  }
}

function printTable(rows: readonly Row[]): void {
  const header = ['server', 'req/s', 'p99', 'RSS', 'CPU', 'CPU/req', 'runs (req/s)']
  const lines: string[][] = [header]
  const notes: string[] = []
  for (const row of rows) {
    const s = summary(row)
    if (s === undefined) {
      lines.push([row.spec.label, row.status, '', '', '', '', ''])
      if (row.reason !== '') notes.push(`${row.spec.label}: ${row.reason}`)
      continue
    }
    lines.push([
      row.spec.label,
      fmtInt(s.rps),
      `${s.p99Ms.toFixed(2)} ms`,
      `${(s.rssKb / 1024).toFixed(1)} MB`,
      `${Math.round(s.cpu * 100)}%`,
      `${s.cpuUsPerReq.toFixed(1)} us`,
      row.samples.map((x) => fmtInt(x.rps)).join(' / '),
    ])
    const errs = row.samples.map((x) => x.errors).filter((e) => e !== '')
    if (errs.length > 0) notes.push(`${row.spec.label}: ${errs.join(' | ')}`)
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)))
  const right = new Set([1, 2, 3, 4, 5])
  const fmt = (l: string[]): string => l.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  process.stdout.write(`\nmedians over ${ROUNDS} round(s) of ${DURATION}s (p99 from wrk --latency; RSS after the run;\nCPU = server core use, CPU/req = server CPU time per request):\n`)
  process.stdout.write(fmt(lines[0]!) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n')
  for (const l of lines.slice(1)) process.stdout.write(fmt(l) + '\n')
  for (const n of notes) process.stdout.write(`note: ${n}\n`)
}

function printRatios(rows: Map<Kind, Row>): void {
  const get = (k: Kind): Summary | undefined => {
    const r = rows.get(k)
    return r === undefined ? undefined : summary(r)
  }
  const ratios: Array<[string, Kind, Kind, number | undefined]> = [
    ['nresty hello / node:http', 'nresty', 'node', 0.95],
    ['five-phase chain / node:http', 'nresty-chain', 'node', 0.85],
    ['Fastify / node:http', 'fastify', 'node', undefined],
    ['OpenResty / node:http', 'openresty', 'node', undefined],
    ['nresty hello / OpenResty', 'nresty', 'openresty', undefined],
  ]
  process.stdout.write('\nratios: req/s, and the same from server CPU per request (inverse ratio; steadier when the machine is busy):\n')
  const w = Math.max(...ratios.map((r) => r[0].length))
  for (const [name, a, b, target] of ratios) {
    const x = get(a)
    const y = get(b)
    let text: string
    if (x === undefined || y === undefined || y.rps === 0) text = 'n/a'
    else {
      const v = x.rps / y.rps
      text = `${v.toFixed(3)}   by CPU/req ${(y.cpuUsPerReq / x.cpuUsPerReq).toFixed(3)}`
      if (target !== undefined) text += `   (target >= ${target.toFixed(2)}: ${v >= target ? 'met' : 'MISSED'})`
    }
    process.stdout.write(`  ${name.padEnd(w)}  ${text}\n`)
  }
}

function toJson(rows: readonly Row[]): unknown {
  return {
    date: new Date().toISOString(),
    node: process.version,
    rounds: ROUNDS,
    durationS: DURATION,
    connections: CONNECTIONS,
    pinned: pin,
    servers: rows.map((r) => ({ kind: r.spec.kind, status: r.status, reason: r.reason, median: summary(r) ?? null, samples: r.samples })),
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function intEnv(name: string, def: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return def
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`bench: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}\n`)
    process.exit(2)
  }
  return n
}

/** Whether the command runs (exit 0, or any exit when `anyExit`: `wrk -v` exits 1). */
function commandWorks(cmd: string, args: string[], anyExit = false): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 })
  return r.error === undefined && (anyExit ? r.status !== null : r.status === 0)
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function readTail(path: string): string {
  return safeRead(path).slice(-600)
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 600)
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms))
}

// Last, so every module-level binding above is initialised before main() runs.
await main()
