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
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import {
  HOST, INSTALL_HINT, LUA_MODULE, armWatchdog, cleanup, clockTicks, commandWorks, cpuModel, cpuTicks, fmtInt,
  formatTable, freePort, guard, httpGet, intEnv, median, nginxVersion, oneLine, parseWrk, readTail, rssKb, runWrk, stop,
  tempDir, track, waitListening, writeNginxConf,
} from './lib.ts'

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
const wrkOptions = { connections: CONNECTIONS, headers: ['X-Bench: 1'], ...(pin ? { core: 1 } : {}) }

// A hard bound on the whole run, whatever hangs.
const budgetS = 60 + SERVERS.length * (WARMUP + 5 + ROUNDS * (DURATION + 5))
armWatchdog('bench', budgetS)

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
      for (const r of running) await runWrk(r.port, WARMUP, wrkOptions)
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so drift (thermal, page cache, neighbours) spreads evenly.
      const order = running.map((_, i) => running[(i + round) % running.length]!)
      const parts: string[] = []
      for (const r of order) {
        if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`${r.spec.label} exited`)
        const before = cpuTicks(r.child.pid)
        const t0 = performance.now()
        const out = await runWrk(r.port, DURATION, wrkOptions)
        const seconds = (performance.now() - t0) / 1000
        const cpuSeconds = (cpuTicks(r.child.pid) - before) / clockTicks()
        const sample = toSample(out, rssKb(r.child.pid), cpuSeconds, seconds)
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
  const dir = tempDir(spec.kind)
  const port = await freePort()
  let cmd: string
  let args: string[]
  if (spec.kind === 'openresty') {
    writeNginxConf(dir, port, { masterProcess: false, workers: 1 })
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
  track(child)
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d
  })
  child.stdout!.resume()
  if (spec.kind === 'openresty' && child.pid !== undefined) guard(child.pid)
  const running: Running = { spec, child, port, dir, samples: [] }
  const up = await waitListening(child, port, START_TIMEOUT_MS)
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

/** Checks that the server answers what the benchmark expects ('' when it does). */
async function checkResponse(kind: Kind, port: number): Promise<string> {
  const res = await httpGet(port, '/hello', { 'X-Bench': '1' })
  if (typeof res === 'string') return `GET /hello failed: ${res}`
  if (res.status !== 200 || res.body !== 'hello\n') return `GET /hello answered ${res.status} ${JSON.stringify(res.body.slice(0, 80))}`
  if (kind === 'nresty-chain') {
    if (res.headers['x-chain'] !== '1') return 'the header filter did not set X-Chain: 1'
    const denied = await httpGet(port, '/hello', {})
    if (typeof denied === 'string' || denied.status !== 403) {
      return `without X-Bench the access phase should answer 403, got ${typeof denied === 'string' ? denied : denied.status}`
    }
  }
  return ''
}

// ---------------------------------------------------------------------------------------------
// Load and measurements

function toSample(out: string, rss: number, cpuSeconds: number, seconds: number): Sample {
  const w = parseWrk(out)
  return {
    rps: w.rps,
    p99Ms: w.p99Ms,
    rssKb: rss,
    cpu: cpuSeconds / seconds,
    cpuUsPerReq: (cpuSeconds * 1e6) / Math.max(1, w.requests),
    errors: w.errors,
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function printHeader(): void {
  process.stdout.write(
    `nresty bench: ${ROUNDS} round(s) x ${DURATION}s per server, warm-up ${WARMUP}s, wrk -t1 -c${CONNECTIONS}\n` +
      `machine: ${cpus} CPU(s), ${cpuModel()}; ` +
      (pin ? 'servers pinned to core 0, wrk to core 1 (taskset)\n' : `no pinning (${hasTaskset ? 'fewer than 2 CPUs' : 'taskset not found'})\n`) +
      `node ${process.version}; ${nginxVersion()}\n` +
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
  process.stdout.write(`\nmedians over ${ROUNDS} round(s) of ${DURATION}s (p99 from wrk --latency; RSS after the run;\nCPU = server core use, CPU/req = server CPU time per request):\n`)
  process.stdout.write(formatTable(lines, new Set([1, 2, 3, 4, 5])))
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

// Last, so every module-level binding above is initialised before main() runs.
await main()
