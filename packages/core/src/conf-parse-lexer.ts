// The tokenizers behind conf-parse.ts, over a file's bytes: nginx's ngx_conf_read_token()
// (words, quotes, escapes, comments, `;` `{` `}`) and ngx_lua's reader of `*_by_lua_block`
// bodies (Lua-aware brace matching). Both work in nginx's 4096-byte read buffer, and that
// buffer shows through in which long tokens and Lua blocks nginx rejects; the windows are
// reproduced here from measurements against the reference (see conf-parse.md).
import { ConfFileError } from './conf-parse-error.ts'

/** nginx's NGX_CONF_BUFFER: the read buffer a configuration file is tokenized in. */
export const CONF_BUFFER = 4096
const HALF = CONF_BUFFER / 2

const LF = 0x0a, CR = 0x0d, TAB = 0x09, SP = 0x20, DQ = 0x22, SQ = 0x27, HASH = 0x23, DOLLAR = 0x24
const SEMI = 0x3b, LBRACE = 0x7b, RBRACE = 0x7d, RPAREN = 0x29, BACKSLASH = 0x5c, DASH = 0x2d
const LBRACKET = 0x5b, RBRACKET = 0x5d, EQ = 0x3d

/** One argument as written: its value after nginx's escapes, its quote, and its first line. */
export interface ConfArg {
  readonly value: string
  /** True when written in `"…"` or `'…'` (nginx's `if` tells `"-f"` from `-f`, for one). */
  readonly quoted: boolean
  /** The quote character, `''` for a bare word. */
  readonly quote: '' | '"' | "'"
  readonly line: number
}

/** How a directive's token run ended: at `;`, `{`, `}` or the end of the file. */
export type TokenEnd = 'semi' | 'open' | 'close' | 'eof'

/** A `*_by_lua_block` body: the code between the braces, verbatim. */
export interface ConfLuaBlock {
  readonly code: string
  /** The line of the opening `{`: the code's line 1, and the N of `=content_by_lua(nginx.conf:N)`. */
  readonly line: number
  /** The line of the closing `}`, which nginx names in errors ngx_lua raises after reading the code. */
  readonly endLine: number
}

const isSpace = (c: number): boolean => c === SP || c === TAB || c === CR || c === LF

/** A byte as nginx's `%c` prints it (bytes above 0x7f come back as their latin1 character). */
const charText = (c: number): string => String.fromCharCode(c)

/** The value of a word, b[from, to), with nginx's escapes: \" \' \\ \t \r \n; other backslashes stay. */
function wordValue(b: Buffer, from: number, to: number): string {
  let bs = from
  while (bs < to && b[bs] !== BACKSLASH) bs++
  if (bs === to) return b.toString('utf8', from, to)
  const out = Buffer.allocUnsafe(to - from)
  let n = 0
  for (let i = from; i < to; i++) {
    let c = b[i] as number
    if (c === BACKSLASH && i + 1 < to) {
      const e = b[i + 1] as number
      if (e === DQ || e === SQ || e === BACKSLASH) {
        c = e
        i++
      } else if (e === 0x74 || e === 0x72 || e === 0x6e) {
        c = e === 0x74 ? TAB : e === 0x72 ? CR : LF
        i++
      }
    }
    out[n++] = c
  }
  return out.toString('utf8', 0, n)
}

function countLF(b: Buffer, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) if (b[i] === LF) n++
  return n
}

/** The end of the `"…"`/`'…'` Lua string opening at b[i], or -1 if it does not close on this line within the window. */
function luaStringEnd(b: Buffer, i: number, last: number): number {
  const q = b[i]
  for (let j = i + 1; j < last; j++) {
    const c = b[j]
    if (c === q) return j + 1
    if (c === LF) return -1
    if (c === BACKSLASH) {
      if (j + 1 >= last || b[j + 1] === LF) return -1
      j++
    }
  }
  return -1
}

/** The `=` count of a long bracket `[==[` opening at b[i], or -1. */
function longBracketLevel(b: Buffer, i: number, last: number): number {
  if (b[i] !== LBRACKET) return -1
  let j = i + 1
  while (j < last && b[j] === EQ) j++
  return j < last && b[j] === LBRACKET ? j - i - 1 : -1
}

type LuaToken =
  | { readonly kind: 'open' | 'close' | 'other'; readonly from: number; readonly to: number }
  | { readonly kind: 'unclosed'; readonly from: number; readonly closer: string }

/** The first token ngx_lua's lexer finds in b[from, last): a brace, string, comment, long bracket or `]=*]`. */
function luaToken(b: Buffer, from: number, last: number): LuaToken | undefined {
  for (let i = from; i < last; i++) {
    const c = b[i]
    if (c === LBRACE) return { kind: 'open', from: i, to: i + 1 }
    if (c === RBRACE) return { kind: 'close', from: i, to: i + 1 }
    if (c === DQ || c === SQ) {
      const e = luaStringEnd(b, i, last)
      if (e >= 0) return { kind: 'other', from: i, to: e }
      continue
    }
    if (c === RBRACKET) {
      // a closing long bracket out of place is a token of its own to ngx_lua's lexer
      let j = i + 1
      while (j < last && b[j] === EQ) j++
      if (j < last && b[j] === RBRACKET) return { kind: 'other', from: i, to: j + 1 }
      continue
    }
    let open = -1 // where a long bracket starts
    if (c === DASH && i + 1 < last && b[i + 1] === DASH) {
      if (longBracketLevel(b, i + 2, last) < 0) {
        let e = i + 2
        while (e < last && b[e] !== LF) e++
        return { kind: 'other', from: i, to: e }
      }
      open = i + 2
    } else if (c === LBRACKET && longBracketLevel(b, i, last) >= 0) {
      open = i
    }
    if (open < 0) continue
    const level = longBracketLevel(b, open, last)
    const closer = `]${'='.repeat(level)}]`
    const e = b.indexOf(closer, open + level + 2, 'latin1')
    if (e < 0 || e + closer.length > last) return { kind: 'unclosed', from: i, closer }
    return { kind: 'other', from: i, to: e + closer.length }
  }
  return undefined
}

/** A configuration file (or the `-g` parameter) being read: nginx's buffer window over its bytes. */
export class ConfSource {
  readonly buf: Buffer
  /** The file's name as nginx prints it; `''` for the command line. */
  readonly file: string
  readonly commandLine: boolean
  readonly size: number
  pos = 0
  /** nginx's current line: where a directive handler's errors are reported. */
  line = 1
  /** The end of nginx's read buffer, as an offset in the file. */
  last: number

  constructor(buf: Buffer, file: string, commandLine = false) {
    this.buf = buf
    this.file = file
    this.commandLine = commandLine
    this.size = buf.length
    this.last = commandLine ? buf.length : Math.min(buf.length, CONF_BUFFER)
  }

  error(text: string, line: number = this.line): ConfFileError {
    return new ConfFileError(text, this.commandLine ? 'command line' : { file: this.file, line })
  }

  /**
   * Reads one directive's words into args, as ngx_conf_read_token() does, and says how the
   * run ended. Throws nginx's errors (unexpected characters, end of file, too long words).
   */
  readDirective(args: ConfArg[]): TokenEnd {
    const b = this.buf
    let start = this.pos
    let startLine = this.line
    let lastSpace = true, needSpace = false, sharp = false, quoted = false, variable = false
    let quote: '' | '"' | "'" = ''
    let inQuote = 0 // the quote byte while inside quotes
    for (;;) {
      if (this.pos >= this.last) {
        if (this.last >= this.size) {
          if (args.length > 0 || !lastSpace) {
            throw this.error(this.commandLine ? 'unexpected end of parameter, expecting ";"' : 'unexpected end of file, expecting ";" or "}"')
          }
          return 'eof'
        }
        if (this.pos - start === CONF_BUFFER) throw this.tooLong(start, startLine, inQuote)
        this.last = Math.min(this.size, start + CONF_BUFFER)
      }
      const ch = b[this.pos++] as number
      if (ch === LF) {
        this.line++
        sharp = false
      }
      if (sharp) continue
      if (quoted) {
        quoted = false
        continue
      }
      if (needSpace) {
        if (isSpace(ch)) {
          lastSpace = true
          needSpace = false
          continue
        }
        if (ch === SEMI) return 'semi'
        if (ch === LBRACE) return 'open'
        if (ch !== RPAREN) throw this.error(`unexpected "${charText(ch)}"`)
        lastSpace = true
        needSpace = false
      }
      if (lastSpace) {
        start = this.pos - 1
        startLine = this.line
        if (isSpace(ch)) continue
        lastSpace = false
        quote = ''
        switch (ch) {
          case SEMI:
          case LBRACE:
            if (args.length === 0) throw this.error(`unexpected "${charText(ch)}"`)
            return ch === LBRACE ? 'open' : 'semi'
          case RBRACE:
            if (args.length !== 0) throw this.error('unexpected "}"')
            return 'close'
          case HASH:
            sharp = true
            lastSpace = true
            continue
          case BACKSLASH:
            quoted = true
            continue
          case DQ:
          case SQ:
            start++
            inQuote = ch
            quote = ch === DQ ? '"' : "'"
            continue
          case DOLLAR:
            variable = true
            continue
          default:
            continue
        }
      }
      if (ch === LBRACE && variable) continue
      variable = false
      if (ch === BACKSLASH) {
        quoted = true
        continue
      }
      if (ch === DOLLAR) {
        variable = true
        continue
      }
      if (inQuote !== 0) {
        if (ch !== inQuote) continue
        inQuote = 0
        needSpace = true
      } else if (isSpace(ch) || ch === SEMI || ch === LBRACE) {
        lastSpace = true
      } else {
        continue
      }
      args.push({ value: wordValue(b, start, this.pos - 1), quoted: quote !== '', quote, line: startLine })
      if (ch === SEMI) return 'semi'
      if (ch === LBRACE) return 'open'
    }
  }

  private tooLong(start: number, startLine: number, inQuote: number): ConfFileError {
    this.line = startLine
    if (inQuote !== 0) return this.error(`too long parameter, probably missing terminating "${charText(inQuote)}" character`)
    return this.error(`too long parameter "${this.buf.toString('utf8', start, start + 10)}..." started`)
  }

  /**
   * Reads a `*_by_lua_block` body after its `{`, as ngx_lua does: braces inside Lua strings,
   * comments and long brackets do not count. Leaves the reader after the closing `}`.
   */
  readLuaBlock(): ConfLuaBlock {
    const b = this.buf
    const bodyStart = this.pos
    const openLine = this.line
    let start = this.pos
    let level = 1
    // ngx_lua counts the lines up to the end of each token it finds (a too-long block names
    // that line; newlines in a window it skipped for want of a token go uncounted, as there),
    // but reports a missing end at the line of the last `{`
    let braceLine = this.line
    let counted = this.line
    const eof = (): ConfFileError => this.error('unexpected end of file, expecting terminating characters for lua code block', braceLine)
    for (;;) {
      if (this.pos >= this.last || (this.last - this.pos < HALF && this.last < this.size)) {
        if (this.last >= this.size) throw eof()
        this.last = Math.min(this.size, start + CONF_BUFFER)
      }
      const t = luaToken(b, this.pos, this.last)
      if (t === undefined) {
        if (this.last >= this.size) throw eof()
        // nothing in this window: ngx_lua keeps it and reads on, unless what it keeps is over
        // half its buffer and the rest of the file would not fit beside it
        const kept = this.last - this.pos
        if (kept > HALF && kept + this.size - this.last > CONF_BUFFER) {
          throw this.error('too long lua code block, probably missing terminating characters', counted)
        }
        start = this.pos
        this.pos = this.last
        continue
      }
      if (t.kind === 'unclosed') {
        throw this.error(`Lua code block missing the closing long bracket "${t.closer}", the inlined Lua code may be too long`, counted + countLF(b, this.pos, t.from))
      }
      counted += countLF(b, this.pos, t.to)
      const line = counted
      this.pos = start = t.to
      if (t.kind === 'other') continue
      if (t.kind === 'open') braceLine = line
      level += t.kind === 'open' ? 1 : -1
      if (level === 0) {
        this.line = line
        return { code: b.toString('utf8', bodyStart, t.from), line: openLine, endLine: line }
      }
    }
  }
}
