// The checks of a block's response and error log, as Test::Nginx makes them. Each returns the
// failure messages (empty when it holds); a message shows what was expected and what came,
// with a line diff for multi-line bodies.
import { perlRegex, perlString } from './perl.ts'
import type { PerlValue } from './perl.ts'
import { headerValue } from './http.ts'
import type { Response } from './http.ts'

/** A readable line diff of two texts (longest common subsequence), `-` expected, `+` got. */
export function diffText(expected: string, got: string, longString = true): string {
  const e = expected.split('\n')
  const g = got.split('\n')
  const out: string[] = []
  if (e.length * g.length > 250_000) {
    out.push(...e.map((l) => ` - ${show(l, longString)}`), ...g.map((l) => ` + ${show(l, longString)}`))
  } else {
    // lcs[i][j]: common lines of e[i..] and g[j..]
    const lcs: number[][] = Array.from({ length: e.length + 1 }, () => new Array<number>(g.length + 1).fill(0))
    for (let i = e.length - 1; i >= 0; i--) {
      const row = lcs[i] as number[]
      const next = lcs[i + 1] as number[]
      for (let j = g.length - 1; j >= 0; j--) {
        row[j] = e[i] === g[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number)
      }
    }
    let i = 0
    let j = 0
    while (i < e.length || j < g.length) {
      if (i < e.length && j < g.length && e[i] === g[j]) { out.push(`   ${show(e[i] as string, longString)}`); i++; j++ }
      else if (i < e.length && (j >= g.length || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) { out.push(` - ${show(e[i] as string, longString)}`); i++ }
      else { out.push(` + ${show(g[j] as string, longString)}`); j++ }
    }
  }
  return `--- expected\n+++ got\n${out.join('\n')}`
}

function show(s: string, longString: boolean): string {
  const j = JSON.stringify(s)
  return longString || j.length < 200 ? j : `${j.slice(0, 100)}...(${s.length} chars)`
}

/** The value at index `i` of an array-or-scalar expectation. */
export function nth(v: PerlValue, i: number): PerlValue {
  return Array.isArray(v) ? (v as PerlValue[])[i] : v
}

/** `response_body`: exact, or a regex when the (eval) value is a qr//. */
export function checkBody(expected: PerlValue, body: string): string[] {
  if (expected instanceof RegExp) {
    return expected.test(body) ? [] : [`response_body does not match ${showRe(expected)}\n  got: ${JSON.stringify(body)}`]
  }
  const e = perlString(expected)
  return e === body ? [] : [`response_body differs:\n${diffText(e, body)}`]
}

/** `response_body_like` / `_unlike`: a pattern text (or qr//) the body must (not) match. */
export function checkBodyLike(pattern: PerlValue, body: string, negate: boolean): string[] {
  const re = toRegex(pattern)
  const hit = re.test(body)
  if (hit !== negate) return []
  return [`response_body ${negate ? 'matches' : 'does not match'} ${showRe(re)}\n  got: ${JSON.stringify(body)}`]
}

/** A section's pattern text as a regex (Test::Nginx uses it as `qr/$text/s`, Perl's `$`). */
export function toRegex(v: PerlValue): RegExp {
  if (v instanceof RegExp) return v
  return perlRegex(perlString(v).replace(/\n$/, ''), 's')
}

function showRe(re: RegExp): string {
  return `qr/${re.source}/${re.flags}`
}

/** `response_headers` lines: `Name: value` must equal, `!Name` must be absent. */
export function checkHeaders(spec: PerlValue, res: Response, like: boolean): string[] {
  const fails: string[] = []
  for (const line of perlString(spec).split('\n')) {
    if (line.trim() === '') continue
    if (line.startsWith('!')) {
      const name = line.slice(1).trim()
      const got = headerValue(res, name)
      if (got !== undefined) fails.push(`header ${name} should be absent, got ${JSON.stringify(got)}`)
      continue
    }
    const c = line.indexOf(':')
    if (c < 0) { fails.push(`bad response_headers line ${JSON.stringify(line)}`); continue }
    const name = line.slice(0, c).trim()
    const want = line.slice(c + 1).trim()
    const got = headerValue(res, name)
    if (like) {
      if (got === undefined || !perlRegex(want, 's').test(got)) {
        fails.push(`header ${name}: ${JSON.stringify(got ?? null)} does not match /${want}/`)
      }
    } else if (!(got === want || (want === '' && got === undefined))) {
      fails.push(`header ${name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got ?? null)}`)
    }
  }
  return fails
}

/** `raw_response_headers_like` / `_unlike` over the status line and header block. */
export function checkRawHeaders(pattern: PerlValue, res: Response, negate: boolean): string[] {
  const re = toRegex(pattern)
  const raw = `${res.statusLine}\r\n${res.rawHeaders}\r\n`
  if (re.test(raw) !== negate) return []
  return [`raw response headers ${negate ? 'match' : 'do not match'} ${showRe(re)}\n  got: ${JSON.stringify(raw)}`]
}

/** `error_code` (exact) or `error_code_like` (regex). */
export function checkStatus(expected: PerlValue, status: number, like: boolean): string[] {
  if (like) {
    const re = toRegex(expected)
    return re.test(String(status)) ? [] : [`status ${status} does not match ${showRe(re)}`]
  }
  const e = perlString(expected).trim()
  return e === String(status) ? [] : [`status: expected ${e}, got ${status}`]
}

/** The patterns of an `error_log`-style section: lines of literal text, or an eval'd list. */
export function logPatterns(v: PerlValue): (string | RegExp)[] {
  if (Array.isArray(v)) return (v as PerlValue[]).map((x) => (x instanceof RegExp ? x : perlString(x)))
  if (v instanceof RegExp) return [v]
  return perlString(v).split('\n').filter((l) => l !== '')
}

/** `error_log` (each must appear) or `no_error_log` (none may). */
export function checkErrorLog(v: PerlValue, log: string, present: boolean): string[] {
  const fails: string[] = []
  for (const p of logPatterns(v)) {
    const hit = typeof p === 'string' ? log.includes(p) : p.test(log)
    if (hit !== present) {
      const what = typeof p === 'string' ? JSON.stringify(p) : showRe(p)
      const line = present ? '' : `\n  in: ${JSON.stringify(firstLineMatching(log, p))}`
      fails.push(`${present ? 'error_log' : 'no_error_log'}: pattern ${what} ${present ? 'not found in' : 'found in'} the error log${line}`)
    }
  }
  return fails
}

function firstLineMatching(log: string, p: string | RegExp): string {
  return log.split('\n').find((l) => (typeof p === 'string' ? l.includes(p) : p.test(l))) ?? ''
}

/** `grep_error_log`: every match of the pattern in the log, each followed by a newline. */
export function grepErrorLog(pattern: PerlValue, log: string): string {
  if (pattern instanceof RegExp) {
    const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g')
    let out = ''
    for (const m of log.matchAll(re)) out += m[0] + '\n'
    return out
  }
  const needle = perlString(pattern).replace(/\n$/, '')
  let out = ''
  if (needle === '') return out
  for (let i = log.indexOf(needle); i >= 0; i = log.indexOf(needle, i + needle.length)) out += needle + '\n'
  return out
}

/** `grep_error_log_out`: exact text, or a regex, against the collected matches. */
export function checkGrepOut(expected: PerlValue, got: string): string[] {
  if (expected instanceof RegExp) {
    return expected.test(got) ? [] : [`grep_error_log_out does not match ${showRe(expected)}\n  got: ${JSON.stringify(got)}`]
  }
  const e = perlString(expected)
  return e === got ? [] : [`grep_error_log_out differs:\n${diffText(e, got)}`]
}
