// The echo module's common directives for the nginx.conf front end: `echo`, `echo_sleep`,
// `echo_flush`, `echo_location`, `echo_location_async`, `echo_exec` (one content handler per
// location running them in written order) and `echo_before_body` / `echo_after_body` (a body
// filter). Their arguments are complex values, rendered per request with core's templates.
// Semantics measured on the reference (echo-nginx-module with nginx 1.22.1): see conf-echo.md.
import { registerDirective } from './conf-directives.ts'
import type { ConfContext, ConfScope } from './conf-directives.ts'
import type { ConfDirective } from './conf-parse.ts'
import { LOG_LEVELS } from './constants.ts'
import type { Handler, HandlerList, LevelSettings } from './gateway.ts'
import type { Ngx } from './ngx.ts'
import type { NgxRequest } from './request.ts'
import { compileTemplate } from './template.ts'
import type { Template } from './template.ts'

// ---------------------------------------------------------------------------------------------
// Sharing a level's handler lists with other extensions

type FilterField = 'rewrite' | 'headerFilter' | 'bodyFilter'

interface Slot {
  readonly mine: Handler[]
  other: HandlerList | undefined
}

const slots = new WeakMap<object, Map<FilterField, Slot>>()

function asList(h: HandlerList | undefined): readonly Handler[] {
  if (h === undefined) return []
  return typeof h === 'function' ? [h] : h
}

/**
 * Adds a module's handler to a level's list (`rewrite`, `headerFilter`, `bodyFilter`) so that
 * it runs before the list another extension writes there (ngx_lua's `*_by_lua`), whichever
 * directive comes first in the file: the modules loaded after ngx_lua sit above it in nginx's
 * filter chain (measured: headers-more's header filter and echo's body filter run before
 * ngx_lua's, and more_set_input_headers before rewrite_by_lua). The field becomes an accessor:
 * what others assign is kept beside this module's handlers.
 */
export function attachLevelHandler(settings: LevelSettings, field: FilterField, handler: Handler): void {
  let bySettings = slots.get(settings)
  if (bySettings === undefined) slots.set(settings, (bySettings = new Map()))
  let slot = bySettings.get(field)
  if (slot === undefined) {
    const s: Slot = { mine: [], other: settings[field] }
    slot = s
    bySettings.set(field, s)
    Object.defineProperty(settings, field, {
      configurable: true,
      enumerable: true,
      get: (): readonly Handler[] => [...s.mine, ...asList(s.other)],
      set: (v: HandlerList | undefined) => {
        s.other = v
      },
    })
  }
  slot.mine.push(handler)
}

/** The request behind a handler's `ngx` (core's own object). */
export function requestOf(ngx: Ngx): NgxRequest {
  return ngx as unknown as NgxRequest
}

/** Renders a template with the request's variables. */
export function renderWith(ngx: Ngx, t: Template): string {
  if (t.constant !== undefined) return t.constant
  const r = requestOf(ngx)
  return t.render((name) => r._lookupVar(name))
}

/** Compiles a directive argument as a complex value, recording its variables. */
export function argTemplate(d: ConfDirective, scope: ConfScope, source: string): Template {
  return compileTemplate(scope.conf.template(d, source))
}

// ---------------------------------------------------------------------------------------------
// echo's text arguments

/** `echo`'s arguments: the text parts (joined by a space) and whether a newline follows. */
export interface EchoText {
  readonly parts: readonly Template[]
  readonly newline: boolean
}

/**
 * Reads echo's options as the module does, from the written arguments (a variable holding
 * `-n` is text): leading arguments that start with `-` and have more after it are options;
 * `-n` drops the newline, `--` ends the options, any other one (`-x`, `-nx`) is dropped. A
 * lone `-` is text.
 */
export function echoText(d: ConfDirective, scope: ConfScope, args: readonly string[]): EchoText {
  let newline = true
  let i = 0
  for (; i < args.length; i++) {
    const a = args[i]!
    if (a.length < 2 || a[0] !== '-') break
    if (a === '--') {
      i++
      break
    }
    if (a === '-n') newline = false
  }
  return { parts: args.slice(i).map((a) => argTemplate(d, scope, a)), newline }
}

/** The bytes an `echo` writes. */
export function renderEcho(ngx: Ngx, e: EchoText): string {
  const text = e.parts.map((t) => renderWith(ngx, t)).join(' ')
  return e.newline ? `${text}\n` : text
}

// ---------------------------------------------------------------------------------------------
// The content handler: the location's echo commands in order

type EchoCmd =
  | { readonly op: 'echo'; readonly text: EchoText }
  | { readonly op: 'sleep'; readonly time: Template }
  | { readonly op: 'flush' }
  | { readonly op: 'location'; readonly async: boolean; readonly uri: Template; readonly args: Template | undefined }
  | { readonly op: 'exec'; readonly uri: Template; readonly args: Template | undefined }

/** echo_sleep's value: seconds with up to 3 decimals (the module reads it with ngx_atofp). */
export function sleepSeconds(text: string): number | undefined {
  const m = /^(\d*)(?:\.(\d{0,3})\d*)?$/.exec(text)
  if (m === null || text === '' || text === '.') return undefined
  return Number(m[1] === '' ? '0' : m[1]) + Number(`0.${m[2] ?? ''}0`)
}

/** A URI and echo's separate query argument: the argument replaces the URI's own query. */
function target(ngx: Ngx, uri: Template, args: Template | undefined): { uri: string; args: string | undefined } {
  const u = renderWith(ngx, uri)
  if (args === undefined) return { uri: u, args: undefined }
  const q = u.indexOf('?')
  return { uri: q < 0 ? u : u.slice(0, q), args: renderWith(ngx, args) }
}

/**
 * Runs a location's echo commands. Output after an `echo_location_async` waits for that
 * subrequest's body (nginx's postponed output), so the response keeps the written order while
 * the subrequests run at the same time.
 */
async function runEcho(ngx: Ngx, cmds: readonly EchoCmd[]): Promise<void> {
  let chain: Promise<void> | undefined
  const emit = (data: string | Uint8Array): void => {
    if (data.length > 0) ngx.print(data)
  }
  const out = (data: string | Uint8Array | Promise<Uint8Array>): void => {
    if (chain === undefined && !(data instanceof Promise)) return emit(data)
    chain = (chain ?? Promise.resolve()).then(async () => emit(await data))
  }
  for (const c of cmds) {
    switch (c.op) {
      case 'echo':
        out(renderEcho(ngx, c.text))
        break
      case 'sleep': {
        const text = renderWith(ngx, c.time)
        const s = sleepSeconds(text)
        if (s === undefined) {
          requestOf(ngx)._logRaw(LOG_LEVELS.ERR, `invalid sleep duration "${text}"`)
          ngx.exit(400)
        }
        await ngx.sleep(s!)
        break
      }
      case 'flush':
        if (chain === undefined) await ngx.flush()
        else chain = chain.then(async () => void (await ngx.flush()))
        break
      case 'location': {
        const t = target(ngx, c.uri, c.args)
        const res = ngx.location.capture(t.uri, t.args === undefined ? {} : { args: t.args }).then((r) => r.bodyBuffer)
        out(c.async ? res : await res)
        break
      }
      case 'exec': {
        if (chain !== undefined) await chain
        const t = target(ngx, c.uri, c.args)
        ngx.exec(t.uri, t.args)
      }
    }
  }
  if (chain !== undefined) await chain
}

const LOCATION: readonly ConfContext[] = ['location', 'location_if']
const CMDS = 'echo:commands'

/** Adds a command to the level's list, and (as each echo directive does) makes echo the content handler. */
function addCommand(scope: ConfScope, cmd: EchoCmd): void {
  let cmds = scope.data.get(CMDS) as EchoCmd[] | undefined
  if (cmds === undefined) scope.data.set(CMDS, (cmds = []))
  cmds.push(cmd)
  const list: readonly EchoCmd[] = cmds
  scope.settings!.content = (ngx) => runEcho(ngx, list)
}

registerDirective({
  name: 'echo', contexts: LOCATION, args: 'ANY',
  handler: (d, s) => {
    addCommand(s, { op: 'echo', text: echoText(d, s, d.args.map((a) => a.value)) })
    return undefined
  },
})

registerDirective({
  name: 'echo_sleep', contexts: LOCATION, args: 'TAKE1',
  handler: (d, s) => {
    addCommand(s, { op: 'sleep', time: argTemplate(d, s, d.args[0]!.value) })
    return undefined
  },
})

registerDirective({
  name: 'echo_flush', contexts: LOCATION, args: 'NOARGS',
  handler: (_d, s) => {
    addCommand(s, { op: 'flush' })
    return undefined
  },
})

for (const name of ['echo_location', 'echo_location_async', 'echo_exec']) {
  registerDirective({
    name, contexts: LOCATION, args: 'TAKE12',
    handler: (d, s) => {
      const uri = argTemplate(d, s, d.args[0]!.value)
      const args = d.args[1] === undefined ? undefined : argTemplate(d, s, d.args[1].value)
      if (name === 'echo_exec') addCommand(s, { op: 'exec', uri, args })
      else addCommand(s, { op: 'location', async: name === 'echo_location_async', uri, args })
      return undefined
    },
  })
}

// ---------------------------------------------------------------------------------------------
// echo_before_body, echo_after_body: a body filter around whatever the location sends

interface Around {
  readonly before: EchoText[]
  readonly after: EchoText[]
}

function concat(a: string, chunk: unknown, b: string): string | Uint8Array {
  if (chunk instanceof Uint8Array) return Buffer.concat([Buffer.from(a), chunk, Buffer.from(b)])
  return a + (typeof chunk === 'string' ? chunk : '') + b
}

function aroundFilter(around: Around): Handler {
  const started = new WeakSet<object>()
  return (ngx) => {
    const eof = ngx.arg[2] === true
    let pre = ''
    let post = ''
    if (around.before.length > 0 && !started.has(ngx)) {
      started.add(ngx)
      pre = around.before.map((e) => renderEcho(ngx, e)).join('')
    }
    if (eof && around.after.length > 0) post = around.after.map((e) => renderEcho(ngx, e)).join('')
    if (pre !== '' || post !== '') ngx.arg[1] = concat(pre, ngx.arg[1], post)
  }
}

const AROUND = 'echo:around'

for (const name of ['echo_before_body', 'echo_after_body']) {
  registerDirective({
    name, contexts: LOCATION, args: 'ANY',
    handler: (d, s) => {
      let around = s.data.get(AROUND) as Around | undefined
      if (around === undefined) {
        s.data.set(AROUND, (around = { before: [], after: [] }))
        attachLevelHandler(s.settings!, 'bodyFilter', aroundFilter(around))
      }
      const text = echoText(d, s, d.args.map((a) => a.value))
      if (name === 'echo_before_body') around.before.push(text)
      else around.after.push(text)
      return undefined
    },
  })
}
