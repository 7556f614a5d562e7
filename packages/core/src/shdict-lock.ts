// The zone lock's fast path in WebAssembly. V8 runs every JS `Atomics.*` call as an out-of-line
// builtin (about 9 ns each here), while a wasm `i32.atomic.rmw.cmpxchg` is the bare instruction
// behind a 2 ns call: taking and releasing a zone's lock costs 14 ns instead of 18. One instance
// per thread imports the memory of every zone this thread opened (multi-memory, one `br_table`
// to pick it), so that all zones share one call target and the call stays inlined. Zones that
// are plain SharedArrayBuffers, or a runtime without shared wasm memory, use JS Atomics.

/** A shared WebAssembly.Memory, as far as zones use it (the project's lib has no wasm types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
}
type WasmApi = {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> }
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly

/** A new shared wasm memory of `pages` 64 KiB pages, or undefined where there is none. */
export function sharedMemory(pages: number): WasmMemory | undefined {
  try {
    return WA === undefined ? undefined : new WA.Memory({ initial: pages, maximum: pages, shared: true })
  } catch {
    return undefined
  }
}

/** True for a wasm memory (a zone's), false for a plain SharedArrayBuffer and anything else. */
export function isWasmMemory(v: unknown): v is WasmMemory {
  return WA !== undefined && v instanceof WA.Memory
}

/** Takes the lock word (offset 0) of zone `index` for `owner` if it is 0; returns what it held. */
export type WasmLock = (index: number, owner: number) => number
/** Sets the lock word of zone `index` to 0; returns what it held. */
export type WasmUnlock = (index: number, _unused: number) => number

function leb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body]
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))]

/**
 * A module importing `n` shared memories ("z" "0" … "n-1") and exporting lock(index, owner) and
 * unlock(index, _): a br_table over the memories, then cmpxchg(0 → owner) or xchg(→ 0) of the
 * Int32 at address 0. An index out of range answers -1.
 */
function moduleFor(n: number): Uint8Array {
  const imports: number[] = [...leb(n)]
  for (let k = 0; k < n; k++) imports.push(...name('z'), ...name(String(k)), 0x02, 0x03, 0x00, ...leb(65536))
  /** Per memory k: i32.const 0 (the address), the operands, the atomic op on memory k, return. */
  const body = (operands: number[], op: number): number[] => {
    const code: number[] = [0x00] // no locals
    for (let k = 0; k <= n; k++) code.push(0x02, 0x40) // a block per memory, then the default's
    code.push(0x20, 0x00, 0x0e, ...leb(n)) // local.get 0; br_table 0 … n-1, default n
    for (let k = 0; k < n; k++) code.push(...leb(k))
    code.push(...leb(n))
    for (let k = 0; k < n; k++) {
      // end of block k; memarg: alignment 2 with the memory index flag (0x40), index k, offset 0
      code.push(0x0b, 0x41, 0x00, ...operands, 0xfe, op, 0x42, ...leb(k), 0x00, 0x0f)
    }
    code.push(0x0b, 0x41, 0x7f, 0x0b) // end of the default's block: i32.const -1; end
    return [...leb(code.length), ...code]
  }
  const lock = body([0x41, 0x00, 0x20, 0x01], 0x48) // i32.atomic.rmw.cmpxchg(0, owner)
  const unlock = body([0x41, 0x00], 0x41) // i32.atomic.rmw.xchg(0)
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f]),
    ...section(2, imports),
    ...section(3, [0x02, 0x00, 0x00]),
    ...section(7, [0x02, ...name('lock'), 0x00, 0x00, ...name('unlock'), 0x00, 0x01]),
    ...section(10, [0x02, ...lock, ...unlock]),
  ])
}

const memories: WasmMemory[] = []
const indexes = new WeakMap<WasmMemory, number>()
let usable = true

/** The current instance's functions; replaced (once per new zone in this thread) as zones come. */
export let wasmLock: WasmLock = () => -1
export let wasmUnlock: WasmUnlock = () => -1

/**
 * The index of `memory` for wasmLock/wasmUnlock in this thread, or -1 when the lock must use JS
 * Atomics (no shared wasm memory support, or too many zones for one instance).
 */
export function lockIndexOf(memory: WasmMemory): number {
  const known = indexes.get(memory)
  if (known !== undefined) return known
  if (WA === undefined || !usable || memories.length >= 1000) return -1
  try {
    const all = [...memories, memory]
    const imports: Record<string, WasmMemory> = {}
    all.forEach((m, k) => (imports[String(k)] = m))
    const inst = new WA.Instance(new WA.Module(moduleFor(all.length)), { z: imports })
    wasmLock = inst.exports['lock'] as WasmLock
    wasmUnlock = inst.exports['unlock'] as WasmUnlock
  } catch {
    usable = false
    return -1
  }
  memories.push(memory)
  indexes.set(memory, memories.length - 1)
  return memories.length - 1
}
