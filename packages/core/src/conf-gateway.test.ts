// The nginx.conf front end: what each core directive writes into the gateway definition, what
// the command gets (daemon, master_process, pid, env), and the errors nginx raises (texts and
// lines read from `nginx -t` on the reference; test/conf-differential.test.ts compares them live).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { compileGateway } from './conf.ts'
import { ConfFileError } from './conf-parse.ts'
import { dumpConf, keepEnv, loadConfGateway } from './conf-gateway.ts'
import type { ConfGateway } from './conf-gateway.ts'
import type { LocationDef, RewriteOp, ServerDef } from './gateway.ts'

const PREFIX = `${mkdtempSync(join(tmpdir(), 'nresty-confgw-'))}/`
const FILE = `${PREFIX}conf/nginx.conf`
mkdirSync(`${PREFIX}conf/inc`, { recursive: true })
mkdirSync(`${PREFIX}logs`)
afterAll(() => rmSync(PREFIX, { recursive: true, force: true }))

function load(text: string, globals?: string): ConfGateway {
  writeFileSync(FILE, text)
  return loadConfGateway('conf/nginx.conf', PREFIX, globals)
}

/** The error loading text throws, as the line `nginx -t` prints. */
function emerg(text: string, globals?: string): string {
  try {
    load(text, globals)
  } catch (e) {
    if (e instanceof ConfFileError) return e.located
    throw e
  }
  throw new Error('loaded without an error')
}

const http = (body: string): string => `events {}\nhttp {\n${body}\n}\n`
const server = (body: string): string => http(`server {\nlisten 127.0.0.1:18080;\n${body}\n}`)
const location = (body: string): string => server(`location / {\n${body}\n}`)
const at = (line: number): string => ` in ${FILE}:${line}`

/** Compiles as the server would (compileGateway opens the access logs, as nginx -t does). */
async function compile(c: ConfGateway): Promise<ReturnType<typeof compileGateway>> {
  const gw = compileGateway(c.gateway.def, PREFIX)
  await Promise.all(gw.accessLogs.map((l) => l.close()))
  return gw
}

const firstServer = (c: ConfGateway): ServerDef => c.gateway.def.servers[0]!
const loc = (c: ConfGateway, key: string): LocationDef => firstServer(c).locations![key]!

describe('the main level', () => {
  it('maps worker_processes, worker_connections, pid, error_log, and the command\'s settings', () => {
    const c = load('worker_processes 4;\ndaemon off;\nmaster_process off;\npid run/x.pid;\nerror_log logs/e.log notice;\nevents { worker_connections 99; }\n')
    const def = c.gateway.def
    expect(def.workers).toBe(4)
    expect(def.workerConnections).toBe(99)
    expect(def.errorLog).toEqual({ path: 'logs/e.log', level: 'notice' })
    expect(def.prefix).toBe(PREFIX)
    expect(c.daemon).toBe(false)
    expect(c.masterProcess).toBe(false)
    expect(c.pidPath).toBe(`${PREFIX}run/x.pid`)
    expect(c.errorLogSet).toBe(true)
    expect(c.file).toBe(FILE)
    expect(c.files).toEqual([FILE])
  })

  it('defaults as nginx: daemon and master_process on, logs/nginx.pid, logs/error.log at error', () => {
    const c = load('events {}\n')
    expect([c.daemon, c.masterProcess, c.pidPath, c.errorLogSet]).toEqual([true, true, `${PREFIX}logs/nginx.pid`, false])
    expect(c.gateway.def.workers).toBeUndefined()
    expect(load('worker_processes auto;\nevents {}\n').gateway.def.workers).toBe('auto')
  })

  it('reads -g directives first, so the file\'s repeat is the duplicate', () => {
    expect(load('events {}\n', 'daemon off; worker_processes 2;').daemon).toBe(false)
    expect(emerg('daemon on;\nevents {}\n', 'daemon off;')).toBe(`"daemon" directive is duplicate${at(1)}`)
    expect(emerg('events {}\n', 'bogus;')).toBe('unknown directive "bogus" in command line')
    expect(emerg('events {}\n', 'http {}')).toBe('block directives are not supported in -g option in command line')
  })

  it('keeps the env variables named, with the values given, for the workers (TZ always)', () => {
    const c = load('env A=1;\nenv B;\nevents {}\n')
    expect([...c.env]).toEqual([['A', '1'], ['B', undefined]])
    const saved = { ...process.env }
    try {
      process.env['B'] = 'b'
      process.env['C'] = 'c'
      process.env['TZ'] = 'UTC'
      keepEnv(c.env)
      expect([process.env['A'], process.env['B'], process.env['C'], process.env['TZ'], process.env['PATH']]).toEqual(['1', 'b', undefined, 'UTC', undefined])
    } finally {
      for (const k of Object.keys(process.env)) delete process.env[k]
      Object.assign(process.env, saved)
    }
    // the workers apply it first thing; the master (init) only sets the values
    const { init, initWorker } = c.gateway.def
    expect([Array.isArray(init) ? init.length : 0, Array.isArray(initWorker) ? initWorker.length : 0]).toEqual([1, 1])
    expect(load('env B;\nevents {}\n').gateway.def.init).toBeUndefined()
  })

  it('raises nginx\'s errors for the main level', () => {
    expect(emerg('worker_processes x;\nevents {}\n')).toBe(`"worker_processes" directive invalid value${at(1)}`)
    expect(emerg('worker_processes 1;\nworker_processes 2;\nevents {}\n')).toBe(`"worker_processes" directive is duplicate${at(2)}`)
    expect(emerg('daemon x;\nevents {}\n')).toBe(`invalid value "x" in "daemon" directive, it must be "on" or "off"${at(1)}`)
    expect(emerg('error_log logs/e.log loud;\nevents {}\n')).toBe(`invalid log level "loud"${at(1)}`)
    expect(emerg('error_log logs/e.log warn info;\nevents {}\n')).toBe(`duplicate log level "info"${at(1)}`)
    expect(emerg('env;\nevents {}\n')).toBe(`invalid number of arguments in "env" directive${at(1)}`)
    expect(emerg('http {}\n')).toBe('no "events" section in configuration')
    expect(emerg('events {}\nevents {}\n')).toBe(`"events" directive is duplicate${at(2)}`)
    expect(emerg('events { worker_connections x; }\n')).toBe(`invalid number "x"${at(1)}`)
    expect(emerg('events;\n')).toBe(`directive "events" has no opening "{"${at(1)}`)
    expect(emerg('daemon off {\n}\nevents {}\n')).toBe(`directive "daemon" is not terminated by ";"${at(1)}`)
    expect(emerg('listen 80;\nevents {}\n')).toBe(`"listen" directive is not allowed here${at(1)}`)
    expect(emerg('bogus;\nevents {}\n')).toBe(`unknown directive "bogus"${at(1)}`)
    expect(emerg('events {}\nerror_log syslog:server=x;\n')).toBe(`"syslog" error logs are not supported by nresty${at(2)}`)
  })

  it('accepts user, worker_rlimit_nofile, pcre_jit, load_module and the events tuning directives', () => {
    const c = load('user root;\nworker_rlimit_nofile 1024;\npcre_jit on;\nload_module /x.so;\nevents { use epoll; multi_accept on; accept_mutex off; }\n')
    expect(c.warnings).toEqual([])
  })
})

describe('http, server, listen and server_name', () => {
  it('fills servers, listens, names, log formats, shared dicts and the http settings', async () => {
    const c = load(http(`
      log_format small '$remote_addr $status';
      lua_shared_dict cache 10m;
      lua_package_path "$prefix/lua/?.lua;;";
      default_type text/html;
      client_max_body_size 2m;
      keepalive_timeout 5s 5;
      access_log logs/a.log small buffer=32k flush=1s;
      server {
        listen 127.0.0.1:18080 default_server backlog=64;
        listen 18081;
        listen [::1]:18082;
        listen *:18083 reuseport;
        server_name Example.COM *.example.com ~^(?<sub>\\w+)\\.x$;
      }
      server { listen localhost:18084; }`))
    const def = c.gateway.def
    expect(def.logFormats).toEqual({ small: '$remote_addr $status' })
    expect(def.sharedDicts).toEqual({ cache: 10 * 1024 * 1024 })
    expect(c.lua.packagePath).toBe('$prefix/lua/?.lua;;')
    expect(def.defaultType).toBe('text/html')
    expect(def.clientMaxBodySize).toBe(2 * 1024 * 1024)
    expect(def.keepaliveTimeout).toBe('5s')
    expect(def.accessLog).toEqual({ path: 'logs/a.log', format: 'small' })
    const [s1, s2] = def.servers
    expect(s1!.listen).toEqual([
      { host: '127.0.0.1', port: 18080, defaultServer: true, backlog: 64 },
      { host: '0.0.0.0', port: 18081 },
      { host: '::1', port: 18082 },
      { host: '0.0.0.0', port: 18083 },
    ])
    expect(s1!.serverName).toEqual(['example.com', '*.example.com', '~^(?<sub>\\w+)\\.x$'])
    expect(s2!.listen).toEqual([{ host: '127.0.0.1', port: 18084 }])
    // it compiles as a TypeScript gateway would
    const gw = await compile(c)
    expect(gw.listens.map((l) => `${l.host}:${l.port}`)).toEqual(['127.0.0.1:18080', '0.0.0.0:18081', '::1:18082', '0.0.0.0:18083', '127.0.0.1:18084'])
    expect(c.warnings).toEqual([])
  })

  it('gives a server without listen nginx\'s default port (80 as root, else 8000)', () => {
    const c = load(http('server { }'))
    expect(firstServer(c).listen).toEqual([{ host: '0.0.0.0', port: process.getuid?.() === 0 ? 80 : 8000 }])
  })

  it('raises nginx\'s listen errors', () => {
    expect(emerg(server('listen 99999;'))).toBe(`invalid port in "99999" of the "listen" directive${at(5)}`)
    expect(emerg(server('listen 0;'))).toBe(`invalid port in "0" of the "listen" directive${at(5)}`)
    expect(emerg(server('listen 127.0.0.1:x;'))).toBe(`invalid port in "127.0.0.1:x" of the "listen" directive${at(5)}`)
    expect(emerg(server('listen no-such-host.invalid;'))).toBe(`host not found in "no-such-host.invalid" of the "listen" directive${at(5)}`)
    expect(emerg(server('listen 18085 bogus;'))).toBe(`invalid parameter "bogus"${at(5)}`)
    expect(emerg(server('listen 18085 backlog=x;'))).toBe(`invalid backlog "backlog=x"${at(5)}`)
    expect(emerg(server('listen 18085;\nlisten 0.0.0.0:18085;'))).toBe(`a duplicate listen 0.0.0.0:18085${at(6)}`)
    expect(emerg(http('server { listen 127.0.0.1:18085 default_server; }\nserver {\nlisten 127.0.0.1:18085 default;\n}')))
      .toBe(`a duplicate default server for 127.0.0.1:18085${at(5)}`)
    expect(emerg(server('listen 18085 ssl;'))).toBe(`the "ssl" parameter of the "listen" directive is not supported by nresty${at(5)}`)
    expect(emerg(server('listen unix:/tmp/x.sock;'))).toBe(`unix domain sockets in "listen" are not supported by nresty${at(5)}`)
    expect(emerg(server('server_name;'))).toBe(`invalid number of arguments in "server_name" directive${at(5)}`)
    expect(emerg(server('server_name ~(;'))).toBe(`pcre2_compile() failed: missing closing parenthesis in "(" in ${FILE}:5`)
    expect(emerg(server('server_name a*b*c;'))).toBe(`invalid server name or wildcard "a*b*c"${at(5)}`)
  })

  it('warns about a server name two servers share on one address, as nginx does', () => {
    const c = load(http('server { listen 127.0.0.1:18086; server_name a; }\nserver { listen 127.0.0.1:18086; server_name A b; }'))
    expect(c.warnings.map((w) => w.located)).toEqual(['conflicting server name "a" on 127.0.0.1:18086, ignored'])
  })
})

describe('locations', () => {
  it('keys locations by their nginx spec, nested ones inside', async () => {
    const c = load(server(`
      location = /exact {}
      location ^~ /static/ {}
      location ~* \\.(png|gif)$ {}
      location ~ ^/re(?<tail>.*)$ { return 200 $tail; }
      location @named { internal; }
      location /api/ { location /api/v1/ { default_type application/json; } }
      location ~ \\.(png|gif)$ {}
      location ~ \\.(png|gif)$ { return 404; }`))
    const locs = firstServer(c).locations!
    expect(Object.keys(locs)).toEqual(['= /exact', '^~ /static/', '~* \\.(png|gif)$', '~ ^/re(?<tail>.*)$', '@named', '/api/', '~ \\.(png|gif)$'])
    expect(locs['/api/']!.locations!['/api/v1/']!.defaultType).toBe('application/json')
    expect(locs['@named']!.internal).toBe(true)
    // the second identical regex is unreachable in nginx (the first matches): the first is kept
    expect(locs['~ \\.(png|gif)$']!.rewriteOps).toEqual([])
    await compile(c)
  })

  it('raises nginx\'s location errors at the location\'s line', () => {
    expect(emerg(server('location /a {}\nlocation ^~ /a {\n}'))).toBe(`duplicate location "/a"${at(6)}`)
    expect(emerg(server('location = /a {}\nlocation = /a {}'))).toBe(`duplicate location "/a"${at(6)}`)
    expect(emerg(server('location /a {\nlocation /b {}\n}'))).toBe(`location "/b" is outside location "/a"${at(6)}`)
    expect(emerg(server('location = /a { location /a {} }'))).toBe(`location "/a" cannot be inside the exact location "/a"${at(5)}`)
    expect(emerg(server('location @n { location /a {} }'))).toBe(`location "/a" cannot be inside the named location "@n"${at(5)}`)
    expect(emerg(server('location /a { location @n {} }'))).toBe(`named location "@n" can be on the server level only${at(5)}`)
    expect(emerg(server('location ~ (a {}'))).toBe(`pcre2_compile() failed: missing closing parenthesis in "(a"${at(5)}`)
    expect(emerg(server('location x y {}'))).toBe(`invalid location modifier "x"${at(5)}`)
    expect(emerg(server('location {}'))).toBe(`invalid number of arguments in "location" directive${at(5)}`)
    // a duplicate is reported when the http block ends: an error after it in the block comes first
    expect(emerg(http('server {\nlisten 18087;\nlocation /a {}\nlocation /a {}\n}\nbogus;'))).toBe(`unknown directive "bogus"${at(8)}`)
  })
})

describe('the rewrite module', () => {
  const ops = (c: ConfGateway): readonly RewriteOp[] | undefined => loc(c, '/').rewriteOps

  it('keeps set, return, rewrite, break and if in written order', () => {
    const c = load(location(`
      set $a "x $uri";
      if ($arg_q ~* ^(\\d+)$) { set $n $1; break; }
      if ($http_x = "") { return 403; }
      if (!-f $document_root$uri) { rewrite ^/(.*)$ /index?p=$1 last; }
      rewrite ^/old/(.*) /new/$1 permanent;
      return 200 "done $a";`))
    expect(ops(c)).toEqual([
      { op: 'set', name: 'a', value: 'x $uri' },
      { op: 'if', test: { var: 'arg_q', op: '~*', regex: '^(\\d+)$' }, then: [{ op: 'set', name: 'n', value: '$1' }, { op: 'break' }], location: {} },
      { op: 'if', test: { var: 'http_x', op: '=', value: '' }, then: [{ op: 'return', spec: 403 }], location: {} },
      { op: 'if', test: { op: '!-f', path: '$document_root$uri' }, then: [{ op: 'rewrite', regex: '^/(.*)$', replacement: '/index?p=$1', flag: 'last' }], location: {} },
      { op: 'rewrite', regex: '^/old/(.*)', replacement: '/new/$1', flag: 'permanent' },
      { op: 'return', spec: [200, 'done $a'] },
    ])
  })

  it('reads return as nginx does', () => {
    const c = load(server(`
      location /a { return 204; }
      location /b { return http://example.com$request_uri; }
      location /c { return 301 /x; }
      return 444;`))
    expect(loc(c, '/a').rewriteOps).toEqual([{ op: 'return', spec: 204 }])
    expect(loc(c, '/b').rewriteOps).toEqual([{ op: 'return', spec: 'http://example.com$request_uri' }])
    expect(loc(c, '/c').rewriteOps).toEqual([{ op: 'return', spec: [301, '/x'] }])
    expect(firstServer(c).rewriteOps).toEqual([{ op: 'return', spec: 444 }])
  })

  it('gives a location if its own settings, and a server if only steps', () => {
    const c = load(server('if ($arg_a) { return 401; }\nlocation / { if ($arg_b) { add_header X-B 1; access_log off; error_page 404 /nf; } }'))
    expect(firstServer(c).rewriteOps).toEqual([{ op: 'if', test: { var: 'arg_a' }, then: [{ op: 'return', spec: 401 }] }])
    expect(ops(c)).toEqual([{ op: 'if', test: { var: 'arg_b' }, then: [], location: { addHeader: { 'X-B': '1' }, accessLog: false, errorPage: { 404: '/nf' } } }])
  })

  it('raises nginx\'s rewrite-module errors', () => {
    expect(emerg(location('set a 1;'))).toBe(`invalid variable name "a"${at(6)}`)
    expect(emerg(location('set $uri 1;'))).toBe(`the duplicate "uri" variable${at(6)}`)
    expect(emerg(location('set $a;'))).toBe(`invalid number of arguments in "set" directive${at(6)}`)
    expect(emerg(location('return abc;'))).toBe(`invalid return code "abc"${at(6)}`)
    expect(emerg(location('return 1000;'))).toBe(`invalid return code "1000"${at(6)}`)
    expect(emerg(location('return /x;'))).toBe(`invalid return code "/x"${at(6)}`)
    expect(emerg(location('return 200 a b;'))).toBe(`invalid number of arguments in "return" directive${at(6)}`)
    expect(emerg(location('return 200 ${uri;'))).toBe(`the closing bracket in "uri" variable is missing${at(6)}`)
    expect(emerg(location('return 200 $;'))).toBe(`invalid variable name${at(6)}`)
    expect(emerg(location('rewrite a b bogus;'))).toBe(`invalid parameter "bogus"${at(6)}`)
    expect(emerg(location('rewrite ( b;'))).toBe(`pcre2_compile() failed: missing closing parenthesis in "("${at(6)}`)
    expect(emerg(location('break x;'))).toBe(`invalid number of arguments in "break" directive${at(6)}`)
    expect(emerg(http('set $a 1;'))).toBe(`"set" directive is not allowed here${at(3)}`)
  })

  it('reads if conditions as nginx does, errors included', () => {
    const test = (cond: string): unknown => (load(location(`if ${cond} { }`)).gateway.def.servers[0]!.locations!['/']!.rewriteOps![0] as { test: unknown }).test
    expect(test('( $uri )')).toEqual({ var: 'uri' })
    expect(test('($uri != "/a b")')).toEqual({ var: 'uri', op: '!=', value: '/a b' })
    expect(test('($uri !~* "\\.php$")')).toEqual({ var: 'uri', op: '!~*', regex: '\\.php$' })
    expect(test('(-d $uri)')).toEqual({ op: '-d', path: '$uri' })
    expect(test('(!-x $uri)')).toEqual({ op: '!-x', path: '$uri' })
    expect(emerg(location('if $a {}'))).toBe(`invalid condition "$a"${at(6)}`)
    expect(emerg(location('if ($uri {}'))).toBe(`invalid condition "$uri"${at(6)}`)
    expect(emerg(location('if $uri) {}'))).toBe(`invalid condition "$uri)"${at(6)}`)
    expect(emerg(location('if ($uri = ) {}'))).toBe(`invalid condition "$uri"${at(6)}`)
    expect(emerg(location('if ($uri == a) {}'))).toBe(`unexpected "==" in condition${at(6)}`)
    expect(emerg(location('if (-z $uri) {}'))).toBe(`invalid condition "-z"${at(6)}`)
    expect(emerg(location('if (-f) {}'))).toBe(`invalid condition "-f"${at(6)}`)
    expect(emerg(location('if () {}'))).toBe(`invalid condition ")"${at(6)}`)
    expect(emerg(location('if ("$uri") {}'))).toBe(`invalid condition ""$uri""${at(6)}`)
    expect(emerg(location('if ($uri ~ "(") {}'))).toBe(`pcre2_compile() failed: missing closing parenthesis in "("${at(6)}`)
    expect(emerg(location('if ($uri) { if ($uri) {} }'))).toBe(`"if" directive is not allowed here${at(6)}`)
    expect(emerg(location('if ($uri) { internal; }'))).toBe(`"internal" directive is not allowed here${at(6)}`)
    expect(emerg(server('if ($uri) { add_header a b; }'))).toBe(`"add_header" directive is not allowed here${at(5)}`)
    expect(emerg(location('if ($uri);'))).toBe(`directive "if" has no opening "{"${at(6)}`)
  })

  it('reports a variable nothing defines once the http block ends, without a place', () => {
    expect(emerg(location('return 200 $nope;'))).toBe('unknown "nope" variable')
    expect(emerg(location('if ($nope) {}'))).toBe('unknown "nope" variable')
    // set anywhere (even later), named captures, prefixed families and $1 are known
    const c = load(server('location /a { return 200 "$later $cap $arg_x $http_y $cookie_z $sent_http_w $1"; }\nlocation ~ (?<cap>.) { set $later 1; }'))
    expect(c.warnings).toEqual([])
    // nginx variables nresty does not compute are accepted, with a warning
    expect(load(location('return 200 $request_filename;')).warnings.map((w) => w.located))
      .toEqual([`the "$request_filename" variable is not supported by nresty: it is always empty${at(6)}`])
  })
})

describe('level settings', () => {
  it('maps add_header, error_page, access_log, default_type, internal, timeouts and sizes', () => {
    const c = load(server(`
      client_header_timeout 10s;
      keepalive_timeout 20s;
      send_timeout 30s;
      location / {
        add_header X-A "a $uri";
        add_header X-B b always;
        error_page 404 500 /err;
        error_page 403 @denied;
        access_log off;
        default_type text/plain;
        client_body_timeout 5s;
        client_max_body_size 0;
      }
      location = /err { internal; }`))
    const s = firstServer(c)
    expect([s.clientHeaderTimeout, s.keepaliveTimeout, s.sendTimeout]).toEqual(['10s', '20s', '30s'])
    const l = loc(c, '/')
    expect(l.addHeader).toEqual({ 'X-A': 'a $uri', 'X-B': { value: 'b', always: true } })
    expect(l.errorPage).toEqual({ 403: '@denied', 404: '/err', 500: '/err' })
    expect([l.accessLog, l.defaultType, l.clientBodyTimeout, l.clientMaxBodySize]).toEqual([false, 'text/plain', '5s', 0])
    expect(loc(c, '= /err').internal).toBe(true)
  })

  it('raises nginx\'s errors for level settings', () => {
    expect(emerg(server('keepalive_timeout x;'))).toBe(`"keepalive_timeout" directive invalid value${at(5)}`)
    expect(emerg(server('keepalive_timeout 1 x;'))).toBe(`"keepalive_timeout" directive invalid value${at(5)}`)
    expect(emerg(server('send_timeout 1;\nsend_timeout 2;'))).toBe(`"send_timeout" directive is duplicate${at(6)}`)
    expect(emerg(server('client_max_body_size x;'))).toBe(`"client_max_body_size" directive invalid value${at(5)}`)
    expect(emerg(server('default_type a b;'))).toBe(`invalid number of arguments in "default_type" directive${at(5)}`)
    expect(emerg(server('add_header a b c;'))).toBe(`invalid parameter "c"${at(5)}`)
    expect(emerg(server('error_page 200 /x;'))).toBe(`value "200" must be between 300 and 599${at(5)}`)
    expect(emerg(server('error_page abc /x;'))).toBe(`invalid value "abc"${at(5)}`)
    expect(emerg(server('error_page 499 /x;'))).toBe(`invalid value "499"${at(5)}`)
    expect(emerg(server('error_page 404 =x /x;'))).toBe(`invalid value "=x"${at(5)}`)
    expect(emerg(server('access_log logs/a.log bogus;'))).toBe(`unknown log format "bogus"${at(5)}`)
    expect(emerg(server('access_log off x;'))).toBe(`invalid parameter "x"${at(5)}`)
    expect(emerg(server('internal;'))).toBe(`"internal" directive is not allowed here${at(5)}`)
    expect(emerg(server('client_header_timeout 1s;\nlocation / { client_header_timeout 1s; }'))).toBe(`"client_header_timeout" directive is not allowed here${at(6)}`)
    expect(emerg(http('log_format x a;\nlog_format x b;'))).toBe(`duplicate "log_format" name "x"${at(4)}`)
    expect(emerg(http('log_format combined a;'))).toBe(`duplicate "log_format" name "combined"${at(3)}`)
    expect(emerg(http('log_format x escape=bogus a;'))).toBe(`unknown log format escaping "bogus"${at(3)}`)
  })

  it('refuses what nresty cannot do, naming it, rather than ignore it', () => {
    expect(emerg(server('error_page 404 =200 /x;'))).toBe(`"=200" in "error_page" (changing the response code) is not supported by nresty${at(5)}`)
    expect(emerg(server('error_page 404 http://x/;'))).toBe(`"error_page" to "http://x/" (a redirect) is not supported by nresty${at(5)}`)
    expect(emerg(server('access_log logs/a.log combined if=$arg_x;'))).toBe(`"if=" in "access_log" is not supported by nresty${at(5)}`)
    expect(emerg(server('access_log logs/$host.log;'))).toBe(`variables in "access_log" paths are not supported by nresty${at(5)}`)
    expect(emerg(http('log_format j escape=json a;'))).toBe(`"escape=json" in "log_format" is not supported by nresty${at(3)}`)
  })

  it('warns where nresty does less than nginx', () => {
    const c = load(server('error_log logs/s.log;\nlocation / { keepalive_timeout 1s; add_header X 1; add_header X 2; access_log logs/a.log; access_log logs/b.log; }'))
    expect(c.warnings.map((w) => w.located)).toEqual([
      `nresty writes one error log, the main level's: this "error_log" is ignored${at(5)}`,
      `nresty sets "keepalive_timeout" per server: this one is ignored${at(6)}`,
      `nresty sends one "X" header per level: this "add_header" replaces the one before${at(6)}`,
      `nresty writes one access log per level: this "access_log" is ignored${at(6)}`,
    ])
  })
})

describe('lua_* settings', () => {
  it('checks and records them for the Lua bridge, cosockets and timers', () => {
    const c = load(http(`
      lua_package_path "/a/?.lua;;";
      lua_package_cpath "/a/?.so;;";
      lua_max_pending_timers 100;
      lua_max_running_timers 10;
      lua_socket_connect_timeout 3s;
      lua_socket_send_timeout 4s;
      lua_socket_read_timeout 5s;
      lua_socket_keepalive_timeout 60s;
      lua_socket_buffer_size 8k;
      lua_socket_pool_size 30;
      lua_socket_log_errors off;
      server { listen 127.0.0.1:18088; location / { lua_socket_read_timeout 1s; } }`))
    expect(c.lua).toEqual({
      packagePath: '/a/?.lua;;', packageCpath: '/a/?.so;;', maxPendingTimers: 100, maxRunningTimers: 10,
      socket: { connectTimeout: 3000, sendTimeout: 4000, readTimeout: 5000, keepaliveTimeout: 60000, bufferSize: 8192, poolSize: 30, logErrors: false },
    })
  })

  it('raises ngx_lua\'s errors', () => {
    expect(emerg(http('lua_shared_dict d x;'))).toBe(`invalid lua shared dict size "x"${at(3)}`)
    expect(emerg(http('lua_shared_dict d 8191;'))).toBe(`invalid lua shared dict size "8191"${at(3)}`)
    expect(emerg(http('lua_shared_dict "" 1m;'))).toBe(`invalid lua shared dict name ""${at(3)}`)
    expect(emerg(http('lua_shared_dict d 1m;\nlua_shared_dict d 2m;'))).toBe(`the size 2097152 of shared memory zone "d" conflicts with already declared size 1048576${at(4)}`)
    expect(emerg(http('lua_package_path a;\nlua_package_path b;'))).toBe(`"lua_package_path" directive is duplicate${at(4)}`)
    expect(emerg(http('lua_socket_connect_timeout x;'))).toBe(`"lua_socket_connect_timeout" directive invalid value${at(3)}`)
    expect(emerg(http('lua_socket_pool_size x;'))).toBe(`"lua_socket_pool_size" directive invalid number${at(3)}`)
    expect(emerg(http('lua_socket_log_errors x;'))).toBe(`invalid value "x" in "lua_socket_log_errors" directive, it must be "on" or "off"${at(3)}`)
    expect(emerg(http('lua_max_running_timers -1;'))).toBe(`"lua_max_running_timers" directive invalid number${at(3)}`)
    expect(emerg(server('lua_shared_dict d 1m;'))).toBe(`"lua_shared_dict" directive is not allowed here${at(5)}`)
  })
})

describe('includes, types and the -T dump', () => {
  it('reads includes from the conf directory, accepts types {}, and dumps every file as nginx -T does', () => {
    writeFileSync(`${PREFIX}conf/inc/mime.types`, 'types {\n  text/html html htm;\n  image/png png;\n}\n')
    writeFileSync(`${PREFIX}conf/inc/srv.conf`, 'server { listen 127.0.0.1:18089; return 200 ok; }')
    const c = load('events {}\nhttp {\n  include inc/mime.types;\n  include inc/srv.conf;\n}\n')
    expect(c.files).toEqual([FILE, `${PREFIX}conf/inc/mime.types`, `${PREFIX}conf/inc/srv.conf`])
    expect(firstServer(c).rewriteOps).toEqual([{ op: 'return', spec: [200, 'ok'] }])
    expect(dumpConf(c.files).toString()).toBe(
      `# configuration file ${FILE}:\nevents {}\nhttp {\n  include inc/mime.types;\n  include inc/srv.conf;\n}\n\n` +
      `# configuration file ${PREFIX}conf/inc/mime.types:\ntypes {\n  text/html html htm;\n  image/png png;\n}\n\n` +
      `# configuration file ${PREFIX}conf/inc/srv.conf:\nserver { listen 127.0.0.1:18089; return 200 ok; }\n`,
    )
    expect(emerg(http('include inc/nope.conf;'))).toBe(`open() "${PREFIX}conf/inc/nope.conf" failed (2: No such file or directory)${at(3)}`)
    expect(emerg(http('types { text/html html { } }'))).toBe(`unexpected "{"${at(3)}`)
  })

  it('names the main file when it cannot be read', () => {
    rmSync(FILE, { force: true })
    expect(() => loadConfGateway('conf/nginx.conf', PREFIX)).toThrow(`open() "${FILE}" failed (2: No such file or directory)`)
  })
})
