// The incoming request headers behind `$http_NAME`, `$cookie_NAME`, `ngx.req.get_headers`,
// `ngx.req.set_header` / `clear_header` / `add_header` and `ngx.req.raw_header`, over node's
// `rawHeaders`, with nginx 1.22 + ngx_lua 0.10.23's rules (checked on the reference):
//
//  - Headers whose names nginx finds invalid (anything but [A-Za-z0-9-], and `_` unless
//    underscores_in_headers is on) are dropped, except from raw_header().
//  - $http_NAME takes the first header of that name; Cookie joins with "; " and
//    X-Forwarded-For with ", ".
//  - set_header replaces the first header of that name in place (keeping its name) and drops
//    the others; the single-value builtins (Host, User-Agent, …) replace only the first. No
//    `_` → `-` rewriting. Control bytes are escaped to %XX as for response headers.
//  - raw_header() is what the client sent: set_header does not change it.
import { argError } from './errors.ts'
import { escapeHeaderName, escapeHeaderValue, headerString, mergeHeader } from './resp-headers.ts'
import type { HeaderInput, HeadersResult } from './resp-headers.ts'

export interface RequestHeadersOptions {
  /** nginx's underscores_in_headers (default off: names with `_` are dropped). */
  readonly underscoresInHeaders?: boolean
  /** nginx's ignore_invalid_headers (default on: names outside [A-Za-z0-9-_] are dropped). */
  readonly ignoreInvalidHeaders?: boolean
}

/** Request headers that ngx_lua's set_header treats as one value (it replaces the first). */
const SINGLE: ReadonlySet<string> = new Set([
  'host', 'connection', 'if-modified-since', 'if-unmodified-since', 'if-match', 'if-none-match',
  'range', 'if-range', 'user-agent', 'referer', 'content-length', 'content-type',
  'transfer-encoding', 'expect', 'upgrade', 'accept-encoding', 'via', 'authorization',
  'keep-alive', 'x-real-ip', 'depth', 'destination', 'overwrite', 'date',
])

const NO_OPTIONS: RequestHeadersOptions = {}

/** `name` has only the characters nginx accepts in a header name. */
function validName(name: string, underscores: boolean): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45) continue
    if (c === 95 && underscores) continue
    return false
  }
  return true
}

/** `name` equals `lname` (lower-case) ignoring ASCII case. */
function ciEq(name: string, lname: string): boolean {
  if (name === lname) return true
  if (name.length !== lname.length) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== lname.charCodeAt(i)) return false
  }
  return true
}

/** A header name matches a variable name (lower-case, `_` for `-`) ignoring case, `-` read as `_`. */
function varEq(name: string, q: string): boolean {
  if (name.length !== q.length) return false
  for (let i = 0; i < q.length; i++) {
    const c = name.charCodeAt(i)
    if ((c >= 65 && c <= 90 ? c + 32 : c === 45 ? 95 : c) !== q.charCodeAt(i)) return false
  }
  return true
}

/** `name` lower-cased with `-` read as `_`; no allocation when it already is (the usual case). */
function varName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c === 45 || (c >= 65 && c <= 90)) return name.toLowerCase().replaceAll('-', '_')
  }
  return name
}

/** ngx_atoof: digits only, at most 2^63 - 1. */
function validLength(v: string): boolean {
  let i = 0
  while (i < v.length - 1 && v.charCodeAt(i) === 48) i++
  for (let j = i; j < v.length; j++) {
    const c = v.charCodeAt(j)
    if (c < 48 || c > 57) return false
  }
  const n = v.length - i
  return n < 19 || (n === 19 && v.slice(i) <= '9223372036854775807')
}

/** nginx's host check: no `/`, NUL or `..`; a trailing dot is dropped and the host must remain. */
function validHost(h: string): boolean {
  let dot = h.length
  let state = 0 // 0 host, 1 IPv6 literal, 2 port
  let hostLen = h.length
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i)
    if (c === 46) {
      if (dot === i - 1) return false
      dot = i
    } else if (c === 58) {
      if (state === 0) { hostLen = i; state = 2 }
    } else if (c === 91) {
      if (i === 0) state = 1
    } else if (c === 93) {
      if (state === 1) { hostLen = i + 1; state = 2 }
    } else if (c === 47 || c === 0) return false
  }
  if (dot === hostLen - 1) hostLen--
  return hostLen > 0
}

/** nginx's cookie lookup in one Cookie value (case-insensitive name, value up to `;`). */
function findCookie(v: string, name: string): string | undefined {
  const n = name.length
  const end = v.length
  let p = 0
  while (p < end) {
    let match = p + n <= end
    for (let k = 0; match && k < n; k++) {
      const c = v.charCodeAt(p + k)
      match = (c >= 65 && c <= 90 ? c + 32 : c) === name.charCodeAt(k)
    }
    if (match) {
      let q = p + n
      while (q < end && v.charCodeAt(q) === 32) q++
      if (q < end && v.charCodeAt(q) === 61) {
        q++
        while (q < end && v.charCodeAt(q) === 32) q++
        const last = v.indexOf(';', q)
        return v.slice(q, last < 0 ? end : last)
      }
      p = q < end ? q + 1 : q // nginx consumes the character that was not '='
    }
    while (p < end) {
      const c = v.charCodeAt(p++)
      if (c === 59 || c === 44) break
    }
    while (p < end && v.charCodeAt(p) === 32) p++
  }
  return undefined
}

export class RequestHeaders {
  readonly #input: readonly string[]
  readonly #options: RequestHeadersOptions
  #list: string[] | undefined = undefined // [name, value, …]; the input itself until changed
  #owned = false
  #changed = false

  constructor(raw: readonly string[], options: RequestHeadersOptions = NO_OPTIONS) {
    this.#input = raw
    this.#options = options
  }

  #init(): string[] {
    if (this.#list !== undefined) return this.#list
    const raw = this.#input as string[]
    if (this.#options.ignoreInvalidHeaders === false) return (this.#list = raw)
    const underscores = this.#options.underscoresInHeaders === true
    let i = 0
    while (i < raw.length && validName(raw[i]!, underscores)) i += 2
    if (i >= raw.length) return (this.#list = raw)
    const list = raw.slice(0, i)
    for (; i < raw.length; i += 2) if (validName(raw[i]!, underscores)) list.push(raw[i]!, raw[i + 1]!)
    this.#owned = true
    return (this.#list = list)
  }

  /** `$http_NAME`: `_` and `-` are the same, case does not matter. */
  get(name: string): string | undefined {
    const list = this.#init()
    const q = varName(name)
    const sep = q === 'cookie' ? '; ' : q === 'x_forwarded_for' ? ', ' : undefined
    let out: string | undefined
    for (let i = 0; i < list.length; i += 2) {
      if (!varEq(list[i]!, q)) continue
      if (sep === undefined) return list[i + 1]
      out = out === undefined ? list[i + 1] : out + sep + list[i + 1]!
    }
    return out
  }

  /** `$cookie_NAME`: the first match over all Cookie headers, as nginx 1.22 parses them. */
  cookie(name: string): string | undefined {
    const list = this.#init()
    const lname = name.toLowerCase()
    for (let i = 0; i < list.length; i += 2) {
      if (!ciEq(list[i]!, 'cookie')) continue
      const v = findCookie(list[i + 1]!, lname)
      if (v !== undefined) return v
    }
    return undefined
  }

  /** `ngx.req.get_headers(max, raw)`: `max` lines (0 = all, negative = 100), repeats as arrays. */
  getAll(max = 100, raw = false): HeadersResult {
    const list = this.#init()
    if (max < 0) max = 100
    const truncated = max > 0 && list.length > 2 * max
    const n = truncated ? 2 * max : list.length
    const headers: Record<string, string | string[]> = Object.create(null)
    for (let i = 0; i < n; i += 2) mergeHeader(headers, raw ? list[i]! : list[i]!.toLowerCase(), list[i + 1]!)
    return { headers, truncated }
  }

  /** Whether set, add or clear changed the headers (else they are as received). */
  get changed(): boolean {
    return this.#changed
  }

  /** `ngx.req.set_header`: an array sets several lines; null/undefined/[] clears. */
  set(name: string, value: HeaderInput): void {
    this.#changed = true
    if (value === undefined || value === null) return this.clear(name)
    const key = escapeHeaderName(name)
    if (typeof value !== 'object') return this.#put(key, headerString(value), true)
    if (value.length === 0) return this.clear(name)
    for (let i = 0; i < value.length; i++) this.#put(key, headerString(value[i]!), i === 0)
  }

  /** resty.core's `ngx.req.add_header`: appends (single-value builtins still replace). */
  add(name: string, value: HeaderInput): void {
    if (value === undefined || value === null) {
      throw argError("bad 'value' argument: string or table expected, got nil")
    }
    const key = escapeHeaderName(name)
    this.#changed = true
    if (typeof value !== 'object') return this.#put(key, headerString(value), false)
    if (value.length === 0) throw argError("bad 'value' argument: non-empty table expected")
    for (const v of value) this.#put(key, headerString(v), false)
  }

  /** `ngx.req.clear_header`. */
  clear(name: string): void {
    this.#changed = true
    this.#removeFrom(escapeHeaderName(name).toLowerCase(), 0)
  }

  /** The current `[name, value, …]` list, for proxying. Do not modify it. */
  raw(): readonly string[] {
    return this.#init()
  }

  /** `ngx.req.raw_header(no_request_line)`: the headers as received, each `Name: value\r\n`. */
  rawHeader(requestLine?: string): string {
    const raw = this.#input
    let s = requestLine === undefined ? '' : requestLine + '\r\n'
    for (let i = 0; i + 1 < raw.length; i += 2) s += raw[i]! + ': ' + raw[i + 1]! + '\r\n'
    return s + '\r\n'
  }

  #own(): string[] {
    const list = this.#init()
    if (this.#owned) return list
    this.#owned = true
    return (this.#list = list.slice())
  }

  /** Removes every header named `lname` (lower-case) from list index `from` on. */
  #removeFrom(lname: string, from: number): void {
    let list = this.#init()
    for (let i = list.length - 2; i >= from; i -= 2) {
      if (!ciEq(list[i]!, lname)) continue
      list = this.#own()
      list.splice(i, 2)
    }
  }

  #put(key: string, raw: string, override: boolean): void {
    const value = escapeHeaderValue(raw)
    const lname = key.toLowerCase()
    if (value !== '') {
      if (lname === 'content-length' ? !validLength(value) : lname === 'host' && !validHost(value)) {
        throw argError('failed to set header')
      }
    }
    if (value === '' && override) return this.#removeFrom(lname, 0)
    const list = this.#own()
    const single = SINGLE.has(lname)
    if (single || override) {
      let i = 0
      while (i < list.length && !ciEq(list[i]!, lname)) i += 2
      if (i < list.length) {
        list[i + 1] = value
        if (!single) this.#removeFrom(lname, i + 2)
        if (value !== '') return
      }
    }
    list.push(key, value)
  }
}
