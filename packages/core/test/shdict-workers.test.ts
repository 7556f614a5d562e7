import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { checkZone, createZone, recoverZone, SharedDict, zoneBuffer, zoneHandle } from '../src/shdict.ts'
import type { ShdictZone } from '../src/shdict.ts'

// Real worker threads (node:worker_threads) on one zone: atomicity of every operation, and
// recovery when a thread dies while it holds the zone's lock in the middle of a mutation.

const WORKER = new URL('./fixtures/shdict-worker.ts', import.meta.url)

type Reply = { done: true; mismatches?: string[]; forcible?: number; listLen?: number; last?: number; monotonic?: boolean }
type Running = { worker: Worker; ownerId: number; reply: Promise<Reply>; exit: Promise<number> }

function start(zone: ShdictZone, ctl: SharedArrayBuffer, data: Record<string, unknown>): Running {
  const worker = new Worker(WORKER, { workerData: { zone, ctl, ...data } })
  const reply = new Promise<Reply>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  reply.catch(() => {}) // a terminated worker never answers
  const exit = new Promise<number>((resolve) => worker.once('exit', resolve))
  return { worker, ownerId: worker.threadId + 1, reply, exit }
}

async function go(ctl: SharedArrayBuffer, n: number): Promise<void> {
  const c = new Int32Array(ctl)
  const deadline = Date.now() + 15_000
  while (Atomics.load(c, 2) < n) {
    if (Date.now() > deadline) throw new Error('workers did not start')
    await new Promise((r) => setTimeout(r, 5))
  }
  Atomics.store(c, 0, 1)
  Atomics.notify(c, 0)
}

async function stalled(ctl: SharedArrayBuffer): Promise<void> {
  const c = new Int32Array(ctl)
  const deadline = Date.now() + 15_000
  while (Atomics.load(c, 1) === 0) {
    if (Date.now() > deadline) throw new Error('the victim never stalled')
    await new Promise((r) => setTimeout(r, 2))
  }
}

describe('shared dict across worker threads', () => {
  it('4 threads × 20000 incr of one key give exactly 80000', async () => {
    const zone = createZone('d', '1m')
    const ctl = new SharedArrayBuffer(16)
    const ws = Array.from({ length: 4 }, (_, i) => start(zoneHandle(zone), ctl, { role: 'incr', id: `w${i}`, count: 20_000 }))
    await go(ctl, 4)
    const replies = await Promise.all(ws.map((w) => w.reply))
    await Promise.all(ws.map((w) => w.exit))
    expect(new SharedDict('d', zone).get('counter')).toBe(80_000)
    expect(replies.every((r) => r.monotonic === true)).toBe(true) // each thread saw its values grow
    expect(Math.max(...replies.map((r) => r.last ?? 0))).toBe(80_000)
    expect(checkZone(zone)).toEqual([])
  })

  it('threads locking with wasm atomics and with JS Atomics exclude each other', async () => {
    const zone = createZone('d', '1m')
    const ctl = new SharedArrayBuffer(16)
    // two threads get the zone's memory (wasm lock), two only its SharedArrayBuffer (JS Atomics)
    const handle = zoneHandle(zone)
    expect(handle).not.toBe(zone)
    const ws = [handle, handle, zone, zoneBuffer(handle)].map((z, i) => start(z, ctl, { role: 'incr', id: `w${i}`, count: 20_000 }))
    await go(ctl, 4)
    await Promise.all(ws.map((w) => w.reply))
    await Promise.all(ws.map((w) => w.exit))
    expect(new SharedDict('d', zone).get('counter')).toBe(80_000)
    expect(checkZone(zone)).toEqual([])
  })

  it.each(['writeBytes', 'linkHead', 'allocChain', 'unlinkLru'] as const)(
    'a thread killed inside a mutation (%s) with the lock held is recovered; the others finish exact',
    async (stall) => {
      const zone = createZone('d', '8m')
      const ctl = new SharedArrayBuffer(16)
      const survivors = ['a', 'b'].map((id) => start(zoneHandle(zone), ctl, { role: 'storm', id, count: 3000 }))
      const victim = start(zoneHandle(zone), ctl, { role: 'storm', id: 'v', count: 0, stall })
      await go(ctl, 3)
      await stalled(ctl)
      const i32 = new Int32Array(zoneBuffer(zone))
      expect(Atomics.load(i32, 0) & 0x3fffffff).toBe(victim.ownerId) // it holds the lock
      await victim.worker.terminate()
      await victim.exit
      expect(recoverZone(zone, victim.ownerId)).toBe(true)
      const replies = await Promise.all(survivors.map((w) => w.reply))
      await Promise.all(survivors.map((w) => w.exit))
      for (const r of replies) {
        expect(r.mismatches).toEqual([])
        expect(r.forcible).toBe(0)
      }
      expect(checkZone(zone)).toEqual([])
      const d = new SharedDict('d', zone)
      expect(d.get('a:c')).toBe(3000)
      expect(d.get('b:c')).toBe(3000)
      expect(d.get('v:stalled')).toBeUndefined() // never committed
      expect(d.get('v:c')).toBe(stall === 'unlinkLru' ? undefined : 50) // unlinkLru stalled mid-removal
      expect(d.llen('v:l')).toEqual({ ok: true, value: 50 })
    },
  )

  it('a storm of set/incr/lpush from 3 threads, one terminated at different moments', async () => {
    for (const delay of [1, 8, 25, 60]) {
      const zone = createZone('d', '8m')
      const ctl = new SharedArrayBuffer(16)
      const survivors = ['a', 'b'].map((id) => start(zoneHandle(zone), ctl, { role: 'storm', id, count: 4000 }))
      const victim = start(zoneHandle(zone), ctl, { role: 'storm', id: 'v', count: 1_000_000, bigValues: true })
      await go(ctl, 3)
      await new Promise((r) => setTimeout(r, delay))
      await victim.worker.terminate()
      await victim.exit
      recoverZone(zone, victim.ownerId) // repairs only if the kill landed inside an operation
      const replies = await Promise.all(survivors.map((w) => w.reply))
      await Promise.all(survivors.map((w) => w.exit))
      for (const r of replies) {
        expect(r.mismatches, `delay ${delay}`).toEqual([])
        expect(r.forcible).toBe(0)
      }
      expect(checkZone(zone), `delay ${delay}`).toEqual([])
      const d = new SharedDict('d', zone)
      expect(d.get('a:c')).toBe(4000)
      expect(d.get('b:c')).toBe(4000)
      // the victim's own keys are whole values or absent, never torn
      for (let i = 0; i < 20; i++) {
        const v = d.get(`v:s${i}`)
        if (typeof v === 'string') expect(v.startsWith('B') || /^\d+:x*$/.test(v)).toBe(true)
      }
    }
  })
})
