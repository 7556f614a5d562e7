// Seeded fuzzing of the nginx.conf parser: configurations built from a grammar of real
// constructs (words, quotes, escapes, variables, comments, blocks, Lua blocks with strings,
// comments and long brackets, 4 KB tokens), then truncated, mutated and salted with random
// bytes. Each must parse, or fail with a ConfFileError whose `[emerg]` names a line of the
// input — never another exception, never a hang.
import { describe, expect, it } from 'vitest'
import { ConfFileError, parseConfString } from './conf-parse.ts'
import type { ConfDirective } from './conf-parse.ts'

const FILE = '/fuzz/conf/nginx.conf'
const CASES = 2000
const SEED = 0x6e726573

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Gen {
  readonly r: () => number
  constructor(seed: number) {
    this.r = mulberry32(seed)
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1))
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)] as T
  }
  times(lo: number, hi: number, f: () => string): string {
    let s = ''
    for (let n = this.int(lo, hi); n > 0; n--) s += f()
    return s
  }

  word(): string {
    let s = this.times(1, 8, () => this.pick([...'abcxyz019/._-~^*']))
    const k = this.r()
    if (k < 0.1) s += this.pick(['\\;', '\\ ', '\\"', "\\'", '\\\\', '\\n', '\\{', '\\}', '\\#', '\\\n', '\\x'])
    else if (k < 0.15) s = `$${s}`
    else if (k < 0.2) s = `\${${s}}`
    else if (k < 0.22) s += `${this.pick(['#', '}', ')', '(', '"', "'", 'é'])}q`
    return s
  }

  quoted(): string {
    const q = this.pick(['"', "'"])
    const body = this.times(0, 10, () => this.pick(['a', ' ', ';', '{', '}', '#', '\n', `\\${q}`, '\\\\', '\\n', '$x', '${y}', q === '"' ? "'" : '"']))
    return q + body + q + (this.r() < 0.01 ? this.pick([')', 'x', '"', '#', '}']) : '')
  }

  space(): string {
    return this.pick([' ', ' ', ' ', '\t', '\n', '\r\n', ' # c;{}"\n', '  '])
  }

  long(): string {
    const n = this.pick([4090, 4094, 4095, 4096, 4097, 5000])
    return this.pick(['a'.repeat(n), `"${'b'.repeat(n)}"`, `#${'c'.repeat(n)}\n`, `'${'d'.repeat(n)}'`])
  }

  luaPiece(): string {
    const k = this.r()
    if (k < 0.15) return this.pick(['{', '}', '{}', 'x = { a = 1 }'])
    if (k < 0.3) {
      const q = this.pick(['"', "'"])
      return q + this.times(0, 8, () => this.pick(['a', '}', '{', ' ', `\\${q}`, '\\\\', '\\\n', '\n', '--', '[['])) + this.pick([q, q, q, ''])
    }
    if (k < 0.45) {
      const level = '='.repeat(this.int(0, 2))
      const close = this.r() < 0.9 ? level : '='.repeat(this.int(0, 2))
      return `${this.pick(['', '--'])}[${level}[${this.times(0, 10, () => this.pick(['a', '}', '{', '\n', ']]', '"', "'"]))}]${close}]`
    }
    if (k < 0.6) return `--${this.times(0, 8, () => this.pick(['a', '}', '{', ' ', '"', '[[']))}\n`
    if (k < 0.62) return this.pick(['a', 'local x = 1\n', ' ']).repeat(this.pick([100, 1000, 2040, 2048, 3000, 4096, 5000]))
    return this.pick(['local a = 1', '\n', ' ', 'ngx.say(a)', 'f(x)', 'a[b]', '-', '[', ']', '=', '[=', 'x--y'])
  }

  directive(depth: number): string {
    const k = this.r()
    if (k < 0.12 && depth < 4) {
      return `${this.pick(['server', 'location', 'http', 'if', 'upstream'])} ${this.times(0, 2, () => `${this.word()} `)}{${this.space()}${this.times(0, 5, () => this.directive(depth + 1))}}${this.space()}`
    }
    if (k < 0.2) {
      const name = this.pick(['content_by_lua_block', 'access_by_lua_block', 'set_by_lua_block $v', 'init_by_lua_block'])
      return `${name} {${this.times(1, 25, () => this.luaPiece())}}${this.space()}`
    }
    let s = this.times(1, 5, () => (this.r() < 0.7 ? this.word() : this.quoted()) + this.space())
    if (this.r() < 0.005) s += `${this.long()} `
    return s + (this.r() < 0.03 ? this.pick(['}', '{', ';;', '']) : ';') + this.space()
  }

  config(): string {
    let text = this.times(1, 12, () => this.directive(0))
    const k = this.r()
    if (k < 0.2) text = text.slice(0, this.int(0, text.length)) // truncated
    else if (k < 0.4) {
      // mutated: insert, delete or replace a few bytes
      for (let n = this.int(1, 4); n > 0; n--) {
        const at = this.int(0, text.length)
        const op = this.r()
        const ch = this.pick([...'{};"\'#\\$\n []-=', '\0', '\u00ff', '\u{1f600}', String.fromCharCode(this.int(0, 0xd7ff))])
        if (op < 0.4) text = text.slice(0, at) + ch + text.slice(at)
        else if (op < 0.7) text = text.slice(0, at) + text.slice(at + this.int(1, 20))
        else text = text.slice(0, at) + ch + text.slice(at + 1)
      }
    } else if (k < 0.45) {
      text = this.times(1, 200, () => String.fromCharCode(this.int(0, 0x7f))) // noise
    }
    return text
  }
}

function lineCount(text: string): number {
  let n = 1
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return n
}

/** The AST's positions all lie inside the input, and Lua code is a verbatim slice of it. */
function checkTree(ds: readonly ConfDirective[], text: string, lines: number): void {
  for (const d of ds) {
    expect(d.file).toBe(FILE)
    expect(d.line).toBeGreaterThanOrEqual(1)
    expect(d.endLine).toBeGreaterThanOrEqual(d.line)
    expect(d.endLine).toBeLessThanOrEqual(lines)
    for (const a of d.args) expect(a.line >= d.line && a.line <= d.endLine).toBe(true)
    if (d.block !== undefined) {
      expect(d.block.line).toBe(d.endLine)
      expect(d.block.endLine).toBeGreaterThanOrEqual(d.block.line)
      expect(d.block.endLine).toBeLessThanOrEqual(lines)
      checkTree(d.block.directives, text, lines)
    }
    if (d.lua !== undefined) {
      expect(d.name.endsWith('_by_lua_block')).toBe(true)
      expect(d.lua.line).toBe(d.endLine)
      expect(d.lua.endLine).toBeGreaterThanOrEqual(d.lua.line)
      expect(text.includes(`{${d.lua.code}}`)).toBe(true)
    }
  }
}

describe('parser fuzzing', () => {
  it(`gives an AST or nginx's [emerg] with a line of the input for ${CASES} generated configurations`, () => {
    const g = new Gen(SEED)
    let parsed = 0
    let failed = 0
    let slowest = 0
    const texts = new Set<string>()
    for (let i = 0; i < CASES; i++) {
      const text = g.config()
      texts.add(text.split('\n', 1)[0] ?? '')
      const lines = lineCount(text)
      const t0 = performance.now()
      let error: unknown
      let root
      try {
        root = parseConfString(text, FILE)
      } catch (e) {
        error = e
      }
      slowest = Math.max(slowest, performance.now() - t0)
      if (root !== undefined) {
        parsed++
        checkTree(root.directives, text, lines)
        continue
      }
      failed++
      if (!(error instanceof ConfFileError)) throw new Error(`case ${i} threw ${String(error)}\n${JSON.stringify(text)}`)
      expect(error.message).toMatch(/^nginx: \[emerg\] .+ in \/fuzz\/conf\/nginx\.conf:\d+$/s)
      expect(error.file).toBe(FILE)
      if (error.line === undefined || error.line < 1 || error.line > lines) {
        throw new Error(`case ${i}: line ${error.line} outside 1..${lines}: ${error.message}\n${JSON.stringify(text)}`)
      }
    }
    // the grammar must keep producing both outcomes, and different inputs
    expect(parsed).toBeGreaterThan(CASES / 10)
    expect(failed).toBeGreaterThan(CASES / 10)
    expect(texts.size).toBeGreaterThan(CASES / 2)
    // no input takes long: a hang or a quadratic path would show here
    expect(slowest).toBeLessThan(250)
  })
})
