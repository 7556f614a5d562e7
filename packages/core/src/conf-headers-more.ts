// headers-more's directives for the nginx.conf front end: `more_set_headers`,
// `more_clear_headers` (a header filter on the response headers) and `more_set_input_headers`,
// `more_clear_input_headers` (a rewrite handler on the request headers), with their `-s`
// (statuses), `-t` (content types) and `-r` (replace only) options and `Name*` wildcards.
// A level runs its outer levels' commands first, then its own (measured). See conf-echo.md.
import { attachLevelHandler, argTemplate, renderWith, requestOf } from './conf-echo.ts'
import { confError, registerDirective } from './conf-directives.ts'
import type { ConfContext, ConfScope } from './conf-directives.ts'
import type { ConfDirective } from './conf-parse.ts'
import type { Ngx } from './ngx.ts'
import type { Template } from './template.ts'

/** One header of a command: set (a value) or cleared (no value; a `Name*` prefix when wildcard). */
export interface MoreHeader {
  readonly name: string
  /** Lower-case name, or the prefix before `*`. */
  readonly key: string
  readonly wildcard: boolean
  /** undefined: clear the header. */
  readonly value: Template | undefined
}

/** One `more_*` directive, read. */
export interface MoreCmd {
  readonly statuses: readonly number[] | undefined
  /** Lower-case content types, compared without parameters. */
  readonly types: readonly string[] | undefined
  readonly replaceOnly: boolean
  readonly headers: readonly MoreHeader[]
}

type Kind = 'set' | 'clear' | 'set_input' | 'clear_input'

/** Reads a directive's options and headers, with the module's messages. */
export function parseMore(d: ConfDirective, scope: ConfScope, kind: Kind): MoreCmd {
  const input = kind === 'set_input' || kind === 'clear_input'
  const clear = kind === 'clear' || kind === 'clear_input'
  let statuses: number[] | undefined
  let types: string[] | undefined
  let replaceOnly = false
  const headers: MoreHeader[] = []
  const args = d.args.map((a) => a.value)
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a.length > 1 && a[0] === '-') {
      if (a === '-r' && input) {
        replaceOnly = true
        continue
      }
      if ((a === '-s' && !input) || a === '-t') {
        const v = args[++i]
        if (v === undefined) throw confError(d, `${d.name}: option ${a} takes an argument.`)
        if (a === '-t') {
          types ??= []
          for (const t of v.split(/\s+/)) if (t !== '') types.push(t.toLowerCase())
        } else {
          statuses ??= []
          for (const code of v.split(/\s+/)) {
            if (code === '') continue
            const bad = /\D/.exec(code)
            if (bad !== null) throw confError(d, `${d.name}: invalid digit "${bad[0]}" found in the status code list "${v}"`)
            statuses.push(Number(code))
          }
        }
        continue
      }
      throw confError(d, `${d.name}: invalid option name: "${a}"`)
    }
    headers.push(readHeader(d, scope, a, clear))
  }
  return { statuses, types, replaceOnly, headers }
}

/** `Name: value` (or a name alone, for the clear directives and a set that clears). */
function readHeader(d: ConfDirective, scope: ConfScope, text: string, clear: boolean): MoreHeader {
  const colon = clear ? -1 : text.indexOf(':')
  const name = (colon < 0 ? text : text.slice(0, colon)).trim()
  const raw = colon < 0 ? '' : text.slice(colon + 1).replace(/^\s+/, '')
  const wildcard = name.endsWith('*')
  const key = (wildcard ? name.slice(0, -1) : name).toLowerCase()
  const value = raw === '' ? undefined : argTemplate(d, scope, raw)
  return { name, key, wildcard, value }
}

/** The base of a content type, without parameters, lower-case. */
function baseType(ct: string | undefined): string {
  if (ct === undefined) return ''
  const semi = ct.indexOf(';')
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase()
}

/** The response's content type as nginx's header filter has it (the default type unless a handler set or removed one). */
function responseType(ngx: Ngx): string {
  const r = requestOf(ngx)
  const h = r._headers()
  const set = ngx.header['Content-Type']
  if (set !== undefined && set !== null) return baseType(String(Array.isArray(set) ? set[set.length - 1] : set))
  return h.contentTypeSet ? '' : baseType(r._loc.defaultType)
}

function matches(cmd: MoreCmd, status: number, type: string): boolean {
  if (cmd.statuses !== undefined && !cmd.statuses.includes(status)) return false
  if (cmd.types !== undefined && !cmd.types.includes(type)) return false
  return true
}

/** Names of the current headers whose lower-case name starts with `prefix`. */
function namesWithPrefix(all: Readonly<Record<string, unknown>>, prefix: string): string[] {
  return Object.keys(all).filter((k) => k.toLowerCase().startsWith(prefix))
}

function outputFilter(cmds: () => readonly MoreCmd[]): (ngx: Ngx) => void {
  return (ngx) => {
    const status = ngx.status
    const type = responseType(ngx)
    for (const cmd of cmds()) {
      if (!matches(cmd, status, type)) continue
      for (const h of cmd.headers) {
        if (h.wildcard) {
          const all = ngx.resp.getHeaders(0, true).headers
          for (const name of namesWithPrefix(all, h.key)) if (name !== 'connection') ngx.header[name] = undefined
        } else {
          ngx.header[h.name] = h.value === undefined ? undefined : renderWith(ngx, h.value)
        }
      }
    }
  }
}

function inputHandler(cmds: () => readonly MoreCmd[]): (ngx: Ngx) => void {
  return (ngx) => {
    for (const cmd of cmds()) {
      if (cmd.types !== undefined && !cmd.types.includes(baseType(ngx.var.content_type))) continue
      for (const h of cmd.headers) {
        const present = ngx.req.getHeaders(0, true).headers
        if (h.wildcard) {
          for (const name of namesWithPrefix(present, h.key)) ngx.req.clearHeader(name)
          continue
        }
        if (cmd.replaceOnly && !Object.keys(present).some((n) => n.toLowerCase() === h.key)) continue
        if (h.value === undefined) ngx.req.clearHeader(h.name)
        else ngx.req.setHeader(h.name, renderWith(ngx, h.value))
      }
    }
  }
}

const LEVELS: readonly ConfContext[] = ['http', 'server', 'location', 'location_if']

/** What one level keeps: its own commands, and those of the levels around it (read once the file is read). */
interface LevelCmds {
  readonly own: MoreCmd[]
  merged: readonly MoreCmd[] | undefined
}

/** The commands a level runs: its outer levels' first, then its own (headers-more's merge, measured). */
function mergedCmds(scope: ConfScope, key: string): readonly MoreCmd[] {
  const levels: LevelCmds[] = []
  for (let s: ConfScope | undefined = scope; s !== undefined; s = s.parent) {
    const l = s.data.get(key) as LevelCmds | undefined
    if (l !== undefined) levels.unshift(l)
  }
  return levels.flatMap((l) => l.own)
}

function register(name: string, kind: Kind): void {
  const input = kind === 'set_input' || kind === 'clear_input'
  const key = input ? 'more:input' : 'more:output'
  registerDirective({
    name, contexts: LEVELS, args: '1MORE',
    handler: (d, s) => {
      const cmd = parseMore(d, s, kind)
      let level = s.data.get(key) as LevelCmds | undefined
      if (level === undefined) {
        const l: LevelCmds = { own: [], merged: undefined }
        level = l
        s.data.set(key, l)
        const cmds = (): readonly MoreCmd[] => (l.merged ??= mergedCmds(s, key))
        attachLevelHandler(s.settings!, input ? 'rewrite' : 'headerFilter', input ? inputHandler(cmds) : outputFilter(cmds))
      }
      level.own.push(cmd)
      return undefined
    },
  })
}

register('more_set_headers', 'set')
register('more_clear_headers', 'clear')
register('more_set_input_headers', 'set_input')
register('more_clear_input_headers', 'clear_input')
