// PCRE → JS RegExp translation for the regexes of nginx.conf (location, server_name): the
// pattern is checked and translated once at config time; matching is plain RegExp.
import { ConfError } from './errors.ts'

const fail = (why: string, src: string): never => {
  throw new ConfError(`pcre2_compile() failed: ${why} in "${src}"`)
}
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
  if (/^\(\?P?[<']\d/.test(rest)) return fail('subpattern name must start with a non-digit', src)
  return fail(`unsupported group "${rest.slice(0, 3)}"`, src)
}

/**
 * Compiles a PCRE pattern (as nginx.conf holds it) into a JS RegExp: `(?P<n>`, `(?'n'`,
 * `(?P=n)`, `\g`/`\k` references, leading and inline `(?imsx)` options (inline ones become
 * `(?i:…)` modifier groups), `\A \z \Z \h \v \R \Q…\E \x{…}`, POSIX classes, and PCRE's
 * meaning of `$` (also before a final newline), `.` (all but \n) and `\s` (ASCII spaces).
 * What JS cannot express (atomic groups, possessive quantifiers, recursion, `\K`, `\G`)
 * throws a ConfError worded like nginx's. Limit: JS matches UTF-16 code units where nginx's
 * PCRE matches bytes, so `.` takes one char of a decoded UTF-8 sequence, not one byte.
 */
export function compileRegex(src: string, caseless: boolean): RegExp {
  let flags = caseless ? 'i' : ''
  let out = ''
  let unicode = false
  const dotAll = /\(\?[a-z]*s[a-z-]*[:)]/.test(src) // with (?s) somewhere, keep JS's own "."
  let quant = false // the last token emitted was a quantifier
  const frames: string[][] = [[]] // per open group: inline option groups to close at its end
  let i = 0
  while (i < src.length) {
    const c = src[i] as string
    const wasQuant: boolean = quant
    quant = false
    if (c === '\\') {
      if (src[i + 1] === 'p' || src[i + 1] === 'P') unicode = true
      const [t, next] = escape(src, i, false)
      out += t
      i = next
    } else if (c === '[') {
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
          if (cls === undefined) return fail('unknown POSIX class name', src)
          if (m[1] === '^') return fail('negated POSIX classes are not supported', src)
          out += cls
          i += m[0].length
        } else if (src[i] === '\\') {
          const [t, next] = escape(src, i, true)
          out += t
          i = next
        } else {
          out += src[i] === '[' ? '\\[' : src[i]
          i++
        }
      }
      if (i >= src.length) return fail('missing terminating ] for character class', src)
      out += ']'
      i++
    } else if (c === '(') {
      const g = group(src, i, out === '' && frames.length === 1)
      if (g.global !== undefined) for (const f of g.global) if (!flags.includes(f)) flags += f
      if (g.inline !== undefined) (frames[frames.length - 1] as string[]).push(g.inline)
      if (g.opens) frames.push([])
      out += g.text
      i = g.next
    } else if (c === ')') {
      const f = frames.pop()
      if (f === undefined || frames.length === 0) return fail('unmatched closing parenthesis', src)
      out += ')'.repeat(f.length + 1)
      i++
    } else if (c === '|') {
      const f = frames[frames.length - 1] as string[]
      out += ')'.repeat(f.length) + '|' + f.map((o) => `(?${o}:`).join('')
      i++
    } else if (c === '+' && wasQuant) {
      return fail('possessive quantifiers are not supported', src)
    } else {
      if (c === '$') out += '(?=\\n?$)' // PCRE's $ also matches before a final newline
      else if (c === '.' && !dotAll) out += '[^\\n]' // JS's . also stops at \r, \u2028, \u2029
      else out += c
      quant = c === '*' || c === '+' || (c === '?' && !wasQuant) || (c === '}' && /\{\d+(,\d*)?\}$/.test(out))
      i++
    }
  }
  if (frames.length > 1) return fail('missing closing parenthesis', src)
  out += ')'.repeat((frames[0] as string[]).length)
  try {
    return new RegExp(out, flags + (unicode ? 'u' : ''))
  } catch (e) {
    const msg = (e as Error).message
    const known = JS_ERRORS.find(([js]) => msg.includes(js))
    return fail(known?.[1] ?? msg.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''), src)
  }
}
