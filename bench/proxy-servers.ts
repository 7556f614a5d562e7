// The node processes of bench/proxy.ts, one per process:
//
//   node bench/proxy-servers.ts backend <port>
//   node bench/proxy-servers.ts undici <port> <backendPort>
//   node bench/proxy-servers.ts nresty <port> <backendPort> <prefix>
//
// `backend` answers GET /hello with `hello\n` and GET /big with 1 MiB; the two proxies pass
// every request to it over a keep-alive pool of 64 connections. Each prints `ready <port>` once
// listening and stops on SIGTERM, or when its parent goes away (stdin ends).
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'

export const BIG_BYTES = 1024 * 1024
const HOST = '127.0.0.1'
/** Upstream keep-alive connections, as `keepalive 64` in the nginx upstream block. */
const POOL = 64

if (import.meta.main) await main()

async function main(): Promise<void> {
  const kind = process.argv[2] ?? ''
  const port = portArg(process.argv[3])
  let close: () => Promise<void>
  switch (kind) {
    case 'backend':
      close = await listen(backendHandler(), port)
      break
    case 'undici':
      close = await startUndici(port, portArg(process.argv[4]))
      break
    case 'nresty':
      close = await startNresty(port, portArg(process.argv[4]), process.argv[5] ?? fail('nresty needs a prefix directory'))
      break
    default:
      fail(`unknown server kind: ${kind}`)
  }
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    setTimeout(() => process.exit(0), 2000).unref()
    close().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdin.on('end', stop)
  process.stdin.resume()
  process.stdout.write(`ready ${port}\n`)
}

function portArg(s: string | undefined): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n <= 0 || n > 65535) fail(`bad port: ${s ?? ''}`)
  return n
}

function fail(msg: string): never {
  process.stderr.write(`proxy-servers.ts: ${msg}\n`)
  process.exit(2)
}

/** node:http, Content-Length framed (setHeader + end), as bench/servers.ts's node row. */
function backendHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  const big = Buffer.alloc(BIG_BYTES, 'x')
  return (req, res) => {
    if (req.url === '/big') {
      res.setHeader('Content-Type', 'application/octet-stream')
      res.end(big)
      return
    }
    res.setHeader('Content-Type', 'text/plain')
    res.end('hello\n')
  }
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, port: number): Promise<() => Promise<void>> {
  // Idle upstream connections stay open between runs (node's default drops them after 5 s).
  const server = createServer({ keepAliveTimeout: 120_000 }, handler)
  server.headersTimeout = 130_000
  return new Promise((ok, ko) => {
    server.once('error', ko)
    server.listen(port, HOST, () => ok(() => new Promise((done) => {
      server.close(() => done())
      server.closeAllConnections()
    })))
  })
}

// ---------------------------------------------------------------------------------------------
// The plain undici proxy

/** RFC 9110 §7.6.1 connection-specific fields, never forwarded (undici refuses most of them). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/** The headers minus hop-by-hop ones and those the Connection header names. */
function endToEnd<T extends IncomingHttpHeaders | Record<string, string | string[] | undefined>>(h: T, connection: string | string[] | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  const named = connection === undefined ? undefined : new Set(String(connection).toLowerCase().split(',').map((s) => s.trim()))
  for (const k in h) {
    const v = h[k]
    if (v === undefined || HOP_BY_HOP.has(k) || named?.has(k) === true) continue
    out[k] = v
  }
  return out
}

/**
 * What a Node engineer would write: node:http in front, an undici Pool with keep-alive to the
 * backend, `pool.stream` writing the backend's body straight into the client response (no
 * intermediate Readable), status and end-to-end headers copied, 502 when the backend fails.
 */
async function startUndici(port: number, backendPort: number): Promise<() => Promise<void>> {
  const { Pool } = await import('undici')
  const authority = `${HOST}:${backendPort}`
  const pool = new Pool(`http://${authority}`, { connections: POOL, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 })
  const close = await listen((req, res) => {
    const headers = endToEnd(req.headers, req.headers.connection)
    headers.host = authority
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
    pool.stream(
      { path: req.url ?? '/', method: req.method as 'GET', headers, body: hasBody ? req : null },
      ({ statusCode, headers: h }) => {
        res.writeHead(statusCode, endToEnd(h, h.connection) as OutgoingHttpHeaders)
        return res
      },
      (err) => {
        if (err === null) return
        if (!res.headersSent) {
          res.writeHead(502, { 'Content-Type': 'text/plain' })
          res.end('bad gateway\n')
        } else {
          res.destroy(err)
        }
      },
    )
  }, port)
  return async () => {
    await close()
    await pool.close()
  }
}

// ---------------------------------------------------------------------------------------------
// nresty

/** The gateway equivalent of the OpenResty conf bench/proxy.ts writes. */
async function startNresty(port: number, backendPort: number, prefix: string): Promise<() => Promise<void>> {
  const { defineGateway, startServer } = await import('../packages/core/src/index.ts')
  const gateway = defineGateway({
    // keepaliveRequests raised as in the OpenResty row: the undici proxy never recycles its
    // connections, nginx's default (1000) would make the proxies reconnect during the runs.
    upstreams: { backend: { servers: [`${HOST}:${backendPort}`], keepalive: POOL, keepaliveRequests: 1_000_000 } },
    servers: [{
      listen: `${HOST}:${port}`,
      accessLog: false,
      proxy: { httpVersion: '1.1', setHeaders: { Host: '$proxy_host', Connection: '' } },
      locations: { '/': { proxyPass: 'http://backend' } },
    }],
  })
  const server = await startServer(gateway, { prefix })
  return () => server.close()
}
