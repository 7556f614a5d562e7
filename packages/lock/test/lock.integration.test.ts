// resty.lock across the workers of a master: mutual exclusion between workers, and a worker
// killed while it holds a lock blocks the others only until the entry's exptime.
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { startMaster } from '@nresty/core'
import type { Master } from '@nresty/core'
import { testPrefix, waitFor } from '../../core/test/master-harness.ts'
import type { TestPrefix } from '../../core/test/master-harness.ts'

const LOCK_URL = pathToFileURL(new URL('../src/index.ts', import.meta.url).pathname).href

const PREAMBLE = `import { Lock } from '${LOCK_URL}'
import { setTimeout as sleep } from 'node:timers/promises'
`
const GATEWAY = `{
  workers: 2,
  errorLog: { path: 'logs/error.log', level: 'notice' },
  sharedDicts: { locks: '1m', data: '1m' },
  servers: [{ listen: '127.0.0.1:0', locations: {
    // takes the lock and keeps it (the object is dropped, the entry stays for exptime)
    '= /hold': { content: async (ngx) => {
      const r = await new Lock(ngx.shared.locks, { exptime: 1, timeout: 0 }).lock('k')
      ngx.say(JSON.stringify({ r, pid: ngx.worker.pid() }))
    } },
    '= /take': { content: async (ngx) => {
      const lock = new Lock(ngx.shared.locks, { timeout: Number(ngx.var.arg_timeout) })
      const r = await lock.lock('k')
      if (r.ok) lock.unlock()
      ngx.say(JSON.stringify(r))
    } },
    // read-modify-write with a yield in the middle: exact only under the lock
    '= /count': { content: async (ngx) => {
      const lock = new Lock(ngx.shared.locks, { timeout: 10, maxStep: 0.01 })
      const r = await lock.lock('counter')
      if (!r.ok) { ngx.say(r.err); return }
      const n = ngx.shared.data.get('n') ?? 0
      await sleep(2)
      ngx.shared.data.set('n', n + 1)
      lock.unlock()
      ngx.say('ok')
    } },
    '= /n': { content: (ngx) => ngx.say(String(ngx.shared.data.get('n'))) },
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

async function start(): Promise<(path: string) => Promise<string>> {
  const p = (prefix = testPrefix('lock'))
  p.write(GATEWAY, PREAMBLE)
  const m = (master = await startMaster({ module: p.module, prefix: p.dir }))
  const port = m.addresses[0]!.port
  return async (path) => (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: 'close' } })).text()
}

describe('Lock across workers', () => {
  it('excludes the requests of both workers from a read-modify-write', async () => {
    const get = await start()
    const answers = await Promise.all(Array.from({ length: 40 }, () => get('/count')))
    expect(answers.every((a) => a === 'ok\n')).toBe(true)
    expect(await get('/n')).toBe('40\n')
  })

  it('a worker killed while it holds a lock blocks the others only until exptime', async () => {
    const get = await start()
    const held = JSON.parse(await get('/hold')) as { r: unknown; pid: number }
    const heldAt = Date.now()
    expect(held.r).toEqual({ ok: true, value: 0 })
    expect(JSON.parse(await get('/take?timeout=0'))).toEqual({ ok: false, err: 'timeout' })
    expect(master!.killWorker(held.pid)).toBe(true)
    // the master respawns the slot; connections queued on the dead worker's socket are reset
    await waitFor(() => master!.workers().filter((w) => w.state === 'running' && w.pid !== held.pid).length === 2, 5000, 'respawn')
    const r = JSON.parse(await get('/take?timeout=3')) as { ok: boolean; value: number }
    expect(r.ok).toBe(true)
    // free once the 1 s entry expired: not before, and well before the 3 s timeout
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(950)
    expect(r.value).toBeLessThan(1.5)
  })
})
