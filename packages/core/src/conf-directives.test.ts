// The directive registry: argument counts as nginx checks them, registering (and replacing)
// directives, and an extension's directives at work in a configuration, as @nresty/lua will
// register its *_by_lua_block directives.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { argCountOk, confError, findDirective, registerDirective } from './conf-directives.ts'
import type { ConfArgs, ConfScope } from './conf-directives.ts'
import { loadConfGateway } from './conf-gateway.ts'
import { ConfFileError } from './conf-parse.ts'
import { startServer } from './server.ts'

const PREFIX = `${mkdtempSync(join(tmpdir(), 'nresty-confdir-'))}/`
mkdirSync(`${PREFIX}conf`)
mkdirSync(`${PREFIX}logs`)
afterAll(() => rmSync(PREFIX, { recursive: true, force: true }))

function load(text: string): ReturnType<typeof loadConfGateway> {
  writeFileSync(`${PREFIX}conf/nginx.conf`, text)
  return loadConfGateway('conf/nginx.conf', PREFIX)
}

/** A port nothing listens on (nginx refuses `listen …:0`). */
function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => ok(port))
    })
  })
}

function emerg(text: string): string {
  try {
    load(text)
  } catch (e) {
    if (e instanceof ConfFileError) return e.located
    throw e
  }
  throw new Error('loaded without an error')
}

describe('argument counts', () => {
  it('accepts what nginx\'s NGX_CONF_* flags accept', () => {
    const table: ReadonlyArray<readonly [ConfArgs, readonly number[]]> = [
      ['NOARGS', [0]], ['TAKE1', [1]], ['TAKE2', [2]], ['TAKE7', [7]], ['TAKE12', [1, 2]], ['TAKE13', [1, 3]],
      ['TAKE23', [2, 3]], ['TAKE123', [1, 2, 3]], ['TAKE1234', [1, 2, 3, 4]], ['FLAG', [1]],
      ['1MORE', [1, 2, 3, 4, 5, 6, 7, 8, 9]], ['2MORE', [2, 3, 4, 5, 6, 7, 8, 9]], ['ANY', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ]
    for (const [spec, ok] of table) {
      for (let n = 0; n <= 9; n++) expect([spec, n, argCountOk(spec, n)]).toEqual([spec, n, ok.includes(n)])
    }
  })
})

describe('registerDirective', () => {
  it('refuses a spec without a name, a handler or a known argument count', () => {
    const handler = (): undefined => undefined
    expect(() => registerDirective({ name: '', contexts: ['http'], args: 'TAKE1', handler })).toThrow('a directive needs a name')
    expect(() => registerDirective({ name: 'x_test', contexts: ['http'], args: 'TAKE1', handler: undefined as never })).toThrow('directive "x_test" needs a handler')
    expect(() => registerDirective({ name: 'x_test', contexts: ['http'], args: 'TAKE9' as ConfArgs, handler })).toThrow('unknown argument count "TAKE9"')
  })

  it('refuses a second registration for a context unless it replaces the first', () => {
    const handler = (): undefined => undefined
    expect(() => registerDirective({ name: 'default_type', contexts: ['location'], args: 'TAKE1', handler })).toThrow('directive "default_type" is already registered for these contexts')
    // another context is another command of the same name (as nginx's `server` in http and upstream)
    expect(findDirective('server')!.map((s) => s.contexts)).toEqual([['http'], ['upstream']])
    registerDirective({ name: 'x_replaced', contexts: ['http'], args: 'TAKE1', handler })
    registerDirective({ name: 'x_replaced', contexts: ['http', 'server'], args: 'TAKE2', handler }, { replace: true })
    expect(findDirective('x_replaced')!.map((s) => s.args)).toEqual(['TAKE2'])
  })
})

describe('an extension\'s directives', () => {
  // A block of its own (like `upstream`), a directive inside it, and one that writes a handler.
  registerDirective({
    name: 'x_pool', contexts: ['http'], args: 'TAKE1', block: true,
    handler: (d, s) => {
      const pools = (s.conf.state.get('pools') ?? new Map<string, string[]>()) as Map<string, string[]>
      s.conf.state.set('pools', pools)
      const members: string[] = []
      pools.set(d.args[0]!.value, members)
      return s.child({ context: 'upstream', directive: d })
    },
    end: (d, inner: ConfScope) => {
      const pools = inner.conf.state.get('pools') as Map<string, string[]>
      if (pools.get(d.args[0]!.value)!.length === 0) throw new ConfFileError('no servers are inside upstream', { file: d.file, line: d.block!.endLine })
    },
  })
  registerDirective({
    name: 'x_member', contexts: ['upstream'], args: 'TAKE1',
    handler: (d, s) => {
      const pools = s.conf.state.get('pools') as Map<string, string[]>
      pools.get(s.directive!.args[0]!.value)!.push(d.args[0]!.value)
      return undefined
    },
  })
  registerDirective({
    name: 'x_say', contexts: ['location', 'location_if'], args: 'TAKE1',
    handler: (d, s) => {
      s.once(d)
      const text = s.conf.template(d, d.args[0]!.value)
      if (text === 'bad') throw confError(d, 'x_say: bad text')
      s.settings!.content = (ngx) => ngx.say(text, ' ', ngx.var.uri ?? '')
      return undefined
    },
  })

  it('builds with the core directives and serves', async () => {
    const port = await freePort()
    const c = load(`events {}
http {
  x_pool p { x_member a; x_member b; }
  server {
    listen 127.0.0.1:${port};
    location / { x_say hello; }
    location /if { if ($arg_x) { x_say from-if; } x_say outer; }
  }
}
`)
    expect(c.state.get('pools')).toEqual(new Map([['p', ['a', 'b']]]))
    const server = await startServer(c.gateway, { prefix: PREFIX })
    try {
      const body = async (path: string): Promise<string> => (await fetch(`http://127.0.0.1:${port}${path}`)).text()
      expect(await body('/x')).toBe('hello /x\n')
      expect(await body('/if')).toBe('outer /if\n')
      expect(await body('/if?x=1')).toBe('from-if /if\n')
    } finally {
      await server.close()
    }
  })

  it('gets the registry\'s checks and its own errors at nginx\'s places', () => {
    const head = 'events {}\nhttp {\n'
    const file = `${PREFIX}conf/nginx.conf`
    expect(emerg(`${head}x_pool p {\n}\n}\n`)).toBe(`no servers are inside upstream in ${file}:4`)
    expect(emerg(`${head}x_member a;\n}\n`)).toBe(`"x_member" directive is not allowed here in ${file}:3`)
    expect(emerg(`${head}server { location / { x_say a b; } }\n}\n`)).toBe(`invalid number of arguments in "x_say" directive in ${file}:3`)
    expect(emerg(`${head}server { location / { x_say a; x_say b; } }\n}\n`)).toBe(`"x_say" directive is duplicate in ${file}:3`)
    expect(emerg(`${head}server { location / { x_say bad; } }\n}\n`)).toBe(`x_say: bad text in ${file}:3`)
    expect(emerg(`${head}server { location / { x_say $nope; } }\n}\n`)).toBe('unknown "nope" variable')
    expect(emerg(`${head}x_pool p;\n}\n`)).toBe(`directive "x_pool" has no opening "{" in ${file}:3`)
  })
})
