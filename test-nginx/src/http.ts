// The raw HTTP side of the runner: building request bytes the way Test::Nginx does from a
// `request` section (Host and Connection added, the body trimmed, Content-Length counted),
// sending packets with delays over a plain TCP socket, and parsing the bytes that come back
// (Content-Length, chunked, read-to-close; several responses for pipelined requests).
import { connect } from 'node:net'

/** A request to send: its bytes in packets, and its method (a HEAD response has no body). */
export interface RawRequest {
  readonly packets: readonly Packet[]
  readonly methods: readonly string[]
}

export interface Packet {
  readonly data: Buffer
  readonly delayBeforeMs: number
}

export interface BuildOptions {
  /** `more_headers` lines. */
  readonly moreHeaders?: string
  /** Send `Connection: keep-alive` (pipelined requests but the last). */
  readonly keepAlive?: boolean
  readonly host?: string
}

/** The bytes Test::Nginx sends for one `request` text, and its method. */
export function buildRequest(text: string, opts: BuildOptions = {}): { bytes: Buffer; method: string } {
  const src = text.replace(/^\s+/, '')
  const nl = src.indexOf('\n')
  const first = (nl < 0 ? src : src.slice(0, nl)).replace(/\r$/, '')
  const m = /^(\S+)\s+(\S+)(?:\s+(HTTP\/\d\.\d))?\s*$/.exec(first)
  if (m === null) throw new Error(`bad request line: ${JSON.stringify(first)}`)
  const method = m[1] as string
  const uri = m[2] as string
  const proto = m[3] ?? 'HTTP/1.1'
  const body = nl < 0 ? '' : src.slice(nl + 1).replace(/^\s+|\s+$/g, '')
  const extra = (opts.moreHeaders ?? '').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '')
  const has = (name: string): boolean => extra.some((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'))
  const head = [`${method} ${uri} ${proto}`]
  if (!has('Host')) head.push(`Host: ${opts.host ?? 'localhost'}`)
  if (!has('Connection')) head.push(`Connection: ${opts.keepAlive === true ? 'keep-alive' : 'close'}`)
  head.push(...extra)
  if (body !== '' && !has('Content-Length') && !has('Transfer-Encoding')) {
    head.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`)
  }
  return { bytes: Buffer.from(head.join('\r\n') + '\r\n\r\n' + body, 'latin1'), method }
}

/**
 * A request given as packets (`[["POST /t\nhel", "lo"]]`): the request is built from their
 * concatenation, and every packet but the first keeps its length, counted from the end.
 */
export function splitPackets(full: Buffer, chunks: readonly { length: number; delayBeforeMs: number }[]): Packet[] {
  const packets: Packet[] = []
  let end = full.length
  for (let i = chunks.length - 1; i >= 1; i--) {
    const c = chunks[i] as { length: number; delayBeforeMs: number }
    const start = Math.max(0, end - c.length)
    packets.unshift({ data: full.subarray(start, end), delayBeforeMs: c.delayBeforeMs })
    end = start
  }
  packets.unshift({ data: full.subarray(0, end), delayBeforeMs: chunks[0]?.delayBeforeMs ?? 0 })
  return packets
}

/** What came back on one connection. */
export interface Exchange {
  readonly data: Buffer
  readonly timedOut: boolean
  readonly error?: string
}

/**
 * Connects, sends the packets (with their delays), optionally half-closes, and reads until the
 * server closes, or until nothing arrives for `timeoutMs`.
 */
export function exchange(host: string, port: number, packets: readonly Packet[], timeoutMs: number, shutdown = false): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let done = false
    const sock = connect(port, host)
    let timer: NodeJS.Timeout | undefined
    const finish = (timedOut: boolean, error?: string): void => {
      if (done) return
      done = true
      if (timer !== undefined) clearTimeout(timer)
      sock.destroy()
      const r: Exchange = { data: Buffer.concat(chunks), timedOut }
      resolve(error === undefined ? r : { ...r, error })
    }
    const arm = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      timer = setTimeout(() => finish(true), timeoutMs)
    }
    arm()
    sock.on('data', (d: Buffer) => { chunks.push(d); arm() })
    sock.on('end', () => finish(false))
    sock.on('close', () => finish(false))
    sock.on('error', (e) => finish(false, e.message))
    sock.once('connect', () => {
      void (async () => {
        for (const p of packets) {
          if (p.delayBeforeMs > 0) await new Promise((r) => setTimeout(r, p.delayBeforeMs))
          if (done) return
          sock.write(p.data)
          arm()
        }
        if (shutdown) sock.end()
      })()
    })
  })
}

/** One parsed response. */
export interface Response {
  readonly status: number
  readonly statusLine: string
  /** The header block as sent, without the status line and the final blank line. */
  readonly rawHeaders: string
  readonly headers: readonly (readonly [string, string])[]
  readonly body: Buffer
  /** False when the bytes ended before the response did. */
  readonly complete: boolean
}

/** The value of a header, several of them joined with ", " (undefined when absent). */
export function headerValue(res: Response, name: string): string | undefined {
  const vals = res.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v)
  return vals.length === 0 ? undefined : vals.join(', ')
}

/** Parses the responses in `data`, one per method (pipelining); stops at incomplete data. */
export function parseResponses(data: Buffer, methods: readonly string[]): Response[] {
  const out: Response[] = []
  let at = 0
  for (let i = 0; i < methods.length && at < data.length; i++) {
    const headEnd = data.indexOf('\r\n\r\n', at)
    if (headEnd < 0) {
      out.push({ status: 0, statusLine: '', rawHeaders: data.subarray(at).toString('latin1'), headers: [], body: Buffer.alloc(0), complete: false })
      break
    }
    const head = data.subarray(at, headEnd).toString('latin1')
    const [statusLine = '', ...hlines] = head.split('\r\n')
    const sm = /^HTTP\/\d\.\d\s+(\d{3})/.exec(statusLine)
    const status = sm === null ? 0 : Number(sm[1])
    const headers = hlines.map((l): readonly [string, string] => {
      const c = l.indexOf(':')
      return c < 0 ? [l, ''] : [l.slice(0, c), l.slice(c + 1).trim()]
    })
    at = headEnd + 4
    const res = { status, statusLine, rawHeaders: hlines.join('\r\n') + (hlines.length > 0 ? '\r\n' : ''), headers }
    const partial = { status, statusLine, rawHeaders: res.rawHeaders, headers }
    const noBody = methods[i] === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)
    if (noBody) { out.push({ ...res, body: Buffer.alloc(0), complete: true }); continue }
    const te = partial.headers.find(([n]) => n.toLowerCase() === 'transfer-encoding')?.[1]
    const cl = partial.headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1]
    if (te !== undefined && /chunked/i.test(te)) {
      const parts: Buffer[] = []
      let complete = false
      for (;;) {
        const le = data.indexOf('\r\n', at)
        if (le < 0) break
        const size = parseInt(data.subarray(at, le).toString('latin1'), 16)
        if (Number.isNaN(size)) break
        if (size === 0) {
          const trailerEnd = data.indexOf('\r\n\r\n', le)
          at = trailerEnd < 0 ? data.length : trailerEnd + 4
          if (data.indexOf('\r\n', le + 2) === le + 2) at = le + 4
          complete = true
          break
        }
        if (le + 2 + size > data.length) { parts.push(data.subarray(le + 2)); at = data.length; break }
        parts.push(data.subarray(le + 2, le + 2 + size))
        at = le + 2 + size + 2
      }
      out.push({ ...res, body: Buffer.concat(parts), complete })
    } else if (cl !== undefined) {
      const n = Number(cl)
      const body = data.subarray(at, Math.min(data.length, at + n))
      at += n
      out.push({ ...res, body, complete: body.length === n })
    } else {
      out.push({ ...res, body: data.subarray(at), complete: true })
      at = data.length
    }
  }
  return out
}
