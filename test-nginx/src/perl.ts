// The Perl literal subset that Test::Nginx suites write in `eval` sections and preambles:
// quotes with escapes and interpolation, q{}/qq{} with any delimiter, heredocs, qr//, arrays,
// lists, `.`, `x N`, arithmetic, comparisons, `?:`, `$ENV{…}` and `our` variables. Anything
// else throws a PerlError naming what it met, so the caller can skip the block with a reason.

/** A Perl value as the runner sees it: a scalar, a compiled qr//, or an array. */
export type PerlValue = string | number | RegExp | undefined | readonly PerlValue[] | PerlHash

/** An anonymous hash (`{ value => "…", delay_before => 0.1 }`). */
export type PerlHash = ReadonlyMap<string, PerlValue>

/** Thrown for Perl the subset does not cover; the message says what was met. */
export class PerlError extends Error {
  override readonly name = 'PerlError'
}

/** What expressions can read: `our`/`my` variables, the environment, PCRE's major version. */
export interface PerlScope {
  readonly vars: Map<string, PerlValue>
  readonly env: Record<string, string | undefined>
  /** `$Test::Nginx::Util::PcreVersion` (2 for a PCRE2 build). */
  readonly pcreVersion: number
  /** Zero-argument helpers usable in expressions (`repeat_each()`, `html_dir()`, …). */
  readonly functions?: ReadonlyMap<string, () => PerlValue>
}

/** Makes a scope over the given environment. */
export function perlScope(env: Record<string, string | undefined> = process.env, pcreVersion = 2): PerlScope {
  return { vars: new Map(), env, pcreVersion }
}

/** Perl's string value of a scalar (arrays join with nothing; a regex shows as `(?^:…)`). */
export function perlString(v: PerlValue): string {
  if (v === undefined) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15)))
  if (v instanceof RegExp) return `(?^${v.flags.replace(/[gu]/g, '')}:${v.source})`
  if (v instanceof Map) return 'HASH(0x0)'
  return (v as readonly PerlValue[]).map(perlString).join('')
}

function truthy(v: PerlValue): boolean {
  if (v === undefined) return false
  if (typeof v === 'number') return v !== 0
  if (typeof v === 'string') return v !== '' && v !== '0'
  return true
}

function toNumber(v: PerlValue): number {
  if (typeof v === 'number') return v
  const m = /^\s*[-+]?(\d+\.?\d*(e[-+]?\d+)?|\.\d+)/i.exec(perlString(v))
  return m === null ? 0 : Number(m[0])
}

/** A parenthesised list, kept apart from arrays so `(…) x N` repeats it and `[…]` flattens it. */
class List {
  readonly items: PerlValue[]
  constructor(items: PerlValue[]) { this.items = items }
}

type Val = PerlValue | List

function scalar(v: Val): PerlValue {
  if (v instanceof List) return v.items.length === 0 ? undefined : v.items[v.items.length - 1]
  return v
}

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' }
const IDENT = /[A-Za-z_][A-Za-z_0-9]*(?:::[A-Za-z_][A-Za-z_0-9]*)*/y

/** A recursive-descent reader and evaluator over Perl source text. */
export class PerlParser {
  readonly src: string
  pos = 0
  private readonly scope: PerlScope
  /** Where the current line's heredoc bodies end: the next newline skips to here. */
  private heredocLineEnd = -1
  private heredocResume = -1

  /** The reading position with its pending heredoc state, to come back to. */
  mark(): readonly [number, number, number] {
    return [this.pos, this.heredocLineEnd, this.heredocResume]
  }

  reset(m: readonly [number, number, number]): void {
    [this.pos, this.heredocLineEnd, this.heredocResume] = m
  }

  constructor(src: string, scope: PerlScope) {
    this.src = src
    this.scope = scope
  }

  fail(what: string): never {
    const line = this.src.slice(0, this.pos).split('\n').length
    throw new PerlError(`unsupported Perl at line ${line}: ${what} (near ${JSON.stringify(this.src.slice(this.pos, this.pos + 30))})`)
  }

  /** Skips blanks, comments and heredoc bodies. */
  ws(): void {
    for (;;) {
      const c = this.src[this.pos]
      if (c === '\n') {
        if (this.pos === this.heredocLineEnd) {
          this.pos = this.heredocResume
          this.heredocLineEnd = -1
        } else {
          this.pos++
        }
      } else if (c === ' ' || c === '\t' || c === '\r') {
        this.pos++
      } else if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++
      } else if (c === '=' && (this.pos === 0 || this.src[this.pos - 1] === '\n') && /^=[a-z]/.test(this.src.slice(this.pos, this.pos + 2))) {
        // POD: skip to =cut
        const end = this.src.indexOf('\n=cut', this.pos)
        this.pos = end < 0 ? this.src.length : end + 5
      } else {
        return
      }
    }
  }

  atEnd(): boolean {
    this.ws()
    return this.pos >= this.src.length
  }

  peek(s: string): boolean {
    this.ws()
    return this.src.startsWith(s, this.pos)
  }

  /** Consumes `s` (after blanks) when it is next. Words must end at a non-word character. */
  eat(s: string): boolean {
    this.ws()
    if (!this.src.startsWith(s, this.pos)) return false
    if (/\w$/.test(s) && /\w/.test(this.src[this.pos + s.length] ?? '')) return false
    this.pos += s.length
    return true
  }

  expect(s: string): void {
    if (!this.eat(s)) this.fail(`expected "${s}"`)
  }

  ident(): string | undefined {
    this.ws()
    IDENT.lastIndex = this.pos
    const m = IDENT.exec(this.src)
    if (m === null) return undefined
    this.pos += m[0].length
    return m[0]
  }

  peekIdent(): string | undefined {
    const save = this.pos
    const id = this.ident()
    this.pos = save
    return id
  }

  /** A whole expression, possibly a comma list. */
  expression(): PerlValue {
    const v = this.listExpr()
    return v instanceof List ? (v.items.length === 1 ? v.items[0] : [...v.items]) : v
  }

  private listExpr(): Val {
    const first = this.ternary()
    if (!this.peek(',') && !this.peek('=>')) return first
    const items: PerlValue[] = []
    pushFlat(items, first)
    while (this.eat(',') || this.eat('=>')) {
      if (this.peek(')') || this.peek(']') || this.peek(';') || this.atEnd()) break
      pushFlat(items, this.ternary())
    }
    return new List(items)
  }

  ternary(): Val {
    const cond = this.orExpr()
    if (!this.eat('?')) return cond
    const a = this.ternary()
    this.expect(':')
    const b = this.ternary()
    return truthy(scalar(cond)) ? a : b
  }

  private orExpr(): Val {
    let left = this.andExpr()
    for (;;) {
      if (this.eat('||') || this.eat('or')) {
        const right = this.andExpr()
        left = truthy(scalar(left)) ? left : right
      } else if (this.eat('//')) {
        const right = this.andExpr()
        left = scalar(left) !== undefined ? left : right
      } else {
        return left
      }
    }
  }

  private andExpr(): Val {
    let left = this.equality()
    while (this.eat('&&') || this.eat('and')) {
      const right = this.equality()
      left = truthy(scalar(left)) ? right : left
    }
    return left
  }

  private equality(): Val {
    const left = this.additive()
    for (const op of ['==', '!=', '>=', '<=', 'eq', 'ne', '>', '<'] as const) {
      if (op === '<' && this.peek('<<')) continue
      if (this.eat(op)) {
        const r = scalar(this.additive())
        const l = scalar(left)
        const res = op === 'eq' ? perlString(l) === perlString(r)
          : op === 'ne' ? perlString(l) !== perlString(r)
            : op === '==' ? toNumber(l) === toNumber(r)
              : op === '!=' ? toNumber(l) !== toNumber(r)
                : op === '>=' ? toNumber(l) >= toNumber(r)
                  : op === '<=' ? toNumber(l) <= toNumber(r)
                    : op === '>' ? toNumber(l) > toNumber(r) : toNumber(l) < toNumber(r)
        return res ? 1 : ''
      }
    }
    return left
  }

  private additive(): Val {
    let left = this.multiplicative()
    for (;;) {
      this.ws()
      const c = this.src[this.pos]
      if (c === '.' && this.src[this.pos + 1] !== '.' && this.src[this.pos + 1] !== '=') {
        this.pos++
        left = perlString(scalar(left)) + perlString(scalar(this.multiplicative()))
      } else if ((c === '+' || c === '-') && this.src[this.pos + 1] !== '=' && this.src[this.pos + 1] !== c) {
        this.pos++
        const r = toNumber(scalar(this.multiplicative()))
        left = c === '+' ? toNumber(scalar(left)) + r : toNumber(scalar(left)) - r
      } else {
        return left
      }
    }
  }

  private multiplicative(): Val {
    let left = this.unary()
    for (;;) {
      this.ws()
      const c = this.src[this.pos]
      if (c === 'x' && /[\s\d$(]/.test(this.src[this.pos + 1] ?? '')) {
        this.pos++
        const n = Math.max(0, Math.trunc(toNumber(scalar(this.unary()))))
        if (left instanceof List) {
          const items: PerlValue[] = []
          for (let i = 0; i < n; i++) items.push(...left.items)
          left = new List(items)
        } else {
          left = perlString(left).repeat(n)
        }
      } else if ((c === '*' || c === '/' || c === '%') && this.src[this.pos + 1] !== '=' && this.src[this.pos + 1] !== '*') {
        this.pos++
        const r = toNumber(scalar(this.unary()))
        const l = toNumber(scalar(left))
        left = c === '*' ? l * r : c === '/' ? l / r : l % r
      } else {
        return left
      }
    }
  }

  private unary(): Val {
    if (this.eat('!')) return truthy(scalar(this.unary())) ? '' : 1
    if (this.eat('not')) return truthy(scalar(this.unary())) ? '' : 1
    if (this.peek('-') && !this.peek('->')) {
      this.pos++
      return -toNumber(scalar(this.unary()))
    }
    if (this.eat('defined')) {
      const paren = this.eat('(')
      const v = scalar(this.primary())
      if (paren) this.expect(')')
      return v === undefined ? '' : 1
    }
    return this.primary()
  }

  private primary(): Val {
    this.ws()
    const c = this.src[this.pos]
    if (c === undefined) this.fail('unexpected end')
    if (c === '"') { this.pos++; return this.quoted('"', true) }
    if (c === "'") { this.pos++; return this.quoted("'", false) }
    if (c === '(') {
      this.pos++
      if (this.eat(')')) return new List([])
      const v = this.listExpr()
      this.expect(')')
      return v instanceof List ? v : new List([v as PerlValue])
    }
    if (c === '[') {
      this.pos++
      const items: PerlValue[] = []
      if (!this.eat(']')) {
        pushFlat(items, this.listExpr())
        this.expect(']')
      }
      return items
    }
    if (c === '{') {
      this.pos++
      const items: PerlValue[] = []
      if (!this.eat('}')) {
        pushFlat(items, this.listExpr())
        this.expect('}')
      }
      if (items.length % 2 !== 0) this.fail('odd number of elements in a hash')
      const h = new Map<string, PerlValue>()
      for (let i = 0; i < items.length; i += 2) h.set(perlString(items[i]), items[i + 1])
      return h
    }
    if (c === '<' && this.src[this.pos + 1] === '<') return this.heredoc()
    if (c === '$') return this.variable()
    if (/[0-9]/.test(c)) {
      const m = /(?:0x[0-9a-f]+|\d[\d_]*(?:\.\d+)?(?:e[-+]?\d+)?)/iy
      m.lastIndex = this.pos
      const r = m.exec(this.src)
      if (r === null) this.fail('bad number')
      this.pos += r[0].length
      return Number(r[0].replace(/_/g, ''))
    }
    const word = this.peekIdent()
    if (word === 'q' || word === 'qq' || word === 'qr' || word === 'qw') {
      const save = this.pos
      this.ident()
      const d = this.src[this.pos]
      if (d !== undefined && d !== ',' && d !== ';' && d !== '=' && /[^\w\s]/.test(d)) {
        this.pos++
        if (word === 'q') return this.quoted(d, false)
        if (word === 'qq') return this.quoted(d, true)
        if (word === 'qw') return this.quoted(d, false).split(/\s+/).filter((s) => s !== '')
        return this.regex(d)
      }
      this.pos = save
    }
    if (word !== undefined && /^\s*=>/.test(this.src.slice(this.pos + word.length))) {
      this.ident()
      return word
    }
    if (word === 'undef') { this.ident(); this.eat('()'); return undefined }
    if (word !== undefined) {
      const fn = this.scope.functions?.get(word) ?? (word === 'cwd' ? () => process.cwd() : undefined)
      if (fn !== undefined) {
        this.ident()
        if (this.eat('(')) this.expect(')')
        return fn()
      }
      if (word === 'join') {
        this.ident()
        const paren = this.eat('(')
        const v = this.listExpr()
        if (paren) this.expect(')')
        const items = v instanceof List ? v.items : [v]
        const [sep, ...rest] = items
        const flat: PerlValue[] = []
        for (const r of rest) pushFlat(flat, r)
        return flat.map(perlString).join(perlString(sep))
      }
    }
    return this.fail(word === undefined ? `unexpected "${c}"` : `unknown function or bareword "${word}"`)
  }

  /** `$ENV{X}`, `$name`, `$::name`, `$Pkg::name`, `$Test::Nginx::Util::PcreVersion`. */
  private variable(): PerlValue {
    this.pos++
    const v = this.variableAfterSigil()
    return v
  }

  private variableAfterSigil(): PerlValue {
    if (this.src.startsWith('ENV{', this.pos)) {
      this.pos += 4
      this.ws()
      let name: string
      const q = this.src[this.pos]
      if (q === '"' || q === "'") { this.pos++; name = this.quoted(q, q === '"') } else { name = this.ident() ?? this.fail('bad $ENV key') }
      this.expect('}')
      return this.scope.env[name]
    }
    let braced = false
    if (this.src[this.pos] === '{') { braced = true; this.pos++ }
    if (this.src.startsWith('::', this.pos)) this.pos += 2
    IDENT.lastIndex = this.pos
    const m = IDENT.exec(this.src)
    if (m === null) this.fail('bad variable')
    this.pos += m[0].length
    if (braced) this.expect('}')
    const name = m[0].replace(/^main::/, '')
    if (name === 'Test::Nginx::Util::PcreVersion') return this.scope.pcreVersion
    if (!this.scope.vars.has(name)) this.fail(`unknown variable $${name}`)
    return this.scope.vars.get(name)
  }

  /** The body of a quote up to its closing delimiter; bracket delimiters nest. */
  quoted(open: string, interpolate: boolean): string {
    const close = CLOSERS[open] ?? open
    let depth = 0
    let out = ''
    for (;;) {
      const c = this.src[this.pos]
      if (c === undefined) this.fail(`unterminated string (${open})`)
      if (c === '\\') {
        const n = this.src[this.pos + 1] ?? ''
        if (!interpolate) {
          out += n === close || n === open || n === '\\' ? n : '\\' + n
          this.pos += 2
        } else {
          out += this.escape()
        }
        continue
      }
      if (c === close && depth === 0) { this.pos++; return out }
      if (open !== close && c === open) depth++
      if (open !== close && c === close) depth--
      if (interpolate && c === '$' && /[0-9]/.test(this.src[this.pos + 1] ?? '')) {
        // a match variable ($1): no match has run, so it is undef
        this.pos++
        while (/[0-9]/.test(this.src[this.pos] ?? '')) this.pos++
        continue
      }
      if (interpolate && c === '$' && /[{:A-Za-z_]/.test(this.src[this.pos + 1] ?? '')) {
        this.pos++
        out += perlString(this.variableAfterSigil())
        continue
      }
      if (interpolate && c === '@' && /[A-Za-z_]/.test(this.src[this.pos + 1] ?? '')) {
        this.fail('array interpolation in a string')
      }
      out += c
      this.pos++
    }
  }

  /** A backslash escape in an interpolating string (pos at the backslash). */
  private escape(): string {
    const n = this.src[this.pos + 1] ?? ''
    this.pos += 2
    switch (n) {
      case 'n': return '\n'
      case 't': return '\t'
      case 'r': return '\r'
      case 'f': return '\f'
      case 'a': return '\x07'
      case 'e': return '\x1b'
      case '0': {
        const m = /[0-7]{0,2}/y
        m.lastIndex = this.pos
        const r = m.exec(this.src)?.[0] ?? ''
        this.pos += r.length
        return String.fromCharCode(parseInt('0' + r, 8))
      }
      case 'x': {
        if (this.src[this.pos] === '{') {
          const end = this.src.indexOf('}', this.pos)
          const code = parseInt(this.src.slice(this.pos + 1, end), 16)
          this.pos = end + 1
          return String.fromCodePoint(code)
        }
        const m = /[0-9a-fA-F]{0,2}/y
        m.lastIndex = this.pos
        const r = m.exec(this.src)?.[0] ?? ''
        this.pos += r.length
        return String.fromCharCode(r === '' ? 0 : parseInt(r, 16))
      }
      default:
        if (/[1-7]/.test(n)) {
          const m = /[0-7]{0,2}/y
          m.lastIndex = this.pos
          const r = m.exec(this.src)?.[0] ?? ''
          this.pos += r.length
          return String.fromCharCode(parseInt(n + r, 8))
        }
        if (/[A-Za-z]/.test(n)) this.fail(`escape \\${n}`)
        return n
    }
  }

  /** `<<ID`, `<<"ID"`, `<<'ID'`, `<<~ID`: the body is the lines after the current one. */
  private heredoc(): string {
    this.pos += 2
    const indent = this.src[this.pos] === '~'
    if (indent) this.pos++
    let id: string
    let interpolate = true
    const q = this.src[this.pos]
    if (q === '"' || q === "'") {
      const end = this.src.indexOf(q, this.pos + 1)
      id = this.src.slice(this.pos + 1, end)
      interpolate = q === '"'
      this.pos = end + 1
    } else {
      IDENT.lastIndex = this.pos
      const m = IDENT.exec(this.src)
      if (m === null) this.fail('bad heredoc')
      id = m[0]
      this.pos += id.length
    }
    const lineEnd = this.heredocLineEnd >= 0 ? this.heredocLineEnd : this.src.indexOf('\n', this.pos)
    if (lineEnd < 0) this.fail('heredoc without body')
    const start = this.heredocLineEnd >= 0 ? this.heredocResume : lineEnd + 1
    const lines: string[] = []
    let at = start
    for (;;) {
      if (at >= this.src.length) this.fail(`heredoc ${id} without terminator`)
      let nl = this.src.indexOf('\n', at)
      if (nl < 0) nl = this.src.length
      const line = this.src.slice(at, nl)
      at = nl + 1
      if ((indent ? line.trim() : line) === id) break
      lines.push(line)
    }
    this.heredocLineEnd = lineEnd
    this.heredocResume = Math.min(at, this.src.length)
    let body = lines
    if (indent) {
      const pad = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0))
      body = lines.map((l) => l.slice(Number.isFinite(pad) ? pad : 0))
    }
    const text = body.map((l) => l + '\n').join('')
    if (!interpolate) return text
    const inner = new PerlParser(text + '\u0000', this.scope)
    return inner.quoted('\u0000', true)
  }

  /** `qr` after its opening delimiter: the pattern, then flags. */
  private regex(open: string): RegExp {
    const close = CLOSERS[open] ?? open
    let depth = 0
    let body = ''
    for (;;) {
      const c = this.src[this.pos]
      if (c === undefined) this.fail('unterminated qr')
      if (c === '\\') {
        const n = this.src[this.pos + 1] ?? ''
        body += n === close && open === close ? n : '\\' + n
        this.pos += 2
        continue
      }
      if (c === close && depth === 0) { this.pos++; break }
      if (open !== close && c === open) depth++
      if (open !== close && c === close) depth--
      if (c === '$' && /[A-Za-z_{:]/.test(this.src[this.pos + 1] ?? '') && !this.src.startsWith('${', this.pos + 0) ) {
        this.pos++
        body += escapeRegex(perlString(this.variableAfterSigil()))
        continue
      }
      body += c
      this.pos++
    }
    const fm = /[msixpodualn]*/y
    fm.lastIndex = this.pos
    const flags = fm.exec(this.src)?.[0] ?? ''
    this.pos += flags.length
    return perlRegex(body, flags)
  }
}

function pushFlat(items: PerlValue[], v: Val): void {
  if (v instanceof List) items.push(...v.items)
  else items.push(v)
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** Compiles a Perl pattern with Perl flags into a JS RegExp (throws PerlError if it cannot). */
export function perlRegex(pattern: string, flags = ''): RegExp {
  let src = pattern
  let jsFlags = ''
  const lead = /^\(\?([imsx]+)\)/.exec(src)
  if (lead !== null) { flags += lead[1]; src = src.slice(lead[0].length) }
  if (flags.includes('i')) jsFlags += 'i'
  if (flags.includes('m')) jsFlags += 'm'
  if (flags.includes('s')) jsFlags += 's'
  const extended = flags.includes('x')
  let out = ''
  let inClass = false
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string
    if (c === '\\') {
      const n = src[i + 1] ?? ''
      i++
      if (inClass) { out += n === 'h' ? ' \\t' : '\\' + n; continue }
      if (n === 'A') out += '(?<![\\s\\S])'
      else if (n === 'z') out += '(?![\\s\\S])'
      else if (n === 'Z') out += '(?=\\n?(?![\\s\\S]))'
      else if (n === 'h') out += '[ \\t]'
      else if (n === 'Q' || n === 'G' || n === 'K') throw new PerlError(`regex escape \\${n} is not supported`)
      else out += '\\' + n
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      if (c === '[' && src[i + 1] === ':') throw new PerlError('POSIX character classes are not supported')
      out += c
      continue
    }
    if (c === '[') {
      inClass = true
      out += c
      if (src[i + 1] === '^') { out += '^'; i++ }
      if (src[i + 1] === ']') { out += '\\]'; i++ }
      continue
    }
    if (extended && /\s/.test(c)) continue
    if (extended && c === '#') {
      while (i < src.length && src[i] !== '\n') i++
      continue
    }
    if (c === '$' && !flags.includes('m')) { out += '(?=\\n?(?![\\s\\S]))'; continue }
    if (c === '(' && src.startsWith('?P<', i + 1)) { out += '(?<'; i += 3; continue }
    if (c === '(' && (src.startsWith('?>', i + 1) || src.startsWith('?|', i + 1))) throw new PerlError('atomic and branch-reset groups are not supported')
    if ((c === '+') && /[*+?}]/.test(src[i - 1] ?? '') && src[i - 2] !== '\\') throw new PerlError('possessive quantifiers are not supported')
    out += c
  }
  try {
    return new RegExp(out, jsFlags)
  } catch (e) {
    throw new PerlError(`qr/${pattern}/: ${(e as Error).message}`)
  }
}

/** Evaluates one Perl expression (an `eval` section); trailing `;` allowed. */
export function evalPerl(src: string, scope: PerlScope): PerlValue {
  const p = new PerlParser(src, scope)
  if (p.atEnd()) return undefined
  const v = p.expression()
  p.eat(';')
  if (!p.atEnd()) p.fail('more than one expression')
  return v
}
