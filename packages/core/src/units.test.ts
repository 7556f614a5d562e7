import { describe, expect, it } from 'vitest'
import { parseSize, parseTime, parseTimeSec } from './units.ts'

describe('parseSize', () => {
  it.each([
    // reference: `nginx -t` accepts these for client_body_buffer_size / client_max_body_size
    ['10', 10],
    ['0', 0],
    ['0k', 0],
    ['10k', 10240],
    ['10K', 10240],
    ['1m', 1048576],
    ['1M', 1048576],
    ['1g', 1073741824],
    ['1G', 1073741824],
    ['8796093022207k', 8796093022207 * 1024],
  ])('reads %j', (v, bytes) => {
    expect(parseSize(v)).toBe(bytes)
  })

  it('takes a JS number as bytes', () => {
    expect(parseSize(4096)).toBe(4096)
    expect(parseSize(0)).toBe(0)
  })

  it.each(['', 'k', '1.5k', '-1', '1kb', '1t', 'abc', ' 1k', '1 k', '99999999999999999999', '9007199254740993k'])(
    'rejects %j',
    // reference: `nginx -t` says `"client_body_buffer_size" directive invalid value` for these
    (v) => {
      expect(() => parseSize(v, 'client_body_buffer_size')).toThrow('"client_body_buffer_size" directive invalid value')
    },
  )

  it('rejects sizes of 2^53 bytes and more, which nginx (64-bit) would still take', () => {
    expect(() => parseSize('8796093022208k')).toThrow('invalid value')
    expect(() => parseSize(2 ** 53)).toThrow('invalid value')
  })

  it('rejects bad numbers and names the value when no directive is given', () => {
    expect(() => parseSize('abc')).toThrow('invalid value "abc"')
    expect(() => parseSize(-1)).toThrow('invalid value "-1"')
    expect(() => parseSize(1.5)).toThrow('invalid value "1.5"')
    expect(() => parseSize(NaN)).toThrow('invalid value "NaN"')
  })

  it('throws a ConfError with the conf error code', () => {
    let thrown: unknown
    try {
      parseSize('x')
    } catch (e) {
      thrown = e
    }
    expect(thrown).toMatchObject({ name: 'ConfError', code: 'NGX_ERR_CONF' })
  })
})

describe('parseTime (milliseconds)', () => {
  it.each([
    // reference: `nginx -t` accepts all of these for send_timeout
    ['10', 10_000],
    ['0', 0],
    ['00', 0],
    ['1s', 1000],
    ['500ms', 500],
    ['1m', 60_000],
    ['1h 30m', 5_400_000],
    ['1h30m', 5_400_000],
    ['1w', 604_800_000],
    ['1d', 86_400_000],
    ['1m 30', 90_000],
    ['1m  30s', 90_000],
    ['1m ', 60_000],
    ['1ms5', 5001],
    ['1sms', 1000],
    ['1d 2h 3m 4s 5ms', 93_784_005],
    ['2147483648', 2_147_483_648_000],
  ])('reads %j', (v, ms) => {
    expect(parseTime(v)).toBe(ms)
  })

  it.each(['1y', '1M', '30m 1h', '1 m', ' 1m', '5ms1s', '1h1h', '', 'abc', '1.5s', '-1', '1S', 'm'])(
    'rejects %j',
    // reference: `nginx -t` says `"send_timeout" directive invalid value` for these
    (v) => {
      expect(() => parseTime(v, 'send_timeout')).toThrow('"send_timeout" directive invalid value')
    },
  )

  it('takes a JS number as seconds', () => {
    expect(parseTime(60)).toBe(60_000)
    expect(parseTime(1.5)).toBe(1500)
    expect(parseTime(0.0004)).toBe(0)
    expect(() => parseTime(-1)).toThrow('invalid value "-1"')
    expect(() => parseTime(Infinity)).toThrow('invalid value "Infinity"')
  })

  it('rejects values too large to count exactly', () => {
    expect(() => parseTime('9223372036854776')).toThrow('invalid value')
    expect(() => parseTime('99999999999999999999ms')).toThrow('invalid value')
  })
})

describe('parseTimeSec (seconds)', () => {
  it.each([
    // reference: OpenResty's `expires <v>` answers Cache-Control: max-age=<n> for these
    ['1m30', 90],
    ['1y', 31_536_000],
    ['1M', 2_592_000],
    ['1y 1M 1w 1d 1h 1m 1s', 34_822_861],
    ['1h1', 3601],
    ['1m 30', 90],
    ['1hm', 3600],
    ['h1', 1],
    ['1h ', 3600],
    ['1h1m1', 3661],
    ['1s 1', 2],
    ['1d25h', 176_400],
    ['90m', 5400],
  ])('reads %j', (v, sec) => {
    expect(parseTimeSec(v)).toBe(sec)
  })

  it.each(['1ms', '1sms', '1s1ms1', 'm', ''])('rejects %j', (v) => {
    // reference: `nginx -t` says `"expires" directive invalid value` for these
    expect(() => parseTimeSec(v, 'expires')).toThrow('"expires" directive invalid value')
  })

  it('takes a JS number as whole seconds', () => {
    expect(parseTimeSec(30)).toBe(30)
    expect(() => parseTimeSec(1.5)).toThrow('invalid value "1.5"')
  })
})
