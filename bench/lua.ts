// @nresty/lua throughput: `content_by_lua_block { ngx.say("hello") }` next to raw node:http and
// the same handler in TypeScript, in one run. Each server runs in its own process (this file
// with a kind argument), pinned to core 0 with wrk on core 1 when taskset and 2 cores exist.
// Rounds rotate the servers; medians are reported, with the RSS of each server process.
//
//   node bench/lua.ts                       (after `npm run build`)
//   BENCH_ROUNDS=5 BENCH_DURATION=5 node bench/lua.ts
//
// Env: BENCH_ROUNDS (3), BENCH_DURATION seconds per run (3), BENCH_WARMUP seconds (1),
// BENCH_CONNECTIONS (50).
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import {
  cleanup, commandWorks, fmtInt, formatTable, freePort, intEnv, median, parseWrk, rssKb, runWrk, stop, tempDir, track,
  waitListening,
} from './lib.ts'

const KINDS = { node: 'node:http (raw)', ts: 'nresty, TS handler', lua: 'nresty, content_by_lua_block' } as const
type Kind = keyof typeof KINDS

const kindArg = process.argv[2] as Kind | undefined
if (kindArg !== undefined) await serve(kindArg, Number(process.argv[3]), process.argv[4] ?? '')
else await main()

async function serve(kind: Kind, port: number, dir: string): Promise<void> {
  if (kind === 'node') {
    createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/plain')
      res.end('hello\n')
    }).listen(port, '127.0.0.1')
  } else if (kind === 'ts') {
    const { defineGateway, startServer } = await import('@nresty/core')
    await startServer(defineGateway({
      accessLog: false,
      servers: [{ listen: `127.0.0.1:${port}`, locations: { '= /hello': { content: (ngx) => ngx.say('hello') } } }],
    }), { prefix: `${dir}/` })
  } else {
    const { loadConfGateway, startServer } = await import('@nresty/core')
    await import('@nresty/lua')
    mkdirSync(join(dir, 'conf'), { recursive: true })
    mkdirSync(join(dir, 'logs'), { recursive: true })
    writeFileSync(join(dir, 'conf/nginx.conf'), `worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:${port};
        location = /hello { content_by_lua_block { ngx.say("hello") } }
    }
}
`)
    await startServer(loadConfGateway('conf/nginx.conf', dir).gateway, { prefix: `${dir}/` })
  }
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
}

async function main(): Promise<void> {
  if (!commandWorks('wrk', ['-v'], true)) {
    process.stderr.write('bench/lua.ts: wrk is not installed\n')
    process.exit(1)
  }
  const rounds = intEnv('BENCH_ROUNDS', 3, 1, 50)
  const duration = intEnv('BENCH_DURATION', 3, 1, 120)
  const warmup = intEnv('BENCH_WARMUP', 1, 0, 60)
  const connections = intEnv('BENCH_CONNECTIONS', 50, 1, 1000)
  const pin = availableParallelism() >= 2 && commandWorks('taskset', ['-c', '0', 'true'])
  const wrk = { connections, ...(pin ? { core: 1 } : {}) }
  const running: { kind: Kind; child: ChildProcess; port: number; rps: number[]; rss: number }[] = []
  try {
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const port = await freePort()
      const args = [resolve(import.meta.dirname, 'lua.ts'), kind, String(port), tempDir(`lua-${kind}`)]
      const child = pin
        ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['pipe', 'inherit', 'inherit'] })
        : spawn(process.execPath, args, { stdio: ['pipe', 'inherit', 'inherit'] })
      track(child)
      const up = await waitListening(child, port, 20_000)
      if (up !== '') throw new Error(`${KINDS[kind]}: ${up}`)
      running.push({ kind, child, port, rps: [], rss: 0 })
    }
    for (const r of running) if (warmup > 0) await runWrk(r.port, warmup, wrk)
    for (let round = 0; round < rounds; round++) {
      const parts: string[] = []
      for (let i = 0; i < running.length; i++) {
        const r = running[(i + round) % running.length]!
        const res = parseWrk(await runWrk(r.port, duration, wrk))
        r.rps.push(res.rps)
        r.rss = Math.max(r.rss, rssKb(r.child.pid))
        parts.push(`${r.kind} ${fmtInt(res.rps)}`)
      }
      process.stdout.write(`round ${round + 1}/${rounds}: ${parts.join(', ')}\n`)
    }
  } finally {
    await Promise.all(running.map((r) => stop(r.child)))
    cleanup()
  }
  const base = median(running.find((r) => r.kind === 'node')!.rps)
  const lines = [['server', 'req/s (median)', 'vs node:http', 'RSS MB'], ...running.map((r) => {
    const m = median(r.rps)
    return [KINDS[r.kind], fmtInt(m), `${(m / base).toFixed(2)}x`, (r.rss / 1024).toFixed(1)]
  })]
  process.stdout.write(`\n${formatTable(lines, new Set([1, 2, 3]))}\n`)
}
