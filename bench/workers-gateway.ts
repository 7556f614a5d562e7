// The gateway bench/workers.ts runs with the nresty command (`--gateway bench/workers-gateway.ts
// --workers N`): GET /hello answers `hello\n`, no access log. Every worker thread imports this
// module itself; the port comes from BENCH_PORT, which worker threads share with the master.
import { defineGateway } from '@nresty/core'
import type { Gateway, Ngx } from '@nresty/core'

const port = Number(process.env.BENCH_PORT)
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  throw new TypeError(`bench/workers-gateway.ts: BENCH_PORT must be a TCP port, got ${JSON.stringify(process.env.BENCH_PORT ?? '')}`)
}

export const gateway: Gateway = defineGateway({
  servers: [{
    listen: `127.0.0.1:${port}`,
    accessLog: false,
    locations: { '= /hello': { content: (ngx: Ngx) => ngx.say('hello') } },
  }],
})
