// Worker scaling, side by side: nresty's master (the `nresty` command) with 1 and with 2 worker
// threads, the reference OpenResty with worker_processes 1 and 2 (master_process on), and raw
// node:http as the one-process baseline. Rounds alternate the servers; medians are reported,
// with the servers' total RSS and CPU, the w2 / w1 scaling ratios and the RSS one worker adds.
// Nothing is pinned: the machine has 2 cores and wrk runs on it too, competing for CPU.
//
//   npm run bench:workers               (builds first)
//   BENCH_ROUNDS=5 BENCH_DURATION=10 node bench/workers.ts
//
// Env: BENCH_ROUNDS (3), BENCH_DURATION seconds per run (5), BENCH_WARMUP seconds (2),
// BENCH_CONNECTIONS (50), BENCH_ONLY=node,nresty-1,nresty-2,openresty-1,openresty-2 (a subset),
// BENCH_NODE_FLAGS='--flag …' (for the node processes), BENCH_JSON=<file> (write results).
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import {
  HOST, INSTALL_HINT, LUA_MODULE, armWatchdog, childPids, childrenCpuTicks, cleanup, clockTicks, commandWorks, cpuModel, cpuTicks,
  fmtInt, formatTable, freePort, guard, httpGet, intEnv, machineBusyTicks, median, nginxVersion, oneLine, parseWrk, pssKb, readTail,
  rssKb, runWrk, safeRead, sleep, stop, tempDir, track, waitListening, writeNginxConf,
} from './lib.ts'

const ROUNDS = intEnv('BENCH_ROUNDS', 3, 1, 50)
const DURATION = intEnv('BENCH_DURATION', 5, 1, 120)
const WARMUP = intEnv('BENCH_WARMUP', 2, 0, 60)
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 50, 1, 1000)
const START_TIMEOUT_MS = 30_000

type Kind = 'node' | 'nresty-1' | 'nresty-2' | 'openresty-1' | 'openresty-2'

interface ServerSpec {
  readonly kind: Kind
  readonly label: string
  /** Worker threads (nresty) or processes (OpenResty); 0 for node:http's single process. */
  readonly workers: number
}

const SERVERS: readonly ServerSpec[] = [
  { kind: 'node', label: 'node:http (raw)', workers: 0 },
  { kind: 'nresty-1', label: 'nresty workers=1', workers: 1 },
  { kind: 'nresty-2', label: 'nresty workers=2', workers: 2 },
  { kind: 'openresty-1', label: 'OpenResty worker_processes 1', workers: 1 },
  { kind: 'openresty-2', label: 'OpenResty worker_processes 2', workers: 2 },
]

interface Sample {
  readonly rps: number
  readonly p99Ms: number
  /** Sum of VmRSS over the server's processes, right after the run. */
  readonly rssKb: number
  /** Sum of Pss (smaps_rollup): pages shared between the processes counted once. */
  readonly pssKb: number
  /** Server CPU use during the run, in cores (all its processes and threads). */
  readonly cpu: number
  /** Server CPU time per request, in microseconds. */
  readonly cpuUsPerReq: number
  /** wrk's CPU use during the run, in cores. */
  readonly wrkCpu: number
  /** The rest of the machine's CPU use (other processes, the bench itself), in cores. */
  readonly otherCpu: number
  readonly errors: string
}

interface Running {
  readonly spec: ServerSpec
  readonly child: ChildProcess
  readonly port: number
  readonly dir: string
  /** The server's processes: the one process, or nginx's master and its workers. */
  readonly pids: readonly number[]
  readonly samples: Sample[]
}

interface Row {
  readonly spec: ServerSpec
  readonly status: 'ok' | 'not installed' | 'failed'
  readonly reason: string
  readonly pids: readonly number[]
  readonly samples: readonly Sample[]
}

const repoRoot = resolve(import.meta.dirname, '..')
const serversScript = join(import.meta.dirname, 'servers.ts')
const gatewayModule = join(import.meta.dirname, 'workers-gateway.ts')
const cliScript = join(repoRoot, 'packages/core/dist/cli.js')
const nodeFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []
const wrkOptions = { connections: CONNECTIONS }
const running: Running[] = []

const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter((s) => s !== '')
const specs = only === undefined ? SERVERS : SERVERS.filter((s) => only.includes(s.kind))
// A hard bound on the whole run, whatever hangs.
const budgetS = 90 + specs.length * (WARMUP + 10 + ROUNDS * (DURATION + 5))
armWatchdog('bench:workers', budgetS, stopAll)

async function main(): Promise<void> {
  if (!commandWorks('wrk', ['-v'], true)) {
    process.stderr.write(`bench:workers: wrk is not installed; install the reference stack with: ${INSTALL_HINT}\n`)
    process.exit(1)
  }
  if (specs.length === 0) {
    process.stderr.write(`bench:workers: BENCH_ONLY names none of ${SERVERS.map((s) => s.kind).join(', ')}\n`)
    process.exit(2)
  }
  printHeader()
  const rows = new Map<Kind, Row>()
  for (const spec of specs) {
    const started = await startOne(spec)
    if ('status' in started) {
      rows.set(spec.kind, started)
      process.stdout.write(`  ${spec.label}: ${started.status}${started.reason === '' ? '' : ` (${started.reason})`}\n`)
      continue
    }
    running.push(started)
    process.stdout.write(`  ${spec.label}: listening on ${HOST}:${started.port}, pids ${started.pids.join(' ')}\n`)
  }

  try {
    if (WARMUP > 0) {
      process.stdout.write(`warm-up: ${WARMUP}s each\n`)
      for (const r of running) await runWrk(r.port, WARMUP, wrkOptions)
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so drift (neighbours, page cache) spreads evenly.
      const order = running.map((_, i) => running[(i + round) % running.length]!)
      const parts: string[] = []
      for (const r of order) {
        const gone = r.pids.filter((pid) => Number.isNaN(cpuTicks(pid)))
        if (gone.length > 0) throw new Error(`${r.spec.label}: process ${gone.join(', ')} exited`)
        const before = sumOf(r.pids, cpuTicks)
        const wrkBefore = childrenCpuTicks()
        const busyBefore = machineBusyTicks()
        const t0 = performance.now()
        const out = await runWrk(r.port, DURATION, wrkOptions)
        const seconds = (performance.now() - t0) / 1000
        const hz = clockTicks()
        const cpuSeconds = (sumOf(r.pids, cpuTicks) - before) / hz
        const wrkSeconds = (childrenCpuTicks() - wrkBefore) / hz
        const busySeconds = (machineBusyTicks() - busyBefore) / hz
        const w = parseWrk(out)
        const sample: Sample = {
          rps: w.rps,
          p99Ms: w.p99Ms,
          rssKb: sumOf(r.pids, rssKb),
          pssKb: sumOf(r.pids, pssKb),
          cpu: cpuSeconds / seconds,
          cpuUsPerReq: (cpuSeconds * 1e6) / Math.max(1, w.requests),
          wrkCpu: wrkSeconds / seconds,
          otherCpu: Math.max(0, busySeconds - cpuSeconds - wrkSeconds) / seconds,
          errors: w.errors,
        }
        r.samples.push(sample)
        parts.push(`${r.spec.kind} ${fmtInt(sample.rps)}`)
      }
      process.stdout.write(`round ${round + 1}/${ROUNDS}: ${parts.join(', ')}\n`)
    }
  } finally {
    await stopAll()
    cleanup()
  }
  for (const r of running) rows.set(r.spec.kind, { spec: r.spec, status: 'ok', reason: '', pids: r.pids, samples: r.samples })

  const ordered = specs.map((s) => rows.get(s.kind)!)
  printTable(ordered)
  printRatios(rows)
  const json = process.env.BENCH_JSON
  if (json !== undefined && json !== '') writeFileSync(json, JSON.stringify(toJson(ordered), null, 2) + '\n')
  process.exitCode = ordered.some((r) => r.status === 'failed') ? 1 : 0
}

function sumOf(pids: readonly number[], f: (pid: number) => number): number {
  return pids.reduce((acc, pid) => acc + f(pid), 0)
}

// ---------------------------------------------------------------------------------------------
// Servers

async function startOne(spec: ServerSpec): Promise<Running | Row> {
  const notInstalled = (reason: string): Row => ({ spec, status: 'not installed', reason, pids: [], samples: [] })
  const failed = (reason: string): Row => ({ spec, status: 'failed', reason, pids: [], samples: [] })
  const openresty = spec.kind.startsWith('openresty')
  const nresty = spec.kind.startsWith('nresty')
  if (openresty && !(existsSync(LUA_MODULE) && commandWorks('nginx', ['-v'], true))) {
    return notInstalled(`needs nginx + ${LUA_MODULE}: ${INSTALL_HINT}`)
  }
  if (nresty && !existsSync(cliScript)) return notInstalled(`${cliScript} is missing: build first (npm run build)`)
  const dir = tempDir(spec.kind)
  const port = await freePort()
  let cmd: string
  let args: string[]
  let env: NodeJS.ProcessEnv = process.env
  if (openresty) {
    writeNginxConf(dir, port, { masterProcess: true, workers: spec.workers })
    cmd = 'nginx'
    args = ['-p', dir, '-c', 'conf/nginx.conf', '-e', 'logs/error.log']
  } else if (nresty) {
    cmd = process.execPath
    args = [...nodeFlags, cliScript, '-p', dir, '--gateway', gatewayModule, '--workers', String(spec.workers)]
    env = { ...process.env, BENCH_PORT: String(port) }
  } else {
    cmd = process.execPath
    args = [...nodeFlags, serversScript, 'node', String(port), dir]
  }
  const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] })
  track(child)
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d
  })
  child.stdout!.resume()
  // Neither nginx nor the nresty command watches its parent (servers.ts watches its stdin).
  if ((openresty || nresty) && child.pid !== undefined) guard(child.pid)
  const log = (): string => (openresty || nresty ? readTail(join(dir, 'logs/error.log')) : '')
  const up = await waitListening(child, port, START_TIMEOUT_MS)
  if (up !== '') {
    await stop(child)
    return failed(`${up}${oneLine(stderr + log())}`)
  }
  const res = await httpGet(port, '/hello', {})
  if (typeof res === 'string' || res.status !== 200 || res.body !== 'hello\n') {
    await stop(child)
    return failed(typeof res === 'string' ? `GET /hello failed: ${res}` : `GET /hello answered ${res.status} ${JSON.stringify(res.body.slice(0, 80))}`)
  }
  const found = await serverPids(spec, child, dir)
  const r: Running = { spec, child, port, dir, pids: typeof found === 'string' ? [] : found, samples: [] }
  if (typeof found === 'string') {
    await stopServer(r)
    return failed(found)
  }
  return r
}

/**
 * The processes to measure, once the server runs as many workers as asked: the one process
 * (node:http; nresty, whose workers are threads named `nresty worker N`), or nginx's master
 * (from its pid file) and its worker processes (`ps --ppid`). Else why not.
 */
async function serverPids(spec: ServerSpec, child: ChildProcess, dir: string): Promise<number[] | string> {
  if (child.pid === undefined) return 'no pid'
  if (spec.kind === 'node') return [child.pid]
  const pidFile = join(dir, 'logs/nginx.pid')
  const deadline = Date.now() + 5000
  let seen: string
  for (;;) {
    const master = Number(safeRead(pidFile).trim())
    if (master === child.pid) {
      if (spec.kind.startsWith('nresty')) {
        const n = workerThreads(master)
        if (n === spec.workers) return [master]
        seen = `${n} worker thread(s)`
      } else {
        const workers = childPids(master)
        if (workers.length === spec.workers) return [master, ...workers]
        seen = `${workers.length} worker process(es)`
      }
    } else seen = `pid file ${pidFile} holds ${JSON.stringify(safeRead(pidFile).trim())}, not ${child.pid}`
    if (Date.now() > deadline) return `expected ${spec.workers} worker(s), found ${seen}`
    await sleep(100)
  }
}

/** Threads of the process named `nresty worker <slot>` (the master names its worker threads so). */
function workerThreads(pid: number): number {
  let n = 0
  for (const tid of taskIds(pid)) if (safeRead(`/proc/${pid}/task/${tid}/comm`).startsWith('nresty worker')) n++
  return n
}

function taskIds(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
  } catch {
    return []
  }
}

/**
 * Stops one server and waits for it: TERM to the process (nginx: fast shutdown, the master
 * stops its workers; the nresty command: fast stop), KILL after 3 s; then any nginx worker
 * still alive (its master was killed) is killed by its pid.
 */
async function stopServer(r: Running): Promise<void> {
  await stop(r.child)
  for (const pid of r.pids) {
    if (pid === r.child.pid) continue
    if (safeRead(`/proc/${pid}/comm`).trim() !== 'nginx') continue
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

function stopAll(): Promise<void> {
  return Promise.all(running.map((r) => stopServer(r))).then(() => undefined)
}

// ---------------------------------------------------------------------------------------------
// Report

function printHeader(): void {
  const cpus = availableParallelism()
  process.stdout.write(
    `nresty bench:workers: ${ROUNDS} round(s) x ${DURATION}s per server, warm-up ${WARMUP}s, wrk -t1 -c${CONNECTIONS} --latency\n` +
      `machine: ${cpus} CPU(s), ${cpuModel()}; node ${process.version}; ${nginxVersion()}\n` +
      `nothing is pinned: wrk runs on the same ${cpus} core(s) and competes with the servers for CPU,\n` +
      'so a 2-worker server cannot get 2 full cores and the w2 / w1 ratios understate scaling.\n' +
      'starting servers:\n',
  )
}

interface Summary {
  readonly rps: number
  readonly p99Ms: number
  readonly rssKb: number
  readonly pssKb: number
  readonly cpu: number
  readonly cpuUsPerReq: number
  readonly wrkCpu: number
  readonly otherCpu: number
}

function summary(row: Row | undefined): Summary | undefined {
  if (row === undefined || row.status !== 'ok' || row.samples.length === 0) return undefined
  const m = (f: (s: Sample) => number): number => median(row.samples.map(f))
  return {
    rps: m((s) => s.rps),
    p99Ms: m((s) => s.p99Ms),
    rssKb: m((s) => s.rssKb),
    pssKb: m((s) => s.pssKb),
    cpu: m((s) => s.cpu),
    cpuUsPerReq: m((s) => s.cpuUsPerReq),
    wrkCpu: m((s) => s.wrkCpu),
    otherCpu: m((s) => s.otherCpu),
  }
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`
const pct = (cores: number): string => `${Math.round(cores * 100)}%`

function printTable(rows: readonly Row[]): void {
  const lines: string[][] = [['server', 'procs', 'req/s', 'p99', 'RSS', 'PSS', 'CPU', 'CPU/req', 'wrk', 'others', 'runs (req/s)']]
  const notes: string[] = []
  for (const row of rows) {
    const s = summary(row)
    if (s === undefined) {
      lines.push([row.spec.label, '', row.status, '', '', '', '', '', '', '', ''])
      if (row.reason !== '') notes.push(`${row.spec.label}: ${row.reason}`)
      continue
    }
    lines.push([
      row.spec.label,
      String(row.pids.length),
      fmtInt(s.rps),
      `${s.p99Ms.toFixed(2)} ms`,
      mb(s.rssKb),
      mb(s.pssKb),
      pct(s.cpu),
      `${s.cpuUsPerReq.toFixed(1)} us`,
      pct(s.wrkCpu),
      pct(s.otherCpu),
      row.samples.map((x) => fmtInt(x.rps)).join(' / '),
    ])
    const errs = row.samples.map((x) => x.errors).filter((e) => e !== '')
    if (errs.length > 0) notes.push(`${row.spec.label}: ${errs.join(' | ')}`)
  }
  process.stdout.write(
    `\nmedians over ${ROUNDS} round(s) of ${DURATION}s (p99 from wrk --latency; RSS = sum of VmRSS of the server's\n` +
      'processes after each run, PSS = the same with shared pages counted once; CPU = cores used by all of\n' +
      'the server\'s processes and threads (100% = one core), CPU/req = their CPU time per request,\n' +
      'wrk = the load generator\'s CPU, others = the rest of the machine\'s busy CPU during the run):\n',
  )
  process.stdout.write(formatTable(lines, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9])))
  for (const n of notes) process.stdout.write(`note: ${n}\n`)
}

function printRatios(rows: Map<Kind, Row>): void {
  const get = (k: Kind): Summary | undefined => summary(rows.get(k))
  const ratio = (a: Kind, b: Kind, how: 'scaling' | 'compare'): string => {
    const x = get(a)
    const y = get(b)
    if (x === undefined || y === undefined || y.rps === 0) return 'n/a'
    const v = (x.rps / y.rps).toFixed(3)
    return how === 'scaling'
      ? `${v}   (CPU ${Math.round(y.cpu * 100)}% -> ${Math.round(x.cpu * 100)}%)`
      : `${v}   by CPU/req ${(y.cpuUsPerReq / x.cpuUsPerReq).toFixed(3)}`
  }
  const ratios: Array<[string, string]> = [
    ['nresty workers=2 / workers=1', ratio('nresty-2', 'nresty-1', 'scaling')],
    ['OpenResty workers 2 / 1', ratio('openresty-2', 'openresty-1', 'scaling')],
    ['nresty workers=1 / node:http', ratio('nresty-1', 'node', 'compare')],
    ['nresty workers=2 / OpenResty 2', ratio('nresty-2', 'openresty-2', 'compare')],
  ]
  process.stdout.write('\nratios of req/s (scaling: with the servers\' CPU use; comparisons: also from CPU per request, inverse):\n')
  const w = Math.max(...ratios.map((r) => r[0].length))
  for (const [name, text] of ratios) process.stdout.write(`  ${name.padEnd(w)}  ${text}\n`)

  process.stdout.write('\nmemory: one more worker adds (w2 - w1); base = w1 - that (the master and what workers share):\n')
  for (const [name, a, b] of [['nresty', 'nresty-1', 'nresty-2'], ['OpenResty', 'openresty-1', 'openresty-2']] as const) {
    const x = get(a)
    const y = get(b)
    if (x === undefined || y === undefined) {
      process.stdout.write(`  ${name.padEnd(9)}  n/a\n`)
      continue
    }
    const perRss = y.rssKb - x.rssKb
    const perPss = y.pssKb - x.pssKb
    process.stdout.write(
      `  ${name.padEnd(9)}  per worker ${mb(perRss)} RSS, ${mb(perPss)} PSS;  base ${mb(x.rssKb - perRss)} RSS, ${mb(x.pssKb - perPss)} PSS\n`,
    )
  }
}

function toJson(rows: readonly Row[]): unknown {
  return {
    date: new Date().toISOString(),
    node: process.version,
    rounds: ROUNDS,
    durationS: DURATION,
    connections: CONNECTIONS,
    pinned: false,
    servers: rows.map((r) => ({
      kind: r.spec.kind, workers: r.spec.workers, status: r.status, reason: r.reason, processes: r.pids.length,
      median: summary(r) ?? null, samples: r.samples,
    })),
  }
}

// Last, so every module-level binding above is initialised before main() runs.
await main()
