// Records which server the reference nginx's `hash $arg_k consistent` picks for a few hundred
// keys, into fixtures/nginx-chash.json (read by chash.test.ts). Run on a machine with the
// reference nginx (Debian nginx 1.22 + ngx_lua), from the repository root:
//
//   node packages/balancer/test/make-chash-fixture.ts [path/to/nginx]
//
// It starts nginx in a temporary prefix with two upstreams: `u` (three TCP servers, weights 1,
// 2, 3) and `v` (a unix socket server, weight 2, and a TCP one), each backend answering its own
// address, and asks /u?k=KEY and /v?k=KEY for every key.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const NGINX = process.argv[2] ?? '/usr/sbin/nginx'
const prefix = mkdtempSync(join(tmpdir(), 'nresty-chash-fixture-'))
mkdirSync(join(prefix, 'conf'))
mkdirSync(join(prefix, 'logs'))
const base = 20000 + Math.floor(Math.random() * 9000)
const [front, p1, p2, p3] = [base, base + 1, base + 2, base + 3]
const sock = join(prefix, 'b.sock')

const u = [{ server: `127.0.0.1:${p1}`, weight: 1 }, { server: `127.0.0.1:${p2}`, weight: 2 }, { server: `127.0.0.1:${p3}`, weight: 3 }]
const v = [{ server: `unix:${sock}`, weight: 2 }, { server: `127.0.0.1:${p1}`, weight: 1 }]
const upstream = (name: string, servers: typeof u): string =>
  `upstream ${name} { hash $arg_k consistent; ${servers.map((s) => `server ${s.server} weight=${s.weight};`).join(' ')} }`
const backend = (listen: string, answer: string): string => `server { listen ${listen}; location / { return 200 "${answer}"; } }`

writeFileSync(join(prefix, 'conf/nginx.conf'), `user root;
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
pid logs/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    ${upstream('u', u)}
    ${upstream('v', v)}
    ${backend(`127.0.0.1:${p1}`, `127.0.0.1:${p1}`)}
    ${backend(`127.0.0.1:${p2}`, `127.0.0.1:${p2}`)}
    ${backend(`127.0.0.1:${p3}`, `127.0.0.1:${p3}`)}
    ${backend(`unix:${sock}`, `unix:${sock}`)}
    server {
        listen 127.0.0.1:${front};
        location /u { proxy_pass http://u; }
        location /v { proxy_pass http://v; }
    }
}
`)

// Keys: short counters, words with punctuation nginx passes raw, and hex digests.
const keys: string[] = []
for (let i = 0; i < 100; i++) keys.push(`k${i}`)
for (let i = 0; i < 50; i++) keys.push(`user-${i * 7919}.example_${i % 3}`)
for (let i = 0; i < 50; i++) keys.push(createHash('sha1').update(String(i)).digest('hex').slice(0, 8 + (i % 32)))

execFileSync(NGINX, ['-p', `${prefix}/`, '-c', 'conf/nginx.conf'])
try {
  await sleep(300)
  const ask = async (loc: string): Promise<Record<string, string>> => {
    const out: Record<string, string> = {}
    for (const k of keys) {
      const r = await fetch(`http://127.0.0.1:${front}/${loc}?k=${k}`)
      out[k] = await r.text()
    }
    return out
  }
  const fixture = {
    produced: `node packages/balancer/test/make-chash-fixture.ts, with ${spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim()}`,
    upstreams: {
      u: { servers: u, picks: await ask('u') },
      v: { servers: v, picks: await ask('v') },
    },
  }
  writeFileSync(new URL('fixtures/nginx-chash.json', import.meta.url), `${JSON.stringify(fixture, null, 1)}\n`)
} finally {
  execFileSync(NGINX, ['-p', `${prefix}/`, '-c', 'conf/nginx.conf', '-s', 'stop'])
}
