// PCRE → JS RegExp translation for the regexes of nginx.conf (location, server_name): the
// pattern is checked and translated once at config time; matching is plain RegExp.
import { ConfError } from './errors.ts'

/** Throws nginx's error; `at` (the offset PCRE reports) rides on the error as `pcreOffset`. */
const fail = (why: string, src: string, at?: number): never => {
  throw Object.assign(new ConfError(`pcre2_compile() failed: ${why} in "${src}"`), { pcreOffset: at })
}
/** What may follow `(?` in PCRE (the rest is "unrecognized character after (? or (?-"). */
const GROUP_STARTS = '#:|>=!<P\'"0123456789+-&(CRimsxXJU^'
const SYNTAX = '^$\\.*+?()[]{}|/'
const JS_ESCAPES = 'dDwWsSbBnrtf0123456789cx'
const SPACE = '\\t\\n\\x0b\\f\\r '
const HSPACE = '\\t \\xa0' // PCRE without UTF: bytes only
const VSPACE = '\\n\\x0b\\f\\r\\x85'
const POSIX: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', word: '\\w',
  space: '\\t\\n\\x0b\\f\\r ', blank: ' \\t', xdigit: '0-9A-Fa-f', punct: '!-\\/:-@\\[-`{-~',
  cntrl: '\\x00-\\x1f\\x7f', print: ' -~', graph: '!-~', ascii: '\\x00-\\x7f',
}
const JS_ERRORS: ReadonlyArray<readonly [string, string]> = [
  ['Nothing to repeat', 'quantifier does not follow a repeatable item'],
  ['numbers out of order', 'numbers out of order in {} quantifier'],
  ['Range out of order', 'range out of order in character class'],
  ['Duplicate capture group name', 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)'],
  ['Invalid named capture referenced', 'reference to non-existent subpattern'],
  ['Invalid capture group name', 'subpattern name expected'],
]

const lit = (s: string, inClass: boolean): string => {
  let o = ''
  for (const ch of s) o += SYNTAX.includes(ch) || (inClass && ch === '-') ? '\\' + ch : ch
  return o
}

/** Translates one `\` escape at `src[i]`; returns the JS text and the index after it. */
function escape(src: string, i: number, inClass: boolean): [string, number] {
  const e = src[i + 1]
  if (e === undefined) return fail('\\ at end of pattern', src)
  const braced = (open: string, close: string): [string, number] | undefined => {
    if (src[i + 2] !== open) return undefined
    const j = src.indexOf(close, i + 3)
    return j < 0 ? undefined : [src.slice(i + 3, j), j + 1]
  }
  const outside = (s: string): string => (inClass ? fail(`\\${e} is not allowed in a class`, src) : s)
  switch (e) {
    case 'Q': {
      const j = src.indexOf('\\E', i + 2)
      const end = j < 0 ? src.length : j
      return [lit(src.slice(i + 2, end), inClass), j < 0 ? end : j + 2]
    }
    case 'E': return ['', i + 2]
    case 'A': return [outside('(?<![\\s\\S])'), i + 2]
    case 'z': return [outside('(?![\\s\\S])'), i + 2]
    case 'Z': return [outside('(?=\\n?(?![\\s\\S]))'), i + 2]
    case 's': return [inClass ? SPACE : `[${SPACE}]`, i + 2] // JS \s also takes \xa0 and Unicode spaces
    case 'S': return [inClass ? '\\S' : `[^${SPACE}]`, i + 2]
    case 'h': return [inClass ? HSPACE : `[${HSPACE}]`, i + 2]
    case 'H': return [outside(`[^${HSPACE}]`), i + 2]
    case 'v': return [inClass ? VSPACE : `[${VSPACE}]`, i + 2]
    case 'V': return [outside(`[^${VSPACE}]`), i + 2]
    case 'R': return [outside(`(?:\\r\\n|[${VSPACE}])`), i + 2]
    case 'e': return ['\\x1b', i + 2]
    case 'a': return ['\\x07', i + 2]
    case 'x': {
      const b = braced('{', '}')
      if (b === undefined) return ['\\x', i + 2]
      const cp = parseInt(b[0], 16)
      if (!/^[0-9a-fA-F]{1,6}$/.test(b[0]) || cp > 0x10ffff) return fail('character code point value in \\x{} or \\o{} is too large', src)
      const units = String.fromCodePoint(cp)
      let t = ''
      for (let k = 0; k < units.length; k++) t += '\\u' + units.charCodeAt(k).toString(16).padStart(4, '0')
      return [units.length > 1 && inClass ? fail('\\x{} above U+FFFF in a class is not supported', src) : t, b[1]]
    }
    case 'g': case 'k': {
      const b = braced('{', '}') ?? braced('<', '>') ?? braced("'", "'")
      const ref = b?.[0] ?? /^\d+/.exec(src.slice(i + 2))?.[0]
      if (ref === undefined || ref === '') return fail('a numbered reference must not be zero', src)
      return [/^\d+$/.test(ref) ? `\\${ref}` : `\\k<${ref}>`, b?.[1] ?? i + 2 + ref.length]
    }
    case 'p': case 'P': {
      const b = braced('{', '}')
      return [`\\${e}{${b?.[0] ?? src[i + 2] ?? ''}}`, b?.[1] ?? i + 3]
    }
  }
  if (/[0-9]/.test(e)) return ['\\' + e, i + 2]
  if (/[A-Za-z]/.test(e)) return JS_ESCAPES.includes(e) ? ['\\' + e, i + 2] : fail(`unrecognized or unsupported escape \\${e}`, src)
  return [lit(e, inClass), i + 2]
}

/** ngx.re's option letters that change the translation (see re.ts). */
export interface PcreOptions {
  readonly multiline?: boolean // m: ^ and $ at every line
  readonly dotAll?: boolean // s
  readonly extended?: boolean // x: whitespace and # comments outside classes are ignored
  readonly utf?: boolean // u: the JS regex gets the u flag (code points)
  /**
   * Atomic groups `(?>X)` and possessive quantifiers `X*+` as `(?=(X))\N` (a hidden group):
   * the RegExp then has `groupMap`, the JS number of each PCRE group.
   */
  readonly atomic?: boolean
}

/** A translated regex; `groupMap[n]` is the JS group of PCRE group n when hidden groups exist. */
export type PcreRegExp = RegExp & { readonly groupMap?: readonly number[] }

// Marks (noncharacters) of the atomic translation: after each capturing "(", and for references.
const MARK = '\ufdd0'
const REF = '\ufdd1'

interface Group {
  readonly text: string
  readonly next: number
  readonly opens: boolean // a group whose ")" is still to come
  readonly global?: string // option letters that apply to the whole pattern
  readonly inline?: string // option letters for the rest of the enclosing group
}

/** Translates the group opener at `src[i] === '('`. */
function group(src: string, i: number, atStart: boolean): Group {
  const rest = src.slice(i, i + 40)
  if (rest[1] !== '?') return { text: '(', next: i + 1, opens: true }
  let m: RegExpExecArray | null
  if (rest.startsWith('(?#')) {
    const j = src.indexOf(')', i)
    return j < 0 ? fail('missing ) after (?# comment', src) : { text: '', next: j + 1, opens: false }
  }
  if ((m = /^\(\?(?::|=|!|<=|<!)/.exec(rest)) !== null) return { text: m[0], next: i + m[0].length, opens: true }
  if ((m = /^\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(rest)) !== null) {
    return { text: `(?<${m[1] ?? m[2]}>`, next: i + m[0].length, opens: true }
  }
  if ((m = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest)) !== null) return { text: `\\k<${m[1]}>`, next: i + m[0].length, opens: false }
  if ((m = /^\(\?([imsx]*(?:-[imsx]*)?)([:)])/.exec(rest)) !== null && m[1] !== '' && m[1] !== '-') {
    const opts = m[1] as string
    const next = i + m[0].length
    if (opts.includes('x')) return fail('the (?x) option is not supported', src)
    if (m[2] === ':') return { text: m[0], next, opens: true }
    if (atStart && !opts.includes('-')) return { text: '', next, opens: false, global: opts }
    return { text: `(?${opts}:`, next, opens: false, inline: opts }
  }
  if (/^\(\?P?[<']\d/.test(rest)) return fail('subpattern name must start with a non-digit', src, i + (rest[2] === 'P' ? 4 : 3))
  if (!GROUP_STARTS.includes(rest[2] ?? '')) return fail('unrecognized character after (? or (?-', src, i + 2)
  return fail(`unsupported group "${rest.slice(0, 3)}"`, src)
}

/**
 * Compiles a PCRE pattern (as nginx.conf holds it) into a JS RegExp: `(?P<n>`, `(?'n'`,
 * `(?P=n)`, `\g`/`\k` references, leading and inline `(?imsx)` options (inline ones become
 * `(?i:…)` modifier groups), `\A \z \Z \h \v \R \Q…\E \x{…}`, POSIX classes, and PCRE's
 * meaning of `$` (also before a final newline), `.` (all but \n) and `\s` (ASCII spaces).
 * What JS cannot express (recursion, `\K`, `\G`, branch reset; atomic groups and possessive
 * quantifiers unless `opt.atomic`) throws a ConfError worded like nginx's; `pcreOffset` on it
 * is the offset PCRE reports (ngx.re prints it as ` at "…"`). Limit: JS matches UTF-16 code units where nginx's
 * PCRE matches bytes, so `.` takes one char of a decoded UTF-8 sequence, not one byte.
 */
export function compileRegex(src: string, caseless: boolean, opt: PcreOptions = {}): PcreRegExp {
  let flags = (caseless ? 'i' : '') + (opt.multiline === true ? 'm' : '') + (opt.dotAll === true ? 's' : '')
  let out = ''
  let unicode = opt.utf === true
  const dotAll = opt.dotAll === true || /\(\?[a-z]*s[a-z-]*[:)]/.test(src) // with (?s) somewhere, keep JS's own "."
  let quant = false // the last token emitted was a quantifier
  const frames: string[][] = [[]] // per open group: inline option groups to close at its end
  const atomic = opt.atomic === true
  const opens: number[] = [] // out index of each open group (atomic: an atom ends at its ")")
  const closers: string[] = [] // the text that closes each open group
  let atomStart = 0 // out index of the last atom (what a possessive quantifier wraps)
  let quantUntil = -1 // src index up to which a {n,m} quantifier runs (its chars are no atoms)
  let hidden = 0
  let i = 0
  while (i < src.length) {
    const c = src[i] as string
    const wasQuant: boolean = quant
    quant = false
    if (opt.extended === true && /\s/.test(c)) {
      quant = wasQuant
      i++
    } else if (opt.extended === true && c === '#') {
      const j = src.indexOf('\n', i)
      quant = wasQuant
      i = j < 0 ? src.length : j + 1
    } else if (c === '\\') {
      if (src[i + 1] === 'p' || src[i + 1] === 'P') unicode = true
      const [t, next] = escape(src, i, false)
      atomStart = out.length
      const ref = atomic ? /^\\([1-9]\d*)$/.exec(t) : null
      out += ref !== null ? `${REF}U${ref[1] as string}${REF}` : t
      i = next
    } else if (c === '[') {
      atomStart = out.length
      out += '['
      i++
      if (src[i] === '^') out += src[i++]
      if (src[i] === ']') {
        out += '\\]'
        i++
      }
      while (i < src.length && src[i] !== ']') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i, i + 12))
        if (m !== null) {
          const cls = POSIX[m[2] as string]
          if (cls === undefined) return fail('unknown POSIX class name', src, i + 2)
          if (m[1] === '^') return fail('negated POSIX classes are not supported', src)
          out += cls
          i += m[0].length
        } else if (src[i] === '\\') {
          const [t, next] = escape(src, i, true)
          out += t
          i = next
        } else {
          const hi = src[i + 2]
          if (src[i + 1] === '-' && hi !== undefined && !']\\['.includes(hi) && hi < (src[i] as string)) {
            return fail('range out of order in character class', src, i + 2)
          }
          out += src[i] === '[' ? '\\[' : src[i]
          i++
        }
      }
      if (i >= src.length) return fail('missing terminating ] for character class', src)
      out += ']'
      i++
    } else if (c === '(' && atomic && src.startsWith('(?>', i)) {
      frames.push([])
      opens.push(out.length)
      closers.push(`))${REF}H${++hidden}${REF})`)
      out += `(?:(?=(${MARK}H${hidden}${MARK}`
      i += 3
    } else if (c === '(') {
      const g = group(src, i, out === '' && frames.length === 1)
      if (g.global !== undefined) for (const f of g.global) if (!flags.includes(f)) flags += f
      if (g.inline !== undefined) (frames[frames.length - 1] as string[]).push(g.inline)
      if (g.opens) {
        frames.push([])
        opens.push(out.length)
        closers.push(')')
      }
      out += g.text
      if (atomic && g.opens && (g.text === '(' || /^\(\?<[^=!]/.test(g.text))) out += `${MARK}U${MARK}`
      i = g.next
    } else if (c === ')') {
      const f = frames.pop()
      if (f === undefined || frames.length === 0) return fail('unmatched closing parenthesis', src, i)
      out += ')'.repeat(f.length) + (closers.pop() as string)
      atomStart = opens.pop() as number
      i++
    } else if (c === '|') {
      const f = frames[frames.length - 1] as string[]
      out += ')'.repeat(f.length) + '|' + f.map((o) => `(?${o}:`).join('')
      i++
    } else if (c === '+' && wasQuant && atomic) {
      out = `${out.slice(0, atomStart)}(?:(?=(${MARK}H${++hidden}${MARK}${out.slice(atomStart)}))${REF}H${hidden}${REF})`
      i++
    } else if (c === '+' && wasQuant) {
      return fail('possessive quantifiers are not supported', src)
    } else {
      if (c === '{' && i > quantUntil) {
        const q = /^\{\d+(,\d*)?\}/.exec(src.slice(i, i + 24))
        if (q !== null) quantUntil = i + q[0].length - 1
      }
      if (i > quantUntil && !'*+?'.includes(c)) atomStart = out.length
      if (c === '$') out += opt.multiline === true ? '$' : '(?=\\n?$)' // PCRE's $ also matches before a final newline
      else if (c === '.' && !dotAll) out += '[^\\n]' // JS's . also stops at \r, \u2028, \u2029
      else out += c
      if (c === '}') {
        const q = /\{(\d+)(?:,(\d*))?\}$/.exec(out)
        if (q !== null && (Number(q[1]) > 65535 || Number(q[2] || 0) > 65535)) return fail('number too big in {} quantifier', src, i)
        if (q !== null && q[2] !== undefined && q[2] !== '' && Number(q[2]) < Number(q[1])) return fail('numbers out of order in {} quantifier', src, i)
      }
      if ('*+?'.includes(c) && !wasQuant && /(?:^|[^\\][(|]|^[(|])(?:\ufdd0U\ufdd0)?$/.test(out.slice(0, -1))) return fail('quantifier does not follow a repeatable item', src, i)
      if (c === '*' && wasQuant) return fail('quantifier does not follow a repeatable item', src, i)
      quant = c === '*' || c === '+' || (c === '?' && !wasQuant) || (c === '}' && /\{\d+(,\d*)?\}$/.test(out))
      i++
    }
  }
  if (frames.length > 1) return fail('missing closing parenthesis', src)
  const defined = new Set([...src.matchAll(/\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/g)].map((m) => m[1] ?? m[2]))
  for (const m of src.matchAll(/\\[kg][<{']([A-Za-z_]\w*)[>}']|\(\?P=([A-Za-z_]\w*)\)/g)) {
    if (!defined.has(m[1] ?? m[2])) return fail('reference to non-existent subpattern', src, m.index + m[0].length - 1)
  }
  out += ')'.repeat((frames[0] as string[]).length)
  let groupMap: number[] | undefined
  if (atomic) [out, groupMap] = numberGroups(out)
  try {
    const re = new RegExp(out, flags + (unicode ? 'u' : ''))
    return hidden > 0 && groupMap !== undefined ? Object.assign(re, { groupMap }) : re
  } catch (e) {
    const msg = (e as Error).message
    const known = JS_ERRORS.find(([js]) => msg.includes(js))
    return fail(known?.[1] ?? msg.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''), src)
  }
}

/** Atomic translation: numbers the marked groups, resolves references, drops the marks. */
function numberGroups(marked: string): [string, number[]] {
  const map = [0]
  const hiddenAt = new Map<string, number>()
  let n = 0
  for (const m of marked.matchAll(/\ufdd0(U|H\d+)\ufdd0/g)) {
    n++
    if (m[1] === 'U') map.push(n)
    else hiddenAt.set(m[1] as string, n)
  }
  const out = marked.replace(/\ufdd0(U|H\d+)\ufdd0/g, '').replace(/\ufdd1(U(\d+)|H\d+)\ufdd1/g, (_m, ref: string, user: string | undefined) => {
    const num = user !== undefined ? map[Number(user)] : hiddenAt.get(ref)
    return num === undefined ? `\\${user ?? ''}` : `(?:\\${num})`
  })
  return [out, map]
}
