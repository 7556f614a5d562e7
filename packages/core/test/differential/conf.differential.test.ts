// The same nginx.conf on the reference OpenResty and on nresty's front end: `nginx -t`'s
// messages against loadConfGateway's (text, file and line), and the responses of the rewrite
// module's directives (rewrite, if, set, return, break) and error_page, request by request.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileGateway } from '../../src/conf.ts'
import { loadConfGateway } from '../../src/conf-gateway.ts'
import { ConfFileError } from '../../src/conf-parse.ts'
import { startServer } from '../../src/server.ts'
import type { RunningServer } from '../../src/server.ts'
import { findReference, referenceConf, startReference } from './reference.ts'
import type { Reference } from './reference.ts'
import { freePort, get } from '../harness.ts'

const install = findReference()

/** `nginx -t`'s messages for a configuration, without the `nginx: ` and the verdict lines. */
function nginxTest(prefix: string): string {
  const r = spawnSync(install.nginx, ['-t', '-p', prefix, '-c', 'conf/nginx.conf', '-e', 'logs/t.log'], { encoding: 'utf8' })
  return r.stderr.split('\n').filter((l) => l !== '' && !/syntax is ok|test is successful|test failed/.test(l)).map((l) => l.replace(/^nginx: /, '')).join('\n')
}

/** nresty's messages for the same: warnings, then the error, in nginx's form. */
async function nrestyTest(prefix: string): Promise<string> {
  try {
    const c = loadConfGateway('conf/nginx.conf', prefix)
    const gw = compileGateway(c.gateway.def, prefix)
    await Promise.all(gw.accessLogs.map((l) => l.close()))
    return c.warnings.map((w) => `[warn] ${w.located}`).join('\n')
  } catch (e) {
    if (e instanceof ConfFileError) return `[${e.level}] ${e.located}`
    throw e
  }
}

const MODULES = `load_module ${install.modules}/ndk_http_module.so;\nload_module ${install.modules}/ngx_http_lua_module.so;\n`
const S = (b: string): string => `events {}\nhttp {\n  server {\n    listen 127.0.0.1:18081;\n    ${b}\n  }\n}\n`
const L = (b: string): string => S(`location / {\n      ${b}\n    }`)

const CONFS: readonly string[] = [
  S('foo bar;'), S('location /a {}\n    location /a {}'), S('location /a {}\n    location ^~ /a {}'),
  S('location = /a { location /a {} }'), S('location /a { location /b {} }'), S('location @n { location /a {} }'),
  S('location /a { location @n {} }'), S('location ~ (a {}'), S('location x y {}'), S('location {}'),
  S('if ($uri) { add_header a b; }'), L('if ($uri) { add_header a b; }'), L('if ($uri) { internal; }'),
  L('set $uri 1;'), L('set a 1;'), L('set $a;'), L('return 200 $foo;'), L('return abc;'), L('return 1000;'),
  L('return /x;'), L('return 200 a b;'), L('return 200 ${uri;'), L('return 200 $;'), S('rewrite a;'), S('rewrite a b c d;'),
  S('rewrite a b bogus;'), S('rewrite ( b;'), S('rewrite a $foo;'), S('break x;'), S('if $a {}'), S('if ($a {}'),
  S('if $uri) {}'), S('if ( $uri ) {}'), S('if ($uri = ) {}'), S('if ($uri = a b) {}'), S('if ($uri == a) {}'),
  S('if ($uri ~ "(") {}'), S('if (-z $uri) {}'), S('if (-f) {}'), S('if (a) {}'), S('if () {}'), S('if ("$uri") {}'),
  S('if ($) {}'), S('if ($uri);'), S('if ($uri) { if ($uri) {} }'), S('if (-f $foo) {}'), S('if ($uri =a) {}'),
  S('listen 99999;'), S('listen abc;'), S('listen 127.0.0.1:abc;'), S('listen 0;'), S('listen 18085 bogus;'),
  S('listen 18085 backlog=x;'), S('listen 18081;\n    listen 18081;'), S('listen [::1]:18085;\n    listen [::1]:18085;'),
  'daemon x;\nevents {}\n', 'daemon on; daemon off;\nevents {}\n', 'master_process 1;\nevents {}\n',
  'worker_processes -1;\nevents {}\n', 'worker_processes x;\nevents {}\n', 'worker_processes 2; worker_processes 3;\nevents {}\n',
  'pid a; pid b;\nevents {}\n', 'error_log logs/e.log bogus;\nevents {}\n', 'error_log logs/e.log warn info;\nevents {}\n',
  'env;\nevents {}\n', 'http {}\n', 'events {}\nhttp {} http {}\n', 'events {}\nevents {}\n',
  'events { worker_connections x; }\n', 'events { worker_connections 1; worker_connections 2; }\n',
  S('keepalive_timeout x;'), S('keepalive_timeout 1 2 3;'), S('keepalive_timeout 1 x;'), S('send_timeout x;'),
  S('send_timeout 1; send_timeout 2;'), S('client_max_body_size x;'), S('client_max_body_size 1; client_max_body_size 2;'),
  S('default_type a b;'), S('default_type a; default_type b;'), S('add_header a;'), S('add_header a b c;'),
  S('add_header a $foo;'), S('error_page 404;'), S('error_page 200 /x;'), S('error_page 404 =x /x;'),
  S('error_page abc /x;'), S('error_page 600 /x;'), S('error_page 499 /x;'), S('resolver;'),
  S('access_log logs/a.log bogus;'), S('access_log off x;'), S('internal;'), S('server_name;'), S('server_name ~(;'),
  'events {}\nhttp { log_format x a; log_format x b; }\n', 'events {}\nhttp { log_format combined a; }\n',
  'events {}\nhttp { log_format x escape=bogus a; }\n', 'events {}\nhttp { log_format x; }\n', 'events {}\nhttp { log_format x $foo; }\n',
  'events {}\nhttp { lua_shared_dict d; }\n', 'events {}\nhttp { lua_shared_dict d x; }\n',
  'events {}\nhttp { lua_shared_dict d 1m; lua_shared_dict d 2m; }\n', 'events {}\nhttp { lua_shared_dict "" 1m; }\n',
  'events {}\nhttp { lua_package_path a; lua_package_path b; }\n', 'events {}\nhttp { lua_package_cpath a; lua_package_cpath b; }\n',
  'events {}\nhttp { lua_socket_connect_timeout x; }\n', 'events {}\nhttp { lua_socket_connect_timeout 1; lua_socket_connect_timeout 2; }\n',
  'events {}\nhttp { lua_socket_buffer_size x; }\n', 'events {}\nhttp { lua_socket_pool_size x; }\n',
  'events {}\nhttp { lua_socket_log_errors x; }\n', 'events {}\nhttp { lua_max_pending_timers x; }\n',
  'events {}\nhttp { lua_max_running_timers -1; }\n',
  'events {}\nhttp { server { listen 127.0.0.1:18093; } server { listen 127.0.0.1:18093; } }\n',
  'events {}\nhttp { server { listen 127.0.0.1:18093; server_name a; }\n server { listen 127.0.0.1:18093; server_name A; } }\n',
  'events {}\nhttp {\n server { listen 127.0.0.1:18093 default_server; }\n server {\n listen 127.0.0.1:18093 default_server; } }\n',
  'events {}\nhttp {\n server { listen 18093; location / { return 200 $bogus; } }\n location / {}\n}\n',
  'events {}\nhttp {\n server { listen 18093; location /a {}\n location /a {} }\n bogus;\n}\n',
  S('location /a { return 200 "$later $cap $arg_x $http_y $cookie_z $sent_http_w $1"; }\n    location ~ (?<cap>.) { set $later 1; }'),
]

describe('nginx -t and nresty agree on every message', () => {
  let root = ''
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'nresty-conf-diff-'))
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  let n = 0

  it.each(CONFS.map((c) => [c]))('%j', async (text) => {
    const prefix = join(root, String(n++))
    mkdirSync(join(prefix, 'conf'), { recursive: true })
    mkdirSync(join(prefix, 'logs'))
    writeFileSync(join(prefix, 'conf', 'nginx.conf'), MODULES + text)
    expect(await nrestyTest(`${prefix}/`)).toBe(nginxTest(`${prefix}/`))
  })
})

/** The http block both run; `$document_root` holds html/f.txt and html/dir/. */
const HTTP = (port: number): string => `
  access_log off;
  server {
    listen 127.0.0.1:${port};
    server_name localhost;
    rewrite ^/srv/(.*)$ /loc/$1;
    rewrite ^/srvlast/(.*)$ /loc/$1 last;
    if ($http_x_deny) { return 403; }
    location /loc/ { return 200 "loc uri=$uri args=$args\\n"; }
    location /a { rewrite ^/a(.*)$ /b$1; return 200 "after a: $uri\\n"; }
    location /b { return 200 "b: uri=$uri args=$args is_args=$is_args\\n"; }
    location /c { rewrite ^/c(.*)$ /b$1 last; return 200 "after c\\n"; }
    location /d { rewrite ^/d(.*)$ /b$1 break; return 200 "after d: $uri\\n"; }
    location /e { rewrite ^/e(.*)$ /b$1?x=1; }
    location /f { rewrite ^/f(.*)$ /b$1?x=1?; }
    location /g { rewrite ^/g(.*)$ /b$1?; }
    location /h { rewrite ^/h(.*)$ /b$1 redirect; }
    location /i { rewrite ^/i(.*)$ /b$1?y=2 permanent; }
    location /j { rewrite ^/j(.*)$ http://example.com/z$1; }
    location /k { rewrite ^/k(.*)$ /k$1 last; }
    location /o { if ($arg_x) { return 200 "o if x=$arg_x\\n"; } return 200 "o no x\\n"; }
    location /p { if ($arg_x = "yes") { set $r "eq"; } if ($arg_x != "yes") { set $r "ne"; } return 200 "p $r\\n"; }
    location /q { if ($uri ~ ^/q(\\d+)) { set $d $1; } if ($uri ~* ^/Q(?<nm>[a-z]+)) { set $n $nm; } return 200 "q d=$d n=$n 1=$1\\n"; }
    location /r { if ($arg_f = "") { return 200 "r empty\\n"; } if (-f $document_root$arg_f) { return 200 "r file\\n"; } if (-d $document_root$arg_f) { return 200 "r dir\\n"; } if (!-e $document_root$arg_f) { return 200 "r none\\n"; } return 200 "r other\\n"; }
    location /t { add_header X-T outer; if ($arg_x) { add_header X-If inner; } return 200 "t\\n"; }
    location /u { if ($arg_x) { set $u "in"; break; set $u "after"; } set $u "$u-out"; return 200 "u $u\\n"; }
    location /v { set $v 0; if ($arg_x) { set $v 1; } if ($arg_x = 0) { set $v zero; } return 200 "v $v\\n"; }
    location /w { if ($arg_x ~ (a)(b)?) { return 200 "w 1=$1 2=[$2]\\n"; } return 200 "w none\\n"; }
    location /x { rewrite ^/x/(.*)$ /b/$1; }
    location /y { rewrite ^ /loc/$request_uri?; }
    location /z { if ($arg_x) { rewrite ^ /b last; } return 200 "z\\n"; }
    location /cyc { rewrite ^ /cyc2; }
    location /cyc2 { rewrite ^ /cyc; }
    location /ee { error_page 404 /b; return 404; }
    location /en { error_page 418 @named; return 418; }
    location @named { return 200 "named uri=$uri\\n"; }
    location = /int { internal; return 200 "internal\\n"; }
    location /toint { rewrite ^ /int; }
    location /escr { rewrite ^/escr/(.*)$ /b?v=$1; }
    location /escd { rewrite ^/escd/(.*)$ /esc2/$1 redirect; }
    location /escq { rewrite ^/escq/(.*)$ /esc2/$1?v=$1 redirect; }
    location /ret { return 301 /b; }
    location /ret2 { return 302 "http://x.test/$uri"; }
    location /ret3 { return https://y.test$request_uri; }
    location /ret4 { return 404; }
    location /ret5 { return 204; }
    location /ret6 { return 418 "teapot $arg_a"; }
    location /cap { if ($uri ~ ^/cap/(.+)$) { rewrite ^ /b/$1 last; } }
    location /nest { location /nest/in { rewrite ^/nest/in/(.*) /b/$1 last; } return 200 "nest\\n"; }
  }`

const PATHS: readonly string[] = [
  '/srv/x?q=1', '/srvlast/x', '/a/1?z=2', '/c/1', '/d/1', '/e/1?z=2', '/f/1?z=2', '/g/1?z=2', '/h/1?z=2', '/i/1?z=2',
  '/j/1?z=2', '/k', '/o', '/o?x=0', '/o?x=1', '/p?x=yes', '/p?x=no', '/q12', '/Qabc', '/r?f=', '/r?f=/f.txt', '/r?f=/dir',
  '/r?f=/nope', '/t', '/t?x=1', '/u?x=1', '/u', '/v?x=0', '/v?x=00', '/w?x=a', '/w?x=ab', '/x/a%20b', '/y?q=1', '/z?x=1',
  '/cyc', '/ee', '/en', '/int', '/toint', '/escr/a%26b', '/escr/a&b', '/escr/a+b', '/escr/a%3Bb%3Fc%23d%25e%2Cf%3Dg',
  '/escd/a%20b', '/escd/a+b', '/escd/a%3Bb%3Fc%26d%3De%23f%25g', '/escd/%C3%A9%7E%22%27%3C', '/escq/a%20b%26c',
  '/ret', '/ret2', '/ret3?a=1', '/ret4', '/ret5', '/ret6?a=b', '/cap/zz?k=v', '/nest', '/nest/in/q?w=1',
]

describe('the rewrite module and error_page answer as on the reference', () => {
  let ref: Reference
  let ours: RunningServer
  let refPort: number
  let ourPort: number
  let ourPrefix: string

  beforeAll(async () => {
    refPort = await freePort()
    ourPort = await freePort()
    const files = { 'html/f.txt': 'file', 'html/dir/.keep': '' }
    ref = await startReference({ port: refPort, http: HTTP(refPort), files })
    ourPrefix = mkdtempSync(join(tmpdir(), 'nresty-conf-diff-ours-'))
    for (const [path, text] of Object.entries({ ...files, 'conf/nginx.conf': referenceConf(install, HTTP(ourPort)) })) {
      mkdirSync(join(ourPrefix, path, '..'), { recursive: true })
      writeFileSync(join(ourPrefix, path), text)
    }
    mkdirSync(join(ourPrefix, 'logs'))
    ours = await startServer(loadConfGateway('conf/nginx.conf', `${ourPrefix}/`).gateway, { prefix: ourPrefix })
  }, 30_000)

  afterAll(async () => {
    await ref?.stop()
    await ours?.close()
    rmSync(ourPrefix, { recursive: true, force: true })
  })

  /** Status, the headers either may set, and the body; the port spelled out as PORT. */
  const answer = async (port: number, path: string, headers: Record<string, string> = {}): Promise<string> => {
    const r = await get(port, path, headers)
    const shown = ['content-type', 'location', 'x-t', 'x-if'].map((h) => `${h}: ${r.headers[h] ?? '-'}`).join('; ')
    // the pages name the server: nginx/1.22.1 there, nresty/<version> here
    return `${r.status} [${shown}] ${r.body}`.replaceAll(String(port), 'PORT').replace(/<hr><center>(nginx|nresty)\/[\d.]+<\/center>/, '<hr><center>SERVER</center>')
  }

  it.each(PATHS.map((p) => [p]))('%s', async (path) => {
    expect(await answer(ourPort, path)).toBe(await answer(refPort, path))
  })

  it('a server-level if answers before any location', async () => {
    expect(await answer(ourPort, '/b', { 'X-Deny': '1' })).toBe(await answer(refPort, '/b', { 'X-Deny': '1' }))
  })

  it('logs the rewrite cycle as nginx does', async () => {
    const line = /\[error\] \d+#\d+: \*\d+ rewrite or internal redirection cycle while processing "\/cyc2", client: 127\.0\.0\.1, server: localhost, request: "GET \/cyc HTTP\/1\.1", host: "localhost"\n/g
    const ourLog = (): string => {
      ours.errorLog.flush()
      return readFileSync(join(ourPrefix, 'logs', 'error.log'), 'utf8')
    }
    const refMark = ref.logMark()
    const before = ourLog().match(line)?.length ?? 0
    await get(refPort, '/cyc')
    await get(ourPort, '/cyc')
    expect(ref.logSince(refMark).match(line)).toHaveLength(1)
    expect(ourLog().match(line)?.length).toBe(before + 1)
  })
})
