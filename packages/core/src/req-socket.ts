// ngx.req.socket(): a read-only cosocket over the request body (receive, receiveAny,
// receiveUntil, timeouts), reading node's IncomingMessage as it arrives, with the receive
// patterns of socket-receive.ts and ngx_lua's results (measured; see cosocket.md).
import type { SocketDataOptions } from './cosocket.ts'
import { checkTimeout, logSocketError } from './cosocket.ts'
import { argError } from './errors.ts'
import { CTX_RAC } from './phase.ts'
import type { NgxRequest } from './request.ts'
import { fail, ok } from './result.ts'
import type { Result } from './result.ts'
import { ALL_READER, anyReader, bytesReader, LINE_READER, ReadBuffer, UntilMatcher } from './socket-receive.ts'
import type { Reader } from './socket-receive.ts'
import type { ReceiveResult, UntilIterator, UntilOptions } from './socket-tcp.ts'

/** ngx.req.socket()'s err strings. */
export type ReqSocketErr = 'no body' | 'chunked request bodies not supported yet' | 'request body already exists'

const EMPTY = Buffer.alloc(0)
const CLOSED = 'closed'

/** The request body as a read-only cosocket. */
export class RequestSocket<D extends string | Buffer = string> {
  readonly #r: NgxRequest
  readonly #binary: boolean
  readonly #encoding: BufferEncoding
  readonly #buf = new ReadBuffer()
  #eof = false
  #closed = false
  #readTimeout = 0
  #read: Reader | undefined = undefined
  #resolve: ((r: ReceiveResult<D>) => void) | undefined = undefined
  #timer: ReturnType<typeof setTimeout> | undefined = undefined

  constructor(r: NgxRequest, opts: SocketDataOptions = {}) {
    this.#r = r
    this.#binary = opts.binary === true
    this.#encoding = opts.encoding ?? 'utf8'
    r._addCleanup(this.#cleanup)
  }

  readonly #cleanup = (): void => {
    if (this.#read !== undefined) this.#finish({ ok: false, err: CLOSED, partial: this.#decode(EMPTY) })
  }

  #decode(b: Buffer): D {
    return (this.#binary ? b : b.toString(this.#encoding)) as D
  }

  /** Moves what node has buffered into ours; notes the end of the body (or the client gone). */
  #pull(): void {
    const inc = this.#r._in
    for (let c = inc.read() as Buffer | null; c !== null; c = inc.read() as Buffer | null) this.#buf.push(c)
    if ((inc.complete && inc.readableLength === 0) || inc.destroyed) this.#eof = true
  }

  readonly #onData = (): void => {
    if (this.#read === undefined) return
    this.#pull()
    const r = this.#settle(this.#read)
    if (r !== undefined) this.#finish(r)
  }

  // Listeners only while a read waits: between reads node may dump what nobody reads.
  #listen(on: boolean): void {
    const inc = this.#r._in
    const f = on ? inc.on.bind(inc) : inc.off.bind(inc)
    f('readable', this.#onData)
    f('end', this.#onData)
    f('close', this.#onData)
    f('error', this.#onData)
  }

  #finish(r: ReceiveResult<D>): void {
    const resolve = this.#resolve!
    this.#listen(false)
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#read = undefined
    this.#resolve = undefined
    resolve(r)
  }

  #settle(reader: Reader): ReceiveResult<D> | undefined {
    const got = reader.read(this.#buf)
    if (got !== undefined) return ok(this.#decode(got))
    if (!this.#eof) return undefined
    const done = reader.atEof(this.#buf)
    if (done !== undefined) return ok(this.#decode(done))
    this.#closed = true
    return { ok: false, err: CLOSED, partial: this.#decode(reader.partial(this.#buf)) }
  }

  /** settimeout(ms): the read timeout; 0 uses lua_socket_read_timeout. */
  setTimeout(ms: number): void {
    this.#readTimeout = checkTimeout(ms)
  }

  /** settimeouts(connect, send, read): only the read timeout matters here. */
  setTimeouts(connectMs: number, sendMs: number, readMs: number): void {
    checkTimeout(connectMs)
    checkTimeout(sendMs)
    this.#readTimeout = checkTimeout(readMs)
  }

  /**
   * receive(pattern): `'*l'` (default), `'*a'` (the rest of the body) or a byte count. Past
   * the end of the body: `closed` with the partial data; then `closed`.
   */
  receive(pattern: '*l' | '*a' | number = '*l'): Promise<ReceiveResult<D>> {
    let reader: Reader
    if (pattern === '*l') reader = LINE_READER
    else if (pattern === '*a') reader = ALL_READER
    else if (typeof pattern === 'number' && pattern >= 0) reader = bytesReader(Math.trunc(pattern))
    else throw argError(`bad pattern argument: ${String(pattern)}`)
    return this.#receive(reader)
  }

  /** receiveany(max): up to `max` bytes of whatever arrives first. */
  receiveAny(max: number): Promise<ReceiveResult<D>> {
    if (typeof max !== 'number' || !(max >= 1)) throw argError('bad max argument')
    return this.#receive(anyReader(Math.trunc(max)))
  }

  /** receiveuntil(pattern, { inclusive }): as on a TCP cosocket. */
  receiveUntil(pattern: string | Uint8Array, opts: UntilOptions = {}): UntilIterator<D> {
    const pat = typeof pattern === 'string' ? Buffer.from(pattern, this.#encoding) : Buffer.from(pattern)
    if (pat.length === 0) throw argError('pattern is empty')
    const m = new UntilMatcher(pat, opts.inclusive === true)
    return (size?: number) => {
      if (!this.#closed && this.#read === undefined && m.begin(size ?? 0)) return Promise.resolve(ok(undefined))
      return this.#receive(m.reader) as Promise<ReceiveResult<D | undefined>>
    }
  }

  #receive(reader: Reader): Promise<ReceiveResult<D>> {
    const r = this.#r
    r._checkPhaseOrThrow(CTX_RAC)
    if (this.#closed) return Promise.resolve(fail(CLOSED))
    if (this.#read !== undefined) return Promise.resolve(fail('socket busy reading'))
    this.#pull()
    const now = this.#settle(reader)
    if (now !== undefined) return Promise.resolve(now)
    return new Promise((resolve) => {
      this.#read = reader
      this.#resolve = resolve
      this.#timer = setTimeout(this.#onTimeout, this.#readTimeout || r._cosocketConf.readTimeout)
      this.#listen(true)
    })
  }

  readonly #onTimeout = (): void => {
    const reader = this.#read
    if (reader === undefined) return
    this.#timer = undefined
    logSocketError(this.#r, 'lua tcp socket read timed out')
    this.#finish({ ok: false, err: 'timeout', partial: this.#decode(reader.partial(this.#buf)) })
  }
}

/**
 * ngx.req.socket(): the body as a socket, or `no body` (none, or discarded),
 * `chunked request bodies not supported yet`, `request body already exists` (read, or a
 * socket made already).
 */
export function requestSocket(r: NgxRequest, opts: SocketDataOptions = {}): Result<RequestSocket<string> | RequestSocket<Buffer>, ReqSocketErr> {
  r._checkPhaseOrThrow(CTX_RAC)
  if (r._parent !== undefined) return fail('no body')
  if (r._bodyRead) return fail('request body already exists')
  const te = r._in.headers['transfer-encoding']
  if (te !== undefined && /chunked/i.test(te)) return fail('chunked request bodies not supported yet')
  if (r._bodyDiscarded || r._contentLength() <= 0) return fail('no body')
  if (r._main._expectContinue) {
    r._main._expectContinue = false
    r._main._res?.writeContinue()
  }
  r._bodyRead = true
  return ok(opts.binary === true ? new RequestSocket<Buffer>(r, opts) : new RequestSocket<string>(r, opts))
}
