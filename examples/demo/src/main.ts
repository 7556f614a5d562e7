// `npm start`: serve the demo on 127.0.0.1:8080 until Ctrl-C.
import { fileURLToPath } from 'node:url'
import { startServer } from '@nresty/core'
import { demoGateway } from './gateway.ts'

const prefix = fileURLToPath(new URL('..', import.meta.url))
const server = await startServer(demoGateway('127.0.0.1:8080', prefix))
const { address, port } = server.addresses[0]!
console.log(`nresty demo listening on http://${address}:${port}/ (logs in ${prefix}logs/)`)
const stop = (): void => {
  server.close().then(() => process.exit(0), () => process.exit(1))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
