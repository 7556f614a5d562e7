// One benchmark server per process: `node bench/servers.ts <kind> <port> [prefix]`.
// Prints `ready <port>` on stdout once listening and stops on SIGTERM (or when its parent
// goes away). Each kind answers GET /hello with `hello\n`; run.ts drives them with wrk.
import { createServer } from 'node:http'
import type { LocationDef, Ngx } from '@nresty/core'

const kind = process.argv[2] ?? ''
const port = Number(process.argv[3])
const prefix = process.argv[4] ?? ''
const HOST = '127.0.0.1'

if (!Number.isInteger(port) || port <= 0 || port > 65535) fail(`bad port: ${process.argv[3] ?? ''}`)

let close: () => Promise<void>
switch (kind) {
  case 'node':
    close = await startNode()
    break
  case 'fastify':
    close = await startFastify()
    break
  case 'nresty':
    close = await startNresty(false)
    break
  case 'nresty-chain':
    close = await startNresty(true)
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
// The parent holds our stdin open; when it exits (even by SIGKILL) stdin ends and we stop too.
process.stdin.on('end', stop)
process.stdin.resume()
process.stdout.write(`ready ${port}\n`)

function fail(msg: string): never {
  process.stderr.write(`servers.ts: ${msg}\n`)
  process.exit(2)
}

/**
 * The baseline: node:http with nothing on top. setHeader + end (not writeHead + end) so node
 * frames the body with Content-Length, as nresty does, rather than chunked.
 */
function startNode(): Promise<() => Promise<void>> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain')
    res.end('hello\n')
  })
  return new Promise((ok, ko) => {
    server.once('error', ko)
    server.listen(port, HOST, () => ok(() => new Promise((done) => {
      server.close(() => done())
      server.closeAllConnections()
    })))
  })
}

async function startFastify(): Promise<() => Promise<void>> {
  const { fastify } = await import('fastify')
  const app = fastify({ logger: false })
  app.get('/hello', (_req, reply) => {
    reply.type('text/plain').send('hello\n')
  })
  await app.listen({ port, host: HOST })
  return () => app.close()
}

async function startNresty(chain: boolean): Promise<() => Promise<void>> {
  if (prefix === '') fail('nresty needs a prefix directory')
  const { defineGateway, startServer } = await import('@nresty/core')
  let sink = 0
  const hello: LocationDef = { content: (ngx: Ngx) => ngx.say('hello') }
  // Five phases on one location, all synchronous: what a typical gateway location does.
  const fivePhase: LocationDef = {
    rewrite: (ngx: Ngx) => {
      ngx.ctx.start = ngx.now()
    },
    access: (ngx: Ngx) => {
      if (ngx.var.http_x_bench === undefined) ngx.exit(403)
    },
    content: (ngx: Ngx) => ngx.say('hello'),
    headerFilter: (ngx: Ngx) => {
      ngx.header['X-Chain'] = '1'
    },
    log: (ngx: Ngx) => {
      sink += ngx.now() - (ngx.ctx.start as number)
    },
  }
  const gateway = defineGateway({
    servers: [{
      listen: `${HOST}:${port}`,
      accessLog: false,
      locations: { '= /hello': chain ? fivePhase : hello },
    }],
  })
  const server = await startServer(gateway, { prefix })
  return async () => {
    await server.close()
    if (sink < 0) process.stderr.write('impossible\n')
  }
}
