// The HTTP front: one node:http server per listen address, nginx's timeouts mapped onto
// node's, malformed requests answered as nginx answers them, and each request handed to the
// phase runner. `serveWorker` is one worker (a thread under the master, or the calling thread
// in single-process mode); `startServer` is the single-process mode (nginx's
// `master_process off`), which tests and embedded gateways use.
import { mkdirSync } from 'node:fs'
import { createServer, ServerResponse } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import { Server as NetServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { dirname, resolve } from 'node:path'
import { compileGateway } from './conf.ts'
import type { CompiledGateway, ListenGroup, ServerConf } from './conf.ts'
import { LOG_LEVELS, NRESTY_VERSION } from './constants.ts'
import { runLifePhase } from './context.ts'
import { ConfError, systemErrorText } from './errors.ts'
import type { Gateway, LogLevelName } from './gateway.ts'
import { ErrorLog } from './log.ts'
import { createRuntime, NgxRequest, trackConnection } from './request.ts'
import type { Runtime, RuntimeIdentity } from './request.ts'
import { closeUpstreams, noteUpgrade } from './proxy.ts'
import { finish, run } from './runner.ts'
import { normalizeHost } from './server-name.ts'
import type { ServerNameMatch } from './server-name.ts'
import { createZone, zoneHandle } from './shdict.ts'
import type { ShdictZone } from './shdict.ts'
import { HEADER_TOO_LARGE_PAGE, specialPage } from './special-response.ts'
import { httpTime, nowMs, updateTime } from './time.ts'
import { parseRequestTarget } from './uri.ts'

export interface StartOptions {
  /** Overrides the gateway's prefix (where `logs/` lives). */
  readonly prefix?: string
  /** Overrides the error log (`'stderr'` is handy in tests). */
  readonly errorLog?: string
  readonly errorLogLevel?: LogLevelName
}

export interface RunningServer {
  /** The bound addresses, in the order of the gateway's listen groups. */
  readonly addresses: readonly AddressInfo[]
  readonly errorLog: ErrorLog
  readonly gateway: CompiledGateway
  /**
   * Stops accepting, closes idle connections, lets in-flight requests finish, runs the
   * exit_worker handlers, then flushes and closes the logs.
   */
  close(): Promise<void>
}

/** The error log a gateway asks for, opened (its directory is created). */
export function openErrorLog(gw: CompiledGateway, override: string | undefined, level: LogLevelName | undefined, pid?: number): ErrorLog {
  const path = override ?? gw.errorLog.path
  const abs = path === 'stderr' ? 'stderr' : resolve(gw.prefix, path)
  if (abs !== 'stderr') mkdirSync(dirname(abs), { recursive: true })
  const opts: { path: string; level: LogLevelName; pid?: number } = { path: abs, level: level ?? (gw.errorLog.level as LogLevelName) }
  if (pid !== undefined) opts.pid = pid
  return new ErrorLog(opts)
}

/**
 * Single-process mode: compiles the gateway, opens its logs, runs `init` and `initWorker` in
 * the calling thread and listens on every `listen` address. `workers` is ignored here; see
 * startMaster for worker threads.
 *
 * @example
 * const server = await startServer(gateway)
 * console.log(server.addresses[0].port)
 */
export async function startServer(gateway: Gateway, options: StartOptions = {}): Promise<RunningServer> {
  const prefix = resolve(options.prefix ?? gateway.def.prefix ?? '.')
  mkdirSync(resolve(prefix, 'logs'), { recursive: true })
  const gw = compileGateway(gateway.def, prefix)
  const errorLog = openErrorLog(gw, options.errorLog, options.errorLogLevel)
  const who: RuntimeIdentity = { type: 'single', id: 0, count: 1, pid: process.pid, masterPid: undefined }
  let worker: WorkerServer
  try {
    const zones = createZones(gw)
    const failed = await runLifePhase(createRuntime(gw, errorLog, who, zones), 'init', gw.init)
    if (failed !== undefined) throw initError(failed)
    worker = await serveWorker(gw, errorLog, who, { reusePort: false, zones })
  } catch (e) {
    await Promise.all(gw.accessLogs.map((l) => l.close()))
    await errorLog.close()
    throw e
  }
  errorLog.write(LOG_LEVELS.NOTICE, `nresty/${NRESTY_VERSION} started`)
  let closing: Promise<void> | undefined
  return {
    addresses: worker.addresses,
    errorLog,
    gateway: gw,
    close: () => (closing ??= worker.shutdown({ graceful: true, idleGraceMs: 0 }).then(() => errorLog.close())),
  }
}

/** The gateway's shared dict zones, made in this thread (lua_shared_dict). */
export function createZones(gw: CompiledGateway): Map<string, ShdictZone> {
  return new Map([...gw.sharedDicts].map(([name, size]) => [name, zoneHandle(createZone(name, size))]))
}

/** A failing init handler, as nginx reports a failing init_by_lua: `[emerg]`, and no start. */
export function initError(e: unknown): ConfError {
  const what = e instanceof Error ? (e.stack ?? e.message) : String(e)
  return new ConfError(`init handler failed: ${what}`)
}

export interface ServeOptions {
  /** Bind with SO_REUSEPORT, so that several workers share each address. */
  readonly reusePort: boolean
  /** Ports to bind instead of the gateway's, by listen group (port 0 resolved by a first worker). */
  readonly ports?: readonly number[]
  /** The shared dicts' buffers by name. */
  readonly zones?: ReadonlyMap<string, ShdictZone>
}

export interface ShutdownOptions {
  /**
   * true: stop accepting and let in-flight requests finish (their responses close the
   * connection), up to the gateway's workerShutdownTimeout. false: close every connection now.
   */
  readonly graceful: boolean
  /**
   * How long an idle keep-alive connection is left open once the worker stops, so that a
   * request already on its way is still answered (with `Connection: close`). 0 closes idle
   * connections at once.
   */
  readonly idleGraceMs?: number
}

/** One worker: its Runtime, listening sockets and connections. */
export interface WorkerServer {
  readonly rt: Runtime
  readonly addresses: readonly AddressInfo[]
  /** Stops the worker (see ShutdownOptions), runs exit_worker and closes the access logs. */
  shutdown(opts: ShutdownOptions): Promise<void>
}

/** Per-worker connection bookkeeping: every open client connection, for worker_connections and shutdown. */
interface Connections {
  readonly open: Set<Socket>
  readonly limit: number
}

/**
 * Starts one worker on a compiled gateway: runs its initWorker handlers, then listens on every
 * listen address. The error log is the caller's (it outlives the worker's shutdown).
 */
export async function serveWorker(gw: CompiledGateway, errorLog: ErrorLog, who: RuntimeIdentity, opts: ServeOptions): Promise<WorkerServer> {
  const rt = createRuntime(gw, errorLog, who, opts.zones)
  await runLifePhase(rt, 'init_worker', gw.initWorker)
  const conns: Connections = { open: new Set(), limit: gw.workerConnections }
  const servers: Server[] = []
  const addresses: AddressInfo[] = []
  try {
    for (let i = 0; i < gw.listens.length; i++) {
      const group = gw.listens[i]!
      const server = createHttpServer(rt, group, conns)
      servers.push(server)
      addresses.push(await listen(server, group, opts.ports?.[i] ?? group.port, opts.reusePort))
    }
  } catch (e) {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))))
    throw e
  }
  let stopping: Promise<void> | undefined
  return {
    rt,
    addresses,
    shutdown: (o) => (stopping ??= shutdown(rt, servers, conns, o)),
  }
}

async function shutdown(rt: Runtime, servers: readonly Server[], conns: Connections, o: ShutdownOptions): Promise<void> {
  rt.exiting = true
  const started = Date.now()
  // As nginx: a graceful stop runs the pending timers now (premature); a fast one drops them.
  if (o.graceful) rt.timers.abortPending()
  else rt.timers.cancelPending()
  // Stop listening but keep the connections: node's http close() would also drop the idle
  // ones at once, and a request already sent on one of them would be lost.
  const drained = Promise.all(servers.map((s) => new Promise<void>((ok) => {
    NetServer.prototype.close.call(s, () => ok())
  })))
  const idleGrace = o.idleGraceMs ?? 0
  if (!o.graceful) {
    for (const socket of conns.open) socket.destroy()
  } else {
    for (const socket of conns.open) {
      if (!isIdle(socket)) continue
      if (idleGrace === 0) socket.destroy()
      // node's http server destroys a socket that times out with no request on it.
      else socket.setTimeout(idleGrace)
    }
  }
  const limit = o.graceful ? rt.gw.workerShutdownTimeout : undefined
  let timer: NodeJS.Timeout | undefined
  if (limit !== undefined) {
    await Promise.race([drained, new Promise<void>((ok) => { timer = setTimeout(ok, limit) })])
    clearTimeout(timer)
    for (const socket of conns.open) socket.destroy()
  }
  await drained
  // Lets node's http server stop its connection checks (the listener is already closed).
  for (const s of servers) s.close(() => undefined)
  // The timers' handlers finish before exit_worker runs (within workerShutdownTimeout).
  if (o.graceful) {
    const idle = rt.timers.idle()
    if (limit === undefined) await idle
    else await Promise.race([idle, new Promise<void>((ok) => { timer = setTimeout(ok, Math.max(0, started + limit - Date.now())) })])
    clearTimeout(timer)
  }
  await runLifePhase(rt, 'exit_worker', rt.gw.exitWorker)
  rt.pools.closeAll()
  await closeUpstreams(rt)
  // This worker's access logs only: another server in the thread may share a file.
  await Promise.all(rt.gw.accessLogs.map((l) => l.close()))
}

/** No request in progress on the connection (node keeps the current response on the socket). */
function isIdle(socket: Socket): boolean {
  return (socket as Socket & { _httpMessage?: unknown })._httpMessage == null
}

function listen(server: Server, g: ListenGroup, port: number, reusePort: boolean): Promise<AddressInfo> {
  return new Promise((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      fail(new ConfError(`bind() to ${g.host}:${port} failed (${systemErrorText(e)})`))
    }
    server.once('error', onError)
    const opts: { host: string; port: number; backlog?: number; reusePort?: boolean } = { host: g.host, port }
    if (g.backlog !== undefined) opts.backlog = g.backlog
    if (reusePort) opts.reusePort = true
    server.listen(opts, () => {
      server.off('error', onError)
      ok(server.address() as AddressInfo)
    })
  })
}

function createHttpServer(rt: Runtime, group: ListenGroup, conns: Connections): Server {
  const def = group.defaultServer
  const server = createServer({
    maxHeaderSize: rt.gw.maxHeaderSize,
    requireHostHeader: false,
    requestTimeout: 0,
    headersTimeout: def.clientHeaderTimeout,
    keepAliveTimeout: def.keepaliveTimeout,
    // How often node looks for clients past client_header_timeout: often enough for short
    // timeouts, node's own 30 s for nginx's default 60 s.
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(def.clientHeaderTimeout / 2))),
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => accept(rt, group, req, res, false))
  // nginx sends `100 Continue` when the body is read, not before the request is looked at.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => accept(rt, group, req, res, true))
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(rt, err, socket))
  // Upgrade requests (WebSocket) come without a response object: one is made on the socket,
  // so that they run the phases like any request; a proxied upgrade then takes the socket over.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const res = new ServerResponse(req)
    res.assignSocket(socket)
    res.shouldKeepAlive = false
    res.once('finish', () => socket.end())
    noteUpgrade(req, head)
    accept(rt, group, req, res, false)
  })
  server.on('connection', (socket: Socket) => {
    // worker_connections counts every listener of the worker, as nginx's connection pool does.
    if (conns.open.size >= conns.limit) {
      rt.errorLog.write(LOG_LEVELS.ALERT, `${conns.limit} worker_connections are not enough`)
      socket.destroy()
      return
    }
    conns.open.add(socket)
    socket.once('close', () => conns.open.delete(socket))
    trackConnection(socket)
  })
  return server
}

const R_HOST = 1
const R_DUP_HOST = 2
const R_LONG_LINE = 3

/** One request from node's parser into the phase runner, after nginx's request checks. */
function accept(rt: Runtime, group: ListenGroup, req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
  updateTime()
  NgxRequest._countRequest(req)
  // One pass over the raw headers: Host (exactly one), Content-Length (for the 413 check
  // after location matching) and nginx's per-line size limit.
  const raw = req.rawHeaders
  const lineMax = rt.gw.headerBufferSize
  let host: string | undefined
  let contentLength = -1
  let problem = 0
  let detail = ''
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!
    const v = raw[i + 1]!
    if (n.length + v.length + 2 > lineMax) {
      problem = R_LONG_LINE
      detail = `${n}: ${v}`.slice(0, 1024)
      break
    }
    if (n.length === 4 && (n === 'Host' || n.toLowerCase() === 'host')) {
      if (host !== undefined) {
        problem = R_DUP_HOST
        detail = `client sent duplicate host header: "${n}: ${v}", previous value: "Host: ${host}"`
        break
      }
      host = v
    } else if (n.length === 14 && n.toLowerCase() === 'content-length') {
      contentLength = Number(v)
    }
  }
  const name = host === undefined ? undefined : normalizeHost(host)
  if (host !== undefined && name === undefined && problem === 0) problem = R_HOST
  const target = parseRequestTarget(req.url ?? '/')
  const lookup = target?.host ?? name
  let srv = group.only ?? group.defaultServer
  let named: ServerNameMatch<ServerConf> | undefined
  if (lookup !== undefined && group.only === undefined) {
    named = group.byName.find(lookup)
    if (named !== undefined) srv = named.value
  }
  const r = new NgxRequest(rt, srv, req, res)
  // A regex server_name's captures are variables of the request ($1, $name), as in nginx.
  if (named?.captures !== undefined) {
    r._captures = named.captures
    r._groups = named.groups
  }
  r._expectContinue = expectContinue
  r._rawContentLength = contentLength
  const reject = (status: number, msg: string): void => {
    r._logRaw(LOG_LEVELS.INFO, msg)
    finish(r, status)
  }
  if (req.httpVersionMajor !== 1) return reject(505, 'client sent invalid version while reading client request line')
  if ((req.url?.length ?? 0) + req.method!.length + 10 > lineMax) return reject(414, 'client sent too long URI while reading client request line')
  if (problem === R_LONG_LINE) return reject(494, `client sent too long header line: "${detail}..." while reading client request headers`)
  if (problem === R_DUP_HOST) return reject(400, `${detail} while reading client request headers`)
  if (problem === R_HOST) return reject(400, 'client sent invalid host header while reading client request headers')
  if (host === undefined && req.httpVersionMinor === 1) return reject(400, 'client sent HTTP/1.1 request without "Host" header while reading client request headers')
  if (target === undefined) return reject(400, 'client sent invalid request while reading client request line')
  r._uri = target.uri
  r._args = target.args
  r._requestUri = target.requestUri
  r._targetHost = target.host
  run(r)
}

/** nginx's wording for what node's parser rejects. */
const PARSE_ERRORS: Readonly<Record<string, string>> = {
  HPE_INVALID_METHOD: 'client sent invalid method while reading client request line',
  HPE_INVALID_URL: 'client sent invalid request while reading client request line',
  HPE_INVALID_VERSION: 'client sent invalid version while reading client request line',
  HPE_INVALID_HEADER_TOKEN: 'client sent invalid header line while reading client request headers',
  HPE_INVALID_CONTENT_LENGTH: 'client sent invalid "Content-Length" header while reading client request headers',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'client sent "Content-Length" and "Transfer-Encoding" headers at the same time while reading client request headers',
  HPE_HEADER_OVERFLOW: 'client sent too long header line while reading client request headers',
}

/** What node's parser rejects: nginx answers 400 (its 494 page for oversize headers) and closes. */
function onClientError(rt: Runtime, err: NodeJS.ErrnoException, socket: Socket): void {
  const code = err.code ?? ''
  if (code === 'ECONNRESET' || code === 'EPIPE' || !socket.writable) {
    socket.destroy()
    return
  }
  const remote = socket.remoteAddress ?? ''
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    rt.errorLog.write(LOG_LEVELS.INFO, 'client timed out (110: Connection timed out) while reading client request headers', { client: remote })
    socket.destroy()
    return
  }
  if (code === 'HPE_INVALID_EOF_STATE') {
    // The client closed mid-request; whoever was reading the body has said so already.
    socket.destroy()
    return
  }
  const oversize = code === 'HPE_HEADER_OVERFLOW'
  rt.errorLog.write(LOG_LEVELS.INFO, PARSE_ERRORS[code] ?? 'client sent invalid request while reading client request line', { client: remote })
  const body = oversize ? HEADER_TOO_LARGE_PAGE : specialPage(400)!
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nServer: nresty/${NRESTY_VERSION}\r\nDate: ${httpTime(Math.floor(nowMs() / 1000))}\r\n` +
      `Content-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
