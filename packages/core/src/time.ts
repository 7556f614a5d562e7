// nginx's cached clock and its time formats. nginx reads the clock once per event-loop
// iteration; so does this one: the first read in an iteration refreshes it and an immediate
// (run at the end of the iteration) lets the next read refresh it again. ngx.now() therefore
// stays put inside CPU-bound code (as in OpenResty) and moves on after an await that waited
// for I/O or a timer. updateTime() forces a refresh. One immediate per loop iteration, not
// per request (queueMicrotask made an AsyncResource per call). Formatted strings are cached
// per second, as nginx caches them per tick.

let cachedMs = Date.now()
let fresh = false
const expire = (): void => {
  fresh = false
}

function clock(): number {
  if (!fresh) {
    cachedMs = Date.now()
    fresh = true
    setImmediate(expire)
  }
  return cachedMs
}

/** ngx.update_time(): refreshes the cached clock from the system clock. */
export function updateTime(): void {
  cachedMs = Date.now()
  if (!fresh) {
    fresh = true
    setImmediate(expire)
  }
}

/** ngx.now(): cached seconds since the epoch, with millisecond precision. @example now() // 1795263798.071 */
export function now(): number {
  return clock() / 1000
}

/** ngx.time(): cached whole seconds since the epoch. @example time() // 1795263798 */
export function time(): number {
  return Math.floor(clock() / 1000)
}

/** The cached clock in milliseconds (nginx's ngx_current_msec on the epoch scale). */
export function nowMs(): number {
  return clock()
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const
const PAD2: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`))

const pad2 = (n: number): string => PAD2[n] as string
const pad4 = (n: number): string => (n >= 1000 ? `${n}` : `000${n}`.slice(-4))

/** A formatter for one second, remembered until asked for another second. */
function perSecond(format: (d: Date, sec: number) => string): (ms: number) => string {
  let lastSec = NaN
  let last = ''
  return (ms: number): string => {
    const sec = Math.floor(ms / 1000)
    if (sec !== lastSec) {
      last = format(new Date(sec * 1000), sec)
      lastSec = sec
    }
    return last
  }
}

/** "+0530" / "-0330" style offset of local time, from minutes east of UTC. */
function offset(d: Date, colon: boolean): string {
  const east = -d.getTimezoneOffset()
  const a = east < 0 ? -east : east
  return (east < 0 ? '-' : '+') + pad2(Math.floor(a / 60)) + (colon ? ':' : '') + pad2(a % 60)
}

const localDate = (d: Date): string => `${pad4(d.getFullYear())}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`
const localClock = (d: Date): string => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`

const todayCache = perSecond(localDate)
const localtimeCache = perSecond((d) => `${localDate(d)} ${localClock(d)}`)
const utctimeCache = perSecond(
  (d) =>
    `${pad4(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`,
)
const timeLocalCache = perSecond(
  (d) => `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${pad4(d.getFullYear())}:${localClock(d)} ${offset(d, false)}`,
)
const iso8601Cache = perSecond((d) => `${localDate(d)}T${localClock(d)}${offset(d, true)}`)
const errorLogCache = perSecond(
  (d) => `${pad4(d.getFullYear())}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())} ${localClock(d)}`,
)

/** ngx.today(): "yyyy-mm-dd" in local time, from the cached clock. @example today() // '2026-11-21' */
export function today(): string {
  return todayCache(clock())
}

/** ngx.localtime(): "yyyy-mm-dd hh:mm:ss" in local time, from the cached clock. */
export function localtime(): string {
  return localtimeCache(clock())
}

/** ngx.utctime(): "yyyy-mm-dd hh:mm:ss" in UTC, from the cached clock. */
export function utctime(): string {
  return utctimeCache(clock())
}

/** nginx's `$time_local`: "21/Nov/2026:12:00:00 +0000". @example timeLocal(Date.now()) */
export function timeLocal(ms: number = clock()): string {
  return timeLocalCache(ms)
}

/** nginx's `$time_iso8601`: "2026-11-21T12:00:00+00:00" (local time with its offset). */
export function timeIso8601(ms: number = clock()): string {
  return iso8601Cache(ms)
}

/** The error-log line prefix time: "2026/11/21 12:00:00" in local time. */
export function errorLogTime(ms: number = clock()): string {
  return errorLogCache(ms)
}

/** nginx's ngx_gmtime only handles 0 .. 9999-12-31 23:59:59 and clamps to it. */
const MAX_HTTP_SEC = 253402300799

function gmtSec(sec: number): number {
  const t = Math.trunc(sec) // C's conversion to time_t
  return t > 0 ? (t > MAX_HTTP_SEC ? MAX_HTTP_SEC : t) : 0 // NaN and negatives: the epoch
}

let httpLastSec = NaN
let httpLast = ''

/**
 * ngx.http_time(sec): "Thu, 18 Nov 2010 11:27:35 GMT". Fractions are dropped; seconds before
 * the epoch give the epoch and after year 9999 give its last second, as nginx clamps them.
 */
export function httpTime(sec: number): string {
  const t = gmtSec(sec)
  if (t === httpLastSec) return httpLast
  const d = new Date(t * 1000)
  httpLast =
    `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${pad4(d.getUTCFullYear())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} GMT`
  httpLastSec = t
  return httpLast
}

/**
 * ngx.cookie_time(sec): "Thu, 18-Nov-10 11:27:35 GMT" — a 2-digit year up to 2037, a 4-digit
 * one from 2038 on ("Fri, 01-Jan-2038 00:00:00 GMT"), as nginx writes it.
 */
export function cookieTime(sec: number): string {
  const d = new Date(gmtSec(sec) * 1000)
  const y = d.getUTCFullYear()
  return (
    `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${y > 2037 ? pad4(y) : pad2(y % 100)} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} GMT`
  )
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const
const RFC822 = 0 // "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 1123)
const RFC850 = 1 // "Sunday, 06-Nov-94 08:49:37 GMT"
const ISOC = 2 //   "Sun Nov  6 08:49:37 1994" (asctime)

/** The digit at `i`, or -1. */
function dig(s: string, i: number): number {
  const c = s.charCodeAt(i) - 0x30
  return c >= 0 && c <= 9 ? c : -1
}

/** Two digits at `i` as a number, or -1. */
function dig2(s: string, i: number): number {
  const a = dig(s, i)
  const b = dig(s, i + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

function monthAt(s: string, p: number): number {
  switch (s[p]) {
    case 'J':
      return s[p + 1] === 'a' ? 0 : s[p + 2] === 'n' ? 5 : 6
    case 'F':
      return 1
    case 'M':
      return s[p + 2] === 'r' ? 2 : 4
    case 'A':
      return s[p + 1] === 'p' ? 3 : 7
    case 'S':
      return 8
    case 'O':
      return 9
    case 'N':
      return 10
    case 'D':
      return 11
    default:
      return -1
  }
}

/**
 * ngx.parse_http_time: seconds since the epoch, or `undefined` where ngx returns nil. Accepts
 * nginx's three forms — RFC 1123 ("Thu, 18 Nov 2010 11:27:35 GMT"), RFC 850
 * ("Thursday, 18-Nov-10 11:27:35 GMT"; years 70-99 are 19xx, 00-69 are 20xx) and asctime
 * ("Thu Nov 18 11:27:35 2010") — with nginx's leniency: the weekday and the zone are not
 * checked, months are told apart by one or two letters, and text after the time is ignored.
 *
 * @example
 * parseHttpTime('Thu, 18 Nov 2010 11:27:35 GMT') // 1290079655
 */
export function parseHttpTime(s: string): number | undefined {
  const end = s.length
  let fmt = RFC822
  let p = 0
  for (; p < end; p++) {
    const c = s.charCodeAt(p)
    if (c === 0x2c) break
    if (c === 0x20) {
      fmt = ISOC
      break
    }
  }
  for (p++; p < end && s.charCodeAt(p) === 0x20; p++);
  if (end - p < 18) return undefined
  let day = 0
  if (fmt !== ISOC) {
    day = dig2(s, p)
    if (day < 0) return undefined
    p += 2
    if (s[p] === ' ') {
      if (end - p < 18) return undefined
    } else if (s[p] === '-') fmt = RFC850
    else return undefined
    p++
  }
  const month = monthAt(s, p)
  if (month < 0) return undefined
  p += 3
  if ((fmt === RFC822 && s[p] !== ' ') || (fmt === RFC850 && s[p] !== '-')) return undefined
  p++ // asctime: any character is skipped here
  let year = 0
  if (fmt === RFC822) {
    const hi = dig2(s, p)
    const lo = dig2(s, p + 2)
    if (hi < 0 || lo < 0) return undefined
    year = hi * 100 + lo
    p += 4
  } else if (fmt === RFC850) {
    year = dig2(s, p)
    if (year < 0) return undefined
    year += year < 70 ? 2000 : 1900
    p += 2
  } else {
    if (s[p] === ' ') p++
    day = dig(s, p++)
    if (day < 0) return undefined
    if (s[p] !== ' ') {
      const d = dig(s, p++)
      if (d < 0) return undefined
      day = day * 10 + d
    }
    if (end - p < 14) return undefined
  }
  if (s[p++] !== ' ') return undefined
  const hour = dig2(s, p)
  if (hour < 0 || s[p + 2] !== ':') return undefined
  const min = dig2(s, p + 3)
  if (min < 0 || s[p + 5] !== ':') return undefined
  const sec = dig2(s, p + 6)
  if (sec < 0) return undefined
  p += 8
  if (fmt === ISOC) {
    if (s[p++] !== ' ') return undefined
    const hi = dig2(s, p)
    const lo = dig2(s, p + 2)
    if (hi < 0 || lo < 0) return undefined
    year = hi * 100 + lo
  }
  if (hour > 23 || min > 59 || sec > 59) return undefined
  if (day === 29 && month === 1) {
    if ((year & 3) !== 0 || (year % 100 === 0 && year % 400 !== 0)) return undefined
  } else if (day > (MONTH_DAYS[month] as number)) return undefined
  // Day 0 is accepted and means the previous month's last day, as in nginx's arithmetic.
  const d = new Date(0)
  d.setUTCFullYear(year, month, day)
  d.setUTCHours(hour, min, sec, 0)
  return d.getTime() / 1000
}
