// The HTTP front: one node:http server per listen address, nginx's timeouts mapped onto
// node's, malformed requests answered as nginx answers them, and each request handed to the
// phase runner. One worker here; master + workers build on startServer.
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { dirname, resolve } from 'node:path'
import { closeAll as closeAccessLogs, flushAll as flushAccessLogs } from './access-log.ts'
import { compileGateway } from './conf.ts'
import type { CompiledGateway, ListenGroup, ServerConf } from './conf.ts'
import { LOG_LEVELS, NRESTY_VERSION } from './constants.ts'
import type { Gateway, LogLevelName } from './gateway.ts'
import { ErrorLog } from './log.ts'
import { NgxRequest, setPrefix } from './request.ts'
import type { Runtime } from './request.ts'
import { finish, run } from './runner.ts'
import { normalizeHost } from './server-name.ts'
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
  /** Stops accepting, lets in-flight requests finish, then flushes and closes the logs. */
  close(): Promise<void>
}

/**
 * Compiles the gateway, opens its logs and listens on every `listen` address.
 *
 * @example
 * const server = await startServer(gateway)
 * console.log(server.addresses[0].port)
 */
export async function startServer(gateway: Gateway, options: StartOptions = {}): Promise<RunningServer> {
  const prefix = resolve(options.prefix ?? gateway.def.prefix ?? '.')
  const logPath = options.errorLog ?? (typeof gateway.def.errorLog === 'string' ? gateway.def.errorLog : gateway.def.errorLog?.path) ?? 'logs/error.log'
  if (logPath !== 'stderr') mkdirSync(dirname(resolve(prefix, logPath)), { recursive: true })
  mkdirSync(resolve(prefix, 'logs'), { recursive: true })
  const gw = compileGateway(gateway.def, prefix)
  setPrefix(prefix)
  const errorLog = new ErrorLog({
    path: logPath === 'stderr' ? 'stderr' : resolve(prefix, logPath),
    level: options.errorLogLevel ?? (gw.errorLog.level as LogLevelName),
  })
  const rt: Runtime = { gw, errorLog, workerId: 0, workerCount: 1, exiting: false }
  const servers: Server[] = []
  const addresses: AddressInfo[] = []
  try {
    for (const group of gw.listens) {
      const server = createHttpServer(rt, group)
      servers.push(server)
      addresses.push(await listen(server, group))
    }
  } catch (e) {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))))
    await errorLog.close()
    throw e
  }
  errorLog.write(LOG_LEVELS.NOTICE, `nresty/${NRESTY_VERSION} started`)
  let closing: Promise<void> | undefined
  return {
    addresses,
    errorLog,
    gateway: gw,
    close: () => (closing ??= (async () => {
      rt.exiting = true
      await Promise.all(servers.map((s) => new Promise<void>((ok) => {
        s.close(() => ok())
        s.closeIdleConnections()
      })))
      flushAccessLogs()
      await closeAccessLogs()
      await errorLog.close()
    })()),
  }
}

function listen(server: Server, g: ListenGroup): Promise<AddressInfo> {
  return new Promise((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      fail(new Error(`bind() to ${g.host}:${g.port} failed (${e.errno === undefined ? '' : `${-e.errno}: `}${e.message})`))
    }
    server.once('error', onError)
    const opts: { host: string; port: number; backlog?: number } = { host: g.host, port: g.port }
    if (g.backlog !== undefined) opts.backlog = g.backlog
    server.listen(opts, () => {
      server.off('error', onError)
      ok(server.address() as AddressInfo)
    })
  })
}

function createHttpServer(rt: Runtime, group: ListenGroup): Server {
  const def = group.defaultServer
  const server = createServer({
    maxHeaderSize: rt.gw.maxHeaderSize,
    requestTimeout: 0,
    headersTimeout: def.clientHeaderTimeout,
    keepAliveTimeout: def.keepaliveTimeout,
    connectionsCheckingInterval: Math.min(1000, def.clientHeaderTimeout),
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    updateTime()
    const srv = pickServer(group, req)
    NgxRequest._countRequest(req)
    const r = new NgxRequest(rt, srv ?? def, req, res)
    const target = srv === undefined ? undefined : parseRequestTarget(r._requestUri)
    if (target === undefined) {
      r._logRaw(LOG_LEVELS.INFO, srv === undefined ? 'client sent invalid host header while reading client request headers' : 'client sent invalid request while reading client request line')
      return finish(r, 400)
    }
    r._uri = target.uri
    r._args = target.args
    r._requestUri = target.requestUri
    run(r)
  })
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => onClientError(rt, err, socket))
  return server
}

function pickServer(g: ListenGroup, req: IncomingMessage): ServerConf | undefined {
  const raw = req.rawHeaders
  let host: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!
    if (n.length === 4 && n.toLowerCase() === 'host') {
      host = raw[i + 1]
      break
    }
  }
  if (host === undefined) return g.defaultServer
  const name = normalizeHost(host)
  if (name === undefined) return undefined
  return g.only ?? g.byName.find(name)?.value ?? g.defaultServer
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
  const oversize = code === 'HPE_HEADER_OVERFLOW'
  rt.errorLog.write(
    LOG_LEVELS.INFO,
    oversize ? 'client sent too large request while reading client request headers' : `client sent invalid request (${code}) while reading client request line`,
    { client: remote },
  )
  const body = oversize ? HEADER_TOO_LARGE_PAGE : specialPage(400)!
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nServer: nresty/${NRESTY_VERSION}\r\nDate: ${httpTime(Math.floor(nowMs() / 1000))}\r\n` +
      `Content-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
