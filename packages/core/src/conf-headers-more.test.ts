// headers-more's directives through the conf front end: option parsing with the module's
// messages, status and type matching, wildcards, level merging, and the request headers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfGateway } from './conf-gateway.ts'
import { ConfFileError } from './conf-parse.ts'
import { startServer } from './server.ts'

const PREFIX = `${mkdtempSync(join(tmpdir(), 'nresty-more-'))}/`
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

async function serve(server: string, fn: (get: (path: string, headers?: Record<string, string>) => Promise<Response>) => Promise<void>, http = ''): Promise<void> {
  const port = await freePort()
  writeFileSync(`${PREFIX}conf/nginx.conf`, `events {}\nhttp {\n access_log off;\n${http}\n server {\n  listen 127.0.0.1:${port};\n${server}\n }\n}\n`)
  const conf = loadConfGateway('conf/nginx.conf', PREFIX)
  const running = await startServer(conf.gateway, { prefix: PREFIX, errorLog: `${PREFIX}logs/error.log` })
  try {
    await fn((path, headers) => fetch(`http://127.0.0.1:${port}${path}`, headers === undefined ? {} : { headers }))
  } finally {
    await running.close()
  }
}

function emerg(server: string): string {
  writeFileSync(`${PREFIX}conf/nginx.conf`, `events {}\nhttp {\n server {\n  listen 127.0.0.1:1;\n${server}\n }\n}\n`)
  try {
    loadConfGateway('conf/nginx.conf', PREFIX)
  } catch (e) {
    if (e instanceof ConfFileError) return e.located.replace(`${PREFIX}conf/`, '')
    throw e
  }
  throw new Error('loaded without an error')
}

const pick = (r: Response, ...names: string[]): Record<string, string | null> =>
  Object.fromEntries(names.map((n) => [n, r.headers.get(n)]))

describe('more_set_headers and more_clear_headers', () => {
  it('sets, replaces and clears, by status and by type', async () => {
    await serve(`
  more_set_headers 'X-Srv: srv' 'X-Hide-A: a' 'X-HIDE-b: b';
  location = /t {
    more_set_headers -s 404 'X-Nf: 1';
    more_set_headers -s '200 201' -t 'text/plain' 'X-Ok: $uri' 'X-Empty:' 'X-Name';
    more_set_headers -t 'text/html' 'X-Html: 1';
    more_set_headers 'Content-Type: text/x; charset=a' 'X-Sp:   v  ';
    more_clear_headers 'x-hide*';
    echo ok;
  }
  location = /nf { more_set_headers -s 404 'X-Nf: 1'; more_clear_headers -s 404 X-Srv; return 404; }
  location = /html { default_type text/html; more_set_headers -t 'text/html' 'X-Html: 1'; echo ok; }
  location = /ct { more_clear_headers Content-Type; echo ok; }`, async (get) => {
      const t = await get('/t')
      expect(pick(t, 'x-srv', 'x-nf', 'x-ok', 'x-empty', 'x-name', 'x-html', 'content-type', 'x-sp', 'x-hide-a', 'x-hide-b')).toEqual({
        'x-srv': 'srv', 'x-nf': null, 'x-ok': '/t', 'x-empty': null, 'x-name': null, 'x-html': null,
        'content-type': 'text/x; charset=a', 'x-sp': 'v  ', 'x-hide-a': null, 'x-hide-b': null,
      })
      const nf = await get('/nf')
      expect([nf.status, ...Object.values(pick(nf, 'x-nf', 'x-srv'))]).toEqual([404, '1', null])
      expect((await get('/html')).headers.get('x-html')).toBe('1')
      expect((await get('/ct')).headers.get('content-type')).toBeNull()
    })
  })

  it('runs the outer levels\' commands first, then the level\'s own', async () => {
    await serve(`
  more_set_headers 'X-Level: server' 'X-Srv: s';
  location /a { more_set_headers 'X-Level: a'; location /a/b { more_set_headers 'X-B: b'; echo b; } echo a; }
  location /if { if ($arg_x) { more_clear_headers X-Srv; } echo if; }`, async (get) => {
      expect(pick(await get('/a'), 'x-level', 'x-srv', 'x-http')).toEqual({ 'x-level': 'a', 'x-srv': 's', 'x-http': 'h' })
      expect(pick(await get('/a/b'), 'x-level', 'x-b')).toEqual({ 'x-level': 'a', 'x-b': 'b' })
      expect((await get('/if')).headers.get('x-srv')).toBe('s')
      expect((await get('/if?x=1')).headers.get('x-srv')).toBeNull()
    }, "more_set_headers 'X-Http: h' 'X-Level: http';")
  })

  it('refuses bad options with the module\'s messages', () => {
    expect(emerg("location / { more_set_headers -s; }")).toBe('more_set_headers: option -s takes an argument. in nginx.conf:5')
    expect(emerg("location / { more_clear_headers -t; }")).toBe('more_clear_headers: option -t takes an argument. in nginx.conf:5')
    expect(emerg("location / { more_set_headers -s '200 x' 'A: b'; }")).toBe('more_set_headers: invalid digit "x" found in the status code list "200 x" in nginx.conf:5')
    expect(emerg("location / { more_set_headers -r 'A: b'; }")).toBe('more_set_headers: invalid option name: "-r" in nginx.conf:5')
    expect(emerg("location / { more_set_input_headers -s 200 'A: b'; }")).toBe('more_set_input_headers: invalid option name: "-s" in nginx.conf:5')
    expect(emerg("location / { more_set_headers 'A: $nope_y'; }")).toBe('unknown "nope_y" variable')
    expect(emerg('location / { more_clear_input_headers; }')).toBe('invalid number of arguments in "more_clear_input_headers" directive in nginx.conf:5')
  })
})

describe('more_set_input_headers and more_clear_input_headers', () => {
  it('changes what $http_* and the request headers hold', async () => {
    await serve(`
  more_set_input_headers 'X-Srv: s';
  location = /t {
    more_set_input_headers 'X-New: $uri' 'Host: other.example' 'X-Empty:';
    more_set_input_headers -r 'X-Old: replaced' 'X-Absent: no';
    more_set_input_headers -t 'text/plain' 'X-Plain: yes';
    more_clear_input_headers 'X-Drop*' X-Gone;
    echo "$http_x_srv $http_x_new $host [$http_x_empty] $http_x_old [$http_x_absent] [$http_x_plain] [$http_x_drop_a$http_x_dropb$http_x_gone] $http_x_kept";
  }
  location = /plain { more_set_input_headers -t 'text/plain' 'X-Plain: yes'; echo "[$http_x_plain]"; }`, async (get) => {
      const headers = { 'X-Empty': 'e', 'X-Old': 'o', 'X-Drop-A': '1', 'X-DropB': '2', 'X-Gone': '3', 'X-Kept': 'k' }
      expect(await (await get('/t', headers)).text()).toBe('s /t other.example [] replaced [] [] [] k\n')
      expect(await (await get('/plain', { 'Content-Type': 'text/plain; charset=utf-8' })).text()).toBe('[yes]\n')
      expect(await (await get('/plain', { 'Content-Type': 'text/html' })).text()).toBe('[]\n')
    })
  })
})
