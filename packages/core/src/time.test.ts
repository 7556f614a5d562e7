import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  cookieTime,
  errorLogTime,
  httpTime,
  localtime,
  now,
  nowMs,
  parseHttpTime,
  time,
  timeIso8601,
  timeLocal,
  today,
  updateTime,
  utctime,
} from './time.ts'

const savedTz = process.env['TZ']
afterEach(() => {
  vi.restoreAllMocks()
  if (savedTz === undefined) delete process.env['TZ']
  else process.env['TZ'] = savedTz
})

describe('cached clock', () => {
  it('moves only when updateTime() runs', () => {
    const spy = vi.spyOn(Date, 'now').mockReturnValue(1795263798071)
    updateTime()
    expect(now()).toBe(1795263798.071)
    expect(time()).toBe(1795263798)
    expect(nowMs()).toBe(1795263798071)
    spy.mockReturnValue(1795263799999)
    expect(now()).toBe(1795263798.071)
    updateTime()
    expect(now()).toBe(1795263799.999)
    expect(time()).toBe(1795263799)
  })

  it('formats the cached time as today(), localtime() and utctime() do', () => {
    // reference: OpenResty (TZ=UTC) answers 2026-11-21, 2026-11-21 12:23:18 for ngx.now() 1795263798.071
    process.env['TZ'] = 'UTC'
    vi.spyOn(Date, 'now').mockReturnValue(1795263798071)
    updateTime()
    expect(today()).toBe('2026-11-21')
    expect(localtime()).toBe('2026-11-21 12:23:18')
    expect(utctime()).toBe('2026-11-21 12:23:18')
    expect(timeLocal()).toBe('21/Nov/2026:12:23:18 +0000')
    expect(timeIso8601()).toBe('2026-11-21T12:23:18+00:00')
    expect(errorLogTime()).toBe('2026/11/21 12:23:18')
  })
})

describe('local time formats', () => {
  it('writes a negative half-hour offset as nginx does (TZ=America/St_Johns)', () => {
    // reference: OpenResty under TZ=America/St_Johns answers these at 12:23:19 UTC
    process.env['TZ'] = 'America/St_Johns'
    const ms = Date.UTC(2026, 10, 21, 12, 23, 19, 500)
    expect(timeLocal(ms)).toBe('21/Nov/2026:08:53:19 -0330')
    expect(timeIso8601(ms)).toBe('2026-11-21T08:53:19-03:30')
    expect(errorLogTime(ms)).toBe('2026/11/21 08:53:19')
    vi.spyOn(Date, 'now').mockReturnValue(ms)
    updateTime()
    expect(localtime()).toBe('2026-11-21 08:53:19')
    expect(utctime()).toBe('2026-11-21 12:23:19')
    expect(today()).toBe('2026-11-21')
  })

  it('writes a positive half-hour offset as nginx does (TZ=Asia/Kolkata)', () => {
    // reference: OpenResty under TZ=Asia/Kolkata answers these at 12:23:30 UTC
    process.env['TZ'] = 'Asia/Kolkata'
    const ms = Date.UTC(2026, 10, 21, 12, 23, 30)
    expect(timeLocal(ms)).toBe('21/Nov/2026:17:53:30 +0530')
    expect(timeIso8601(ms)).toBe('2026-11-21T17:53:30+05:30')
    expect(errorLogTime(ms)).toBe('2026/11/21 17:53:30')
  })

  it('gives the same string for every millisecond of a second', () => {
    process.env['TZ'] = 'UTC'
    const ms = Date.UTC(2030, 0, 2, 3, 4, 5)
    expect(timeLocal(ms + 999)).toBe(timeLocal(ms))
    expect(timeLocal(ms + 1000)).toBe('02/Jan/2030:03:04:06 +0000')
  })
})

describe('httpTime and cookieTime', () => {
  it('formats seconds as RFC 1123 and cookie dates', () => {
    // reference: OpenResty answers these
    expect(httpTime(1290079655)).toBe('Thu, 18 Nov 2010 11:27:35 GMT')
    expect(cookieTime(1290079655)).toBe('Thu, 18-Nov-10 11:27:35 GMT')
    expect(httpTime(0)).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
    expect(cookieTime(0)).toBe('Thu, 01-Jan-70 00:00:00 GMT')
  })

  it('uses a 2-digit cookie year up to 2037 and a 4-digit one after', () => {
    // reference: OpenResty answers these
    expect(cookieTime(2145916799)).toBe('Thu, 31-Dec-37 23:59:59 GMT')
    expect(cookieTime(2145916800)).toBe('Fri, 01-Jan-2038 00:00:00 GMT')
    expect(cookieTime(4102444800)).toBe('Fri, 01-Jan-2100 00:00:00 GMT')
  })

  it('drops fractions and clamps to 1970 .. 9999 as nginx does', () => {
    // reference: OpenResty answers these
    expect(httpTime(1290079655.9)).toBe('Thu, 18 Nov 2010 11:27:35 GMT')
    expect(httpTime(1.5)).toBe('Thu, 01 Jan 1970 00:00:01 GMT')
    expect(httpTime(-1)).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
    expect(httpTime(-1e10)).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
    expect(cookieTime(-5)).toBe('Thu, 01-Jan-70 00:00:00 GMT')
    expect(httpTime(253402300800)).toBe('Fri, 31 Dec 9999 23:59:59 GMT')
    expect(httpTime(1e12)).toBe('Fri, 31 Dec 9999 23:59:59 GMT')
    expect(cookieTime(253402300799)).toBe('Fri, 31-Dec-9999 23:59:59 GMT')
  })
})

describe('parseHttpTime', () => {
  it.each([
    // reference: OpenResty's ngx.parse_http_time answers these
    ['Thu, 18 Nov 2010 11:27:35 GMT', 1290079655],
    ['Thursday, 18-Nov-10 11:27:35 GMT', 1290079655],
    ['Thu Nov 18 11:27:35 2010', 1290079655],
    ['Thu, 18-Nov-10 11:27:35 GMT', 1290079655],
    ['Sun, 06 Nov 1994 08:49:37 GMT', 784111777],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 784111777],
    ['Sun Nov  6 08:49:37 1994', 784111777],
    ['Thu Nov 8 11:27:35 2010', 1289215655],
    ['Thu Nov 08 11:27:35 2010', 1289215655],
    ['Thu Nov  18 11:27:35 2010', 1290079655],
    ['Thu    Nov 18 11:27:35 2010', 1290079655],
    ['Thu Nov 18 11:27:35 2010 x', 1290079655],
    ['Thursday, 18-Nov-70 11:27:35 GMT', 27775655],
    ['Thursday, 18-Nov-69 11:27:35 GMT', 3151999655],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['Thu, 18 Nov 1969 11:27:35 GMT', -3760345],
    ['Thu, 18 Nov 0000 11:27:35 GMT', -62139357145],
    ['Tue, 19 Jan 2038 03:14:08 GMT', 2147483648],
    ['Fri, 31 Dec 9999 23:59:59 GMT', 253402300799],
    ['Thu, 18 Nov 2010 23:59:59 GMT', 1290124799],
    ['Thu, 31 Dec 2010 11:27:35 GMT', 1293794855],
  ])('parses %j', (s, expected) => {
    expect(parseHttpTime(s)).toBe(expected)
  })

  it.each([
    // reference: OpenResty accepts these: weekday, zone and trailing text are not checked
    ['Thu, 18 Nov 2010 11:27:35', 1290079655],
    ['Thu, 18 Nov 2010 11:27:35 UTC', 1290079655],
    ['Fri, 18 Nov 2010 11:27:35 GMT', 1290079655],
    ['X, 18 Nov 2010 11:27:35 GMT', 1290079655],
    [', 18 Nov 2010 11:27:35 GMT', 1290079655],
    ['Thu,18 Nov 2010 11:27:35 GMT', 1290079655],
    ['Thu,    18 Nov 2010 11:27:35 GMT', 1290079655],
    ['Thu, 18 Nov 2010 11:27:35 GMTxyz', 1290079655],
    ['Thu, 18 Nov 2010 11:27:35X', 1290079655],
    ['Thu,18-Nov-10 11:27:35', 1290079655],
    ['Thu, 18 Nov 2010 11:27:35 \0', 1290079655],
    // months are told apart by one or two letters
    ['Thu, 18 Nzz 2010 11:27:35 GMT', 1290079655],
    ['Thu, 18 Jan 2010 11:27:35 GMT', 1263814055],
    ['Thu, 18 Jun 2010 11:27:35 GMT', 1276860455],
    ['Thu, 18 Jxx 2010 11:27:35 GMT', 1279452455],
    ['Thu, 18 Mar 2010 11:27:35 GMT', 1268911655],
    ['Thu, 18 Max 2010 11:27:35 GMT', 1274182055],
    ['Thu, 18 Apr 2010 11:27:35 GMT', 1271590055],
    ['Thu, 18 Axx 2010 11:27:35 GMT', 1282130855],
    // day 0 is the previous month's last day; Feb 29 only in leap years
    ['Thu, 00 Nov 2010 11:27:35 GMT', 1288524455],
    ['Thu, 29 Feb 2000 11:27:35 GMT', 951823655],
    ['Thu, 29 Feb 2004 11:27:35 GMT', 1078054055],
  ])('is as lenient as nginx with %j', (s, expected) => {
    expect(parseHttpTime(s)).toBe(expected)
  })

  it.each([
    // reference: OpenResty's ngx.parse_http_time answers nil for these
    'Thu, 18-Nov-2010 11:27:35 GMT',
    '18 Nov 2010 11:27:35 GMT',
    'Thu, 18 nov 2010 11:27:35 GMT',
    'Thu, 31 Feb 2010 11:27:35 GMT',
    'Thu, 29 Feb 1900 11:27:35 GMT',
    'Thu, 29 Feb 2005 11:27:35 GMT',
    'Thu, 31 Apr 2010 11:27:35 GMT',
    'Thu, 32 Dec 2010 11:27:35 GMT',
    'Thu, 18 Nov 2010 25:27:35 GMT',
    'Thu, 18 Nov 2010 11:27:60 GMT',
    'Thu, 1 Nov 2010 11:27:35 GMT',
    'Thu, 18 Nov 2010  11:27:35 GMT',
    '  Thu, 18 Nov 2010 11:27:35 GMT',
    'Thu, 18 Nov 2010 11:27:3',
    'Thu, 18 Nov 2010 11:27',
    'Thu, 18 Nov 201x 11:27:35 GMT',
    'Thu, 18 Nov 2010 11-27-35 GMT',
    'Thu, 18 Nov 99999 11:27:35 GMT',
    'Thu Nov 8 11:27:35 201',
    'Thu Nov 18 11:27:35  2010',
    '',
    'garbage',
  ])('rejects %j', (s) => {
    expect(parseHttpTime(s)).toBeUndefined()
  })

  it('reads back what httpTime and cookieTime write', () => {
    for (const t of [0, 1290079655, 2145916799, 4102444800, 253402300799]) {
      expect(parseHttpTime(httpTime(t))).toBe(t)
    }
    expect(parseHttpTime(cookieTime(1290079655))).toBe(1290079655)
  })
})
