// The proxy and upstream directives through the conf front end: what they write into the
// gateway definition, and nginx's `[emerg]`s and `[warn]`s with their places (each one as the
// reference nginx 1.22.1 printed it for the same configuration).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { registerDirective } from './conf-directives.ts'
import { loadConfGateway } from './conf-gateway.ts'
import type { ConfGateway } from './conf-gateway.ts'
import { ConfFileError } from './conf-parse.ts'
import { setBalancingMethod, upstreamBuild } from './conf-proxy.ts'
import type { GatewayDef, LocationDef } from './gateway.ts'

const PREFIX = `${mkdtempSync(join(tmpdir(), 'nresty-proxy-'))}/`
mkdirSync(`${PREFIX}conf`)
afterAll(() => rmSync(PREFIX, { recursive: true, force: true }))

/** Loads `http` (the inside of the http block, starting on line 3). */
function load(http: string): ConfGateway {
  writeFileSync(`${PREFIX}conf/nginx.conf`, `events {}\nhttp {\n${http}\n}\n`)
  return loadConfGateway('conf/nginx.conf', PREFIX)
}

/** The `[emerg]` a configuration gets (file names relative to conf/). */
function emerg(http: string): string {
  try {
    load(http)
  } catch (e) {
    if (e instanceof ConfFileError) return e.located.replace(`${PREFIX}conf/`, '')
    throw e
  }
  throw new Error('loaded without an error')
}

function warnings(http: string): string[] {
  return load(http).warnings.map((w) => w.located.replace(`${PREFIX}conf/`, ''))
}

const server = (locations: string): string => `server { listen 127.0.0.1:1;\n${locations}\n}`

function location(g: ConfGateway, key: string): LocationDef {
  return g.gateway.def.servers[0]!.locations![key]!
}

describe('upstream', () => {
  it('writes servers with their parameters, keepalive and hash', () => {
    const def: GatewayDef = load(`upstream backend {
  hash $arg_k consistent;
  server 127.0.0.1:8080 weight=3 max_fails=2 fail_timeout=5s;
  server 127.0.0.1:8081 down;
  server 127.0.0.1;
  keepalive 16;
  keepalive_timeout 30s;
  keepalive_requests 100;
}
upstream b2 { server 127.0.0.1:1 backup; server unix:/tmp/x.sock; }`).gateway.def
    expect(def.upstreams).toEqual({
      backend: {
        hash: { key: '$arg_k', consistent: true },
        servers: [
          { address: '127.0.0.1:8080', weight: 3, maxFails: 2, failTimeout: '5s' },
          { address: '127.0.0.1:8081', down: true },
          '127.0.0.1',
        ],
        keepalive: 16, keepaliveTimeout: '30s', keepaliveRequests: 100,
      },
      b2: { servers: [{ address: '127.0.0.1:1', backup: true }, 'unix:/tmp/x.sock'] },
    })
  })

  it('answers nginx\'s errors for the block and its servers', () => {
    expect(emerg('upstream u {\n}\n')).toBe('no servers are inside upstream in nginx.conf:4')
    expect(emerg('upstream u { server 127.0.0.1:80; }\nupstream U { server 127.0.0.1:81; }')).toBe('duplicate upstream "U" in nginx.conf:4')
    expect(emerg('upstream { server 127.0.0.1:80; }')).toBe('invalid number of arguments in "upstream" directive in nginx.conf:3')
    expect(emerg(server('upstream u { server 127.0.0.1:80; }'))).toBe('"upstream" directive is not allowed here in nginx.conf:4')
    for (const p of ['foo', 'weight=0', 'weight=x', 'max_fails=x', 'fail_timeout=x', 'fail_timeout=500ms', 'max_conns=x', 'slow_start=10s', 'resolve', 'backup=1']) {
      expect(emerg(`upstream u { server 127.0.0.1:80 ${p}; }`)).toBe(`invalid parameter "${p}" in nginx.conf:3`)
    }
    expect(emerg('upstream u { server 127.0.0.1:0; }')).toBe('invalid port in upstream "127.0.0.1:0" in nginx.conf:3')
    expect(emerg('upstream u { server :80; }')).toBe('no host in upstream ":80" in nginx.conf:3')
    expect(emerg('upstream u { server nosuch.invalid:80; }')).toBe('host not found in upstream "nosuch.invalid:80" in nginx.conf:3')
    // parameters are read before the address
    expect(emerg('upstream u { server nosuch.invalid:80 foo; }')).toBe('invalid parameter "foo" in nginx.conf:3')
    expect(emerg('upstream u { server 127.0.0.1:80; keepalive 0; }')).toBe('invalid value "0" in "keepalive" directive in nginx.conf:3')
    expect(emerg('upstream u { server 127.0.0.1:80; keepalive 2; keepalive 3; }')).toBe('"keepalive" directive is duplicate in nginx.conf:3')
    expect(emerg('upstream u { server 127.0.0.1:80; keepalive_timeout x; }')).toBe('"keepalive_timeout" directive invalid value in nginx.conf:3')
    expect(emerg('upstream u { server 127.0.0.1:80; keepalive_requests x; }')).toBe('"keepalive_requests" directive invalid number in nginx.conf:3')
    expect(emerg('upstream u { hash $uri foo; server 127.0.0.1:80; }')).toBe('invalid parameter "foo" in nginx.conf:3')
  })

  it('refuses backup under hash, ip_hash and random, and an upstream of backups only', () => {
    expect(emerg('upstream u { hash $uri; server 127.0.0.1:80 backup; }')).toBe('balancing method does not support parameter "backup" in nginx.conf:3')
    expect(emerg('upstream u { ip_hash; server 127.0.0.1:80 backup; }')).toBe('balancing method does not support parameter "backup" in nginx.conf:3')
    expect(warnings('upstream u { least_conn; server 127.0.0.1:80 backup; server 127.0.0.1:81; }')).toEqual([
      'nresty balances upstream "u" with round robin: "least_conn" is ignored in nginx.conf:3',
    ])
    // found when nginx initializes the upstreams, named at the upstream's line
    expect(emerg('upstream u {\nserver 127.0.0.1:80 backup;\n}')).toBe('no servers in upstream "u" in nginx.conf:3')
    expect(emerg('upstream u { server 127.0.0.1:80 backup; hash $uri; }')).toBe('no servers in upstream "u" in nginx.conf:3')
  })

  it('warns when the balancing method is redefined, and keepalive before one is lost', () => {
    expect(warnings('upstream u { least_conn; hash $uri; server 127.0.0.1:80; }')).toEqual([
      'nresty balances upstream "u" with round robin: "least_conn" is ignored in nginx.conf:3',
      'load balancing method redefined in nginx.conf:3',
    ])
    const g = load('upstream u {\nkeepalive 4;\nhash $uri;\nserver 127.0.0.1:80;\n}')
    expect(g.warnings.map((w) => w.text)).toEqual([
      'load balancing method redefined',
      '"keepalive" before "hash" has no effect, as in nginx: put it after the balancing method',
    ])
    expect(g.gateway.def.upstreams!.u).toEqual({ servers: ['127.0.0.1:80'], hash: '$uri' })
    expect(warnings('upstream u { hash $uri; keepalive 4; server 127.0.0.1:80; random two least_conn; }')).toEqual([
      'load balancing method redefined in nginx.conf:3',
      'nresty balances upstream "u" with round robin: "random" is ignored in nginx.conf:3',
    ])
    expect(emerg('upstream u { random one; server 127.0.0.1:80; }')).toBe('invalid parameter "one" in nginx.conf:3')
  })

  it('lets another module write the upstream being read (balancer_by_lua)', () => {
    const balancer = (): void => undefined
    registerDirective({
      name: 'x_balancer', contexts: ['upstream'], args: 'NOARGS',
      handler: (d, s) => {
        setBalancingMethod(d, s, false)
        upstreamBuild(s).balancer = balancer
        return undefined
      },
    })
    const g = load('upstream u { server 127.0.0.1:80; x_balancer; }')
    expect(g.gateway.def.upstreams!.u!.balancer).toBe(balancer)
    expect(emerg('upstream u { x_balancer; server 127.0.0.1:80 backup; }')).toBe('balancing method does not support parameter "backup" in nginx.conf:3')
  })
})

describe('proxy_pass', () => {
  it('makes proxying the location\'s content, the last content directive winning', () => {
    const g = load(`upstream u { server 127.0.0.1:80; }
${server(`location /a/ { proxy_pass http://u/b/; }
location /v { set $t u; proxy_pass http://$t$uri; }
location /echo-first { echo hi; proxy_pass http://127.0.0.1:80; }
location /echo-last { proxy_pass http://127.0.0.1:80; echo hi; }
location /if { if ($arg_x) { proxy_pass http://u; } }`)}`)
    expect(location(g, '/a/').proxyPass).toBe('http://u/b/')
    expect(location(g, '/v').proxyPass).toBe('http://$t$uri')
    expect(location(g, '/echo-first').proxyPass).toBe('http://127.0.0.1:80')
    expect(location(g, '/echo-first').content).toBeUndefined()
    expect(location(g, '/echo-last').proxyPass).toBeUndefined()
    expect(typeof location(g, '/echo-last').content).toBe('function')
    const op = location(g, '/if').rewriteOps![0]!
    expect(op.op === 'if' ? op.location?.proxyPass : undefined).toBe('http://u')
  })

  it('answers nginx\'s errors at the directive', () => {
    expect(emerg(server('location / { proxy_pass ftp://x; }'))).toBe('invalid URL prefix in nginx.conf:4')
    expect(emerg(server('location / { proxy_pass 127.0.0.1:80; }'))).toBe('invalid URL prefix in nginx.conf:4')
    expect(emerg(server('location / { proxy_pass http://; }'))).toBe('no host in upstream "" in nginx.conf:4')
    expect(emerg(server('location / { proxy_pass http://127.0.0.1:99999; }'))).toBe('invalid port in upstream "127.0.0.1:99999" in nginx.conf:4')
    expect(emerg(server('location / { proxy_pass http://127.0.0.1:80; proxy_pass http://127.0.0.1:80; }'))).toBe('"proxy_pass" directive is duplicate in nginx.conf:4')
    expect(emerg('proxy_pass http://127.0.0.1:80;')).toBe('"proxy_pass" directive is not allowed here in nginx.conf:3')
    expect(emerg(server('proxy_pass http://127.0.0.1:80;'))).toBe('"proxy_pass" directive is not allowed here in nginx.conf:4')
    const uriPart = '"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block in nginx.conf:4'
    expect(emerg(server('location ~ /a { proxy_pass http://127.0.0.1:80/x; }'))).toBe(uriPart)
    expect(emerg(server('location @a { proxy_pass http://127.0.0.1:80/; }'))).toBe(uriPart)
    expect(emerg(server('location /a { if ($arg_a) { proxy_pass http://127.0.0.1:80?x; } }'))).toBe(uriPart)
    // variables: nothing is checked until a request renders the URL
    expect(() => load(server('location ~ /a { proxy_pass ftp://$host/x; }'))).not.toThrow()
    expect(emerg(server('location / { proxy_pass http://$nosuch_var; }'))).toBe('unknown "nosuch_var" variable')
  })

  it('checks upstream names and ports as nginx does', () => {
    expect(emerg(`upstream u { server 127.0.0.1:80; }\n${server('location / { proxy_pass http://u:81; }')}`)).toBe('upstream "u" may not have port 81 in nginx.conf:5')
    // the upstream block after the proxy_pass: still named at the proxy_pass
    expect(emerg(`${server('location / { proxy_pass http://u:80; }')}\nupstream u { server 127.0.0.1:80; }`)).toBe('upstream "u" may not have port 80 in nginx.conf:4')
    expect(() => load(`${server('location / { proxy_pass http://U/x; }')}\nupstream u { server 127.0.0.1:80; }`)).not.toThrow()
    // an unknown name is a host nginx cannot resolve, found after the whole http block, before
    // duplicate locations, at the first proxy_pass naming it
    expect(emerg(`${server('location / {\nproxy_pass\n http://nosuch;\n}\nlocation / { }')}\n${server('location / { proxy_pass http://nosuch2:81; }')}`))
      .toBe('host not found in upstream "nosuch" in nginx.conf:6')
    expect(emerg(server('location / { proxy_pass http://nosuch.invalid:81/; }'))).toBe('host not found in upstream "nosuch.invalid" in nginx.conf:4')
    expect(() => load(server('location / { proxy_pass http://localhost:81/; proxy_pass_request_body off; }\nlocation /u { proxy_pass http://unix:/tmp/x.sock:/u; }'))).not.toThrow()
  })
})

describe('proxy_* settings', () => {
  it('writes each level\'s settings', () => {
    const g = load(`proxy_set_header X-A $remote_addr;
proxy_http_version 1.1;
proxy_read_timeout 5s;
proxy_next_upstream error http_500;
proxy_next_upstream timeout;
${server(`proxy_buffering off;
location / { proxy_pass http://127.0.0.1:80; proxy_set_header Host $host; proxy_set_header Accept-Encoding ""; proxy_pass_request_headers off;
  proxy_pass_request_body off; proxy_connect_timeout 1s; proxy_send_timeout 2; proxy_next_upstream_tries 3; proxy_next_upstream_timeout 1m;
  proxy_hide_header X-A; proxy_hide_header X-B; proxy_pass_header Server; proxy_intercept_errors on; proxy_ignore_client_abort on;
  proxy_request_buffering off; proxy_buffer_size 8k; proxy_buffers 4 8k; proxy_busy_buffers_size 16k; proxy_redirect default; }
location /off { proxy_next_upstream off; }`)}`)
    expect(g.gateway.def.proxy).toEqual({ setHeaders: { 'X-A': '$remote_addr' }, httpVersion: '1.1', readTimeout: '5s', nextUpstream: ['error', 'http_500', 'timeout'] })
    expect(g.gateway.def.servers[0]!.proxy).toEqual({ buffering: false })
    expect(location(g, '/').proxy).toEqual({
      setHeaders: { Host: '$host', 'Accept-Encoding': '' }, passRequestHeaders: false, passRequestBody: false,
      connectTimeout: '1s', sendTimeout: '2', nextUpstreamTries: 3, nextUpstreamTimeout: '1m', hideHeaders: ['X-A', 'X-B'],
      passHeaders: ['Server'], interceptErrors: true, ignoreClientAbort: true, bufferSize: 8192,
    })
    expect(location(g, '/off').proxy).toEqual({ nextUpstream: false })
    expect(g.warnings).toEqual([])
  })

  it('answers nginx\'s errors and warnings', () => {
    expect(emerg('proxy_http_version 2;')).toBe('invalid value "2" in nginx.conf:3')
    expect(emerg('proxy_next_upstream error http_418;')).toBe('invalid value "http_418" in nginx.conf:3')
    expect(warnings('proxy_next_upstream error error;')).toEqual(['duplicate value "error" in nginx.conf:3'])
    expect(emerg('proxy_next_upstream_tries x;')).toBe('"proxy_next_upstream_tries" directive invalid number in nginx.conf:3')
    expect(emerg('proxy_next_upstream_timeout x;')).toBe('"proxy_next_upstream_timeout" directive invalid value in nginx.conf:3')
    expect(emerg('proxy_read_timeout x;')).toBe('"proxy_read_timeout" directive invalid value in nginx.conf:3')
    expect(emerg('proxy_buffering x;')).toBe('invalid value "x" in "proxy_buffering" directive, it must be "on" or "off" in nginx.conf:3')
    expect(emerg('proxy_ignore_client_abort maybe;')).toBe('invalid value "maybe" in "proxy_ignore_client_abort" directive, it must be "on" or "off" in nginx.conf:3')
    expect(emerg('proxy_buffering on; proxy_buffering off;')).toBe('"proxy_buffering" directive is duplicate in nginx.conf:3')
    expect(emerg('proxy_set_header X;')).toBe('invalid number of arguments in "proxy_set_header" directive in nginx.conf:3')
    expect(emerg('proxy_hide_header a b;')).toBe('invalid number of arguments in "proxy_hide_header" directive in nginx.conf:3')
    expect(emerg('proxy_buffers 8 x;')).toBe('"proxy_buffers" directive invalid value in nginx.conf:3')
    expect(emerg('proxy_buffers x 4k;')).toBe('"proxy_buffers" directive invalid value in nginx.conf:3')
    expect(emerg('proxy_buffer_size x;')).toBe('"proxy_buffer_size" directive invalid value in nginx.conf:3')
    expect(emerg('proxy_busy_buffers_size x;')).toBe('"proxy_busy_buffers_size" directive invalid value in nginx.conf:3')
    // merge-time checks, named at the http block's "}", and only with a server to merge into
    expect(() => load('proxy_busy_buffers_size 1m; proxy_buffers 1 4k;')).not.toThrow()
    expect(emerg(server('location / { proxy_pass http://127.0.0.1:80; proxy_busy_buffers_size 1m; }')))
      .toBe('"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer in nginx.conf:6')
    expect(emerg(server('location / { proxy_pass http://127.0.0.1:80; proxy_buffers 1 4k; }'))).toBe('there must be at least 2 "proxy_buffers" in nginx.conf:6')
    expect(emerg('proxy_redirect default;')).toBe('"proxy_redirect default" should be placed after the "proxy_pass" directive in nginx.conf:3')
    expect(emerg(server('location / { proxy_pass http://$host; proxy_redirect default; }')))
      .toBe('"proxy_redirect default" cannot be used with "proxy_pass" directive with variables in nginx.conf:4')
    expect(emerg('proxy_redirect foo;')).toBe('invalid parameter "foo" in nginx.conf:3')
    expect(emerg('proxy_redirect off; proxy_redirect default;')).toBe('"proxy_redirect" directive is duplicate in nginx.conf:3')
    expect(warnings('proxy_redirect http://a/ http://b/;')).toEqual([
      'nresty does not rewrite the "Location" and "Refresh" headers of proxied responses: this "proxy_redirect" is ignored in nginx.conf:3',
    ])
  })
})
