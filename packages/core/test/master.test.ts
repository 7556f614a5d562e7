// The master and its worker threads: several workers serving, per-worker module state, the
// life-cycle phases, crash respawn, reload (new code, bad definitions, in-flight requests),
// stops, worker_connections.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startMaster } from '../src/master.ts'
import type { Master, MasterOptions } from '../src/master.ts'
import { get } from './harness.ts'
import { testPrefix, waitFor } from './master-harness.ts'
import type { TestPrefix } from './master-harness.ts'

/** net.ipv4.tcp_migrate_req: '1' when Linux hands a closing listener's queue to the others. */
function migrateReq(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'latin1').trim()
  } catch {
    return 'absent'
  }
}

const WRK: string | undefined = spawnSync('wrk', ['--version']).error === undefined ? 'wrk' : undefined

const PREAMBLE = `
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
let hits = 0
`

/** A gateway with probes; `version` is what /who reports, `extra` more top-level settings. */
function gatewaySource(version: string, extra = ''): string {
  return `{
    workers: 2,
    errorLog: { path: 'logs/error.log', level: 'notice' },
    ${extra}
    init: (ngx) => { appendFileSync(join(ngx.config.prefix(), 'init.txt'), ngx.process.type() + ' ' + ngx.worker.count() + '\\n') },
    initWorker: (ngx) => { ngx.log(ngx.NOTICE, 'init_worker ', ngx.worker.id(), ' of ', ngx.worker.count()) },
    exitWorker: (ngx) => { appendFileSync(join(ngx.config.prefix(), 'exit.txt'), ngx.worker.id() + ' ' + ngx.worker.exiting() + '\\n') },
    servers: [{ listen: '127.0.0.1:0', locations: {
      '= /who': { content: (ngx) => { hits++; ngx.say(JSON.stringify({ id: ngx.worker.id(), pid: ngx.worker.pid(), count: ngx.worker.count(), type: ngx.process.type(), hits, version: '${version}' })) } },
      '= /throw': { content: (ngx) => { setImmediate(() => { throw new Error('boom from a timer') }); ngx.say('ok') } },
      '= /exit': { content: () => { process.exit(3) } },
      '= /oom': { content: () => { const keep = []; for (;;) keep.push(new Array(100000).fill(keep.length)) } },
      '= /slow': { content: async (ngx) => { await sleep(Number(ngx.var.arg_ms)); ngx.say('slow done') } },
    } }],
  }`
}

interface Who {
  readonly id: number
  readonly pid: number
  readonly count: number
  readonly type: string
  readonly hits: number
  readonly version: string
}

async function who(port: number): Promise<Who> {
  const r = await get(port, '/who')
  expect(r.status).toBe(200)
  return JSON.parse(r.body) as Who
}

let prefix: TestPrefix | undefined
let master: Master | undefined

afterEach(async () => {
  await master?.stop(false)
  master = undefined
  prefix?.remove()
  prefix = undefined
})

async function start(version = 'v1', extra = '', opts: Partial<MasterOptions> = {}): Promise<{ p: TestPrefix; m: Master; port: number }> {
  const p = (prefix = testPrefix('master'))
  p.write(gatewaySource(version, extra), PREAMBLE)
  const m = (master = await startMaster({ module: p.module, prefix: p.dir, ...opts }))
  return { p, m, port: m.addresses[0]!.port }
}

describe('workers', () => {
  it('serves from every worker, each with its own module state, after init once and init_worker in each', async () => {
    const { p, m, port } = await start()
    expect(m.workers().map((w) => [w.slot, w.state])).toEqual([[0, 'running'], [1, 'running']])
    expect(readFileSync(join(p.dir, 'logs', 'nginx.pid'), 'utf8')).toBe(`${process.pid}\n`)
    const seen = new Map<number, Who[]>()
    for (let i = 0; i < 200 && seen.size < 2; i++) {
      const w = await who(port)
      seen.set(w.id, [...(seen.get(w.id) ?? []), w])
    }
    expect([...seen.keys()].sort()).toEqual([0, 1])
    for (const [, answers] of seen) {
      // Each worker counts its own hits: its answers number 1, 2, 3, … with one pid.
      expect(answers.map((a) => a.hits)).toEqual(answers.map((_a, i) => i + 1))
      expect(new Set(answers.map((a) => a.pid)).size).toBe(1)
      expect(answers[0]).toMatchObject({ count: 2, type: 'worker', version: 'v1' })
    }
    expect(seen.get(0)![0]!.pid).not.toBe(seen.get(1)![0]!.pid)
    expect(readFileSync(join(p.dir, 'init.txt'), 'utf8')).toBe('master 2\n')
    const log = p.log()
    expect(log).toMatch(/\[notice\] \d+#\d+: \[ts\] gateway\.ts:\d+: init_worker 0 of 2, context: init_worker_by_lua\*/)
    expect(log).toMatch(/init_worker 1 of 2/)
    await m.stop()
    master = undefined
    expect(readFileSync(join(p.dir, 'exit.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['0 true', '1 true'])
    expect(existsSync(join(p.dir, 'logs', 'nginx.pid'))).toBe(false)
    expect(p.log()).toMatch(/gracefully shutting down[\s\S]*worker process \d+ exited with code 0[\s\S]*\[notice\] \d+#\d+: exit\n$/)
  })

  it('respawns a crashed worker in its slot while the other keeps serving', async () => {
    const { p, m, port } = await start('v1', "workerHeapLimit: '64m',")
    const before = m.workers().map((w) => w.pid)
    expect((await get(port, '/throw')).status).toBe(200)
    await waitFor(() => /exited with code 1: uncaught Error: boom from a timer/.test(p.log()), 10_000, 'the crash in the log')
    await waitFor(() => m.workers().length === 2 && m.workers().every((w) => w.state === 'running'), 10_000, 'the respawn')
    expect(m.workers().map((w) => w.slot)).toEqual([0, 1])
    const respawned = m.workers().find((w) => !before.includes(w.pid))!
    expect(p.log()).toContain(`start worker process ${respawned.pid}`)
    for (let i = 0; i < 10; i++) expect((await who(port)).count).toBe(2)

    // process.exit() in a handler ends that worker only.
    await get(port, '/exit').catch(() => undefined)
    await waitFor(() => /exited with code 3\n/.test(p.log()), 10_000, 'the exit in the log')
    // Running out of its heap limit kills the worker, not the process.
    await get(port, '/oom').catch(() => undefined)
    await waitFor(() => /exited with code 1: out of memory/.test(p.log()), 20_000, 'the out-of-memory exit')
    await waitFor(() => m.workers().length === 2 && m.workers().every((w) => w.state === 'running'), 10_000, 'the respawns')
    const ids = new Set<number>()
    for (let i = 0; i < 100 && ids.size < 2; i++) ids.add((await who(port)).id)
    expect([...ids].sort()).toEqual([0, 1])
  })
})

describe('reload', () => {
  it('serves the new code; a bad definition leaves the running generation serving', async () => {
    const { p, m, port } = await start('v1')
    p.write(gatewaySource('v2'), PREAMBLE)
    expect(await m.reload()).toBe(true)
    expect(m.generation).toBe(2)
    expect(m.addresses[0]!.port).toBe(port)
    // (Connections opened while the old listeners close: see "connection churn" below.)
    await waitFor(() => m.workers().every((w) => w.generation === 2), 10_000, 'the old generation to exit')
    for (let i = 0; i < 10; i++) expect((await who(port)).version).toBe('v2')
    expect(readFileSync(join(p.dir, 'init.txt'), 'utf8')).toBe('master 2\nmaster 2\n')

    p.write('{ servers: [ }', '')
    expect(await m.reload()).toBe(false)
    expect(p.log()).toMatch(/\[emerg\] \d+#\d+: cannot load the gateway module "file:\/\/[^"]+gateway\.ts": SyntaxError \[ERR_INVALID_TYPESCRIPT_SYNTAX\]: Expression expected in \/\S+gateway\.ts:3\n/)
    p.write("{ servers: [{ listen: '127.0.0.1:99999' }] }", '')
    expect(await m.reload()).toBe(false)
    expect(p.log()).toContain('[emerg]')
    expect(p.log()).toContain('invalid port in "127.0.0.1:99999" of the "listen" directive')
    p.write(gatewaySource('v3', "init: () => { throw new Error('init refuses') },").replace(/\n\s+init: \(ngx\).*\n/, '\n'), PREAMBLE)
    expect(await m.reload()).toBe(false)
    expect(p.log()).toMatch(/\[emerg\] \d+#\d+: init handler failed: Error: init refuses/)
    expect(m.generation).toBe(2)
    for (let i = 0; i < 10; i++) expect((await who(port)).version).toBe('v2')
    expect(m.workers().map((w) => [w.generation, w.state])).toEqual([[2, 'running'], [2, 'running']])
  })

  it('lets in-flight requests finish on the old generation', async () => {
    const { m, port } = await start()
    const slow = get(port, '/slow?ms=700')
    await new Promise((r) => setTimeout(r, 150))
    expect(await m.reload()).toBe(true)
    const r = await slow
    expect(r.status).toBe(200)
    expect(r.body).toBe('slow done\n')
    expect(r.headers['connection']).toBe('close')
    await waitFor(() => m.workers().every((w) => w.generation === 2), 10_000, 'the old generation to exit')
  })
})

describe('reload under load', () => {
  it.runIf(migrateReq() === '1')('loses no connection opened while the old listeners close (connection churn)', async () => {
    const { m, port } = await start()
    let ok = 0
    const failures: string[] = []
    let stop = false
    const clients = Array.from({ length: 6 }, async () => {
      while (!stop) {
        try {
          const r = await get(port, '/who')
          if (r.status === 200) ok++
          else failures.push(`status ${r.status}`)
        } catch (e) {
          failures.push((e as Error).message)
        }
      }
    })
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 300))
      expect(await m.reload()).toBe(true)
    }
    await new Promise((r) => setTimeout(r, 300))
    stop = true
    await Promise.all(clients)
    expect(failures).toEqual([])
    expect(ok).toBeGreaterThan(100)
  })

  it.runIf(migrateReq() === '0')('warns on reload that the kernel will reset connections queued on closing listeners', async () => {
    const { p, m } = await start()
    expect(await m.reload()).toBe(true)
    expect(p.log()).toMatch(/\[warn\] \d+#\d+: net\.ipv4\.tcp_migrate_req is 0: /)
  })

  it.runIf(WRK !== undefined || process.env['CI'] !== undefined)('wrk sees no error while HUP reloads five times, and the new code answers after', async () => {
    if (WRK === undefined) throw new Error('wrk not found: bash scripts/install-reference-openresty.sh installs it')
    const { p, m, port } = await start('v1')
    const wrk = spawn(WRK, ['-t1', '-c16', '-d6s', `http://127.0.0.1:${port}/who`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    wrk.stdout.on('data', (d: Buffer) => (out += d.toString()))
    wrk.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const done = new Promise<number | null>((ok) => wrk.on('close', ok))
    for (let i = 2; i <= 6; i++) {
      await new Promise((r) => setTimeout(r, 800))
      p.write(gatewaySource(`v${i}`), PREAMBLE)
      expect(await m.reload()).toBe(true)
    }
    expect(await done).toBe(0)
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
    expect(requests, out).toBeGreaterThan(1000)
    // wrk prints these lines only when something failed.
    expect(out).not.toMatch(/Socket errors|Non-2xx/)
    await waitFor(() => m.workers().every((w) => w.generation === 6), 10_000, 'the old generation to exit')
    expect((await who(port)).version).toBe('v6')
    expect(m.generation).toBe(6)
  }, 30_000)
})

describe('stop', () => {
  it('workerShutdownTimeout cuts what outlives it; a graceful stop then completes', async () => {
    const { p, m, port } = await start('v1', "workerShutdownTimeout: '300ms',")
    const slow = get(port, '/slow?ms=20000').catch(() => undefined)
    await new Promise((r) => setTimeout(r, 150))
    const t0 = Date.now()
    await m.stop(true)
    master = undefined
    expect(Date.now() - t0).toBeLessThan(5000)
    const r = await slow
    expect(r?.body ?? '').not.toContain('slow done')
    expect(p.log()).toMatch(/\[notice\] \d+#\d+: exit\n$/)
  })

  it('a fast stop closes connections at once', async () => {
    const { m, port } = await start()
    const slow = get(port, '/slow?ms=20000').catch(() => undefined)
    await new Promise((r) => setTimeout(r, 150))
    const t0 = Date.now()
    await m.stop(false)
    master = undefined
    expect(Date.now() - t0).toBeLessThan(5000)
    expect((await slow)?.status ?? 0).toBe(0)
  })
})

describe('worker_connections', () => {
  it('closes a connection past the limit and says so in the error log', async () => {
    const { p, port } = await start('v1', 'workers: 1, workerConnections: 2,'.replace('workers: 1,', ''), { workers: 1 })
    const open = async (): Promise<Socket> => {
      const s = connect(port, '127.0.0.1')
      await new Promise((ok, fail) => s.once('connect', ok).once('error', fail))
      return s
    }
    const a = await open()
    const b = await open()
    const c = await open()
    c.on('error', () => undefined)
    const closed = await new Promise<boolean>((ok) => {
      c.once('close', () => ok(true))
      setTimeout(() => ok(false), 3000)
    })
    expect(closed).toBe(true)
    await waitFor(() => p.log().includes('[alert]') && p.log().includes('2 worker_connections are not enough'), 5000, 'the alert')
    a.destroy()
    b.destroy()
    // Once the server has seen those two close, connections are served again.
    await waitFor(async () => (await get(port, '/who').catch(() => undefined))?.status === 200, 5000, 'a free connection')
  })
})
