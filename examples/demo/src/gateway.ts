// The demo gateway: what `npm start` serves on 127.0.0.1:8080. No external service needed.
import { defineGateway } from '@nresty/core'
import type { Gateway, ListenSpec, Ngx } from '@nresty/core'

// Module-level state lives once per worker, as a Lua module's upvalues do in OpenResty:
// every request this worker serves sees (and bumps) the same counter.
let hits = 0

const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['GET /', 'this list'],
  ['GET /hello', 'hello world'],
  ['GET /counter', 'a module-level counter shared by the requests of one worker'],
  ['GET /ctx?user=NAME', 'ngx.ctx carried from access to content to log'],
  ['POST /echo', 'echoes the request body (client_max_body_size 1k)'],
  ['GET /headers', 'the request headers as ngx.req.getHeaders() sees them'],
  ['GET /api/…?user=NAME', 'proxied to the backend server (port 8081) as /v1/…, after the access check'],
]

function access(ngx: Ngx): void {
  const user = ngx.req.getUriArgs().args.user
  if (typeof user !== 'string' || user === '') {
    ngx.status = ngx.HTTP_UNAUTHORIZED
    ngx.say('who are you? try /ctx?user=alice')
    ngx.exit(ngx.HTTP_UNAUTHORIZED)
  }
  ngx.ctx.user = user
  ngx.ctx.startedAt = ngx.now()
}

/**
 * The demo: the gateway on `listen`, and on `backendPort` a second server standing in for a
 * backend service, which `/api/` proxies to.
 */
export function demoGateway(listen: ListenSpec = '127.0.0.1:8080', prefix?: string, backendPort = 8081): Gateway {
  return defineGateway({
    ...(prefix === undefined ? {} : { prefix }),
    // notice, so the log phase's per-request line shows in logs/error.log.
    errorLog: { path: 'logs/error.log', level: 'notice' },
    // Connections to the backend are kept (HTTP/1.1, no `Connection: close`).
    upstreams: { backend: { servers: [`127.0.0.1:${backendPort}`], keepalive: 8 } },
    servers: [{
      listen,
      serverName: 'localhost',
      addHeader: { 'X-Powered-By': 'nresty' },
      locations: {
        '= /': {
          content: (ngx) => {
            ngx.say('nresty demo gateway; routes:')
            for (const [route, what] of ROUTES) ngx.say(`  ${route.padEnd(20)} ${what}`)
          },
        },
        '= /hello': { content: (ngx) => ngx.say('hello, world') },
        '= /counter': {
          content: (ngx) => {
            hits += 1
            ngx.say(`this worker has served /counter ${hits} time${hits === 1 ? '' : 's'}`)
          },
        },
        '= /ctx': {
          access,
          content: (ngx) => ngx.say(`hello, ${ngx.ctx.user} (authenticated in the access phase)`),
          log: (ngx) => {
            const ms = Math.round((ngx.now() - (ngx.ctx.startedAt as number)) * 1000)
            ngx.log(ngx.NOTICE, `served ${ngx.ctx.user} in ${ms} ms`)
          },
        },
        '= /echo': {
          clientMaxBodySize: '1k',
          content: async (ngx) => {
            if (ngx.req.getMethod() !== 'POST') ngx.exit(ngx.HTTP_NOT_ALLOWED)
            await ngx.req.readBody()
            ngx.print(ngx.req.getBodyData() ?? '')
          },
        },
        '= /headers': {
          content: (ngx) => {
            const { headers } = ngx.req.getHeaders()
            for (const [k, v] of Object.entries(headers)) ngx.say(`${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
          },
        },
        // Auth in the access phase, then the backend: /api/x?user=alice → /v1/x?user=alice.
        '/api/': {
          access,
          proxy: { httpVersion: '1.1', setHeaders: { Connection: '', 'X-User': '$arg_user' } },
          proxyPass: 'http://backend/v1/',
          headerFilter: (ngx) => { ngx.header['X-Upstream'] = ngx.var.upstream_addr ?? '' },
        },
      },
    }, {
      listen: `127.0.0.1:${backendPort}`,
      accessLog: false,
      locations: {
        '/v1/': {
          content: (ngx) => {
            ngx.header['Content-Type'] = 'application/json'
            ngx.say(JSON.stringify({ served_by: 'backend', uri: ngx.var.request_uri, user: ngx.var.http_x_user }))
          },
        },
      },
    }],
  })
}
