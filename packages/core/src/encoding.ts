// ngx's encoding and digest functions: base64 (nginx's lenient decoder rules), md5, sha1,
// hmac-sha1 and crc32, on node:crypto and node:zlib. Strings are UTF-8 encoded; a Uint8Array
// is taken as the raw bytes of a Lua string.
import { Buffer } from 'node:buffer'
import { createHash, createHmac } from 'node:crypto'
import { crc32 } from 'node:zlib'

/** A Lua string: text (encoded as UTF-8) or raw bytes. */
export type LuaBytes = string | Uint8Array

function bytesOf(s: LuaBytes): Buffer {
  if (typeof s === 'string') return Buffer.from(s, 'utf8')
  return Buffer.isBuffer(s) ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength)
}

/** 1 for the characters each base64 alphabet accepts (ASCII only). */
const STD_ALPHABET = new Uint8Array(128)
const URL_ALPHABET = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
  STD_ALPHABET[c] = alnum || c === 0x2b || c === 0x2f ? 1 : 0
  URL_ALPHABET[c] = alnum || c === 0x2d || c === 0x5f ? 1 : 0
}

/**
 * nginx's ngx_decode_base64 rules: the input ends at the first `=` (whatever follows is
 * ignored), every character before it must be in the alphabet (no whitespace), and the
 * number of those characters must not be 4n+1. Padding is optional.
 */
function decodeWith(s: string, alphabet: Uint8Array, encoding: 'base64' | 'base64url'): Buffer | undefined {
  const n = s.length
  let len = 0
  for (; len < n; len++) {
    const c = s.charCodeAt(len)
    if (c === 0x3d) break
    if (c > 127 || alphabet[c] === 0) return undefined
  }
  if (len % 4 === 1) return undefined
  return Buffer.from(len === n ? s : s.slice(0, len), encoding)
}

/**
 * ngx.encode_base64: standard alphabet, `=` padding unless `noPadding`.
 *
 * @example
 * encodeBase64('fo')       // 'Zm8='
 * encodeBase64('fo', true) // 'Zm8'
 */
export function encodeBase64(s: LuaBytes, noPadding = false): string {
  const out = bytesOf(s).toString('base64')
  if (!noPadding) return out
  let end = out.length
  while (end > 0 && out.charCodeAt(end - 1) === 0x3d) end--
  return end === out.length ? out : out.slice(0, end)
}

/**
 * ngx.decode_base64: the bytes, or `undefined` where ngx returns nil (a character outside
 * the alphabet before the first `=`, or 4n+1 characters).
 *
 * @example
 * decodeBase64('Zg')      // <Buffer 66>
 * decodeBase64('Zm9v\n')  // undefined
 */
export function decodeBase64(s: string): Buffer | undefined {
  return decodeWith(s, STD_ALPHABET, 'base64')
}

/**
 * resty.core ngx.base64.encode_base64url: URL-safe alphabet (`-`, `_`), never padded.
 *
 * @example
 * encodeBase64url('\xff\xfe') // '__4'
 */
export function encodeBase64url(s: LuaBytes): string {
  return bytesOf(s).toString('base64url')
}

/**
 * resty.core ngx.base64.decode_base64url: the bytes, or `undefined` where it returns
 * `nil, "invalid input"`. Same rules as decodeBase64 with the URL-safe alphabet.
 *
 * @example
 * decodeBase64url('-_8') // <Buffer fb ff>
 */
export function decodeBase64url(s: string): Buffer | undefined {
  return decodeWith(s, URL_ALPHABET, 'base64url')
}

/**
 * ngx.md5: lowercase hex digest.
 *
 * @example
 * md5('hello') // '5d41402abc4b2a76b9719d911017c592'
 */
export function md5(s: LuaBytes): string {
  return createHash('md5').update(s).digest('hex')
}

/** ngx.md5_bin: the 16 raw digest bytes. @example md5Bin('abc').length // 16 */
export function md5Bin(s: LuaBytes): Buffer {
  return createHash('md5').update(s).digest()
}

/** ngx.sha1_bin: the 20 raw digest bytes. @example sha1Bin('abc').length // 20 */
export function sha1Bin(s: LuaBytes): Buffer {
  return createHash('sha1').update(s).digest()
}

/**
 * ngx.hmac_sha1: the 20 raw bytes of HMAC-SHA1(key, s).
 *
 * @example
 * hmacSha1('key', 'msg').toString('hex')
 */
export function hmacSha1(key: LuaBytes, s: LuaBytes): Buffer {
  return createHmac('sha1', key).update(s).digest()
}

/**
 * ngx.crc32_short: CRC-32 (as zlib's crc32) as an unsigned number.
 *
 * @example
 * crc32Short('hello') // 907060870
 */
export function crc32Short(s: LuaBytes): number {
  return crc32(s)
}

/** ngx.crc32_long: the same value as crc32Short (nginx only tunes it for long input). */
export function crc32Long(s: LuaBytes): number {
  return crc32(s)
}
