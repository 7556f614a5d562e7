// ngx.re: match / find / gmatch / sub / gsub and resty.core's ngx.re.split over JS RegExps that
// pcre.ts translates from PCRE. Positions are 1-based indexes of the subject string, as in
// ngx_lua; the Lua binding hands in latin1 strings of the bytes (or decoded UTF-8 with `u`), so
// they are byte offsets there. Compiled regexes are cached per worker (bounded like
// lua_regex_cache_max_entries).
import { ConfError } from './errors.ts'
import { compileRegex } from './pcre.ts'
import type { PcreRegExp } from './pcre.ts'
import { fail, ok } from './result.ts'
import type { Result } from './result.ts'

/** A match: `[0]` the whole match, `[1..n]` groups (`false` when unmatched), names as keys. */
export type ReMatch = Record<string | number, string | false | string[]>

/** `ctx` of match / find / gmatch / split: `pos` is the 1-based start, updated after a match. */
export interface ReCtx { pos?: number }

/** A compiled regex, as the cache keeps it. */
export interface CompiledRe {
  readonly re: RegExp // with the g or (option a) y flag
  readonly ncaptures: number
  readonly groups?: readonly number[] // JS group of each PCRE group, when atomic groups add hidden ones
  readonly names: ReadonlyArray<readonly [string, number]> // [name, group number]
  readonly dupnames: boolean
  readonly dfa: boolean // option d: the longest match at the leftmost start, no groups
}

const FLAGS = 'adDijJmosuUx'
const CACHE_MAX = 1024
const cache = new Map<string, CompiledRe>()
let cachedWithO = 0 // regexes compiled with o (what ngx_lua caches): ngx.re.opt refuses then

const PCRE1_WORDING: ReadonlyArray<readonly [string, string]> = [
  ['missing closing parenthesis', 'missing )'],
  ['unmatched closing parenthesis', 'unmatched parentheses'],
  ['quantifier does not follow a repeatable item', 'nothing to repeat'],
  ['two named subpatterns have the same name (PCRE2_DUPNAMES not set)', 'two named subpatterns have the same name'],
  ['subpattern name must start with a non-digit', 'group name must start with a non-digit'],
]

/** Checks the option letters; a letter ngx_lua does not know throws as resty.core does. */
function checkFlags(flags: string): void {
  for (const f of flags) if (!FLAGS.includes(f)) throw new Error(`unknown flag "${f}" (flags "${flags}")`)
}

const NAMED = /\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/g

/** Renames repeated group names (option D) to `name__nrestydupK`; without D a repeat is PCRE's error. */
function dupNames(pattern: string, allow: boolean): string | Error {
  const seen = new Map<string, number>()
  let err: Error | undefined
  const out = pattern.replace(NAMED, (m: string, a: string | undefined, b: string | undefined, at: number) => {
    const name = (a ?? b) as string
    if (at > 0 && pattern[at - 1] === '\\') return m
    const k = (seen.get(name) ?? 0) + 1
    seen.set(name, k)
    if (k === 1) return m
    if (!allow) err ??= new Error(`two named subpatterns have the same name in "${pattern}" at "${pattern.slice(at + m.length - 1)}"`)
    return `(?<${name}__nrestydup${k}>`
  })
  return err ?? out
}

/**
 * Compiles `pattern` with ngx.re's option letters; `err` is ngx_lua's
 * `pcre_compile() failed: <why> in "<pattern>"`. Option letters it does not know throw.
 */
export function compileRe(pattern: string, flags = ''): Result<CompiledRe, string> {
  checkFlags(flags)
  const key = `${flags}\0${pattern}`
  const hit = cache.get(key)
  if (hit !== undefined) return ok(hit)
  const renamed = dupNames(pattern, flags.includes('D'))
  if (renamed instanceof Error) return fail(`pcre_compile() failed: ${renamed.message}`)
  let js: PcreRegExp
  try {
    js = compileRegex(renamed, flags.includes('i'), {
      multiline: flags.includes('m'), dotAll: flags.includes('s'), extended: flags.includes('x'),
      utf: flags.includes('u') || flags.includes('U'), atomic: true,
    })
  } catch (e) {
    if (!(e instanceof ConfError)) throw e
    let msg = e.message.replace(/^pcre2_compile\(\) failed: /, '').replace(renamed, pattern)
    for (const [v2, v1] of PCRE1_WORDING) if (msg.startsWith(v2)) msg = v1 + msg.slice(v2.length)
    const at = (e as { pcreOffset?: number }).pcreOffset
    if (at !== undefined && at < pattern.length && renamed === pattern) msg += ` at "${pattern.slice(at)}"`
    return fail(`pcre_compile() failed: ${msg}`)
  }
  const re = new RegExp(js.source, js.flags + (flags.includes('a') ? 'y' : 'g'))
  const groups = js.groupMap
  const ncaptures = groups !== undefined ? groups.length - 1 : (new RegExp(`${js.source}|`, js.flags).exec('') as RegExpExecArray).length - 1
  const names: [string, number][] = []
  const probe = new RegExp(`${js.source}|`, js.flags).exec('') as RegExpExecArray
  for (const name of Object.keys(probe.groups ?? {})) names.push([name, groupNumber(js.source, name)])
  const dfa = flags.includes('d')
  const c: CompiledRe = dfa
    ? { re, ncaptures: 0, names: [], dupnames: false, dfa }
    : { re, ncaptures, names, dupnames: flags.includes('D'), dfa, ...(groups !== undefined ? { groups } : {}) }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string)
  cache.set(key, c)
  if (flags.includes('o')) cachedWithO++
  return ok(c)
}

/** The number of the group named `name` in a JS source (counting the capturing openers). */
function groupNumber(src: string, name: string): number {
  let n = 0
  let inClass = false
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === '\\') { i++; continue }
    if (inClass) { if (c === ']') inClass = false; continue }
    if (c === '[') { inClass = true; continue }
    if (c !== '(') continue
    if (src[i + 1] !== '?') { n++; continue }
    if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') {
      n++
      if (src.startsWith(`(?<${name}>`, i)) return n
    }
  }
  return 0
}

/** Runs `c` on `subject` from the 0-based index `from`; `undefined` when it does not match. */
export function execRe(c: CompiledRe, subject: string, from: number): RegExpExecArray | undefined {
  c.re.lastIndex = from
  const m = c.re.exec(subject) ?? undefined
  return m === undefined || !c.dfa ? m : longest(c, subject, m)
}

/**
 * Option d (PCRE's DFA matcher): JS finds the leftmost start; the longest match from there is
 * the largest end for which the regex, sticky at the start, can end exactly there.
 */
function longest(c: CompiledRe, subject: string, m: RegExpExecArray): RegExpExecArray {
  const start = m.index
  const flags = c.re.flags.replace('g', '').replace('y', '') + 'y'
  for (let end = subject.length; end > start + (m[0] as string).length; end--) {
    const re = new RegExp(`(?:${c.re.source})(?<=[\\s\\S]{${end}})(?<![\\s\\S]{${end + 1}})`, flags)
    re.lastIndex = start
    const x = re.exec(subject)
    if (x !== null) {
      const r = [subject.slice(start, end)] as unknown as RegExpExecArray
      r.index = start
      return r
    }
  }
  const r = [m[0]] as unknown as RegExpExecArray
  r.index = start
  return r
}

/** PCRE group `k` of an exec result. */
const group = (c: CompiledRe, m: RegExpExecArray, k: number): string | undefined => m[c.groups?.[k] ?? k]

/** The match table of an exec result, as ngx_lua builds it. */
export function matchTable(c: CompiledRe, m: RegExpExecArray, res?: ReMatch): ReMatch {
  const t: ReMatch = res ?? {}
  for (let k = 0; k <= c.ncaptures; k++) t[k] = group(c, m, k) ?? false
  const fresh = new Set<string>()
  for (const [name, num] of c.names) {
    const v = m[num] ?? false
    const base = name.replace(/__nrestydup\d+$/, '')
    if (!c.dupnames) t[base] = v
    else {
      const prev = t[base]
      const arr = fresh.has(base) && Array.isArray(prev) ? prev : []
      fresh.add(base)
      if (v !== false) arr.push(v)
      t[base] = arr
    }
  }
  return t
}

const startOf = (subject: string, ctx: ReCtx | undefined): number | string => {
  const pos = ctx?.pos ?? 1
  const i = pos > 0 ? pos - 1 : 0
  return i > subject.length ? 'pcre_exec() failed: -24' : i
}

/** ngx.re.match: the match table, `undefined` when nothing matches; `err` for a bad regex. */
export function reMatch(subject: string, regex: string, flags?: string, ctx?: ReCtx, res?: ReMatch): Result<ReMatch | undefined, string> {
  const c = compileRe(regex, flags ?? '')
  if (!c.ok) return c
  const from = startOf(subject, ctx)
  if (typeof from === 'string') return fail(from)
  const m = execRe(c.value, subject, from)
  if (m === undefined) return ok(undefined)
  if (ctx !== undefined) ctx.pos = m.index + (m[0] as string).length + 1
  return ok(matchTable(c.value, m, res))
}

/** ngx.re.find: 1-based inclusive `[from, to]` of the match (or of group `nth`); `undefined` when no match. */
export function reFind(subject: string, regex: string, flags?: string, ctx?: ReCtx, nth = 0): Result<readonly [number, number] | undefined, string> {
  const c = compileRe(regex, flags ?? '')
  if (!c.ok) return c
  if (nth > c.value.ncaptures) return fail('nth out of bound')
  const from = startOf(subject, ctx)
  if (typeof from === 'string') return fail(from)
  const m = execRe(c.value, subject, from)
  if (m === undefined) return ok(undefined)
  if (ctx !== undefined) ctx.pos = m.index + (m[0] as string).length + 1
  const g = group(c.value, m, nth)
  if (g === undefined) return ok(undefined)
  const start = nth === 0 ? m.index : groupStart(c.value, subject, m, nth)
  return ok([start + 1, start + g.length])
}

const withIndices = new WeakMap<CompiledRe, RegExp>()

/** The start of group `nth`: the match again, with JS's d flag (group indices). */
function groupStart(c: CompiledRe, subject: string, m: RegExpExecArray, nth: number): number {
  let re = withIndices.get(c)
  if (re === undefined) withIndices.set(c, (re = new RegExp(c.re.source, c.re.flags.replace(/[gy]/, '') + 'dy')))
  re.lastIndex = m.index
  const x = re.exec(subject) as (RegExpExecArray & { indices: Array<[number, number] | undefined> }) | null
  return x?.indices[c.groups?.[nth] ?? nth]?.[0] ?? m.index
}

/** ngx.re.gmatch: an iterator of match tables (`undefined` at the end). */
export function reGmatch(subject: string, regex: string, flags?: string): Result<() => ReMatch | undefined, string> {
  const c = compileRe(regex, flags ?? '')
  if (!c.ok) return c
  let pos = 0
  let done = false
  return ok(() => {
    if (done || pos > subject.length) { done = true; return undefined }
    const m = execRe(c.value, subject, pos)
    if (m === undefined) { done = true; return undefined }
    const end = m.index + (m[0] as string).length
    pos = end === m.index ? end + 1 : end
    return matchTable(c.value, m)
  })
}

/** A parsed replacement template: literal pieces and group numbers. */
type Template = ReadonlyArray<string | number>

/** Parses `$0`, `$1`, `${1}`, `$$` (ngx_lua: named references and a lone `$` are errors). */
export function parseTemplate(t: string): Template | undefined {
  const out: (string | number)[] = []
  let lit = ''
  for (let i = 0; i < t.length; i++) {
    const ch = t[i] as string
    if (ch !== '$') { lit += ch; continue }
    const next = t[i + 1]
    if (next === '$') { lit += '$'; i++; continue }
    let m = /^\d+/.exec(t.slice(i + 1))
    let len = m?.[0].length ?? 0
    if (m === null && next === '{') {
      m = /^\{(\d+)\}/.exec(t.slice(i + 1))
      len = m?.[0].length ?? 0
    }
    if (m === null) return undefined
    out.push(lit, Number(m[1] ?? m[0]))
    lit = ''
    i += len
  }
  out.push(lit)
  return out
}

/** A replacement: a template string or a function of the match table answering the text. */
export type Replacement = string | ((m: ReMatch) => string)

function substitute(subject: string, regex: string, repl: Replacement, flags: string | undefined, global: boolean): Result<readonly [string, number], string> {
  const c = compileRe(regex, flags ?? '')
  if (!c.ok) return c
  const tpl = typeof repl === 'string' ? parseTemplate(repl) : undefined
  if (typeof repl === 'string' && tpl === undefined) return fail('failed to compile the replacement template')
  let out = ''
  let last = 0
  let pos = 0
  let n = 0
  while (pos <= subject.length) {
    const m = execRe(c.value, subject, pos)
    if (m === undefined) break
    const end = m.index + (m[0] as string).length
    out += subject.slice(last, m.index)
    if (tpl !== undefined) for (const p of tpl) out += typeof p === 'string' ? p : (group(c.value, m, p) ?? '')
    else out += (repl as (m: ReMatch) => string)(matchTable(c.value, m))
    last = end
    n++
    if (!global) break
    pos = end === m.index ? end + 1 : end
  }
  return ok([out + subject.slice(last), n])
}

/** ngx.re.sub: replaces the first match; `[new, count]`. */
export function reSub(subject: string, regex: string, repl: Replacement, flags?: string): Result<readonly [string, number], string> {
  return substitute(subject, regex, repl, flags, false)
}

/** ngx.re.gsub: replaces every match; `[new, count]`. */
export function reGsub(subject: string, regex: string, repl: Replacement, flags?: string): Result<readonly [string, number], string> {
  return substitute(subject, regex, repl, flags, true)
}

/**
 * resty.core's ngx.re.split: the pieces between matches (the first group, when the regex has
 * one, goes between them); `""` splits into characters; `max` > 0 limits the pieces; trailing
 * empty pieces are dropped. `res` is filled in place (the slot after the last piece is cleared).
 */
export function reSplit(subject: string, regex: string, flags?: string, ctx?: ReCtx, max?: number, res?: string[]): Result<string[], string> {
  const c = compileRe(regex, flags ?? '')
  if (!c.ok) return c
  const from = startOf(subject, ctx)
  if (typeof from === 'string') return fail(from)
  const out: string[] = []
  const limit = max !== undefined && max > 0 ? max : Infinity
  let last = from
  let pos = from
  while (out.length < limit - 1 && pos <= subject.length) {
    const m = execRe(c.value, subject, pos)
    if (m === undefined) break
    const end = m.index + (m[0] as string).length
    if (end === m.index) {
      if (m.index >= subject.length) break
      if (m.index === last) { pos = m.index + 1; continue } // no empty piece from an empty match
    }
    out.push(subject.slice(last, m.index))
    const first = c.value.ncaptures > 0 ? group(c.value, m, 1) : undefined
    if (first !== undefined) out.push(first)
    last = end
    pos = end === m.index ? end + 1 : end
  }
  out.push(subject.slice(last))
  if (limit === Infinity) while (out.length > 0 && out[out.length - 1] === '') out.pop()
  if (res === undefined) return ok(out)
  out.forEach((s, k) => { res[k] = s })
  res.length = Math.max(res.length, out.length)
  if (res.length > out.length) delete res[out.length]
  return ok(res)
}

/**
 * resty.core's ngx.re.opt: only `jit_stack_size` exists (JS has no JIT stack to size; the value
 * is accepted), and only before a regex was compiled with `o`.
 */
export function reOpt(name: string, _value: number): void {
  if (name !== 'jit_stack_size') throw new Error('unrecognized option name')
  if (cachedWithO > 0) throw new Error('changing jit stack size is not allowed when some regexs have already been compiled and cached')
}

/** `ngx.re` of the TS API (one shared object: the cache is per worker, not per request). */
export interface NgxRe {
  readonly match: typeof reMatch
  readonly find: typeof reFind
  readonly gmatch: typeof reGmatch
  readonly sub: typeof reSub
  readonly gsub: typeof reGsub
  readonly split: typeof reSplit
  readonly opt: typeof reOpt
  /** Compiles (and caches) a regex: for bindings that check the pattern before the subject. */
  readonly compile: typeof compileRe
}

/** The `ngx.re` object that NgxRequest and NgxContext return. */
export const NGX_RE: NgxRe = Object.freeze({
  match: reMatch, find: reFind, gmatch: reGmatch, sub: reSub, gsub: reGsub, split: reSplit, opt: reOpt, compile: compileRe,
})
