// nginx location matching (ngx_http_core_find_location), nested locations included.
import { ConfError } from './errors.ts'
import { compileRegex } from './pcre.ts'

export type LocationKind = 'exact' | 'prefix' | 'noregex' | 'regex' | 'iregex' | 'named'

export interface ParsedLocation {
  readonly kind: LocationKind
  /** The literal for exact/prefix/noregex, the name with `@` for named, the pattern source for regexes. */
  readonly path: string
  readonly regex: RegExp | undefined
}

export interface LocationMatch<T> {
  readonly value: T
  /** [0] whole match, [1..] groups ($1..$9); unmatched groups are `''`. */
  readonly captures: readonly string[] | undefined
  /** Named captures of every regex that matched on the way (they become nginx variables). */
  readonly groups: Readonly<Record<string, string>> | undefined
}

/**
 * Parses what follows `location` in nginx.conf: `= /x`, `^~ /a/`, `/p`, `~ re`, `~* re`,
 * `@name`, and the glued forms nginx accepts (`=/x`, `~re`, `~*re`; `^~/a` is a plain prefix
 * named `^~/a`). The modifier ends at the first whitespace; the rest is the path or pattern as
 * is (already unquoted). Throws nginx's `[emerg]` text as a ConfError.
 */
export function parseLocation(spec: string): ParsedLocation {
  spec = spec.trim()
  if (spec === '') throw new ConfError('invalid number of arguments in "location" directive')
  const sp = spec.search(/\s/)
  if (sp > 0) {
    const mod = spec.slice(0, sp)
    const path = spec.slice(sp).trimStart()
    if (mod === '=') return { kind: 'exact', path, regex: undefined }
    if (mod === '^~') return { kind: 'noregex', path, regex: undefined }
    if (mod === '~') return { kind: 'regex', path, regex: compileRegex(path, false) }
    if (mod === '~*') return { kind: 'iregex', path, regex: compileRegex(path, true) }
    throw new ConfError(`invalid location modifier "${mod}"`)
  }
  if (spec[0] === '=') return { kind: 'exact', path: spec.slice(1), regex: undefined }
  if (spec.startsWith('~*')) return { kind: 'iregex', path: spec.slice(2), regex: compileRegex(spec.slice(2), true) }
  if (spec[0] === '~') return { kind: 'regex', path: spec.slice(1), regex: compileRegex(spec.slice(1), false) }
  return { kind: spec[0] === '@' ? 'named' : 'prefix', path: spec, regex: undefined }
}

interface Entry<T> {
  readonly loc: ParsedLocation
  readonly children: LocationTree<T> | undefined
  readonly groups: number // capture groups of a regex location
  readonly hit: LocationMatch<T> // the result when no regex captured anything
}

// Match state of the running find(): JS is single-threaded and find() is synchronous.
let found: Entry<unknown> | undefined
let caps: string[] | undefined
let named: Record<string, string> | undefined
const DECLINED = 0
const FINAL = 1 // NGX_OK (exact) or NGX_DONE (regex): stop looking

/** A server's (or a location's nested) locations, searched as ngx_http_core_find_location does. */
export class LocationTree<T> {
  readonly #exact = new Map<string, Entry<T>>()
  readonly #prefixes: Entry<T>[] = [] // prefix and ^~, longest first
  readonly #regexes: Entry<T>[] = [] // in configuration order
  readonly #named = new Map<string, T>()
  readonly #all: Entry<T>[] = []

  /**
   * Adds a location; `children` holds its nested locations. Throws nginx's `[emerg]` texts
   * (`duplicate location "/x"`, `location "/b" is outside location "/a"`, …) as ConfErrors.
   */
  add(spec: string | ParsedLocation, value: T, children?: LocationTree<T>): void {
    let loc = typeof spec === 'string' ? parseLocation(spec) : spec
    if ((loc.kind === 'regex' || loc.kind === 'iregex') && loc.regex === undefined) {
      loc = { ...loc, regex: compileRegex(loc.path, loc.kind === 'iregex') }
    }
    const isRegex = loc.regex !== undefined
    for (const c of children === undefined ? [] : children.#all) {
      const inner = c.loc
      if (loc.kind === 'exact') throw new ConfError(`location "${inner.path}" cannot be inside the exact location "${loc.path}"`)
      if (loc.kind === 'named') throw new ConfError(`location "${inner.path}" cannot be inside the named location "${loc.path}"`)
      if (inner.kind === 'named') throw new ConfError(`named location "${inner.path}" can be on the server level only`)
      if (inner.regex === undefined && !inner.path.startsWith(loc.path)) throw new ConfError(`location "${inner.path}" is outside location "${loc.path}"`)
    }
    const inclusive = loc.kind === 'prefix' || loc.kind === 'noregex'
    const dup = loc.kind === 'exact' ? this.#exact.has(loc.path) : inclusive && this.#prefixes.some((p) => p.loc.path === loc.path)
    if (dup) throw new ConfError(`duplicate location "${loc.path}"`)
    // capture groups: an empty alternative makes any pattern match '', with every group unset
    const groups = isRegex ? (new RegExp(`(?:${(loc.regex as RegExp).source})|`, loc.regex?.flags).exec('') as RegExpExecArray).length - 1 : 0
    const e: Entry<T> = {
      loc,
      children: children !== undefined && children.#all.length !== 0 ? children : undefined,
      groups,
      hit: { value, captures: undefined, groups: undefined },
    }
    this.#all.push(e)
    if (loc.kind === 'named') {
      if (!this.#named.has(loc.path)) this.#named.set(loc.path, value) // nginx uses the first one
    } else if (loc.kind === 'exact') {
      this.#exact.set(loc.path, e)
    } else if (inclusive) {
      this.#prefixes.push(e)
      this.#prefixes.sort((a, b) => b.loc.path.length - a.loc.path.length)
    } else {
      this.#regexes.push(e)
    }
  }

  /** The location for a (normalized) `$uri`, or undefined when none matches (server level). */
  find(uri: string): LocationMatch<T> | undefined {
    found = undefined
    caps = undefined
    named = undefined
    LocationTree.#search(this, uri)
    const e = found as Entry<T> | undefined
    if (e === undefined) return undefined
    if (caps === undefined && named === undefined) return e.hit
    return { value: e.hit.value, captures: caps, groups: named }
  }

  /** A named location (`@name`, with the `@`), for ngx.exec / error_page / try_files. */
  named(name: string): T | undefined {
    return this.#named.get(name)
  }

  static #search<T>(tree: LocationTree<T>, uri: string): number {
    if (tree.#exact.size !== 0) {
      const e = tree.#exact.get(uri)
      if (e !== undefined) {
        found = e
        return FINAL
      }
    }
    let noregex = false
    for (const p of tree.#prefixes) {
      if (!uri.startsWith(p.loc.path)) continue
      found = p
      noregex = p.loc.kind === 'noregex'
      if (p.children !== undefined && LocationTree.#search(p.children, uri) === FINAL) return FINAL
      break
    }
    if (noregex) return DECLINED
    for (const r of tree.#regexes) {
      const re = r.loc.regex as RegExp
      if (r.groups === 0) {
        if (!re.test(uri)) continue
        caps = undefined // nginx drops $1..$9 after a regex without captures
      } else {
        const m = re.exec(uri)
        if (m === null) continue
        for (let k = 0; k < m.length; k++) if (m[k] === undefined) m[k] = ''
        caps = m as string[]
        if (m.groups !== undefined) {
          named = { ...named }
          for (const [k, v] of Object.entries(m.groups)) named[k] = v ?? ''
        }
      }
      found = r
      if (r.children !== undefined) LocationTree.#search(r.children, uri)
      return FINAL
    }
    return DECLINED
  }
}
