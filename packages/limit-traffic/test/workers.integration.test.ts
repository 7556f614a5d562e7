// The limiters under a master with 2 workers sharing one dict: limit.req at 100 r/s (burst 0)
// admits 100 ± 2 requests per second of a flood; limit.conn never lets more than max + burst
// requests of a key run at once.
import { spawn, spawnSync } from 'node:child_process'
import { Agent, request } from 'node:http'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { startMaster } from '@nresty/core'
import type { Master } from '@nresty/core'
import { testPrefix } from '../../core/test/master-harness.ts'
import type { TestPrefix } from '../../core/test/master-harness.ts'

const LIMIT_URL = pathToFileURL(new URL('../src/index.ts', import.meta.url).pathname).href

const GATEWAY = `{
  workers: 2,
  accessLog: false,
  errorLog: { path: 'logs/error.log', level: 'warn' },
  sharedDicts: { req: '1m', conn: '1m', stats: '1m' },
  servers: [{ listen: '127.0.0.1:0', locations: {
    // LimitReq by hand (limitReq() does the same), to record when each admission was judged
    '= /req': { access: (ngx) => {
      const before = Date.now() // the limiter reads the clock at this instant or later
      const r = (req ??= new LimitReq(ngx.shared.req, 100, 0)).incoming('flood', true)
      if (!r.ok) {
        // rejected: was the 10 ms slot since the last admission (by any worker) still taken?
        if (before - last(ngx) >= 10) ngx.shared.stats.incr('missed', 1, 0)
        ngx.exit(503)
      }
      // admitted: the record holds the time the limiter judged at (no other admission can
      // follow within 10 ms)
      ngx.shared.stats.rpush('times', last(ngx))
    }, content: (ngx) => {
      ngx.shared.stats.incr('admitted:' + ngx.worker.id(), 1, 0)
      ngx.say('ok')
    } },
    '= /conn': { access: conn.access, log: conn.log, content: async (ngx) => {
      const active = ngx.shared.stats.incr('active', 1, 0)
      ngx.shared.stats.rpush('seen', active)
      await ngx.sleep(0.03)
      ngx.shared.stats.incr('active', -1)
      ngx.say('ok')
    } },
    '= /stats': { content: (ngx) => {
      const s = ngx.shared.stats
      const seen = []
      for (;;) { const r = s.lpop('seen'); if (!r.ok || r.value === undefined) break; seen.push(r.value) }
      const times = []
      for (;;) { const r = s.lpop('times'); if (!r.ok || r.value === undefined) break; times.push(r.value) }
      ngx.say(JSON.stringify({ admitted: [s.get('admitted:0') ?? 0, s.get('admitted:1') ?? 0], missed: s.get('missed') ?? 0, seen, times, conn: ngx.shared.conn.get('k') }))
    } },
  } }],
}`
const PREAMBLE = `import { LimitReq, limitConn } from '${LIMIT_URL}'
let req
const last = (ngx) => {
  const rec = ngx.shared.req.getBytes('flood')
  let t = 0
  for (let i = 7; i >= 0; i--) t = t * 256 + rec[8 + i]
  return t
}
const conn = limitConn({ dict: 'conn', max: 3, burst: 2, defaultConnDelay: 0.01, key: () => 'k' })
`

let prefix: TestPrefix | undefined
let master: Master | undefined
afterEach(async () => {
  await master?.stop(false)
  master = undefined
  prefix?.remove()
  prefix = undefined
})

async function start(): Promise<number> {
  const p = (prefix = testPrefix('limit'))
  p.write(GATEWAY, PREAMBLE)
  master = await startMaster({ module: p.module, prefix: p.dir })
  return master.addresses[0]!.port
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

function hit(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

/** `n` clients sending requests back to back for `ms`: the statuses seen. */
async function flood(port: number, path: string, n: number, ms: number): Promise<Map<number, number>> {
  const counts = new Map<number, number>()
  const end = Date.now() + ms
  await Promise.all(Array.from({ length: n }, async () => {
    while (Date.now() < end) {
      const s = await hit(port, path)
      counts.set(s, (counts.get(s) ?? 0) + 1)
    }
  }))
  return counts
}

const HAVE_WRK = spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined

/** A flood by wrk (2 threads, 32 connections): a steadier stream than a Node client under load. */
function wrk(port: number, path: string, seconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t2', '-c32', `-d${seconds}s`, `http://127.0.0.1:${port}${path}`], { stdio: 'ignore' })
    child.on('error', reject)
    child.on('exit', () => resolve())
  })
}

type Stats = { admitted: number[]; missed: number; seen: number[]; times: number[]; conn: number | undefined }
async function stats(port: number): Promise<Stats> {
  const r = await fetch(`http://127.0.0.1:${port}/stats`)
  return JSON.parse(await r.text()) as Stats
}

describe('limiters across 2 workers', () => {
  it('limit.req 100 r/s, burst 0: admits 100 ± 2 requests per second of a flood', async () => {
    const port = await start()
    let rejected = 0
    if (HAVE_WRK) await wrk(port, '/req', 3)
    else rejected = (await flood(port, '/req', 8, 3000)).get(503) ?? 0
    const s = await stats(port)
    const admitted = s.admitted[0]! + s.admitted[1]!
    expect(s.admitted[0]).toBeGreaterThan(0) // both workers served the flood
    expect(s.admitted[1]).toBeGreaterThan(0)
    if (!HAVE_WRK) expect(rejected).toBeGreaterThan(admitted) // it was a flood
    // the times the workers admitted at (their cached clocks, as the limiter saw them)
    const times = [...s.times].sort((x, y) => x - y)
    expect(times).toHaveLength(admitted)
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    const seconds = (times.at(-1)! - times[0]!) / 1000
    const rate = (admitted - 1) / seconds
    // time the flood left the limiter idle: beyond 10 ms, a gap is time no request was judged
    // (missed === 0 below shows none was turned away then); on this shared 2-core machine the
    // gateway's threads are sometimes not scheduled for tens of ms
    const idle = gaps.reduce((sum, g) => sum + (g - 10), 0) / 1000
    const busyRate = (admitted - 1) / (seconds - idle)
    console.log(`limit.req flood (${HAVE_WRK ? 'wrk' : 'node'}): ${admitted} admitted over ${seconds.toFixed(3)} s = ${rate.toFixed(1)} r/s; ` +
      `${gaps.filter((g) => g === 10).length} of ${gaps.length} gaps exactly 10 ms, the longest ${Math.max(...gaps)} ms; ` +
      `${idle.toFixed(3)} s without requests; ${s.missed} missed slots`)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(10) // never two admissions in 10 ms: at most 100 r/s
    expect(s.missed).toBe(0) // a request judged once the slot was free was admitted
    expect(seconds).toBeGreaterThan(2.5)
    expect(rate).toBeLessThanOrEqual(102)
    expect(busyRate).toBeGreaterThanOrEqual(98)
    expect(busyRate).toBeLessThanOrEqual(102)
    // the flood itself, over its whole span (stalls of the machine included)
    expect(rate).toBeGreaterThanOrEqual(85)
  })

  it('limit.conn max 3 + burst 2: never more than 5 at once; the counter returns to 0', async () => {
    const port = await start()
    const counts = await flood(port, '/conn', 24, 1500)
    const s = await stats(port)
    expect(counts.get(200) ?? 0).toBeGreaterThan(20)
    expect(counts.get(503) ?? 0).toBeGreaterThan(0)
    expect(s.seen.length).toBe(counts.get(200))
    expect(Math.max(...s.seen)).toBeLessThanOrEqual(5)
    expect(Math.max(...s.seen)).toBeGreaterThanOrEqual(4) // the burst was used
    expect(s.conn).toBe(0)
  })
})
