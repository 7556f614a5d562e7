// The nginx.conf front end: reads a configuration file into directives and blocks as nginx's
// ngx_conf_parse() does, expands `include` (globs sorted, relative to the conf prefix), and
// takes `*_by_lua_block` bodies verbatim with ngx_lua's brace matching. Errors carry nginx's
// words and file:line (ConfFileError). What a directive means is the consumer's business:
// here every name is accepted, except the two nginx itself owns (`include`, `*_by_lua_block`).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfFileError } from './conf-parse-error.ts'
import type { ConfPlace } from './conf-parse-error.ts'
import { globInclude } from './conf-parse-glob.ts'
import { ConfSource } from './conf-parse-lexer.ts'
import type { ConfArg, ConfLuaBlock, TokenEnd } from './conf-parse-lexer.ts'
import { systemErrorText } from './errors.ts'

export type { ConfArg, ConfLuaBlock } from './conf-parse-lexer.ts'
export { CONF_BUFFER } from './conf-parse-lexer.ts'
export { ConfFileError } from './conf-parse-error.ts'
export type { ConfErrorLevel, ConfPlace } from './conf-parse-error.ts'

/** A `{ … }` block: its directives, the line of its `{` and the line of its `}`. */
export interface ConfBlock {
  readonly directives: readonly ConfDirective[]
  readonly line: number
  /** The line of the closing `}` (nginx names it for errors found when a block ends: `no servers are inside upstream`). */
  readonly endLine: number
}

/** A parsed configuration: the main file's directives, includes expanded in place. */
export interface ConfRoot extends ConfBlock {
  readonly file: string
  /** Every file read, the main one first, in the order nginx reads them (each once). */
  readonly files: readonly string[]
}

/** One directive. For a `-g` parameter, `file` is `''` (nginx says `in command line`). */
export interface ConfDirective {
  readonly name: string
  /** The arguments after the name (for a Lua block, those before its `{`). */
  readonly args: readonly ConfArg[]
  /** The `{ … }` of a block directive. */
  readonly block?: ConfBlock
  /** The body of a `*_by_lua_block` directive. */
  readonly lua?: ConfLuaBlock
  readonly file: string
  /** The line where the name starts. */
  readonly line: number
  /**
   * The line of the `;` or `{` that ends the directive: the line nginx names in the errors
   * its handler raises (`invalid port in … of the "listen" directive in nginx.conf:<endLine>`),
   * in `unknown directive`, `is not allowed here` and `invalid number of arguments`.
   */
  readonly endLine: number
}

export interface ConfParseOptions {
  /**
   * The directory relative include paths start from: nginx's conf prefix. Default: the main
   * file's directory (what `nginx -p <prefix> -c conf/nginx.conf` makes it).
   */
  readonly prefix?: string
  /**
   * Called for each directive when nginx would call its handler: at its `;`, or at its `{`
   * before the block's contents (or the Lua code) are read, so errors it throws come in
   * nginx's order. `block` is present but still empty, `lua` absent; `parents` are the
   * enclosing block directives, outermost first (an array the parser reuses: copy it to keep
   * it). Also called for `include` (before it is expanded; includes do not appear in the result).
   */
  readonly onDirective?: (d: ConfDirective, parents: readonly ConfDirective[]) => void
  /**
   * Called when a block directive's `}` has been read (its block complete, or its Lua code
   * read): where nginx raises the errors a handler finds after the block
   * (`no servers are inside upstream`, ngx_lua's `is duplicate`), named at the `}` line.
   */
  readonly onBlockEnd?: (d: ConfDirective, parents: readonly ConfDirective[]) => void
  /** How deep includes may nest (default 64); nginx itself has no limit but the open files. */
  readonly maxIncludeDepth?: number
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Kind = 'file' | 'block' | 'param'

const isLuaBlock = (name: string): boolean => name.endsWith('_by_lua_block')

class Parser {
  readonly prefix: string
  readonly files: string[] = []
  readonly onDirective: ConfParseOptions['onDirective']
  readonly onBlockEnd: ConfParseOptions['onBlockEnd']
  readonly maxDepth: number
  private readonly stack: string[] = []
  private readonly parents: ConfDirective[] = []

  constructor(prefix: string, options: ConfParseOptions) {
    this.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`
    this.onDirective = options.onDirective
    this.onBlockEnd = options.onBlockEnd
    this.maxDepth = options.maxIncludeDepth ?? 64
  }

  /** Parses src until its end (file, param) or the `}` of the block (block); returns that line. */
  parse(src: ConfSource, kind: Kind, out: ConfDirective[]): number {
    for (;;) {
      const args: ConfArg[] = []
      const end: TokenEnd = src.readDirective(args)
      if (end === 'close') {
        if (kind !== 'block') throw src.error('unexpected "}"')
        return src.line
      }
      if (end === 'eof') {
        if (kind === 'block') throw src.error('unexpected end of file, expecting "}"')
        return src.line
      }
      if (end === 'open' && kind === 'param') throw src.error('block directives are not supported in -g option')
      const [first, ...rest] = args as [ConfArg, ...ConfArg[]]
      const d: Mutable<ConfDirective> = { name: first.value, args: rest, file: src.file, line: first.line, endLine: src.line }
      const lua = isLuaBlock(d.name)
      const block: Mutable<ConfBlock> | undefined = end === 'open' && !lua ? { directives: [], line: src.line, endLine: src.line } : undefined
      if (block !== undefined) d.block = block
      this.onDirective?.(d, this.parents)
      if (d.name === 'include') {
        this.include(src, d, end, out)
        continue
      }
      if (lua) {
        if (end !== 'open') throw src.error(`directive "${d.name}" has no opening "{"`)
        d.lua = src.readLuaBlock()
        this.onBlockEnd?.(d, this.parents)
      } else if (block !== undefined) {
        this.parents.push(d)
        block.endLine = this.parse(src, 'block', block.directives as ConfDirective[])
        this.parents.pop()
        this.onBlockEnd?.(d, this.parents)
      }
      out.push(d)
    }
  }

  private include(src: ConfSource, d: ConfDirective, end: TokenEnd, out: ConfDirective[]): void {
    if (end !== 'semi') throw src.error('directive "include" is not terminated by ";"')
    const arg = d.args.length === 1 ? d.args[0] : undefined
    if (arg === undefined) throw src.error('invalid number of arguments in "include" directive')
    const full = arg.value.startsWith('/') ? arg.value : this.prefix + arg.value
    const at: ConfPlace = src.commandLine ? 'command line' : { file: src.file, line: src.line }
    const names = /[*?[]/.test(full) ? globInclude(full) : [full]
    for (const name of names) this.parseFile(name, at, out)
  }

  /** Reads and parses one file into out; `from` is the include that names it (none for the main file). */
  parseFile(path: string, from: ConfPlace | undefined, out: ConfDirective[]): number {
    if (this.stack.includes(path)) throw new ConfFileError(`recursive include of "${path}"`, from)
    if (this.stack.length > this.maxDepth) throw new ConfFileError(`includes nested deeper than ${this.maxDepth} levels at "${path}"`, from)
    let buf: Buffer
    try {
      buf = readFileSync(path)
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      // open() succeeds on a directory; nginx's read of it is what fails, and says no place
      if (err.code === 'EISDIR') throw new ConfFileError(`pread() "${path}" failed (${systemErrorText(err)})`, undefined, 'crit')
      throw new ConfFileError(`open() "${path}" failed (${systemErrorText(err)})`, from)
    }
    return this.parseSource(new ConfSource(buf, path), out)
  }

  parseSource(src: ConfSource, out: ConfDirective[]): number {
    if (!this.files.includes(src.file)) this.files.push(src.file)
    this.stack.push(src.file)
    const endLine = this.parse(src, src.commandLine ? 'param' : 'file', out)
    this.stack.pop()
    return endLine
  }
}

const dirOf = (file: string): string => file.slice(0, file.lastIndexOf('/') + 1)

/**
 * Parses the configuration file at path (made absolute against the working directory when
 * relative, as nginx does with its prefix) and every file it includes.
 *
 * @example
 * const conf = parseConfFile('/srv/app/conf/nginx.conf')
 * for (const d of conf.directives) console.log(d.name, d.args.map((a) => a.value), `${d.file}:${d.line}`)
 */
export function parseConfFile(path: string, options: ConfParseOptions = {}): ConfRoot {
  const file = path.startsWith('/') ? path : resolve(path)
  const p = new Parser(options.prefix ?? dirOf(file), options)
  const directives: ConfDirective[] = []
  const endLine = p.parseFile(file, undefined, directives)
  return { file, directives, files: p.files, line: 1, endLine }
}

/**
 * Parses text as the contents of file (the name positions and errors carry; includes are
 * read from disk relative to the prefix, by default file's directory).
 *
 * @example
 * parseConfString('worker_processes 2;\nevents {}\n', '/srv/app/conf/nginx.conf').directives[1]?.block
 */
export function parseConfString(text: string, file: string, options: ConfParseOptions = {}): ConfRoot {
  const p = new Parser(options.prefix ?? dirOf(resolve(file)), options)
  const directives: ConfDirective[] = []
  const endLine = p.parseSource(new ConfSource(Buffer.from(text, 'utf8'), file), directives)
  return { file, directives, files: p.files, line: 1, endLine }
}

/**
 * Parses an `nginx -g` parameter (`'daemon off; worker_processes 2;'`): no blocks, and errors
 * located `in command line`. Relative includes start from options.prefix (default: the cwd).
 *
 * @example
 * parseConfParam('daemon off;').directives[0]?.name // 'daemon'
 */
export function parseConfParam(text: string, options: ConfParseOptions = {}): ConfRoot {
  const p = new Parser(options.prefix ?? process.cwd(), options)
  const directives: ConfDirective[] = []
  const endLine = p.parse(new ConfSource(Buffer.from(text, 'utf8'), '', true), 'param', directives)
  return { file: '', directives, files: p.files, line: 1, endLine }
}
