// Helpers shared by the benchmark scripts (run.ts, workers.ts): free ports, waiting for a
// server to listen, driving wrk and parsing what it prints, reading a process's RSS and CPU
// time from /proc, and stopping every child the bench started (also on SIGINT or a watchdog).
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer as createNetServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const HOST = '127.0.0.1'
export const LUA_MODULE = '/usr/lib/nginx/modules/ngx_http_lua_module.so'
export const NDK_MODULE = '/usr/lib/nginx/modules/ndk_http_module.so'
export const INSTALL_HINT = 'bash /work/shared/tools/install-reference-openresty.sh'

// ---------------------------------------------------------------------------------------------
// Children and temp dirs: everything started here is stopped by cleanup()

const children = new Set<ChildProcess>()
const tmpDirs: string[] = []

/** Remembers a child so cleanup() kills it if it is still running. */
export function track(child: ChildProcess): void {
  children.add(child)
  child.on('exit', () => children.delete(child))
}

/** A fresh temp dir, removed by cleanup(). */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nresty-bench-${name}-`))
  tmpDirs.push(dir)
  return dir
}

/** SIGTERM (nginx: fast shutdown; ours: close and exit), SIGKILL after 3 s; resolves on exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(t)
}

/**
 * For servers that do not watch their parent (nginx, the nresty command): a tiny shell holds
 * a pipe from us and stops the server when the pipe closes, so even a SIGKILLed bench leaves
 * no server behind.
 */
export function guard(pid: number): void {
  const g = spawn('sh', ['-c', 'read _ignored; kill -TERM "$1" 2>/dev/null', 'sh', String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] })
  track(g)
}

/** Kills every child still running and removes the temp dirs. */
export function cleanup(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  }
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

/**
 * A hard bound on the whole run, whatever hangs, plus cleanup on SIGINT and SIGTERM. `shutdown`,
 * when given, runs first (for at most 5 s): servers with worker processes should be stopped
 * through their master rather than SIGKILLed by cleanup(), which would leave the workers behind.
 */
export function armWatchdog(name: string, budgetS: number, shutdown?: () => Promise<void>): void {
  let exiting = false
  const bail = (code: number): void => {
    if (exiting) return
    exiting = true
    const done = (): never => {
      cleanup()
      process.exit(code)
    }
    if (shutdown === undefined) done()
    setTimeout(done, 5000).unref()
    shutdown!().then(done, done)
  }
  const watchdog = setTimeout(() => {
    process.stderr.write(`${name}: still running after ${budgetS}s, giving up\n`)
    bail(1)
  }, budgetS * 1000)
  watchdog.unref()
  process.on('SIGINT', () => bail(130))
  process.on('SIGTERM', () => bail(143))
}

// ---------------------------------------------------------------------------------------------
// Ports and readiness

export function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const s = createNetServer()
    s.once('error', ko)
    s.listen(0, HOST, () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      s.close(() => ok(port))
    })
  })
}

/** Resolves '' once the port accepts connections, or the reason it never did. */
export async function waitListening(child: ChildProcess, port: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return `exited (${child.exitCode ?? child.signalCode}): `
    if (await canConnect(port)) return ''
    await sleep(50)
  }
  return `not listening after ${timeoutMs / 1000}s: `
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ host: HOST, port })
    s.setTimeout(500)
    s.once('connect', () => {
      s.destroy()
      ok(true)
    })
    s.once('timeout', () => {
      s.destroy()
      ok(false)
    })
    s.once('error', () => ok(false))
  })
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

/** GET http://127.0.0.1:<port><path> with Connection: close; the reply, or the error text. */
export function httpGet(port: number, path: string, headers: Record<string, string>): Promise<Reply | string> {
  return new Promise((ok) => {
    const req = request({ host: HOST, port, path, headers: { ...headers, Connection: 'close' }, timeout: 3000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', (e) => ok(e.message))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (e) => ok(e.message))
    req.end()
  })
}

// ---------------------------------------------------------------------------------------------
// wrk

export interface WrkOptions {
  readonly connections: number
  /** Run wrk on this core with taskset; unpinned when undefined. */
  readonly core?: number
  /** Extra request headers, `Name: value`. */
  readonly headers?: readonly string[]
  readonly path?: string
}

/** Runs `wrk -t1 -c<n> -d<seconds>s --latency` and resolves with what it printed. */
export function runWrk(port: number, seconds: number, o: WrkOptions): Promise<string> {
  let cmd = 'wrk'
  let args = ['-t1', `-c${o.connections}`, `-d${seconds}s`, '--latency']
  for (const h of o.headers ?? []) args.push('-H', h)
  args.push(`http://${HOST}:${port}${o.path ?? '/hello'}`)
  if (o.core !== undefined) {
    args = ['-c', String(o.core), cmd, ...args]
    cmd = 'taskset'
  }
  return new Promise((ok, ko) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      out += d
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => {
      out += d
    })
    const t = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000)
    child.on('exit', (code, signal) => {
      clearTimeout(t)
      if (code === 0) ok(out)
      else ko(new Error(`wrk failed (${code ?? signal}): ${oneLine(out)}`))
    })
  })
}

export interface WrkResult {
  readonly rps: number
  readonly p99Ms: number
  /** Requests completed during the run. */
  readonly requests: number
  /** Non-2xx answers and socket errors, '' when none. */
  readonly errors: string
}

/** Reads req/s, the p99 of `--latency`, the request count and errors from wrk's output. */
export function parseWrk(out: string): WrkResult {
  const rpsMatch = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const totalMatch = /(\d+) requests in /.exec(out)
  const p99Match = /^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out)
  if (rpsMatch === null || p99Match === null || totalMatch === null) throw new Error(`cannot parse wrk output: ${oneLine(out)}`)
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }
  const errors: string[] = []
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)
  if (non2xx !== null) errors.push(`${non2xx[1]} non-2xx`)
  const sock = /Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  if (sock !== null) {
    const [, c, r, w, t] = sock
    const parts = [['connect', c], ['read', r], ['write', w], ['timeout', t]].filter(([, n]) => n !== '0')
    if (parts.length > 0) errors.push(`socket errors: ${parts.map(([k, n]) => `${k} ${n}`).join(', ')}`)
  }
  return {
    rps: Number(rpsMatch[1]),
    p99Ms: Number(p99Match[1]) * unit[p99Match[2]!]!,
    requests: Number(totalMatch[1]),
    errors: errors.join('; '),
  }
}

// ---------------------------------------------------------------------------------------------
// /proc

/** VmRSS of the process, in kB (NaN when it is gone). */
export function rssKb(pid: number | undefined): number {
  return statusKb(pid, 'VmRSS')
}

/** Pss of the process from smaps_rollup, in kB: shared pages divided among their sharers. */
export function pssKb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  const m = /^Pss:\s+(\d+)\s+kB/m.exec(safeRead(`/proc/${pid}/smaps_rollup`))
  return m === null ? Number.NaN : Number(m[1])
}

function statusKb(pid: number | undefined, field: string): number {
  if (pid === undefined) return Number.NaN
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(safeRead(`/proc/${pid}/status`))
  return m === null ? Number.NaN : Number(m[1])
}

/** utime + stime of the process (all its threads), in clock ticks. */
export function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return Number.NaN
  }
}

/** utime + stime of this process's waited-for children (wrk once it has exited), in clock ticks. */
export function childrenCpuTicks(): number {
  const stat = safeRead('/proc/self/stat')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // cutime and cstime are fields 16 and 17.
  return Number(f[13]) + Number(f[14])
}

/** The whole machine's busy CPU time (all cores, everything but idle and iowait), in clock ticks. */
export function machineBusyTicks(): number {
  const line = /^cpu\s+(.+)$/m.exec(safeRead('/proc/stat'))?.[1]
  if (line === undefined) return Number.NaN
  const n = line.trim().split(/\s+/).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  return n.slice(0, 8).reduce((a, b) => a + b, 0) - n[3]! - n[4]!
}

/** The number of threads of the process (NaN when it is gone). */
export function threadCount(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  const m = /^Threads:\s+(\d+)/m.exec(safeRead(`/proc/${pid}/status`))
  return m === null ? Number.NaN : Number(m[1])
}

/** The pids whose parent is `pid` (`ps --ppid`). */
export function childPids(pid: number): number[] {
  const r = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8', timeout: 5000 })
  if (r.status !== 0) return []
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0)
}

let ticks = 0
export function clockTicks(): number {
  if (ticks === 0) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    ticks = r.status === 0 ? Number(r.stdout.trim()) || 100 : 100
  }
  return ticks
}

export function cpuModel(): string {
  return /^model name\s*:\s*(.+)$/m.exec(safeRead('/proc/cpuinfo'))?.[1] ?? 'unknown CPU'
}

export function nginxVersion(): string {
  return commandWorks('nginx', ['-v'], true) ? oneLine(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr) : 'nginx not installed'
}

// ---------------------------------------------------------------------------------------------
// Small things

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** Right-aligns the `right` columns, pads the others, two spaces between; a dashed rule under the header. */
export function formatTable(lines: readonly (readonly string[])[], right: ReadonlySet<number>): string {
  const header = lines[0]!
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)))
  const fmt = (l: readonly string[]): string => l.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  let out = fmt(header) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n'
  for (const l of lines.slice(1)) out += fmt(l) + '\n'
  return out
}

/** An integer from the environment within [min, max], else `def`; exits 2 on a bad value. */
export function intEnv(name: string, def: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return def
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`bench: ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}\n`)
    process.exit(2)
  }
  return n
}

/** Whether the command runs (exit 0, or any exit when `anyExit`: `wrk -v` exits 1). */
export function commandWorks(cmd: string, args: string[], anyExit = false): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 })
  return r.error === undefined && (anyExit ? r.status !== null : r.status === 0)
}

export function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

export function readTail(path: string): string {
  return safeRead(path).slice(-600)
}

export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 600)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms))
}

// ---------------------------------------------------------------------------------------------
// The reference OpenResty

export interface NginxConfOptions {
  readonly masterProcess: boolean
  readonly workers: number
}

/**
 * Writes <dir>/conf/nginx.conf: ngx_lua answering GET /hello with `hello\n` from
 * content_by_lua_block, access_log off, daemon off, `user root;` when run as root.
 */
export function writeNginxConf(dir: string, port: number, o: NginxConfOptions): void {
  mkdirSync(join(dir, 'conf'), { recursive: true })
  mkdirSync(join(dir, 'logs'), { recursive: true })
  const asRoot = process.getuid?.() === 0
  const conf = [
    `load_module ${NDK_MODULE};`,
    `load_module ${LUA_MODULE};`,
    asRoot ? 'user root;' : '',
    'daemon off;',
    `master_process ${o.masterProcess ? 'on' : 'off'};`,
    `worker_processes ${o.workers};`,
    'pid logs/nginx.pid;',
    'error_log logs/error.log error;',
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    '  default_type text/plain;',
    `  client_body_temp_path ${dir}/tmp/body;`,
    `  proxy_temp_path ${dir}/tmp/proxy;`,
    `  fastcgi_temp_path ${dir}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${dir}/tmp/uwsgi;`,
    `  scgi_temp_path ${dir}/tmp/scgi;`,
    '  server {',
    `    listen ${HOST}:${port};`,
    '    location = /hello {',
    '      content_by_lua_block { ngx.say("hello") }',
    '    }',
    '  }',
    '}',
    '',
  ].filter((l) => l !== '').join('\n') + '\n'
  mkdirSync(join(dir, 'tmp'), { recursive: true })
  writeFileSync(join(dir, 'conf/nginx.conf'), conf)
}
