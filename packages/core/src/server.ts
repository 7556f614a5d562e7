// The HTTP front: one node:http server per listen address, nginx's timeouts mapped onto
// node's, malformed requests answered as nginx answers them, and each request handed to the
// phase runner. One worker here; master + workers build on startServer.
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { dirname, resolve } from 'node:path'
import { compileGateway } from './conf.ts'
import type { CompiledGateway, ListenGroup } from './conf.ts'
import { LOG_LEVELS, NRESTY_VERSION } from './constants.ts'
import { systemErrorText } from './errors.ts'
import type { Gateway, LogLevelName } from './gateway.ts'
import { ErrorLog } from './log.ts'
import { createRuntime, NgxRequest, trackConnection } from './request.ts'
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
  const errorLog = new ErrorLog({
    path: logPath === 'stderr' ? 'stderr' : resolve(prefix, logPath),
    level: options.errorLogLevel ?? (gw.errorLog.level as LogLevelName),
  })
  const rt: Runtime = createRuntime(gw, errorLog, 0, 1)
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
    await Promise.all(gw.accessLogs.map((l) => l.close()))
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
      // This server's logs only: another server in the process may share a file.
      await Promise.all(gw.accessLogs.map((l) => l.close()))
      await errorLog.close()
    })()),
  }
}

function listen(server: Server, g: ListenGroup): Promise<AddressInfo> {
  return new Promise((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      fail(new Error(`bind() to ${g.host}:${g.port} failed (${systemErrorText(e)})`))
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
  server.on('connection', trackConnection)
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
  const srv = lookup === undefined ? group.defaultServer : (group.only ?? group.byName.find(lookup)?.value ?? group.defaultServer)
  const r = new NgxRequest(rt, srv, req, res)
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
