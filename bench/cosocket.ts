// Cosocket round trips per second next to a plain net.Socket, in one run against one echo
// server (a child process). The cosocket does what OpenResty code does per request: a new
// socket object, connect (from the pool), send, receive('*l'), setkeepalive. The baseline is
// a net.Socket on one connection doing the same write + read-a-line round trips.
//
//   node bench/cosocket.ts
//   BENCH_ROUNDS=5 BENCH_MS=2000 BENCH_CONCURRENCY=1,8 node bench/cosocket.ts
//
// With taskset and two or more cores, the bench runs on core 0 and the echo server on core 1.
//
// Env: BENCH_ROUNDS (5), BENCH_MS per run (2000), BENCH_WARMUP_MS (1000),
// BENCH_CONCURRENCY (1,8: round-trip loops in flight at once), BENCH_JSON=<file>.
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { availableParallelism } from 'node:os'
import { DEFAULT_COSOCKET_CONF } from '../packages/core/src/cosocket.ts'
import type { CosocketOwner } from '../packages/core/src/cosocket.ts'
import { createSocketPools, tcp } from '../packages/core/src/socket-tcp.ts'

const ROUNDS = intEnv('BENCH_ROUNDS', 5)
const RUN_MS = intEnv('BENCH_MS', 2000)
const WARMUP_MS = intEnv('BENCH_WARMUP_MS', 1000)
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8').split(',').map(Number).filter((n) => n >= 1)
const HOST = '127.0.0.1'
const MSG = 'ping 0123456789abcdef\n'

function intEnv(name: string, def: number): number {
  const v = process.env[name]
  const n = v === undefined ? def : Number(v)
  return Number.isInteger(n) && n >= 0 ? n : def
}

/** The echo server, in its own process (on the other core when taskset is there). */
async function startEcho(): Promise<{ port: number; stop: () => void }> {
  const code = `
    const net = require('node:net')
    const s = net.createServer((c) => { c.setNoDelay(true); c.on('data', (d) => c.write(d)); c.on('error', () => {}) })
    s.listen(0, '${HOST}', () => process.stdout.write(s.address().port + '\\n'))`
  const pin = availableParallelism() > 1 && spawnSync('taskset', ['-V']).status === 0
  const child = pin
    ? spawn('taskset', ['-c', '1', process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())))
  })
  return { port, stop: () => child.kill() }
}

/** A request stand-in per round trip, as each OpenResty request is its own owner. */
const pools = createSocketPools()
const conf = { ...DEFAULT_COSOCKET_CONF, logErrors: false }
function newOwner(): CosocketOwner {
  return { _phase: 'content', _addCleanup: noop, _cosocketConf: conf, _pools: pools }
}
function noop(): void {}

/** One cosocket loop: connect (pooled) + send + receive('*l') + setkeepalive, until `end`. */
async function cosocketLoop(port: number, end: number): Promise<number> {
  let n = 0
  while (performance.now() < end) {
    const s = tcp(newOwner())
    const c = await s.connect(HOST, port)
    if (!c.ok) throw new Error(`connect: ${c.err}`)
    const w = await s.send(MSG)
    if (!w.ok) throw new Error(`send: ${w.err}`)
    const r = await s.receive('*l')
    if (!r.ok || r.value.length !== MSG.length - 1) throw new Error(`receive: ${r.ok ? r.value : r.err}`)
    const k = s.setKeepalive()
    if (!k.ok) throw new Error(`setkeepalive: ${k.err}`)
    n++
  }
  return n
}

/** One plain net.Socket: write, then read until a full line, on one connection. */
async function netLoop(port: number, end: number): Promise<number> {
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = connect(port, HOST, () => resolve(s))
    s.once('error', reject)
  })
  sock.setNoDelay(true)
  let n = 0
  let pending = ''
  let wake: ((line: string) => void) | undefined
  sock.setEncoding('utf8')
  sock.on('data', (d: string) => {
    pending += d
    const i = pending.indexOf('\n')
    if (i >= 0 && wake !== undefined) {
      const line = pending.slice(0, i)
      pending = pending.slice(i + 1)
      const w = wake
      wake = undefined
      w(line)
    }
  })
  while (performance.now() < end) {
    const line = await new Promise<string>((resolve) => {
      wake = resolve
      sock.write(MSG)
    })
    if (line.length !== MSG.length - 1) throw new Error(`net: ${line}`)
    n++
  }
  sock.destroy()
  return n
}

type Kind = 'cosocket' | 'net'

interface Sample {
  /** Round trips per second. */
  readonly rps: number
  /** This process's CPU time (user + system) per round trip, in microseconds. */
  readonly cpuUs: number
}

async function run(kind: Kind, port: number, conc: number, ms: number): Promise<Sample> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const end = t0 + ms
  const loops = Array.from({ length: conc }, () => (kind === 'cosocket' ? cosocketLoop(port, end) : netLoop(port, end)))
  const counts = await Promise.all(loops)
  const elapsed = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const n = counts.reduce((a, b) => a + b, 0)
  return { rps: n / elapsed, cpuUs: (cpu.user + cpu.system) / n }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Re-runs this script pinned to core 0 (the echo server gets core 1), once. */
function pinSelf(): boolean {
  if (process.env.BENCH_PINNED !== undefined || availableParallelism() < 2 || spawnSync('taskset', ['-V']).status !== 0) return false
  const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  })
  process.exitCode = r.status ?? 1
  return true
}

async function main(): Promise<void> {
  if (pinSelf()) return
  const echo = await startEcho()
  const results: Record<string, { cosocket: Sample[]; net: Sample[] }> = {}
  try {
    for (const conc of CONCURRENCY) {
      const r = { cosocket: [] as Sample[], net: [] as Sample[] }
      results[String(conc)] = r
      await run('cosocket', echo.port, conc, WARMUP_MS)
      await run('net', echo.port, conc, WARMUP_MS)
      for (let i = 0; i < ROUNDS; i++) {
        const order: Kind[] = i % 2 === 0 ? ['cosocket', 'net'] : ['net', 'cosocket']
        for (const k of order) r[k].push(await run(k, echo.port, conc, RUN_MS))
      }
    }
  } finally {
    pools.closeAll()
    echo.stop()
  }
  console.log(`node ${process.version}, ${ROUNDS} rounds of ${RUN_MS} ms, medians`)
  console.log('')
  console.log('| in flight | cosocket round trips/s | net.Socket round trips/s | ratio (req/s) | cosocket CPU µs/rt | net.Socket CPU µs/rt | ratio (CPU) |')
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  const out: Record<string, unknown> = {}
  for (const [conc, r] of Object.entries(results)) {
    const c = median(r.cosocket.map((x) => x.rps))
    const n = median(r.net.map((x) => x.rps))
    const cc = median(r.cosocket.map((x) => x.cpuUs))
    const nc = median(r.net.map((x) => x.cpuUs))
    // Each round runs both back to back, so their ratio sees the same machine load.
    const ratio = median(r.cosocket.map((x, i) => x.rps / r.net[i]!.rps))
    const cpuRatio = median(r.cosocket.map((x, i) => r.net[i]!.cpuUs / x.cpuUs))
    console.log(`| ${conc} | ${Math.round(c)} | ${Math.round(n)} | ${ratio.toFixed(3)} | ${cc.toFixed(1)} | ${nc.toFixed(1)} | ${cpuRatio.toFixed(3)} |`)
    out[conc] = { cosocket: r.cosocket, net: r.net, ratio, cpuRatio }
  }
  console.log('')
  console.log('ratios: the median over rounds of cosocket / net.Socket (req/s), and net.Socket / cosocket (CPU per round trip)')
  if (process.env.BENCH_JSON !== undefined) writeFileSync(process.env.BENCH_JSON, JSON.stringify(out, null, 2))
}

await main()
