// Helpers of the integration tests.
import { createServer } from 'node:net'

/** A port free right now (the conf front end refuses port 0, as nginx does). */
export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok))
  const port = (srv.address() as { port: number }).port
  await new Promise((ok) => srv.close(ok))
  return port
}
