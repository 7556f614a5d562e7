// ngx.timer against a running server: ordering, every, the timer's own ngx, errors, limits,
// premature runs on a graceful stop, and cosockets from a timer. Expected strings are the
// reference OpenResty's (nginx 1.22.1 + ngx_lua 0.10.23; see src/timer.md).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileGateway } from '../src/conf.ts'
import { ErrorLog } from '../src/log.ts'
import { serveWorker } from '../src/server.ts'
import type { Ngx } from '../src/index.ts'
import { echoPeer } from './fixtures/cosocket-peers.ts'
import { get, serve, serverPerTest } from './harness.ts'

const start = serverPerTest()
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function caught(fn: () => unknown): string {
  try {
    fn()
    return 'no error'
  } catch (e) {
    return (e as Error).message
  }
}

describe('ngx.timer.at', () => {
  it('runs zero-delay timers in creation order once the handler yields, then by delay', async () => {
    const out: string[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      const f = (_: Ngx, _premature: boolean, tag: string): void => { out.push(tag) }
      ngx.timer.at(0.06, f, 'c60')
      ngx.timer.at(0, f, 'a0')
      ngx.timer.at(0, f, 'b0')
      ngx.timer.at(0.03, f, 'd30')
      ngx.timer.at(0.03, f, 'e30')
      out.push('before yield')
      await ngx.sleep(0)
      out.push('after sleep(0)')
      await ngx.sleep(0.12)
      ngx.say(out.join(','))
    } } })
    expect((await get(t.port, '/t')).body).toBe('before yield,a0,b0,after sleep(0),d30,e30,c60\n')
  })

  it('answers 1, runs with its own ngx (phase timer, own ctx) and gets premature = false and the args', async () => {
    let seen: unknown[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.ctx.x = 'req'
      const r = ngx.timer.at(0, (tn, premature, a: string, b: undefined) => {
        tn.ctx.y = 1
        seen = [premature, a, b, tn.getPhase(), tn.ctx.x, tn === ngx, tn.timer.runningCount(), tn.timer.pendingCount(), tn.worker.id()]
      }, 'A', undefined)
      ngx.say(JSON.stringify(r), ' ', ngx.timer.pendingCount())
      await ngx.sleep(0.02)
      ngx.say(String(ngx.ctx.y))
    } } })
    expect((await get(t.port, '/t')).body).toBe('{"ok":true,"value":1} 1\nundefined\n')
    expect(seen).toEqual([false, 'A', undefined, 'timer', undefined, false, 1, 0, 0])
  })

  it('refuses the request APIs in a timer with ngx_lua\'s words and allows sleep, ctx, exit', async () => {
    let res: string[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.timer.at(0, async (tn) => {
        res = [
          caught(() => tn.var.uri), caught(() => tn.say('x')), caught(() => tn.print('x')), caught(() => tn.header.foo),
          caught(() => tn.status), caught(() => tn.req), caught(() => tn.headersSent), caught(() => tn.redirect('/x')),
          caught(() => tn.exec('/x')), caught(() => tn.location), caught(() => tn.sendHeaders()), caught(() => tn.eof()),
          caught(() => tn.onAbort(() => undefined)), caught(() => tn.arg),
        ]
        await tn.sleep(0.001)
        res.push('slept')
        tn.exit(0)
        res.push('not reached')
      })
      await ngx.sleep(0.03)
      ngx.say('ok')
    } } })
    await get(t.port, '/t')
    const current = 'API disabled in the current context'
    const timer = 'API disabled in the context of ngx.timer'
    expect(res).toEqual([current, timer, timer, current, current, current, current, timer, timer, timer, timer, timer, timer, current, 'slept'])
    expect(t.errorLog()).not.toContain('timer handler aborted')
  })

  it('throws on bad arguments: a non-number delay, a non-function, every(0)', async () => {
    let res: string[] = []
    const t = await start({ '/t': { content: (ngx) => {
      res = [
        caught(() => ngx.timer.at('a' as unknown as number, () => undefined)),
        caught(() => ngx.timer.at(0, 'x' as unknown as () => void)),
        caught(() => ngx.timer.every(0, () => undefined)),
        caught(() => ngx.timer.every(0.0001, () => undefined)),
      ]
      ngx.say('ok')
    } } })
    await get(t.port, '/t')
    expect(res).toEqual([
      'bad argument #1 to \'at\' (number expected, got string)',
      'bad argument #2 to \'at\' (function expected)',
      'delay cannot be zero', 'delay cannot be zero',
    ])
  })

  it('runs a timer with a negative delay at once', async () => {
    let ran = false
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.timer.at(-1, () => { ran = true })
      await ngx.sleep(0.01)
      ngx.say(String(ran), ' ', ngx.timer.pendingCount())
    } } })
    expect((await get(t.port, '/t')).body).toBe('true 0\n')
  })

  it('logs a failing handler with context ngx.timer and the creating request\'s client and server', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.timer.at(0, () => { throw new Error('boom in timer') })
      ngx.timer.at(0, async () => { await Promise.resolve(); throw new TypeError('async boom') })
      await ngx.sleep(0.02)
      ngx.say('ok')
    } } })
    await get(t.port, '/t')
    const log = t.errorLog()
    expect(log).toMatch(/\[error\] \d+#\d+: timer handler aborted: Error: boom in timer\n/)
    expect(log).toContain(`, context: ngx.timer, client: 127.0.0.1, server: 127.0.0.1:${t.port}`)
    expect(log).toMatch(/timer handler aborted: TypeError: async boom/)
  })

  it('is allowed in init_worker and header_filter / log, refused in init and exit_worker', async () => {
    const ran: string[] = []
    let init = ''
    let exitWorker = ''
    const t = await serve({ '/t': {
      content: (ngx) => ngx.say('ok'),
      headerFilter: (ngx) => { ngx.timer.at(0, () => { ran.push('header_filter') }) },
      log: (ngx) => { ngx.timer.at(0, () => { ran.push('log') }) },
    } }, {}, {
      init: (ngx) => { init = caught(() => ngx.timer.at(0, () => undefined)) + ' / ' + caught(() => ngx.timer.runningCount()) },
      initWorker: (ngx) => { ngx.timer.at(0, (tn) => { ran.push(`init_worker ${tn.getPhase()}`) }) },
      exitWorker: (ngx) => { exitWorker = caught(() => ngx.timer.at(0, () => undefined)) + ' / ' + String(ngx.timer.runningCount()) },
    })
    await get(t.port, '/t')
    await wait(20)
    await t.close()
    expect(init).toBe('no request / no request')
    expect(ran).toEqual(['init_worker timer', 'header_filter', 'log'])
    expect(exitWorker).toBe('API disabled in the context of exit_worker_by_lua* / 0')
  })
})

describe('ngx.timer.every', () => {
  it('fires again every period, and a slow run does not delay the next', async () => {
    const runs: number[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      let n = 0
      ngx.timer.every(0.02, async (tn) => {
        const k = ++n
        runs.push(k)
        if (k === 2) await tn.sleep(0.06)
        runs.push(-k)
      })
      await ngx.sleep(0.15)
      ngx.say(ngx.timer.pendingCount())
    } } })
    expect((await get(t.port, '/t')).body).toBe('1\n')
    // run 2 sleeps 60 ms while runs 3 and 4 start and end
    expect(runs.indexOf(3)).toBeLessThan(runs.indexOf(-2))
    expect(runs.filter((k) => k > 0).length).toBeGreaterThanOrEqual(4)
  })
})

describe('limits', () => {
  it('answers too many pending timers past maxPendingTimers', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      const r: string[] = []
      for (let i = 0; i < 5; i++) {
        const x = ngx.timer.at(10, () => undefined)
        r.push(x.ok ? `ok ${ngx.timer.pendingCount()}` : x.err)
      }
      ngx.say(r.join(', '))
    } } }, {}, { maxPendingTimers: 3 })
    expect((await get(t.port, '/t')).body).toBe('ok 1, ok 2, ok 3, too many pending timers, too many pending timers\n')
  })

  it('drops expired timers past maxRunningTimers with an alert', async () => {
    const out: string[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      for (let i = 1; i <= 4; i++) {
        ngx.timer.at(0, async function worker(tn, _p, k: number) {
          out.push(`start${k}`)
          await tn.sleep(0.03)
          out.push(`end${k}`)
        }, i)
      }
      await ngx.sleep(0.01)
      ngx.say(ngx.timer.runningCount(), ' ', ngx.timer.pendingCount())
      await ngx.sleep(0.06)
      ngx.say(out.join(','), ' ', ngx.timer.runningCount())
    } } }, {}, { maxRunningTimers: 2 })
    expect((await get(t.port, '/t')).body).toBe('2 0\nstart1,start2,end1,end2 0\n')
    expect(t.errorLog().match(/\[alert\] .*failed to run timer with function worker: 2 lua_max_running_timers are not enough/g)).toHaveLength(2)
  })

  it('counts a timer as running until its light threads are done', async () => {
    const counts: number[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.timer.at(0, (tn) => {
        tn.thread.spawn(async () => { await tn.sleep(0.03) })
      })
      await ngx.sleep(0.01)
      counts.push(ngx.timer.runningCount())
      await ngx.sleep(0.05)
      counts.push(ngx.timer.runningCount())
      ngx.say('ok')
    } } })
    await get(t.port, '/t')
    expect(counts).toEqual([1, 0])
  })
})

describe('premature timers on a graceful stop', () => {
  it('runs pending at and every timers once with premature = true, then exit_worker', async () => {
    const events: string[] = []
    const t = await serve({ '/arm': { content: (ngx) => {
      ngx.timer.at(100, async (tn, premature, tag: string) => {
        events.push(`${tag} premature=${premature} exiting=${tn.worker.exiting()}`)
        const a0 = tn.timer.at(0, (_t2, p2) => { events.push(`nested0 premature=${p2}`) })
        const a1 = tn.timer.at(1, () => undefined)
        const e1 = tn.timer.every(1, () => undefined)
        events.push(`at0 ${JSON.stringify(a0)} at1 ${JSON.stringify(a1)} every1 ${JSON.stringify(e1)}`)
        await tn.sleep(0.03)
        events.push(`${tag} slept`)
      }, 'at100')
      ngx.timer.every(100, (_tn, premature, tag: string) => { events.push(`${tag} premature=${premature}`) }, 'every100')
      ngx.say('armed')
    } } }, {}, {
      exitWorker: (ngx) => { events.push(`exit_worker pending=${ngx.timer.pendingCount()} running=${ngx.timer.runningCount()}`) },
    })
    expect((await get(t.port, '/arm')).body).toBe('armed\n')
    await t.close()
    expect(events).toEqual([
      'at100 premature=true exiting=true',
      'at0 {"ok":true,"value":1} at1 {"ok":false,"err":"process exiting"} every1 {"ok":false,"err":"process exiting"}',
      'every100 premature=true',
      'nested0 premature=false',
      'at100 slept',
      'exit_worker pending=0 running=0',
    ])
  })
})

describe('a fast stop', () => {
  it('drops pending timers without running them', async () => {
    const events: string[] = []
    const gw = compileGateway({
      errorLog: 'stderr',
      accessLog: false,
      servers: [{ listen: '127.0.0.1:0', locations: {} }],
      initWorker: (ngx) => { ngx.timer.at(100, () => { events.push('ran') }) },
      exitWorker: (ngx) => { events.push(`exit_worker pending=${ngx.timer.pendingCount()}`) },
    }, mkdtempSync(join(tmpdir(), 'nresty-timers-')))
    const log = new ErrorLog({ path: 'stderr', level: 'error' })
    const w = await serveWorker(gw, log, { type: 'single', id: 0, count: 1, pid: process.pid, masterPid: undefined }, { reusePort: false })
    expect(w.rt.timers.pendingCount).toBe(1)
    await w.shutdown({ graceful: false })
    expect(events).toEqual(['exit_worker pending=0'])
  })
})

describe('cosockets from a timer', () => {
  it('connects, sends and receives with the creating request\'s lua_socket settings', async () => {
    const peer = await echoPeer()
    const got: unknown[] = []
    try {
      const t = await start({ '/t': { content: async (ngx) => {
        ngx.timer.at(0, async (tn) => {
          const s = tn.socket.tcp()
          got.push(await s.connect('127.0.0.1', peer.port))
          got.push(await s.send('hello\n'))
          got.push(await s.receive())
          got.push(s.setKeepalive())
        })
        await ngx.sleep(0.05)
        const s = ngx.socket.tcp()
        await s.connect('127.0.0.1', peer.port)
        ngx.say(JSON.stringify(s.getReusedTimes()))
      } } })
      expect((await get(t.port, '/t')).body).toBe('{"ok":true,"value":1}\n')
      expect(got).toEqual([{ ok: true, value: 1 }, { ok: true, value: 6 }, { ok: true, value: 'hello' }, { ok: true, value: 1 }])
      expect(peer.accepted()).toBe(1)
    } finally {
      await peer.close()
    }
  })

  it('closes a socket the timer left open when its handler ends', async () => {
    const peer = await echoPeer()
    try {
      const t = await start({ '/t': { content: async (ngx) => {
        ngx.timer.at(0, async (tn) => {
          await tn.socket.tcp().connect('127.0.0.1', peer.port)
        })
        await ngx.sleep(0.03)
        ngx.say('ok')
      } } })
      await get(t.port, '/t')
      await wait(20)
      expect(peer.accepted()).toBe(1)
      expect(peer.sockets.size).toBe(0)
    } finally {
      await peer.close()
    }
  })
})
