// Shared dicts under the master: every worker sees one zone, operations are atomic across
// workers, init writes once per generation, zones survive a reload, and a worker killed in
// the middle of a storm of writes leaves the zone consistent for the others.
import { afterEach, describe, expect, it } from 'vitest'
import { startMaster } from '../src/master.ts'
import type { Master } from '../src/master.ts'
import { get } from './harness.ts'
import { CORE_INDEX_URL, testPrefix, waitFor } from './master-harness.ts'
import type { TestPrefix } from './master-harness.ts'

const M = 20_000

const PREAMBLE = `
import { checkZone } from '${CORE_INDEX_URL.replace('index.ts', 'shdict.ts')}'
import { setImmediate as yieldNow } from 'node:timers/promises'
let storms = 0
`

const GATEWAY = `{
  workers: 2,
  errorLog: { path: 'logs/error.log', level: 'notice' },
  sharedDicts: { dogs: '1m', storm: '64k' },
  init: (ngx) => {
    ngx.shared.dogs.set('seeded', 'by init')
    ngx.shared.dogs.incr('inits', 1, 0)
  },
  initWorker: (ngx) => {
    for (let i = 0; i < ${M}; i++) ngx.shared.dogs.incr('hits', 1, 0)
  },
  servers: [{ listen: '127.0.0.1:0', locations: {
    '= /get': { content: (ngx) => {
      const d = ngx.shared.dogs
      ngx.say(JSON.stringify({ hits: d.get('hits'), inits: d.get('inits'), seeded: d.get('seeded') }))
    } },
    // Writes for ms milliseconds: churn (with evictions) in "storm", exact counts in "dogs".
    '= /storm': { content: async (ngx) => {
      const end = Date.now() + Number(ngx.var.arg_ms)
      const key = 'count:' + ngx.worker.pid() + ':' + (++storms)
      const churn = ngx.shared.storm
      const counts = ngx.shared.dogs
      let n = 0
      while (Date.now() < end) {
        for (let i = 0; i < 200; i++) {
          churn.set('k' + (n % 500), 'v'.repeat(n % 300), 0, n)
          churn.incr('c' + (n % 7), 1, 0)
          churn.lpush('l' + (n % 3), 'x' + n)
          if (n % 5 === 0) churn.rpop('l' + (n % 3))
          counts.incr(key, 1, 0)
          n++
        }
        await yieldNow()
      }
      ngx.say(JSON.stringify({ key, n }))
    } },
    '= /check': { content: (ngx) => ngx.say(JSON.stringify({ dogs: checkZone(ngx.shared.dogs.zone), storm: checkZone(ngx.shared.storm.zone) })) },
    '= /count': { content: (ngx) => ngx.say(String(ngx.shared.dogs.get(ngx.var.arg_key))) },
  } }],
}`

let prefix: TestPrefix | undefined
let master: Master | undefined

afterEach(async () => {
  await master?.stop(false)
  master = undefined
  prefix?.remove()
  prefix = undefined
})

async function json<T>(port: number, path: string): Promise<T> {
  const r = await get(port, path)
  expect(r.status, r.body).toBe(200)
  return JSON.parse(r.body) as T
}

describe('shared dicts across workers', () => {
  it('counts every incr of concurrent workers exactly; init writes once; zones outlive a reload', async () => {
    const p = (prefix = testPrefix('shdict'))
    p.write(GATEWAY, PREAMBLE)
    const m = (master = await startMaster({ module: p.module, prefix: p.dir }))
    const port = m.addresses[0]!.port
    expect(await json(port, '/get')).toEqual({ hits: 2 * M, inits: 1, seeded: 'by init' })
    expect(await m.reload()).toBe(true)
    // The reload ran init again and two new workers counted again, on the same zone.
    await waitFor(() => m.workers().every((w) => w.generation === 2), 10_000, 'the new generation')
    expect(await json(port, '/get')).toEqual({ hits: 4 * M, inits: 2, seeded: 'by init' })
  })

  it('a worker killed during a storm of writes leaves the zone consistent; the survivors count exactly', async () => {
    const p = (prefix = testPrefix('shdict'))
    p.write(GATEWAY, PREAMBLE)
    const m = (master = await startMaster({ module: p.module, prefix: p.dir }))
    const port = m.addresses[0]!.port
    for (let round = 0; round < 3; round++) {
      const storms = Array.from({ length: 6 }, () => json<{ key: string; n: number }>(port, '/storm?ms=900').catch(() => undefined))
      await new Promise((r) => setTimeout(r, 150 + round * 200))
      const victim = m.workers().find((w) => w.state === 'running')!
      expect(m.killWorker(victim.pid)).toBe(true)
      const done = (await Promise.all(storms)).filter((s) => s !== undefined)
      // The storms the survivor ran finished, and each counted every one of its writes.
      expect(done.length).toBeGreaterThan(0)
      for (const s of done) expect(Number((await get(port, `/count?key=${s.key}`)).body)).toBe(s.n)
      await waitFor(() => m.workers().length === 2 && m.workers().every((w) => w.state === 'running'), 10_000, 'the respawn')
      expect(await json(port, '/check')).toEqual({ dogs: [], storm: [] })
    }
    expect(p.log()).toMatch(/\[alert\] \d+#\d+: worker process \d+ exited with code 1: killed/)
  })
})
