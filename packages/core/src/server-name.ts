// Virtual server selection by name (ngx_http_find_virtual_server): exact names, then the
// longest leading wildcard, then the longest trailing wildcard, then regexes in order. Also
// the Host header check (ngx_http_validate_host).
import { ConfError } from './errors.ts'
import { compileRegex } from './pcre.ts'

export interface ServerNameMatch<T> {
  readonly value: T
  /** [0] whole match, [1..] groups, for a regex name; unmatched groups are `''`. */
  readonly captures: readonly string[] | undefined
  /** Named captures of a regex name; nginx makes them variables (`$user`). */
  readonly groups: Readonly<Record<string, string>> | undefined
}

interface Wildcard<T> {
  readonly hit: ServerNameMatch<T>
  readonly bare: boolean // `.example.org` also matches `example.org` itself
}

interface RegexName<T> {
  readonly re: RegExp
  readonly value: T
}

const hitOf = <T>(value: T): ServerNameMatch<T> => ({ value, captures: undefined, groups: undefined })

/** The `server_name` index of one listen address. */
export class ServerNameMatcher<T> {
  readonly #exact = new Map<string, ServerNameMatch<T>>()
  readonly #head = new Map<string, Wildcard<T>>() // `*.x.org` / `.x.org` keyed by `x.org`
  readonly #tail = new Map<string, ServerNameMatch<T>>() // `www.x.*` keyed by `www.x`
  readonly #regexes: RegexName<T>[] = []

  /**
   * Adds one `server_name` argument. Names are compared case-insensitively; `~re` is a regex,
   * case-insensitive only when it has an uppercase letter (as nginx compiles it). Returns false
   * when nginx would warn `conflicting server name "NAME" on ADDR, ignored` (the first one
   * stays). Throws nginx's `[emerg]` texts; the `invalid server name or wildcard` one is
   * followed by ` on ADDR` in nginx's log. A name with `/` only makes nginx warn
   * `server name "NAME" has suspicious symbols`.
   */
  add(name: string, value: T): boolean {
    if (name[0] === '~') {
      const src = name.slice(1)
      this.#regexes.push({ re: compileRegex(src, /[A-Z]/.test(src)), value })
      return true
    }
    const ch = name[0]
    if ((ch === '*' && (name.length < 3 || name[1] !== '.')) || (ch === '.' && name.length < 2)) {
      throw new ConfError(`server name "${name}" is invalid`)
    }
    const n = lowerAscii(name)
    const stars = n.split('*').length - 1
    if (stars > 1 || n.includes('..') || n.includes('\0')) throw new ConfError(`invalid server name or wildcard "${name}"`)
    if (n.length > 1 && n[0] === '.') {
      const key = n.slice(1)
      if (this.#exact.has(key) || this.#head.has(key)) return false
      this.#head.set(key, { hit: hitOf(value), bare: true })
    } else if (n.length > 2 && n.startsWith('*.')) {
      const key = n.slice(2)
      if (this.#head.has(key)) return false
      this.#head.set(key, { hit: hitOf(value), bare: false })
    } else if (n.length > 2 && n.endsWith('.*')) {
      const key = n.slice(0, -2)
      if (this.#tail.has(key)) return false
      this.#tail.set(key, hitOf(value))
    } else if (stars !== 0) {
      throw new ConfError(`invalid server name or wildcard "${name}"`)
    } else {
      if (this.#exact.has(n) || this.#head.get(n)?.bare === true) return false
      this.#exact.set(n, hitOf(value))
    }
    return true
  }

  /**
   * The server for a Host already passed through normalizeHost; `''` (no Host header) finds
   * only a `server_name ""`. Non-regex results are shared objects: no allocation.
   */
  find(host: string): ServerNameMatch<T> | undefined {
    const e = this.#exact.get(host)
    if (e !== undefined || host === '') return e
    if (this.#head.size !== 0) {
      const self = this.#head.get(host)
      if (self?.bare === true) return self.hit
      for (let i = host.indexOf('.'); i !== -1; i = host.indexOf('.', i + 1)) {
        const w = this.#head.get(host.slice(i + 1))
        if (w !== undefined) return w.hit
      }
    }
    if (this.#tail.size !== 0) {
      for (let i = host.lastIndexOf('.'); i > 0; i = host.lastIndexOf('.', i - 1)) {
        const t = this.#tail.get(host.slice(0, i))
        if (t !== undefined) return t
      }
    }
    for (const r of this.#regexes) {
      const m = r.re.exec(host)
      if (m === null) continue
      for (let k = 0; k < m.length; k++) if (m[k] === undefined) m[k] = ''
      let groups: Record<string, string> | undefined
      if (m.groups !== undefined) {
        groups = {}
        for (const [k, v] of Object.entries(m.groups)) groups[k] = v ?? ''
      }
      return { value: r.value, captures: m.length > 1 ? (m as string[]) : undefined, groups }
    }
    return undefined
  }
}

function lowerAscii(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c | 0x20) : s[i]
  }
  return out
}

/**
 * The Host header as nginx keeps it (ngx_http_validate_host): `:port` cut off (after `]` for
 * `[v6]`), one trailing dot dropped, ASCII lowercased. Undefined for what nginx answers with
 * 400 "client sent invalid host header": empty, `..`, `/`, `\0`, bytes <= 0x20 or 0x7f
 * anywhere (port included). `raw` is a latin1 string (one char per byte).
 */
export function normalizeHost(raw: string): string | undefined {
  const len = raw.length
  let dot = -2 // position of the last '.'
  let hostLen = len
  let state = 0 // 0 usual, 1 inside [literal], 2 after the host
  let upper = false
  let high = false
  for (let i = 0; i < len; i++) {
    const c = raw.charCodeAt(i)
    if (c === 0x2e) {
      if (dot === i - 1) return undefined
      dot = i
    } else if (c === 0x3a) {
      if (state === 0) {
        hostLen = i
        state = 2
      }
    } else if (c === 0x5b) {
      if (i === 0) state = 1
    } else if (c === 0x5d) {
      if (state === 1) {
        hostLen = i + 1
        state = 2
      }
    } else if (c <= 0x20 || c === 0x7f || c === 0x2f) {
      return undefined
    } else if (c >= 0x41 && c <= 0x5a) {
      if (i < hostLen) upper = true
    } else if (c >= 0x80) {
      high = true
    }
  }
  if (dot === hostLen - 1) hostLen--
  if (hostLen <= 0) return undefined
  if (!upper) return hostLen === len ? raw : raw.slice(0, hostLen)
  const h = raw.slice(0, hostLen)
  return high ? lowerAscii(h) : h.toLowerCase()
}
