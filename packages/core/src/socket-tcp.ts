// ngx.socket.tcp: a cosocket over node's net/tls sockets. connect (host/port or unix path,
// through the worker's pools), sslHandshake, send, receive (`*l`, `*a`, n), receiveAny,
// receiveUntil, timeouts, setKeepalive, getReusedTimes, close, setOption, with ngx_lua's
// results and err strings (measured on the reference; see cosocket.md).
import { connect as netConnect } from 'node:net'
import type { Socket } from 'node:net'
import {
  assertCosocketPhase, badRequestError, checkTimeout, logSocketError, parsePeer, resolveHost,
  socketErrorLog, socketErrorText, toBytes,
} from './cosocket.ts'
import type { CosocketConf, CosocketOwner, SendData, SocketDataOptions } from './cosocket.ts'
import { argError, ERROR_CODES, NgxApiError } from './errors.ts'
import { fail, ok } from './result.ts'
import type { Ok, Result } from './result.ts'
import { PoolSet } from './socket-pool.ts'
import type { Pool, PoolHooks, WaitToken } from './socket-pool.ts'
import {
  ALL_READER, anyReader, bytesReader, LINE_READER, ReadBuffer, UntilMatcher,
} from './socket-receive.ts'
import type { Reader } from './socket-receive.ts'
import { handshake, SslSession } from './socket-tls.ts'

export { SslSession }

/** A failed receive: ngx_lua's `nil, err, partial` (no `partial` when the socket was already closed). */
export interface ReceiveFail<D> {
  readonly ok: false
  readonly err: string
  readonly partial?: D
}
export type ReceiveResult<D> = Ok<D> | ReceiveFail<D>

/** The receiveuntil iterator: `(size?)` → data before the boundary, chunks of it, or `undefined` (Lua nil). */
export type UntilIterator<D> = (size?: number) => Promise<ReceiveResult<D | undefined>>

export interface ConnectOptions {
  /** The pool name (default `host:port`, or the `unix:` path). */
  readonly pool?: string | number
  /** Creates the pool with this size (default lua_socket_pool_size) if it does not exist. */
  readonly poolSize?: number
  /** Limits the pool to `poolSize` connections; up to `backlog` connects wait for one. */
  readonly backlog?: number
}

export interface UntilOptions {
  /** Include the boundary in the data returned. */
  readonly inclusive?: boolean
}

export type TcpOption = 'keepalive' | 'reuseaddr' | 'tcp-nodelay' | 'sndbuf' | 'rcvbuf'

/** A worker's TCP connection pools (owned by the worker; see `createSocketPools`). */
export type SocketPools = PoolSet<TcpConnection>

const CLOSED = 'closed'
const EMPTY = Buffer.alloc(0)
const OK1: Ok<1> = Object.freeze({ ok: true, value: 1 })
const NO_OPTS: ConnectOptions = Object.freeze({})

// `host:port` pool keys, made once: a key string seen before hashes for free in the pool map.
const KEYS = new Map<string, Map<number, string>>()
function poolKey(host: string, port: number): string {
  let byPort = KEYS.get(host)
  if (byPort === undefined) {
    if (KEYS.size >= 1024) KEYS.clear()
    byPort = new Map()
    KEYS.set(host, byPort)
  }
  let key = byPort.get(port)
  if (key === undefined) {
    if (byPort.size >= 1024) byPort.clear()
    key = `${host}:${port}`
    byPort.set(port, key)
  }
  return key
}

/**
 * One connection: the node socket, what it received, and its pool bookkeeping. This is what
 * a pool holds between requests; a TcpSocket object drives one at a time.
 */
export class TcpConnection {
  sock: Socket
  readonly key: string
  /** The pool this connection counts against, if any. */
  pool: Pool<TcpConnection> | undefined = undefined
  readonly buf: ReadBuffer = new ReadBuffer()
  eof = false
  err: NodeJS.ErrnoException | undefined = undefined
  dead = false
  /** Bytes a read left in the buffer (setkeepalive's `unread data in buffer`). */
  leftover = 0
  paused = false
  /** Called on data, EOF, error or close: the waiting read, or the pool's watch when idle. */
  notify: (() => void) | undefined = undefined
  /** Called when queued writes have all been flushed (or failed). */
  onFlushed: (() => void) | undefined = undefined
  /** The pool's `dead` callback while the connection is idle in a pool. */
  idleDead: ((c: TcpConnection) => void) | undefined = undefined
  /** `notify` while idle: made once per connection, not per setkeepalive. */
  readonly idleNotify = (): void => {
    this.idleDead?.(this)
  }
  session: SslSession | undefined = undefined
  tls = false
  readonly highWater: number
  /** When the waiting read times out (performance.now() ms), 0 when none waits. */
  #deadline = 0
  #timer: ReturnType<typeof setTimeout> | undefined = undefined
  #timerAt = 0
  /** Called when the waiting read's deadline passes. */
  onTimeout: (() => void) | undefined = undefined

  constructor(sock: Socket, key: string, bufferSize: number) {
    this.sock = sock
    this.key = key
    this.highWater = Math.max(bufferSize, 16384)
    this.attach(sock)
  }

  readonly #onData = (b: Buffer): void => {
    this.buf.push(b)
    if (this.notify !== undefined) this.notify()
    else if (this.buf.length > this.highWater && !this.paused) {
      // nobody reads: leave the rest in the kernel, as nginx's fixed buffer does
      this.paused = true
      this.sock.pause()
    }
  }

  readonly #onEnd = (): void => {
    this.eof = true
    this.notify?.()
  }

  readonly #onError = (e: Error): void => {
    if (this.err === undefined) this.err = e as NodeJS.ErrnoException
    this.notify?.()
    this.onFlushed?.()
  }

  readonly #onClose = (): void => {
    this.dead = true
    this.notify?.()
    this.onFlushed?.()
  }

  /**
   * Starts the read deadline. The timer is lazy: it stays armed between reads and, when it
   * fires early, re-arms for what is left, so a read that completes costs no timer work.
   */
  armRead(ms: number): void {
    const at = performance.now() + ms
    this.#deadline = at
    if (this.#timer !== undefined && this.#timerAt <= at) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(this.#fire, ms)
    this.#timer.unref()
  }

  disarmRead(): void {
    this.#deadline = 0
  }

  readonly #fire = (): void => {
    this.#timer = undefined
    if (this.#deadline === 0) return
    const left = this.#deadline - performance.now()
    if (left >= 1) {
      this.#timerAt = this.#deadline
      this.#timer = setTimeout(this.#fire, left)
      this.#timer.unref()
      return
    }
    this.#deadline = 0
    this.onTimeout?.()
  }

  /** The callback of every write: wakes a send waiting for the flush. */
  readonly written = (): void => {
    if (this.sock.writableLength === 0) this.onFlushed?.()
  }

  attach(sock: Socket): void {
    this.sock = sock
    sock.on('data', this.#onData)
    sock.on('end', this.#onEnd)
    sock.on('error', this.#onError)
    sock.on('close', this.#onClose)
  }

  detach(): void {
    const s = this.sock
    s.off('data', this.#onData)
    s.off('end', this.#onEnd)
    s.off('error', this.#onError)
    s.off('close', this.#onClose)
    s.on('error', noop)
  }

  /** Reading again after a pause for a full buffer. */
  resume(): void {
    if (this.paused) {
      this.paused = false
      this.sock.resume()
    }
  }

  destroy(): void {
    this.dead = true
    this.notify = undefined
    this.onFlushed = undefined
    this.onTimeout = undefined
    this.#deadline = 0
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.sock.destroy()
  }
}

function noop(): void {}

const TCP_POOL_HOOKS: PoolHooks<TcpConnection> = {
  close: (c) => c.destroy(),
  watch(c, dead) {
    // nginx closes an idle pooled connection that becomes readable (data, EOF or error).
    c.idleDead = dead
    c.notify = c.idleNotify
    c.sock.unref()
    if (c.buf.length !== 0 || c.eof || c.err !== undefined || c.dead) queueMicrotask(c.idleNotify)
  },
  unwatch(c) {
    c.idleDead = undefined
    c.notify = undefined
    c.sock.ref()
  },
}

/** A new, empty set of TCP pools (one per worker). */
export function createSocketPools(): SocketPools {
  return new PoolSet(TCP_POOL_HOOKS)
}


/** Options of `tcp(owner, opts)`. */
export type TcpSocketOptions = SocketDataOptions

/**
 * A TCP cosocket (ngx.socket.tcp). Results carry strings (utf8 by default) or, created with
 * `{ binary: true }`, Buffers.
 */
export class TcpSocket<D extends string | Buffer = string> {
  /** The request or timer the socket belongs to. */
  owner: CosocketOwner
  readonly #binary: boolean
  readonly #encoding: BufferEncoding
  #conn: TcpConnection | undefined = undefined
  #reused = 0
  #everConnected = false
  #connecting = false
  #writing = false
  /** The waiting read: its reader and its promise's resolve. */
  #read: Reader | undefined = undefined
  #readResolve: ((r: ReceiveResult<Buffer>) => void) | undefined = undefined
  #wait: WaitToken | undefined = undefined
  #connectTimeout = 0
  #sendTimeout = 0
  #readTimeout = 0

  constructor(owner: CosocketOwner, opts: TcpSocketOptions = {}) {
    assertCosocketPhase(owner._phase)
    this.owner = owner
    this.#binary = opts.binary === true
    this.#encoding = opts.encoding ?? 'utf8'
    this.#register(owner)
  }

  #register(owner: CosocketOwner): void {
    owner._addCleanup(() => {
      if (this.owner === owner) this.#abort()
    })
  }

  get #conf(): CosocketConf {
    return this.owner._cosocketConf
  }

  /**
   * For the Lua bridge, before each call: throws ngx_lua's `bad request` when a socket that
   * is connected (or busy) is used by a request or timer other than its owner. A closed,
   * idle socket moves to `current` (ngx_lua lets another request connect it again).
   */
  assertOwner(current: CosocketOwner): void {
    if (current === this.owner) return
    if (this.#conn !== undefined || this.#connecting || this.#read !== undefined || this.#writing) {
      throw badRequestError()
    }
    this.owner = current
    this.#register(current)
  }

  /** Whether a connection is open. */
  get connected(): boolean {
    return this.#conn !== undefined
  }

  #decode(b: Buffer): D {
    return (this.#binary ? b : b.toString(this.#encoding)) as D
  }

  #busy(): string | undefined {
    if (this.#read !== undefined) return 'socket busy reading'
    if (this.#writing) return 'socket busy writing'
    if (this.#connecting) return 'socket busy connecting'
    return undefined
  }

  // ---- timeouts -------------------------------------------------------------------------

  /** settimeout(ms): connect, send and read timeouts; 0 uses the lua_socket_* defaults. */
  setTimeout(ms: number): void {
    const t = checkTimeout(ms)
    this.#connectTimeout = t
    this.#sendTimeout = t
    this.#readTimeout = t
  }

  /** settimeouts(connect, send, read) in ms; 0 uses the lua_socket_* default. */
  setTimeouts(connectMs: number, sendMs: number, readMs: number): void {
    const c = checkTimeout(connectMs)
    const s = checkTimeout(sendMs)
    const r = checkTimeout(readMs)
    this.#connectTimeout = c
    this.#sendTimeout = s
    this.#readTimeout = r
  }

  get #connectMs(): number {
    return this.#connectTimeout || this.#conf.connectTimeout
  }

  // ---- connect --------------------------------------------------------------------------

  /**
   * connect(host, port, opts) / connect('unix:/path', opts): reuses an idle connection of
   * the pool (`host:port`, the path, or `opts.pool`) or opens one. Errors: `connection
   * refused`, `timeout`, `no such file or directory`, `too many waiting connect operations`,
   * `no resolver defined to resolve "host"` (resolver off), `missing the port number`, …
   */
  connect(host: string, port?: number | string | ConnectOptions, opts?: ConnectOptions): Promise<Result<1, string>> {
    assertCosocketPhase(this.owner._phase)
    if (typeof port === 'object') {
      opts = port
      port = undefined
    }
    const busy = this.#busy()
    if (busy !== undefined) return Promise.resolve(fail(busy))
    if (this.#conn !== undefined) this.#closeConn()
    // The usual call, connect(host, port) with an idle connection in the pool: a key made
    // from this host and port exists only if they were parsed and connected before.
    if (opts === undefined && typeof port === 'number') {
      const key = KEYS.get(host)?.get(port)
      const lease = key === undefined ? undefined : this.owner._pools.get(key)?.take()
      if (lease !== undefined) {
        this.#adopt(lease.item!, lease.reused)
        return Promise.resolve(OK1)
      }
    }
    const o = opts ?? NO_OPTS
    if (o.poolSize !== undefined && (!Number.isInteger(o.poolSize) || o.poolSize < 1)) {
      throw argError(`bad "pool_size" option value: ${o.poolSize}`)
    }
    if (o.backlog !== undefined && (!Number.isInteger(o.backlog) || o.backlog < 0)) {
      throw argError(`bad "backlog" option value: ${o.backlog}`)
    }
    if (o.pool !== undefined && typeof o.pool !== 'string' && typeof o.pool !== 'number') {
      throw argError(`bad "pool" option type: ${typeof o.pool}`)
    }
    const addr = parsePeer(host, port)
    if (typeof addr === 'string') return Promise.resolve(fail(addr))
    const key = o.pool !== undefined ? String(o.pool) : addr.unix ? host : poolKey(host, addr.port)
    const pools = this.owner._pools
    let pool = pools.get(key)
    if (pool === undefined && (o.poolSize !== undefined || o.backlog !== undefined)) {
      pool = pools.getOrCreate(key, o.poolSize ?? this.#conf.poolSize, o.backlog)
    }
    if (pool !== undefined) {
      const lease = pool.take()
      if (lease !== undefined) {
        this.#adopt(lease.item!, lease.reused)
        return Promise.resolve(OK1)
      }
    }
    this.#connecting = true
    return this.#open(addr, key, pool)
  }

  async #open(
    addr: Exclude<ReturnType<typeof parsePeer>, string>,
    key: string,
    pool: Pool<TcpConnection> | undefined,
  ): Promise<Result<1, string>> {
    const owner = this.owner
    try {
      if (pool !== undefined) {
        const token: WaitToken = {}
        this.#wait = token
        const r = await pool.acquire(this.#connectMs, token)
        this.#wait = undefined
        if (!r.ok) {
          if (r.err === 'timeout') {
            logSocketError(owner, `lua tcp socket queued connect timed out, when trying to connect to ${key}`)
          }
          return r
        }
        if (r.value.item !== undefined) {
          r.value.item.sock.ref()
          this.#adopt(r.value.item, r.value.reused)
          return OK1
        }
      }
      const res = await this.#dial(addr, key)
      if (typeof res === 'string') {
        pool?.discard()
        return fail(res)
      }
      res.pool = pool
      if (!this.#connecting) {
        // the owner ended while connecting
        res.destroy()
        pool?.discard()
        return fail(CLOSED)
      }
      this.#adopt(res, 0)
      return OK1
    } finally {
      this.#connecting = false
    }
  }

  #dial(addr: Exclude<ReturnType<typeof parsePeer>, string>, key: string): Promise<TcpConnection | string> {
    const owner = this.owner
    const conf = this.#conf
    const timeoutMs = this.#connectMs
    const start = (target: { path: string } | { host: string; port: number }, label: string): Promise<TcpConnection | string> =>
      new Promise((resolve) => {
        const sock = netConnect({ ...target, allowHalfOpen: true, noDelay: true })
        const timer = setTimeout(() => {
          sock.destroy()
          logSocketError(owner, `lua tcp socket connect timed out, when trying to connect to ${label}`)
          resolve('timeout')
        }, timeoutMs)
        sock.once('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer)
          sock.destroy()
          logSocketError(owner, `connect() to ${label} failed (${socketErrorLog(e)})`)
          resolve(socketErrorText(e))
        })
        sock.once('connect', () => {
          clearTimeout(timer)
          sock.removeAllListeners('error')
          resolve(new TcpConnection(sock, key, conf.bufferSize))
        })
      })
    if (addr.unix) return start({ path: addr.path }, `unix:${addr.path}`)
    return resolveHost(addr.host, conf).then((r) => {
      if ('err' in r) {
        logSocketError(owner, r.err)
        return r.err
      }
      return start({ host: r.ip, port: addr.port }, `${r.ip}:${addr.port}`)
    })
  }

  #adopt(conn: TcpConnection, reused: number): void {
    this.#conn = conn
    this.#reused = reused
    this.#everConnected = true
    conn.notify = undefined
    conn.leftover = 0
  }

  // ---- TLS ------------------------------------------------------------------------------

  /**
   * sslhandshake(reusedSession?, serverName?, sslVerify?, sendStatusReq?): a TLS client
   * handshake on the connected socket (a no-op on a connection that is TLS already, such as
   * one from the pool). Returns the session, or `true` when `reusedSession` is `false`.
   * Errors: `handshake failed`, `timeout` (the connect timeout), `18: self-signed
   * certificate` and the other OpenSSL verify results, `certificate host mismatch`.
   */
  async sslHandshake(
    reusedSession?: SslSession | false,
    serverName?: string,
    sslVerify?: boolean,
    sendStatusReq?: boolean,
  ): Promise<Result<SslSession | true, string>> {
    const conn = this.#conn
    if (conn === undefined) {
      if (!this.#everConnected) throw new NgxApiError(ERROR_CODES.STATE, 'socket is never created nor connected')
      return fail(CLOSED)
    }
    assertCosocketPhase(this.owner._phase)
    if (serverName !== undefined && typeof serverName !== 'string') throw argError('bad server name: string expected')
    const busy = this.#busy()
    if (busy !== undefined) return fail(busy)
    if (conn.tls) return ok(reusedSession === false ? true : conn.session ?? new SslSession())
    conn.detach()
    this.#connecting = true
    const r = await handshake(conn.sock, {
      serverName,
      verify: sslVerify === true,
      session: reusedSession === false ? undefined : reusedSession,
      ca: this.#conf.sslTrustedCertificate,
      ocsp: sendStatusReq === true,
      timeoutMs: this.#connectMs,
    })
    this.#connecting = false
    if (!r.ok) {
      if (r.log !== undefined) logSocketError(this.owner, r.log)
      if (this.#conn === conn) this.#closeConn()
      else conn.destroy()
      return fail(r.err)
    }
    if (this.#conn !== conn) {
      r.sock.destroy()
      return fail(CLOSED)
    }
    conn.attach(r.sock)
    conn.tls = true
    conn.session = r.session
    return ok(reusedSession === false ? true : r.session)
  }

  // ---- send -----------------------------------------------------------------------------

  /**
   * send(data): writes it all and resolves with the bytes sent once the kernel has them.
   * Any error (`closed`, `timeout`, `broken pipe`, `connection reset by peer`) closes the socket.
   */
  send(data: SendData): Promise<Result<number, string>> {
    const conn = this.#conn
    if (conn === undefined) {
      logSocketError(this.owner, 'attempt to send data on a closed socket')
      return Promise.resolve(fail(CLOSED))
    }
    assertCosocketPhase(this.owner._phase)
    if (this.#writing) return Promise.resolve(fail('socket busy writing'))
    if (this.#connecting) return Promise.resolve(fail('socket busy connecting'))
    if (conn.err !== undefined || conn.dead) return Promise.resolve(this.#writeFailed(conn))
    let n: number
    if (typeof data === 'string') {
      n = Buffer.byteLength(data, this.#encoding)
      if (n === 0) return Promise.resolve(ok(0))
      conn.sock.write(data, this.#encoding)
    } else {
      const b = toBytes(data, this.#encoding)
      n = b.length
      if (n === 0) return Promise.resolve(ok(0))
      conn.sock.write(b)
    }
    // Written at once (the usual case for small writes): nothing to wait for.
    if (conn.sock.writableLength === 0 && conn.err === undefined) return Promise.resolve(ok(n))
    // Else an empty write's callback runs once everything before it is flushed.
    conn.sock.write(EMPTY, conn.written)
    this.#writing = true
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        conn.onFlushed = undefined
        this.#writing = false
        logSocketError(this.owner, 'lua tcp socket write timed out')
        if (this.#conn === conn) this.#closeConn()
        resolve(fail('timeout'))
      }, this.#sendTimeout || this.#conf.sendTimeout)
      conn.onFlushed = () => {
        if (conn.sock.writableLength !== 0 && conn.err === undefined && !conn.dead) return
        clearTimeout(timer)
        conn.onFlushed = undefined
        this.#writing = false
        resolve(conn.err !== undefined || conn.dead ? this.#writeFailed(conn) : ok(n))
      }
    })
  }

  #writeFailed(conn: TcpConnection): Result<number, string> {
    const e = conn.err
    if (e !== undefined) logSocketError(this.owner, `send() failed (${socketErrorLog(e)})`)
    if (this.#conn === conn) this.#closeConn()
    return fail(e !== undefined ? socketErrorText(e) : CLOSED)
  }

  // ---- receive --------------------------------------------------------------------------

  /**
   * receive(pattern): `'*l'` (default) a line without its LF and CR bytes, `'*a'` all until
   * the peer closes, or a byte count. Fails with `nil, err, partial`: `timeout` (the socket
   * stays usable), `closed` (EOF; the socket is closed), an OS error.
   */
  receive(pattern: '*l' | '*a' | number = '*l'): Promise<ReceiveResult<D>> {
    let reader: Reader
    if (pattern === '*l') reader = LINE_READER
    else if (pattern === '*a') reader = ALL_READER
    else if (typeof pattern === 'number' && pattern >= 0) {
      const n = Math.trunc(pattern)
      if (n === 0 && this.#conn !== undefined) return Promise.resolve(ok(this.#decode(EMPTY)))
      reader = bytesReader(n)
    } else {
      throw argError(`bad pattern argument: ${String(pattern)}`)
    }
    return this.#receive(reader) as Promise<ReceiveResult<D>>
  }

  /** receiveany(max): up to `max` bytes of whatever arrives first. */
  receiveAny(max: number): Promise<ReceiveResult<D>> {
    if (typeof max !== 'number' || !(max >= 1)) throw argError('bad max argument')
    return this.#receive(anyReader(Math.trunc(max))) as Promise<ReceiveResult<D>>
  }

  /**
   * receiveuntil(pattern, { inclusive }): an iterator reading up to the boundary. Called
   * without a size it returns the data before the boundary; with a size, chunks of about that
   * size and then `undefined` (Lua's nil) at the boundary, as ngx_lua's does. Throws on an
   * empty pattern (ngx_lua returns `nil, "pattern is empty"`).
   */
  receiveUntil(pattern: string | Uint8Array, opts: UntilOptions = {}): UntilIterator<D> {
    const pat = typeof pattern === 'string' ? Buffer.from(pattern, this.#encoding) : Buffer.from(pattern)
    if (pat.length === 0) throw argError('pattern is empty')
    const m = new UntilMatcher(pat, opts.inclusive === true)
    return (size?: number) => {
      if (this.#conn !== undefined && this.#read === undefined && m.begin(size ?? 0)) {
        return Promise.resolve(ok(undefined))
      }
      return this.#receive(m.reader) as Promise<ReceiveResult<D | undefined>>
    }
  }

  #receive(reader: Reader): Promise<ReceiveResult<D>> {
    const conn = this.#conn
    if (conn === undefined) {
      logSocketError(this.owner, 'attempt to receive data on a closed socket')
      return Promise.resolve(fail(CLOSED))
    }
    assertCosocketPhase(this.owner._phase)
    if (this.#read !== undefined) return Promise.resolve(fail('socket busy reading'))
    if (this.#connecting) return Promise.resolve(fail('socket busy connecting'))
    const now = this.#settle(conn, reader)
    if (now !== undefined) return Promise.resolve(now)
    conn.resume()
    return new Promise((resolve) => {
      this.#read = reader
      this.#readResolve = resolve as (r: ReceiveResult<Buffer>) => void
      conn.notify = this.#onReadable
      conn.onTimeout = this.#onReadTimeout
      conn.armRead(this.#readTimeout || this.#conf.readTimeout)
    })
  }

  /** The result of `reader` if it can be given now, else undefined (wait). */
  #settle(conn: TcpConnection, reader: Reader): ReceiveResult<D> | undefined {
    const r = reader.read(conn.buf)
    if (r !== undefined) {
      conn.leftover = conn.buf.length
      return ok(this.#decode(r))
    }
    if (conn.err !== undefined) {
      const e = conn.err
      const partial = this.#decode(reader.partial(conn.buf))
      logSocketError(this.owner, `recv() failed (${socketErrorLog(e)})`)
      this.#closeConn()
      return { ok: false, err: socketErrorText(e), partial }
    }
    if (conn.eof || conn.dead) {
      const done = reader.atEof(conn.buf)
      if (done !== undefined) return ok(this.#decode(done))
      const partial = this.#decode(reader.partial(conn.buf))
      this.#closeConn()
      return { ok: false, err: CLOSED, partial }
    }
    return undefined
  }

  readonly #onReadable = (): void => {
    const reader = this.#read
    const conn = this.#conn
    if (reader === undefined || conn === undefined) return
    const r = this.#settle(conn, reader)
    if (r === undefined) return
    this.#endRead(conn)(r as ReceiveResult<Buffer>)
  }

  readonly #onReadTimeout = (): void => {
    const reader = this.#read
    const conn = this.#conn
    if (reader === undefined || conn === undefined) return
    const resolve = this.#endRead(conn)
    logSocketError(this.owner, 'lua tcp socket read timed out')
    const partial = this.#decode(reader.partial(conn.buf))
    conn.leftover = conn.buf.length
    resolve({ ok: false, err: 'timeout', partial } as ReceiveResult<Buffer>)
  }

  /** Ends the waiting read; returns its resolve. */
  #endRead(conn: TcpConnection): (r: ReceiveResult<Buffer>) => void {
    const resolve = this.#readResolve!
    conn.disarmRead()
    conn.onTimeout = undefined
    this.#read = undefined
    this.#readResolve = undefined
    if (conn.notify === this.#onReadable) conn.notify = undefined
    return resolve
  }

  // ---- keepalive, close -----------------------------------------------------------------

  /**
   * setkeepalive(timeout?, size?): puts the connection into its pool (idle for `timeout` ms,
   * default lua_socket_keepalive_timeout; 0 or less: no limit) and closes this object. `size`
   * only sizes a pool created now. Fails with `unread data in buffer` (the socket stays
   * open), `connection in dubious state` (data arrived unasked; closed), `closed`, or
   * `socket busy reading|writing|connecting`.
   */
  setKeepalive(timeoutMs?: number, size?: number): Result<1, string> {
    const conn = this.#conn
    if (conn === undefined) return fail(CLOSED)
    const busy = this.#busy()
    if (busy !== undefined) return fail(busy)
    if (size !== undefined && (!Number.isInteger(size) || size < 1)) throw argError(`bad "pool_size" value: ${size}`)
    if (conn.leftover > 0 && conn.buf.length > 0) {
      logSocketError(this.owner, 'lua tcp socket connection pool: unread data in buffer')
      return fail('unread data in buffer')
    }
    if (conn.err !== undefined || conn.dead || conn.eof) {
      this.#closeConn()
      return fail(CLOSED)
    }
    if (conn.buf.length > 0 || conn.sock.readableLength > 0) {
      this.#closeConn()
      return fail('connection in dubious state')
    }
    const conf = this.#conf
    const pool = this.owner._pools.getOrCreate(conn.key, size ?? conf.poolSize)
    const idleMs = timeoutMs === undefined ? conf.keepaliveTimeout : timeoutMs > 0 ? Math.trunc(timeoutMs) : 0
    this.#conn = undefined
    conn.notify = undefined
    conn.onFlushed = undefined
    const counted = conn.pool === pool
    conn.pool = pool
    pool.release(conn, this.#reused, idleMs, counted)
    return OK1
  }

  /** getreusedtimes(): 0 for a new connection, n for one taken from the pool n times. */
  getReusedTimes(): Result<number, string> {
    return this.#conn === undefined ? fail(CLOSED) : ok(this.#reused)
  }

  /** close(): `closed` when already closed, `socket busy reading` while a read waits. */
  close(): Result<1, string> {
    if (this.#conn === undefined) return fail(CLOSED)
    if (this.#read !== undefined) return fail('socket busy reading')
    if (this.#writing) return fail('socket busy writing')
    this.#closeConn()
    return OK1
  }

  #closeConn(): void {
    const conn = this.#conn
    if (conn === undefined) return
    this.#conn = undefined
    conn.destroy()
    conn.pool?.discard()
    conn.pool = undefined
  }

  /** The owner ended: closes the connection and ends a wait in progress with `closed`. */
  #abort(): void {
    this.#wait?.cancel?.()
    this.#wait = undefined
    this.#connecting = false
    const conn = this.#conn
    if (this.#read !== undefined && conn !== undefined) this.#endRead(conn)({ ok: false, err: CLOSED })
    if (conn !== undefined) {
      const flushed = conn.onFlushed
      this.#closeConn()
      flushed?.()
    }
    this.#writing = false
  }

  /**
   * setoption(name, value) on a connected socket: `keepalive` and `tcp-nodelay` are applied;
   * `reuseaddr`, `sndbuf` and `rcvbuf` are accepted and have no effect (node exposes no
   * such setter for a connected TCP socket). Unknown names: `unsupported option <name>`.
   */
  setOption(name: TcpOption | string, value: boolean | number): Result<true, string> {
    const conn = this.#conn
    if (conn === undefined) {
      if (!this.#everConnected) throw new NgxApiError(ERROR_CODES.STATE, 'socket is never created nor connected')
      return fail(CLOSED)
    }
    switch (name) {
      case 'keepalive':
        conn.sock.setKeepAlive(Boolean(value))
        return ok(true)
      case 'tcp-nodelay':
        conn.sock.setNoDelay(Boolean(value))
        return ok(true)
      case 'reuseaddr':
      case 'sndbuf':
      case 'rcvbuf':
        return ok(true)
      default:
        return fail(`unsupported option ${name}`)
    }
  }
}

/** ngx.socket.tcp(): a new, unconnected socket owned by `owner` (phase-checked). */
export function tcp(owner: CosocketOwner): TcpSocket
export function tcp(owner: CosocketOwner, opts: TcpSocketOptions & { readonly binary: true }): TcpSocket<Buffer>
export function tcp(owner: CosocketOwner, opts: TcpSocketOptions): TcpSocket | TcpSocket<Buffer>
export function tcp(owner: CosocketOwner, opts: TcpSocketOptions = {}): TcpSocket | TcpSocket<Buffer> {
  return opts.binary === true ? new TcpSocket<Buffer>(owner, opts) : new TcpSocket<string>(owner, opts)
}

/** ngx.socket.connect(host, port, opts): `tcp(owner)` then `connect`; the socket, or the error. */
export async function socketConnect(
  owner: CosocketOwner,
  host: string,
  port?: number | string | ConnectOptions,
  opts?: ConnectOptions,
): Promise<Result<TcpSocket, string>> {
  const s = tcp(owner)
  const r = await s.connect(host, port, opts)
  return r.ok ? ok(s) : r
}
