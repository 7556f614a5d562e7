// The receive side of a cosocket: a buffer of what the peer sent, and the readers for each
// receive pattern (`*l`, `*a`, a byte count, receiveany, receiveuntil). A reader consumes from
// the buffer and says when it is done, so a pattern gives the same result however TCP cut the
// data into segments (pinned by tests against a peer sending one byte at a time).

const EMPTY: Buffer = Buffer.alloc(0)
const LF = 0x0a
const CR = 0x0d

/** Bytes received and not yet consumed, as a queue of chunks (no copy unless a read spans two). */
export class ReadBuffer {
  #chunks: Buffer[] = []
  #off = 0
  /** Bytes buffered. */
  length = 0

  push(b: Buffer): void {
    if (b.length === 0) return
    this.#chunks.push(b)
    this.length += b.length
  }

  /** The unconsumed part of the first chunk (empty when the buffer is). */
  head(): Buffer {
    const first = this.#chunks[0]
    if (first === undefined) return EMPTY
    return this.#off === 0 ? first : first.subarray(this.#off)
  }

  /** The byte at `i` from the start (i < length). */
  at(i: number): number {
    let k = i + this.#off
    for (const c of this.#chunks) {
      if (k < c.length) return c[k]!
      k -= c.length
    }
    return -1
  }

  /** Position of the first `byte` from the start, or -1. */
  indexOf(byte: number): number {
    let base = 0
    let off = this.#off
    for (const c of this.#chunks) {
      const i = c.indexOf(byte, off)
      if (i >= 0) return base + i - off
      base += c.length - off
      off = 0
    }
    return -1
  }

  /** Removes and returns the first `n` bytes (n ≤ length). */
  take(n: number): Buffer {
    if (n <= 0) return EMPTY
    const first = this.#chunks[0]!
    const avail = first.length - this.#off
    if (n < avail) {
      const r = first.subarray(this.#off, this.#off + n)
      this.#off += n
      this.length -= n
      return r
    }
    if (n === avail) {
      const r = this.#off === 0 ? first : first.subarray(this.#off)
      this.#chunks.shift()
      this.#off = 0
      this.length -= n
      return r
    }
    const out = Buffer.allocUnsafe(n)
    let pos = 0
    while (pos < n) {
      const c = this.#chunks[0]!
      const k = Math.min(c.length - this.#off, n - pos)
      c.copy(out, pos, this.#off, this.#off + k)
      pos += k
      if (this.#off + k === c.length) {
        this.#chunks.shift()
        this.#off = 0
      } else {
        this.#off += k
      }
    }
    this.length -= n
    return out
  }

  /** Drops the first `n` bytes (n ≤ length). */
  skip(n: number): void {
    while (n > 0) {
      const first = this.#chunks[0]!
      const avail = first.length - this.#off
      if (n < avail) {
        this.#off += n
        this.length -= n
        return
      }
      this.#chunks.shift()
      this.#off = 0
      this.length -= avail
      n -= avail
    }
  }

  /** Removes and returns everything. */
  takeAll(): Buffer {
    return this.take(this.length)
  }
}

/** A buffer without its CR bytes (`*l` drops every CR of the line, as ngx_lua does). */
function dropCr(b: Buffer): Buffer {
  let i = b.indexOf(CR)
  if (i < 0) return b
  const out = Buffer.allocUnsafe(b.length)
  let n = 0
  let from = 0
  while (i >= 0) {
    n += b.copy(out, n, from, i)
    from = i + 1
    i = b.indexOf(CR, from)
  }
  n += b.copy(out, n, from)
  return out.subarray(0, n)
}

/**
 * One receive call. `read` consumes what it can and returns the result when complete, or
 * `undefined` to wait for more data. At EOF, `atEof` says what the call returns; on a timeout
 * or error `partial` hands back (and consumes) what was read so far.
 */
export interface Reader {
  read(buf: ReadBuffer): Buffer | undefined
  /** At EOF: the result when it is a success (`*a`), else `undefined` (then `closed`). */
  atEof(buf: ReadBuffer): Buffer | undefined
  partial(buf: ReadBuffer): Buffer
}

/** `*l`: a line ending at LF, without its LF and CR bytes. */
export const LINE_READER: Reader = {
  read(buf) {
    const i = buf.indexOf(LF)
    if (i < 0) return undefined
    const line = buf.take(i)
    buf.skip(1)
    return dropCr(line)
  },
  atEof: () => undefined,
  partial: (buf) => dropCr(buf.takeAll()),
}

/** `*a`: everything until the peer closes; EOF is its success. */
export const ALL_READER: Reader = {
  read: () => undefined,
  atEof: (buf) => buf.takeAll(),
  partial: (buf) => buf.takeAll(),
}

/** Exactly `n` bytes. */
export function bytesReader(n: number): Reader {
  return {
    read: (buf) => (buf.length >= n ? buf.take(n) : undefined),
    atEof: () => undefined,
    partial: (buf) => buf.takeAll(),
  }
}

/** receiveany(max): whatever is buffered (or next arrives), up to `max` bytes. */
export function anyReader(max: number): Reader {
  return {
    read: (buf) => (buf.length > 0 ? buf.take(Math.min(max, buf.length)) : undefined),
    atEof: () => undefined,
    partial: () => EMPTY,
  }
}

/**
 * receiveuntil's matcher: a KMP automaton over the pattern that keeps its state between the
 * iterator's calls. Bytes that match a prefix of the pattern are held back ("pending"); on a
 * mismatch the pending bytes that can no longer start a match are output. With a `size`, a
 * call returns once it has output at least `size` bytes (a flush of pending bytes can make it
 * more), returns the data before the boundary when it meets one, and the next call returns
 * `nil` — the chunking ngx_lua's iterator shows on the reference. Pending bytes are dropped
 * at EOF, as there.
 */
export class UntilMatcher {
  readonly #pat: Buffer
  readonly #fail: Int32Array
  readonly #inclusive: boolean
  #state = 0
  /** A sized call met the boundary: the next call returns nil. */
  #boundary = false
  #out: Buffer[] = []
  #outLen = 0
  #size = 0

  constructor(pattern: Buffer, inclusive: boolean) {
    this.#pat = pattern
    this.#inclusive = inclusive
    const m = pattern.length
    const fail = new Int32Array(m + 1)
    // fail[k]: length of the longest proper border of pattern[0..k)
    for (let k = 2, j = 0; k <= m; k++) {
      while (j > 0 && pattern[k - 1] !== pattern[j]) j = fail[j]!
      if (pattern[k - 1] === pattern[j]) j++
      fail[k] = j
    }
    this.#fail = fail
  }

  /** Starts one iterator call; `true` when it returns nil at once (the boundary was met). */
  begin(size: number): boolean {
    this.#out = []
    this.#outLen = 0
    this.#size = size > 0 ? Math.trunc(size) : 0
    if (this.#boundary) {
      this.#boundary = false
      return true
    }
    return false
  }

  #result(): Buffer {
    const out = this.#out
    const r = out.length === 0 ? EMPTY : out.length === 1 ? out[0]! : Buffer.concat(out, this.#outLen)
    this.#out = []
    this.#outLen = 0
    return r
  }

  #emit(b: Buffer): boolean {
    this.#out.push(b)
    this.#outLen += b.length
    return this.#size > 0 && this.#outLen >= this.#size
  }

  /** The Reader for the call begun with `begin`. */
  readonly reader: Reader = {
    read: (buf) => this.#read(buf),
    atEof: () => undefined,
    partial: () => this.#result(),
  }

  #read(buf: ReadBuffer): Buffer | undefined {
    const pat = this.#pat
    const m = pat.length
    const first = pat[0]!
    while (buf.length > 0) {
      if (this.#state === 0) {
        const chunk = buf.head()
        let i = chunk.indexOf(first)
        if (i < 0) i = chunk.length
        const room = this.#size > 0 ? this.#size - this.#outLen : i
        const n = Math.min(i, room)
        if (n > 0 && this.#emit(buf.take(n))) return this.#result()
        if (i === chunk.length) continue
        buf.skip(1)
        this.#state = 1
      } else {
        const c = buf.at(0)
        if (c === pat[this.#state]) {
          buf.skip(1)
          this.#state++
        } else {
          let j = this.#state
          while (j > 0 && pat[j] !== c) j = this.#fail[j]!
          const flushed = this.#state - j
          this.#state = j
          if (this.#emit(pat.subarray(0, flushed))) return this.#result()
          continue
        }
      }
      if (this.#state === m) {
        this.#state = 0
        if (this.#inclusive) this.#emit(pat)
        if (this.#size > 0) this.#boundary = true
        return this.#result()
      }
    }
    return undefined
  }
}
