// Reverse-proxy throughput and p99: nresty's proxyPass next to the reference OpenResty's
// proxy_pass and a plain undici-based Node proxy, all to the same node:http backend (its own
// process), in one run. Each proxy has one worker pinned to core 0; wrk and the backend share
// core 1. Rounds rotate the order; medians and per-round ratios are reported. A second case
// streams a 1 MiB response (MB/s and the proxy's RSS while it runs).
//
//   node bench/proxy.ts
//   BENCH_ROUNDS=5 BENCH_DURATION=5 node bench/proxy.ts
//
// Env: BENCH_ROUNDS (3), BENCH_DURATION seconds per run (4), BENCH_WARMUP seconds (2),
// BENCH_CONNECTIONS (50), BENCH_LARGE (1: also the 1 MiB case; 0 skips it),
// BENCH_LARGE_CONNECTIONS (8), BENCH_LARGE_DURATION (3), BENCH_ONLY=undici,nresty (a subset of
// direct, undici, nresty, openresty), BENCH_JSON=<file>.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import {
  HOST, INSTALL_HINT, LUA_MODULE, NDK_MODULE, armWatchdog, cleanup, clockTicks, commandWorks, cpuModel, cpuTicks, fmtInt,
  formatTable, freePort, guard, httpGet, intEnv, median, nginxVersion, oneLine, parseWrk, readTail, rssKb, runWrk, safeRead,
  sleep, stop, tempDir, track, waitListening,
} from './lib.ts'
import { BIG_BYTES } from './proxy-servers.ts'

const ROUNDS = intEnv('BENCH_ROUNDS', 3, 1, 50)
const DURATION = intEnv('BENCH_DURATION', 4, 1, 120)
const WARMUP = intEnv('BENCH_WARMUP', 2, 0, 60)
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 50, 1, 1000)
const LARGE = intEnv('BENCH_LARGE', 1, 0, 1) === 1
const LARGE_CONNECTIONS = intEnv('BENCH_LARGE_CONNECTIONS', 8, 1, 1000)
const LARGE_DURATION = intEnv('BENCH_LARGE_DURATION', 3, 1, 120)
const START_TIMEOUT_MS = 20_000

type Kind = 'direct' | 'undici' | 'nresty' | 'openresty'

interface Spec {
  readonly kind: Kind
  readonly label: string
}

const SPECS: readonly Spec[] = [
  { kind: 'direct', label: 'backend direct (ceiling)' },
  { kind: 'undici', label: 'undici proxy (node:http + Pool)' },
  { kind: 'nresty', label: 'nresty proxyPass' },
  { kind: 'openresty', label: 'OpenResty proxy_pass' },
]

interface Sample {
  readonly rps: number
  readonly p99Ms: number
  /** Response bytes per second as wrk counts them (headers included). */
  readonly bytesPerS: number
  /** The proxy's RSS after the run, and the highest seen while it ran (polled every 100 ms). */
  readonly rssKb: number
  readonly rssPeakKb: number
  /** Proxy CPU time per request, in microseconds (for `direct`: the backend's). */
  readonly cpuUsPerReq: number
  /** Proxy core use during the run (1 = one core busy all the time). */
  readonly cpu: number
  /** Backend core use during the run: near 1 means the backend, not the proxy, is the limit. */
  readonly backendCpu: number
  readonly errors: string
}

interface Target {
  readonly spec: Spec
  /** The process measured: the proxy (for `direct`, the backend itself). */
  readonly child: ChildProcess
  readonly port: number
  readonly small: Sample[]
  readonly large: Sample[]
  /** RSS right before the first 1 MiB run. */
  rssBeforeLargeKb: number
}

interface Row {
  readonly spec: Spec
  readonly status: 'ok' | 'not installed' | 'failed'
  readonly reason: string
  readonly small: readonly Sample[]
  readonly large: readonly Sample[]
  readonly rssBeforeLargeKb: number
}

const repoRoot = resolve(import.meta.dirname, '..')
const serversScript = join(import.meta.dirname, 'proxy-servers.ts')
const cpus = availableParallelism()
const pin = commandWorks('taskset', ['-V']) && cpus >= 2
/** Proxies alone on core 0; wrk and the backend on core 1. */
const PROXY_CORE = 0
const LOAD_CORE = 1
/** Set once the backend listens. */
let backendPort = 0

const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter((s) => s !== '')
const specs = only === undefined ? SPECS : SPECS.filter((s) => only.includes(s.kind))
const largeKinds = specs.filter((s) => s.kind !== 'direct').length
const budgetS = 90 + specs.length * (WARMUP + 5 + ROUNDS * (DURATION + 5)) + (LARGE ? largeKinds * (2 + ROUNDS * (LARGE_DURATION + 5)) : 0)
armWatchdog('bench/proxy', budgetS)

async function main(): Promise<void> {
  if (!commandWorks('wrk', ['-v'], true)) {
    process.stderr.write(`bench/proxy: wrk is not installed; install the reference stack with: ${INSTALL_HINT}\n`)
    process.exit(1)
  }
  printHeader()
  const backend = await startBackend()
  const rows = new Map<Kind, Row>()
  const targets: Target[] = []
  try {
    for (const spec of specs) {
      const t = await startTarget(spec, backend)
      if ('status' in t) {
        rows.set(spec.kind, t)
        process.stdout.write(`  ${spec.label}: ${t.status}${t.reason === '' ? '' : ` (${t.reason})`}\n`)
        continue
      }
      targets.push(t)
      process.stdout.write(`  ${spec.label}: ${HOST}:${t.port}, pid ${t.child.pid ?? '?'}\n`)
    }

    const small = { connections: CONNECTIONS, path: '/hello', ...(pin ? { core: LOAD_CORE } : {}) }
    if (WARMUP > 0) {
      process.stdout.write(`warm-up: ${WARMUP}s each\n`)
      for (const t of targets) await runWrk(t.port, WARMUP, small)
    }
    for (let round = 0; round < ROUNDS; round++) {
      const parts: string[] = []
      for (const t of rotate(targets, round)) {
        const s = await measure(t, backend, DURATION, small)
        t.small.push(s)
        parts.push(`${t.spec.kind} ${fmtInt(s.rps)}`)
      }
      process.stdout.write(`round ${round + 1}/${ROUNDS}: ${parts.join(', ')}\n`)
    }

    if (LARGE) {
      const proxies = targets.filter((t) => t.spec.kind !== 'direct')
      const large = { connections: LARGE_CONNECTIONS, path: '/big', ...(pin ? { core: LOAD_CORE } : {}) }
      process.stdout.write(`1 MiB responses, wrk -c${LARGE_CONNECTIONS}:\n`)
      for (const t of proxies) {
        t.rssBeforeLargeKb = rssKb(t.child.pid)
        await runWrk(t.port, 1, large)
      }
      for (let round = 0; round < ROUNDS; round++) {
        const parts: string[] = []
        for (const t of rotate(proxies, round)) {
          const s = await measure(t, backend, LARGE_DURATION, large)
          t.large.push(s)
          parts.push(`${t.spec.kind} ${(s.bytesPerS / 1e6).toFixed(0)} MB/s`)
        }
        process.stdout.write(`round ${round + 1}/${ROUNDS}: ${parts.join(', ')}\n`)
      }
    }
  } finally {
    await Promise.all([...targets.filter((t) => t.child !== backend).map((t) => stop(t.child)), stop(backend)])
    cleanup()
  }
  for (const t of targets) {
    rows.set(t.spec.kind, { spec: t.spec, status: 'ok', reason: '', small: t.small, large: t.large, rssBeforeLargeKb: t.rssBeforeLargeKb })
  }
  const ordered = specs.map((s) => rows.get(s.kind)!)
  printSmall(ordered)
  printRatios(rows)
  if (LARGE) printLarge(ordered)
  const json = process.env.BENCH_JSON
  if (json !== undefined && json !== '') writeFileSync(json, JSON.stringify(toJson(ordered), null, 2) + '\n')
  process.exitCode = ordered.some((r) => r.status === 'failed') ? 1 : 0
}

function rotate<T>(xs: readonly T[], n: number): T[] {
  return xs.map((_, i) => xs[(i + n) % xs.length]!)
}

// ---------------------------------------------------------------------------------------------
// Processes

function spawnPinned(core: number, cmd: string, args: string[]): ChildProcess {
  if (pin) {
    args = ['-c', String(core), cmd, ...args]
    cmd = 'taskset'
  }
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
  track(child)
  return child
}

function captureStderr(child: ChildProcess): () => string {
  let err = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    if (err.length < 4000) err += d
  })
  child.stdout!.resume()
  return () => err
}

async function startBackend(): Promise<ChildProcess> {
  const port = await freePort()
  const child = spawnPinned(LOAD_CORE, process.execPath, [serversScript, 'backend', String(port)])
  const stderr = captureStderr(child)
  const up = await waitListening(child, port, START_TIMEOUT_MS)
  if (up !== '') throw new Error(`the backend did not start: ${up}${oneLine(stderr())}`)
  backendPort = port
  process.stdout.write(`  backend (node:http): ${HOST}:${port}, pid ${child.pid ?? '?'}\n`)
  return child
}


async function startTarget(spec: Spec, backend: ChildProcess): Promise<Target | Row> {
  const row = (status: Row['status'], reason: string): Row => ({ spec, status, reason, small: [], large: [], rssBeforeLargeKb: Number.NaN })
  const target = (child: ChildProcess, port: number): Target => ({ spec, child, port, small: [], large: [], rssBeforeLargeKb: Number.NaN })
  if (spec.kind === 'direct') return target(backend, backendPort)
  if (spec.kind === 'openresty' && !(existsSync(LUA_MODULE) && commandWorks('nginx', ['-v'], true))) {
    return row('not installed', `needs nginx + ${LUA_MODULE}: ${INSTALL_HINT}`)
  }
  const dir = tempDir(`proxy-${spec.kind}`)
  const port = await freePort()
  let child: ChildProcess
  if (spec.kind === 'openresty') {
    writeNginxProxyConf(dir, port, backendPort)
    child = spawnPinned(PROXY_CORE, 'nginx', ['-p', dir, '-c', 'conf/nginx.conf', '-e', 'logs/error.log'])
    if (child.pid !== undefined) guard(child.pid)
  } else {
    child = spawnPinned(PROXY_CORE, process.execPath, [serversScript, spec.kind, String(port), String(backendPort), dir])
  }
  const stderr = captureStderr(child)
  const log = (): string => oneLine(stderr() + readTail(join(dir, 'logs/error.log')))
  const up = await waitListening(child, port, START_TIMEOUT_MS)
  if (up !== '') {
    await stop(child)
    return row('failed', `${up}${log()}`)
  }
  const bad = await check(port)
  if (bad !== '') {
    await stop(child)
    return row('failed', `${bad}${log() === '' ? '' : `; ${log()}`}`)
  }
  return target(child, port)
}

/** GET /hello answers `hello\n` and GET /big all 1 MiB, through the proxy ('' when they do). */
async function check(port: number): Promise<string> {
  const res = await httpGet(port, '/hello', {})
  if (typeof res === 'string') return `GET /hello failed: ${res}`
  if (res.status !== 200 || res.body !== 'hello\n') return `GET /hello answered ${res.status} ${JSON.stringify(res.body.slice(0, 80))}`
  if (!LARGE) return ''
  const n = await bodyLength(port, '/big')
  return n === BIG_BYTES ? '' : `GET /big: ${typeof n === 'string' ? n : `${n} bytes, not ${BIG_BYTES}`}`
}

function bodyLength(port: number, path: string): Promise<number | string> {
  return new Promise((ok) => {
    const req = request({ host: HOST, port, path, headers: { Connection: 'close' }, timeout: 5000 }, (res) => {
      let n = 0
      res.on('data', (d: Buffer) => {
        n += d.length
      })
      res.on('end', () => ok(res.statusCode === 200 ? n : `status ${res.statusCode}`))
      res.on('error', (e) => ok(e.message))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (e) => ok(e.message))
    req.end()
  })
}

/**
 * The reference: Debian's nginx + ngx_lua, one worker, the upstream block and proxy_* lines of
 * the brief, with the upstream's keepalive_requests raised as in the other rows (the undici
 * proxy has no such limit), everything else stock (proxy_buffering on).
 */
function writeNginxProxyConf(dir: string, port: number, backend: number): void {
  for (const d of ['conf', 'logs', 'tmp']) mkdirSync(join(dir, d), { recursive: true })
  const conf = [
    `load_module ${NDK_MODULE};`,
    `load_module ${LUA_MODULE};`,
    process.getuid?.() === 0 ? 'user root;' : '',
    'daemon off;',
    'master_process off;',
    'worker_processes 1;',
    'pid logs/nginx.pid;',
    'error_log logs/error.log error;',
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/tmp/body;`,
    `  proxy_temp_path ${dir}/tmp/proxy;`,
    `  fastcgi_temp_path ${dir}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${dir}/tmp/uwsgi;`,
    `  scgi_temp_path ${dir}/tmp/scgi;`,
    `  upstream backend { server ${HOST}:${backend}; keepalive 64; keepalive_requests 1000000; }`,
    '  server {',
    `    listen ${HOST}:${port};`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Host $proxy_host;',
    '    proxy_set_header Connection "";',
    '    location / { proxy_pass http://backend; }',
    '  }',
    '}',
  ].filter((l) => l !== '').join('\n') + '\n'
  writeFileSync(join(dir, 'conf/nginx.conf'), conf)
}

// ---------------------------------------------------------------------------------------------
// Load and measurements

async function measure(t: Target, backend: ChildProcess, seconds: number, o: { connections: number; path: string; core?: number }): Promise<Sample> {
  if (t.child.exitCode !== null || t.child.signalCode !== null) throw new Error(`${t.spec.label} exited`)
  const pid = t.child.pid
  let peak = rssKb(pid)
  const poll = setInterval(() => {
    peak = Math.max(peak, rssKb(pid))
  }, 100)
  const cpu0 = cpuTicks(pid)
  const b0 = cpuTicks(backend.pid)
  const t0 = performance.now()
  let out: string
  try {
    out = await runWrk(t.port, seconds, o)
  } finally {
    clearInterval(poll)
  }
  const elapsed = (performance.now() - t0) / 1000
  const cpuS = (cpuTicks(pid) - cpu0) / clockTicks()
  const backendS = (cpuTicks(backend.pid) - b0) / clockTicks()
  const w = parseWrk(out)
  const rss = rssKb(pid)
  await sleep(200)
  return {
    rps: w.rps,
    p99Ms: w.p99Ms,
    bytesPerS: transferPerS(out),
    rssKb: rss,
    rssPeakKb: Math.max(peak, rss),
    cpuUsPerReq: (cpuS * 1e6) / Math.max(1, w.requests),
    cpu: cpuS / elapsed,
    backendCpu: backendS / elapsed,
    errors: w.errors,
  }
}

/** wrk's `Transfer/sec:  12.34MB`, in bytes per second. */
function transferPerS(out: string): number {
  const m = /Transfer\/sec:\s+([\d.]+)([KMGT]?B)/.exec(out)
  if (m === null) return Number.NaN
  const unit: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }
  return Number(m[1]) * unit[m[2]!]!
}

// ---------------------------------------------------------------------------------------------
// Report

function printHeader(): void {
  process.stdout.write(
    `nresty proxy bench: ${ROUNDS} round(s) x ${DURATION}s per row, warm-up ${WARMUP}s, wrk -t1 -c${CONNECTIONS} GET /hello` +
      (LARGE ? `; then 1 MiB: ${ROUNDS} x ${LARGE_DURATION}s, wrk -c${LARGE_CONNECTIONS} GET /big` : '') + '\n' +
      `machine: ${cpus} CPU(s), ${cpuModel()}; ` +
      (pin ? `proxies pinned to core ${PROXY_CORE}, wrk and the backend to core ${LOAD_CORE} (taskset)\n` : 'no pinning\n') +
      `node ${process.version}; ${nginxVersion()}; load average ${safeRead('/proc/loadavg').split(' ').slice(0, 3).join(' ')}\n` +
      'starting:\n',
  )
}

interface Summary {
  readonly rps: number
  readonly p99Ms: number
  readonly bytesPerS: number
  readonly rssKb: number
  readonly rssPeakKb: number
  readonly cpuUsPerReq: number
  readonly cpu: number
  readonly backendCpu: number
}

function summarize(xs: readonly Sample[]): Summary | undefined {
  if (xs.length === 0) return undefined
  const m = (f: (s: Sample) => number): number => median(xs.map(f))
  return {
    rps: m((s) => s.rps),
    p99Ms: m((s) => s.p99Ms),
    bytesPerS: m((s) => s.bytesPerS),
    rssKb: m((s) => s.rssKb),
    rssPeakKb: Math.max(...xs.map((s) => s.rssPeakKb)),
    cpuUsPerReq: m((s) => s.cpuUsPerReq),
    cpu: m((s) => s.cpu),
    backendCpu: m((s) => s.backendCpu),
  }
}

const mb = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : '-')
const pct = (x: number): string => `${Math.round(x * 100)}%`

function printSmall(rows: readonly Row[]): void {
  const lines: string[][] = [['GET /hello via', 'req/s', 'p99', 'CPU/req', 'CPU', 'backend CPU', 'RSS', 'runs (req/s)']]
  const notes: string[] = []
  for (const row of rows) {
    const s = summarize(row.small)
    if (s === undefined) {
      lines.push([row.spec.label, row.status, '', '', '', '', '', ''])
      if (row.reason !== '') notes.push(`${row.spec.label}: ${row.reason}`)
      continue
    }
    lines.push([
      row.spec.label, fmtInt(s.rps), `${s.p99Ms.toFixed(2)} ms`, `${s.cpuUsPerReq.toFixed(1)} us`, pct(s.cpu), pct(s.backendCpu), mb(s.rssKb),
      row.small.map((x) => fmtInt(x.rps)).join(' / '),
    ])
    const errs = row.small.map((x) => x.errors).filter((e) => e !== '')
    if (errs.length > 0) notes.push(`${row.spec.label}: ${errs.join(' | ')}`)
  }
  process.stdout.write(
    `\nmedians over ${ROUNDS} round(s) of ${DURATION}s (p99 from wrk --latency; CPU/req and CPU = the proxy process,\n` +
      'for the direct row the backend; backend CPU = its core use, near 100% means the backend is the limit; RSS after the run):\n',
  )
  process.stdout.write(formatTable(lines, new Set([1, 2, 3, 4, 5, 6])))
  for (const n of notes) process.stdout.write(`note: ${n}\n`)
}

function printRatios(rows: Map<Kind, Row>): void {
  const pairs: Array<[string, Kind, Kind, number | undefined]> = [
    ['nresty / undici proxy', 'nresty', 'undici', 0.9],
    ['nresty / OpenResty', 'nresty', 'openresty', undefined],
    ['undici proxy / OpenResty', 'undici', 'openresty', undefined],
  ]
  process.stdout.write('\nratios (median of the per-round ratios): req/s, and proxy CPU per request inverted (higher is better for both):\n')
  const w = Math.max(...pairs.map((p) => p[0].length))
  for (const [name, a, b, target] of pairs) {
    const x = rows.get(a)?.small ?? []
    const y = rows.get(b)?.small ?? []
    let text = 'n/a'
    if (x.length > 0 && x.length === y.length) {
      const rps = median(x.map((s, i) => s.rps / y[i]!.rps))
      const cpu = median(x.map((s, i) => y[i]!.cpuUsPerReq / s.cpuUsPerReq))
      text = `${rps.toFixed(3)}   by CPU/req ${cpu.toFixed(3)}`
      if (target !== undefined) text += `   (target >= ${target.toFixed(2)}: ${rps >= target ? 'met' : 'MISSED'})`
    }
    process.stdout.write(`  ${name.padEnd(w)}  ${text}\n`)
  }
}

function printLarge(rows: readonly Row[]): void {
  const lines: string[][] = [['GET /big (1 MiB) via', 'MB/s', 'req/s', 'p99', 'CPU/req', 'RSS before', 'RSS peak', 'RSS after']]
  const notes: string[] = []
  for (const row of rows) {
    if (row.spec.kind === 'direct') continue
    const s = summarize(row.large)
    if (s === undefined) {
      lines.push([row.spec.label, row.status, '', '', '', '', '', ''])
      continue
    }
    lines.push([
      row.spec.label, (s.bytesPerS / 1e6).toFixed(0), fmtInt(s.rps), `${s.p99Ms.toFixed(1)} ms`, `${s.cpuUsPerReq.toFixed(0)} us`,
      mb(row.rssBeforeLargeKb), mb(s.rssPeakKb), mb(row.large.at(-1)!.rssKb),
    ])
    const errs = row.large.map((x) => x.errors).filter((e) => e !== '')
    if (errs.length > 0) notes.push(`${row.spec.label}: ${errs.join(' | ')}`)
  }
  process.stdout.write(
    `\n1 MiB responses, medians over ${ROUNDS} round(s) of ${LARGE_DURATION}s (MB/s = 10^6 bytes/s as wrk counts them;\n` +
      'RSS before the first 1 MiB run, the highest seen during them (polled every 100 ms), after the last):\n',
  )
  process.stdout.write(formatTable(lines, new Set([1, 2, 3, 4, 5, 6, 7])))
  for (const n of notes) process.stdout.write(`note: ${n}\n`)
}

function toJson(rows: readonly Row[]): unknown {
  return {
    date: new Date().toISOString(),
    node: process.version,
    rounds: ROUNDS,
    durationS: DURATION,
    connections: CONNECTIONS,
    large: LARGE ? { connections: LARGE_CONNECTIONS, durationS: LARGE_DURATION } : null,
    pinned: pin,
    rows: rows.map((r) => ({
      kind: r.spec.kind, status: r.status, reason: r.reason,
      small: { median: summarize(r.small) ?? null, samples: r.small },
      large: { median: summarize(r.large) ?? null, rssBeforeKb: r.rssBeforeLargeKb, samples: r.large },
    })),
  }
}

// Last, so every module-level binding above is initialised before main() runs.
await main()
