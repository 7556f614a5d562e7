// The shared-dict zone: one SharedArrayBuffer holding a header (lock word, free list, LRU
// ends), a hash index and 128-byte chunks that hold the entries, their continuation chunks
// and list elements. Every operation runs under the zone's lock (an Int32 word holding the
// owner's `threadId + 1`), touches only typed-array views over the buffer and allocates no JS
// objects on the paths that mutate. Records are self-describing (kind, owner, commit marker,
// last-use stamp), so the index, the LRU list and the free list can be rebuilt from them after a
// thread died inside an operation (shdict-repair.ts). Layout and semantics: shdict.md.
import { threadId } from 'node:worker_threads'
import { wasmLock, wasmUnlock } from './shdict-lock.ts'
import { nowMs } from './time.ts'

/** Bytes per chunk. An entry is one head chunk plus continuation chunks as its key and value need. */
const CHUNK = 128
/** The smallest zone nginx accepts (`lua_shared_dict d 8k` passes the parser; 12k is usable). */
const MIN_ZONE = 8192
/** The largest zone: byte offsets of chunks stay within an int32. */
const MAX_ZONE = 2 ** 31 - CHUNK
const MAX_KEY_LEN = 65535
const MAGIC = 0x7a444853 // 'SHDz'
const VERSION = 1

// Header (chunk 0), Int32 word indexes; f64 slots are Float64 indexes.
const H_LOCK = 0
const H_MAGIC = 1
const H_VERSION = 2
const H_NCHUNKS = 3 // chunk slots in the buffer, the header's and the index's included
const H_FIRST = 4 // first allocatable chunk
const H_MASK = 5 // hash buckets - 1
const H_BUCKETS = 6 // word index of bucket 0
const H_FREE_HEAD = 7 // freed chunks, linked through E_NEXT
const H_FREE_COUNT = 8 // free chunks: the free list's and the never used ones
const H_LRU_HEAD = 9 // most recently used
const H_LRU_TAIL = 10 // least recently used
const H_ENTRIES = 11
const HF_CAPACITY = 6 // declared size in bytes
const HF_STAMP = 7 // last-use stamp counter
const H_BUMP = 16 // chunks from here on were never used (so never touched: no memory committed)

// Chunk kinds (low byte of word 0); the value type is in the next byte.
const K_FREE = 0
const K_ENTRY = 1 // a committed entry head
const K_BUSY = 2 // an entry head being written: dropped by recovery
const K_CONT = 3 // continuation of an entry or list element
const K_ELEM = 4 // a list element head
const T_NUM = 1
const T_BOOL = 2
const T_STR = 3
const T_LIST = 4

// Entry head, Int32 word offsets from the chunk's first word (f64 offsets from its first f64).
const E_KIND = 0 // kind | type << 8 | key length << 16: one store commits all three
const E_NEXT = 1 // continuation chunk, 0 = none
const E_HASH = 2
const E_BNEXT = 3 // next entry in the hash bucket
const E_PREV = 4 // LRU neighbour towards the most recently used end
const E_LNEXT = 5 // LRU neighbour towards the least recently used end
const E_FLAGS = 6
const E_VLEN = 7 // string bytes, or a list's length
const EF_STAMP = 4 // last use
const EF_EXPIRES = 5 // ms since the epoch, 0 = never
const EF_NUM = 6 // number / boolean value
const E_FIRST = 12 // a list's first element (shares the number's slot)
const E_LAST = 13
const E_PAYLOAD = 56 // byte offset of key bytes, then string value bytes
const E_CAP = CHUNK - E_PAYLOAD
// List element head.
const L_OWNER = 2 // the list's entry head
const L_PREV = 3
const L_LNEXT = 4
const L_VLEN = 5
const LF_NUM = 3
const L_PAYLOAD = 32
const L_CAP = CHUNK - L_PAYLOAD
// Continuation chunk.
const C_OWNER = 2
const C_PAYLOAD = 12
const C_CAP = CHUNK - C_PAYLOAD

/** Status codes of the zone operations; shdict.ts maps them to ngx_lua's err strings. */
const ST_OK = 0
const ST_MISSING = 1 // not found (nil in Lua, or "not found")
const ST_EXISTS = 2
const ST_NO_MEMORY = 3
const ST_NOT_NUMBER = 4
const ST_NOT_LIST = 5
const ST_IS_LIST = 6

const OP_SET = 0
const OP_ADD = 1
const OP_REPLACE = 2

const CONTENDED = 0x40000000
const OWNER_MASK = 0x3fffffff
/** This thread's lock owner id: `threadId + 1` (the main thread is 1). */
const OWNER_ID = threadId + 1
/** nginx frees up to 30 times the least recently used entry before answering "no memory". */
const MAX_EVICTIONS = 30

const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193
const HASH_MASK = 0x3fffffff

/**
 * The key of the current operation, in every zone of this thread: shdict.ts copies it here as it
 * hashes it. Room for the UTF-8 form of any string of up to MAX_KEY_LEN UTF-16 units; the Int32
 * view compares keys four bytes at a time.
 */
const KEY = new Uint8Array(4 * MAX_KEY_LEN + 4)
const KEY32 = new Int32Array(KEY.buffer)
/** Masks of the first 1, 2, 3 bytes of an Int32 word, in this platform's byte order. */
const TAIL_MASK = ((): Int32Array => {
  const m = new Int32Array(4)
  const b = new Uint8Array(m.buffer)
  for (let r = 1; r < 4; r++) b.fill(0xff, r * 4, r * 4 + r)
  return m
})()

/** The thread's key buffer (see KEY). */
export function keyBuffer(): Uint8Array {
  return KEY
}

/**
 * FNV-1a over a key's bytes, cut to 30 bits (a small integer for V8: registers and compares
 * stay integer). shdict.ts computes the same hash from an ASCII string's character codes.
 */
export function hashBytes(b: Uint8Array, len: number): number {
  let h = FNV_OFFSET
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (b[i] as number), FNV_PRIME)
  return h & HASH_MASK
}

/** Chunks an entry needs for `payload` bytes of key and string value. */
export function entryChunks(payload: number): number {
  return payload <= E_CAP ? 1 : 1 + Math.ceil((payload - E_CAP) / C_CAP)
}

/** Chunks a list element needs for a value of `len` bytes (0 for a number). */
export function elemChunks(len: number): number {
  return len <= L_CAP ? 1 : 1 + Math.ceil((len - L_CAP) / C_CAP)
}

/** Lays out a fresh zone in `sab` (all zeroes) for a declared size of `capacity` bytes. */
export function formatZone(sab: SharedArrayBuffer, capacity: number): void {
  const i32 = new Int32Array(sab)
  const f64 = new Float64Array(sab)
  const nChunks = Math.floor(Math.min(sab.byteLength, capacity) / CHUNK)
  // One hash bucket per two chunks (a power of two): chains stay short with the index at 1.6%.
  let buckets = 16
  while (buckets * 4 <= nChunks) buckets *= 2
  const first = 1 + Math.ceil((buckets * 4) / CHUNK)
  i32[H_MAGIC] = MAGIC
  i32[H_VERSION] = VERSION
  i32[H_NCHUNKS] = nChunks
  i32[H_FIRST] = first
  i32[H_MASK] = buckets - 1
  i32[H_BUCKETS] = CHUNK / 4
  f64[HF_CAPACITY] = capacity
  i32[H_FREE_HEAD] = 0
  i32[H_BUMP] = first
  i32[H_FREE_COUNT] = nChunks - first
}

/** True when `sab` holds a zone laid out by this version. */
export function isZone(sab: unknown): sab is SharedArrayBuffer {
  if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < MIN_ZONE || sab.byteLength % 8 !== 0) return false
  const i32 = new Int32Array(sab, 0, 4)
  return i32[H_MAGIC] === MAGIC && i32[H_VERSION] === VERSION
}

/**
 * One thread's view of a zone. Operations take the key from the `k*` registers (set by
 * shdict.ts) and leave secondary results in the `out*` registers, so that nothing is allocated
 * per call. Callers hold the lock around the `*Core` methods.
 */
export class Zone {
  readonly sab: SharedArrayBuffer
  readonly i32: Int32Array
  readonly f64: Float64Array
  readonly u8: Uint8Array
  readonly first: number
  readonly nChunks: number
  readonly mask: number
  readonly buckets: number
  /** This zone's index for the wasm lock (shdict-lock.ts), or -1: JS Atomics. */
  readonly lockIndex: number

  // Registers. Each field keeps one representation for good (numbers that may leave the small
  // integer range start as NaN, strings never become null), so optimized code stays valid.
  // The key of the current operation: kLen bytes in KEY, with their hash.
  kLen = 0
  kHash = 0
  // A string value to store: `vLen` bytes, from vStr (ASCII) when vIsStr, else from vBytes.
  vIsStr = false
  vStr = ''
  vBytes: Uint8Array = new Uint8Array(0)
  vLen = 0
  // Results besides the status.
  outType = 0
  outNum: number = NaN
  outFlags: number = NaN
  outStale = false
  outForcible = false
  outLen = 0
  outBuf: Uint8Array = new Uint8Array(256)

  constructor(sab: SharedArrayBuffer, lockIndex = -1) {
    this.sab = sab
    this.lockIndex = lockIndex
    this.i32 = new Int32Array(sab)
    this.f64 = new Float64Array(sab)
    this.u8 = new Uint8Array(sab)
    this.first = this.i32[H_FIRST] as number
    this.nChunks = this.i32[H_NCHUNKS] as number
    this.mask = this.i32[H_MASK] as number
    this.buckets = this.i32[H_BUCKETS] as number
  }

  // ---- lock -------------------------------------------------------------------------------

  // lock/unlock stay tiny (they are inlined into every operation, whose inlining budget is
  // tight): the wasm call, and everything else — zones on JS Atomics (index -1, for which the
  // wasm functions answer -1), waiting, waking — in the slow paths.

  lock(): void {
    if (wasmLock(this.lockIndex, OWNER_ID) !== 0) this.lockSlow()
  }

  unlock(): void {
    if (wasmUnlock(this.lockIndex, 0) !== OWNER_ID) this.unlockSlow()
  }

  private unlockSlow(): void {
    if (this.lockIndex >= 0 || Atomics.exchange(this.i32, H_LOCK, 0) !== OWNER_ID) Atomics.notify(this.i32, H_LOCK, 1)
  }

  /** Spins briefly, then sleeps on the lock word with the contended bit set. */
  private lockSlow(): void {
    const i32 = this.i32
    if (this.lockIndex < 0 && Atomics.compareExchange(i32, H_LOCK, 0, OWNER_ID) === 0) return
    for (let spin = 0; spin < 64; spin++) {
      const v = Atomics.load(i32, H_LOCK)
      if (v === 0 && Atomics.compareExchange(i32, H_LOCK, 0, OWNER_ID) === 0) return
      if ((v & OWNER_MASK) === OWNER_ID) throw new Error('shared dict lock re-entered by its owner')
    }
    for (;;) {
      let v = Atomics.load(i32, H_LOCK)
      if (v === 0) {
        // Others may still sleep: take it as contended so that our unlock wakes one.
        if (Atomics.compareExchange(i32, H_LOCK, 0, OWNER_ID | CONTENDED) === 0) return
        continue
      }
      if ((v & CONTENDED) === 0) {
        if (Atomics.compareExchange(i32, H_LOCK, v, v | CONTENDED) !== v) continue
        v |= CONTENDED
      }
      Atomics.wait(i32, H_LOCK, v, 100)
    }
  }

  // ---- chunks -----------------------------------------------------------------------------

  freeCount(): number {
    return this.i32[H_FREE_COUNT] as number
  }

  /** Takes `n` chunks off the free list (the caller made sure there are) and chains them. */
  private allocChain(n: number, headKind: number): number {
    const i32 = this.i32
    let head = 0
    let last = 0
    for (let k = 0; k < n; k++) {
      let c = i32[H_FREE_HEAD] as number
      if (c !== 0) {
        i32[H_FREE_HEAD] = i32[(c << 5) + E_NEXT] as number
      } else {
        c = i32[H_BUMP] as number
        i32[H_BUMP] = c + 1
      }
      i32[H_FREE_COUNT] = (i32[H_FREE_COUNT] as number) - 1
      if (k === 0) head = c
      const w = c << 5
      if (k === 0) {
        i32[w] = headKind
      } else {
        i32[w] = K_CONT
        i32[w + C_OWNER] = head
        i32[(last << 5) + E_NEXT] = c
      }
      last = c
    }
    i32[(last << 5) + E_NEXT] = 0
    return head
  }

  /** Returns a chain (head and continuations) to the free list. */
  private freeChain(head: number): void {
    const i32 = this.i32
    let c = head
    while (c !== 0) {
      const w = c << 5
      const next = i32[w + E_NEXT] as number
      i32[w] = K_FREE
      i32[w + E_NEXT] = i32[H_FREE_HEAD] as number
      i32[H_FREE_HEAD] = c
      i32[H_FREE_COUNT] = (i32[H_FREE_COUNT] as number) + 1
      c = next
    }
  }

  // ---- payload cursor ---------------------------------------------------------------------
  // Key and string bytes run through the head's payload, then each continuation's.

  private cChunk = 0
  private cPos = 0 // byte index in u8
  private cLeft = 0 // bytes left in this chunk

  private cursor(head: number, payloadOffset: number, skip: number): void {
    let c = head
    let left = CHUNK - payloadOffset
    let pos = (c << 7) + payloadOffset
    while (skip > left) {
      skip -= left
      c = this.i32[(c << 5) + E_NEXT] as number
      pos = (c << 7) + C_PAYLOAD
      left = C_CAP
    }
    this.cChunk = c
    this.cPos = pos + skip
    this.cLeft = left - skip
  }

  private advance(): void {
    const c = this.i32[(this.cChunk << 5) + E_NEXT] as number
    this.cChunk = c
    this.cPos = (c << 7) + C_PAYLOAD
    this.cLeft = C_CAP
  }

  private writeStr(s: string, n: number): void {
    const u8 = this.u8
    for (let i = 0; i < n; i++) {
      if (this.cLeft === 0) this.advance()
      u8[this.cPos++] = s.charCodeAt(i)
      this.cLeft--
    }
  }

  private writeBytes(b: Uint8Array, n: number): void {
    let i = 0
    while (i < n) {
      if (this.cLeft === 0) this.advance()
      const m = Math.min(this.cLeft, n - i)
      if (m < 32) {
        for (let k = 0; k < m; k++) this.u8[this.cPos + k] = b[i + k] as number
      } else {
        this.u8.set(b.subarray(i, i + m), this.cPos)
      }
      i += m
      this.cPos += m
      this.cLeft -= m
    }
  }

  /** Copies `n` bytes at the cursor into `dst` from index 0. */
  private readBytes(dst: Uint8Array, n: number): void {
    let i = 0
    while (i < n) {
      if (this.cLeft === 0) this.advance()
      const m = Math.min(this.cLeft, n - i)
      if (m < 32) {
        for (let k = 0; k < m; k++) dst[i + k] = this.u8[this.cPos + k] as number
      } else {
        dst.set(this.u8.subarray(this.cPos, this.cPos + m), i)
      }
      i += m
      this.cPos += m
      this.cLeft -= m
    }
  }

  private outCapacity(n: number): Uint8Array {
    if (this.outBuf.length < n) this.outBuf = new Uint8Array(Math.max(n, this.outBuf.length * 2))
    return this.outBuf
  }

  /** The key of entry `e` compared with the key registers (hash and length already equal). */
  private keyEquals(e: number): boolean {
    const n = this.kLen
    if (n > E_CAP) return this.keyEqualsLong(e)
    const i32 = this.i32
    const w = (e << 5) + (E_PAYLOAD >> 2)
    const full = n >> 2
    for (let j = 0; j < full; j++) if (i32[w + j] !== KEY32[j]) return false
    const r = n & 3
    return r === 0 || (((i32[w + full] as number) ^ (KEY32[full] as number)) & (TAIL_MASK[r] as number)) === 0
  }

  private keyEqualsLong(e: number): boolean {
    const u8 = this.u8
    const k = KEY
    const n = this.kLen
    this.cursor(e, E_PAYLOAD, 0)
    for (let i = 0; i < n; i++) {
      if (this.cLeft === 0) this.advance()
      if (u8[this.cPos++] !== k[i]) return false
      this.cLeft--
    }
    return true
  }

  /** Copies the key of entry `e` into a new array. */
  keyOf(e: number): Uint8Array {
    const n = (this.i32[e << 5] as number) >>> 16
    const out = new Uint8Array(n)
    this.cursor(e, E_PAYLOAD, 0)
    this.readBytes(out, n)
    return out
  }

  // ---- index and LRU ----------------------------------------------------------------------

  /** The entry with the registers' key (committed, expired or not), or 0. Does not touch it. */
  find(): number {
    const i32 = this.i32
    const h = this.kHash
    const n = this.kLen
    let e = i32[this.buckets + (h & this.mask)] as number
    while (e !== 0) {
      const w = e << 5
      if (i32[w + E_HASH] === h && (i32[w] as number) >>> 16 === n && this.keyEquals(e)) return e
      e = i32[w + E_BNEXT] as number
    }
    return 0
  }

  /** Moves `e` to the most recently used end. */
  touch(e: number): void {
    const i32 = this.i32
    if (i32[H_LRU_HEAD] === e) return
    this.unlinkLru(e)
    this.linkHead(e)
  }

  private linkHead(e: number): void {
    const i32 = this.i32
    const w = e << 5
    const head = i32[H_LRU_HEAD] as number
    i32[w + E_PREV] = 0
    i32[w + E_LNEXT] = head
    if (head !== 0) i32[(head << 5) + E_PREV] = e
    else i32[H_LRU_TAIL] = e
    i32[H_LRU_HEAD] = e
    const s = (this.f64[HF_STAMP] as number) + 1
    this.f64[HF_STAMP] = s
    this.f64[(e << 4) + EF_STAMP] = s
  }

  private unlinkLru(e: number): void {
    const i32 = this.i32
    const w = e << 5
    const p = i32[w + E_PREV] as number
    const n = i32[w + E_LNEXT] as number
    if (p !== 0) i32[(p << 5) + E_LNEXT] = n
    else i32[H_LRU_HEAD] = n
    if (n !== 0) i32[(n << 5) + E_PREV] = p
    else i32[H_LRU_TAIL] = p
  }

  private unlinkBucket(e: number): void {
    const i32 = this.i32
    const slot = this.buckets + ((i32[(e << 5) + E_HASH] as number) & this.mask)
    let c = i32[slot] as number
    if (c === e) {
      i32[slot] = i32[(e << 5) + E_BNEXT] as number
      return
    }
    while (c !== 0) {
      const next = i32[(c << 5) + E_BNEXT] as number
      if (next === e) {
        i32[(c << 5) + E_BNEXT] = i32[(e << 5) + E_BNEXT] as number
        return
      }
      c = next
    }
  }

  /** Removes entry `e` (and a list's elements) and frees its chunks. */
  removeEntry(e: number): void {
    const i32 = this.i32
    const w = e << 5
    const type = ((i32[w] as number) >> 8) & 0xff
    i32[w] = K_FREE // decommitted first: recovery no longer sees it
    this.unlinkBucket(e)
    this.unlinkLru(e)
    if (type === T_LIST) {
      let el = i32[w + E_FIRST] as number
      while (el !== 0) {
        const next = i32[(el << 5) + L_LNEXT] as number
        this.freeChain(el)
        el = next
      }
    }
    this.freeChain(e)
    i32[H_ENTRIES] = (i32[H_ENTRIES] as number) - 1
  }

  isExpired(e: number): boolean {
    const exp = this.f64[(e << 4) + EF_EXPIRES] as number
    return exp !== 0 && exp <= nowMs()
  }

  /** nginx frees one or two expired entries at the LRU end before most operations. */
  reap(): void {
    for (let n = 0; n < 2; n++) {
      const t = this.i32[H_LRU_TAIL] as number
      if (t === 0 || !this.isExpired(t)) return
      this.removeEntry(t)
    }
  }

  /** nginx's forced expiry: the LRU entry whatever its state, then one or two expired ones. */
  private evictOnce(): number {
    let freed = 0
    for (let n = 0; n < 3; n++) {
      const t = this.i32[H_LRU_TAIL] as number
      if (t === 0 || (n !== 0 && !this.isExpired(t))) break
      this.removeEntry(t)
      freed++
    }
    return freed
  }

  /** Makes `need` chunks free, evicting unless `safe`; sets outForcible. */
  private ensureFree(need: number, safe: boolean): boolean {
    if (this.freeCount() >= need) return true
    if (safe || need > this.nChunks - this.first) return false
    for (let i = 0; i < MAX_EVICTIONS; i++) {
      if (this.evictOnce() === 0) return false
      this.outForcible = true
      if (this.freeCount() >= need) return true
    }
    return false
  }

  /** A new entry for the key registers, linked but not committed (K_BUSY). */
  private insertEntry(n: number): number {
    const i32 = this.i32
    const e = this.allocChain(n, K_BUSY | (this.kLen << 16))
    const w = e << 5
    i32[w + E_HASH] = this.kHash
    this.cursor(e, E_PAYLOAD, 0)
    this.writeBytes(KEY, this.kLen)
    const slot = this.buckets + (this.kHash & this.mask)
    i32[w + E_BNEXT] = i32[slot] as number
    i32[slot] = e
    this.linkHead(e)
    i32[H_ENTRIES] = (i32[H_ENTRIES] as number) + 1
    return e
  }

  /** Writes value, expiry and flags into head `e` (the cursor is past the key for strings). */
  private writeValue(e: number, type: number, num: number, expires: number, flags: number): void {
    const i32 = this.i32
    const w = e << 5
    i32[w + E_FLAGS] = flags
    this.f64[(e << 4) + EF_EXPIRES] = expires
    if (type === T_STR) {
      i32[w + E_VLEN] = this.vLen
      if (this.vIsStr) this.writeStr(this.vStr, this.vLen)
      else this.writeBytes(this.vBytes, this.vLen)
    } else {
      i32[w + E_VLEN] = 0
      this.f64[(e << 4) + EF_NUM] = num
    }
    i32[w] = K_ENTRY | (type << 8) | (this.kLen << 16) // commit
  }

  private payloadOf(e: number): number {
    const w = e << 5
    const w0 = this.i32[w] as number
    return (w0 >>> 16) + (((w0 >> 8) & 0xff) === T_STR ? (this.i32[w + E_VLEN] as number) : 0)
  }

  // ---- operations (under the lock) --------------------------------------------------------

  /**
   * set / add / replace and their safe_ forms. `expiresIn` is in ms (0 = never); a string
   * value is in the v* registers. Sets outForcible.
   */
  storeCore(op: number, safe: boolean, type: number, num: number, expiresIn: number, flags: number): number {
    this.outForcible = false
    this.reap()
    const payload = this.kLen + (type === T_STR ? this.vLen : 0)
    const need = entryChunks(payload)
    let e = this.find()
    if (e !== 0) {
      const expired = this.isExpired(e)
      if (op === OP_ADD && !expired) {
        this.touch(e)
        return ST_EXISTS
      }
      if (op === OP_REPLACE && expired) {
        this.touch(e)
        return ST_MISSING
      }
      const w = e << 5
      if ((((this.i32[w] as number) >> 8) & 0xff) !== T_LIST && entryChunks(this.payloadOf(e)) === need) {
        this.i32[w] = K_BUSY | (type << 8) | (this.kLen << 16)
        this.touch(e)
        if (type === T_STR) this.cursor(e, E_PAYLOAD, this.kLen)
        this.writeValue(e, type, num, expiresIn > 0 ? nowMs() + expiresIn : 0, flags)
        return ST_OK
      }
      this.removeEntry(e)
    } else if (op === OP_REPLACE) {
      return ST_MISSING
    }
    if (!this.ensureFree(need, safe)) return ST_NO_MEMORY
    e = this.insertEntry(need)
    this.writeValue(e, type, num, expiresIn > 0 ? nowMs() + expiresIn : 0, flags)
    return ST_OK
  }

  /** set(key, nil) / delete. */
  deleteCore(): number {
    this.outForcible = false
    this.reap()
    const e = this.find()
    if (e !== 0) this.removeEntry(e)
    return ST_OK
  }

  /**
   * get / get_stale. ST_OK with outType (T_NUM/T_BOOL: outNum; T_STR: outLen bytes in outBuf),
   * outFlags and outStale; ST_MISSING; ST_IS_LIST.
   */
  getCore(stale: boolean): number {
    if (!stale) this.reap()
    const e = this.find()
    if (e === 0) return ST_MISSING
    this.touch(e)
    const expired = this.isExpired(e)
    if (expired && !stale) return ST_MISSING
    const w = e << 5
    const type = ((this.i32[w] as number) >> 8) & 0xff
    if (type === T_LIST) return ST_IS_LIST
    this.outType = type
    this.outFlags = this.i32[w + E_FLAGS] as number
    this.outStale = expired
    if (type === T_STR) {
      const n = this.i32[w + E_VLEN] as number
      this.outLen = n
      const dst = this.outCapacity(n)
      this.cursor(e, E_PAYLOAD, (this.i32[w] as number) >>> 16)
      this.readBytes(dst, n)
    } else {
      this.outNum = this.f64[(e << 4) + EF_NUM] as number
    }
    return ST_OK
  }

  /** incr: ST_OK with outNum (and outForcible), ST_MISSING, ST_NOT_NUMBER, ST_NO_MEMORY. */
  incrCore(delta: number, hasInit: boolean, init: number, initTtl: number): number {
    this.outForcible = false
    this.reap()
    const e = this.find()
    if (e === 0 || (this.touch(e), this.isExpired(e))) return this.incrNew(e, delta, hasInit, init, initTtl)
    if ((((this.i32[e << 5] as number) >> 8) & 0xff) !== T_NUM) return ST_NOT_NUMBER
    const f = (e << 4) + EF_NUM
    const v = (this.f64[f] as number) + delta
    this.f64[f] = v
    this.outNum = v
    return ST_OK
  }

  /** incr of a missing or expired key `e` (0 when missing): created with init, else not found. */
  private incrNew(e: number, delta: number, hasInit: boolean, init: number, initTtl: number): number {
    if (!hasInit) return ST_MISSING
    if (e !== 0) this.removeEntry(e)
    const need = entryChunks(this.kLen)
    if (!this.ensureFree(need, false)) return ST_NO_MEMORY
    const v = init + delta
    e = this.insertEntry(need)
    this.writeValue(e, T_NUM, v, initTtl > 0 ? nowMs() + initTtl : 0, 0)
    this.outNum = v
    return ST_OK
  }

  /** lpush / rpush: ST_OK with outNum = the new length, ST_NOT_LIST, ST_NO_MEMORY. */
  pushCore(left: boolean, type: number, num: number): number {
    this.reap()
    const i32 = this.i32
    let e = this.find()
    if (e !== 0) {
      this.touch(e)
      if (this.isExpired(e)) {
        this.removeEntry(e)
        e = 0
      } else if ((((i32[e << 5] as number) >> 8) & 0xff) !== T_LIST) {
        return ST_NOT_LIST
      }
    }
    const len = type === T_STR ? this.vLen : 0
    const elemNeed = elemChunks(len)
    const entryNeed = e === 0 ? entryChunks(this.kLen) : 0
    if (this.freeCount() < elemNeed + entryNeed) return ST_NO_MEMORY
    let fresh = false
    if (e === 0) {
      e = this.insertEntry(entryNeed)
      const w = e << 5
      i32[w + E_FLAGS] = 0
      i32[w + E_VLEN] = 0
      i32[w + E_FIRST] = 0
      i32[w + E_LAST] = 0
      this.f64[(e << 4) + EF_EXPIRES] = 0
      fresh = true
    }
    const el = this.allocChain(elemNeed, K_ELEM)
    const lw = el << 5
    i32[lw] = K_ELEM | (type << 8)
    i32[lw + L_OWNER] = e
    i32[lw + L_VLEN] = len
    if (type === T_STR) {
      this.cursor(el, L_PAYLOAD, 0)
      if (this.vIsStr) this.writeStr(this.vStr, len)
      else this.writeBytes(this.vBytes, len)
    } else {
      this.f64[(el << 4) + LF_NUM] = num
    }
    const w = e << 5
    if (left) {
      const first = i32[w + E_FIRST] as number
      i32[lw + L_PREV] = 0
      i32[lw + L_LNEXT] = first
      if (first !== 0) i32[(first << 5) + L_PREV] = el
      else i32[w + E_LAST] = el
      i32[w + E_FIRST] = el
    } else {
      const last = i32[w + E_LAST] as number
      i32[lw + L_LNEXT] = 0
      i32[lw + L_PREV] = last
      if (last !== 0) i32[(last << 5) + L_LNEXT] = el
      else i32[w + E_FIRST] = el
      i32[w + E_LAST] = el
    }
    const n = (i32[w + E_VLEN] as number) + 1
    i32[w + E_VLEN] = n
    if (fresh) i32[w] = K_ENTRY | (T_LIST << 8) | (this.kLen << 16)
    this.outNum = n
    return ST_OK
  }

  /** lpop / rpop: ST_OK with outType/outNum/outLen+outBuf, ST_MISSING, ST_NOT_LIST. */
  popCore(left: boolean): number {
    this.reap()
    const i32 = this.i32
    const e = this.find()
    if (e === 0) return ST_MISSING
    this.touch(e)
    if (this.isExpired(e)) return ST_MISSING
    const w = e << 5
    if ((((i32[w] as number) >> 8) & 0xff) !== T_LIST) return ST_NOT_LIST
    const el = i32[w + (left ? E_FIRST : E_LAST)] as number
    const lw = el << 5
    const type = ((i32[lw] as number) >> 8) & 0xff
    this.outType = type
    if (type === T_STR) {
      const n = i32[lw + L_VLEN] as number
      this.outLen = n
      const dst = this.outCapacity(n)
      this.cursor(el, L_PAYLOAD, 0)
      this.readBytes(dst, n)
    } else {
      this.outNum = this.f64[(el << 4) + LF_NUM] as number
    }
    const n = (i32[w + E_VLEN] as number) - 1
    if (n === 0) {
      this.removeEntry(e)
      return ST_OK
    }
    if (left) {
      const next = i32[lw + L_LNEXT] as number
      i32[w + E_FIRST] = next
      i32[(next << 5) + L_PREV] = 0
    } else {
      const prev = i32[lw + L_PREV] as number
      i32[w + E_LAST] = prev
      i32[(prev << 5) + L_LNEXT] = 0
    }
    i32[w + E_VLEN] = n
    this.freeChain(el)
    return ST_OK
  }

  /** llen: ST_OK with outNum, ST_NOT_LIST. */
  llenCore(): number {
    this.reap()
    const e = this.find()
    this.outNum = 0
    if (e === 0) return ST_OK
    this.touch(e)
    if (this.isExpired(e)) return ST_OK
    const w = e << 5
    if ((((this.i32[w] as number) >> 8) & 0xff) !== T_LIST) return ST_NOT_LIST
    this.outNum = this.i32[w + E_VLEN] as number
    return ST_OK
  }

  /** ttl: ST_OK with outNum seconds (0 = never, negative once expired), ST_MISSING. */
  ttlCore(): number {
    const e = this.find()
    if (e === 0) return ST_MISSING
    const exp = this.f64[(e << 4) + EF_EXPIRES] as number
    this.outNum = exp === 0 ? 0 : (exp - nowMs()) / 1000
    return ST_OK
  }

  /** expire: ST_OK, ST_MISSING. Revives an expired entry that is still there, as nginx does. */
  expireCore(expiresIn: number): number {
    const e = this.find()
    if (e === 0) return ST_MISSING
    this.f64[(e << 4) + EF_EXPIRES] = expiresIn > 0 ? nowMs() + expiresIn : 0
    return ST_OK
  }

  /** flush_all: every entry expires at the epoch's first millisecond. */
  flushAllCore(): void {
    for (let e = this.i32[H_LRU_HEAD] as number; e !== 0; e = this.i32[(e << 5) + E_LNEXT] as number) {
      this.f64[(e << 4) + EF_EXPIRES] = 1
    }
  }

  /** flush_expired: frees up to `max` (0 = all) expired entries from the LRU end; the count. */
  flushExpiredCore(max: number): number {
    let freed = 0
    let e = this.i32[H_LRU_TAIL] as number
    while (e !== 0) {
      const prev = this.i32[(e << 5) + E_PREV] as number
      if (this.isExpired(e)) {
        this.removeEntry(e)
        if (++freed === max) break
      }
      e = prev
    }
    return freed
  }

  /** get_keys: up to `max` (0 = all) unexpired keys, least recently used first. */
  keysCore(max: number): Uint8Array[] {
    const out: Uint8Array[] = []
    for (let e = this.i32[H_LRU_TAIL] as number; e !== 0; e = this.i32[(e << 5) + E_PREV] as number) {
      if (this.isExpired(e)) continue
      out.push(this.keyOf(e))
      if (out.length === max) break
    }
    return out
  }
}

/** The record layout, kinds and codes, for shdict.ts, the repair module and tests. (Inside this
 * module they are plain constants: V8 folds those, while reads of exported bindings go through
 * module cells with a check each.) */
export type ZoneConstant =
  | 'CHUNK'
  | 'MIN_ZONE'
  | 'MAX_KEY_LEN'
  | 'H_LOCK'
  | 'H_MAGIC'
  | 'H_VERSION'
  | 'H_NCHUNKS'
  | 'H_FIRST'
  | 'H_MASK'
  | 'H_BUCKETS'
  | 'H_FREE_HEAD'
  | 'H_FREE_COUNT'
  | 'H_LRU_HEAD'
  | 'H_LRU_TAIL'
  | 'H_ENTRIES'
  | 'HF_CAPACITY'
  | 'HF_STAMP'
  | 'K_FREE'
  | 'K_ENTRY'
  | 'K_BUSY'
  | 'K_CONT'
  | 'K_ELEM'
  | 'T_NUM'
  | 'T_BOOL'
  | 'T_STR'
  | 'T_LIST'
  | 'E_KIND'
  | 'E_NEXT'
  | 'E_HASH'
  | 'E_BNEXT'
  | 'E_PREV'
  | 'E_LNEXT'
  | 'E_FLAGS'
  | 'E_VLEN'
  | 'EF_STAMP'
  | 'EF_EXPIRES'
  | 'EF_NUM'
  | 'E_FIRST'
  | 'E_LAST'
  | 'E_PAYLOAD'
  | 'E_CAP'
  | 'L_OWNER'
  | 'L_PREV'
  | 'L_LNEXT'
  | 'L_VLEN'
  | 'LF_NUM'
  | 'L_PAYLOAD'
  | 'L_CAP'
  | 'C_OWNER'
  | 'C_PAYLOAD'
  | 'C_CAP'
  | 'ST_OK'
  | 'ST_MISSING'
  | 'ST_EXISTS'
  | 'ST_NO_MEMORY'
  | 'ST_NOT_NUMBER'
  | 'ST_NOT_LIST'
  | 'ST_IS_LIST'
  | 'CONTENDED'
  | 'OWNER_MASK'
  | 'OWNER_ID'
  | 'FNV_OFFSET'
  | 'FNV_PRIME'
  | 'OP_ADD'
  | 'OP_REPLACE'
  | 'OP_SET'
  | 'HASH_MASK'
  | 'H_BUMP'
  | 'MAX_ZONE'
export const ZONE: { readonly [K in ZoneConstant]: number } = {
  CHUNK,
  MIN_ZONE,
  MAX_KEY_LEN,
  H_LOCK,
  H_MAGIC,
  H_VERSION,
  H_NCHUNKS,
  H_FIRST,
  H_MASK,
  H_BUCKETS,
  H_FREE_HEAD,
  H_FREE_COUNT,
  H_LRU_HEAD,
  H_LRU_TAIL,
  H_ENTRIES,
  HF_CAPACITY,
  HF_STAMP,
  K_FREE,
  K_ENTRY,
  K_BUSY,
  K_CONT,
  K_ELEM,
  T_NUM,
  T_BOOL,
  T_STR,
  T_LIST,
  E_KIND,
  E_NEXT,
  E_HASH,
  E_BNEXT,
  E_PREV,
  E_LNEXT,
  E_FLAGS,
  E_VLEN,
  EF_STAMP,
  EF_EXPIRES,
  EF_NUM,
  E_FIRST,
  E_LAST,
  E_PAYLOAD,
  E_CAP,
  L_OWNER,
  L_PREV,
  L_LNEXT,
  L_VLEN,
  LF_NUM,
  L_PAYLOAD,
  L_CAP,
  C_OWNER,
  C_PAYLOAD,
  C_CAP,
  ST_OK,
  ST_MISSING,
  ST_EXISTS,
  ST_NO_MEMORY,
  ST_NOT_NUMBER,
  ST_NOT_LIST,
  ST_IS_LIST,
  CONTENDED,
  OWNER_MASK,
  OWNER_ID,
  FNV_OFFSET,
  FNV_PRIME,
  OP_ADD,
  OP_REPLACE,
  OP_SET,
  HASH_MASK,
  H_BUMP,
  MAX_ZONE,
}
