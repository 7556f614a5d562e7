// nginx's size and time value syntax, as its config parser reads them (checked with
// `nginx -t` on the reference). A JS number is taken as bytes or seconds.
import { ConfError } from './errors.ts'

/** nginx's message: `"send_timeout" directive invalid value`, or `invalid value "x"` alone. */
function invalid(v: number | string, directive: string | undefined): ConfError {
  return new ConfError(directive === undefined ? `invalid value "${v}"` : `"${directive}" directive invalid value`)
}

const MAX = Number.MAX_SAFE_INTEGER

/** The value of an all-digit string s[from, to), or -1 (empty, other characters, too large). */
function digits(s: string, from: number, to: number): number {
  if (from >= to) return -1
  let n = 0
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n > MAX ? -1 : n
}

/**
 * A size in bytes: digits with an optional `k`/`K` (KiB), `m`/`M` (MiB) or `g`/`G` (GiB)
 * suffix; no sign, fraction or spaces. (`g` is what nginx's offset directives, such as
 * client_max_body_size, accept; its plain size directives stop at `m`.)
 *
 * @example
 * parseSize('10k') // 10240
 * parseSize('1m')  // 1048576
 */
export function parseSize(v: number | string, directive?: string): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v
    throw invalid(v, directive)
  }
  let scale = 1
  let end = v.length
  switch (v[end - 1]) {
    case 'k':
    case 'K':
      scale = 1024
      end--
      break
    case 'm':
    case 'M':
      scale = 1024 * 1024
      end--
      break
    case 'g':
    case 'G':
      scale = 1024 * 1024 * 1024
      end--
      break
  }
  const n = digits(v, 0, end)
  if (n < 0 || n * scale > MAX) throw invalid(v, directive)
  return n * scale
}

const SEC = 1000
/** Unit letter → [rank (units must come in decreasing size), milliseconds]. */
const UNITS: Record<string, readonly [number, number]> = {
  y: [1, 365 * 24 * 3600 * SEC],
  M: [2, 30 * 24 * 3600 * SEC],
  w: [3, 7 * 24 * 3600 * SEC],
  d: [4, 24 * 3600 * SEC],
  h: [5, 3600 * SEC],
  m: [6, 60 * SEC],
  s: [7, SEC],
}
const RANK_MS = 8

/**
 * nginx's ngx_parse_time. `secMode` is the seconds flavour (y and M allowed, ms not);
 * otherwise the milliseconds one (ms allowed, y and M not). Returns milliseconds, or -1.
 */
function parseTimeString(s: string, secMode: boolean): number {
  const n = s.length
  let rank = secMode ? 0 : 2
  let total = 0
  let value = 0
  let valid = false
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30
    if (d >= 0 && d <= 9) {
      value = value * 10 + d
      if (value > MAX) return -1
      valid = true
      continue
    }
    let unit = UNITS[s[i] as string]
    let unitRank = unit === undefined ? -1 : unit[0]
    if (s[i] === 'm' && s[i + 1] === 's') {
      if (secMode) return -1
      unit = [RANK_MS, 1]
      unitRank = RANK_MS
      i++
    }
    if (unit === undefined || unitRank <= rank) return -1
    rank = unitRank
    total += value * unit[1]
    if (total > MAX) return -1
    value = 0
    while (s.charCodeAt(i + 1) === 0x20) i++ // spaces may follow a unit, not a number
  }
  if (!valid) return -1
  total += value * SEC // a trailing bare number is seconds
  return total > MAX ? -1 : total
}

/**
 * A duration in milliseconds, as nginx's millisecond directives (timeouts) read it: units
 * `ms s m h d w` in decreasing order, optionally separated by spaces after a unit ("1h 30m",
 * "1m30s"); a bare number, or a number after the units, is seconds ("1m 30" is 90 s). `M` and
 * `y` are rejected here, as nginx does for these directives; see parseTimeSec. A JS number
 * is seconds.
 *
 * @example
 * parseTime('1h 30m') // 5400000
 * parseTime('500ms')  // 500
 * parseTime(1.5)      // 1500
 */
export function parseTime(v: number | string, directive?: string): number {
  if (typeof v === 'number') {
    const ms = Math.round(v * SEC)
    if (ms >= 0 && ms <= MAX) return ms
    throw invalid(v, directive)
  }
  const ms = parseTimeString(v, false)
  if (ms < 0) throw invalid(v, directive)
  return ms
}

/**
 * A duration in whole seconds, as nginx's second directives (expires, ssl_session_timeout,
 * the Keep-Alive header timeout) read it: units `y M w d h m s`, no `ms`.
 *
 * @example
 * parseTimeSec('1y')  // 31536000
 * parseTimeSec('1m30') // 90
 */
export function parseTimeSec(v: number | string, directive?: string): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v
    throw invalid(v, directive)
  }
  const ms = parseTimeString(v, true)
  if (ms < 0) throw invalid(v, directive)
  return ms / SEC
}
