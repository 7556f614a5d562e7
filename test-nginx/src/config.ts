// The nginx.conf Test::Nginx generates for a block: top level (workers, daemon, master, error
// log, pid, env lines, main_config), http {} (access log, default_type text/plain, keepalive,
// http_config, one server with the block's config and the default root location), then
// post_main_config and events {}. `$TEST_NGINX_*` names are expanded from the environment.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { PerlError, perlString } from './perl.ts'
import type { PerlValue } from './perl.ts'
import type { Preamble } from './parse.ts'

/** Which server the conf is for: the reference nginx or nresty. */
export type TargetKind = 'nginx' | 'nresty'

export interface ConfInput {
  readonly target: TargetKind
  readonly preamble: Preamble
  readonly values: ReadonlyMap<string, PerlValue>
  readonly env: Record<string, string | undefined>
  readonly serverRoot: string
  readonly port: number
  /** `load_module` lines' module files (nginx target only). */
  readonly modules: readonly string[]
  readonly runAsRoot: boolean
}

const FIXED_ENV = [
  'MOCKEAGAIN_VERBOSE', 'MOCKEAGAIN', 'MOCKEAGAIN_WRITE_TIMEOUT_PATTERN', 'MOCKNOEAGAIN_VERBOSE',
  'MOCKNOEAGAIN', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES', 'DYLD_FORCE_FLAT_NAMESPACE', 'ASAN_OPTIONS',
]

/** Replaces `$TEST_NGINX_NAME` (and `${TEST_NGINX_NAME}`); an undefined name throws. */
export function expandTestNginxVars(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{(TEST_NGINX_\w+)\}|\$(TEST_NGINX_\w+)/g, (_all, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? ''
    const v = env[name]
    if (v === undefined) throw new PerlError(`No environment $${name} defined`)
    return v
  })
}

function section(values: ReadonlyMap<string, PerlValue>, name: string, env: Record<string, string | undefined>): string {
  const v = values.get(name)
  return v === undefined ? '' : expandTestNginxVars(perlString(v), env)
}

/** The whole nginx.conf text for a block. */
export function assembleConf(c: ConfInput): string {
  const p = c.preamble
  const lv = c.values.get('log_level')
  const logLevel = lv === undefined ? p.logLevel : perlString(lv).trim()
  const config = section(c.values, 'config', c.env)
  const lines: string[] = []
  if (c.target === 'nginx') {
    for (const m of c.modules) lines.push(`load_module ${m};`)
    if (c.runAsRoot) lines.push('user root;')
  }
  const master = p.masterOn || c.env['TEST_NGINX_MASTER_PROCESS'] === 'on'
  lines.push(
    `worker_processes  ${p.workers};`,
    'daemon off;',
    `master_process ${master ? 'on' : 'off'};`,
    `error_log logs/error.log ${logLevel};`,
    'pid       logs/nginx.pid;',
    '',
  )
  for (const e of [...FIXED_ENV, ...p.envToNginx]) lines.push(`env ${e};`)
  lines.push('', section(c.values, 'main_config', c.env), '', 'http {', '    access_log logs/access.log;')
  if (c.target === 'nginx') {
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      lines.push(`    ${t}_temp_path ${join(c.serverRoot, `${t}_temp`)};`)
    }
  }
  lines.push('    default_type text/plain;', '    keepalive_timeout  68s;', '')
  lines.push(section(c.values, 'http_config', c.env), '')
  const serverName = c.values.has('server_name') ? perlString(c.values.get('server_name')).trim() : 'localhost'
  lines.push('    server {', `        listen          ${c.port};`, `        server_name     '${serverName}';`, '')
  lines.push('        client_max_body_size 30M;', '')
  lines.push(config)
  // nresty serves no static files: its default root location is left out
  if (!p.noRootLocation && c.target === 'nginx' && !/(^|[\s;{}])location\s+\/\s*\{/.test(config)) {
    lines.push('        location / {', '            root html;', '            index index.html index.htm;', '        }')
  }
  lines.push('    }', '}', '', section(c.values, 'post_main_config', c.env), '')
  lines.push('events {', '    accept_mutex off;', `    worker_connections  ${p.workerConnections};`, '}', '')
  return lines.join('\n')
}

/** One file of `user_files`. */
export interface UserFile {
  readonly name: string
  readonly content: string
  readonly mtime?: number
}

/** `>>> name [mtime]` chunks, or a Perl array of `[name, content, mtime?]` entries. */
export function parseUserFiles(v: PerlValue): UserFile[] {
  if (v === undefined) return []
  if (Array.isArray(v)) {
    return v.map((e: PerlValue) => {
      if (!Array.isArray(e)) throw new PerlError('user_files entries must be [name, content]')
      const [name, content, mtime] = e as PerlValue[]
      const f: UserFile = { name: perlString(name), content: perlString(content) }
      return mtime === undefined ? f : { ...f, mtime: Number(perlString(mtime)) }
    })
  }
  const text = perlString(v)
  const files: UserFile[] = []
  const parts = text.split(/^>>> /m)
  if ((parts[0] ?? '').trim() !== '') throw new PerlError('user_files must start with ">>> name"')
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n')
    const head = (nl < 0 ? part : part.slice(0, nl)).trim().split(/\s+/)
    const content = nl < 0 ? '' : part.slice(nl + 1)
    const f: UserFile = { name: head[0] ?? '', content }
    files.push(head[1] === undefined ? f : { ...f, mtime: Number(head[1]) })
  }
  return files
}

/** Writes the conf and the user files into the server root (conf/, logs/, html/). */
export function writeServerRoot(serverRoot: string, conf: string, files: readonly UserFile[]): void {
  for (const d of ['conf', 'logs', 'html']) mkdirSync(join(serverRoot, d), { recursive: true })
  writeFileSync(join(serverRoot, 'conf', 'nginx.conf'), conf)
  for (const f of files) {
    const path = join(serverRoot, 'html', f.name)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, f.content, 'latin1')
  }
}
