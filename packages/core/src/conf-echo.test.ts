// The echo directives through the conf front end: option parsing, the command sequence,
// subrequests in written order, flush and sleep timing, the body filter, and sharing a level's
// handler lists with another extension's directives.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { registerDirective } from './conf-directives.ts'
import { attachLevelHandler, sleepSeconds } from './conf-echo.ts'
import { loadConfGateway } from './conf-gateway.ts'
import { ConfFileError } from './conf-parse.ts'
import type { Handler, LevelSettings } from './gateway.ts'
import { startServer } from './server.ts'

const PREFIX = `${mkdtempSync(join(tmpdir(), 'nresty-echo-'))}/`
mkdirSync(`${PREFIX}conf`)
mkdirSync(`${PREFIX}logs`)
afterAll(() => rmSync(PREFIX, { recursive: true, force: true }))

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => ok(port))
    })
  })
}

/** Serves `locations` (the inside of a server block) and runs fn with a GET helper. */
async function serve(locations: string, fn: (get: (path: string, init?: RequestInit) => Promise<Response>, port: number) => Promise<void>): Promise<void> {
  const port = await freePort()
  writeFileSync(`${PREFIX}conf/nginx.conf`, `events {}\nhttp {\n access_log off;\n server {\n  listen 127.0.0.1:${port};\n${locations}\n }\n}\n`)
  const conf = loadConfGateway('conf/nginx.conf', PREFIX)
  const server = await startServer(conf.gateway, { prefix: PREFIX, errorLog: `${PREFIX}logs/error.log` })
  try {
    await fn((path, init) => fetch(`http://127.0.0.1:${port}${path}`, init), port)
  } finally {
    await server.close()
  }
}

/** The `[emerg]` a configuration gets (file names relative to conf/). */
function emerg(locations: string): string {
  writeFileSync(`${PREFIX}conf/nginx.conf`, `events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n${locations}\n }\n}\n`)
  try {
    loadConfGateway('conf/nginx.conf', PREFIX)
  } catch (e) {
    if (e instanceof ConfFileError) return e.located.replace(`${PREFIX}conf/`, '')
    throw e
  }
  throw new Error('loaded without an error')
}

describe('echo', () => {
  it('reads options as the module does, and renders variables', async () => {
    await serve(`
  location = /opts { echo a "" b; echo -n -- -n; echo; echo -x -nx; echo - x; echo -n; echo; set $o -n; echo $o "[$arg_v]" $uri; }`, async (get) => {
      expect(await (await get('/opts?v=1')).text()).toBe('a  b\n-n\n\n- x\n\n-n [1] /opts\n')
    })
  })

  it('keeps the written order of async subrequests and runs them at the same time', async () => {
    await serve(`
  location = /t { echo_location_async /s?d=0.3&t=A; echo_location_async /s?d=0.3&t=B; echo_location /s?x=1 "d=0.01&t=C"; echo D; }
  location = /s { echo_sleep $arg_d; echo "$arg_t $args"; }`, async (get) => {
      const start = Date.now()
      expect(await (await get('/t')).text()).toBe('A d=0.3&t=A\nB d=0.3&t=B\nC d=0.01&t=C\nD\n')
      const took = Date.now() - start
      expect(took).toBeGreaterThanOrEqual(290)
      expect(took).toBeLessThan(550) // one after the other would take 600 ms
    })
  })

  it('sends what came before echo_flush while it sleeps', async () => {
    await serve(`
  location = /t { echo first; echo_flush; echo_sleep 0.4; echo second; }`, async (_get, port) => {
      const start = Date.now()
      const times: number[] = []
      let text = ''
      await new Promise<void>((done, fail) => {
        const s = connect(port, '127.0.0.1', () => s.write('GET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))
        s.on('data', (b) => {
          times.push(Date.now() - start)
          text += b.toString('latin1')
        })
        s.on('end', () => done())
        s.on('error', fail)
      })
      expect(text).toContain('Transfer-Encoding: chunked')
      expect(text).toMatch(/\r\n\r\n6\r\nfirst\n\r\n7\r\nsecond\n\r\n0\r\n\r\n$/)
      expect(times[0]).toBeLessThan(250)
      expect(times[times.length - 1]).toBeGreaterThanOrEqual(390)
    })
  })

  it('answers 400 for a sleep value that is not a number', async () => {
    await serve(`
  location = /t { echo_sleep $arg_s; echo after; }`, async (get) => {
      expect((await get('/t?s=x1')).status).toBe(400)
      const ok = await get('/t?s=.05')
      expect([ok.status, await ok.text()]).toEqual([200, 'after\n'])
    })
  })

  it('jumps with echo_exec, to a path or a named location', async () => {
    await serve(`
  location = /a { echo_exec /b?q=1 r=2; }
  location = /n { echo_exec @named; }
  location = /b { echo "$uri $args"; }
  location @named { echo "named $uri"; }`, async (get) => {
      expect(await (await get('/a')).text()).toBe('/b r=2\n')
      expect(await (await get('/n')).text()).toBe('named /n\n')
    })
  })

  it('wraps the body, error pages included', async () => {
    await serve(`
  location = /t { echo_after_body -n "]"; echo_before_body -n "[" $uri; echo_before_body; echo -n body; }
  location = /e { echo_before_body b; return 404; }
  location = /sub { echo_before_body "(" ; echo_after_body ")"; echo_location /leaf; }
  location = /leaf { echo_location_async /leaf2; echo_flush; echo leaf; }
  location = /leaf2 { echo leaf2; }`, async (get) => {
      // subrequest bodies come as bytes: the filter wraps those too; a flush waits for the async body
      expect(await (await get('/sub')).text()).toBe('(\nleaf2\nleaf\n)\n')
      expect(await (await get('/t')).text()).toBe('[ /t\nbody]')
      const e = await get('/e')
      expect(e.status).toBe(404)
      expect(await e.text()).toMatch(/^b\n<html>/)
    })
  })

  it('reports argument counts and contexts with nginx\'s words', () => {
    expect(emerg('location / { echo_location; }')).toBe('invalid number of arguments in "echo_location" directive in nginx.conf:5')
    expect(emerg('location / { echo_exec a b c; }')).toBe('invalid number of arguments in "echo_exec" directive in nginx.conf:5')
    expect(emerg('echo hi;')).toBe('"echo" directive is not allowed here in nginx.conf:5')
    expect(emerg('location / { echo_before_body $nope_x; }')).toBe('unknown "nope_x" variable')
  })
})

describe('sleepSeconds', () => {
  it('reads seconds with up to three decimals, as ngx_atofp', () => {
    expect(sleepSeconds('1')).toBe(1)
    expect(sleepSeconds('0.5')).toBe(0.5)
    expect(sleepSeconds('.25')).toBe(0.25)
    expect(sleepSeconds('2.')).toBe(2)
    expect(sleepSeconds('0.12345')).toBe(0.123)
    for (const bad of ['', '.', 'abc', '-1', '1s', '1.2.3']) expect(sleepSeconds(bad)).toBeUndefined()
  })
})

describe('attachLevelHandler', () => {
  const a: Handler = () => undefined
  const b: Handler = () => undefined
  const other: Handler = () => undefined

  it('runs the module\'s handlers first, whether the other list came before or after', () => {
    const before: LevelSettings = { headerFilter: other }
    attachLevelHandler(before, 'headerFilter', a)
    attachLevelHandler(before, 'headerFilter', b)
    expect(before.headerFilter).toEqual([a, b, other])

    const after: { bodyFilter?: unknown } = {}
    attachLevelHandler(after as LevelSettings, 'bodyFilter', a)
    expect(after.bodyFilter).toEqual([a])
    after.bodyFilter = [other, other]
    expect(after.bodyFilter).toEqual([a, other, other])
    expect({ ...after }).toEqual({ bodyFilter: [a, other, other] })
  })

  it('works with a directive another extension registers', async () => {
    registerDirective({
      name: 'x_echo_test_filter', contexts: ['location'], args: 'NOARGS',
      handler: (_d, s) => {
        s.settings!.headerFilter = (ngx) => {
          ngx.header['X-Saw'] = String(ngx.header['X-Echo-Test'])
        }
        return undefined
      },
    })
    await serve(`
  location = /t { x_echo_test_filter; more_set_headers 'X-Echo-Test: more'; echo ok; }`, async (get) => {
      const r = await get('/t')
      expect(r.headers.get('x-saw')).toBe('more')
      expect(r.headers.get('x-echo-test')).toBe('more')
    })
  })
})
