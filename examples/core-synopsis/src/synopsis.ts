import { defineGateway, startServer } from '@nresty/core'

let served = 0 // module state: shared by the requests of this worker

const gateway = defineGateway({
  accessLog: false,
  servers: [{
    listen: '127.0.0.1:0',
    locations: {
      '= /hello': { content: (ngx) => ngx.say('hello, ', ngx.var.arg_name ?? 'world') },
      '/api/': {
        access: (ngx) => {
          if (ngx.req.getHeaders().headers['x-token'] !== 'secret') ngx.exit(ngx.HTTP_FORBIDDEN)
          ngx.ctx.user = 'alice'
        },
        content: async (ngx) => {
          await ngx.req.readBody()
          ngx.header['Content-Type'] = 'application/json'
          ngx.say(JSON.stringify({ user: ngx.ctx.user, uri: ngx.var.uri, body: ngx.req.getBodyData() ?? null }))
        },
        headerFilter: (ngx) => { ngx.header['X-Served'] = String(++served) },
      },
    },
  }],
})

const server = await startServer(gateway, { errorLog: 'stderr' })
const base = `http://127.0.0.1:${server.addresses[0]!.port}`
for (const [path, init] of [
  ['/hello?name=nresty', {}],
  ['/api/users', { method: 'POST', body: 'hi', headers: { 'x-token': 'secret' } }],
  ['/api/users', {}],
] as const) {
  const res = await fetch(base + path, init)
  console.log(res.status, res.headers.get('x-served') ?? '-', (await res.text()).split(/\r?\n/)[0])
}
await server.close()
