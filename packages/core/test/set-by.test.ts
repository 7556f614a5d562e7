// The `setBy` rewrite step (set_by_lua's core): in order with `set`, in the `set` phase, with
// its args as ngx.arg, synchronous only, and failures as ngx_lua reports them.
import { describe, expect, it } from 'vitest'
import type { Ngx } from '../src/index.ts'
import { get, serverPerTest } from './harness.ts'

const start = serverPerTest()

describe('setBy', () => {
  it('sets the variable from what the handler returns, with the rendered args as ngx.arg', async () => {
    const seen: string[] = []
    const t = await start({
      '/t': {
        rewriteOps: [
          { op: 'set', name: 'x', value: '7' },
          {
            op: 'setBy', name: 'a', args: ['$x', 'y$x'],
            handler: (ngx: Ngx) => {
              seen.push(ngx.getPhase())
              const arg = ngx.arg as unknown as Record<number, string>
              return `${arg[1]}/${arg[2]}/${String(arg[3])}`
            },
          },
          { op: 'setBy', name: 'n', handler: () => 10 / 4 },
          { op: 'setBy', name: 'big', handler: () => 2 ** 53 },
          { op: 'setBy', name: 'none', handler: () => undefined },
          { op: 'setBy', name: 'obj', handler: () => ({}) },
          { op: 'set', name: 'after', value: '$a!' },
        ],
        content: (ngx) => { ngx.say(['a', 'n', 'big', 'none', 'obj', 'after'].map((v) => ngx.var[v]).join(' ')) },
      },
    })
    expect((await get(t.port, '/t')).body).toBe('7/y7/undefined 2.5 9.007199254741e+15   7/y7/undefined!\n')
    expect(seen).toEqual(['set'])
  })

  it('keeps ngx.arg read-only, and refuses it outside the handler', async () => {
    let outside = ''
    const t = await start({
      '/t': {
        rewriteOps: [{ op: 'setBy', name: 'a', args: ['v'], handler: (ngx: Ngx) => { (ngx.arg as unknown as Record<number, string>)[1] = 'w'; return 'x' } }],
        content: (ngx) => { ngx.say('not reached') },
      },
      '/out': {
        rewriteOps: [{ op: 'setBy', name: 'a', args: ['v'], handler: () => 'x' }],
        content: (ngx) => {
          try { void ngx.arg } catch (e) { outside = (e as Error).message }
          ngx.say(ngx.var['a'])
        },
      },
    })
    expect((await get(t.port, '/t')).status).toBe(500)
    expect(t.errorLog()).toMatch(/\[error\] .* failed to run set_by_lua\*: TypeError: Cannot assign to read only property '1'/)
    expect((await get(t.port, '/out')).body).toBe('x\n')
    expect(outside).toBe('API disabled in the current context')
  })

  it('answers 500 with ngx_lua\'s log line when the handler throws, and runs no later step', async () => {
    let later = false
    const t = await start({
      '/t': {
        rewriteOps: [
          { op: 'setBy', name: 'a', handler: () => { throw new Error('set boom') } },
          { op: 'setBy', name: 'b', handler: () => { later = true; return 1 } },
        ],
        content: (ngx) => { ngx.say('not reached') },
      },
    })
    const res = await get(t.port, '/t')
    expect(res.status).toBe(500)
    expect(res.body).toContain('500 Internal Server Error')
    expect(t.errorLog()).toMatch(/\[error\] .* failed to run set_by_lua\*: Error: set boom\n/)
    expect(later).toBe(false)
  })

  it('logs an error\'s own logText as it is', async () => {
    const t = await start({
      '/t': {
        rewriteOps: [{ op: 'setBy', name: 'a', handler: () => { throw Object.assign(new Error('x'), { logText: 'failed to load inlined Lua code: oops' }) } }],
        content: (ngx) => { ngx.say('not reached') },
      },
    })
    expect((await get(t.port, '/t')).status).toBe(500)
    expect(t.errorLog()).toMatch(/\[error\] .* failed to load inlined Lua code: oops, client/)
  })

  it('refuses async handlers and the yielding APIs', async () => {
    const t = await start({
      '/async': {
        rewriteOps: [{ op: 'setBy', name: 'a', handler: async () => 'late' }],
        content: (ngx) => { ngx.say('not reached') },
      },
      '/sleep': {
        rewriteOps: [{ op: 'setBy', name: 'a', handler: (ngx: Ngx) => ngx.sleep(0.001) }],
        content: (ngx) => { ngx.say('not reached') },
      },
    })
    expect((await get(t.port, '/async')).status).toBe(500)
    expect((await get(t.port, '/sleep')).status).toBe(500)
    expect(t.errorLog().match(/failed to run set_by_lua\*: .*API disabled in the context of set_by_lua\*/g)).toHaveLength(2)
  })
})
