// The request target as nginx reads it (ngx_http_parse_request_line + ngx_http_parse_complex_uri
// with merge_slashes on), and the target rule of ngx.exec (ngx_http_parse_unsafe_uri).
import { Buffer, isUtf8 } from 'node:buffer'
import { normalizeHost } from './server-name.ts'

export interface RequestTarget {
  /** nginx's `$uri`: percent-decoded, `//` merged, `.` and `..` segments resolved. */
  readonly uri: string
  /** nginx's `$args`: the raw query after the first `?`, up to a `#`; `''` when none. */
  readonly args: string
  /** The raw path: `requestUri` without `?args`. */
  readonly rawPath: string
  /** nginx's `$request_uri`: the target from its path on (absolute-form drops `scheme://host`). */
  readonly requestUri: string
  /** The host of an absolute-form target, checked and normalized like a Host header. */
  readonly host: string | undefined
}

// Decoded path bytes are assembled here; grown on demand, never shrunk.
let buf = Buffer.allocUnsafe(2048)

const hex = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x57 : -1
const isAlpha = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
// Chars nginx accepts inside `[...]` of an absolute-form host (unreserved and sub-delims).
const IP_LITERAL = new Set(':-._~!$&\'()*+,;='.split('').map((ch) => ch.charCodeAt(0)))

/**
 * Parses node's `req.url` (a latin1 string: one char per byte as sent). Undefined where nginx
 * answers 400: a target not starting with `/` (or `scheme://host`), control bytes, a bad or
 * `%00` escape, `..` above the root. Plain ASCII targets without `%`, `//`, `/.` or `#` return
 * slices of `target` and build nothing else.
 */
export function parseRequestTarget(target: string): RequestTarget | undefined {
  let start = 0
  let host: string | undefined
  if (target.charCodeAt(0) !== 0x2f) {
    const r = absoluteForm(target)
    if (r === undefined) return undefined
    host = r.host
    start = r.start
    if (start === target.length) return { uri: '/', args: '', rawPath: '/', requestUri: '/', host }
  }
  const len = target.length
  let pathEnd = len // first '?' or '#'
  let argsEnd = len
  let simple = true
  for (let i = start; i < len; i++) {
    const c = target.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) return undefined
    if (pathEnd !== len) {
      if (c === 0x23 && argsEnd === len && target.charCodeAt(pathEnd) === 0x3f) argsEnd = i
    } else if (c === 0x3f || c === 0x23) {
      pathEnd = i
    } else if (c === 0x25 || c >= 0x80) {
      simple = false
    } else if (c === 0x2f) {
      const n = target.charCodeAt(i + 1)
      if (n === 0x2f || n === 0x2e) simple = false
    }
  }
  const hasArgs = pathEnd !== len && target.charCodeAt(pathEnd) === 0x3f
  const args = hasArgs ? target.slice(pathEnd + 1, argsEnd) : ''
  const requestUri = start === 0 ? target : target.slice(start)
  const rawPath = hasArgs ? target.slice(start, pathEnd) : requestUri
  if (pathEnd === start) return { uri: '/', args, rawPath, requestUri, host } // "http://h?x"
  const uri = simple ? target.slice(start, pathEnd) : decodePath(target, start, pathEnd, true)
  if (uri === undefined) return undefined
  return { uri, args, rawPath, requestUri, host }
}

/** `scheme://host[:port]` before the path: returns where the path starts and the host. */
function absoluteForm(t: string): { start: number; host: string } | undefined {
  let i = 0
  if (!isAlpha(t.charCodeAt(0))) return undefined
  for (let c = t.charCodeAt(i); isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e; c = t.charCodeAt(++i));
  if (!t.startsWith('://', i)) return undefined
  const hostStart = (i += 3)
  if (t.charCodeAt(i) === 0x5b) {
    for (i++; i < t.length && t.charCodeAt(i) !== 0x5d; i++) {
      const c = t.charCodeAt(i)
      if (!isAlpha(c) && !isDigit(c) && !IP_LITERAL.has(c)) return undefined
    }
    if (i++ === t.length) return undefined
  } else {
    for (let c = t.charCodeAt(i); isAlpha(c) || isDigit(c) || c === 0x2e || c === 0x2d; c = t.charCodeAt(++i));
  }
  const hostEnd = i
  if (t.charCodeAt(i) === 0x3a) while (isDigit(t.charCodeAt(++i)));
  const c = t.charCodeAt(i)
  if (i < t.length && c !== 0x2f && c !== 0x3f) return undefined
  const host = hostEnd === hostStart ? undefined : normalizeHost(t.slice(hostStart, hostEnd))
  return host === undefined ? undefined : { start: i, host }
}

/**
 * Percent-decodes s[from, to) into bytes. `resolve` (a request target) also merges slashes
 * and resolves dot segments like ngx_http_parse_complex_uri; a bad escape, `%00` or `..`
 * above the root gives undefined. Without `resolve` it is ngx_unescape_uri: a bad escape is
 * dropped. Bytes decode as UTF-8 when valid, else one char per byte.
 */
function decodePath(s: string, from: number, to: number, resolve: boolean): string | undefined {
  if (buf.length < (to - from) * 3) buf = Buffer.allocUnsafe((to - from) * 3)
  let n = 0
  let seg = 0 // start of the current segment in buf
  let high = false
  for (let i = from; i < to; i++) {
    let c = s.charCodeAt(i)
    if (c === 0x25) {
      const h1 = hex(s.charCodeAt(i + 1))
      const h2 = h1 < 0 ? -1 : hex(s.charCodeAt(i + 2))
      if (h2 < 0 || i + 2 >= to) {
        if (resolve) return undefined
        if (h1 < 0) continue // "%zz": the % goes, "zz" stays
        i += i + 2 < to ? 2 : 1 // "%2z": all three go
        continue
      }
      c = h1 * 16 + h2
      i += 2
      if (c === 0 && resolve) return undefined
    }
    if (c >= 0x80) high = true
    if (c === 0x2f && resolve) {
      n = endSegment(n, seg)
      if (n < 0) return undefined
      if (buf[n - 1] !== 0x2f) buf[n++] = 0x2f // merge_slashes
      seg = n
      continue
    }
    if (c <= 0xff) {
      buf[n++] = c
    } else {
      // not from the wire (req.url is latin1): a JS string's own chars are written as UTF-8
      const cp = s.codePointAt(i) as number
      n += buf.write(String.fromCodePoint(cp), n, 'utf8')
      if (cp > 0xffff) i++
    }
  }
  if (resolve) n = endSegment(n, seg)
  if (n < 0) return undefined
  return buf.toString(high && isUtf8(buf.subarray(0, n)) ? 'utf8' : 'latin1', 0, n)
}

/** Drops a finished `.` segment, or a `..` segment with the one before it; -1 above the root. */
function endSegment(n: number, seg: number): number {
  if (n - seg === 1 && buf[seg] === 0x2e) return seg
  if (n - seg !== 2 || buf[seg] !== 0x2e || buf[seg + 1] !== 0x2e) return n
  if (seg <= 1) return -1
  let k = seg - 2
  while (k > 0 && buf[k] !== 0x2f) k--
  return buf[k] === 0x2f ? k + 1 : -1
}

/** `..` as a whole segment at the start or after a `/`: what ngx.exec calls an unsafe uri. */
function unsafe(s: string): boolean {
  if (s.includes('\0')) return true
  for (let i = s.indexOf('..'); i !== -1; i = s.indexOf('..', i + 1)) {
    if ((i === 0 || s[i - 1] === '/') && (i + 2 === s.length || s[i + 2] === '/')) return true
  }
  return false
}

/**
 * The path rule of ngx.exec (ngx_http_parse_unsafe_uri): percent-decoded (ngx_unescape_uri:
 * a bad escape is dropped, not rejected) but NOT normalized: `//`, `/./` and `/../` are not
 * resolved (reference: ngx.exec("/a//b") and ngx.exec("/a/./b") keep $uri as given). Undefined
 * ("unsafe uri") for an empty path, `..` as a segment, or `\0`, before or after decoding.
 * ngx.req.set_uri does not use this: it keeps its argument verbatim (see checkSetUri).
 */
export function normalizeUriPath(path: string): string | undefined {
  if (path === '' || unsafe(path)) return undefined
  if (!path.includes('%')) {
    for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) >= 0x80) return decodePath(path, 0, path.length, false)
    return path
  }
  const u = decodePath(path, 0, path.length, false)
  return u === undefined || unsafe(u) ? undefined : u
}

/**
 * ngx.exec's target: splits `?args` off (before decoding, so `%3F` stays in the path), then
 * normalizeUriPath. Undefined where ngx.exec raises "unsafe uri" (also for a target that
 * starts with `?`). `args` is undefined when the target has no `?`.
 */
export function parseExecTarget(target: string): { uri: string; args: string | undefined } | undefined {
  if (target[0] === '?') return undefined
  const q = target.indexOf('?')
  const uri = normalizeUriPath(q === -1 ? target : target.slice(0, q))
  if (uri === undefined) return undefined
  return { uri, args: q === -1 ? undefined : target.slice(q + 1) }
}

/**
 * ngx.req.set_uri's check when `binary` is false: the error it raises, or undefined. The uri is
 * then used verbatim (no decoding, no normalization, a `?` stays in the path).
 */
export function checkSetUri(uri: string): string | undefined {
  if (uri === '') return 'attempt to use zero-length uri'
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      const quoted = uri.replace(/[\x00-\x1f\x7f-\xff"\\]/g, (ch) => '\\x' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'))
      return `unsafe byte "0x${c.toString(16).padStart(2, '0')}" in uri "${quoted}" (maybe you want to set the 'binary' argument?)`
    }
  }
  return undefined
}
