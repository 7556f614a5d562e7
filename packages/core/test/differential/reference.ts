// The reference OpenResty (Debian's nginx 1.22.1 + ngx_lua) run in the foreground from a temp
// prefix, for the differential suite. One process (`master_process off`), stopped by its pid.
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export const INSTALL_HINT = 'run scripts/install-reference-openresty.sh (as root) to install it'

/** Where the reference lives; `NRESTY_REFERENCE_NGINX` / `NRESTY_REFERENCE_MODULES` override. */
export interface ReferenceInstall {
  readonly nginx: string
  readonly modules: string
}

/** Finds nginx and the ndk + lua modules, or throws saying how to install them. */
export function findReference(): ReferenceInstall {
  const nginx = process.env['NRESTY_REFERENCE_NGINX'] ?? 'nginx'
  const modules = process.env['NRESTY_REFERENCE_MODULES'] ?? '/usr/lib/nginx/modules'
  const probe = spawnSync(nginx, ['-v'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(`reference OpenResty missing: "${nginx} -v" failed (${probe.error?.message ?? probe.stderr.trim()}); ${INSTALL_HINT}`)
  }
  for (const mod of ['ndk_http_module.so', 'ngx_http_lua_module.so']) {
    if (!existsSync(join(modules, mod))) {
      throw new Error(`reference OpenResty missing: no ${join(modules, mod)}; ${INSTALL_HINT}`)
    }
  }
  return { nginx, modules }
}

export interface ReferenceOptions {
  /** The port the `http` block listens on; the process counts as started once it accepts there. */
  readonly port: number
  /** The contents of the `http {}` block. */
  readonly http: string
  /** Files to create under the prefix (`html/f.txt`: nginx's default root is `<prefix>/html`). */
  readonly files?: Readonly<Record<string, string>>
}

export interface Reference {
  readonly prefix: string
  readonly port: number
  /** Byte offset of the end of the error log now. */
  logMark(): number
  /** The error log written since `mark`. */
  logSince(mark: number): string
  stop(): Promise<void>
}

/** The whole nginx.conf: modules, one foreground process, debug error log, the given http block. */
export function referenceConf(install: ReferenceInstall, http: string): string {
  const asRoot = process.getuid?.() === 0
  return [
    `load_module ${join(install.modules, 'ndk_http_module.so')};`,
    `load_module ${join(install.modules, 'ngx_http_lua_module.so')};`,
    // nginx's default user is nobody; the temp prefix (and its *_temp dirs) belong to root
    ...(asRoot ? ['user root;'] : []),
    'master_process off;',
    'daemon off;',
    'worker_processes 1;',
    'pid logs/nginx.pid;',
    'error_log logs/error.log debug;',
    'events { worker_connections 512; }',
    'http {',
    http,
    '}',
    '',
  ].join('\n')
}

/** Writes the conf into a fresh temp prefix, starts nginx and waits until it accepts on `port`. */
export async function startReference(options: ReferenceOptions): Promise<Reference> {
  const install = findReference()
  const prefix = mkdtempSync(join(tmpdir(), 'nresty-differential-ref-'))
  for (const dir of ['conf', 'logs', 'html']) mkdirSync(join(prefix, dir), { recursive: true })
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(prefix, path)), { recursive: true })
    writeFileSync(join(prefix, path), text)
  }
  writeFileSync(join(prefix, 'conf', 'nginx.conf'), referenceConf(install, options.http))
  const errorLog = join(prefix, 'logs', 'error.log')
  writeFileSync(errorLog, '')

  // -e: messages from before the conf is read go to the prefix too, not /var/log/nginx
  const child = spawn(install.nginx, ['-p', prefix, '-c', 'conf/nginx.conf', '-e', 'logs/startup.log'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit)
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    }
    rmSync(prefix, { recursive: true, force: true })
  }

  try {
    await waitForPort(child, options.port, 10_000)
  } catch (e) {
    const startup = readIfExists(join(prefix, 'logs', 'startup.log'))
    await stop()
    throw new Error(`reference nginx did not start: ${(e as Error).message}\n${stderr}${startup}`, { cause: e })
  }

  return {
    prefix,
    port: options.port,
    logMark: () => statSync(errorLog).size,
    logSince: (mark) => readFileSync(errorLog).subarray(mark).toString('latin1'),
    stop,
  }
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : ''
}

async function waitForPort(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode})`)
    }
    if (await accepts(port)) return
    if (Date.now() > deadline) throw new Error(`nothing accepted on 127.0.0.1:${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1')
    sock.once('connect', () => { sock.destroy(); resolve(true) })
    sock.once('error', () => resolve(false))
  })
}
