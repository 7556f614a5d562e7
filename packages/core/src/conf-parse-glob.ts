// The file-name patterns of nginx's `include`: POSIX glob() as nginx calls it (no flags),
// in the C locale nginx runs in. `*`, `?` and `[…]` (with `!`/`^`, ranges and `[:class:]`)
// match within one path segment, a leading `.` only when written, `\` escapes the next
// character, there is no `{a,b}` or `**`, and the matches come back sorted byte by byte.
// Names are handled as bytes (latin1 strings) so that `?` is one byte, as in glibc's C locale.
import { lstatSync, readdirSync, statSync } from 'node:fs'

const CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', xdigit: '0-9a-fA-F',
  space: ' \\t\\n\\r\\f\\v', blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~', graph: '!-~',
}

/** True when s has a `*`, `?` or `[` that no backslash escapes. */
function hasMagic(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '\\') i++
    else if (c === '*' || c === '?' || c === '[') return true
  }
  return false
}

function unescape(s: string): string {
  return s.includes('\\') ? s.replace(/\\(.)/gs, '$1') : s
}

const escapeRe = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')

/** The bracket expression starting at s[i] (`[`) as a regex class, and where it ends; undefined if unclosed. */
function bracket(s: string, i: number): { re: string; end: number } | undefined {
  let j = i + 1
  let negate = false
  if (s[j] === '!' || s[j] === '^') {
    negate = true
    j++
  }
  let body = ''
  let first = true
  while (j < s.length) {
    let c = s[j] as string
    if (c === ']' && !first) return { re: `[${negate ? '^' : ''}${body}]`, end: j + 1 }
    first = false
    if (c === '[' && s[j + 1] === ':') {
      const close = s.indexOf(':]', j + 2)
      const cls = close < 0 ? undefined : CLASSES[s.slice(j + 2, close)]
      if (cls !== undefined) {
        body += cls
        j = close + 2
        continue
      }
    }
    if (c === '\\' && j + 1 < s.length) c = s[++j] as string
    if (s[j + 1] === '-' && j + 2 < s.length && s[j + 2] !== ']') {
      let hi = s[j + 2] as string
      let k = j + 3
      if (hi === '\\' && k < s.length) hi = s[k++] as string
      body += `${escapeRe(c)}-${escapeRe(hi)}`
      j = k
      continue
    }
    body += escapeRe(c)
    j++
  }
  return undefined
}

/** One path segment's pattern as an anchored regex over latin1 names. */
function segmentRegex(seg: string): RegExp {
  let re = ''
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const b = bracket(seg, i)
      if (b === undefined) re += '\\['
      else {
        re += b.re
        i = b.end - 1
      }
    } else if (c === '\\' && i + 1 < seg.length) re += escapeRe(seg[++i] as string)
    else re += escapeRe(c)
  }
  return new RegExp(`^${re}$`, 's')
}

function exists(latin1Path: string): boolean {
  return lstatSync(Buffer.from(latin1Path, 'latin1'), { throwIfNoEntry: false }) !== undefined
}

function listDir(latin1Path: string): string[] {
  try {
    const names = readdirSync(Buffer.from(latin1Path === '' ? '.' : latin1Path, 'latin1'), { encoding: 'buffer' })
    return names.map((n) => n.toString('latin1'))
  } catch {
    return [] // glob() skips directories it cannot read
  }
}

function join(dir: string, name: string, first: boolean): string {
  return first ? name : `${dir}/${name}`
}

/**
 * The paths matching an include pattern, sorted as glibc's glob() sorts them in the C
 * locale; an empty list when nothing matches (nginx's include takes that as no files).
 */
export function globInclude(pattern: string): string[] {
  const segs = Buffer.from(pattern, 'utf8').toString('latin1').split('/')
  let paths = [''] // latin1
  segs.forEach((seg, i) => {
    const first = i === 0
    const last = i === segs.length - 1
    if (!hasMagic(seg)) {
      const name = unescape(seg)
      paths = paths.map((p) => join(p, name, first))
      return
    }
    const re = segmentRegex(seg)
    const dotOk = seg.startsWith('.') || seg.startsWith('\\.')
    const next: string[] = []
    for (const p of paths) {
      const dir = first ? '' : p === '' ? '/' : p
      const names = listDir(dir)
      if (dotOk) names.push('.', '..')
      for (const n of names) {
        if ((n.startsWith('.') && !dotOk) || !re.test(n)) continue
        const full = join(p, n, first)
        if (last || isDir(full)) next.push(full)
      }
    }
    paths = next
  })
  const found = paths.filter((p) => p !== '' && exists(p))
  found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return found.map((p) => Buffer.from(p, 'latin1').toString('utf8'))
}

function isDir(latin1Path: string): boolean {
  try {
    // follows symbolic links: a link to a directory is walked into, as glob() does
    return statSync(Buffer.from(latin1Path, 'latin1'), { throwIfNoEntry: false })?.isDirectory() === true
  } catch {
    return false
  }
}
