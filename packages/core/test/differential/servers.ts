// Builds the reference's nginx.conf and nresty's gateway from the cases, starts both, and runs
// one case against both.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineGateway, startServer } from '../../src/index.ts'
import type { GatewayDef, LocationDef, RunningServer, ServerDef } from '../../src/index.ts'
import { freePort } from '../harness.ts'
import { LUA_PRELUDE } from './case.ts'
import type { DiffCase, LocationPair, ServerPair } from './case.ts'
import { exchange } from './client.ts'
import { normalizeExchange } from './normalize.ts'
import type { NormalizedExchange } from './normalize.ts'
import { findReference, startReference } from './reference.ts'
import type { Reference } from './reference.ts'

const DEFAULT_SERVER = 'localhost'

interface VirtualServer {
  readonly server: ServerPair | undefined
  readonly locations: Map<string, LocationPair>
}

/** The servers the cases need, by server name, each with the union of its cases' locations. */
export function collectServers(cases: readonly DiffCase[]): Map<string, VirtualServer> {
  const servers = new Map<string, VirtualServer>([[DEFAULT_SERVER, { server: undefined, locations: new Map() }]])
  for (const c of cases) {
    const name = c.server?.name ?? DEFAULT_SERVER
    let vs = servers.get(name)
    if (vs === undefined) servers.set(name, (vs = { server: c.server, locations: new Map() }))
    if (vs.server !== c.server) throw new Error(`case "${c.name}": another ServerPair is already named ${name}`)
    for (const [spec, pair] of Object.entries(c.locations ?? {})) {
      const seen = vs.locations.get(spec)
      if (seen !== undefined && seen !== pair) throw new Error(`case "${c.name}": location "${spec}" is already defined differently by another case`)
      vs.locations.set(spec, pair)
    }
  }
  return servers
}

export function nginxHttpBlock(servers: Map<string, VirtualServer>, port: number): string {
  const out = [
    'access_log off;',
    // lua-resty-core (ngx.resp, …) as Debian installs it
    'lua_package_path "/usr/share/lua/5.1/?.lua;;";',
    `init_by_lua_block {${LUA_PRELUDE}}`,
  ]
  for (const [name, vs] of servers) {
    out.push('server {', `  listen 127.0.0.1:${port}${name === DEFAULT_SERVER ? ' default_server' : ''};`, `  server_name ${name};`)
    if (vs.server !== undefined) out.push(`  ${vs.server.nginx}`)
    for (const [spec, pair] of vs.locations) out.push(`  location ${spec} { ${pair.nginx} }`)
    out.push('}')
  }
  return out.join('\n')
}

export function nrestyGateway(servers: Map<string, VirtualServer>, port: number): GatewayDef {
  const defs: ServerDef[] = []
  for (const [name, vs] of servers) {
    const locations: Record<string, LocationDef> = {}
    for (const [spec, pair] of vs.locations) locations[spec] = pair.nresty
    defs.push({ ...vs.server?.nresty, listen: `127.0.0.1:${port}`, serverName: name, locations })
  }
  return { errorLog: { path: 'logs/error.log', level: 'debug' }, accessLog: false, servers: defs }
}

export interface Both {
  readonly reference: Reference
  readonly nresty: RunningServer
  readonly nrestyPort: number
  nrestyLogMark(): number
  nrestyLogSince(mark: number): string
  stop(): Promise<void>
}

/** Starts the reference and nresty with every case's locations; stops both if either fails. */
export async function startBoth(cases: readonly DiffCase[]): Promise<Both> {
  findReference() // fails first, with the install hint, when the reference is missing
  const servers = collectServers(cases)
  const files = Object.assign({}, ...cases.map((c) => c.files ?? {})) as Record<string, string>
  const refPort = await freePort()
  const reference = await startReference({ port: refPort, http: nginxHttpBlock(servers, refPort), files })
  const prefix = mkdtempSync(join(tmpdir(), 'nresty-differential-nr-'))
  const nrPort = await freePort()
  let nresty: RunningServer
  try {
    nresty = await startServer(defineGateway(nrestyGateway(servers, nrPort)), { prefix })
  } catch (e) {
    await reference.stop()
    rmSync(prefix, { recursive: true, force: true })
    throw e
  }
  const logPath = join(prefix, 'logs', 'error.log')
  const size = (): number => (existsSync(logPath) ? statSync(logPath).size : 0)
  return {
    reference,
    nresty,
    nrestyPort: nrPort,
    nrestyLogMark: () => { nresty.errorLog.flush(); return size() },
    nrestyLogSince: (mark) => { nresty.errorLog.flush(); return existsSync(logPath) ? readFileSync(logPath).subarray(mark).toString('latin1') : '' },
    stop: async () => {
      try {
        await nresty.close()
      } finally {
        await reference.stop()
        rmSync(prefix, { recursive: true, force: true })
      }
    },
  }
}

export interface CaseResult {
  readonly reference: NormalizedExchange
  readonly nresty: NormalizedExchange
  /** Error log lines written for the case (read again until a pattern shows up). */
  referenceLog(): string
  nrestyLog(): string
}

export async function runCase(both: Both, c: DiffCase): Promise<CaseResult> {
  const refMark = both.reference.logMark()
  const nrMark = both.nrestyLogMark()
  const head = (typeof c.request === 'string' ? c.request : String(c.request[0])).startsWith('HEAD ')
  const options = { responses: c.responses ?? 1, head, timeoutMs: c.timeoutMs ?? 2000 }
  const [ref, nr] = await Promise.all([
    exchange(both.reference.port, c.request, options),
    exchange(both.nrestyPort, c.request, options),
  ])
  return {
    reference: normalizeExchange(ref, { port: both.reference.port }),
    nresty: normalizeExchange(nr, { port: both.nrestyPort }),
    referenceLog: () => both.reference.logSince(refMark),
    nrestyLog: () => both.nrestyLogSince(nrMark),
  }
}

/** Polls `read` until a line matches `pattern` (log lines may follow the response). */
export async function logLine(read: () => string, pattern: RegExp, timeoutMs = 1000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const line = read().split('\n').find((l) => pattern.test(l))
    if (line !== undefined || Date.now() > deadline) return line
    await new Promise((r) => setTimeout(r, 20))
  }
}
