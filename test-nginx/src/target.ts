// The two targets a .t file runs against: the reference nginx (TEST_NGINX_BINARY, with the
// load_module lines of the installed modules) and nresty (`nresty` of @nresty/core), each
// started in the foreground on a server root and stopped by its pid.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import type { TargetKind } from './config.ts'

export interface Target {
  readonly kind: TargetKind
  /** The command and its leading arguments. */
  readonly command: readonly string[]
  /** Module files for `load_module` (nginx). */
  readonly modules: readonly string[]
  /** The nginx version `skip_nginx` compares with (nresty: the nginx it is measured against). */
  readonly version: string
}

/** The nginx version nresty's behaviour is measured against. */
export const NRESTY_NGINX_VERSION = '1.22.1'

const MODULE_DIR = '/usr/lib/nginx/modules'
const MODULES = ['ndk_http_module.so', 'ngx_http_lua_module.so', 'ngx_http_echo_module.so', 'ngx_http_headers_more_filter_module.so']

/** The reference nginx, or a reason it is not there. */
export function nginxTarget(env: Record<string, string | undefined> = process.env): Target | string {
  const bin = env['TEST_NGINX_BINARY'] ?? 'nginx'
  const probe = spawnSync(bin, ['-v'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) return `"${bin} -v" failed: ${probe.error?.message ?? probe.stderr.trim()}`
  const listed = env['TEST_NGINX_LOAD_MODULES']
  const modules = listed !== undefined
    ? listed.split(/\s+/).filter((m) => m !== '')
    : MODULES.map((m) => join(MODULE_DIR, m)).filter((m) => existsSync(m))
  const version = /nginx\/(\d+\.\d+\.\d+)/.exec(probe.stderr)?.[1] ?? '0.0.0'
  return { kind: 'nginx', command: [bin], modules, version }
}

/** nresty's command (NRESTY_BINARY overrides), run by this node. */
export function nrestyTarget(env: Record<string, string | undefined> = process.env): Target | string {
  const override = env['NRESTY_BINARY']
  if (override !== undefined) return { kind: 'nresty', command: [override], modules: [], version: NRESTY_NGINX_VERSION }
  let root: string
  try {
    root = dirname(createRequire(import.meta.url).resolve('@nresty/core/package.json'))
  } catch {
    root = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'packages', 'core')
  }
  const cli = join(root, 'dist', 'cli.js')
  if (!existsSync(cli)) return `${cli} is missing: build with "tsc -b"`
  return { kind: 'nresty', command: [process.execPath, cli], modules: [], version: NRESTY_NGINX_VERSION }
}

/** A started server. */
export interface Running {
  readonly child: ChildProcess
  stderr(): string
  stop(): Promise<void>
}

/** The result of a start: running, or died (with its exit status and output). */
export type StartResult =
  | { readonly ok: true; readonly server: Running }
  | { readonly ok: false; readonly code: number | null; readonly output: string }

/** Starts the target on the server root and waits until `port` accepts (or the process exits). */
export async function startTarget(target: Target, serverRoot: string, port: number, timeoutMs = 15_000): Promise<StartResult> {
  const [cmd, ...lead] = target.command as [string, ...string[]]
  const prefix = serverRoot.endsWith('/') ? serverRoot : serverRoot + '/'
  const child = spawn(cmd, [...lead, '-p', prefix, '-c', 'conf/nginx.conf', '-e', 'logs/error.log'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.setEncoding('latin1').on('data', (s: string) => { output += s })
  child.stderr?.setEncoding('latin1').on('data', (s: string) => { output += s })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit)
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    }
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await exited
      process.removeListener('exit', killOnExit)
      await new Promise((r) => setTimeout(r, 20))
      return { ok: false, code: child.exitCode, output: output + readLog(serverRoot) }
    }
    if (await accepts(port)) return { ok: true, server: { child, stderr: () => output, stop } }
    if (Date.now() > deadline) {
      await stop()
      return { ok: false, code: null, output: `${output}nothing accepted on port ${port} within ${timeoutMs} ms` }
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}

function readLog(serverRoot: string): string {
  const p = join(serverRoot, 'logs', 'error.log')
  return existsSync(p) ? readFileSync(p, 'latin1') : ''
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1')
    sock.once('connect', () => { sock.destroy(); resolve(true) })
    sock.once('error', () => resolve(false))
  })
}
