// ngx.thread (spawn / wait / kill) and ngx.sleep against a running server: results and races
// as on the reference OpenResty (ngx_lua 0.10.23; see src/thread.md), the phase waiting for
// its light threads, ngx.exit and errors killing them.
import { describe, expect, it } from 'vitest'
import { isNgxSignal } from '../src/index.ts'
import type { Ngx } from '../src/index.ts'
import type { LightThread } from '../src/thread.ts'
import { stallPeer } from './fixtures/cosocket-peers.ts'
import { get, serverPerTest } from './harness.ts'

const start = serverPerTest()

function caught(fn: () => unknown): string {
  try {
    fn()
    return 'no error'
  } catch (e) {
    return (e as Error).message
  }
}

const j = (v: unknown): string => JSON.stringify(v)

describe('spawn, wait, kill', () => {
  it('runs the thread at once; wait gives its value; waiting again or killing answers already waited or killed', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const th = ngx.thread.spawn(async (a: string, b: string) => {
        ngx.say('in thread ', a, b)
        await ngx.sleep(0.01)
        return 'r1'
      }, 'x', 'y')
      ngx.say('spawned ', th.status)
      ngx.say('wait: ', j(await ngx.thread.wait(th)), ' ', th.status)
      ngx.say('wait again: ', j(await ngx.thread.wait(th)))
      ngx.say('kill waited: ', j(ngx.thread.kill(th)))
    } } })
    expect((await get(t.port, '/t')).body).toBe(
      'in thread xy\nspawned running\nwait: {"ok":true,"value":"r1"} dead\n' +
      'wait again: {"ok":false,"err":"already waited or killed"}\nkill waited: {"ok":false,"err":"already waited or killed"}\n')
  })

  it('a thread that ends at once is a zombie: kill answers already terminated, wait after that already waited or killed', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const a = ngx.thread.spawn(() => 7)
      ngx.say(a.status, ' ', j(await ngx.thread.wait(a)))
      const b = ngx.thread.spawn(() => 1)
      ngx.say('kill zombie: ', j(ngx.thread.kill(b)), ' ', j(await ngx.thread.wait(b)))
    } } })
    expect((await get(t.port, '/t')).body).toBe(
      'zombie {"ok":true,"value":7}\nkill zombie: {"ok":false,"err":"already terminated"} {"ok":false,"err":"already waited or killed"}\n')
  })

  it('wait gives the first to finish; a dead thread among the arguments answers at once', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const a = ngx.thread.spawn(async () => { await ngx.sleep(0.05); ngx.say('a done'); return 'a' })
      const b = ngx.thread.spawn(async () => { await ngx.sleep(0.01); ngx.say('b done'); return 'b' })
      ngx.say('first: ', j(await ngx.thread.wait(a, b)))
      ngx.say('second: ', j(await ngx.thread.wait(a, b)))
      const z = ngx.thread.spawn(() => 'z')
      ngx.say('zombie second: ', j(await ngx.thread.wait(a, z)))
    } } })
    expect((await get(t.port, '/t')).body).toBe(
      'b done\nfirst: {"ok":true,"value":"b"}\nsecond: {"ok":false,"err":"already waited or killed"}\n' +
      'zombie second: {"ok":true,"value":"z"}\na done\n')
  })

  it('kill stops a sleeping thread for good', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const a = ngx.thread.spawn(async () => { await ngx.sleep(0.03); ngx.say('a never') })
      ngx.say('kill: ', j(ngx.thread.kill(a)), ' ', a.status, ' ', a.killed)
      ngx.say('kill again: ', j(ngx.thread.kill(a)))
      ngx.say('wait killed: ', j(await ngx.thread.wait(a)))
      await ngx.sleep(0.06)
      ngx.say('end')
    } } })
    expect((await get(t.port, '/t')).body).toBe(
      'kill: {"ok":true,"value":1} dead true\nkill again: {"ok":false,"err":"already waited or killed"}\n' +
      'wait killed: {"ok":false,"err":"already waited or killed"}\nend\n')
  })

  it('a killed thread whose cosocket read completes later is stopped at its next output call', async () => {
    const peer = await stallPeer()
    try {
      const t = await start({ '/t': { content: async (ngx) => {
        const s = ngx.socket.tcp()
        await s.connect('127.0.0.1', peer.port)
        const reader = ngx.thread.spawn(async () => {
          const line = await s.receive()
          ngx.say('reader got ', String(line.ok))
        })
        const quick = ngx.thread.spawn(async () => { await ngx.sleep(0.01); return 'quick' })
        ngx.say('first: ', j(await ngx.thread.wait(reader, quick)))
        ngx.say('kill reader: ', j(ngx.thread.kill(reader)))
        await s.send('go\n')
        await ngx.sleep(0.03)
        ngx.say('end')
      } } })
      expect((await get(t.port, '/t')).body).toBe('first: {"ok":true,"value":"quick"}\nkill reader: {"ok":true,"value":1}\nend\n')
    } finally {
      await peer.close()
    }
  })

  it('a thread\'s error comes back from wait (thrown: true), is logged, and the others go on', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const a = ngx.thread.spawn(async () => { await ngx.sleep(0.01); throw new Error('thread boom') })
      const b = ngx.thread.spawn(async () => { await ngx.sleep(0.02); ngx.say('b survives'); return 'b' })
      const r = await ngx.thread.wait(a)
      ngx.say('wait err: ', r.ok, ' ', (r as { err: Error }).err.message, ' ', 'thrown' in r)
      ngx.say('wait b: ', j(await ngx.thread.wait(b)))
    } } })
    expect((await get(t.port, '/t')).body).toBe('wait err: false thread boom true\nb survives\nwait b: {"ok":true,"value":"b"}\n')
    expect(t.errorLog()).toMatch(/\[error\] .*light thread aborted: Error: thread boom\n/)
  })

  it('throws on misuse with ngx_lua\'s words', async () => {
    const res: string[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      const a = ngx.thread.spawn(async () => { await ngx.sleep(0.03); return 'a' })
      const b = ngx.thread.spawn(async () => {
        await ngx.sleep(0)
        res.push(`b waits a: ${caught(() => void ngx.thread.wait(a))}`, `b kills a: ${j(ngx.thread.kill(a))}`, `b kills b: ${j(ngx.thread.kill(b))}`)
      })
      res.push(
        caught(() => ngx.thread.spawn('x' as unknown as () => void)),
        caught(() => void ngx.thread.wait()),
        caught(() => void ngx.thread.wait('x' as unknown as LightThread)),
        caught(() => ngx.thread.kill({} as LightThread)),
      )
      await ngx.thread.wait(a)
      ngx.say('done')
    } } })
    expect((await get(t.port, '/t')).body).toBe('done\n')
    expect(res).toEqual([
      'bad argument #1 to \'spawn\' (function expected)',
      'at least one coroutine should be specified',
      'bad argument #1 to \'wait\' (light thread expected)',
      'bad argument #1 to \'kill\' (light thread expected)',
      'b waits a: only the parent coroutine can wait on the thread',
      'b kills a: {"ok":false,"err":"killer not parent"}',
      'b kills b: {"ok":false,"err":"killer not parent"}',
    ])
  })

  it('nested threads: a thread waits for its own child; a grandchild may outlive its parent', async () => {
    const t = await start({
      '/nested': { content: async (ngx) => {
        const a = ngx.thread.spawn(async () => {
          const c = ngx.thread.spawn(async () => { await ngx.sleep(0.01); ngx.say('grandchild done'); return 'c' })
          ngx.say('a waited c: ', j(await ngx.thread.wait(c)))
          return 'a'
        })
        ngx.say('entry waited a: ', j(await ngx.thread.wait(a)))
      } },
      '/outlive': { content: async (ngx) => {
        const a = ngx.thread.spawn(() => {
          ngx.thread.spawn(async () => { await ngx.sleep(0.02); ngx.say('grandchild late') })
          return 'a'
        })
        ngx.say('entry waited a: ', j(await ngx.thread.wait(a)))
      } },
    })
    expect((await get(t.port, '/nested')).body).toBe('grandchild done\na waited c: {"ok":true,"value":"c"}\nentry waited a: {"ok":true,"value":"a"}\n')
    expect((await get(t.port, '/outlive')).body).toBe('entry waited a: {"ok":true,"value":"a"}\ngrandchild late\n')
  })
})

describe('the handler and its light threads', () => {
  it('the content phase ends when the entry and its threads are done', async () => {
    const t = await start({ '/t': { content: (ngx) => {
      ngx.thread.spawn(async () => { await ngx.sleep(0.03); ngx.say('thread late') })
      ngx.say('entry done')
    } } })
    expect((await get(t.port, '/t')).body).toBe('entry done\nthread late\n')
  })

  it('the rewrite phase waits for its threads before access and content run', async () => {
    const t = await start({ '/t': {
      rewrite: (ngx) => {
        ngx.thread.spawn(async () => { await ngx.sleep(0.02); ngx.ctx.t = 'thread set' })
        ngx.ctx.e = 'entry'
      },
      content: (ngx) => ngx.say(ngx.ctx.e, ' ', ngx.ctx.t),
    } })
    expect((await get(t.port, '/t')).body).toBe('entry thread set\n')
  })

  it('ngx.exit in the entry kills its threads: they write nothing after it', async () => {
    const t = await start({
      '/status': { content: async (ngx) => {
        ngx.thread.spawn(async () => { await ngx.sleep(0.02); ngx.say('thread late'); ngx.log(ngx.ERR, 'THREAD STILL RAN') })
        ngx.say('entry')
        ngx.exit(200)
      } },
      '/ok': { content: (ngx) => {
        ngx.thread.spawn(async () => { await ngx.sleep(0.02); ngx.say('thread late') })
        ngx.say('entry')
        ngx.exit(ngx.OK)
      } },
      '/rewrite': {
        rewrite: (ngx) => {
          ngx.thread.spawn(async () => { await ngx.sleep(0.02); ngx.ctx.t = 'thread ran' })
          ngx.ctx.e = 'entry'
          ngx.exit(ngx.OK)
        },
        content: async (ngx) => { await ngx.sleep(0.04); ngx.say(ngx.ctx.e, ' ', String(ngx.ctx.t)) },
      },
    })
    expect((await get(t.port, '/status')).body).toBe('entry\n')
    expect((await get(t.port, '/ok')).body).toBe('entry\n')
    expect((await get(t.port, '/rewrite')).body).toBe('entry undefined\n')
    await new Promise((r) => setTimeout(r, 30))
    expect(t.errorLog()).not.toContain('THREAD STILL RAN')
  })

  it('ngx.exit in a light thread ends the handler: the entry and the other threads are killed', async () => {
    const t = await start({
      '/content': { content: async (ngx) => {
        ngx.thread.spawn(async () => { await ngx.sleep(0.04); ngx.say('a late') })
        ngx.thread.spawn(async () => { await ngx.sleep(0.01); ngx.say('b exits'); ngx.exit(200) })
        await ngx.sleep(0.06)
        ngx.say('entry after')
      } },
      '/status': { content: async (ngx) => {
        ngx.thread.spawn(async () => { await ngx.sleep(0.01); ngx.exit(403) })
        await ngx.sleep(0.05)
        ngx.say('entry after')
      } },
      '/rewrite': {
        rewrite: async (ngx) => {
          ngx.thread.spawn(async () => { await ngx.sleep(0.01); ngx.ctx.t = 'thread'; ngx.exit(ngx.OK) })
          await ngx.sleep(0.04)
          ngx.ctx.e = 'entry after'
        },
        content: async (ngx) => { await ngx.sleep(0.05); ngx.say(String(ngx.ctx.e), ' ', ngx.ctx.t) },
      },
    })
    expect((await get(t.port, '/content')).body).toBe('b exits\n')
    const s = await get(t.port, '/status')
    expect(s.status).toBe(403)
    expect(s.body).toContain('<center><h1>403 Forbidden</h1></center>')
    expect((await get(t.port, '/rewrite')).body).toBe('undefined thread\n')
  })

  it('an error in the entry kills its threads and answers 500', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      ngx.thread.spawn(async () => { await ngx.sleep(0.03); ngx.log(ngx.ERR, 'THREAD STILL RAN') })
      await ngx.sleep(0.01)
      throw new Error('entry boom')
    } } })
    expect((await get(t.port, '/t')).status).toBe(500)
    await new Promise((r) => setTimeout(r, 40))
    expect(t.errorLog()).toContain('content handler aborted: Error: entry boom')
    expect(t.errorLog()).not.toContain('THREAD STILL RAN')
  })

  it('a killed thread that swallows the kill is stopped at its next call', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const a = ngx.thread.spawn(async () => {
        try {
          await ngx.sleep(0.02)
        } catch (e) {
          ngx.log(ngx.ERR, 'caught ', isNgxSignal(e))
        }
        ngx.say('a after kill')
      })
      ngx.thread.kill(a)
      await ngx.sleep(0.01)
      ngx.say('entry')
    } } })
    expect((await get(t.port, '/t')).body).toBe('entry\n')
    expect(t.errorLog()).toContain('caught true')
  })

  it('spawn, wait and sleep are refused in header_filter and log, allowed in a timer', async () => {
    const res: string[] = []
    const t = await start({ '/t': {
      content: async (ngx) => {
        ngx.timer.at(0, async (tn) => {
          const a = tn.thread.spawn(async () => { await tn.sleep(0.01); return 5 })
          res.push(`timer waited ${j(await tn.thread.wait(a))}`)
        })
        await ngx.sleep(0.03)
        ngx.say('ok')
      },
      headerFilter: (ngx) => {
        res.push(caught(() => ngx.thread.spawn(() => undefined)), caught(() => void ngx.sleep(0.01)))
      },
      log: (ngx: Ngx) => {
        res.push(caught(() => ngx.thread.spawn(() => undefined)), caught(() => void ngx.sleep(0.01)), caught(() => void ngx.thread.wait()))
      },
    } })
    await get(t.port, '/t')
    expect(res).toEqual([
      'timer waited {"ok":true,"value":5}',
      'API disabled in the context of header_filter_by_lua*', 'API disabled in the context of header_filter_by_lua*',
      'API disabled in the context of log_by_lua*', 'API disabled in the context of log_by_lua*', 'API disabled in the context of log_by_lua*',
    ])
  })
})

describe('ngx.sleep', () => {
  it('resolves after the time, yields for 0, and throws on bad durations', async () => {
    let res: string[] = []
    const t = await start({ '/t': { content: async (ngx) => {
      const t0 = Date.now()
      const r = await ngx.sleep(0.05)
      const slept = Date.now() - t0
      res = [
        String(r), String(slept >= 45 && slept < 500), String(ngx.now() * 1000 - t0 >= 40),
        caught(() => void ngx.sleep(-1)), caught(() => void ngx.sleep('x' as unknown as number)),
        caught(() => void ngx.sleep(undefined as unknown as number)),
      ]
      await ngx.sleep(0)
      ngx.say('ok')
    } } })
    expect((await get(t.port, '/t')).body).toBe('ok\n')
    expect(res).toEqual([
      'undefined', 'true', 'true', 'invalid sleep duration "-1000"',
      'bad argument #1 to \'sleep\' (number expected, got string)', 'bad argument #1 to \'sleep\' (number expected, got nil)',
    ])
  })

  it('works in rewrite and access; init_worker, exit_worker and init refuse it', async () => {
    const errs: string[] = []
    const t = await start({ '/t': {
      rewrite: async (ngx) => { await ngx.sleep(0.005); ngx.ctx.r = 'slept' },
      access: async (ngx) => { await ngx.sleep(0.005); ngx.ctx.a = 'slept' },
      content: (ngx) => ngx.say(ngx.ctx.r, ' ', ngx.ctx.a),
    } }, {}, {
      init: (ngx) => { errs.push(caught(() => void ngx.sleep(0))) },
      initWorker: (ngx) => { errs.push(caught(() => void ngx.sleep(0)), caught(() => ngx.thread.spawn(() => 1))) },
      exitWorker: (ngx) => { errs.push(caught(() => void ngx.sleep(0))) },
    })
    expect((await get(t.port, '/t')).body).toBe('slept slept\n')
    await t.close()
    expect(errs).toEqual([
      'no request found', 'API disabled in the context of init_worker_by_lua*', 'API disabled in the context of init_worker_by_lua*',
      'API disabled in the context of exit_worker_by_lua*',
    ])
  })
})
