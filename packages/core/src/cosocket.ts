// Cosockets: what a socket needs from the request or timer that owns it (CosocketOwner), the
// lua_socket_* settings, the phase rule, and the bits ngx.socket.tcp and ngx.socket.udp share
// (addresses, send data, OS error words, name resolution).
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { getSystemErrorMessage } from 'node:util'
import { LOG_LEVELS } from './constants.ts'
import { ERROR_CODES, NgxApiError, argError } from './errors.ts'
import { CONTEXT_NAME, PHASE_BIT, assertPhase } from './phase.ts'
import type { Phase } from './phase.ts'
import type { SocketPools } from './socket-tcp.ts'

/**
 * The lua_socket_* directives (and lua_ssl_* for sslHandshake). Times are milliseconds.
 * `resolver` and `sslTrustedCertificate` are where nresty must choose between nginx's and
 * node's habits: see cosocket.md.
 */
export interface CosocketConf {
  /** lua_socket_connect_timeout (60s); also bounds a backlog wait and sslHandshake. */
  readonly connectTimeout: number
  /** lua_socket_send_timeout (60s). */
  readonly sendTimeout: number
  /** lua_socket_read_timeout (60s). */
  readonly readTimeout: number
  /** lua_socket_pool_size (30). */
  readonly poolSize: number
  /** lua_socket_keepalive_timeout (60s); 0 keeps idle connections forever. */
  readonly keepaliveTimeout: number
  /** lua_socket_buffer_size (4k): the receive buffer; more is buffered only while reading. */
  readonly bufferSize: number
  /** lua_socket_log_errors (on): failures also go to the error log. */
  readonly logErrors: boolean
  /**
   * Whether host names are resolved (with the OS resolver, as node does). `false` answers
   * nginx's `no resolver defined to resolve "host"`, what OpenResty says without `resolver`.
   */
  readonly resolver: boolean
  /**
   * lua_ssl_trusted_certificate: the CA certificates (PEM) sslHandshake verifies against.
   * `undefined` trusts node's bundled CAs; `[]` trusts none (nginx without the directive).
   */
  readonly sslTrustedCertificate?: string | Uint8Array | readonly (string | Uint8Array)[]
}

/** The lua_socket_* defaults, with node's CA store and resolver (see cosocket.md). */
export const DEFAULT_COSOCKET_CONF: CosocketConf = Object.freeze({
  connectTimeout: 60_000,
  sendTimeout: 60_000,
  readTimeout: 60_000,
  poolSize: 30,
  keepaliveTimeout: 60_000,
  bufferSize: 4096,
  logErrors: true,
  resolver: true,
})

/**
 * What a socket needs from the request or timer that created it. The request object and
 * timers implement it; a socket still open (not pooled) when its owner runs its cleanups is
 * closed then.
 */
export interface CosocketOwner {
  /** The phase the owner is running now (checked by each call, as ngx_lua does). */
  readonly _phase: Phase
  /** Runs `fn` when the owner's handler ends (ngx_lua closes unpooled sockets then). */
  _addCleanup(fn: () => void): void
  readonly _cosocketConf: CosocketConf
  /** The worker's connection pools. */
  readonly _pools: SocketPools
  /** The error log (ngx.ERR …); when present and `logErrors` is on, failures are logged. */
  readonly _log?: (level: number, msg: string) => void
}

/** Where cosockets work: rewrite (and server_rewrite), access, content and timers. */
export const CTX_COSOCKET: number = PHASE_BIT.server_rewrite | PHASE_BIT.rewrite | PHASE_BIT.access |
  PHASE_BIT.content | PHASE_BIT.timer

/**
 * Throws ngx_lua's error unless cosockets work in `phase`: `API disabled in the context of
 * header_filter_by_lua*`, or `no request found` in init (measured on the reference).
 */
export function assertCosocketPhase(phase: Phase): void {
  if ((PHASE_BIT[phase] & CTX_COSOCKET) !== 0) return
  if (phase === 'init') throw new NgxApiError(ERROR_CODES.PHASE, 'no request found')
  assertPhase(phase, CTX_COSOCKET)
}

/** ngx_lua's `bad request`: a socket used from a request or timer that does not own it. */
export function badRequestError(): NgxApiError {
  return new NgxApiError(ERROR_CODES.STATE, 'bad request')
}

/** The context name of a phase, for messages. */
export function contextName(phase: Phase): string {
  return CONTEXT_NAME[phase]
}

/** Writes an ngx.ERR line for a socket failure when the owner has a log and wants them. */
export function logSocketError(owner: CosocketOwner, msg: string): void {
  if (owner._log !== undefined && owner._cosocketConf.logErrors) owner._log(LOG_LEVELS.ERR, msg)
}

// glibc's strerror() words where libuv's differ.
const STRERROR: Readonly<Record<string, string>> = {
  EHOSTUNREACH: 'no route to host',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ENETDOWN: 'network is down',
}

/**
 * An OS error as ngx_lua returns it: strerror() with a lower-case first letter
 * (`connection refused`, `connection reset by peer`, `broken pipe`).
 */
export function socketErrorText(e: NodeJS.ErrnoException): string {
  const errno = e.errno ?? 0
  const text = STRERROR[e.code ?? ''] ?? (errno !== 0 ? getSystemErrorMessage(errno < 0 ? errno : -errno) : e.message)
  return text.charAt(0).toLowerCase() + text.slice(1)
}

/** nginx's `(111: Connection refused)` for log lines. */
export function socketErrorLog(e: NodeJS.ErrnoException): string {
  const t = socketErrorText(e)
  return `${Math.abs(e.errno ?? 0)}: ${t.charAt(0).toUpperCase()}${t.slice(1)}`
}

/** A peer: a unix socket path, or a host (name or IP literal, brackets removed) and a port. */
export type PeerAddress =
  | { readonly unix: true; readonly path: string }
  | { readonly unix: false; readonly host: string; readonly port: number }

/**
 * Reads `connect(host, port)` / `setpeername(host, port)` arguments. Returns ngx_lua's err
 * string for outcomes it reports as `nil, err` (measured): `missing the port number`,
 * `bad port number: 70000`, `failed to parse host name "unix:": no path in the unix domain
 * socket`, `failed to parse host name "::1": invalid port`.
 */
export function parsePeer(host: string, port: number | string | undefined): PeerAddress | string {
  if (typeof host !== 'string') throw argError('bad argument #2: string expected')
  if (host.startsWith('unix:')) {
    const path = host.slice(5)
    if (path === '') return `failed to parse host name "${host}": no path in the unix domain socket`
    return { unix: true, path }
  }
  if (port === undefined) return 'missing the port number'
  const n = typeof port === 'number' ? Math.trunc(port) : /^\d+$/.test(port) ? Number(port) : NaN
  if (!Number.isInteger(n) || n < 0 || n > 65535) return `bad port number: ${String(port)}`
  if (host.startsWith('[') && host.endsWith(']')) return { unix: false, host: host.slice(1, -1), port: n }
  if (host.includes(':') && isIP(host) === 6) return `failed to parse host name "${host}": invalid port`
  return { unix: false, host, port: n }
}

/**
 * The address to connect to for a host: an IP literal as is, a name through the OS resolver
 * (one of its addresses at random, as nginx picks among A records), or nginx's error.
 */
export async function resolveHost(host: string, conf: CosocketConf): Promise<{ ip: string } | { err: string }> {
  if (isIP(host) !== 0) return { ip: host }
  if (!conf.resolver) return { err: `no resolver defined to resolve "${host}"` }
  try {
    const all = await lookup(host, { all: true })
    const pick = all[Math.floor(Math.random() * all.length)]
    if (pick === undefined) return { err: `${host} could not be resolved (3: Host not found)` }
    return { ip: pick.address }
  } catch {
    return { err: `${host} could not be resolved (3: Host not found)` }
  }
}

/** What `send` takes: a string, bytes, or (nested) arrays of them, sent as one piece. */
export type SendData = string | Uint8Array | readonly SendData[]

/** Appends the pieces of `data` to `out` as Buffers; returns their total byte length. */
function flatten(data: SendData, encoding: BufferEncoding, out: Buffer[], depth: number): number {
  if (typeof data === 'string') {
    const b = Buffer.from(data, encoding)
    out.push(b)
    return b.length
  }
  if (data instanceof Uint8Array) {
    out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    return data.byteLength
  }
  if (!Array.isArray(data) || depth > 100) throw argError('bad argument #1 to send: bad data type')
  let n = 0
  for (const d of data as readonly SendData[]) n += flatten(d, encoding, out, depth + 1)
  return n
}

/** `data` as one Buffer (strings encoded with `encoding`). Throws TypeError-like NgxApiError on other types. */
export function toBytes(data: SendData, encoding: BufferEncoding): Buffer {
  if (typeof data === 'string') return Buffer.from(data, encoding)
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const out: Buffer[] = []
  const n = flatten(data, encoding, out, 0)
  return out.length === 1 ? out[0]! : Buffer.concat(out, n)
}

/** Reads a timeout argument (ms): a non-negative number, `0` meaning the configured default. */
export function checkTimeout(ms: number): number {
  if (typeof ms !== 'number' || !(ms >= 0)) throw argError('bad timeout value')
  return Math.trunc(ms)
}

/** How a socket hands data back: strings in an encoding, or Buffers (`binary`). */
export interface SocketDataOptions {
  /** Results as Buffers, byte for byte (what the Lua bridge uses). */
  readonly binary?: boolean
  /** How strings are encoded for `send` and decoded for results (default `utf8`). */
  readonly encoding?: 'utf8' | 'latin1'
}
