// Query strings as ngx handles them: ngx.decode_args / ngx.req.get_post_args,
// ngx.req.get_uri_args, and ngx.encode_args. The rules were checked on the reference OpenResty:
//   `a=1&a=2` → an array; `a` → true; `a=` → ""; `a=1=2` → "1=2"; segments whose key is
//   empty (`=x`, `&&`, a trailing `&`) are dropped; keys and values are unescaped with `+` → space.
// The two decoders differ only in how they count toward `max` (see each).
import { escapeUri, unescapeUri } from './escape.ts'
import { argError } from './errors.ts'
import { luaTostring } from './tostring.ts'

export type ArgValue = string | true
export type ArgValues = ArgValue | ArgValue[]
export type Args = Record<string, ArgValues>

export interface DecodeArgsResult {
  readonly args: Args
  /** More arguments were present than `max` allowed (ngx returns "truncated" as the 2nd value). */
  readonly truncated: boolean
}

/** ngx_lua's default limit on the number of arguments decoded. */
export const DEFAULT_MAX_ARGS = 100

function addArg(args: Args, key: string, value: ArgValue): void {
  const existing = args[key]
  if (existing === undefined) args[key] = value
  else if (Array.isArray(existing)) existing.push(value)
  else args[key] = [existing, value]
}

/** Adds the segment s[from, to) unless its key is empty; returns whether it was added. */
function addSegment(args: Args, s: string, from: number, to: number): boolean {
  let eq = from
  while (eq < to && s.charCodeAt(eq) !== 0x3d) eq++
  if (eq === from) return false // empty key (also an empty segment)
  const key = unescapeUri(s.slice(from, eq))
  addArg(args, key, eq === to ? true : unescapeUri(s.slice(eq + 1, to)))
  return true
}

/**
 * ngx.decode_args(s, max) and ngx.req.get_post_args(max): `max` defaults to 100; 0 or a
 * negative number means no limit. Every `&` that ends a segment counts, empty segments too,
 * and decoding stops with `truncated` once `max` of them were seen — even when nothing follows
 * (`decodeArgs('a&b&', 2)` is truncated).
 *
 * @example
 * decodeArgs('a=1&a=2&b&c=').args // { a: ['1', '2'], b: true, c: '' }
 */
export function decodeArgs(s: string, max: number = DEFAULT_MAX_ARGS): DecodeArgsResult {
  const args: Args = Object.create(null) as Args
  const n = s.length
  const limit = Math.trunc(max) // ngx reads it as a C int
  let from = 0
  let count = 0
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) !== 0x26) continue
    addSegment(args, s, from, i)
    from = i + 1
    if (limit > 0 && ++count === limit) return { args, truncated: true }
  }
  if (from < n) addSegment(args, s, from, n)
  return { args, truncated: false }
}

/**
 * ngx.req.get_uri_args(max) on the query string `s` (without `?`): `max` defaults to 100 (also
 * for a negative number), 0 means no limit. `truncated` is set when the query has more than
 * `max` `&`-separated segments, empty ones included; then the first `max` arguments with a
 * non-empty key are kept (`decodeUriArgs('=x&&a=1&b=2', 2)` keeps a and b).
 *
 * @example
 * decodeUriArgs('a=1&b=2&c=3', 2) // { args: { a: '1', b: '2' }, truncated: true }
 */
export function decodeUriArgs(s: string, max: number = DEFAULT_MAX_ARGS): DecodeArgsResult {
  const args: Args = Object.create(null) as Args
  const n = s.length
  if (n === 0) return { args, truncated: false }
  const m = Math.trunc(max) // ngx reads it as a C int
  const limit = m < 0 ? DEFAULT_MAX_ARGS : m
  let truncated = false
  if (limit > 0) {
    let segments = 1
    for (let i = 0; i < n; i++) if (s.charCodeAt(i) === 0x26) segments++
    truncated = segments > limit
  }
  let from = 0
  let stored = 0
  for (let i = 0; i <= n; i++) {
    if (i < n && s.charCodeAt(i) !== 0x26) continue
    if (addSegment(args, s, from, i) && ++stored === limit) break
    from = i + 1
  }
  return { args, truncated }
}

/** Lua's type() name for a JS value that cannot be a query arg value. */
function luaTypeName(v: unknown): string {
  if (typeof v === 'function') return 'function'
  if (typeof v === 'object' && v !== null) return 'table'
  return 'userdata' // null (ngx.null), symbols
}

/** Appends `key=value` for a scalar; returns false when `v` is not a scalar. */
function pushScalar(parts: string[], key: string, v: unknown): boolean {
  switch (typeof v) {
    case 'string':
      parts.push(`${key}=${escapeUri(v)}`)
      return true
    case 'number':
      parts.push(`${key}=${escapeUri(luaTostring(v))}`)
      return true
    case 'bigint':
      parts.push(`${key}=${escapeUri(v.toString())}`)
      return true
    case 'boolean':
      if (v) parts.push(key)
      return true
    case 'undefined':
      return true // nil: nothing to encode
    default:
      if (v instanceof Uint8Array) {
        parts.push(`${key}=${escapeUri(v)}`)
        return true
      }
      return false
  }
}

/**
 * ngx.encode_args: `key=value` pairs joined by `&`, keys and values escaped as
 * escapeUri(…, 2). Numbers print as Lua prints them, `true` gives the key alone, `false` and
 * `undefined` are left out, an array repeats the key (an empty one gives nothing), and a plain
 * object counts as a Lua table: its values are used as an array's would be. Anything else
 * throws ngx's `attempt to use <type> as query arg value` (`null` is ngx.null, a userdata).
 *
 * @example
 * encodeArgs({ a: [1, 'x y'], b: true, c: false }) // 'a=1&a=x%20y&b'
 */
export function encodeArgs(args: Readonly<Record<string, unknown>>): string {
  const parts: string[] = []
  for (const name of Object.keys(args)) {
    const v = args[name]
    const key = escapeUri(name)
    if (pushScalar(parts, key, v)) continue
    if (typeof v !== 'object' || v === null) throw argError(`attempt to use ${luaTypeName(v)} as query arg value`)
    const items: readonly unknown[] = Array.isArray(v) ? v : Object.values(v)
    for (const item of items) {
      if (!pushScalar(parts, key, item)) throw argError(`attempt to use ${luaTypeName(item)} as query arg value`)
    }
  }
  return parts.join('&')
}
