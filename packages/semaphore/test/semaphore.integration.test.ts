// The semaphore in a running server: shared by the requests and timers of the worker, the
// phase rule when `ngx` is given, and light threads killed while they wait (measured on the
// reference: ngx_lua 0.10.23 + lua-resty-core's ngx.semaphore).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { defineGateway, startServer } from '@nresty/core'
import type { GatewayDef, LocationDef, RunningServer } from '@nresty/core'
import { Semaphore } from '../src/index.ts'

let running: RunningServer | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

async function serve(locations: Readonly<Record<string, LocationDef>>, extra: Partial<GatewayDef> = {}): Promise<(path: string) => Promise<string>> {
  const prefix = mkdtempSync(join(tmpdir(), 'nresty-semaphore-'))
  running = await startServer(defineGateway({ ...extra, servers: [{ listen: '127.0.0.1:0', locations }] }), { prefix, errorLog: 'logs/error.log' })
  const base = `http://127.0.0.1:${running.addresses[0]!.port}`
  return async (path) => (await fetch(base + path, { headers: { connection: 'close' } })).text()
}

const j = (v: unknown): string => JSON.stringify(v)

describe('Semaphore in a server', () => {
  it('a request waits until another request posts', async () => {
    const sema = new Semaphore(0)
    const get = await serve({
      '/wait': { content: async (ngx) => { ngx.say('waiter got ', j(await sema.wait(1, ngx))) } },
      '/post': { content: (ngx) => { sema.post(); ngx.say('posted') } },
    })
    const waiting = get('/wait')
    await new Promise((r) => setTimeout(r, 30))
    expect(sema.count()).toBe(-1)
    expect(await get('/post')).toBe('posted\n')
    expect(await waiting).toBe('waiter got {"ok":true,"value":true}\n')
  })

  it('wakes a timer that waits, and light threads in the order they came', async () => {
    const get = await serve({ '/t': { content: async (ngx) => {
      const sema = new Semaphore(0)
      const res: string[] = []
      ngx.timer.at(0, async (tn) => { res.push(`timer ${j(await sema.wait(1, tn))}`) })
      await ngx.sleep(0.01)
      for (const i of [1, 2, 3]) ngx.thread.spawn(async () => { res.push(`${i}:${String((await sema.wait(1, ngx)).ok)}`) })
      ngx.say('count ', sema.count())
      sema.post(2)
      await ngx.sleep(0.01)
      ngx.say(res.join(','), ' count ', sema.count())
      sema.post(5)
      await ngx.sleep(0.01)
      ngx.say(res.join(','), ' count ', sema.count())
    } } })
    expect(await get('/t')).toBe('count -4\ntimer {"ok":true,"value":true},1:true count -2\n' +
      'timer {"ok":true,"value":true},1:true,2:true,3:true count 3\n')
  })

  it('a light thread killed while it waits leaves the queue', async () => {
    const get = await serve({ '/t': { content: async (ngx) => {
      const sema = new Semaphore(0)
      const t1 = ngx.thread.spawn(() => sema.wait(1, ngx))
      ngx.say('count ', sema.count())
      ngx.thread.kill(t1)
      ngx.say('count after kill ', sema.count())
      const t2 = ngx.thread.spawn(async () => j(await sema.wait(1, ngx)))
      sema.post(1)
      ngx.say('t2 ', j(await ngx.thread.wait(t2)), ' count ', sema.count())
    } } })
    expect(await get('/t')).toBe('count -1\ncount after kill 0\nt2 {"ok":true,"value":"{\\"ok\\":true,\\"value\\":true}"} count 0\n')
  })

  it('answers API disabled in phases that cannot wait, even with a 0 timeout; init throws', async () => {
    const res: string[] = []
    const get = await serve({ '/t': {
      content: (ngx) => ngx.say('ok'),
      headerFilter: async (ngx) => { res.push(j(await new Semaphore(1).wait(0, ngx))) },
      log: async (ngx) => { res.push(j(await new Semaphore(1).wait(0.01, ngx))) },
    } }, {
      init: (ngx) => {
        try {
          void new Semaphore(1).wait(0, ngx)
        } catch (e) {
          res.push((e as Error).message)
        }
      },
      initWorker: async (ngx) => { res.push(j(await new Semaphore(1).wait(0, ngx))) },
    })
    expect(await get('/t')).toBe('ok\n')
    await new Promise((r) => setTimeout(r, 20))
    expect(res).toEqual([
      'no request found',
      '{"ok":false,"err":"API disabled in the context of init_worker_by_lua*"}',
      '{"ok":false,"err":"API disabled in the context of header_filter_by_lua*"}',
      '{"ok":false,"err":"API disabled in the context of log_by_lua*"}',
    ])
  })
})
