// nginx "complex values": strings with `$name`, `${name}` and `$1`..`$9` references, compiled once
// at configuration time and rendered per request (ngx_http_script_compile's grammar).

import { ConfError } from './errors.ts'

/** Looks a variable up by name; `undefined` is a variable that is not found. Captures are "1".."9". */
export type VarLookup = (name: string) => string | undefined

export interface Template {
  readonly source: string
  /** The rendered text when the source references no variable; the caller then skips render(). */
  readonly constant: string | undefined
  /** The variable names referenced, each once, in order of first use ("1".."9" for captures). */
  readonly vars: readonly string[]
  /**
   * Renders the template. `escape` is applied to every found value; a value that is not found
   * renders as `missing` (default "") and is not escaped.
   */
  render(lookup: VarLookup, escape?: (v: string) => string, missing?: string): string
}

const CH_LBRACE = 0x7b
const CH_RBRACE = 0x7d

function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f // _
  )
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return false
  }
  return true
}

class ConstantTemplate implements Template {
  readonly source: string
  readonly constant: string
  readonly vars: readonly string[] = []
  constructor(source: string, text: string) {
    this.source = source
    this.constant = text
  }
  render(): string {
    return this.constant
  }
}

class VarTemplate implements Template {
  readonly source: string
  readonly constant: undefined = undefined
  readonly vars: readonly string[]
  // lits[i] precedes names[i]; lits has one more entry than names.
  private readonly lits: readonly string[]
  private readonly names: readonly string[]
  constructor(source: string, lits: string[], names: string[]) {
    this.source = source
    this.lits = lits
    this.names = names
    this.vars = [...new Set(names)]
  }
  render(lookup: VarLookup, escape?: (v: string) => string, missing = ''): string {
    const lits = this.lits
    const names = this.names
    let out = lits[0] as string
    for (let i = 0; i < names.length; i++) {
      const v = lookup(names[i] as string)
      if (v === undefined) out += missing
      else if (escape === undefined) out += v
      else out += escape(v)
      out += lits[i + 1] as string
    }
    return out
  }
}

/**
 * Compiles an nginx complex value. Throws a ConfError worded like nginx's `[emerg]` for a `$`
 * without a valid name ("invalid variable name"), an unclosed `${` ("the closing bracket in "x"
 * variable is missing") and an all-digit name other than `$1`..`$9` (`unknown "0" variable`).
 */
export function compileTemplate(source: string): Template {
  const len = source.length
  let i = source.indexOf('$')
  if (i < 0) return new ConstantTemplate(source, source)

  const lits: string[] = []
  const names: string[] = []
  let start = 0 // start of the pending literal
  while (i >= 0) {
    lits.push(source.slice(start, i))
    if (++i === len) throw new ConfError('invalid variable name')
    const c = source.charCodeAt(i)
    if (c >= 0x31 && c <= 0x39) {
      // $1..$9: a regex capture; one digit only, so "$10" is capture 1 then "0".
      names.push(source[i] as string)
      start = i + 1
      i = source.indexOf('$', start)
      continue
    }
    let bracket = false
    if (c === CH_LBRACE) {
      bracket = true
      if (++i === len) throw new ConfError('invalid variable name')
    }
    const nameStart = i
    let nameEnd = i
    for (; i < len; i++) {
      const ch = source.charCodeAt(i)
      if (ch === CH_RBRACE && bracket) {
        nameEnd = i++
        bracket = false
        break
      }
      if (!isNameChar(ch)) break
      nameEnd = i + 1
    }
    const name = source.slice(nameStart, nameEnd)
    if (bracket) throw new ConfError(`the closing bracket in "${name}" variable is missing`)
    if (name.length === 0) throw new ConfError('invalid variable name')
    if (isDigits(name)) throw new ConfError(`unknown "${name}" variable`)
    names.push(name)
    start = i
    i = source.indexOf('$', i)
  }
  lits.push(source.slice(start))
  return new VarTemplate(source, lits, names)
}
