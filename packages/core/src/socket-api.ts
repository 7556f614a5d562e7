// `ngx.socket` (tcp, stream, udp, connect) bound to the request or timer that owns the
// sockets, and the lua_socket_* settings of a gateway level merged into a CosocketConf.
import { assertCosocketPhase, DEFAULT_COSOCKET_CONF } from './cosocket.ts'
import type { CosocketConf, CosocketOwner, SocketDataOptions } from './cosocket.ts'
import { ConfError } from './errors.ts'
import type { SocketSettings } from './gateway.ts'
import type { Result } from './result.ts'
import { socketConnect, tcp } from './socket-tcp.ts'
import type { ConnectOptions, TcpSocket, TcpSocketOptions } from './socket-tcp.ts'
import { udp } from './socket-udp.ts'
import type { UdpSocket } from './socket-udp.ts'
import { parseSize, parseTime } from './units.ts'

/** `ngx.socket`. */
export interface NgxSocket {
  /** ngx.socket.tcp(): a new socket owned by this request or timer. */
  tcp(): TcpSocket
  tcp(opts: TcpSocketOptions & { readonly binary: true }): TcpSocket<Buffer>
  tcp(opts: TcpSocketOptions): TcpSocket | TcpSocket<Buffer>
  /** ngx.socket.stream: the same as tcp. */
  stream(): TcpSocket
  stream(opts: TcpSocketOptions & { readonly binary: true }): TcpSocket<Buffer>
  stream(opts: TcpSocketOptions): TcpSocket | TcpSocket<Buffer>
  udp(): UdpSocket
  udp(opts: SocketDataOptions & { readonly binary: true }): UdpSocket<Buffer>
  udp(opts: SocketDataOptions): UdpSocket | UdpSocket<Buffer>
  /** ngx.socket.connect(host, port, opts): tcp() then connect; the socket, or the connect error. */
  connect(host: string, port?: number | string | ConnectOptions, opts?: ConnectOptions): Promise<Result<TcpSocket, string>>
}

/** `ngx.socket` of one owner. */
export class SocketApi implements NgxSocket {
  readonly #owner: CosocketOwner

  constructor(owner: CosocketOwner) {
    this.#owner = owner
  }

  tcp(): TcpSocket
  tcp(opts: TcpSocketOptions & { readonly binary: true }): TcpSocket<Buffer>
  tcp(opts: TcpSocketOptions): TcpSocket | TcpSocket<Buffer>
  tcp(opts: TcpSocketOptions = {}): TcpSocket | TcpSocket<Buffer> {
    return tcp(this.#owner, opts)
  }

  stream(): TcpSocket
  stream(opts: TcpSocketOptions & { readonly binary: true }): TcpSocket<Buffer>
  stream(opts: TcpSocketOptions): TcpSocket | TcpSocket<Buffer>
  stream(opts: TcpSocketOptions = {}): TcpSocket | TcpSocket<Buffer> {
    return tcp(this.#owner, opts)
  }

  udp(): UdpSocket
  udp(opts: SocketDataOptions & { readonly binary: true }): UdpSocket<Buffer>
  udp(opts: SocketDataOptions): UdpSocket | UdpSocket<Buffer>
  udp(opts: SocketDataOptions = {}): UdpSocket | UdpSocket<Buffer> {
    return udp(this.#owner, opts)
  }

  connect(host: string, port?: number | string | ConnectOptions, opts?: ConnectOptions): Promise<Result<TcpSocket, string>> {
    // Misuse throws here, not in the promise.
    assertCosocketPhase(this.#owner._phase)
    return socketConnect(this.#owner, host, port, opts)
  }
}

/**
 * A level's `socket` settings over its parent's CosocketConf (the defaults at the http
 * level): each setting is inherited unless the level sets it, as nginx merges lua_socket_*.
 */
export function mergeCosocketConf(parent: CosocketConf | undefined, s: SocketSettings | undefined): CosocketConf {
  const base = parent ?? DEFAULT_COSOCKET_CONF
  if (s === undefined) return base
  const conf: { -readonly [K in keyof CosocketConf]: CosocketConf[K] } = {
    connectTimeout: s.connectTimeout === undefined ? base.connectTimeout : parseTime(s.connectTimeout, 'lua_socket_connect_timeout'),
    sendTimeout: s.sendTimeout === undefined ? base.sendTimeout : parseTime(s.sendTimeout, 'lua_socket_send_timeout'),
    readTimeout: s.readTimeout === undefined ? base.readTimeout : parseTime(s.readTimeout, 'lua_socket_read_timeout'),
    keepaliveTimeout: s.keepaliveTimeout === undefined ? base.keepaliveTimeout : parseTime(s.keepaliveTimeout, 'lua_socket_keepalive_timeout'),
    poolSize: s.poolSize === undefined ? base.poolSize : checkPoolSize(s.poolSize),
    bufferSize: s.bufferSize === undefined ? base.bufferSize : parseSize(s.bufferSize, 'lua_socket_buffer_size'),
    logErrors: s.logErrors ?? base.logErrors,
    resolver: s.resolver ?? base.resolver,
  }
  const ca = s.sslTrustedCertificate ?? base.sslTrustedCertificate
  if (ca !== undefined) conf.sslTrustedCertificate = ca
  return Object.freeze(conf)
}

function checkPoolSize(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new ConfError('"lua_socket_pool_size" directive invalid value')
  return n
}
