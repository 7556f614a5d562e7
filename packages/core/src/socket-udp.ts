// ngx.socket.udp: a connected datagram cosocket over node's dgram. setPeername, send,
// receive(size?), setTimeout, close and bind, with ngx_lua's results and err strings.
import { access } from 'node:fs/promises'
import { createSocket } from 'node:dgram'
import type { Socket as DgramSocket } from 'node:dgram'
import { isIP } from 'node:net'
import {
  assertCosocketPhase, badRequestError, checkTimeout, logSocketError, parsePeer, resolveHost,
  socketErrorLog, socketErrorText, toBytes,
} from './cosocket.ts'
import type { CosocketOwner, SendData, SocketDataOptions } from './cosocket.ts'
import { argError } from './errors.ts'
import { fail, ok } from './result.ts'
import type { Result } from './result.ts'

/** ngx_lua's receive buffer when no size is given. */
const DEFAULT_SIZE = 8192
const MAX_SIZE = 65536
/** Datagrams kept while nobody reads (the kernel's queue, in nginx). */
const MAX_QUEUED = 256
const CLOSED = 'closed'

interface UdpRead {
  readonly resolve: (r: Result<Buffer, string>) => void
  readonly size: number
  readonly timer: ReturnType<typeof setTimeout>
}

/** A UDP cosocket (ngx.socket.udp). Datagrams come back as strings (utf8) or Buffers (`binary`). */
export class UdpSocket<D extends string | Buffer = string> {
  owner: CosocketOwner
  readonly #binary: boolean
  readonly #encoding: BufferEncoding
  #sock: DgramSocket | undefined = undefined
  #queue: Buffer[] = []
  #err: NodeJS.ErrnoException | undefined = undefined
  #read: UdpRead | undefined = undefined
  #readTimeout = 0
  #bind: { readonly address: string; readonly port: number } | undefined = undefined
  #busy = false

  constructor(owner: CosocketOwner, opts: SocketDataOptions = {}) {
    assertCosocketPhase(owner._phase)
    this.owner = owner
    this.#binary = opts.binary === true
    this.#encoding = opts.encoding ?? 'utf8'
    this.#register(owner)
  }

  #register(owner: CosocketOwner): void {
    owner._addCleanup(() => {
      if (this.owner === owner) this.#closeSock()
    })
  }

  /** For the Lua bridge: ngx_lua's `bad request` when another request uses an open socket. */
  assertOwner(current: CosocketOwner): void {
    if (current === this.owner) return
    if (this.#sock !== undefined || this.#busy) throw badRequestError()
    this.owner = current
    this.#register(current)
  }

  /** settimeout(ms) for receive; 0 uses lua_socket_read_timeout. */
  setTimeout(ms: number): void {
    this.#readTimeout = checkTimeout(ms)
  }

  /** bind(address, port?): the local address used by the next setPeername. */
  bind(address: string, port = 0): Result<1, string> {
    if (isIP(address) === 0) return fail(`bad address: ${address}`)
    this.#bind = { address, port }
    return ok(1)
  }

  /**
   * setpeername(host, port) / setpeername('unix:/path'): connects the datagram socket.
   * Errors: `no resolver defined to resolve "host"` (resolver off), `bad port number: N`,
   * `no such file or directory`; node has no unix datagram sockets, so an existing path
   * answers `unix datagram sockets are not supported`.
   */
  async setPeername(host: string, port?: number | string): Promise<Result<1, string>> {
    assertCosocketPhase(this.owner._phase)
    if (this.#busy) return fail('socket busy')
    this.#closeSock()
    const addr = parsePeer(host, port)
    if (typeof addr === 'string') return fail(addr)
    if (addr.unix) {
      try {
        await access(addr.path)
      } catch (e) {
        return fail(socketErrorText(e as NodeJS.ErrnoException))
      }
      return fail('unix datagram sockets are not supported')
    }
    this.#busy = true
    try {
      const r = await resolveHost(addr.host, this.owner._cosocketConf)
      if ('err' in r) {
        logSocketError(this.owner, r.err)
        return fail(r.err)
      }
      return await this.#open(r.ip, addr.port)
    } finally {
      this.#busy = false
    }
  }

  #open(ip: string, port: number): Promise<Result<1, string>> {
    return new Promise((resolve) => {
      const sock = createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4')
      const onError = (e: NodeJS.ErrnoException): void => {
        sock.close()
        resolve(fail(socketErrorText(e)))
      }
      sock.once('error', onError)
      const connect = (): void => {
        sock.connect(port, ip, () => {
          sock.off('error', onError)
          sock.on('error', (e: NodeJS.ErrnoException) => this.#onError(sock, e))
          sock.on('message', (m: Buffer) => this.#onMessage(sock, m))
          this.#sock = sock
          resolve(ok(1))
        })
      }
      if (this.#bind !== undefined) sock.bind(this.#bind.port, this.#bind.address, connect)
      else connect()
    })
  }

  #onMessage(sock: DgramSocket, m: Buffer): void {
    if (sock !== this.#sock) return
    const op = this.#read
    if (op !== undefined) {
      this.#endRead(op)
      op.resolve(ok(m.length > op.size ? m.subarray(0, op.size) : m))
      return
    }
    if (this.#queue.length < MAX_QUEUED) this.#queue.push(m)
  }

  #onError(sock: DgramSocket, e: NodeJS.ErrnoException): void {
    if (sock !== this.#sock) return
    // ICMP errors (connection refused) are reported by the next receive; the socket stays.
    const op = this.#read
    if (op !== undefined) {
      this.#endRead(op)
      logSocketError(this.owner, `recv() failed (${socketErrorLog(e)})`)
      op.resolve(fail(socketErrorText(e)))
      return
    }
    this.#err = e
  }

  /** send(data): one datagram; `1`, or an OS error such as `message too long`. */
  send(data: SendData): Promise<Result<1, string>> {
    const sock = this.#sock
    if (sock === undefined) {
      logSocketError(this.owner, 'attempt to send data on a closed socket')
      return Promise.resolve(fail(CLOSED))
    }
    assertCosocketPhase(this.owner._phase)
    const b = toBytes(data, this.#encoding)
    return new Promise((resolve) => {
      sock.send(b, (e) => {
        if (e === null || e === undefined) resolve(ok(1))
        else {
          logSocketError(this.owner, `send() failed (${socketErrorLog(e as NodeJS.ErrnoException)})`)
          resolve(fail(socketErrorText(e as NodeJS.ErrnoException)))
        }
      })
    })
  }

  /**
   * receive(size?): the next datagram, cut to `size` bytes (default 8192). Errors: `timeout`
   * (the socket stays usable), `connection refused` (an ICMP error for an earlier send),
   * `closed`, `socket busy reading`.
   */
  receive(size?: number): Promise<Result<D, string>> {
    const sock = this.#sock
    if (sock === undefined) {
      logSocketError(this.owner, 'attempt to receive data on a closed socket')
      return Promise.resolve(fail(CLOSED))
    }
    assertCosocketPhase(this.owner._phase)
    if (size !== undefined && typeof size !== 'number') throw argError('bad size argument')
    if (this.#read !== undefined) return Promise.resolve(fail('socket busy reading'))
    const n = size === undefined || !(size > 0) ? DEFAULT_SIZE : Math.min(Math.trunc(size), MAX_SIZE)
    const err = this.#err
    if (err !== undefined) {
      this.#err = undefined
      logSocketError(this.owner, `recv() failed (${socketErrorLog(err)})`)
      return Promise.resolve(fail(socketErrorText(err)))
    }
    const m = this.#queue.shift()
    if (m !== undefined) return Promise.resolve(ok(this.#decode(m.length > n ? m.subarray(0, n) : m)))
    return new Promise<Result<Buffer, string>>((resolve) => {
      const timer = setTimeout(() => {
        this.#read = undefined
        logSocketError(this.owner, 'lua udp socket read timed out')
        resolve(fail('timeout'))
      }, this.#readTimeout || this.owner._cosocketConf.readTimeout)
      this.#read = { resolve, size: n, timer }
    }).then((r) => (r.ok ? ok(this.#decode(r.value)) : r))
  }

  #decode(b: Buffer): D {
    return (this.#binary ? b : b.toString(this.#encoding)) as D
  }

  #endRead(op: UdpRead): void {
    clearTimeout(op.timer)
    this.#read = undefined
  }

  /** close(): `1`, or `closed` when it is not open. */
  close(): Result<1, string> {
    if (this.#sock === undefined) return fail(CLOSED)
    this.#closeSock()
    return ok(1)
  }

  #closeSock(): void {
    const sock = this.#sock
    this.#sock = undefined
    this.#queue = []
    this.#err = undefined
    const op = this.#read
    if (op !== undefined) {
      this.#endRead(op)
      op.resolve(fail(CLOSED))
    }
    if (sock !== undefined) sock.close()
  }
}

/** ngx.socket.udp(): a new UDP socket owned by `owner` (phase-checked). */
export function udp(owner: CosocketOwner): UdpSocket
export function udp(owner: CosocketOwner, opts: SocketDataOptions & { readonly binary: true }): UdpSocket<Buffer>
export function udp(owner: CosocketOwner, opts: SocketDataOptions): UdpSocket | UdpSocket<Buffer>
export function udp(owner: CosocketOwner, opts: SocketDataOptions = {}): UdpSocket | UdpSocket<Buffer> {
  return opts.binary === true ? new UdpSocket<Buffer>(owner, opts) : new UdpSocket<string>(owner, opts)
}
