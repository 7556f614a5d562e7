import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { ESCAPE_TYPE, escapeUri, escapeUriBytes, quoteSqlStr, unescapeUri, unescapeUriBytes } from './escape.ts'

/** The bytes a type escapes, as hex, found by escaping each byte alone. */
function escapedSet(type: number): string {
  const out: string[] = []
  for (let b = 0; b < 256; b++) {
    if (escapeUriBytes(new Uint8Array([b]), type).length !== 1) out.push(b.toString(16).padStart(2, '0'))
  }
  return out.join(',')
}
const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => (from + i).toString(16).padStart(2, '0'))

describe('escapeUri', () => {
  it('escapes, per type, exactly the bytes OpenResty escapes', () => {
    // reference: OpenResty's ngx.escape_uri(string.char(b), type) for every byte and type 0-6
    const ctl = range(0x00, 0x20)
    const high = range(0x7f, 0xff)
    expect(escapedSet(0)).toBe([...ctl, '23', '25', '3f', ...high].join(','))
    expect(escapedSet(1)).toBe([...ctl, '23', '25', '2b', '3f', ...high].join(','))
    const component = [...ctl, '22', '23', '24', '25', '26', '2b', '2c', '2f', '3a', '3b', '3c', '3d', '3e', '3f', '40']
    expect(escapedSet(2)).toBe([...component, '5b', '5c', '5d', '5e', '60', '7b', '7c', '7d', ...high].join(','))
    expect(escapedSet(3)).toBe([...ctl, '22', '23', '25', '27', ...high].join(','))
    expect(escapedSet(4)).toBe([...ctl, '22', '27', ...high].join(','))
    expect(escapedSet(5)).toBe([...ctl, '25'].join(','))
    expect(escapedSet(6)).toBe([...ctl, '25'].join(','))
  })

  it('uses component escaping by default and uppercase hex for UTF-8 bytes', () => {
    // reference: OpenResty answers these
    expect(escapeUri("é€😀 ~!*()'-._")).toBe("%C3%A9%E2%82%AC%F0%9F%98%80%20~!*()'-._")
    expect(escapeUri('é ü/?#', 2)).toBe('%C3%A9%20%C3%BC%2F%3F%23')
    expect(escapeUri('é ü/?#', ESCAPE_TYPE.URI)).toBe('%C3%A9%20%C3%BC/%3F%23')
    expect(escapeUri('a%b#c?d+e&f=g/h:i@j')).toBe('a%25b%23c%3Fd%2Be%26f%3Dg%2Fh%3Ai%40j')
    expect(escapeUri('a%b#c?d+e&f=g/h:i@j', 0)).toBe('a%25b%23c%3Fd+e&f=g/h:i@j')
  })

  it('applies the other types as ngx does', () => {
    // reference: OpenResty answers these for types 1, 3, 4, 5, 6
    const s = `a%b#c?d+e&f=g/h:i@j"<>'`
    expect(escapeUri(s, 1)).toBe(`a%25b%23c%3Fd%2Be&f=g/h:i@j"<>'`)
    expect(escapeUri(s, 3)).toBe('a%25b%23c?d+e&f=g/h:i@j%22<>%27')
    expect(escapeUri(s, 4)).toBe('a%b#c?d+e&f=g/h:i@j%22<>%27')
    expect(escapeUri(`a%b#c é"<>'`, 5)).toBe(`a%25b#c%20é"<>'`)
    expect(escapeUri(`a%b#c é"<>'`, 6)).toBe(`a%25b#c%20é"<>'`)
  })

  it('truncates a fractional type inside the range', () => {
    // reference: OpenResty answers %20 for ngx.escape_uri(" ", 2.5)
    expect(escapeUri(' ', 2.5)).toBe('%20')
    expect(escapeUri('a b', 5.5)).toBe('a%20b')
  })

  it("throws ngx's message for a type out of range", () => {
    // reference: OpenResty raises `"type" 7 out of range`, `"type" -1 out of range`, ...
    expect(() => escapeUri('a', 7)).toThrow('"type" 7 out of range')
    expect(() => escapeUri('a', -1)).toThrow('"type" -1 out of range')
    expect(() => escapeUri('a', 6.5)).toThrow('"type" 6.5 out of range')
    expect(() => escapeUri('a', -0.5)).toThrow('"type" -0.5 out of range')
    expect(() => escapeUri('a', 1 / 0)).toThrow('"type" inf out of range')
    expect(() => escapeUri('a', NaN)).toThrow('"type" nan out of range')
    expect(() => escapeUri('a', '2' as unknown as number)).toThrow('"type" is not a number')
    let thrown: unknown
    try {
      escapeUri('a', 9)
    } catch (e) {
      thrown = e
    }
    expect(thrown).toMatchObject({ code: 'NGX_ERR_ARG' })
  })

  it('returns the input itself when nothing needs escaping, and handles empty input', () => {
    const s = 'abcXYZ019-._~'
    expect(escapeUri(s)).toBe(s)
    expect(escapeUri('')).toBe('')
    expect(escapeUri(new Uint8Array())).toBe('')
  })

  it('escapes raw bytes, keeping high bytes raw under types 5 and 6', () => {
    expect(escapeUri(new Uint8Array([0xff, 0x00, 0x41]))).toBe('%FF%00A')
    expect(escapeUriBytes(new Uint8Array([0xff, 0x20]), 5).toString('hex')).toBe('ff253230')
    // invalid UTF-8 kept as latin1 characters in the string form
    expect(escapeUri(new Uint8Array([0xe9, 0x20]), 6)).toBe('\u00e9%20')
  })
})

describe('unescapeUri', () => {
  it('decodes %XX in either case and turns + into a space', () => {
    // reference: OpenResty answers these
    expect(unescapeUri('a+b')).toBe('a b')
    expect(unescapeUri('%41%42')).toBe('AB')
    expect(unescapeUri('a%2Bb')).toBe('a+b')
    expect(unescapeUri('%0a%0D')).toBe('\n\r')
    expect(unescapeUri('%00x')).toBe('\0x')
    expect(unescapeUri('%F0%9F%98%80+%E2%82%AC')).toBe('😀 €')
    expect(unescapeUri('%C3%A9')).toBe('é')
  })

  it('keeps a % that does not start two hex digits, then reads on from the next character', () => {
    // reference: OpenResty answers %4, %, %A, %zz, %4g, %%, 100%, %-1, "% 1"
    expect(unescapeUri('%4')).toBe('%4')
    expect(unescapeUri('%')).toBe('%')
    expect(unescapeUri('%%41')).toBe('%A')
    expect(unescapeUri('%zz')).toBe('%zz')
    expect(unescapeUri('%4g')).toBe('%4g')
    expect(unescapeUri('%%')).toBe('%%')
    expect(unescapeUri('100%')).toBe('100%')
    expect(unescapeUri('%-1')).toBe('%-1')
    expect(unescapeUri('%+1')).toBe('% 1')
  })

  it('reads invalid UTF-8 bytes as latin1 characters and keeps valid sequences', () => {
    // reference: OpenResty gives the bytes e9 for %e9 and a1 78 for %a1x
    expect(unescapeUri('%e9')).toBe('\u00e9')
    expect(unescapeUri('%a1x')).toBe('\u00a1x')
    expect(unescapeUri('é%E9%C3%A9')).toBe('é\u00e9é')
    expect(unescapeUri('%ED%A0%80')).toBe('\u00ed\u00a0\u0080') // a UTF-16 surrogate is not UTF-8
    expect(unescapeUri('%F0%9F%98')).toBe('\u00f0\u009f\u0098') // truncated sequence
  })

  it('mixes literal non-ASCII text with escapes', () => {
    expect(unescapeUri('é%41+%zz%42€')).toBe('éA %zzB€')
    expect(unescapeUri('%é1%4é')).toBe('%é1%4é')
    expect(unescapeUri('€%E2%82%AC')).toBe('€€')
  })

  it('returns the input itself when there is nothing to unescape', () => {
    expect(unescapeUri('')).toBe('')
    expect(unescapeUri('plain/é')).toBe('plain/é')
  })
})

describe('unescapeUriBytes', () => {
  it('gives the raw bytes', () => {
    // reference: OpenResty answers c3 a9 for %C3%A9 and e9 for %e9
    expect(unescapeUriBytes('%C3%A9').toString('hex')).toBe('c3a9')
    expect(unescapeUriBytes('%e9+').toString('hex')).toBe('e920')
    expect(unescapeUriBytes(Buffer.from('%ff%4')).toString('hex')).toBe('ff2534')
    expect(unescapeUriBytes('').length).toBe(0)
  })
})

describe('quoteSqlStr', () => {
  it("escapes MySQL's special characters and keeps every other byte", () => {
    // reference: OpenResty answers 'a\0b\bc\nd\re\tf\Zg\\h\'i\"j%k_l<7f>m' for this input
    expect(quoteSqlStr('a\0b\bc\nd\re\tf\x1ag\\h\'i"j%k_l\x7fm')).toBe(
      "'a\\0b\\bc\\nd\\re\\tf\\Zg\\\\h\\'i\\\"j%k_l\x7fm'",
    )
  })

  it('escapes only the nine characters ngx escapes', () => {
    // reference: OpenResty escapes exactly 00 08 09 0a 0d 1a 22 27 5c
    const escaped: string[] = []
    for (let c = 0; c < 256; c++) if (quoteSqlStr(String.fromCharCode(c)).length !== 3) escaped.push(c.toString(16))
    expect(escaped.join(' ')).toBe('0 8 9 a d 1a 22 27 5c')
  })

  it('quotes empty and non-ASCII strings', () => {
    // reference: OpenResty answers '' and 'é\'€'
    expect(quoteSqlStr('')).toBe("''")
    expect(quoteSqlStr("é'€")).toBe("'é\\'€'")
    expect(quoteSqlStr('12')).toBe("'12'")
  })
})
