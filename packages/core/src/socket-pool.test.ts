import { afterEach, describe, expect, it, vi } from 'vitest'
import { Pool, PoolSet } from './socket-pool.ts'
import type { PoolHooks, WaitToken } from './socket-pool.ts'

interface Item {
  readonly id: number
  closed: boolean
  dead?: (i: Item) => void
}

function hooks(): PoolHooks<Item> & { closed: number[] } {
  const closed: number[] = []
  return {
    closed,
    close(i) {
      i.closed = true
      closed.push(i.id)
    },
    watch(i, dead) {
      i.dead = dead
    },
    unwatch(i) {
      delete i.dead
    },
  }
}

const item = (id: number): Item => ({ id, closed: false })

afterEach(() => {
  vi.useRealTimers()
})

describe('Pool', () => {
  it('validates its size and backlog', () => {
    expect(() => new Pool('p', 0, undefined, hooks())).toThrow('bad "pool_size" option value: 0')
    expect(() => new Pool('p', 1.5, undefined, hooks())).toThrow('bad "pool_size" option value: 1.5')
    expect(() => new Pool('p', 1, -1, hooks())).toThrow('bad "backlog" option value: -1')
  })

  it('hands out the most recently released item first, counting reuses', () => {
    const p = new Pool<Item>('p', 5, undefined, hooks())
    expect(p.take()).toBeUndefined()
    p.release(item(1), 0, 0, false)
    p.release(item(2), 3, 0, false)
    expect(p.idle).toBe(2)
    expect(p.count).toBe(2)
    expect(p.take()).toMatchObject({ item: { id: 2, closed: false }, reused: 4 })
    expect(p.take()?.item?.id).toBe(1)
    expect(p.take()).toBeUndefined()
  })

  it('closes the oldest idle item beyond size', () => {
    const h = hooks()
    const p = new Pool<Item>('p', 2, undefined, h)
    for (let i = 1; i <= 4; i++) p.release(item(i), 0, 0, false)
    expect(h.closed).toEqual([1, 2])
    expect(p.idle).toBe(2)
    expect(p.count).toBe(2)
  })

  it('grants slots at once without a backlog', async () => {
    const p = new Pool<Item>('p', 1, undefined, hooks())
    expect(await p.acquire(10)).toEqual({ ok: true, value: { item: undefined, reused: 0 } })
    expect(await p.acquire(10)).toEqual({ ok: true, value: { item: undefined, reused: 0 } })
    expect(p.count).toBe(2)
    p.discard()
    p.discard()
    p.discard()
    expect(p.count).toBe(0)
  })

  it('with a backlog: queues, refuses overflow, hands released items and freed slots to waiters in order', async () => {
    const p = new Pool<Item>('p', 1, 2, hooks())
    expect((await p.acquire(0)).ok).toBe(true)
    const w1 = p.acquire(0)
    const w2 = p.acquire(0)
    expect(await p.acquire(0)).toEqual({ ok: false, err: 'too many waiting connect operations' })
    expect(p.waiting).toBe(2)
    p.release(item(7), 1, 0, true)
    expect(await w1).toMatchObject({ ok: true, value: { item: { id: 7, closed: false }, reused: 2 } })
    p.discard()
    expect(await w2).toEqual({ ok: true, value: { item: undefined, reused: 0 } })
    expect(p.count).toBe(1)
  })

  it('a waiter times out, and can be cancelled', async () => {
    vi.useFakeTimers()
    const p = new Pool<Item>('p', 1, 5, hooks())
    await p.acquire(0)
    const w = p.acquire(100)
    vi.advanceTimersByTime(100)
    expect(await w).toEqual({ ok: false, err: 'timeout' })
    const token: WaitToken = {}
    const c = p.acquire(1000, token)
    expect(p.waiting).toBe(1)
    token.cancel?.()
    token.cancel?.()
    expect(await c).toEqual({ ok: false, err: 'timeout' })
    expect(p.waiting).toBe(0)
  })

  it('drops idle items on expiry and when their watch says they died', async () => {
    vi.useFakeTimers()
    const h = hooks()
    const p = new Pool<Item>('p', 5, 1, h)
    const a = item(1)
    const b = item(2)
    p.release(a, 0, 50, false)
    p.release(b, 0, 0, false)
    vi.advanceTimersByTime(50)
    expect(h.closed).toEqual([1])
    b.dead?.(b)
    b.dead?.(b)
    expect(h.closed).toEqual([1, 2])
    expect(p.idle).toBe(0)
    expect(p.count).toBe(0)
  })

  it('a dropped idle item frees a slot for a waiter', async () => {
    const p = new Pool<Item>('p', 1, 1, hooks())
    await p.acquire(0)
    const w = p.acquire(0)
    p.discard() // the active one closed: the waiter gets a slot
    expect((await w).ok).toBe(true)
    expect(p.count).toBe(1)
  })

  it('closeAll closes idle items and fails waiters', async () => {
    const h = hooks()
    const p = new Pool<Item>('p', 1, 1, h)
    p.release(item(1), 0, 1000, false)
    const q = new Pool<Item>('q', 1, 1, h)
    await q.acquire(0)
    const w = q.acquire(1000)
    p.closeAll()
    q.closeAll()
    expect(h.closed).toEqual([1])
    expect(await w).toEqual({ ok: false, err: 'timeout' })
    expect(p.count).toBe(0)
  })
})

describe('PoolSet', () => {
  it('creates pools once by name and closes them all', () => {
    const h = hooks()
    const set = new PoolSet<Item>(h)
    const a = set.getOrCreate('a', 2, 1)
    expect(set.getOrCreate('a', 9)).toBe(a)
    expect(a.size).toBe(2)
    expect(a.backlog).toBe(1)
    expect(set.get('b')).toBeUndefined()
    a.release(item(1), 0, 0, false)
    expect(set.names()).toEqual(['a'])
    set.closeAll()
    expect(h.closed).toEqual([1])
    expect(set.names()).toEqual([])
  })
})
