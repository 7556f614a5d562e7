// What the differential suite ignores when it compares nresty's answer with the reference's.
// Each rule is a documented, by-design difference (packages/core/README.md, "Differences from
// OpenResty") or an artefact of running two servers side by side; everything else is compared.
import type { Exchange, ParsedResponse } from './client.ts'

export interface NormalizedResponse {
  readonly statusLine: string
  /** `name: value`, sorted by lower-case name, same-name headers in the order sent. */
  readonly headers: readonly string[]
  readonly body: string
  /** 'whole' or 'cut short'; 'no body' for HEAD, 1xx, 204 and 304. */
  readonly bodyArrived: 'whole' | 'cut short' | 'no body'
}

export interface NormalizedExchange {
  readonly responses: readonly NormalizedResponse[]
  /** Bytes that are not an HTTP response (an HTTP/0.9 answer). */
  readonly rest: string
  /** Only for exchanges without any answer: did the server close the connection? */
  readonly closedWithoutAnswer?: boolean
}

export interface Side {
  /** The port this server listened on (appears in absolute redirects and `$server_port`). */
  readonly port: number
}

// Server signatures: `Server: nginx/1.22.1` vs `Server: nresty/0.1.0`, and the same in the
// `<hr><center>…</center>` line of error pages (README: "The Server header and the error
// pages say nresty/0.1.0"). A handler's own `ngx.header.Server` is compared as is.
const SIGNATURE = /^(?:nginx\/\d+\.\d+\.\d+|nresty\/\d+\.\d+\.\d+(?:-[\w.]+)?)$/
const PAGE_SIGNATURE = /<hr><center>(?:nginx\/\d+\.\d+\.\d+|nresty\/\d+\.\d+\.\d+(?:-[\w.]+)?)<\/center>/g

export function normalizeExchange(ex: Exchange, side: Side): NormalizedExchange {
  const responses = ex.responses.map((r) => normalizeResponse(r, side))
  const rest = replacePorts(ex.rest, side)
  if (responses.length === 0 && rest === '') {
    // nothing came back (444, ngx.exit(ngx.ERROR), a timeout): whether the connection was closed
    // is the whole answer. With an answer, its Connection header says what the server meant to do
    // (nginx's lingering close keeps a socket open a while after "Connection: close").
    return { responses, rest, closedWithoutAnswer: ex.closed }
  }
  return { responses, rest }
}

function normalizeResponse(r: ParsedResponse, side: Side): NormalizedResponse {
  const body = replacePorts(r.body, side).replace(PAGE_SIGNATURE, '<hr><center>SIGNATURE</center>')
  const kept: (readonly [string, string])[] = []
  for (const [name, value] of r.headers) {
    const lower = name.toLowerCase()
    // The clock differs between the two requests.
    if (lower === 'date') continue
    // node adds `Keep-Alive: timeout=N` on keep-alive connections; nginx sends none by default
    // (README: "node writes the Date, Connection and … a Keep-Alive: timeout=N header").
    if (lower === 'keep-alive') continue
    // Framing: a response sent in one piece gets a Content-Length from nresty where nginx sends
    // ngx_lua output chunked (README: first by-design difference). The body is compared
    // de-chunked, and whether it arrived whole is compared in `bodyArrived`.
    if (lower === 'transfer-encoding' && value.toLowerCase() === 'chunked' && r.framing === 'chunked') continue
    if (lower === 'content-length' && r.framing === 'content-length' && Number(value) === r.body.length) continue
    if (lower === 'content-length' && r.framing === 'none') {
      // Without a body (HEAD) the length cannot be checked against anything, and for an error
      // page it includes the server signature; only its presence is compared.
      kept.push([name, '<present>'])
      continue
    }
    if (lower === 'server' && SIGNATURE.test(value)) {
      kept.push([name, 'SIGNATURE'])
      continue
    }
    kept.push([name, replacePorts(value, side)])
  }
  // Header order differs (README: "Header order differs"); same-name headers keep their order.
  const headers = kept
    .map(([n, v], i) => ({ key: n.toLowerCase(), i, line: `${n}: ${v}` }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((h) => h.line)
  const bodyArrived = r.framing === 'none' ? 'no body' : r.complete ? 'whole' : 'cut short'
  return { statusLine: r.statusLine, headers, body, bodyArrived }
}

// Each server listens on its own free port; an absolute redirect or `$server_port` shows it.
function replacePorts(s: string, side: Side): string {
  return s.split(`:${side.port}`).join(':PORT')
}
