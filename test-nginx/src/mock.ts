// The mock servers a block can embed: `tcp_listen` (a port or a unix socket path) with
// `tcp_query` / `tcp_query_len` (what it must receive), `tcp_reply` (a string or packets),
// `tcp_reply_delay`, `tcp_no_close`, `tcp_shutdown` (+ `_delay`), and `udp_listen` with
// `udp_query`, `udp_reply`, `udp_reply_delay`. Mismatches become the block's failures.
import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { rmSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { PerlError, perlString } from './perl.ts'
import type { PerlValue } from './perl.ts'

/** A running mock; `failures()` are its checks' messages so far. */
export interface Mock {
  failures(): string[]
  close(): Promise<void>
}

const TCP_SECTIONS = ['tcp_listen', 'tcp_query', 'tcp_query_len', 'tcp_query_auto_timeout', 'tcp_reply', 'tcp_reply_delay', 'tcp_no_close', 'tcp_shutdown', 'tcp_shutdown_delay']
const UDP_SECTIONS = ['udp_listen', 'udp_query', 'udp_reply', 'udp_reply_delay']

/** The section names this module handles. */
export const MOCK_SECTIONS: readonly string[] = [...TCP_SECTIONS, ...UDP_SECTIONS]

/** `0.1` seconds, `100ms`, `2s`. */
function duration(v: PerlValue): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(perlString(v))
  if (m === null) throw new PerlError(`bad delay ${JSON.stringify(perlString(v))}`)
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000)
}

function packets(v: PerlValue): Buffer[] {
  if (v === undefined) return []
  if (Array.isArray(v)) return (v as PerlValue[]).map((x) => Buffer.from(perlString(x), 'latin1'))
  if (v instanceof RegExp) throw new PerlError('a reply must be a string or an array of strings')
  return [Buffer.from(perlString(v), 'latin1')]
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Starts a TCP mock from the block's sections (`tcp_listen` must be there). */
export async function startTcpMock(values: ReadonlyMap<string, PerlValue>): Promise<Mock> {
  const where = perlString(values.get('tcp_listen')).trim()
  const query = values.has('tcp_query') ? Buffer.from(perlString(values.get('tcp_query')), 'latin1') : undefined
  const queryLen = values.has('tcp_query_len') ? Number(perlString(values.get('tcp_query_len')).trim()) : query?.length
  const idleMs = values.has('tcp_query_auto_timeout') ? duration(values.get('tcp_query_auto_timeout')) : 100
  const reply = packets(values.get('tcp_reply'))
  const replyDelay = values.has('tcp_reply_delay') ? duration(values.get('tcp_reply_delay')) : 0
  const noClose = values.has('tcp_no_close')
  const shutdown = values.has('tcp_shutdown') ? Number(perlString(values.get('tcp_shutdown')).trim()) : undefined
  const shutdownDelay = values.has('tcp_shutdown_delay') ? duration(values.get('tcp_shutdown_delay')) : 0
  if (shutdown === 0) throw new PerlError('tcp_shutdown 0 (the read side) is not supported')
  const fails: string[] = []
  const sockets = new Set<Socket>()

  const handle = async (sock: Socket): Promise<void> => {
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => { /* the peer went away */ })
    if (shutdown !== undefined) {
      if (shutdownDelay > 0) await sleep(shutdownDelay)
      sock.end()
      return
    }
    // read the query: its known length, else until the peer is idle for a while
    let got = Buffer.alloc(0)
    await new Promise<void>((resolve) => {
      let timer = setTimeout(resolve, queryLen === undefined ? idleMs : 3000)
      const done = (): void => { clearTimeout(timer); sock.removeListener('data', onData); resolve() }
      const onData = (d: Buffer): void => {
        got = Buffer.concat([got, d])
        if (queryLen !== undefined && got.length >= queryLen) { done(); return }
        if (queryLen === undefined) { clearTimeout(timer); timer = setTimeout(done, idleMs) }
      }
      sock.on('data', onData)
      sock.once('end', done)
    })
    if (query !== undefined && !got.equals(query)) {
      fails.push(`tcp_query: expected ${JSON.stringify(query.toString('latin1'))}, got ${JSON.stringify(got.toString('latin1'))}`)
    } else if (queryLen !== undefined && query === undefined && got.length !== queryLen) {
      fails.push(`tcp_query_len: expected ${queryLen}, got ${got.length}`)
    }
    if (replyDelay > 0) await sleep(replyDelay)
    for (const p of reply) {
      if (sock.destroyed) return
      sock.write(p)
    }
    if (!noClose) sock.end()
  }

  const server = createServer((s) => { void handle(s) })
  const isPath = !/^\d+$/.test(where)
  if (isPath) rmSync(where, { force: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (isPath) server.listen(where, resolve)
    else server.listen(Number(where), '127.0.0.1', resolve)
  })
  return {
    failures: () => [...fails],
    close: () => closeServer(server, sockets),
  }
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** Starts a UDP mock: each datagram is checked against `udp_query` and answered with `udp_reply`. */
export async function startUdpMock(values: ReadonlyMap<string, PerlValue>): Promise<Mock> {
  const port = Number(perlString(values.get('udp_listen')).trim())
  if (!Number.isInteger(port)) throw new PerlError('udp_listen must be a port')
  const query = values.has('udp_query') ? perlString(values.get('udp_query')) : undefined
  const reply = packets(values.get('udp_reply'))
  const delay = values.has('udp_reply_delay') ? duration(values.get('udp_reply_delay')) : 0
  const fails: string[] = []
  const sock: UdpSocket = createSocket('udp4')
  sock.on('message', (msg, rinfo) => {
    if (query !== undefined && msg.toString('latin1') !== query) {
      fails.push(`udp_query: expected ${JSON.stringify(query)}, got ${JSON.stringify(msg.toString('latin1'))}`)
    }
    void (async () => {
      if (delay > 0) await sleep(delay)
      for (const p of reply) sock.send(p, rinfo.port, rinfo.address)
    })()
  })
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject)
    sock.bind(port, '127.0.0.1', () => resolve())
  })
  return {
    failures: () => [...fails],
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  }
}
