// init, init_worker and exit_worker in single-process mode (startServer), and what the ngx
// object refuses outside a request, in ngx_lua's words (checked against the reference:
// `no request found` in init, `API disabled in …` in the worker phases).
import { describe, expect, it } from 'vitest'
import type { Ngx } from '../src/index.ts'
import { serve } from './harness.ts'

/** Runs `f` and returns what it threw (its message) or `ok <value>`. */
function probe(f: () => unknown): string {
  try {
    return `ok ${String(f())}`
  } catch (e) {
    return (e as Error).message
  }
}

function probes(ngx: Ngx): Record<string, string> {
  return {
    phase: probe(() => ngx.getPhase()),
    say: probe(() => ngx.say('x')),
    var: probe(() => ngx.var['uri']),
    ctx: probe(() => typeof ngx.ctx),
    exit: probe(() => ngx.exit(200)),
    req: probe(() => ngx.req.getHeaders()),
    header: probe(() => ngx.header['foo']),
    status: probe(() => ngx.status),
    redirect: probe(() => ngx.redirect('/')),
    exec: probe(() => ngx.exec('/')),
    capture: probe(() => ngx.location.capture('/')),
    id: probe(() => ngx.worker.id()),
    count: probe(() => ngx.worker.count()),
    exiting: probe(() => ngx.worker.exiting()),
    type: probe(() => ngx.process.type()),
    md5: probe(() => ngx.md5('a')),
  }
}

describe('life-cycle phases in single-process mode', () => {
  it('runs init, then init_worker, then serves; exit_worker on close; each refuses request APIs as ngx_lua does', async () => {
    const seen: Record<string, Record<string, string>> = {}
    const order: string[] = []
    const s = await serve(
      { '= /t': { content: (ngx) => { order.push('request'); ngx.say(ngx.process.type(), ' ', ngx.worker.id(), ' ', ngx.worker.count()) } } },
      {},
      {
        init: (ngx) => { order.push('init'); seen['init'] = probes(ngx) },
        initWorker: [
          (ngx) => { order.push('init_worker'); seen['init_worker'] = probes(ngx) },
          () => { throw new Error('second init_worker handler fails') },
          (ngx) => { order.push('third init_worker handler still runs'); ngx.log(ngx.NOTICE, 'hello from init_worker') },
        ],
        exitWorker: (ngx) => { order.push('exit_worker'); seen['exit_worker'] = probes(ngx) },
      },
    )
    const r = await fetch(s.url('/t'))
    expect(await r.text()).toBe('single 0 1\n')
    await s.close()
    expect(order).toEqual(['init', 'init_worker', 'third init_worker handler still runs', 'request', 'exit_worker'])
    expect(seen['init']).toEqual({
      phase: 'ok init',
      say: 'no request object found',
      var: 'no request found',
      ctx: 'no request found',
      exit: 'no request found',
      req: 'no request found',
      header: 'no request found',
      status: 'no request found',
      redirect: 'no request object found',
      exec: 'no request object found',
      capture: 'no request object found',
      id: 'ok 0',
      count: 'ok 1',
      exiting: 'ok false',
      type: 'ok single',
      md5: 'ok 0cc175b9c0f1b6a831c399e269772661',
    })
    expect(seen['init_worker']).toEqual({
      phase: 'ok init_worker',
      say: 'API disabled in the context of init_worker_by_lua*',
      var: 'API disabled in the current context',
      ctx: 'ok object',
      exit: 'API disabled in the context of init_worker_by_lua*',
      req: 'API disabled in the current context',
      header: 'API disabled in the current context',
      status: 'API disabled in the current context',
      redirect: 'API disabled in the context of init_worker_by_lua*',
      exec: 'API disabled in the context of init_worker_by_lua*',
      capture: 'API disabled in the context of init_worker_by_lua*',
      id: 'ok 0',
      count: 'ok 1',
      exiting: 'ok false',
      type: 'ok single',
      md5: 'ok 0cc175b9c0f1b6a831c399e269772661',
    })
    expect(seen['exit_worker']).toMatchObject({
      phase: 'ok exit_worker',
      say: 'API disabled in the context of exit_worker_by_lua*',
      ctx: 'ok object',
      exiting: 'ok true',
    })
    const log = s.errorLog()
    expect(log).toMatch(/\[error\] \d+#\d+: init_worker_by_lua error: Error: second init_worker handler fails\n {4}at /)
    expect(log).toMatch(/\[notice\] \d+#\d+: \[ts\] life-phases\.test\.ts:\d+: hello from init_worker, context: init_worker_by_lua\*\n/)
  })

  it('a failing init stops the start with [emerg] wording', async () => {
    await expect(serve({}, {}, { init: () => { throw new Error('no seed data') } }))
      .rejects.toThrow(/^init handler failed: Error: no seed data/)
  })
})
