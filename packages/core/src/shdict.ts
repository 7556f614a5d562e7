// ngx.shared.DICT: a shared dictionary over a zone (shdict-zone.ts) that every thread holding
// the zone's SharedArrayBuffer can use. ngx_lua's semantics and err strings; misuse throws.
// The hot calls allocate nothing: get() returns the value itself, set() and friends return
// shared frozen results, incr() returns the number. See shdict.md.
import { argError, ConfError } from './errors.ts'
import type { Fail, Result } from './result.ts'
import { isWasmMemory, lockIndexOf, sharedMemory } from './shdict-lock.ts'
import type { WasmMemory } from './shdict-lock.ts'
import { rebuildZone, checkZoneProblems, recoverZoneLock } from './shdict-repair.ts'
import { formatZone, hashBytes, isZone, keyBuffer, Zone, ZONE } from './shdict-zone.ts'
import { parseSize } from './units.ts'

const {
  CHUNK,
  HASH_MASK,
  FNV_OFFSET,
  FNV_PRIME,
  H_FREE_COUNT,
  HF_CAPACITY,
  MAX_KEY_LEN,
  MIN_ZONE,
  MAX_ZONE,
  OP_ADD,
  OP_REPLACE,
  OP_SET,
  OWNER_ID,
  ST_EXISTS,
  ST_IS_LIST,
  ST_MISSING,
  ST_NOT_LIST,
  ST_NOT_NUMBER,
  ST_OK,
  T_BOOL,
  T_NUM,
  T_STR,
} = ZONE

/** A key: a string (stored as its UTF-8 bytes) or bytes. */
export type ShdictKey = string | Uint8Array
/** What a value can be; `S` is string, or Uint8Array for a dict opened with `{ bytes: true }`. */
export type ShdictValue<S extends string | Uint8Array = string> = number | boolean | S
export type ShdictKeyErr = 'nil key' | 'empty key' | 'key too long'
export type ShdictSetErr = ShdictKeyErr | 'no memory' | 'exists' | 'not found' | 'attempt to add or replace nil values'
export type ShdictGetErr = ShdictKeyErr | 'value is a list'
export type ShdictIncrErr = ShdictKeyErr | 'not found' | 'not a number' | 'no memory'
export type ShdictListErr = ShdictKeyErr | 'value not a list'
export type ShdictPushErr = ShdictListErr | 'no memory'
export type ShdictTtlErr = ShdictKeyErr | 'not found'

/** set/add/replace/delete: `forcible` tells that unexpired entries were evicted to make room. */
export type SharedDictSetResult =
  | { readonly ok: true; readonly forcible: boolean }
  | { readonly ok: false; readonly err: ShdictSetErr; readonly forcible: boolean }
/** getWithFlags: `value` is undefined for a missing or expired key. */
export type SharedDictGetResult<S extends string | Uint8Array = string> =
  | { readonly ok: true; readonly value: ShdictValue<S> | undefined; readonly flags: number }
  | Fail<ShdictGetErr>
/** getStale: also the value of an expired key that is still there, with `stale: true`. */
export type SharedDictStaleResult<S extends string | Uint8Array = string> =
  | { readonly ok: true; readonly value: ShdictValue<S> | undefined; readonly flags: number; readonly stale: boolean }
  | Fail<ShdictGetErr>
export type SharedDictIncrResult =
  | { readonly ok: true; readonly value: number; readonly forcible: boolean }
  | { readonly ok: false; readonly err: ShdictIncrErr; readonly forcible: boolean }

export type SharedDictOptions = {
  /** Return string values, list elements and keys as Uint8Array (what the Lua bridge wants). */
  readonly bytes?: boolean
}

const frozen = <T extends object>(o: T): T => Object.freeze(o)
const SET_OK = frozen({ ok: true, forcible: false } as const)
const SET_OK_FORCIBLE = frozen({ ok: true, forcible: true } as const)
const setFail = (err: ShdictSetErr, forcible = false): SharedDictSetResult => frozen({ ok: false, err, forcible })
const SET_EXISTS = setFail('exists')
const SET_NOT_FOUND = setFail('not found')
const SET_NO_MEMORY = setFail('no memory')
const SET_NO_MEMORY_FORCIBLE = setFail('no memory', true)
const SET_NIL_VALUE = setFail('attempt to add or replace nil values')

// Key check results: 0 = usable, else the err (index into KEY_ERRS).
const KEY_OK = 0
const KEY_ERRS: readonly ShdictKeyErr[] = ['nil key', 'nil key', 'empty key', 'key too long']
const KEY_NIL = 1
const KEY_EMPTY = 2
const KEY_LONG = 3
const SET_KEY_FAILS: readonly SharedDictSetResult[] = KEY_ERRS.map((e) => setFail(e))
const KEY_FAILS: readonly Fail<ShdictKeyErr>[] = KEY_ERRS.map((err) => frozen({ ok: false, err }))
const INCR_KEY_FAILS: readonly SharedDictIncrResult[] = KEY_ERRS.map((err) => frozen({ ok: false, err, forcible: false }))
const FAIL_IS_LIST: Fail<'value is a list'> = frozen({ ok: false, err: 'value is a list' })
const FAIL_NOT_LIST: Fail<'value not a list'> = frozen({ ok: false, err: 'value not a list' })
const FAIL_NOT_FOUND: Fail<'not found'> = frozen({ ok: false, err: 'not found' })
const FAIL_NO_MEMORY: Fail<'no memory'> = frozen({ ok: false, err: 'no memory' })
const INCR_NOT_FOUND: SharedDictIncrResult = frozen({ ok: false, err: 'not found', forcible: false })
const INCR_NOT_NUMBER: SharedDictIncrResult = frozen({ ok: false, err: 'not a number', forcible: false })
const OK_TRUE: Result<true, never> = frozen({ ok: true, value: true })
const OK_UNDEFINED = frozen({ ok: true, value: undefined } as const)
const GET_MISSING = frozen({ ok: true, value: undefined, flags: 0 } as const)
const STALE_MISSING = frozen({ ok: true, value: undefined, flags: 0, stale: false } as const)

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const keyScratch = keyBuffer()

/** Loads the key registers of `z`; KEY_OK or the err's index. Throws for a non-key. */
function prepKey(z: Zone, key: unknown): number {
  if (typeof key === 'string' && key.length !== 0 && key.length <= MAX_KEY_LEN) {
    // (kept small: it is inlined into every operation)
    const n = key.length
    const buf = keyScratch
    let h = FNV_OFFSET
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i)
      if (c >= 0x80) return prepUtf8Key(z, key)
      buf[i] = c
      h = Math.imul(h ^ c, FNV_PRIME)
    }
    z.kLen = n
    z.kHash = h & HASH_MASK
    return KEY_OK
  }
  return prepOtherKey(z, key)
}

/** A key string with non-ASCII characters: its UTF-8 bytes. */
function prepUtf8Key(z: Zone, key: string): number {
  const len = encoder.encodeInto(key, keyScratch).written
  if (len > MAX_KEY_LEN) return KEY_LONG
  z.kLen = len
  z.kHash = hashBytes(keyScratch, len)
  return KEY_OK
}

function prepOtherKey(z: Zone, key: unknown): number {
  if (typeof key === 'string') return key.length === 0 ? KEY_EMPTY : KEY_LONG
  if (key instanceof Uint8Array) {
    const n = key.length
    if (n === 0) return KEY_EMPTY
    if (n > MAX_KEY_LEN) return KEY_LONG
    const buf = keyScratch
    let h = FNV_OFFSET
    for (let i = 0; i < n; i++) {
      const c = key[i] as number
      buf[i] = c
      h = Math.imul(h ^ c, FNV_PRIME)
    }
    z.kLen = n
    z.kHash = h & HASH_MASK
    return KEY_OK
  }
  if (key === undefined || key === null) return KEY_NIL
  throw argError(`bad "key" argument: string or Uint8Array expected, got ${typeName(key)}`)
}

/** Loads a string value into the v* registers (ASCII strings are written from their codes). */
function prepString(z: Zone, s: string): void {
  const n = s.length
  if (n <= 256) {
    let i = 0
    while (i < n && s.charCodeAt(i) < 0x80) i++
    if (i === n) {
      z.vIsStr = true
      z.vStr = s
      z.vLen = n
      return
    }
  }
  const b = encoder.encode(s)
  z.vIsStr = false
  z.vBytes = b
  z.vLen = b.length
}

function typeName(v: unknown): string {
  return v === null ? 'null' : typeof v
}

/** Seconds (float) to whole ms as ngx_lua converts them (0 = never; negative throws). */
function exptimeMs(exptime: unknown, name = 'exptime'): number {
  if (exptime === undefined) return 0
  if (typeof exptime !== 'number') throw argError(`bad "${name}" argument: number expected, got ${typeName(exptime)}`)
  if (!(exptime >= 0)) throw argError(`bad "${name}" argument`)
  const ms = Math.trunc(exptime * 1000)
  return ms === Infinity ? 0 : ms
}

/** ngx_lua keeps flags in a C int: truncated, and INT_MIN when out of range (LuaJIT's conversion). */
function toFlags(flags: unknown): number {
  if (flags === undefined) return 0
  if (typeof flags !== 'number') throw argError(`bad "flags" argument: number expected, got ${typeName(flags)}`)
  return flags > -2147483649 && flags < 2147483648 ? Math.trunc(flags) | 0 : -2147483648
}

/** A count argument of get_keys / flush_expired: truncated; 0 or less means all. */
function toMax(max: unknown, dflt: number, name: string): number {
  if (max === undefined) return dflt
  if (typeof max !== 'number') throw argError(`bad "${name}" argument: number expected, got ${typeName(max)}`)
  const n = Math.trunc(max)
  return n > 0 ? n : 0
}

function incrValueError(value: unknown): Error {
  return argError(`bad "value" argument: number expected, got ${typeName(value)}`)
}

/** incr's init / init_ttl checks (ngx_lua's words); init_ttl in ms. */
function incrTtl(init: unknown, initTtl: unknown): number {
  if (init !== undefined && typeof init !== 'number') throw argError(`bad init arg: number expected, got ${typeName(init)}`)
  if (initTtl === undefined) return 0
  if (typeof initTtl !== 'number') throw argError(`bad init_ttl arg: number expected, got ${typeName(initTtl)}`)
  if (!(initTtl >= 0)) throw argError('bad "init_ttl" argument')
  if (init === undefined) throw argError('must provide "init" when providing "init_ttl"')
  return exptimeMs(initTtl, 'init_ttl')
}

/** Repairs the zone after an exception inside an operation, releases the lock, and hands `e` back. */
function failedInside(z: Zone, e: unknown): unknown {
  try {
    rebuildZone(z)
  } finally {
    z.unlock()
  }
  return e
}

/**
 * A zone as threads hold it: its SharedArrayBuffer, or the shared WebAssembly.Memory behind it
 * (`zoneHandle`), with which the lock runs as wasm atomics (shdict-lock.ts; 4 ns less per
 * operation than JS Atomics).
 */
export type ShdictZone = WasmMemory | SharedArrayBuffer
export type { WasmMemory }

/** Memories behind the buffers createZone made in this thread. */
const handles = new WeakMap<SharedArrayBuffer, WasmMemory>()

/** The SharedArrayBuffer holding a zone. */
export function zoneBuffer(zone: ShdictZone): SharedArrayBuffer {
  return isWasmMemory(zone) ? (zone.buffer as SharedArrayBuffer) : (zone as SharedArrayBuffer)
}

/**
 * What to hand to other threads for a zone made by createZone in this thread: the shared
 * WebAssembly.Memory behind its buffer (workers opening it get the fast lock), or the buffer
 * itself when there is none.
 */
export function zoneHandle(zone: ShdictZone): ShdictZone {
  return isWasmMemory(zone) ? zone : (handles.get(zone as SharedArrayBuffer) ?? zone)
}

/**
 * Creates a zone of the declared size (nginx syntax: `'10m'`, `'64k'`, or bytes), as
 * `lua_shared_dict name size` does, and returns its SharedArrayBuffer (the buffer of a shared
 * WebAssembly.Memory where the runtime has them). Hand `zoneHandle(zone)` to workers
 * (workerData, postMessage) and open it there with `new SharedDict(name, handle)`; the buffer
 * itself works too, with JS Atomics for the lock.
 *
 * @example
 * const zone = createZone('cache', '10m')
 * const dict = new SharedDict('cache', zone)
 * new Worker(url, { workerData: { cache: zoneHandle(zone) } })
 */
export function createZone(name: string, size: number | string): SharedArrayBuffer {
  if (typeof name !== 'string' || name === '') throw argError('bad "name" argument: a non-empty string expected')
  let bytes: number
  try {
    bytes = parseSize(size)
  } catch {
    throw new ConfError(`invalid lua shared dict size "${size}"`)
  }
  if (bytes < MIN_ZONE) throw new ConfError(`invalid lua shared dict size "${size}"`)
  if (bytes > MAX_ZONE) throw new ConfError(`lua shared dict size "${size}" is too large (at most 2047m here)`)
  const memory = sharedMemory(Math.ceil(bytes / 65536))
  const sab = memory === undefined ? new SharedArrayBuffer(Math.floor(bytes / CHUNK) * CHUNK) : (memory.buffer as SharedArrayBuffer)
  if (memory !== undefined) handles.set(sab, memory)
  formatZone(sab, bytes)
  return sab
}

/**
 * Called by the master when a worker thread exited: if that thread (owner id `threadId + 1`)
 * held the zone's lock, repairs the zone and releases the lock. True when it did.
 */
export function recoverZone(zone: ShdictZone, deadOwnerId: number): boolean {
  return recoverZoneLock(zoneBuffer(zone), deadOwnerId)
}

/** Walks the whole zone (index, LRU, lists, free list, counts); the problems found, [] if none. */
export function checkZone(zone: ShdictZone): string[] {
  return checkZoneProblems(zoneBuffer(zone))
}

/** The lock owner id of this thread (`threadId + 1`; the main thread is 1). */
export function shdictOwnerId(): number {
  return OWNER_ID
}

/**
 * ngx.shared.DICT over a zone made by createZone(). Every method is atomic across threads.
 *
 * @example
 * const dict = new SharedDict('cache', createZone('cache', '1m'))
 * dict.set('hits', 0)
 * dict.incr('hits', 1) // 1
 */
export class SharedDict<S extends string | Uint8Array = string> {
  readonly name: string
  /** The zone this dict was opened on, to hand to another thread. */
  readonly zone: ShdictZone
  readonly #z: Zone
  readonly #bytes: boolean

  constructor(name: string, zone: ShdictZone, options?: SharedDictOptions) {
    const memory = isWasmMemory(zone) ? zone : handles.get(zone as SharedArrayBuffer)
    const sab = memory === undefined ? zone : memory.buffer
    if (!isZone(sab)) throw argError('bad "zone" argument')
    this.name = name
    this.zone = zone
    this.#z = new Zone(sab, memory === undefined ? -1 : lockIndexOf(memory))
    this.#bytes = options?.bytes === true
  }

  /** The string in the zone's out registers, as S. */
  #str(): S {
    const z = this.#z
    const n = z.outLen
    if (this.#bytes) return z.outBuf.slice(0, n) as S
    const b = z.outBuf
    if (n <= 16) {
      let s = ''
      for (let i = 0; i < n; i++) {
        const c = b[i] as number
        if (c >= 0x80) return decoder.decode(b.subarray(0, n)) as S
        s += String.fromCharCode(c)
      }
      return s as S
    }
    return decoder.decode(b.subarray(0, n)) as S
  }

  #outValue(): ShdictValue<S> {
    const z = this.#z
    const t = z.outType
    if (t === T_NUM) return z.outNum
    if (t === T_BOOL) return z.outNum !== 0
    return this.#str()
  }

  /**
   * ngx.shared.DICT.get: the value, or undefined when the key is missing or expired. Errors
   * (a bad key, a list) also give undefined, as they give nil in Lua; getWithFlags tells them.
   */
  get(key: ShdictKey | null | undefined): ShdictValue<S> | undefined {
    const z = this.#z
    if (prepKey(z, key) !== KEY_OK) return undefined
    z.lock()
    let st: number
    try {
      st = z.getCore(false)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    if (st !== ST_OK) return undefined
    const t = z.outType
    if (t === T_NUM) return z.outNum
    if (t === T_BOOL) return z.outNum !== 0
    return this.#str()
  }

  /** get() that returns a string value as bytes. */
  getBytes(key: ShdictKey | null | undefined): number | boolean | Uint8Array | undefined {
    const z = this.#z
    if (prepKey(z, key) !== KEY_OK) return undefined
    z.lock()
    let st: number
    try {
      st = z.getCore(false)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    if (st !== ST_OK) return undefined
    const t = z.outType
    if (t === T_NUM) return z.outNum
    if (t === T_BOOL) return z.outNum !== 0
    return z.outBuf.slice(0, z.outLen)
  }

  /** ngx.shared.DICT.get with its flags and err: `{ ok: true, value, flags }` or `{ ok: false, err }`. */
  getWithFlags(key: ShdictKey | null | undefined): SharedDictGetResult<S> {
    const st = this.#get(key, false)
    if (st < 0) return KEY_FAILS[-st] as Fail<ShdictKeyErr>
    if (st === ST_MISSING) return GET_MISSING
    if (st === ST_IS_LIST) return FAIL_IS_LIST
    return { ok: true, value: this.#outValue(), flags: this.#z.outFlags }
  }

  /** ngx.shared.DICT.get_stale: `{ ok: true, value, flags, stale }` or `{ ok: false, err }`. */
  getStale(key: ShdictKey | null | undefined): SharedDictStaleResult<S> {
    const st = this.#get(key, true)
    if (st < 0) return KEY_FAILS[-st] as Fail<ShdictKeyErr>
    if (st === ST_MISSING) return STALE_MISSING
    if (st === ST_IS_LIST) return FAIL_IS_LIST
    const z = this.#z
    return { ok: true, value: this.#outValue(), flags: z.outFlags, stale: z.outStale }
  }

  #get(key: unknown, stale: boolean): number {
    const z = this.#z
    const k = prepKey(z, key)
    if (k !== KEY_OK) return -k
    z.lock()
    let st: number
    try {
      st = z.getCore(stale)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    return st
  }

  /**
   * ngx.shared.DICT.set: stores the value (undefined/null deletes the key), evicting least
   * recently used entries when the zone is full. `exptime` in seconds (0 = never), `flags` an
   * int32.
   */
  set(key: ShdictKey | null | undefined, value: ShdictValue<string | Uint8Array> | null | undefined, exptime?: number, flags?: number): SharedDictSetResult {
    return this.#store(OP_SET, false, key, value, exptime, flags)
  }

  /** ngx.shared.DICT.safe_set: set() that answers `no memory` instead of evicting. */
  safeSet(key: ShdictKey | null | undefined, value: ShdictValue<string | Uint8Array> | null | undefined, exptime?: number, flags?: number): SharedDictSetResult {
    return this.#store(OP_SET, true, key, value, exptime, flags)
  }

  /** ngx.shared.DICT.add: set() only when the key is missing or expired, else `exists`. */
  add(key: ShdictKey | null | undefined, value: ShdictValue<string | Uint8Array> | null | undefined, exptime?: number, flags?: number): SharedDictSetResult {
    return this.#store(OP_ADD, false, key, value, exptime, flags)
  }

  /** ngx.shared.DICT.safe_add: add() without eviction. */
  safeAdd(key: ShdictKey | null | undefined, value: ShdictValue<string | Uint8Array> | null | undefined, exptime?: number, flags?: number): SharedDictSetResult {
    return this.#store(OP_ADD, true, key, value, exptime, flags)
  }

  /** ngx.shared.DICT.replace: set() only when the key is there and unexpired, else `not found`. */
  replace(key: ShdictKey | null | undefined, value: ShdictValue<string | Uint8Array> | null | undefined, exptime?: number, flags?: number): SharedDictSetResult {
    return this.#store(OP_REPLACE, false, key, value, exptime, flags)
  }

  /** ngx.shared.DICT.delete: set(key, nil). */
  delete(key: ShdictKey | null | undefined): SharedDictSetResult {
    return this.#store(OP_SET, false, key, undefined, undefined, undefined)
  }

  #store(op: number, safe: boolean, key: unknown, value: unknown, exptime: unknown, flags: unknown): SharedDictSetResult {
    const ms = exptimeMs(exptime)
    const fl = toFlags(flags)
    const z = this.#z
    const k = prepKey(z, key)
    let type: number
    let num = 0
    if (typeof value === 'number') {
      type = T_NUM
      num = value
    } else if (typeof value === 'string') {
      type = T_STR
      prepString(z, value)
    } else if (typeof value === 'boolean') {
      type = T_BOOL
      num = value ? 1 : 0
    } else if (value instanceof Uint8Array) {
      type = T_STR
      z.vIsStr = false
      z.vBytes = value
      z.vLen = value.length
    } else if (value === undefined || value === null) {
      type = 0
    } else {
      throw argError('bad value type')
    }
    if (k !== KEY_OK) return SET_KEY_FAILS[k] as SharedDictSetResult
    if (type === 0 && op !== OP_SET) return SET_NIL_VALUE
    z.lock()
    let st: number
    try {
      st = type === 0 ? z.deleteCore() : z.storeCore(op, safe, type, num, ms, fl)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    if (st === ST_OK) return z.outForcible ? SET_OK_FORCIBLE : SET_OK
    if (st === ST_EXISTS) return SET_EXISTS
    if (st === ST_MISSING) return SET_NOT_FOUND
    return z.outForcible ? SET_NO_MEMORY_FORCIBLE : SET_NO_MEMORY
  }

  /**
   * ngx.shared.DICT.incr: the new value, or undefined (`not found`, `not a number`, a bad key,
   * `no memory`); incrWithResult tells which, and `forcible`. A missing or expired key is
   * created as `init + value` (with `initTtl` seconds to live) when `init` is given.
   */
  incr(key: ShdictKey | null | undefined, value: number, init?: number, initTtl?: number): number | undefined {
    return this.#incr(key, value, init, initTtl) === ST_OK ? this.#z.outNum : undefined
  }

  /** incr() as `{ ok: true, value, forcible }` or `{ ok: false, err, forcible }`. */
  incrWithResult(key: ShdictKey | null | undefined, value: number, init?: number, initTtl?: number): SharedDictIncrResult {
    const st = this.#incr(key, value, init, initTtl)
    const z = this.#z
    if (st < 0) return INCR_KEY_FAILS[-st] as SharedDictIncrResult
    if (st === ST_OK) return { ok: true, value: z.outNum, forcible: z.outForcible }
    if (st === ST_MISSING) return INCR_NOT_FOUND
    if (st === ST_NOT_NUMBER) return INCR_NOT_NUMBER
    return { ok: false, err: 'no memory', forcible: z.outForcible }
  }

  /** incr's work: a status, or minus the key err's index. */
  #incr(key: unknown, value: unknown, init: number | undefined, initTtl: unknown): number {
    if (typeof value !== 'number') throw incrValueError(value)
    const ttl = initTtl === undefined && (init === undefined || typeof init === 'number') ? 0 : incrTtl(init, initTtl)
    const z = this.#z
    const k = prepKey(z, key)
    if (k !== KEY_OK) return -k
    z.lock()
    let st: number
    try {
      st = z.incrCore(value, init !== undefined, init === undefined ? 0 : init, ttl)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    return st
  }

  /** ngx.shared.DICT.lpush: the list's new length. Lists are never evicted for: `no memory`. */
  lpush(key: ShdictKey | null | undefined, value: number | string | Uint8Array): Result<number, ShdictPushErr> {
    return this.#push(true, key, value)
  }

  /** ngx.shared.DICT.rpush. */
  rpush(key: ShdictKey | null | undefined, value: number | string | Uint8Array): Result<number, ShdictPushErr> {
    return this.#push(false, key, value)
  }

  #push(left: boolean, key: unknown, value: unknown): Result<number, ShdictPushErr> {
    const z = this.#z
    const k = prepKey(z, key)
    let type: number
    let num = 0
    if (typeof value === 'number') {
      type = T_NUM
      num = value
    } else if (typeof value === 'string') {
      type = T_STR
      prepString(z, value)
    } else if (value instanceof Uint8Array) {
      type = T_STR
      z.vIsStr = false
      z.vBytes = value
      z.vLen = value.length
    } else {
      throw argError('bad value type')
    }
    if (k !== KEY_OK) return KEY_FAILS[k] as Fail<ShdictKeyErr>
    z.lock()
    let st: number
    try {
      st = z.pushCore(left, type, num)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    if (st === ST_OK) return { ok: true, value: z.outNum }
    return st === ST_NOT_LIST ? FAIL_NOT_LIST : FAIL_NO_MEMORY
  }

  /** ngx.shared.DICT.lpop: the first element, undefined when the list is missing or expired. */
  lpop(key: ShdictKey | null | undefined): Result<number | S | undefined, ShdictListErr> {
    return this.#pop(true, key)
  }

  /** ngx.shared.DICT.rpop. */
  rpop(key: ShdictKey | null | undefined): Result<number | S | undefined, ShdictListErr> {
    return this.#pop(false, key)
  }

  #pop(left: boolean, key: unknown): Result<number | S | undefined, ShdictListErr> {
    const z = this.#z
    const k = prepKey(z, key)
    if (k !== KEY_OK) return KEY_FAILS[k] as Fail<ShdictKeyErr>
    z.lock()
    let st: number
    try {
      st = z.popCore(left)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    if (st === ST_MISSING) return OK_UNDEFINED
    if (st === ST_NOT_LIST) return FAIL_NOT_LIST
    return { ok: true, value: z.outType === T_NUM ? z.outNum : this.#str() }
  }

  /** ngx.shared.DICT.llen: the list's length, 0 when missing or expired. */
  llen(key: ShdictKey | null | undefined): Result<number, ShdictListErr> {
    const z = this.#z
    const k = prepKey(z, key)
    if (k !== KEY_OK) return KEY_FAILS[k] as Fail<ShdictKeyErr>
    z.lock()
    let st: number
    try {
      st = z.llenCore()
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    return st === ST_OK ? { ok: true, value: z.outNum } : FAIL_NOT_LIST
  }

  /**
   * ngx.shared.DICT.ttl: seconds left (ms precision), 0 for a key that never expires; negative
   * for an expired key that is still in the zone (as in nginx); `not found`.
   */
  ttl(key: ShdictKey | null | undefined): Result<number, ShdictTtlErr> {
    const z = this.#z
    const k = prepKey(z, key)
    if (k !== KEY_OK) return KEY_FAILS[k] as Fail<ShdictKeyErr>
    z.lock()
    let st: number
    try {
      st = z.ttlCore()
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    return st === ST_OK ? { ok: true, value: z.outNum } : FAIL_NOT_FOUND
  }

  /**
   * ngx.shared.DICT.expire: a new time to live in seconds (0 = never) for a key still in the
   * zone, expired or not; `not found`.
   */
  expire(key: ShdictKey | null | undefined, exptime: number): Result<true, ShdictTtlErr> {
    if (typeof exptime !== 'number') {
      throw argError(exptime === undefined ? 'bad "exptime" argument' : `bad "exptime" argument: number expected, got ${typeName(exptime)}`)
    }
    if (Number.isNaN(exptime)) throw argError('bad "exptime" argument')
    const t = Math.trunc(exptime * 1000)
    const ms = t === Infinity || t < 0 ? 0 : t
    const z = this.#z
    const k = prepKey(z, key)
    if (k !== KEY_OK) return KEY_FAILS[k] as Fail<ShdictKeyErr>
    z.lock()
    let st: number
    try {
      st = z.expireCore(ms)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    return st === ST_OK ? OK_TRUE : FAIL_NOT_FOUND
  }

  /** ngx.shared.DICT.flush_all: marks every entry expired (flushExpired frees them). */
  flushAll(): void {
    const z = this.#z
    z.lock()
    try {
      z.flushAllCore()
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
  }

  /** ngx.shared.DICT.flush_expired: frees up to `max` (default and 0: all) expired entries; how many. */
  flushExpired(max?: number): number {
    const n = toMax(max, 0, 'max_count')
    const z = this.#z
    z.lock()
    let freed: number
    try {
      freed = z.flushExpiredCore(n)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    return freed
  }

  /** ngx.shared.DICT.get_keys: up to `max` (default 1024, 0 = all) unexpired keys, least recently used first. */
  getKeys(max?: number): S[] {
    const n = toMax(max, 1024, 'max_count')
    const z = this.#z
    z.lock()
    let keys: Uint8Array[]
    try {
      keys = z.keysCore(n)
    } catch (e) {
      throw failedInside(z, e)
    }
    z.unlock()
    if (this.#bytes) return keys as S[]
    return keys.map((k) => decoder.decode(k)) as S[]
  }

  /** ngx.shared.DICT.capacity: the zone's declared size in bytes. */
  capacity(): number {
    return this.#z.f64[HF_CAPACITY] as number
  }

  /**
   * ngx.shared.DICT.free_space: bytes in free chunks (nginx counts free 4 KiB pages; here every
   * free 128-byte chunk counts, so an entry of that size fits when this is not 0).
   */
  freeSpace(): number {
    return Atomics.load(this.#z.i32, H_FREE_COUNT) * CHUNK
  }
}
