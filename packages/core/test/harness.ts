// Test harness: start a gateway on an ephemeral port, talk to it over real sockets, read its
// error log. Every integration test goes through here.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { defineGateway, startServer } from '../src/index.ts'
import type { GatewayDef, LocationDef, RunningServer, ServerDef } from '../src/index.ts'

export interface TestServer {
  readonly server: RunningServer
  readonly port: number
  readonly prefix: string
  readonly url: (path: string) => string
  /** The error log written so far (flushed first). */
  errorLog(): string
  accessLog(): string
  close(): Promise<void>
}

/** Starts one server on 127.0.0.1:0 with the given locations (and server/gateway settings). */
export async function serve(
  locations: Readonly<Record<string, LocationDef>>,
  server: Partial<ServerDef> = {},
  gateway: Partial<GatewayDef> = {},
): Promise<TestServer> {
  const prefix = mkdtempSync(join(tmpdir(), 'nresty-test-'))
  const def: GatewayDef = {
    errorLog: { path: 'logs/error.log', level: 'debug' },
    ...gateway,
    servers: [{ listen: '127.0.0.1:0', serverName: 'localhost', ...server, locations }],
  }
  const running = await startServer(defineGateway(def), { prefix })
  const port = running.addresses[0]!.port
  const read = (file: string): string => {
    running.errorLog.flush()
    const p = join(prefix, 'logs', file)
    return existsSync(p) ? readFileSync(p, 'utf8') : ''
  }
  return {
    server: running,
    port,
    prefix,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    errorLog: () => read('error.log'),
    accessLog: () => read('access.log'),
    close: () => running.close(),
  }
}

/**
 * A `serve` for one test file: each test's server is closed after it.
 * @example const start = serverPerTest(); const t = await start({ '/': { content: (ngx) => ngx.say('x') } })
 */
export function serverPerTest(): typeof serve {
  let current: TestServer | undefined
  afterEach(async () => {
    await current?.close()
    current = undefined
  })
  return async (locations, server, gateway) => (current = await serve(locations, server, gateway))
}

export interface RawResponse {
  readonly raw: string
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

/** Sends raw bytes and reads until the server closes (or `timeoutMs`). */
export function rawRequest(port: number, data: string | Buffer | readonly (string | Buffer)[], timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { sock.destroy(); finish() }, timeoutMs)
    const finish = (): void => {
      clearTimeout(timer)
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')))
    }
    sock.on('data', (c) => chunks.push(c))
    sock.on('end', finish)
    sock.on('error', (e) => { clearTimeout(timer); if (chunks.length) finish(); else reject(e) })
    const parts = Array.isArray(data) ? data : [data]
    for (const p of parts) sock.write(p)
  })
}

export function parseRaw(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n')
  const head = end < 0 ? raw : raw.slice(0, end)
  const lines = head.split('\r\n')
  const status = Number(lines[0]?.split(' ')[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':')
    if (i > 0) {
      const k = l.slice(0, i).toLowerCase()
      headers[k] = headers[k] === undefined ? l.slice(i + 1).trim() : `${headers[k]}, ${l.slice(i + 1).trim()}`
    }
  }
  let body = end < 0 ? '' : raw.slice(end + 4)
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body)
  return { raw, status, headers, body }
}

function dechunk(s: string): string {
  let out = ''
  let i = 0
  for (;;) {
    const nl = s.indexOf('\r\n', i)
    if (nl < 0) return out
    const n = parseInt(s.slice(i, nl), 16)
    if (!(n > 0)) return out
    out += s.slice(nl + 2, nl + 2 + n)
    i = nl + 2 + n + 2
  }
}

/** GET over a fresh connection with `Connection: close`. */
export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  const host = 'Host' in headers ? '' : 'Host: localhost\r\n'
  return rawRequest(port, `GET ${path} HTTP/1.1\r\n${host}Connection: close\r\n${extra}\r\n`)
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export function request(port: number, method: string, path: string, body = '', headers: Record<string, string> = {}): Promise<RawResponse> {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  const len = headers['Transfer-Encoding'] === undefined ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''
  return rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${len}${extra}\r\n${body}`)
}
