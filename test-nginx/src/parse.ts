// The Test::Base file format as Test::Nginx reads it: a Perl preamble, `__DATA__`, then blocks
// (`=== TEST n: name`) made of sections (`--- name filters` or `--- name: value`). The
// preamble's calls become settings; sections are evaluated lazily so that a block whose Perl
// falls outside the subset is skipped with the reason.
import { PerlError, PerlParser, evalPerl, perlString } from './perl.ts'
import type { PerlScope, PerlValue } from './perl.ts'

/** One `--- name filters` section as written. */
export interface Section {
  readonly name: string
  readonly filters: readonly string[]
  /** The text after Test::Base's default `trim` (and before the section's own filters). */
  readonly raw: string
  /** Whether the value was given inline (`--- name: value`). */
  readonly inline: boolean
  /** 1-based line of the `---` line. */
  readonly line: number
}

/** One `=== TEST` block. */
export interface Block {
  readonly name: string
  readonly line: number
  readonly sections: ReadonlyMap<string, Section>
}

/** A value a preprocessor preset gives to blocks. */
export interface Preset {
  readonly section: string
  readonly value: PerlValue
  /** Only when the block has no such section (`if (!defined $block->x)`). */
  readonly onlyIfMissing: boolean
}

/** What the preamble sets. */
export interface Preamble {
  repeatEach: number
  shuffle: boolean
  logLevel: string
  checkAccumErrorLog: boolean
  workers: number
  masterOn: boolean
  noRootLocation: boolean
  workerConnections: number
  envToNginx: string[]
  presets: Preset[]
  /** The modules of `use` lines (`Test::Nginx::Socket::Lua`, `t::TestCore`, …). */
  uses: string[]
  /** Set when the whole file is skipped (`plan skip_all`), with the reason. */
  skipAll?: string
  /** Set when the preamble holds Perl the runner cannot follow: every block is skipped. */
  unsupported?: string
}

/** A parsed .t file. */
export interface SpecFile {
  readonly path: string
  readonly preamble: Preamble
  readonly blocks: readonly Block[]
  readonly scope: PerlScope
}

/** Test::Base's `trim`: drops blank lines at both ends, keeps one final newline. */
export function trimSection(text: string): string {
  const t = text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/(?:\r?\n[ \t]*)+$/, '')
  return t === '' ? '' : t + '\n'
}

const BLOCK_RE = /^===\s*(.*)$/
const SECTION_RE = /^---\s+(\w+)((?:\s+\w+)*)\s*(?::\s?(.*))?$/

/** Splits the data part (after `__DATA__`) into blocks. */
export function parseBlocks(data: string, firstLine = 1): Block[] {
  const blocks: Block[] = []
  const lines = data.split('\n')
  let cur: { name: string; line: number; sections: Map<string, Section> } | undefined
  let sec: { name: string; filters: string[]; lines: string[]; inline: string | undefined; line: number } | undefined
  const flush = (): void => {
    if (sec !== undefined && cur !== undefined) {
      const raw = sec.inline !== undefined ? sec.inline : trimSection(sec.lines.join('\n'))
      cur.sections.set(sec.name, { name: sec.name, filters: sec.filters, raw, inline: sec.inline !== undefined, line: sec.line })
    }
    sec = undefined
  }
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '')
    const lineNo = firstLine + i
    if (line === '__END__') break
    const b = BLOCK_RE.exec(line)
    if (b !== null) {
      flush()
      cur = { name: (b[1] ?? '').trim(), line: lineNo, sections: new Map() }
      blocks.push(cur)
      continue
    }
    const s = cur === undefined ? null : SECTION_RE.exec(line)
    if (s !== null) {
      flush()
      const filters = (s[2] ?? '').trim().split(/\s+/).filter((f) => f !== '')
      sec = { name: s[1] as string, filters, lines: [], inline: s[3], line: lineNo }
      continue
    }
    if (sec !== undefined && sec.inline === undefined) sec.lines.push(lines[i] as string)
  }
  flush()
  return blocks
}

/** The preamble's defaults, as Test::Nginx has them. */
export function defaultPreamble(): Preamble {
  return {
    repeatEach: 1, shuffle: false, logLevel: 'debug', checkAccumErrorLog: false, workers: 1, masterOn: false,
    noRootLocation: false, workerConnections: 64, envToNginx: [], presets: [], uses: [],
  }
}

/** Parses a whole .t file's text. */
export function parseSpec(text: string, path: string, scope: PerlScope): SpecFile {
  const m = /^__DATA__[ \t]*\r?$/m.exec(text)
  const preambleText = m === null ? text : text.slice(0, m.index)
  const data = m === null ? '' : text.slice(m.index + m[0].length + 1)
  const firstLine = m === null ? 1 : preambleText.split('\n').length + 1
  const preamble = defaultPreamble()
  try {
    runPreamble(preambleText, scope, preamble)
  } catch (e) {
    if (!(e instanceof PerlError)) throw e
    preamble.unsupported = e.message
  }
  return { path, preamble, blocks: parseBlocks(data, firstLine), scope }
}

const IGNORED_CALLS = new Set([
  'run_tests', 'done_testing', 'no_long_string', 'no_diff', 'use_hup', 'master_process_enabled',
  'no_check_leak', 'log_level', 'repeat_each', 'no_shuffle', 'check_accum_error_log', 'workers',
  'master_on', 'no_root_location', 'env_to_nginx', 'worker_connections', 'plan', 'add_block_preprocessor',
  'add_cleanup_handler', 'add_test_cleanup_handler', 'shuffle',
])

/** Runs the preamble's statements over the settings. */
export function runPreamble(src: string, scope: PerlScope, out: Preamble): void {
  const p = new PerlParser(src, scope)
  while (!p.atEnd()) statement(p, scope, out)
}

function statement(p: PerlParser, scope: PerlScope, out: Preamble): void {
  if (p.eat(';')) return
  if (p.eat('use') || p.eat('no')) {
    const mod = p.ident() ?? p.fail('bad use')
    out.uses.push(mod)
    skipToSemicolon(p)
    return
  }
  if (p.eat('BEGIN')) { braceBlock(p, scope, out); return }
  if (p.eat('sub')) {
    p.ident()
    skipBraces(p)
    return
  }
  if (p.eat('if') || p.eat('unless')) {
    const neg = p.src.slice(0, p.pos).endsWith('unless')
    p.expect('(')
    let cond = truthyValue(p.expression())
    p.expect(')')
    if (neg) cond = !cond
    let done = false
    if (cond) { braceBlock(p, scope, out); done = true } else skipBraces(p)
    for (;;) {
      if (p.eat('elsif')) {
        p.expect('(')
        const c = truthyValue(p.expression())
        p.expect(')')
        if (!done && c) { braceBlock(p, scope, out); done = true } else skipBraces(p)
      } else if (p.eat('else')) {
        if (!done) braceBlock(p, scope, out); else skipBraces(p)
        return
      } else {
        return
      }
    }
  }
  const start = p.pos
  // the statement with an optional trailing `if COND` / `unless COND`
  const body = (): void => simpleStatement(p, scope, out)
  // look ahead for a statement modifier: run the modifier first on a copy position
  const modifier = findModifier(p)
  if (modifier !== undefined) {
    const save = p.mark()
    p.pos = modifier.at
    const cond = truthyValue(p.expression())
    const end = p.mark()
    p.reset(save)
    if (cond === modifier.positive) body()
    p.reset(end)
    p.eat(';')
    return
  }
  body()
  if (!p.eat(';') && !p.atEnd()) { p.pos = start; p.fail('statement not understood') }
}

function truthyValue(v: PerlValue): boolean {
  const s = perlString(v)
  return v !== undefined && s !== '' && s !== '0'
}

/** Finds ` if ` / ` unless ` before the statement's `;` (outside quotes and brackets). */
function findModifier(p: PerlParser): { at: number; positive: boolean } | undefined {
  const save = p.pos
  const end = statementEnd(p)
  const text = p.src.slice(save, end)
  const m = /\s(if|unless)\s/.exec(maskQuoted(text))
  if (m === null) return undefined
  return { at: save + m.index + m[0].length, positive: m[1] === 'if' }
}

/** Replaces quoted and bracketed text by spaces, to search a statement's own words. */
function maskQuoted(text: string): string {
  let out = ''
  let quote = ''
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote !== '') {
      if (c === '\\') { out += '  '; i++; continue }
      if (c === quote) quote = ''
      out += ' '
      continue
    }
    if (c === '"' || c === "'") { quote = c; out += ' '; continue }
    if (c === '(' || c === '[' || c === '{') depth++
    if (c === ')' || c === ']' || c === '}') depth--
    out += depth > 0 ? ' ' : c
  }
  return out
}

/** The position of the `;` that ends the statement at `p.pos`. */
function statementEnd(p: PerlParser): number {
  const save = p.mark()
  try {
    skipToSemicolon(p)
    return p.pos - 1
  } finally {
    p.reset(save)
  }
}

function skipToSemicolon(p: PerlParser): void {
  let depth = 0
  for (;;) {
    p.ws()
    const c = p.src[p.pos]
    if (c === undefined) return
    if (c === '"' || c === "'") { p.pos++; p.quoted(c, false); continue }
    if ((c === 'q') && /^q[qrw]?\s*[{([/|!<]/.test(p.src.slice(p.pos, p.pos + 4))) {
      p.pos++
      if (/[qrw]/.test(p.src[p.pos] ?? '')) p.pos++
      p.ws()
      const d = p.src[p.pos] as string
      p.pos++
      p.quoted(d, false)
      continue
    }
    if (c === '<' && p.src[p.pos + 1] === '<' && /[~"'A-Za-z_]/.test(p.src[p.pos + 2] ?? '')) {
      // evaluate the heredoc to consume its body (interpolation errors do not matter here)
      try { p.expression() } catch { /* skip */ }
      continue
    }
    p.pos++
    if (c === '{' || c === '(' || c === '[') depth++
    else if (c === '}' || c === ')' || c === ']') depth--
    else if (c === ';' && depth <= 0) return
  }
}

function skipBraces(p: PerlParser): void {
  p.expect('{')
  let depth = 1
  while (depth > 0) {
    p.ws()
    const c = p.src[p.pos]
    if (c === undefined) p.fail('unbalanced braces')
    if (c === '"' || c === "'") { p.pos++; p.quoted(c, false); continue }
    p.pos++
    if (c === '{') depth++
    else if (c === '}') depth--
  }
}

function braceBlock(p: PerlParser, scope: PerlScope, out: Preamble): void {
  p.expect('{')
  while (!p.eat('}')) {
    if (p.atEnd()) p.fail('unterminated block')
    statement(p, scope, out)
  }
}

function simpleStatement(p: PerlParser, scope: PerlScope, out: Preamble): void {
  if (p.eat('our') || p.eat('my')) {
    if (p.eat('(')) {
      const names: string[] = []
      do { p.expect('$'); names.push(p.ident() ?? p.fail('bad name')) } while (p.eat(','))
      p.expect(')')
      p.expect('=')
      const v = p.expression()
      const arr = Array.isArray(v) ? v : [v]
      names.forEach((n, i) => scope.vars.set(n, arr[i]))
      return
    }
    p.expect('$')
    const name = p.ident() ?? p.fail('bad variable name')
    if (p.peek(';')) { scope.vars.set(name, undefined); return }
    p.expect('=')
    scope.vars.set(name, p.expression())
    return
  }
  if (p.peek('$ENV{')) {
    p.expect('$ENV{')
    const q = p.src[p.pos]
    let key: string
    if (q === '"' || q === "'") { p.pos++; key = p.quoted(q, false) } else key = p.ident() ?? p.fail('bad $ENV key')
    p.expect('}')
    const op = p.eat('||=') ? '||=' : p.eat('//=') ? '//=' : (p.expect('='), '=')
    const v = perlString(p.expression())
    const old = scope.env[key]
    if (op === '=' || (op === '||=' && (old === undefined || old === '' || old === '0')) || (op === '//=' && old === undefined)) {
      scope.env[key] = v
    }
    return
  }
  if (p.peek('$')) {
    p.expect('$')
    const name = (p.ident() ?? p.fail('bad variable')).replace(/^::/, '')
    p.expect('=')
    scope.vars.set(name, p.expression())
    return
  }
  const word = p.ident()
  if (word === undefined) p.fail('statement not understood')
  const call = word.replace(/^Test::Nginx::(?:Socket::)?(?:Util::)?/, '')
  if (!IGNORED_CALLS.has(call)) p.fail(`call to ${word}`)
  if (call === 'plan') { plan(p, out); return }
  if (call === 'add_block_preprocessor') { preprocessor(p, scope, out); return }
  if (call === 'add_cleanup_handler' || call === 'add_test_cleanup_handler') p.fail(`${call} is not supported`)
  const paren = p.eat('(')
  const args: PerlValue[] = []
  if (!(paren ? p.peek(')') : p.peek(';'))) {
    const v = p.expression()
    if (Array.isArray(v) && !p.src.slice(0, p.pos).trimEnd().endsWith(']')) args.push(...v)
    else args.push(v)
  }
  if (paren) p.expect(')')
  const n = Number(perlString(args[0]))
  switch (call) {
    case 'repeat_each': if (args.length > 0) out.repeatEach = n; break
    case 'no_shuffle': out.shuffle = false; break
    case 'shuffle': break
    case 'log_level': out.logLevel = perlString(args[0]); break
    case 'check_accum_error_log': out.checkAccumErrorLog = true; break
    case 'workers': out.workers = n; break
    case 'master_on': out.masterOn = true; break
    case 'master_process_enabled': out.masterOn = truthyValue(args[0]); break
    case 'no_root_location': out.noRootLocation = true; break
    case 'worker_connections': out.workerConnections = n; break
    case 'env_to_nginx': out.envToNginx.push(...args.map(perlString)); break
    default: break
  }
}

function plan(p: PerlParser, out: Preamble): void {
  const paren = p.eat('(')
  if (p.eat('skip_all')) {
    if (!p.eat('=>')) p.expect(',')
    const reason = perlString(p.expression())
    if (paren) p.expect(')')
    out.skipAll = reason === '' ? 'plan skip_all' : reason
    return
  }
  // `plan tests => …` and `plan 'no_plan'` only count tests
  p.pos = statementEnd(p)
}

/**
 * `add_block_preprocessor(sub { … })` bodies made of `my $block = shift;` and
 * `[if|unless] (… $block->NAME) { $block->set_value("NAME", EXPR); }` become presets.
 */
function preprocessor(p: PerlParser, scope: PerlScope, out: Preamble): void {
  p.expect('(')
  p.expect('sub')
  p.expect('{')
  while (!p.eat('}')) {
    if (p.atEnd()) p.fail('unterminated preprocessor')
    if (p.eat(';')) continue
    if (p.eat('my')) {
      if (p.eat('$block')) { p.expect('='); p.expect('shift') } else { p.expect('('); p.expect('$block'); p.expect(')'); p.expect('='); p.expect('@_') }
      p.expect(';')
      continue
    }
    if (p.eat('if') || p.eat('unless')) {
      const neg = p.src.slice(0, p.pos).endsWith('unless')
      p.expect('(')
      const missing = p.eat('!') !== neg
      if (p.eat('defined')) {
        const paren = p.eat('(')
        p.expect('$block->')
        const name = p.ident() ?? p.fail('bad section name')
        if (paren) p.expect(')')
        void name
      } else {
        p.expect('$block->')
        p.ident()
      }
      p.expect(')')
      if (!missing) p.fail('preprocessor condition that is not "section missing"')
      p.expect('{')
      while (!p.eat('}')) setValue(p, scope, out, true)
      continue
    }
    setValue(p, scope, out, false)
  }
  p.expect(')')
}

function setValue(p: PerlParser, scope: PerlScope, out: Preamble, onlyIfMissing: boolean): void {
  if (p.eat(';')) return
  if (!p.eat('$block->set_value')) p.fail('preprocessor statement other than $block->set_value')
  p.expect('(')
  const name = perlString(p.ternary() as PerlValue)
  p.expect(',')
  const value = p.expression()
  p.expect(')')
  p.eat(';')
  void scope
  out.presets.push({ section: name, value, onlyIfMissing })
}

/** A section's value after its filters: `eval` runs Perl, `chomp`/`chop` trim the end. */
export function sectionValue(sec: Section, scope: PerlScope): PerlValue {
  let v: PerlValue = sec.raw
  for (const f of sec.filters) {
    if (f === 'eval') v = evalPerl(perlString(v), scope)
    else if (f === 'chomp') v = chompValue(v, (s) => s.replace(/\n$/, ''))
    else if (f === 'chop') v = chompValue(v, (s) => s.slice(0, -1))
    else if (f === 'trim') v = chompValue(v, (s) => s.trim())
    else throw new PerlError(`filter "${f}" is not supported`)
  }
  return v
}

function chompValue(v: PerlValue, f: (s: string) => string): PerlValue {
  if (Array.isArray(v)) return v.map((x: PerlValue) => chompValue(x, f))
  if (v instanceof RegExp || v instanceof Map) return v
  return f(perlString(v))
}

/** Evaluates a block: the section values with presets applied, or the reason it cannot run. */
export function evaluateBlock(file: SpecFile, block: Block): { values: Map<string, PerlValue>; skip?: string } {
  const values = new Map<string, PerlValue>()
  if (file.preamble.unsupported !== undefined) return { values, skip: file.preamble.unsupported }
  if (file.preamble.skipAll !== undefined) return { values, skip: file.preamble.skipAll }
  try {
    for (const sec of block.sections.values()) values.set(sec.name, sectionValue(sec, file.scope))
  } catch (e) {
    if (e instanceof PerlError) return { values, skip: e.message }
    throw e
  }
  for (const pr of file.preamble.presets) {
    if (pr.onlyIfMissing && values.has(pr.section)) continue
    values.set(pr.section, pr.value)
  }
  return { values }
}
