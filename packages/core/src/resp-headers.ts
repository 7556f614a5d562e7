// The response header table behind `ngx.header`, `ngx.resp.get_headers` and
// `ngx.resp.add_header`, with ngx_lua 0.10.23's rules (checked on the reference):
//
//  - Names are case-insensitive; `_` reads and writes as `-` unless transformUnderscores is off.
//    A header is sent under the name it was first set with ("x-foo"), except the single-value
//    builtins (Server, Location, …), which take the name of their latest set. Content-Type is
//    kept apart from the list and is always sent as "Content-Type".
//  - Nothing throws for bad bytes: control characters in values become %XX (tab stays), and in
//    names every byte outside the RFC 7230 token set becomes %XX.
//  - `""` removes, like nil. Single-value builtins keep only their last value, and keep their
//    place in the list when removed and set again (so do Cache-Control and Link).
import { argError } from './errors.ts'
import { luaTostring } from './tostring.ts'

/** One value as ngx_lua renders it: numbers by Lua's tostring(), booleans as "true"/"false". */
export type HeaderScalar = string | number | boolean
/** What `ngx.header.NAME = v` accepts; null/undefined or `[]` removes. */
export type HeaderInput = HeaderScalar | readonly HeaderScalar[] | null | undefined
/** The result of get_headers: the table and ngx_lua's second return ("truncated"). */
export interface HeadersResult {
  readonly headers: Record<string, string | string[]>
  readonly truncated: boolean
}

const GENERIC = 0
const SINGLE = 1 // one value, a removed one keeps its slot, the latest name is sent
const MULTI = 2 // Cache-Control and Link: removed values keep their slots for the next values

const RESP_KIND: ReadonlyMap<string, number> = new Map([
  ['server', SINGLE], ['date', SINGLE], ['content-length', SINGLE], ['content-encoding', SINGLE],
  ['location', SINGLE], ['refresh', SINGLE], ['last-modified', SINGLE], ['content-range', SINGLE],
  ['accept-ranges', SINGLE], ['www-authenticate', SINGLE], ['expires', SINGLE], ['e-tag', SINGLE],
  ['etag', SINGLE], ['cache-control', MULTI], ['link', MULTI],
])

const HEX = '0123456789ABCDEF'
/** 1 for the bytes a header name keeps: RFC 7230 tchar. */
const TOKEN = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  TOKEN[c] = alnum || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)) ? 1 : 0
}
const utf8 = new TextEncoder()

function pct(out: string, byte: number): string {
  return out + '%' + HEX[byte >> 4]! + HEX[byte & 15]!
}

/** ngx_lua's escaping of a header value: control bytes except tab, and DEL, become %XX. */
export function escapeHeaderValue(v: string): string {
  let i = 0
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if ((c < 32 && c !== 9) || c === 127) break
  }
  if (i === v.length) return v
  let out = v.slice(0, i)
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i)
    out = (c < 32 && c !== 9) || c === 127 ? pct(out, c) : out + v[i]!
  }
  return out
}

/** ngx_lua's escaping of a header name: bytes outside the token set (UTF-8 for non-ASCII) become %XX. */
export function escapeHeaderName(name: string): string {
  let i = 0
  for (; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 128 || TOKEN[c] === 0) break
  }
  if (i === name.length) return name
  let out = name.slice(0, i)
  for (const ch of name.slice(i)) {
    const c = ch.charCodeAt(0)
    if (c < 128) out = TOKEN[c] === 1 ? out + ch : pct(out, c)
    else for (const b of utf8.encode(ch)) out = pct(out, b)
  }
  return out
}

/** Lua's tostring() of a header value. */
export function headerString(v: HeaderScalar): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? luaTostring(v) : v ? 'true' : 'false'
}

/**
 * A key lookup on a get_headers table as its `__index` metamethod does it: the key as given,
 * then lower-cased with `_` read as `-`.
 */
export function lookupHeader(
  headers: Readonly<Record<string, string | string[]>>, name: string,
): string | string[] | undefined {
  return headers[name] ?? headers[name.toLowerCase().replaceAll('_', '-')]
}

/** Adds one value under `key` as get_headers does: a second value turns it into an array. */
export function mergeHeader(headers: Record<string, string | string[]>, key: string, value: string): void {
  const old = headers[key]
  if (old === undefined) headers[key] = value
  else if (typeof old === 'string') headers[key] = [old, value]
  else old.push(value)
}

interface NameInfo {
  readonly key: string // the name to send: `_` transformed, escaped
  readonly lname: string // key lower-cased: what entries are matched by
  readonly lookup: string // the name lower-cased, transformed, not escaped: what reads match
  readonly kind: number
}

const CACHE_LIMIT = 2000
const infoCache = [new Map<string, NameInfo>(), new Map<string, NameInfo>()]

function nameInfo(name: string, transform: boolean): NameInfo {
  const cache = infoCache[transform ? 1 : 0]!
  let info = cache.get(name)
  if (info !== undefined) return info
  const t = transform ? name.replaceAll('_', '-') : name
  const key = escapeHeaderName(t)
  const lname = key.toLowerCase()
  info = { key, lname, lookup: t.toLowerCase(), kind: RESP_KIND.get(lname) ?? GENERIC }
  if (cache.size < CACHE_LIMIT) cache.set(name, info)
  return info
}

/** One list entry; value "" is a removed builtin that still holds its place. */
interface Entry { name: string; readonly lname: string; value: string }

/** Response headers of one request. Construction allocates nothing beyond the object. */
export class ResponseHeaders {
  readonly transformUnderscores: boolean
  /** What get_headers reports as "connection" (nginx's keepalive state); undefined leaves it out. */
  connection: string | undefined = 'keep-alive'
  /** Set once nginx would be sending chunked: get_headers then reports "transfer-encoding". */
  chunked = false
  #list: Entry[] | undefined = undefined
  #contentType: string | undefined = undefined
  #contentTypeSet = false

  constructor(transformUnderscores = true) {
    this.transformUnderscores = transformUnderscores
  }

  /** `ngx.header.NAME`: undefined, one string, or an array for a repeated header. */
  get(name: string): string | string[] | undefined {
    const l = nameInfo(name, this.transformUnderscores).lookup
    if (l === 'content-type') return this.#contentType
    const list = this.#list
    if (list === undefined) return undefined
    let one: string | undefined
    let many: string[] | undefined
    for (const e of list) {
      if (e.lname !== l || e.value === '') continue
      if (one === undefined) one = e.value
      else (many ??= [one]).push(e.value)
    }
    return many ?? one
  }

  /** `ngx.header.NAME = value`: replaces; an array sets several lines; null/undefined/[] removes. */
  set(name: string, value: HeaderInput): void {
    const info = nameInfo(name, this.transformUnderscores)
    if (value === undefined || value === null) return this.#remove(info)
    if (typeof value !== 'object') return this.#put(info, headerString(value), true)
    if (value.length === 0) return this.#remove(info)
    for (let i = 0; i < value.length; i++) this.#put(info, headerString(value[i]!), i === 0)
  }

  /** `ngx.resp.add_header`: appends (single-value builtins still replace). */
  add(name: string, value: HeaderInput): void {
    if (value === undefined || value === null) throw argError('invalid header value')
    const info = nameInfo(name, this.transformUnderscores)
    if (typeof value !== 'object') return this.#put(info, headerString(value), false)
    for (const v of value) this.#put(info, headerString(v), false)
  }

  delete(name: string): void {
    this.#remove(nameInfo(name, this.transformUnderscores))
  }

  /** Drops every header, as nginx does before a special response. */
  clear(): void {
    this.#list = undefined
    this.#contentType = undefined
    this.#contentTypeSet = false
  }

  get contentType(): string | undefined {
    return this.#contentType
  }

  set contentType(v: string | undefined) {
    this.set('Content-Type', v)
  }

  /** No Content-Type unless one is set (a proxied answer: default_type is not added). */
  noDefaultType(): void {
    if (this.#contentType === undefined) this.#contentTypeSet = true
  }

  /** True once Content-Type was set or removed: nginx then leaves default_type out. */
  get contentTypeSet(): boolean {
    return this.#contentTypeSet
  }

  /** The Content-Length header as a number: undefined when absent, -1 when it is not digits. */
  get contentLength(): number | undefined {
    const v = this.get('content-length')
    if (v === undefined) return undefined
    const s = typeof v === 'string' ? v : v[v.length - 1]!
    return /^\d{1,15}$/.test(s) ? Number(s) : -1
  }

  set contentLength(n: number | undefined) {
    this.set('Content-Length', n)
  }

  /**
   * `ngx.resp.get_headers(max, raw)`. Content-Type, Connection and Transfer-Encoding come first
   * and count toward `max` (0 or less is unlimited); when over it, at least one list header
   * is still returned, as ngx_lua does.
   */
  getAll(max = 100, raw = false): HeadersResult {
    const headers: Record<string, string | string[]> = Object.create(null)
    const ct = this.#contentType
    const conn = this.connection
    if (ct !== undefined) headers['content-type'] = ct
    if (conn !== undefined) headers['connection'] = conn
    if (this.chunked) headers['transfer-encoding'] = 'chunked'
    const extra = (ct === undefined ? 0 : 1) + (conn === undefined ? 0 : 1) + (this.chunked ? 1 : 0)
    let count = 0
    const list = this.#list ?? []
    for (const e of list) if (e.value !== '') count++
    const truncated = max > 0 && count + extra > max
    let left = truncated ? Math.max(1, max - extra) : count
    for (let i = 0; i < list.length && left > 0; i++) {
      const e = list[i]!
      if (e.value === '') continue
      mergeHeader(headers, raw ? e.name : e.lname, e.value)
      left--
    }
    return { headers, truncated }
  }

  /** Appends `name, value, …` for node's writeHead: Content-Type first, then the list in order. */
  writeTo(out: string[]): void {
    if (this.#contentType !== undefined) out.push('Content-Type', this.#contentType)
    const list = this.#list
    if (list === undefined) return
    for (const e of list) if (e.value !== '') out.push(e.name, e.value)
  }

  #remove(info: NameInfo): void {
    if (info.lname === 'content-type') {
      this.#contentType = undefined
      this.#contentTypeSet = true
      return
    }
    const list = this.#list
    if (list === undefined) return
    if (info.kind === GENERIC) {
      this.#list = list.filter((e) => e.lname !== info.lname)
      return
    }
    for (const e of list) if (e.lname === info.lname) e.value = ''
  }

  #put(info: NameInfo, raw: string, override: boolean): void {
    const value = escapeHeaderValue(raw)
    const lname = info.lname
    if (lname === 'content-type') {
      this.#contentType = value === '' ? undefined : value
      this.#contentTypeSet = true
      return
    }
    const list = (this.#list ??= [])
    if (info.kind === SINGLE) {
      const e = list.find((x) => x.lname === lname)
      if (e === undefined) list.push({ name: info.key, lname, value })
      else {
        e.name = info.key
        e.value = value
      }
    } else if (info.kind === MULTI) {
      if (value === '' && !override) return
      let hit = false
      for (const e of list) {
        if (e.lname !== lname) continue
        if (!hit && (override || e.value === '')) {
          e.value = value
          hit = true
        } else if (override) e.value = ''
        if (hit && !override) return
      }
      if (!hit) list.push({ name: info.key, lname, value })
    } else if (override) {
      if (value === '') return this.#remove(info)
      const i = list.findIndex((x) => x.lname === lname)
      if (i < 0) return void list.push({ name: info.key, lname, value })
      list[i]!.value = value
      for (let j = list.length - 1; j > i; j--) if (list[j]!.lname === lname) list.splice(j, 1)
    } else if (value !== '') list.push({ name: info.key, lname, value })
  }
}
