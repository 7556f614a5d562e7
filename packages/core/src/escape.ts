// ngx.escape_uri, ngx.unescape_uri and ngx.quote_sql_str. The escape sets per type were read
// off the reference OpenResty byte by byte; escaping works on UTF-8 bytes with uppercase hex.
import { Buffer, isUtf8 } from 'node:buffer'
import { argError } from './errors.ts'
import { luaTostring } from './tostring.ts'

/**
 * Escape types ngx.escape_uri accepts, as ngx_escape_uri numbers them. Types 5 and 6 leave
 * bytes 0x80-0xFF as they are.
 */
export const ESCAPE_TYPE = {
  URI: 0,
  ARGS: 1,
  URI_COMPONENT: 2,
  HTML: 3,
  REFRESH: 4,
  MEMCACHED: 5,
  MAIL_AUTH: 6,
} as const

const ESCAPE_TABLES: Uint8Array[] = []
{
  const set = (t: Uint8Array, chars: string): void => {
    for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1
  }
  for (let type = 0; type <= 6; type++) {
    const t = new Uint8Array(256)
    for (let b = 0; b <= 0x20; b++) t[b] = 1 // controls and space: escaped by every type
    if (type <= 4) for (let b = 0x7f; b <= 0xff; b++) t[b] = 1
    if (type === 0) set(t, '#%?')
    else if (type === 1) set(t, '#%?+')
    else if (type === 2) {
      for (let b = 0x21; b < 0x7f; b++) t[b] = 1
      for (let b = 0x30; b <= 0x39; b++) t[b] = 0
      for (let b = 0x41; b <= 0x5a; b++) t[b] = 0
      for (let b = 0x61; b <= 0x7a; b++) t[b] = 0
      for (const c of "-._~!'()*") t[c.charCodeAt(0)] = 0
    } else if (type === 3) set(t, `"#%'`)
    else if (type === 4) set(t, `"'`)
    else set(t, '%')
    ESCAPE_TABLES.push(t)
  }
}
const HEX = new Uint8Array(Buffer.from('0123456789ABCDEF', 'latin1'))

/** 0-15 for a hex digit's char code, 255 otherwise. */
const HEX_VALUE = new Uint8Array(256).fill(255)
for (let c = 0; c < 10; c++) HEX_VALUE[0x30 + c] = c
for (let c = 0; c < 6; c++) HEX_VALUE[0x41 + c] = HEX_VALUE[0x61 + c] = 10 + c

function tableFor(type: number): Uint8Array {
  if (typeof type !== 'number') throw argError('"type" is not a number')
  // ngx checks the range on the number, then C truncates it to an int (2.5 is type 2).
  if (!(type >= 0 && type <= 6)) throw argError(`"type" ${luaTostring(type)} out of range`)
  return ESCAPE_TABLES[type | 0] as Uint8Array
}

/**
 * ngx.escape_uri. `type` is 2 (component escaping: all but `A-Za-z0-9-._~!'()*`) by default,
 * 0 for URI mode (only controls, space, `#`, `%`, `?` and 0x7F-0xFF); 1, 3-6 as ngx has them.
 * Throws ngx's `"type" N out of range` for other values.
 *
 * @example
 * escapeUri('a b/é')    // 'a%20b%2F%C3%A9'
 * escapeUri('a b/é', 0) // 'a%20b/%C3%A9'
 */
export function escapeUri(s: string | Uint8Array, type = 2): string {
  const table = tableFor(type)
  if (typeof s === 'string') {
    const n = s.length
    let i = 0
    while (i < n) {
      const c = s.charCodeAt(i)
      if (c > 0x7f || table[c] === 1) break
      i++
    }
    if (i === n) return s
    // Types 0-4 give ASCII; 5 and 6 pass the string's UTF-8 bytes through, so decode as UTF-8.
    return escapeBytes(Buffer.from(s, 'utf8'), table).toString(type <= 4 ? 'latin1' : 'utf8')
  }
  return bytesToString(escapeBytes(s, table))
}

/**
 * ngx.escape_uri with bytes out (for binary input under types 5 and 6, which keep bytes
 * 0x80-0xFF as they are).
 *
 * @example
 * escapeUriBytes(Buffer.from([0xff, 0x20]), 5) // <Buffer ff 25 32 30>
 */
export function escapeUriBytes(s: string | Uint8Array, type = 2): Buffer {
  const table = tableFor(type)
  return escapeBytes(typeof s === 'string' ? Buffer.from(s, 'utf8') : s, table)
}

function escapeBytes(b: Uint8Array, table: Uint8Array): Buffer {
  const n = b.length
  let extra = 0
  for (let i = 0; i < n; i++) if (table[b[i] as number] === 1) extra += 2
  const out = Buffer.allocUnsafe(n + extra)
  let o = 0
  for (let i = 0; i < n; i++) {
    const c = b[i] as number
    if (table[c] === 1) {
      out[o++] = 0x25
      out[o++] = HEX[c >> 4] as number
      out[o++] = HEX[c & 15] as number
    } else out[o++] = c
  }
  return out
}

/** UTF-8 when the bytes are valid UTF-8, otherwise valid sequences as UTF-8 and every other byte as latin1. */
function bytesToString(b: Buffer): string {
  if (isUtf8(b)) return b.toString('utf8')
  let out = ''
  const n = b.length
  let i = 0
  while (i < n) {
    const c = b[i] as number
    let cp = -1
    let len = 1
    if (c < 0x80) cp = c
    else if (c >= 0xc2 && c <= 0xf4) {
      len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4
      const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000
      let v = c & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07)
      let k = 1
      for (; k < len && i + k < n; k++) {
        const d = b[i + k] as number
        if ((d & 0xc0) !== 0x80) break
        v = (v << 6) | (d & 0x3f)
      }
      if (k === len && v >= min && v <= 0x10ffff && (v < 0xd800 || v > 0xdfff)) cp = v
    }
    if (cp < 0) {
      out += String.fromCharCode(c)
      i++
    } else {
      out += String.fromCodePoint(cp)
      i += len
    }
  }
  return out
}

/** Scans for the first `%` or `+`; -1 when the input needs no unescaping. */
function firstEscape(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x25 || c === 0x2b) return i
  }
  return -1
}

/**
 * ngx.unescape_uri with bytes out: `%XX` (either case) becomes the byte, `+` becomes a space,
 * and a `%` not followed by two hex digits is kept as it is.
 *
 * @example
 * unescapeUriBytes('%e9') // <Buffer e9>
 */
export function unescapeUriBytes(s: string | Uint8Array): Buffer {
  const src = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s.buffer, s.byteOffset, s.byteLength)
  const n = src.length
  const out = Buffer.allocUnsafe(n)
  let o = 0
  for (let i = 0; i < n; i++) {
    const c = src[i] as number
    if (c === 0x2b) out[o++] = 0x20
    else if (c === 0x25 && i + 2 < n && HEX_VALUE[src[i + 1] as number] !== 255 && HEX_VALUE[src[i + 2] as number] !== 255) {
      out[o++] = ((HEX_VALUE[src[i + 1] as number] as number) << 4) | (HEX_VALUE[src[i + 2] as number] as number)
      i += 2
    } else out[o++] = c
  }
  return out.subarray(0, o)
}

/**
 * ngx.unescape_uri with text out: the unescaped bytes read as UTF-8 (bytes that are not part
 * of valid UTF-8 become latin1 characters).
 *
 * @example
 * unescapeUri('a+b%2B%C3%A9%zz') // 'a b+é%zz'
 */
export function unescapeUri(s: string): string {
  let i = firstEscape(s)
  if (i < 0) return s
  // Text path while every decoded byte is ASCII; otherwise decode the bytes.
  const n = s.length
  let out = ''
  let from = 0
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x2b) {
      out += `${s.slice(from, i)} `
      from = i + 1
    } else if (c === 0x25 && i + 2 < n) {
      const v = hexPair(s.charCodeAt(i + 1), s.charCodeAt(i + 2))
      if (v < 0) continue
      if (v >= 0x80) return bytesToString(unescapeUriBytes(s))
      out += s.slice(from, i) + String.fromCharCode(v)
      i += 2
      from = i + 1
    }
  }
  return out + s.slice(from)
}

/** The byte two hex digit char codes spell, or -1. */
function hexPair(hi: number, lo: number): number {
  const h = hi < 256 ? (HEX_VALUE[hi] as number) : 255
  const l = lo < 256 ? (HEX_VALUE[lo] as number) : 255
  return h === 255 || l === 255 ? -1 : (h << 4) | l
}

/** The replacement for each byte ngx.quote_sql_str escapes. */
const SQL_ESCAPES: (string | undefined)[] = []
SQL_ESCAPES[0x00] = '\\0'
SQL_ESCAPES[0x08] = '\\b'
SQL_ESCAPES[0x09] = '\\t'
SQL_ESCAPES[0x0a] = '\\n'
SQL_ESCAPES[0x0d] = '\\r'
SQL_ESCAPES[0x1a] = '\\Z'
SQL_ESCAPES[0x22] = '\\"'
SQL_ESCAPES[0x27] = "\\'"
SQL_ESCAPES[0x5c] = '\\\\'

/**
 * ngx.quote_sql_str: a MySQL string literal in single quotes, with `\0 \b \t \n \r \Z \" \' \\`
 * escaped; every other byte is kept.
 *
 * @example
 * quoteSqlStr("it's") // "'it\\'s'"
 */
export function quoteSqlStr(s: string): string {
  let out = "'"
  let from = 0
  for (let i = 0; i < s.length; i++) {
    const rep = SQL_ESCAPES[s.charCodeAt(i)]
    if (rep === undefined) continue
    out += s.slice(from, i) + rep
    from = i + 1
  }
  return `${from === 0 ? out + s : out + s.slice(from)}'`
}
