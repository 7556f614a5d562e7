#!/usr/bin/env node
// The `nresty` command, used as `openresty -p $PWD/` is: runs `conf/nginx.conf` (or a
// TypeScript gateway, `--gateway`), detached by default (`daemon on`) or in the foreground,
// with a master and worker threads or in one process (`master_process off`); tests a
// configuration (`-t`, `-T`); signals a running master through its pid file (`-s`).
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { reopenAll } from './access-log.ts'
import { compileGateway } from './conf.ts'
import { ConfBuild } from './conf-directives.ts'
import { confHooks, dumpConf, loadConfGateway } from './conf-gateway.ts'
import type { ConfGateway } from './conf-gateway.ts'
import { ConfFileError, parseConfParam } from './conf-parse.ts'
import { LOG_LEVELS, NRESTY_VERSION } from './constants.ts'
import { systemErrorText } from './errors.ts'
import type { Gateway } from './gateway.ts'
import { loadGateway, moduleUrl } from './load.ts'
import { formatErrorLine } from './log.ts'
import { startMaster } from './master.ts'
import type { MasterOptions } from './master.ts'
import { startServer } from './server.ts'

const USAGE = `nresty version: nresty/${NRESTY_VERSION}
Usage: nresty [-?hvVtTq] [-s signal] [-p prefix]
              [-e filename] [-c filename] [-g directives]
              [--gateway module [--export name]] [--workers N]

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and configure options then exit
  -t            : test configuration and exit
  -T            : test configuration, dump it and exit
  -q            : suppress non-error messages during configuration testing
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: the current directory)
  -e filename   : set error log file (default: logs/error.log)
  -c filename   : set configuration file (default: conf/nginx.conf)
  -g directives : set global directives out of configuration file
  --gateway m   : run a TypeScript or JavaScript gateway module instead of nginx.conf
  --export name : the export holding the gateway (default: gateway)
  --workers N   : worker threads, or auto (overrides worker_processes)
`

/** The flag a detached master is started with: it reports to its parent, then runs on. */
const DAEMON_FLAG = '--nresty-daemon'
const CLI_PATH = fileURLToPath(import.meta.url)

const SIGNAL_OF: Readonly<Record<string, NodeJS.Signals>> = {
  stop: 'SIGTERM', quit: 'SIGQUIT', reopen: 'SIGUSR1', reload: 'SIGHUP',
}
const SIGNAL_NO: Readonly<Record<string, number>> = { SIGTERM: 15, SIGQUIT: 3, SIGUSR1: 10, SIGHUP: 1 }

interface Args {
  prefix: string
  conf: string
  errorLog: string | undefined
  globals: string | undefined
  gateway: string | undefined
  exportName: string
  signal: string | undefined
  test: boolean
  dump: boolean
  quiet: boolean
  workers: number | 'auto' | undefined
  daemonChild: boolean
}

class UsageError extends Error {}

const NEEDS: Readonly<Record<string, string>> = { p: 'directory name', c: 'file name', e: 'file name', g: 'parameter', s: 'parameter' }

/** nginx's option syntax: flags may be joined (`-tq`), a value may follow its letter (`-p/srv`). */
function parseArgs(argv: readonly string[]): Args | 'help' | 'version' | 'configure' {
  const a: Args = {
    prefix: `${process.cwd()}/`, conf: 'conf/nginx.conf', errorLog: undefined, globals: undefined, gateway: undefined,
    exportName: 'gateway', signal: undefined, test: false, dump: false, quiet: false, workers: undefined, daemonChild: false,
  }
  let result: 'help' | 'version' | 'configure' | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg.startsWith('--')) {
      const value = (): string => {
        const v = argv[++i]
        if (v === undefined) throw new UsageError(`option "${arg}" requires a value`)
        return v
      }
      switch (arg) {
        case '--help': result ??= 'help'; break
        case '--version': result ??= 'version'; break
        case '--gateway': a.gateway = value(); break
        case '--export': a.exportName = value(); break
        case '--workers': {
          const v = value()
          const n = v === 'auto' ? 'auto' : Number(v)
          if (n !== 'auto' && (!Number.isInteger(n) || n < 1)) throw new UsageError(`invalid number of workers "${v}"`)
          a.workers = n
          break
        }
        case DAEMON_FLAG: a.daemonChild = true; break
        default: throw new UsageError(`invalid option: "${arg.slice(1)}"`)
      }
      continue
    }
    if (arg[0] !== '-') throw new UsageError(`invalid option: "${arg}"`)
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j]!
      switch (c) {
        case '?': case 'h': result ??= 'help'; continue
        case 'v': result ??= 'version'; continue
        case 'V': result ??= 'configure'; continue
        case 't': a.test = true; continue
        case 'T': a.test = true; a.dump = true; continue
        case 'q': a.quiet = true; continue
      }
      if (NEEDS[c] === undefined) throw new UsageError(`invalid option: "${arg.slice(j)}"`)
      let v: string | undefined = arg.slice(j + 1)
      if (v === '') v = argv[++i]
      if (v === undefined) throw new UsageError(`option "-${c}" requires ${NEEDS[c]}`)
      if (c === 'p') a.prefix = prefixPath(v)
      else if (c === 'c') a.conf = v
      else if (c === 'e') a.errorLog = v
      else if (c === 'g') a.globals = v
      else {
        if (SIGNAL_OF[v] === undefined) throw new UsageError(`invalid option: "-s ${v}"`)
        a.signal = v
      }
      break
    }
  }
  return result ?? a
}

/** nginx keeps the prefix as given (made absolute), with a trailing `/`. */
function prefixPath(p: string): string {
  const abs = p.startsWith('/') ? p : resolve(p)
  return abs.endsWith('/') ? abs : `${abs}/`
}

function say(line: string): void {
  process.stderr.write(`nresty: ${line}\n`)
}

/** The message of a failed load or start: nginx's located text, or a stack for a bug. */
function errorText(e: unknown): string {
  if (e instanceof ConfFileError) return e.located
  const err = e as Error
  return err.name === 'ConfError' ? err.message : (err.stack ?? String(e))
}

/**
 * nginx's default error log (`-e`, else logs/error.log), where errors found before the
 * configuration's own log is open go. Opened when there is one to write; when it cannot be,
 * nginx's `[alert]` is printed and the error goes to stderr only.
 */
class EarlyLog {
  readonly path: string

  constructor(a: Args) {
    const p = a.errorLog ?? 'logs/error.log'
    this.path = p === 'stderr' ? 'stderr' : p.startsWith('/') ? p : a.prefix + p
  }

  /** An `[emerg]`: on stderr as `nresty: [emerg] …`, and as a log line in the file. */
  emerg(text: string): void {
    const line = formatErrorLine(Date.now(), LOG_LEVELS.EMERG, process.pid, process.pid, text)
    if (this.path === 'stderr') {
      process.stderr.write(line)
      return
    }
    say(`[emerg] ${text}`)
    let fd: number
    try {
      fd = openSync(this.path, 'a')
    } catch (e) {
      say(`[alert] could not open error log file: open() "${this.path}" failed (${systemErrorText(e as NodeJS.ErrnoException)})`)
      return
    }
    writeSync(fd, line)
    closeSync(fd)
  }
}

/** What the command runs: an nginx.conf (read here too, for daemon, pid, …) or a module. */
interface Target {
  readonly conf: ConfGateway | undefined
  readonly file: string
  readonly daemon: boolean
  readonly masterProcess: boolean
  readonly pidPath: string
  /** The error log path as configured (relative to the prefix), or 'stderr'. */
  readonly errorLog: string
  readonly workers: number | 'auto' | undefined
  gateway(): Promise<Gateway>
}

function errorLogOf(g: Gateway): string {
  const e = g.def.errorLog
  return typeof e === 'string' ? e : (e?.path ?? 'logs/error.log')
}

/** `-g` with `--gateway`: the process directives only. */
const GATEWAY_GLOBALS: ReadonlySet<string> = new Set(['daemon', 'master_process', 'worker_processes'])

async function loadTarget(a: Args): Promise<Target> {
  if (a.gateway === undefined) {
    const conf = loadConfGateway(a.conf, a.prefix, a.globals)
    return {
      conf, file: conf.file, daemon: conf.daemon, masterProcess: conf.masterProcess, pidPath: conf.pidPath,
      errorLog: conf.errorLogSet || a.errorLog === undefined ? errorLogOf(conf.gateway) : a.errorLog,
      workers: a.workers, gateway: () => Promise.resolve(conf.gateway),
    }
  }
  const url = moduleUrl(a.gateway)
  const g = await loadGateway(url, a.exportName)
  const build = new ConfBuild(a.prefix, '')
  if (a.globals !== undefined) {
    for (const d of parseConfParam(a.globals).directives) {
      if (!GATEWAY_GLOBALS.has(d.name)) throw new ConfFileError(`"${d.name}" directive is not supported with --gateway`, 'command line')
    }
    parseConfParam(a.globals, confHooks(build))
  }
  return {
    conf: undefined,
    file: fileURLToPath(url),
    daemon: build.daemon ?? false,
    masterProcess: build.masterProcess ?? true,
    pidPath: resolve(a.prefix, g.def.pid ?? 'logs/nginx.pid'),
    errorLog: errorLogOf(g),
    workers: a.workers ?? build.def.workers,
    gateway: () => Promise.resolve(g),
  }
}

function printWarnings(t: Target): void {
  for (const w of t.conf?.warnings ?? []) say(`[warn] ${w.located}`)
}

/** -t / -T: load, compile and check, as `nginx -t` does (nothing is bound or started). */
async function testConfig(a: Args, log: EarlyLog): Promise<number> {
  const file = a.gateway === undefined ? (a.conf.startsWith('/') ? a.conf : a.prefix + a.conf) : a.gateway
  try {
    const t = await loadTarget(a)
    printWarnings(t)
    // the logs directory, as a start makes it: compiling opens the access logs, as nginx -t does
    mkdirSync(`${a.prefix}logs`, { recursive: true })
    const gw = compileGateway((await t.gateway()).def, a.prefix)
    await Promise.all(gw.accessLogs.map((l) => l.close()))
    if (!a.quiet) {
      say(`the configuration file ${t.file} syntax is ok`)
      say(`configuration file ${t.file} test is successful`)
    }
    if (a.dump && t.conf !== undefined) process.stdout.write(dumpConf(t.conf.files))
    return 0
  } catch (e) {
    log.emerg(errorText(e))
    say(`configuration file ${file} test failed`)
    return 1
  }
}

async function signalMaster(a: Args, log: EarlyLog, name: string): Promise<number> {
  let path: string
  const file = a.conf.startsWith('/') ? a.conf : a.prefix + a.conf
  if (a.gateway === undefined && a.globals === undefined && !existsSync(file)) {
    // No nginx.conf: a gateway module's master, whose pid file is the default one.
    path = `${a.prefix}logs/nginx.pid`
  } else {
    try {
      path = (await loadTarget(a)).pidPath
    } catch (e) {
      log.emerg(errorText(e))
      return 1
    }
  }
  let text: string
  try {
    text = readFileSync(path, 'latin1')
  } catch (e) {
    say(`[error] open() "${path}" failed (${systemErrorText(e as NodeJS.ErrnoException)})`)
    return 1
  }
  const pid = Number(text.trim())
  if (!/^\d+\s*$/.test(text) || !Number.isSafeInteger(pid) || pid <= 0) {
    say(`[error] invalid PID number "${text.trim()}" in "${path}"`)
    return 1
  }
  const sig = SIGNAL_OF[name]!
  try {
    process.kill(pid, sig)
  } catch (e) {
    say(`[alert] kill(${pid}, ${SIGNAL_NO[sig]}) failed (${systemErrorText(e as NodeJS.ErrnoException)})`)
    return 1
  }
  return 0
}

/** Tells the parent of a detached master how the start went. */
function report(a: Args, m: { t: 'ready' } | { t: 'failed'; message: string }): void {
  if (!a.daemonChild || process.send === undefined) return
  process.send(m)
  if (m.t === 'ready') process.disconnect()
}

/**
 * A start that failed after the configuration was read. In the foreground: `nresty: [emerg] …`
 * on stderr. Detached: the parent prints it; the line goes to the error log (this process's
 * stderr) unless the master wrote it there already.
 */
function startFailed(a: Args, message: string, logged: boolean): number {
  if (!a.daemonChild) say(`[emerg] ${message}`)
  else if (!logged) process.stderr.write(formatErrorLine(Date.now(), LOG_LEVELS.EMERG, process.pid, process.pid, message))
  report(a, { t: 'failed', message })
  return 1
}

/** Runs the server in this process until it stops; resolves with the exit code. */
async function runForeground(a: Args, t: Target): Promise<number> {
  if (!t.masterProcess) return runSingle(a, t)
  let opts: MasterOptions = a.gateway === undefined
    ? { conf: a.conf, prefix: a.prefix, signals: true }
    : { module: a.gateway, exportName: a.exportName, prefix: a.prefix, signals: true }
  if (a.globals !== undefined && a.gateway === undefined) opts = { ...opts, globals: a.globals }
  if (t.workers !== undefined) opts = { ...opts, workers: t.workers }
  if (a.errorLog !== undefined && t.conf !== undefined && !t.conf.errorLogSet) opts = { ...opts, errorLog: a.errorLog }
  let master
  try {
    master = await startMaster(opts)
  } catch (e) {
    // the master has written it to its error log
    return startFailed(a, errorText(e), true)
  }
  report(a, { t: 'ready' })
  await master.closed
  return 0
}

/** `master_process off`: one worker in this process, with the pid file and signals nginx has. */
async function runSingle(a: Args, t: Target): Promise<number> {
  let server
  try {
    const useE = a.errorLog !== undefined && t.conf !== undefined && !t.conf.errorLogSet
    server = await startServer(await t.gateway(), useE ? { prefix: a.prefix, errorLog: a.errorLog! } : { prefix: a.prefix })
    mkdirSync(dirname(t.pidPath), { recursive: true })
    writeFileSync(t.pidPath, `${process.pid}\n`)
  } catch (e) {
    await server?.close()
    return startFailed(a, errorText(e), false)
  }
  const log = server.errorLog
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => (stopping ??= server.close().then(() => rmSync(t.pidPath, { force: true })))
  const on = (sig: NodeJS.Signals, no: number, what: string, fn: () => void): void => {
    process.on(sig, () => {
      log.write(LOG_LEVELS.NOTICE, `signal ${no} (${sig}) received, ${what}`)
      fn()
    })
  }
  on('SIGQUIT', 3, 'shutting down', () => void stop())
  on('SIGTERM', 15, 'exiting', () => void stop())
  on('SIGINT', 2, 'exiting', () => void stop())
  on('SIGUSR1', 10, 'reopening logs', () => {
    log.reopen()
    for (const err of reopenAll()) log.write(LOG_LEVELS.EMERG, err.message)
  })
  on('SIGHUP', 1, 'reconfiguring', () => log.write(LOG_LEVELS.WARN, 'nresty does not reload with "master_process off": restart it'))
  report(a, { t: 'ready' })
  await new Promise<void>((ok) => {
    const wait = (): void => {
      if (stopping !== undefined) void stopping.then(ok)
      else setTimeout(wait, 50)
    }
    wait()
  })
  return 0
}

/**
 * `daemon on`: starts this command again, detached, and waits until that master serves (0) or
 * fails (its `[emerg]` is printed here, 1), as nginx returns once it has daemonized.
 */
function runDetached(a: Args, argv: readonly string[], t: Target): Promise<number> {
  let out: number | 'ignore' = 'ignore'
  if (t.errorLog !== 'stderr') {
    try {
      const abs = resolve(a.prefix, t.errorLog)
      mkdirSync(dirname(abs), { recursive: true })
      out = openSync(abs, 'a')
    } catch {
      out = 'ignore'
    }
  }
  const child = spawn(process.execPath, [...process.execArgv, CLI_PATH, ...argv, DAEMON_FLAG], {
    detached: true, stdio: ['ignore', out, out, 'ipc'],
  })
  if (typeof out === 'number') closeSync(out)
  return new Promise<number>((ok) => {
    let done = false
    const settle = (code: number): void => {
      if (done) return
      done = true
      child.removeAllListeners()
      if (child.connected) child.disconnect()
      child.unref()
      ok(code)
    }
    child.on('message', (m: { t: string; message?: string }) => {
      if (m.t === 'ready') settle(0)
      else if (m.t === 'failed') {
        say(`[emerg] ${m.message ?? ''}`)
        settle(1)
      }
    })
    child.on('exit', (code) => {
      if (done) return
      say(`[alert] the detached master exited with code ${String(code)} before it served`)
      settle(1)
    })
    child.on('error', (e) => {
      if (done) return
      say(`[alert] could not start the detached master: ${e.message}`)
      settle(1)
    })
  })
}

async function main(argv: readonly string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>
  try {
    a = parseArgs(argv)
  } catch (e) {
    say((e as Error).message)
    return 1
  }
  if (a === 'help') {
    process.stderr.write(USAGE)
    return 0
  }
  if (a === 'version' || a === 'configure') {
    process.stderr.write(`nresty version: nresty/${NRESTY_VERSION}\n`)
    if (a === 'configure') process.stderr.write(`built for node ${process.versions.node}, nginx 1.22.1 semantics\n`)
    return 0
  }
  const log = new EarlyLog(a)
  try {
    if (a.test) return await testConfig(a, log)
    if (a.signal !== undefined) return await signalMaster(a, log, a.signal)
    let t: Target
    try {
      t = await loadTarget(a)
    } catch (e) {
      const message = errorText(e)
      log.emerg(message)
      report(a, { t: 'failed', message })
      return 1
    }
    if (!a.daemonChild) printWarnings(t)
    if (t.daemon && !a.daemonChild) return await runDetached(a, argv, t)
    return await runForeground(a, t)
  } catch (e) {
    say(`[alert] ${errorText(e)}`)
    return 1
  }
}

process.exit(await main(process.argv.slice(2)))
