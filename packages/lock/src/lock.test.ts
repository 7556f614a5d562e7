// resty.lock's documented behaviour on a shared dict of this thread: the back-off, elapsed as
// the sum of the sleeps, and the err strings.
import { describe, expect, it } from 'vitest'
import { createZone, SharedDict } from '@nresty/core'
import { Lock } from './lock.ts'

const dict = (): SharedDict => new SharedDict('locks', createZone('locks', '64k'))

describe('Lock', () => {
  it('TEST 1: lock and unlock; the entry is true with exptime to live', async () => {
    const d = dict()
    const lock = new Lock(d)
    expect(await lock.lock('foo')).toEqual({ ok: true, value: 0 })
    expect(lock.key).toBe('foo')
    expect(d.get('foo')).toBe(true)
    const ttl = d.ttl('foo')
    expect(ttl.ok && ttl.value > 29.9 && ttl.value <= 30).toBe(true)
    expect(lock.unlock()).toEqual({ ok: true, value: 1 })
    expect(d.get('foo')).toBeUndefined()
    expect(lock.unlock()).toEqual({ ok: false, err: 'unlocked' })
  })

  it('a second lock waits with back-off 1, 2, 4, … ms capped by the remaining timeout, then times out', async () => {
    const d = dict()
    const a = new Lock(d)
    const b = new Lock(d, { timeout: 0.05 })
    await a.lock('k')
    const r = await b.lock('k')
    expect(r).toEqual({ ok: false, err: 'timeout' })
    expect(b.key).toBeUndefined()
  })

  it('elapsed is the sum of the sleeps when the holder lets go', async () => {
    const d = dict()
    const a = new Lock(d)
    const b = new Lock(d, { step: 0.01, ratio: 2, maxStep: 0.5 })
    await a.lock('k')
    setTimeout(() => a.unlock(), 45) // sleeps 10, 20 (=30 ms), then 40: the lock is free at 70
    const r = await b.lock('k')
    expect(r.ok && r.value).toBeCloseTo(0.07, 10)
  })

  it('maxStep caps each sleep; timeout is capped by exptime', async () => {
    const d = dict()
    const a = new Lock(d)
    await a.lock('k')
    const b = new Lock(d, { step: 0.02, ratio: 10, maxStep: 0.03, timeout: 1, exptime: 0.09 })
    const started = Date.now()
    expect(await b.lock('k')).toEqual({ ok: false, err: 'timeout' }) // 20 + 30 + 30 + 10 ms = exptime
    expect(Date.now() - started).toBeLessThan(600)
  })

  it('timeout 0 tries once', async () => {
    const d = dict()
    await new Lock(d).lock('k')
    expect(await new Lock(d, { timeout: 0 }).lock('k')).toEqual({ ok: false, err: 'timeout' })
  })

  it('errs: locked (this object holds a lock), nil key, empty key', async () => {
    const lock = new Lock(dict())
    expect(await lock.lock(undefined)).toEqual({ ok: false, err: 'nil key' })
    expect(await lock.lock(null)).toEqual({ ok: false, err: 'nil key' })
    expect(await lock.lock('')).toEqual({ ok: false, err: 'empty key' })
    await lock.lock('a')
    expect(await lock.lock('b')).toEqual({ ok: false, err: 'locked' })
  })

  it('expire: true while held, not found once the entry is gone, unlocked when none is held', async () => {
    const d = dict()
    const lock = new Lock(d, { exptime: 5 })
    expect(lock.expire()).toEqual({ ok: false, err: 'unlocked' })
    await lock.lock('k')
    expect(lock.expire(100)).toEqual({ ok: true, value: true })
    const ttl = d.ttl('k')
    expect(ttl.ok && ttl.value > 99).toBe(true)
    expect(lock.expire()).toEqual({ ok: true, value: true })
    const ttl2 = d.ttl('k')
    expect(ttl2.ok && ttl2.value <= 5).toBe(true)
    d.delete('k')
    expect(lock.expire()).toEqual({ ok: false, err: 'not found' })
  })

  it('bad options and a missing dict throw', () => {
    expect(() => new Lock(undefined as unknown as SharedDict)).toThrow('dictionary not found')
    expect(() => new Lock(dict(), { timeout: -1 })).toThrow('bad "timeout" option')
  })
})

describe('README', () => {
  it('the Errors table names every err string', async () => {
    const { readFileSync } = await import('node:fs')
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const table = readme.slice(readme.indexOf('## Errors'), readme.indexOf('## Differences'))
    for (const err of ['timeout', 'locked', 'nil key', 'unlocked', 'not found', 'no memory', 'dictionary not found']) expect(table).toContain(err)
  })
})
