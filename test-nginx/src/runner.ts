// Runs a .t file's blocks against one target, as Test::Nginx::Socket does: for each block,
// assemble the conf (restarting the server when it changed), send the requests `repeat_each`
// times, and check the responses and the error log written meanwhile. Blocks the runner
// cannot evaluate are skipped with the reason, never passed.
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import {
  checkBody, checkBodyLike, checkErrorLog, checkGrepOut, checkHeaders, checkRawHeaders, checkStatus, grepErrorLog, nth,
} from './assert.ts'
import { assembleConf, expandTestNginxVars, parseUserFiles, writeServerRoot } from './config.ts'
import { buildRequest, exchange, parseResponses, splitPackets } from './http.ts'
import type { Packet, Response } from './http.ts'
import { MOCK_SECTIONS, startTcpMock, startUdpMock } from './mock.ts'
import type { Mock } from './mock.ts'
import { evaluateBlock, parseSpec } from './parse.ts'
import type { Block, SpecFile } from './parse.ts'
import { PerlError, evalPerl, perlScope, perlString } from './perl.ts'
import type { PerlValue } from './perl.ts'
import { startTarget } from './target.ts'
import type { Running, Target } from './target.ts'

/** How a block ended. `known`: it failed and the file's known-failure list names it. */
export type BlockStatus = 'pass' | 'fail' | 'skip' | 'known'

export interface BlockResult {
  readonly name: string
  readonly status: BlockStatus
  /** Failure messages, the skip reason, or a note. */
  readonly messages: readonly string[]
}

export interface RunOptions {
  readonly target: Target
  /** The environment `$ENV{…}` and `$TEST_NGINX_*` read (default: process.env). */
  readonly env?: Record<string, string | undefined>
  /** The server port (default: TEST_NGINX_SERVER_PORT, TEST_NGINX_PORT, else a free port). */
  readonly port?: number
  /** Block names expected to fail on this target. */
  readonly knownFailures?: ReadonlySet<string>
}

const SUPPORTED = new Set([
  'config', 'http_config', 'main_config', 'post_main_config', 'server_name', 'user_files',
  'request', 'request_eval', 'pipelined_requests', 'raw_request', 'raw_request_middle_delay', 'more_headers',
  'timeout', 'abort', 'wait', 'shutdown', 'ignore_response',
  'response_body', 'response_body_eval', 'response_body_like', 'response_body_unlike',
  'response_headers', 'response_headers_like', 'raw_response_headers_like', 'raw_response_headers_unlike',
  'error_code', 'error_code_like', 'error_log', 'no_error_log', 'grep_error_log', 'grep_error_log_out',
  'log_level', 'must_die', 'ONLY', 'SKIP', 'LAST', 'no_check_leak', 'no_mockeagain', 'suppress_stderr',
  'stap', 'stap2', 'stap3', 'stap_out', 'stap_out2', 'stap_out_like', 'stap_out_unlike', 'nresty_only',
  'skip_nginx', 'skip_nginx2', 'skip_eval', 'response_body_filters', 'access_log', 'no_access_log',
  ...MOCK_SECTIONS,
])

/** Compares dotted versions: negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** `skip_nginx` (`N: < 1.21.1`) and `skip_nginx2` (`N: < 1.x and > 1.y`): whether to skip. */
export function skipNginx(spec: string, version: string): boolean {
  const m = /^\s*\d+\s*:\s*(.+?)\s*$/s.exec(spec)
  if (m === null) throw new PerlError(`bad skip_nginx ${JSON.stringify(spec)}`)
  const test = (cond: string): boolean => {
    const c = /^(<=|>=|<|>|==|!=|eq|ne|lt|gt|le|ge)?\s*(\d+(?:\.\d+)*)$/.exec(cond.trim())
    if (c === null) throw new PerlError(`bad skip_nginx condition ${JSON.stringify(cond)}`)
    const d = compareVersions(version, c[2] as string)
    switch (c[1]) {
      case '<': case 'lt': return d < 0
      case '<=': case 'le': return d <= 0
      case '>': case 'gt': return d > 0
      case '>=': case 'ge': return d >= 0
      case '!=': case 'ne': return d !== 0
      default: return d === 0
    }
  }
  const expr = m[1] as string
  const parts = expr.split(/\s+(and|or)\s+/)
  let result = test(parts[0] as string)
  for (let i = 1; i < parts.length; i += 2) {
    const r = test(parts[i + 1] as string)
    result = parts[i] === 'and' ? result && r : result || r
  }
  return result
}

/** `response_body_filters`: named filters applied to the body before the body checks. */
export function filterBody(body: string, filters: string): string {
  let b = body
  for (const f of filters.split(/\s+/).filter((x) => x !== '')) {
    if (f === 'md5_hex' || f === 'sha1_hex') b = createHash(f === 'md5_hex' ? 'md5' : 'sha1').update(b, 'latin1').digest('hex')
    else if (f === 'length') b = String(Buffer.byteLength(b, 'latin1'))
    else if (f === 'uc') b = b.toUpperCase()
    else if (f === 'lc') b = b.toLowerCase()
    else if (f === 'ucfirst') b = b.charAt(0).toUpperCase() + b.slice(1)
    else if (f === 'lcfirst') b = b.charAt(0).toLowerCase() + b.slice(1)
    else throw new PerlError(`response_body_filters: "${f}" is not supported`)
  }
  return b
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

/** Parses `timeout` values: `3`, `0.5s`, `200ms`. */
export function parseDuration(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(v)
  if (m === null) throw new PerlError(`bad duration ${JSON.stringify(v)}`)
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000)
}

/** One file's run on one target; blocks run in order through `runBlock`. */
export class FileRunner {
  readonly file: SpecFile
  readonly target: Target
  private readonly env: Record<string, string | undefined>
  private readonly serverRoot: string
  private readonly known: ReadonlySet<string>
  private port = 0
  private server: Running | undefined
  private serverKey = ''
  private serverLogStart = 0
  private lastConfig: PerlValue = undefined
  private stopped = false

  private constructor(file: SpecFile, opts: RunOptions, env: Record<string, string | undefined>, serverRoot: string) {
    this.file = file
    this.target = opts.target
    this.env = env
    this.serverRoot = serverRoot
    this.known = opts.knownFailures ?? new Set()
  }

  /** Reads and parses a .t file; the server starts with the first block. */
  static async open(path: string, opts: RunOptions): Promise<FileRunner> {
    const env: Record<string, string | undefined> = { ...(opts.env ?? process.env) }
    const serverRoot = join(mkdtempSync(join(tmpdir(), 'test-nginx-')), 'servroot')
    const fixed = env['TEST_NGINX_SERVER_PORT'] ?? env['TEST_NGINX_PORT']
    const port = opts.port ?? (fixed !== undefined ? Number(fixed) : await freePort())
    const defaults: Record<string, string> = {
      TEST_NGINX_SERVER_PORT: String(port), TEST_NGINX_CLIENT_PORT: String(port),
      TEST_NGINX_HTML_DIR: join(serverRoot, 'html'), TEST_NGINX_SERVER_ROOT: serverRoot,
      TEST_NGINX_MEMCACHED_PORT: '11211', TEST_NGINX_REDIS_PORT: '6379', TEST_NGINX_MYSQL_PORT: '3306',
      TEST_NGINX_MYSQL_HOST: '127.0.0.1', TEST_NGINX_RESOLVER: '8.8.8.8',
    }
    for (const [k, v] of Object.entries(defaults)) env[k] ??= v
    env['TEST_NGINX_SERVER_PORT'] = String(port)
    const text = readFileSync(path, 'latin1')
    for (const m of text.matchAll(/TEST_NGINX_RAND_PORT_\d+/g)) env[m[0]] ??= String(await freePort())
    const scope = {
      ...perlScope(env),
      functions: new Map<string, () => PerlValue>([
        ['html_dir', () => join(serverRoot, 'html')], ['server_root', () => serverRoot], ['server_port', () => port],
      ]),
    }
    const file = parseSpec(text, path, scope)
    const r = new FileRunner(file, opts, env, serverRoot)
    r.port = port
    return r
  }

  get blocks(): readonly Block[] {
    return this.file.blocks
  }

  /** Runs block `i` (blocks must run in order: a block without `config` reuses the last one). */
  async runBlock(i: number): Promise<BlockResult> {
    const block = this.file.blocks[i]
    if (block === undefined) throw new RangeError(`no block ${i}`)
    const r = await this.run(i, block)
    if (r.status === 'fail' && this.known.has(block.name)) return { ...r, status: 'known' }
    if (r.status === 'pass' && this.known.has(block.name)) {
      return { ...r, messages: ['listed as a known failure but passed: remove it from the list'] }
    }
    return r
  }

  private async run(i: number, block: Block): Promise<BlockResult> {
    const name = block.name
    const skip = (reason: string): BlockResult => ({ name, status: 'skip', messages: [reason] })
    const ev = evaluateBlock(this.file, block)
    const values = ev.values
    if (values.has('config')) this.lastConfig = values.get('config')
    else if (this.lastConfig !== undefined) values.set('config', this.lastConfig)
    if (ev.skip !== undefined) return skip(ev.skip)
    const only = this.file.blocks.findIndex((b) => b.sections.has('ONLY'))
    if (only >= 0 && only !== i) return skip('another block has --- ONLY')
    const last = this.file.blocks.findIndex((b) => b.sections.has('LAST'))
    if (last >= 0 && i > last) return skip('after a --- LAST block')
    if (values.has('SKIP')) return skip('--- SKIP')
    if (values.has('nresty_only') && this.target.kind !== 'nresty') {
      return skip(`nresty only: ${perlString(values.get('nresty_only')).trim() || 'no reason given'}`)
    }
    for (const s of values.keys()) {
      if (!SUPPORTED.has(s)) return skip(`section "${s}" is not supported by the runner`)
    }
    try {
      for (const k of ['skip_nginx', 'skip_nginx2']) {
        const spec = values.get(k)
        if (spec !== undefined && skipNginx(perlString(spec), this.target.version)) {
          return skip(`${k}: ${perlString(spec).trim()} (nginx ${this.target.version})`)
        }
      }
      const se = values.get('skip_eval')
      if (se !== undefined) {
        const m = /^\s*\d+\s*:\s*([\s\S]*)$/.exec(perlString(se))
        if (m === null) return skip(`bad skip_eval ${JSON.stringify(perlString(se))}`)
        const v = evalPerl(m[1] as string, this.file.scope)
        if (v !== undefined && perlString(v) !== '' && perlString(v) !== '0') return skip(`skip_eval: ${(m[1] as string).trim()}`)
      }
      return { name, ...(await this.exec(values)) }
    } catch (e) {
      if (e instanceof PerlError) return skip(e.message)
      throw e
    }
  }

  private async exec(values: Map<string, PerlValue>): Promise<{ status: BlockStatus; messages: string[] }> {
    const conf = assembleConf({
      target: this.target.kind, preamble: this.file.preamble, values, env: this.env, serverRoot: this.serverRoot,
      port: this.port, modules: this.target.modules, runAsRoot: process.getuid?.() === 0,
    })
    const files = parseUserFiles(values.get('user_files'))
    const key = conf + JSON.stringify(files)
    const fails: string[] = []
    if (values.has('must_die')) {
      await this.stopServer()
      this.freshRoot(conf, files)
      const r = await startTarget(this.target, this.serverRoot, this.port)
      if (r.ok) {
        await r.server.stop()
        return { status: 'fail', messages: ['the server started, but must_die expected it to fail'] }
      }
      const want = perlString(values.get('must_die')).trim()
      if (want !== '' && String(r.code) !== want) fails.push(`must_die: exit code ${r.code}, expected ${want}`)
      this.checkLog(values, r.output, fails, 0)
      return { status: fails.length === 0 ? 'pass' : 'fail', messages: fails }
    }
    if (this.server === undefined || key !== this.serverKey) {
      await this.stopServer()
      this.freshRoot(conf, files)
      const r = await startTarget(this.target, this.serverRoot, this.port)
      if (!r.ok) return { status: 'fail', messages: [`the server did not start (exit ${r.code}):\n${r.output}`] }
      this.server = r.server
      this.serverKey = key
      this.serverLogStart = this.logSize()
    }
    const exchanges = this.requests(values)
    if (exchanges.length === 0) throw new PerlError('the block has no request')
    const mocks: Mock[] = []
    try {
      for (const [listen, start] of [['tcp_listen', startTcpMock], ['udp_listen', startUdpMock]] as const) {
        if (!values.has(listen)) continue
        const v = new Map(values)
        v.set(listen, expandTestNginxVars(perlString(values.get(listen)), this.env))
        mocks.push(await start(v))
      }
      await this.exchanges(values, exchanges, fails)
    } finally {
      for (const m of mocks) {
        fails.push(...m.failures())
        await m.close()
      }
    }
    return { status: fails.length === 0 ? 'pass' : 'fail', messages: fails }
  }

  private async exchanges(values: Map<string, PerlValue>, exchanges: { packets: Packet[]; methods: string[] }[], fails: string[]): Promise<void> {
    const timeoutMs = values.has('timeout') ? parseDuration(perlString(values.get('timeout'))) : parseDuration(this.env['TEST_NGINX_TIMEOUT'] ?? '3')
    const abort = values.has('abort')
    const waitMs = values.has('wait') ? Number(perlString(values.get('wait')).trim()) * 1000 : 0
    const repeat = this.file.preamble.repeatEach
    for (let rep = 0; rep < repeat; rep++) {
      const mark = this.logSize()
      const tag = repeat > 1 ? ` (repeat ${rep + 1})` : ''
      const accessMark = this.fileSize('access.log')
      for (let j = 0; j < exchanges.length; j++) {
        const ex = exchanges[j] as { packets: Packet[]; methods: string[] }
        const got = await exchange('127.0.0.1', this.port, ex.packets, timeoutMs, values.has('shutdown'))
        if (got.error !== undefined && got.data.length === 0) { fails.push(`request ${j}${tag}: ${got.error}`); continue }
        if (got.timedOut && !abort) fails.push(`request ${j}${tag}: client socket timed out after ${timeoutMs} ms`)
        if (values.has('ignore_response') || (got.timedOut && abort)) continue
        const responses = parseResponses(got.data, ex.methods)
        if (responses.length < ex.methods.length && !got.timedOut) {
          fails.push(`request ${j}${tag}: ${responses.length} responses for ${ex.methods.length} requests (got ${JSON.stringify(got.data.toString('latin1').slice(0, 300))})`)
        }
        responses.forEach((res, k) => {
          const idx = ex.methods.length > 1 ? k : j
          for (const f of this.checkResponse(values, res, idx)) fails.push(`request ${idx}${tag}: ${f}`)
        })
      }
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs))
      if (hasLogChecks(values)) {
        await this.settleLog()
        const from = this.file.preamble.checkAccumErrorLog ? this.serverLogStart : mark
        this.checkLog(values, this.logSince(from), fails, rep, tag)
      }
      if (values.has('access_log') || values.has('no_access_log')) {
        await this.settleLog('access.log')
        const log = this.logSince(accessMark, 'access.log')
        const add = (fs: string[]): void => { for (const f of fs) fails.push(f.replace(/error_log|the error log/g, (w) => (w === 'error_log' ? 'access_log' : 'the access log')) + tag) }
        if (values.has('access_log')) add(checkErrorLog(values.get('access_log'), log, true))
        if (values.has('no_access_log')) add(checkErrorLog(values.get('no_access_log'), log, false))
      }
    }
  }

  /** The connections to make: each has its packets and the methods of its requests. */
  private requests(values: Map<string, PerlValue>): { packets: Packet[]; methods: string[] }[] {
    const more = values.has('more_headers') ? perlString(values.get('more_headers')) : undefined
    const opts = more === undefined ? {} : { moreHeaders: more }
    if (values.has('pipelined_requests')) {
      const list = values.get('pipelined_requests')
      if (!Array.isArray(list)) throw new PerlError('pipelined_requests must be an eval array')
      const reqs = (list as PerlValue[]).map((r, k) => buildRequest(perlString(r), { ...opts, keepAlive: k < list.length - 1 }))
      return [{ packets: [{ data: Buffer.concat(reqs.map((r) => r.bytes)), delayBeforeMs: 0 }], methods: reqs.map((r) => r.method) }]
    }
    if (values.has('raw_request')) {
      const raw = values.get('raw_request')
      const parts = Array.isArray(raw) ? (raw as PerlValue[]).map(perlString) : [perlString(raw)]
      const delay = values.has('raw_request_middle_delay') ? Number(perlString(values.get('raw_request_middle_delay'))) * 1000 : 0
      const packets = parts.map((p, k) => ({ data: Buffer.from(p, 'latin1'), delayBeforeMs: k === 0 ? 0 : delay }))
      const method = /^\s*(\S+)/.exec(parts.join(''))?.[1] ?? 'GET'
      return [{ packets, methods: [method] }]
    }
    const req = values.get('request') ?? values.get('request_eval')
    if (req === undefined) return []
    const items = Array.isArray(req) ? (req as PerlValue[]) : [req]
    return items.map((item) => {
      if (Array.isArray(item)) {
        const chunks = (item as PerlValue[]).map((c) => {
          if (c instanceof Map) {
            const d = c.get('delay_before')
            return { text: perlString(c.get('value')), delayBeforeMs: d === undefined ? 0 : Number(perlString(d)) * 1000 }
          }
          if (Array.isArray(c) || c instanceof RegExp) throw new PerlError('a request packet must be a string or { value => …, delay_before => … }')
          return { text: perlString(c), delayBeforeMs: 0 }
        })
        const built = buildRequest(chunks.map((c) => c.text).join(''), opts)
        const packets = splitPackets(built.bytes, chunks.map((c) => ({ length: Buffer.byteLength(c.text, 'latin1'), delayBeforeMs: c.delayBeforeMs })))
        return { packets, methods: [built.method] }
      }
      const built = buildRequest(perlString(item), opts)
      return { packets: [{ data: built.bytes, delayBeforeMs: 0 }], methods: [built.method] }
    })
  }

  private checkResponse(values: Map<string, PerlValue>, res: Response, idx: number): string[] {
    const fails: string[] = []
    const raw = res.body.toString('latin1')
    const bf = values.get('response_body_filters')
    const body = bf === undefined ? raw : filterBody(raw, perlString(bf))
    if (!res.complete) fails.push('incomplete response')
    if (values.has('error_code_like')) fails.push(...checkStatus(nth(values.get('error_code_like'), idx), res.status, true))
    else fails.push(...checkStatus(values.has('error_code') ? nth(values.get('error_code'), idx) : '200', res.status, false))
    const rb = values.has('response_body') ? values.get('response_body') : values.get('response_body_eval')
    if (rb !== undefined || values.has('response_body')) fails.push(...checkBody(nth(rb, idx), body))
    if (values.has('response_body_like')) fails.push(...checkBodyLike(nth(values.get('response_body_like'), idx), body, false))
    if (values.has('response_body_unlike')) fails.push(...checkBodyLike(nth(values.get('response_body_unlike'), idx), body, true))
    if (values.has('response_headers')) fails.push(...checkHeaders(nth(values.get('response_headers'), idx), res, false))
    if (values.has('response_headers_like')) fails.push(...checkHeaders(nth(values.get('response_headers_like'), idx), res, true))
    if (values.has('raw_response_headers_like')) fails.push(...checkRawHeaders(nth(values.get('raw_response_headers_like'), idx), res, false))
    if (values.has('raw_response_headers_unlike')) fails.push(...checkRawHeaders(nth(values.get('raw_response_headers_unlike'), idx), res, true))
    return fails
  }

  private checkLog(values: Map<string, PerlValue>, log: string, fails: string[], rep: number, tag = ''): void {
    const add = (fs: string[]): void => { for (const f of fs) fails.push(f + tag) }
    if (values.has('error_log')) add(checkErrorLog(values.get('error_log'), log, true))
    if (values.has('no_error_log')) add(checkErrorLog(values.get('no_error_log'), log, false))
    if (values.has('grep_error_log')) {
      const got = grepErrorLog(values.get('grep_error_log'), log)
      if (values.has('grep_error_log_out')) add(checkGrepOut(nth(values.get('grep_error_log_out'), rep), got))
    }
  }

  private freshRoot(conf: string, files: ReturnType<typeof parseUserFiles>): void {
    rmSync(this.serverRoot, { recursive: true, force: true })
    writeServerRoot(this.serverRoot, conf, files)
  }

  private logPath(name = 'error.log'): string {
    return join(this.serverRoot, 'logs', name)
  }

  private fileSize(name: string): number {
    return existsSync(this.logPath(name)) ? statSync(this.logPath(name)).size : 0
  }

  private logSize(): number {
    return this.fileSize('error.log')
  }

  private logSince(from: number, name = 'error.log'): string {
    return existsSync(this.logPath(name)) ? readFileSync(this.logPath(name)).subarray(from).toString('latin1') : ''
  }

  /** Waits until a log stops growing (the log phase runs after the response). */
  private async settleLog(name = 'error.log'): Promise<void> {
    let size = this.fileSize(name)
    for (let k = 0; k < 20; k++) {
      await new Promise((r) => setTimeout(r, 25))
      const now = this.fileSize(name)
      if (now === size && k >= 1) return
      size = now
    }
  }

  private async stopServer(): Promise<void> {
    const s = this.server
    this.server = undefined
    this.serverKey = ''
    if (s !== undefined) await s.stop()
  }

  /** Stops the server and removes the server root. */
  async close(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.stopServer()
    rmSync(join(this.serverRoot, '..'), { recursive: true, force: true })
  }
}

function hasLogChecks(values: Map<string, PerlValue>): boolean {
  return values.has('error_log') || values.has('no_error_log') || values.has('grep_error_log')
}

/** Reads `<file>.known`: lines `target: block name` (`*` for every target); `#` comments. */
export function readKnownFailures(path: string, target: string): Set<string> {
  const p = path + '.known'
  const out = new Set<string>()
  if (!existsSync(p)) return out
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    const m = /^\s*([\w*]+):\s*(.+?)\s*$/.exec(line)
    if (m === null || line.trimStart().startsWith('#')) continue
    if (m[1] === '*' || m[1] === target) out.add(m[2] as string)
  }
  return out
}

/** TAP lines for one block result (`ok`/`not ok`, `# SKIP`, `# TODO known failure`, diagnostics). */
export function tapLines(n: number, file: string, target: string, r: BlockResult): string[] {
  const title = `[${target}] ${basename(file)} ${r.name}`
  const diag = r.messages.flatMap((m) => m.split('\n')).map((l) => `#   ${l}`)
  switch (r.status) {
    case 'pass': return [`ok ${n} - ${title}`, ...diag]
    case 'skip': return [`ok ${n} - ${title} # SKIP ${r.messages.join('; ').replace(/\n/g, ' ')}`]
    case 'known': return [`not ok ${n} - ${title} # TODO known failure`, ...diag]
    case 'fail': return [`not ok ${n} - ${title}`, ...diag]
  }
}

/** The closing line: `N passed, N failed, N skipped` (and known failures when any). */
export function summaryLine(results: readonly BlockResult[]): string {
  const count = (s: BlockStatus): number => results.filter((r) => r.status === s).length
  const known = count('known')
  return `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped${known > 0 ? `, ${known} known failures` : ''}`
}

/** Runs every block of a file in order. */
export async function runFile(path: string, opts: RunOptions, onResult?: (r: BlockResult, i: number) => void): Promise<BlockResult[]> {
  const runner = await FileRunner.open(path, opts)
  const results: BlockResult[] = []
  try {
    for (let i = 0; i < runner.blocks.length; i++) {
      const r = await runner.runBlock(i)
      results.push(r)
      onResult?.(r, i)
    }
  } finally {
    await runner.close()
  }
  return results
}
