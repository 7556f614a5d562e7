// A raw HTTP/1.x client for the differential suite: writes the request bytes as given (pauses
// between parts), reads until the expected responses are complete or the server closes, and
// splits what came back into responses. Bytes are kept as latin1 strings.
import { connect } from 'node:net'
import type { Socket } from 'node:net'

/** Request bytes; a number is a pause in milliseconds between two writes. */
export type RequestParts = string | readonly (string | number)[]

export interface ParsedResponse {
  readonly statusLine: string
  /** In the order received; names as received. */
  readonly headers: readonly (readonly [name: string, value: string])[]
  /** The body, de-chunked; '' for responses without one. */
  readonly body: string
  /** 'chunked' | 'content-length' | 'close' (read until the connection closed) | 'none' (HEAD, 1xx, 204, 304) */
  readonly framing: 'chunked' | 'content-length' | 'close' | 'none'
  /** The body arrived whole (last chunk, all Content-Length bytes, or the close it waited for). */
  readonly complete: boolean
}

export interface Exchange {
  /** Interim (1xx) and final responses, in order. */
  readonly responses: readonly ParsedResponse[]
  /** Bytes after the last response that do not start a response (an HTTP/0.9 answer, garbage). */
  readonly rest: string
  /** The server closed the connection before we stopped reading. */
  readonly closed: boolean
  /** We stopped reading because `timeoutMs` passed. */
  readonly timedOut: boolean
}

export interface ExchangeOptions {
  /** Final (non-1xx) responses to wait for; 0 waits for the server to close. */
  readonly responses: number
  /** Responses are to HEAD requests (no body). */
  readonly head: boolean
  readonly timeoutMs: number
}

export function exchange(port: number, request: RequestParts, options: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let settled = false
    const finish = (closed: boolean, timedOut: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      sock.destroy()
      const parsed = parseResponses(Buffer.concat(chunks).toString('latin1'), options.head, closed)
      resolve({ ...parsed, closed, timedOut })
    }
    const timer = setTimeout(() => finish(false, true), options.timeoutMs)
    sock.on('data', (c: Buffer) => {
      chunks.push(c)
      if (options.responses === 0) return
      const parsed = parseResponses(Buffer.concat(chunks).toString('latin1'), options.head, false)
      const finals = parsed.responses.filter((r) => !isInterim(r))
      if (finals.length >= options.responses && finals.every((r) => r.complete)) finish(false, false)
    })
    sock.on('end', () => finish(true, false))
    sock.on('error', () => finish(true, false))
    sock.on('connect', () => { void write(sock, typeof request === 'string' ? [request] : request) })
  })
}

async function write(sock: Socket, parts: readonly (string | number)[]): Promise<void> {
  for (const part of parts) {
    if (sock.destroyed) return
    if (typeof part === 'number') await new Promise((r) => setTimeout(r, part))
    else sock.write(Buffer.from(part, 'latin1'))
  }
}

function isInterim(r: ParsedResponse): boolean {
  const status = Number(r.statusLine.split(' ')[1])
  return status >= 100 && status < 200
}

/** Splits raw bytes into responses; `closed`: the connection ended after `data`. */
export function parseResponses(data: string, head: boolean, closed: boolean): { responses: ParsedResponse[]; rest: string } {
  const responses: ParsedResponse[] = []
  let i = 0
  while (i < data.length && data.startsWith('HTTP/', i)) {
    const end = data.indexOf('\r\n\r\n', i)
    if (end < 0) break
    const lines = data.slice(i, end).split('\r\n')
    i = end + 4
    const statusLine = lines[0] ?? ''
    const headers = lines.slice(1).map((l): readonly [string, string] => {
      const colon = l.indexOf(':')
      return colon < 0 ? [l, ''] : [l.slice(0, colon), l.slice(colon + 1).trim()]
    })
    const get = (name: string): string | undefined => headers.find(([n]) => n.toLowerCase() === name)?.[1]
    const status = Number(statusLine.split(' ')[1])
    if (head || status < 200 || status === 204 || status === 304) {
      responses.push({ statusLine, headers, body: '', framing: 'none', complete: true })
      continue
    }
    if (get('transfer-encoding')?.toLowerCase() === 'chunked') {
      const r = dechunk(data, i)
      responses.push({ statusLine, headers, body: r.body, framing: 'chunked', complete: r.complete })
      i = r.next
      if (!r.complete) break
      continue
    }
    const cl = get('content-length')
    if (cl !== undefined) {
      const n = Number(cl)
      const body = data.slice(i, i + n)
      responses.push({ statusLine, headers, body, framing: 'content-length', complete: body.length === n })
      i += body.length
      if (body.length < n) break
      continue
    }
    responses.push({ statusLine, headers, body: data.slice(i), framing: 'close', complete: closed })
    i = data.length
  }
  return { responses, rest: data.slice(i) }
}

function dechunk(data: string, from: number): { body: string; complete: boolean; next: number } {
  let body = ''
  let i = from
  for (;;) {
    const nl = data.indexOf('\r\n', i)
    if (nl < 0) return { body, complete: false, next: data.length }
    const size = parseInt(data.slice(i, nl), 16)
    if (Number.isNaN(size)) return { body, complete: false, next: data.length }
    if (size === 0) {
      // no trailers from either server: the last chunk is "0\r\n\r\n"
      const end = data.indexOf('\r\n', nl + 2)
      if (end < 0) return { body, complete: false, next: data.length }
      return { body, complete: true, next: end + 2 }
    }
    if (data.length < nl + 2 + size + 2) return { body: body + data.slice(nl + 2, nl + 2 + size), complete: false, next: data.length }
    body += data.slice(nl + 2, nl + 2 + size)
    i = nl + 2 + size + 2
  }
}
