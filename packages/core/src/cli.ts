#!/usr/bin/env node
// The `nresty` command, used like `openresty -p $PWD/`: runs a master and its workers in the
// foreground (`--gateway` names a TypeScript or JavaScript gateway module), or signals a
// running master through its pid file (`-s reload|quit|stop|reopen`).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { NRESTY_VERSION } from './constants.ts'
import { systemErrorText } from './errors.ts'
import { loadGateway, moduleUrl } from './load.ts'
import { startMaster } from './master.ts'

const USAGE = `nresty version: nresty/${NRESTY_VERSION}
Usage: nresty [-?hvV] [-s signal] [-p prefix] [--gateway module [--export name]] [--workers N]

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and configure options then exit
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: the current directory)
  --gateway m   : the module exporting the gateway (a TypeScript or JavaScript file)
  --export name : the export holding the gateway (default: gateway)
  --workers N   : worker threads, or auto (overrides the gateway's workers)
`

const SIGNAL_OF: Readonly<Record<string, NodeJS.Signals>> = {
  stop: 'SIGTERM', quit: 'SIGQUIT', reopen: 'SIGUSR1', reload: 'SIGHUP',
}
const SIGNAL_NO: Readonly<Record<string, number>> = { SIGTERM: 15, SIGQUIT: 3, SIGUSR1: 10, SIGHUP: 1 }

interface Args {
  prefix: string
  gateway: string | undefined
  exportName: string
  signal: string | undefined
  workers: number | 'auto' | undefined
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args | 'help' | 'version' {
  const a: Args = { prefix: process.cwd(), gateway: undefined, exportName: 'gateway', signal: undefined, workers: undefined }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`option "${arg}" requires ${arg === '-s' ? 'signal name' : arg === '-p' ? 'directory name' : 'a value'}`)
      return v
    }
    switch (arg) {
      case '-h': case '-?': case '--help': return 'help'
      case '-v': case '-V': case '--version': return 'version'
      case '-p': a.prefix = resolve(value()); break
      case '-s': {
        const s = value()
        if (SIGNAL_OF[s] === undefined) throw new UsageError(`invalid option: "-s ${s}"`)
        a.signal = s
        break
      }
      case '--gateway': a.gateway = value(); break
      case '--export': a.exportName = value(); break
      case '--workers': {
        const v = value()
        const n = v === 'auto' ? 'auto' : Number(v)
        if (n !== 'auto' && (!Number.isInteger(n) || n < 1)) throw new UsageError(`invalid number of workers "${v}"`)
        a.workers = n
        break
      }
      default: throw new UsageError(`invalid option: "${arg}"`)
    }
  }
  return a
}

/** Where the master's pid file is: the gateway's `pid`, else logs/nginx.pid under the prefix. */
async function pidPath(a: Args): Promise<string> {
  if (a.gateway !== undefined) {
    const g = await loadGateway(moduleUrl(a.gateway), a.exportName)
    return resolve(a.prefix, g.def.pid ?? 'logs/nginx.pid')
  }
  return resolve(a.prefix, 'logs/nginx.pid')
}

async function signalMaster(a: Args, name: string): Promise<number> {
  const path = await pidPath(a)
  let text: string
  try {
    text = readFileSync(path, 'latin1')
  } catch (e) {
    process.stderr.write(`nresty: [error] open() "${path}" failed (${systemErrorText(e as NodeJS.ErrnoException)})\n`)
    return 1
  }
  const pid = Number(text.trim())
  if (!/^\d+\s*$/.test(text) || !Number.isSafeInteger(pid) || pid <= 0) {
    process.stderr.write(`nresty: [error] invalid PID number "${text.trim()}" in "${path}"\n`)
    return 1
  }
  const sig = SIGNAL_OF[name]!
  try {
    process.kill(pid, sig)
  } catch (e) {
    process.stderr.write(`nresty: [alert] kill(${pid}, ${SIGNAL_NO[sig]}) failed (${systemErrorText(e as NodeJS.ErrnoException)})\n`)
    return 1
  }
  return 0
}

async function main(argv: readonly string[]): Promise<number> {
  let a: Args | 'help' | 'version'
  try {
    a = parseArgs(argv)
  } catch (e) {
    process.stderr.write(`nresty: ${(e as Error).message}\n${USAGE}`)
    return 1
  }
  if (a === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (a === 'version') {
    process.stderr.write(`nresty version: nresty/${NRESTY_VERSION}\n`)
    return 0
  }
  try {
    if (a.signal !== undefined) return await signalMaster(a, a.signal)
    if (a.gateway === undefined) {
      process.stderr.write('nresty: [emerg] no gateway to run: pass --gateway <module>\n')
      return 1
    }
    const opts: Parameters<typeof startMaster>[0] = { module: a.gateway, exportName: a.exportName, prefix: a.prefix, signals: true }
    const master = await startMaster(a.workers === undefined ? opts : { ...opts, workers: a.workers })
    await master.closed
    return 0
  } catch (e) {
    const err = e as Error
    process.stderr.write(`nresty: [emerg] ${err.name === 'ConfError' ? err.message : (err.stack ?? err.message)}\n`)
    return 1
  }
}

process.exit(await main(process.argv.slice(2)))
