// resty.limit.req: the leaky bucket of nginx's limit_req on a shared dict. Rates are kept
// ×1000 (requests per 1000 s, i.e. per-millisecond units); each key's record holds the excess
// (×1000, truncated to an integer when stored, as upstream's uint64 field) and the time of the
// last committed request in ms, packed in 16 bytes. On each request:
//   excess = max(stored excess − rate·|now − last|/1000 + 1000, 0)
//   excess > burst → rejected; otherwise delay = excess / rate seconds, excess/1000 returned.
// A value of another shape under the key answers `shdict abused by other users`.
//
// Upstream reads and writes the record with two dict calls, so two workers checking one key at
// the same moment can both admit (measured here under a flood across 2 workers: 7 to 9% over
// the rate). Here committing calls run their read-modify-write under one lock entry per dict:
// "\0lr", a counter taken when `incr(lock, 1, 0)` answers 1 (else given back), given
// 100 ms to live by the taker and decremented to release, so a worker that dies holding it
// blocks the dict for 100 ms at most; a caller that finds it taken retries (spinning, then
// pausing 50 µs at a time, 3000 times: 150 to 300 ms) until it gets it, then goes on unlocked. Under the
// lock, the time is read from the system clock, not the cached one: a worker's cached clock
// lags by up to one event-loop iteration (20 ms and more on a busy machine), and with
// upstream's |now − last| a lagging worker would admit a request that another worker's newer
// record forbids. Dry runs, and `{ atomic: false }`, are upstream's unlocked code on the cached
// clock.
import { fail, now, ok, updateTime } from '@nresty/core'
import type { Result, SharedDict } from '@nresty/core'
import { ABUSED, checkDict, checkNumber, REJECTED } from './errors.ts'
import type { LimitErr } from './errors.ts'

export interface LimitReqOptions {
  /**
   * Serialize committing calls of all workers on this dict (default true; see the header).
   * false: upstream's unlocked get-then-set, for a single worker or when a rare double admission
   * does not matter.
   */
  readonly atomic?: boolean
}

export interface LimitReqState {
  /** Seconds the request should be delayed (0 under the rate). */
  readonly delay: number
  /** Requests per second above the rate (upstream's second return value). */
  readonly excess: number
}

const REC_SIZE = 16
const LOCK_KEY = '\0lr'
const LOCK_TTL = 0.1
const SPINS = 100
const PAUSE = new Int32Array(new SharedArrayBuffer(4))
const PAUSES = 3000
const rec = new Uint8Array(REC_SIZE)
const TWO32 = 2 ** 32

/** Little-endian uint64 at `off` as a double (exact below 2^53, as LuaJIT's tonumber). */
function u64(b: Uint8Array, off: number): number {
  const lo = ((b[off] as number) | ((b[off + 1] as number) << 8) | ((b[off + 2] as number) << 16) | ((b[off + 3] as number) << 24)) >>> 0
  const hi = ((b[off + 4] as number) | ((b[off + 5] as number) << 8) | ((b[off + 6] as number) << 16) | ((b[off + 7] as number) << 24)) >>> 0
  return hi * TWO32 + lo
}

function putU64(b: Uint8Array, off: number, x: number): void {
  const v = Math.trunc(x)
  const lo = v % TWO32
  const hi = (v - lo) / TWO32
  b[off] = lo & 0xff
  b[off + 1] = (lo >>> 8) & 0xff
  b[off + 2] = (lo >>> 16) & 0xff
  b[off + 3] = lo >>> 24
  b[off + 4] = hi & 0xff
  b[off + 5] = (hi >>> 8) & 0xff
  b[off + 6] = (hi >>> 16) & 0xff
  b[off + 7] = hi >>> 24
}

/** Reads a record's [excess, last] or undefined when the value is not a record. */
export function readRecord(v: unknown): [number, number] | undefined {
  if (!(v instanceof Uint8Array) || v.byteLength !== REC_SIZE) return undefined
  return [u64(v, 0), u64(v, 8)]
}

/** Packs [excess, last] as upstream's struct of two uint64 (fractions truncated). */
export function packRecord(excess: number, last: number): Uint8Array {
  putU64(rec, 0, excess)
  putU64(rec, 8, last)
  return rec
}

/**
 * resty.limit.req: `new LimitReq(dict, rate, burst)` (requests per second). The object only
 * holds thresholds: share one per worker.
 *
 * @example
 * const lim = new LimitReq(ngx.shared.my_limit_req_store, 200, 100)
 * const r = lim.incoming(ngx.var.binary_remote_addr, true)
 * if (!r.ok) ngx.exit(r.err === 'rejected' ? 503 : 500)
 * else if (r.value.delay >= 0.001) await ngx.sleep(r.value.delay)
 */
export class LimitReq {
  readonly dict: SharedDict
  #rate: number
  #burst: number
  readonly #atomic: boolean

  constructor(dict: SharedDict, rate: number, burst: number, opts?: LimitReqOptions) {
    this.dict = checkDict(dict)
    this.#atomic = opts?.atomic ?? true
    this.#rate = checkNumber(rate, 'rate', 0, true) * 1000
    this.#burst = checkNumber(burst, 'burst', 0, false) * 1000
  }

  /** Rate in requests per second, as given. */
  get rate(): number {
    return this.#rate / 1000
  }

  get burst(): number {
    return this.#burst / 1000
  }

  /** Counts a request for `key` (`commit` false: a dry run that records nothing). */
  incoming(key: string, commit = false): Result<LimitReqState, LimitErr> {
    return commit ? this.#locked(() => this.#incoming(key, true)) : this.#incoming(key, false)
  }

  /** Runs a read-modify-write under the dict's limit.req lock entry (see the header). */
  #locked<T>(f: () => T): T {
    if (!this.#atomic) return f()
    const d = this.dict
    for (let i = 0; ; i++) {
      const v = d.incr(LOCK_KEY, 1, 0)
      if (v === 1) {
        d.expire(LOCK_KEY, LOCK_TTL)
        try {
          return f()
        } finally {
          d.incr(LOCK_KEY, -1)
        }
      }
      if (v === undefined) break // no memory, or the key is not a number: go on as upstream does
      d.incr(LOCK_KEY, -1)
      // held: by a thread inside its few hundred ns of work, or one the OS paused, or a dead one
      if (i >= SPINS) {
        if (i >= SPINS + PAUSES) break // about 2 × LOCK_TTL (counted, not timed: fake clocks in tests)
        Atomics.wait(PAUSE, 0, 0, 0.05)
        updateTime() // so that the dict sees a dead holder's entry expire
      }
    }
    return f()
  }

  #incoming(key: string, commit: boolean): Result<LimitReqState, LimitErr> {
    // committing under the lock: this instant's clock (see the header); a dry run: the cached one
    const nowMs = commit && this.#atomic ? Date.now() : now() * 1000
    let excess = 0
    const v = this.dict.getBytes(key)
    if (v !== undefined) {
      if (!(v instanceof Uint8Array) || v.byteLength !== REC_SIZE) return fail(ABUSED)
      excess = Math.max(u64(v, 0) - (this.#rate * Math.abs(nowMs - u64(v, 8))) / 1000 + 1000, 0)
      if (excess > this.#burst) return fail(REJECTED)
    }
    if (commit) this.dict.set(key, packRecord(excess, nowMs))
    return ok({ delay: excess / this.#rate, excess: excess / 1000 })
  }

  /** Takes back one committed request (excess − 1000, not below 0). */
  uncommit(key: string): Result<true, LimitErr> {
    return this.#locked(() => this.#uncommit(key))
  }

  #uncommit(key: string): Result<true, LimitErr> {
    const v = this.dict.getBytes(key)
    if (v === undefined) return fail('not found')
    const r = readRecord(v)
    if (r === undefined) return fail(ABUSED)
    this.dict.set(key, packRecord(Math.max(r[0] - 1000, 0), r[1]))
    return ok(true)
  }

  setRate(rate: number): void {
    this.#rate = checkNumber(rate, 'rate', 0, true) * 1000
  }

  setBurst(burst: number): void {
    this.#burst = checkNumber(burst, 'burst', 0, false) * 1000
  }
}
