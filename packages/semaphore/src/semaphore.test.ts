// The semaphore on its own: counts, post and wait arguments, FIFO wake-up and timeouts, as
// measured on the reference (ngx_lua 0.10.23 + lua-resty-core's ngx.semaphore).
import { describe, expect, it } from 'vitest'
import { Semaphore } from './semaphore.ts'

function caught(fn: () => unknown): string {
  try {
    fn()
    return 'no error'
  } catch (e) {
    return (e as Error).message
  }
}

describe('new, count, post', () => {
  it('starts with n resources (fractions cut); refuses negative numbers', () => {
    expect(new Semaphore().count()).toBe(0)
    expect(new Semaphore(3).count()).toBe(3)
    expect(new Semaphore(1.5).count()).toBe(1)
    expect(caught(() => new Semaphore(-1))).toBe('no negative number')
    expect(caught(() => new Semaphore('x' as unknown as number))).toBe('bad argument #1 to \'new\' (number expected, got string)')
  })

  it('post adds n (default 1, fractions cut) and returns true; n < 1 throws', () => {
    const s = new Semaphore(0)
    expect(s.post()).toBe(true)
    expect(s.post(2)).toBe(true)
    expect(s.post(1.5)).toBe(true)
    expect(s.count()).toBe(4)
    expect(caught(() => s.post(0))).toBe('positive number required')
    expect(caught(() => s.post(-1))).toBe('positive number required')
    expect(caught(() => s.post(0.5))).toBe('positive number required')
  })
})

describe('wait', () => {
  it('takes a resource at once, answers timeout at once for 0, throws on bad timeouts', async () => {
    const s = new Semaphore(1)
    expect(await s.wait(0)).toEqual({ ok: true, value: true })
    expect(s.count()).toBe(0)
    expect(await s.wait(0)).toEqual({ ok: false, err: 'timeout' })
    expect(caught(() => s.wait(-1))).toBe('no negative number')
    expect(caught(() => s.wait('x' as unknown as number))).toBe('bad argument #1 to \'wait\' (number expected, got string)')
    expect(caught(() => s.wait(undefined as unknown as number))).toBe('bad argument #1 to \'wait\' (number expected, got nil)')
  })

  it('times out after the time, and the count comes back', async () => {
    const s = new Semaphore(0)
    const t0 = Date.now()
    const p = s.wait(0.05)
    expect(s.count()).toBe(-1)
    expect(await p).toEqual({ ok: false, err: 'timeout' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45)
    expect(s.count()).toBe(0)
  })

  it('wakes waiters first come first served, up to n per post, when the poster yields', async () => {
    const s = new Semaphore(0)
    const order: string[] = []
    const waits = [1, 2, 3].map((i) => s.wait(1).then((r) => { order.push(`${i}:${String(r.ok)}`) }))
    expect(s.count()).toBe(-3)
    s.post(1)
    expect(s.count()).toBe(-2)
    expect(order).toEqual([])
    await Promise.resolve()
    await Promise.resolve()
    expect(order).toEqual(['1:true'])
    s.post(5)
    expect(s.count()).toBe(3)
    await Promise.all(waits)
    expect(order).toEqual(['1:true', '2:true', '3:true'])
  })

  it('a waiter that timed out is not woken by a later post', async () => {
    const s = new Semaphore(0)
    const first = s.wait(0.02)
    const second = s.wait(1)
    expect(await first).toEqual({ ok: false, err: 'timeout' })
    s.post(1)
    expect(await second).toEqual({ ok: true, value: true })
    expect(s.count()).toBe(0)
  })
})
