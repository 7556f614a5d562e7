import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import {
  crc32Long,
  crc32Short,
  decodeBase64,
  decodeBase64url,
  encodeBase64,
  encodeBase64url,
  hmacSha1,
  md5,
  md5Bin,
  sha1Bin,
} from './encoding.ts'

const b64 = (b: Buffer): string => b.toString('base64')
const hexOf = (b: Buffer | undefined): string | undefined => b?.toString('hex')

describe('encodeBase64', () => {
  it('pads by default and drops the padding when asked', () => {
    // reference: OpenResty answers "", Zg==, Zm8, Zm9vYg==, Zm9vYg, Zm9vYmE, Zm9vYmFy
    expect(encodeBase64('')).toBe('')
    expect(encodeBase64('f')).toBe('Zg==')
    expect(encodeBase64('f', false)).toBe('Zg==')
    expect(encodeBase64('fo', true)).toBe('Zm8')
    expect(encodeBase64('foob')).toBe('Zm9vYg==')
    expect(encodeBase64('foob', true)).toBe('Zm9vYg')
    expect(encodeBase64('fooba', true)).toBe('Zm9vYmE')
    expect(encodeBase64('foobar', true)).toBe('Zm9vYmFy')
  })

  it('encodes strings as UTF-8 and byte arrays as they are', () => {
    // reference: OpenResty answers w6k= for "é", //79 for "\255\254\253", AAEC/w== for "\0\1\2\255"
    expect(encodeBase64('é')).toBe('w6k=')
    expect(encodeBase64(new Uint8Array([255, 254, 253]))).toBe('//79')
    expect(encodeBase64(Buffer.from([0, 1, 2, 255]))).toBe('AAEC/w==')
    expect(encodeBase64(new Uint8Array([9, 0, 1, 2, 255, 9]).subarray(1, 5))).toBe('AAEC/w==')
  })
})

describe('decodeBase64', () => {
  it('accepts input with or without padding', () => {
    // reference: OpenResty decodes Zg==, Zg, Zg= to "f" and Zm8, Zm9vYg, Zm9vYg= as expected
    expect(decodeBase64('')?.toString()).toBe('')
    expect(decodeBase64('Zg==')?.toString()).toBe('f')
    expect(decodeBase64('Zg')?.toString()).toBe('f')
    expect(decodeBase64('Zg=')?.toString()).toBe('f')
    expect(decodeBase64('Zm8')?.toString()).toBe('fo')
    expect(decodeBase64('Zm9vYg')?.toString()).toBe('foob')
    expect(decodeBase64('Zm9vYg=')?.toString()).toBe('foob')
    expect(hexOf(decodeBase64('+/8='))).toBe('fbff')
  })

  it('stops at the first "=" and ignores whatever follows it', () => {
    // reference: OpenResty answers f for Zg==Zg== and Zg===, fo for Zm8=Zg, foo for Zm9v==, "" for "="
    expect(decodeBase64('Zg==Zg==')?.toString()).toBe('f')
    expect(decodeBase64('Zg===')?.toString()).toBe('f')
    expect(decodeBase64('Zm8=Zg')?.toString()).toBe('fo')
    expect(decodeBase64('Zm9v==')?.toString()).toBe('foo')
    expect(decodeBase64('=')?.toString()).toBe('')
    expect(decodeBase64('==')?.toString()).toBe('')
  })

  it('ignores leftover bits in the last character', () => {
    // reference: OpenResty decodes Zh== to "f"
    expect(decodeBase64('Zh==')?.toString()).toBe('f')
  })

  it('returns undefined where ngx returns nil', () => {
    // reference: OpenResty answers nil for each of these
    for (const bad of ['Z', 'Z===', 'Zm9v\n', 'Zm 9v', '-_8=', 'Zm9v*', 'Zm9vé', 'Zm9vY']) {
      expect(decodeBase64(bad), bad).toBeUndefined()
    }
  })

  it('round-trips every byte value', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    expect(decodeBase64(encodeBase64(all))?.equals(all)).toBe(true)
    expect(decodeBase64(encodeBase64(all, true))?.equals(all)).toBe(true)
  })
})

describe('encodeBase64url / decodeBase64url', () => {
  it('encodes with the URL-safe alphabet and no padding', () => {
    // reference: OpenResty's ngx.base64 answers "", Zg, __79-w
    expect(encodeBase64url('')).toBe('')
    expect(encodeBase64url('f')).toBe('Zg')
    expect(encodeBase64url(new Uint8Array([255, 254, 253, 251]))).toBe('__79-w')
  })

  it('decodes with the same leniency as decodeBase64', () => {
    // reference: OpenResty's ngx.base64 answers these
    expect(decodeBase64url('')?.toString()).toBe('')
    expect(decodeBase64url('Zg==')?.toString()).toBe('f')
    expect(decodeBase64url('Zg')?.toString()).toBe('f')
    expect(decodeBase64url('Zh')?.toString()).toBe('f')
    expect(decodeBase64url('Zm8=Zg')?.toString()).toBe('fo')
    expect(decodeBase64url('=')?.toString()).toBe('')
    expect(hexOf(decodeBase64url('-_8'))).toBe('fbff')
    expect(hexOf(decodeBase64url('-_8='))).toBe('fbff')
  })

  it('returns undefined where ngx.base64 returns nil, "invalid input"', () => {
    // reference: OpenResty's ngx.base64 answers nil, "invalid input" for these
    for (const bad of ['Z', '+/8', 'Zm9v\n']) expect(decodeBase64url(bad), bad).toBeUndefined()
  })
})

describe('digests', () => {
  it('md5 gives the lowercase hex digest', () => {
    // reference: OpenResty answers these for ngx.md5
    expect(md5('')).toBe('d41d8cd98f00b204e9800998ecf8427e')
    expect(md5('hello')).toBe('5d41402abc4b2a76b9719d911017c592')
    expect(md5('123')).toBe('202cb962ac59075b964b07152d234b70')
    expect(md5('é')).toBe('66ddcd97cfdeabb2f6fb8a999b4bc76f')
    expect(md5('a'.repeat(100000))).toBe('1af6d6f2f682f76f80e606aeaaee1680')
  })

  it('md5Bin, sha1Bin and hmacSha1 give raw bytes', () => {
    // reference: OpenResty answers these (shown in base64)
    expect(b64(md5Bin('abc'))).toBe('kAFQmDzST7DWlj99KOF/cg==')
    expect(b64(sha1Bin('abc'))).toBe('qZk+NkcGgWq6PiVxeFDCbJzQ2J0=')
    expect(b64(sha1Bin(''))).toBe('2jmj7l5rSw0yVb/vlWAYkK/YBwk=')
    expect(b64(hmacSha1('key', 'The quick brown fox jumps over the lazy dog'))).toBe('3nybhbi3iqa8ino29wqQcBydtNk=')
    expect(b64(hmacSha1('', ''))).toBe('+9sdGxiqbAgyS31ktx+3Y3BpDh0=')
    expect(b64(hmacSha1(new Uint8Array([255, 0, 0x6b, 0x65, 0x79]), 'é'))).toBe('CYJcVKKLIsr2tqQFcPbHXR6IUAU=')
  })

  it('crc32Short and crc32Long give the same unsigned value', () => {
    // reference: OpenResty answers these for ngx.crc32_short / ngx.crc32_long
    expect(crc32Short('hello')).toBe(907060870)
    expect(crc32Long('hello')).toBe(907060870)
    expect(crc32Short('')).toBe(0)
    expect(crc32Long('The quick brown fox jumps over the lazy dog')).toBe(1095738169)
    expect(crc32Short(new Uint8Array([255, 0, 0x61, 0x62, 0x63]))).toBe(3324225601)
    expect(crc32Short('é')).toBe(235179326)
    expect(crc32Long(new Uint8Array([0, 1, 2, 255]))).toBe(1068644388)
    expect(crc32Long('abc'.repeat(10000))).toBe(2767349930)
  })
})
