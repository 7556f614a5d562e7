// The documented arithmetic of resty.limit.req / count / conn and traffic.combine, on a shared
// dict of this thread, with the clock driven through core's cached clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createZone, SharedDict, updateTime } from '@nresty/core'
import { LimitConn } from './limit-conn.ts'
import { LimitCount } from './limit-count.ts'
import { LimitReq, packRecord, readRecord } from './limit-req.ts'
import { combine } from './traffic.ts'

let t = 1_800_000_000_000
function advance(ms: number): void {
  t += ms
  vi.setSystemTime(t)
  updateTime()
}
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  advance(0)
})
afterEach(() => {
  vi.useRealTimers()
  updateTime()
})

const dict = (): SharedDict => new SharedDict('store', createZone('store', '64k'))

describe('LimitReq', () => {
  it('under the rate: 0, 0; in the burst: delay = excess / rate; over: rejected', () => {
    const lim = new LimitReq(dict(), 2, 1)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, excess: 0 } })
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0.5, excess: 1 } })
    expect(lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
    advance(250) // leaked 500 of 1000: excess would be 1500
    expect(lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
    advance(250)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0.5, excess: 1 } })
    advance(10_000)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, excess: 0 } })
  })

  it('returns the exact excess but stores it truncated to an integer (upstream uint64 field)', () => {
    const d = dict()
    const lim = new LimitReq(d, 0.3, 10)
    lim.incoming('k', true)
    advance(1)
    const r = lim.incoming('k', true) // 0 − 300·1/1000 + 1000 = 999.7
    expect(r.ok && r.value.excess).toBeCloseTo(0.9997, 12)
    expect(r.ok && r.value.delay).toBeCloseTo(999.7 / 300, 12)
    expect(readRecord(d.getBytes('k'))).toEqual([999, t])
    expect(lim.incoming('k', false)).toEqual({ ok: true, value: { delay: 1999 / 300, excess: 1.999 } })
  })

  it('a dry run records nothing; rejected requests are not recorded', () => {
    const d = dict()
    const lim = new LimitReq(d, 1, 0)
    expect(lim.incoming('k')).toEqual({ ok: true, value: { delay: 0, excess: 0 } })
    expect(d.get('k')).toBeUndefined()
    lim.incoming('k', true)
    const before = d.getBytes('k')
    expect(lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
    expect(d.getBytes('k')).toEqual(before)
  })

  it('uncommit: excess − 1000 (not below 0), not found for a missing key', () => {
    const d = dict()
    const lim = new LimitReq(d, 1, 5)
    expect(lim.uncommit('k')).toEqual({ ok: false, err: 'not found' })
    lim.incoming('k', true)
    lim.incoming('k', true)
    lim.incoming('k', true)
    expect(readRecord(d.getBytes('k'))?.[0]).toBe(2000)
    expect(lim.uncommit('k')).toEqual({ ok: true, value: true })
    expect(readRecord(d.getBytes('k'))?.[0]).toBe(1000)
    lim.uncommit('k')
    lim.uncommit('k')
    expect(readRecord(d.getBytes('k'))).toEqual([0, t])
  })

  it('shdict abused by other users: a value that is not a 16-byte record', () => {
    const d = dict()
    const lim = new LimitReq(d, 1, 0)
    d.set('s', 'hello')
    d.set('n', 5)
    d.set('b', true)
    for (const k of ['s', 'n', 'b']) {
      expect(lim.incoming(k, true)).toEqual({ ok: false, err: 'shdict abused by other users' })
      expect(lim.uncommit(k)).toEqual({ ok: false, err: 'shdict abused by other users' })
    }
    d.set('r', packRecord(0, t))
    expect(lim.incoming('r', true).ok).toBe(false) // a record: 1000 > burst 0
  })

  it('setRate / setBurst change the thresholds; bad arguments throw', () => {
    const lim = new LimitReq(dict(), 1, 0)
    lim.incoming('k', true)
    expect(lim.incoming('k').ok).toBe(false)
    lim.setBurst(1)
    expect(lim.incoming('k')).toEqual({ ok: true, value: { delay: 1, excess: 1 } })
    lim.setRate(4)
    expect(lim.rate).toBe(4)
    expect(lim.burst).toBe(1)
    expect(lim.incoming('k')).toEqual({ ok: true, value: { delay: 0.25, excess: 1 } })
    expect(() => new LimitReq(dict(), 0, 0)).toThrow('bad "rate" argument')
    expect(() => new LimitReq(dict(), 1, -1)).toThrow('bad "burst" argument')
    expect(() => new LimitReq(undefined as unknown as SharedDict, 1, 0)).toThrow('shared dict not found')
  })

  it('a clock that went back counts as elapsed time (|now − last|)', () => {
    const d = dict()
    const lim = new LimitReq(d, 1, 0)
    d.set('k', packRecord(0, t + 1000))
    expect(lim.incoming('k')).toEqual({ ok: true, value: { delay: 0, excess: 0 } })
  })
})

describe('LimitReq across workers: the lock', () => {
  it('commits under the lock entry and leaves it released', () => {
    const d = dict()
    new LimitReq(d, 1, 0).incoming('k', true)
    expect(d.get('\0lr')).toBe(0)
    const ttl = d.ttl('\0lr')
    expect(ttl.ok && ttl.value > 0 && ttl.value <= 0.1).toBe(true)
  })

  it('a lock entry left by a dead holder is taken once it expired', () => {
    vi.useRealTimers()
    updateTime()
    const d = dict()
    d.incr('\0lr', 1, 0)
    d.expire('\0lr', 0.05)
    const t0 = Date.now()
    expect(new LimitReq(d, 1, 0).incoming('k', true)).toEqual({ ok: true, value: { delay: 0, excess: 0 } })
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(40)
    expect(took).toBeLessThan(180)
    expect(d.get('\0lr')).toBe(0)
  })

  it('a lock entry that never expires (not ours) is waited for (3000 pauses of 50 µs), then ignored', () => {
    vi.useRealTimers()
    updateTime()
    const d = dict()
    d.incr('\0lr', 1, 0)
    const t0 = Date.now()
    expect(new LimitReq(d, 1, 0).uncommit('k')).toEqual({ ok: false, err: 'not found' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    const t1 = Date.now()
    expect(new LimitReq(d, 1, 0, { atomic: false }).incoming('k', true).ok).toBe(true) // no lock
    expect(Date.now() - t1).toBeLessThan(50)
    d.set('\0lr', 'x') // not a number: the lock cannot be taken, go on as upstream
    expect(new LimitReq(d, 1, 0).incoming('j', true).ok).toBe(true)
  })
})

describe('LimitCount', () => {
  it('counts down from the limit in a window that starts at the first hit; rejected hits count too', () => {
    const d = dict()
    const lim = new LimitCount(d, 2, 10)
    expect(lim.incoming('k')).toEqual({ ok: true, value: { delay: 0, remaining: 1 } })
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, remaining: 1 } })
    advance(5000)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, remaining: 0 } })
    expect(lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
    expect(d.get('k')).toBe(-1)
    expect(lim.incoming('k')).toEqual({ ok: false, err: 'rejected' })
    expect(lim.uncommit('k')).toEqual({ ok: true, value: 0 })
    advance(5000) // the window of the first hit is over
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, remaining: 1 } })
    const ttl = d.ttl('k')
    expect(ttl.ok && ttl.value).toBe(10)
  })

  it('uncommit of a missing key answers the limit; a non-number is an err', () => {
    const d = dict()
    const lim = new LimitCount(d, 7, 1)
    expect(lim.uncommit('k')).toEqual({ ok: true, value: 7 })
    d.set('s', 'x')
    expect(lim.incoming('s', true)).toEqual({ ok: false, err: 'not a number' })
    expect(lim.incoming('s')).toEqual({ ok: false, err: 'not a number' })
    expect(lim.uncommit('s')).toEqual({ ok: false, err: 'not a number' })
    expect(() => new LimitCount(d, 0, 1)).toThrow('bad "limit" argument')
  })
})

describe('LimitConn', () => {
  it('admits max at once, delays the burst by unitDelay·floor((conn−1)/max), rejects beyond', () => {
    const d = dict()
    const lim = new LimitConn(d, 2, 1, 0.5)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, conn: 1 } })
    expect(lim.isCommitted()).toBe(true)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, conn: 2 } })
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0.5, conn: 3 } })
    expect(lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
    expect(lim.isCommitted()).toBe(false)
    expect(d.get('k')).toBe(3)
    expect(lim.incoming('k')).toEqual({ ok: false, err: 'rejected' })
    expect(lim.leaving('k', 0.3)).toEqual({ ok: true, value: 2 })
    expect(lim.unitDelay).toBeCloseTo(0.4, 12)
    expect(lim.incoming('k')).toEqual({ ok: true, value: { delay: 0.4, conn: 3 } })
    expect(lim.isCommitted()).toBe(false)
    expect(lim.uncommit('k')).toEqual({ ok: true, value: 1 })
    expect(lim.leaving('k')).toEqual({ ok: true, value: 0 })
    expect(lim.unitDelay).toBeCloseTo(0.4, 12)
  })

  it('setConn / setBurst; errs of the dict pass through', () => {
    const d = dict()
    const lim = new LimitConn(d, 1, 0, 1)
    lim.incoming('k', true)
    expect(lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
    lim.setBurst(2)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 1, conn: 2 } })
    lim.setConn(4)
    expect(lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, conn: 3 } })
    expect(lim.leaving('missing')).toEqual({ ok: false, err: 'not found' })
    d.set('s', 'x')
    expect(lim.incoming('s', true)).toEqual({ ok: false, err: 'not a number' })
    expect(lim.incoming('s')).toEqual({ ok: false, err: 'not a number' })
    expect(lim.uncommit('missing')).toEqual({ ok: false, err: 'not found' })
    expect(() => new LimitConn(d, 1, 0, 0)).toThrow('bad "default_conn_delay" argument')
  })
})

describe('combine', () => {
  it('the largest delay; states get each limiter\'s state; a rejection commits nothing more', () => {
    const d = dict()
    const req = new LimitReq(d, 2, 1)
    const conn = new LimitConn(d, 1, 5, 0.25)
    const count = new LimitCount(d, 2, 60)
    const states: unknown[] = []
    expect(combine([req, conn, count], ['r', 'c', 'n'], states)).toEqual({ ok: true, value: 0 })
    expect(states).toEqual([{ delay: 0, excess: 0 }, { delay: 0, conn: 1 }, { delay: 0, remaining: 1 }])
    expect(combine([req, conn, count], ['r', 'c', 'n'], states)).toEqual({ ok: true, value: 0.5 })
    expect(states).toEqual([{ delay: 0.5, excess: 1 }, { delay: 0.25, conn: 2 }, { delay: 0, remaining: 0 }])
    // req rejects in the dry run: nothing is committed anywhere
    expect(combine([req, conn], ['r', 'c'])).toEqual({ ok: false, err: 'rejected' })
    expect(d.get('c')).toBe(2)
    // the last one (count) rejects: it counted down, the others are untouched
    advance(2000)
    expect(combine([conn, count], ['c', 'n'])).toEqual({ ok: false, err: 'rejected' })
    expect(d.get('c')).toBe(2)
  })

  it('a rejection while committing gives back what was committed', () => {
    const d = dict()
    const count = new LimitCount(d, 5, 60)
    const conn = new LimitConn(d, 1, 0, 1)
    // dry run passes, but another request takes the last connection before the commit
    const racing = {
      incoming(key: string, commit?: boolean) {
        if (commit === true) conn.incoming(key, true)
        return conn.incoming(key, commit)
      },
      uncommit: (key: string) => conn.uncommit(key),
    }
    expect(combine([racing, count], ['c', 'n'])).toEqual({ ok: false, err: 'rejected' })
    expect(d.get('n')).toBe(5) // the count committed last, then was given back
  })
})

describe('README', () => {
  it('the Errors table names every err string the limiters return', async () => {
    const { readFileSync } = await import('node:fs')
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const table = readme.slice(readme.indexOf('## Errors'), readme.indexOf('## Differences'))
    for (const err of ['rejected', 'shdict abused by other users', 'not found', 'not a number', 'no memory', 'shared dict not found']) {
      expect(table).toContain(err)
    }
  })
})
