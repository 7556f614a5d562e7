import { describe, expect, it, vi } from 'vitest'
import { checkZone, createZone, SharedDict, zoneBuffer, zoneHandle } from './shdict.ts'
import * as lock from './shdict-lock.ts'

// The wasm fast path of the zone lock: one instance per thread over every zone memory it opened.

describe('wasm zone lock', () => {
  it('takes and releases the lock word of the zone it is given, and no other', () => {
    const a = lock.sharedMemory(1)
    const b = lock.sharedMemory(1)
    if (a === undefined || b === undefined) throw new Error('no shared wasm memory')
    const ia = lock.lockIndexOf(a)
    const ib = lock.lockIndexOf(b)
    expect(lock.lockIndexOf(a)).toBe(ia) // known memories keep their index
    expect(ib).toBe(ia + 1)
    const wa = new Int32Array(a.buffer)
    const wb = new Int32Array(b.buffer)
    expect(lock.wasmLock(ib, 7)).toBe(0)
    expect([wa[0], wb[0]]).toEqual([0, 7])
    expect(lock.wasmLock(ib, 9)).toBe(7) // held: unchanged
    expect(wb[0]).toBe(7)
    expect(lock.wasmUnlock(ib, 0)).toBe(7)
    expect(wb[0]).toBe(0)
    expect(lock.wasmLock(ib + 1, 1)).toBe(-1) // no such zone
    expect(lock.wasmUnlock(-1, 0)).toBe(-1)
    expect(lock.isWasmMemory(a)).toBe(true)
    expect(lock.isWasmMemory(a.buffer)).toBe(false)
  })

  it('zones work on with JS Atomics when wasm cannot be used', () => {
    const WA = (globalThis as unknown as { WebAssembly: { Memory: unknown; Instance: unknown } }).WebAssembly
    const mem = vi.spyOn(WA, 'Memory' as never).mockImplementation(function () {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory')
    } as never)
    expect(lock.sharedMemory(1)).toBeUndefined()
    const plain = createZone('d', '64k') // falls back to a plain SharedArrayBuffer
    mem.mockRestore()
    expect(zoneHandle(plain)).toBe(plain) // no memory behind it
    const d = new SharedDict('d', plain)
    d.set('a', 1)
    expect(d.incr('a', 1)).toBe(2)
    const inst = vi.spyOn(WA, 'Instance' as never).mockImplementation(function () {
      throw new Error('no multi-memory')
    } as never)
    const zone = createZone('e', '64k')
    expect(lock.isWasmMemory(zoneHandle(zone))).toBe(true)
    expect(zoneBuffer(zoneHandle(zone))).toBe(zone)
    const e = new SharedDict('e', zoneHandle(zone)) // its index cannot be had: JS Atomics
    inst.mockRestore()
    e.set('x', 'y')
    expect(e.get('x')).toBe('y')
    expect(lock.lockIndexOf(lock.sharedMemory(1)!)).toBe(-1) // and so for every later zone
    expect(new Int32Array(zoneBuffer(zone))[0]).toBe(0)
    expect(checkZone(zone)).toEqual([])
    expect(checkZone(plain)).toEqual([])
  })
})
