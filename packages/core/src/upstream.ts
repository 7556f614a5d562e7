// Upstream groups: the peers a proxied request may go to, how one is chosen for each try
// (nginx's smooth weighted round robin, `hash`, `hash … consistent`, or a balancer handler),
// and the passive health checks of max_fails / fail_timeout. The compiled group is shared;
// what changes while requests run (weights, failures, undici pools) is per worker, on the
// Runtime, as each nginx worker keeps its own.
import { crc32 } from 'node:zlib'
import { Pool } from 'undici'
import { ChashRing, nginxServerId } from './chash.ts'
import { ConfError } from './errors.ts'
import type { Handler, UpstreamDef, UpstreamServerDef } from './gateway.ts'
import { compileTemplate } from './template.ts'
import type { Template } from './template.ts'
import { parseTime } from './units.ts'

export interface PeerConf {
  /** As written in the `server` line (what `hash … consistent` hashes). */
  readonly address: string
  /** As `$upstream_addr` shows it: `127.0.0.1:8080` or `unix:/path`. */
  readonly name: string
  readonly host: string
  readonly port: number
  readonly socketPath: string | undefined
  readonly weight: number
  readonly maxFails: number
  /** ms */
  readonly failTimeout: number
  readonly down: boolean
  /** Index among all peers of the group (primary first, then backup). */
  readonly index: number
}

export interface UpstreamConf {
  readonly name: string
  readonly primary: readonly PeerConf[]
  readonly backup: readonly PeerConf[]
  /** An upstream made by `proxy_pass http://host:port` (or one resolved at run time). */
  readonly implicit: boolean
  /** `keepalive N` (0: none). */
  readonly keepalive: number
  readonly keepaliveTimeout: number
  readonly keepaliveRequests: number
  readonly hash: Template | undefined
  /** The consistent hash's ring over the primary peers (`hash … consistent`). */
  readonly ring: ChashRing | undefined
  readonly balancer: Handler | undefined
}

/** Checks and compiles an `upstream` block (nginx's wording for what is wrong). */
export function compileUpstream(name: string, def: UpstreamDef): UpstreamConf {
  if (def === null || typeof def !== 'object' || !Array.isArray(def.servers)) throw new ConfError(`upstream "${name}" needs a "servers" array`)
  if (def.servers.length === 0 && def.balancer === undefined) throw new ConfError('no servers are inside upstream')
  const primary: PeerConf[] = []
  const backup: PeerConf[] = []
  for (const s of def.servers) {
    const spec: UpstreamServerDef = typeof s === 'string' ? { address: s } : s
    const list = spec.backup === true ? backup : primary
    list.push(compilePeer(spec, 0))
  }
  let hash: Template | undefined
  let consistent = false
  if (def.hash !== undefined) {
    const h = typeof def.hash === 'string' ? { key: def.hash } : def.hash
    hash = compileTemplate(h.key)
    consistent = h.consistent === true
    if (backup.length > 0) throw new ConfError('invalid parameter "backup"')
  }
  const peers = [...primary, ...backup].map((p, index) => ({ ...p, index }))
  const prim = peers.slice(0, primary.length)
  return {
    name,
    primary: prim,
    backup: peers.slice(primary.length),
    implicit: false,
    keepalive: count(def.keepalive, 0, 'keepalive'),
    keepaliveTimeout: parseTime(def.keepaliveTimeout ?? '60s', 'keepalive_timeout'),
    keepaliveRequests: count(def.keepaliveRequests, 1000, 'keepalive_requests'),
    hash,
    ring: consistent ? new ChashRing(prim.map((p) => [nginxServerId(p.address), p.weight]), { dedupe: true }) : undefined,
    balancer: def.balancer,
  }
}

/** The one-peer group of `proxy_pass http://host:port`. */
export function implicitUpstream(host: string, port: number): UpstreamConf {
  const peer = compilePeer({ address: host.startsWith('unix:') ? host : `${host}:${port}` }, 0)
  return {
    name: peer.name, primary: [peer], backup: [], implicit: true, keepalive: 0, keepaliveTimeout: 60_000,
    keepaliveRequests: 1000, hash: undefined, ring: undefined, balancer: undefined,
  }
}

function count(n: number | undefined, dflt: number, what: string): number {
  if (n === undefined) return dflt
  if (!Number.isInteger(n) || n < 0) throw new ConfError(`invalid value "${String(n)}" in "${what}" directive`)
  return n
}

/** A `server` line: `host:port`, `host` (port 80) or `unix:/path`, with its parameters. */
export function compilePeer(spec: UpstreamServerDef, index: number): PeerConf {
  const address = spec.address
  if (typeof address !== 'string' || address === '') throw new ConfError('invalid upstream server address')
  let host: string
  let port = 80
  let socketPath: string | undefined
  if (address.startsWith('unix:')) {
    socketPath = address.slice(5)
    host = 'localhost'
  } else {
    const m = /^\[([^\]]+)\](?::(\d+))?$|^([^:]+)(?::(\d+))?$/.exec(address)
    if (m === null) throw new ConfError(`invalid host in upstream "${address}"`)
    host = m[1] ?? m[3]!
    const p = m[2] ?? m[4]
    if (p !== undefined) port = Number(p)
    if (port < 1 || port > 65535) throw new ConfError(`invalid port in upstream "${address}"`)
  }
  const weight = spec.weight ?? 1
  if (!Number.isInteger(weight) || weight < 1) throw new ConfError(`invalid parameter "weight=${String(spec.weight)}"`)
  const maxFails = spec.maxFails ?? 1
  if (!Number.isInteger(maxFails) || maxFails < 0) throw new ConfError(`invalid parameter "max_fails=${String(spec.maxFails)}"`)
  const failTimeout = parseTime(spec.failTimeout ?? '10s', 'fail_timeout')
  const name = socketPath !== undefined ? address : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  return { address, name, host, port, socketPath, weight, maxFails, failTimeout, down: spec.down === true, index }
}

// ---------------------------------------------------------------------------------------------
// Per-worker state

/** A peer's moving parts in one worker (nginx's ngx_http_upstream_rr_peer_t). */
export interface PeerState {
  readonly conf: PeerConf
  currentWeight: number
  effectiveWeight: number
  fails: number
  /** ms: when it last failed. */
  accessed: number
  /** ms: when its failures were last looked at. */
  checked: number
  /** undici pools by connect timeout and header limit (fixed per pool). */
  pools: Map<string, Pool> | undefined
}

export class UpstreamState {
  readonly conf: UpstreamConf
  readonly primary: PeerState[]
  readonly backup: PeerState[]

  constructor(conf: UpstreamConf) {
    this.conf = conf
    const state = (p: PeerConf): PeerState => ({ conf: p, currentWeight: 0, effectiveWeight: p.weight, fails: 0, accessed: 0, checked: 0, pools: undefined })
    this.primary = conf.primary.map(state)
    this.backup = conf.backup.map(state)
  }

  /** Closes every pool (worker shutdown). */
  close(): Promise<unknown> {
    const all: Promise<unknown>[] = []
    for (const p of [...this.primary, ...this.backup]) {
      if (p.pools === undefined) continue
      for (const pool of p.pools.values()) all.push(pool.close().catch(() => undefined))
      p.pools = undefined
    }
    return Promise.all(all)
  }

  /** The undici pool for a peer and a connect timeout, made on first use. */
  pool(peer: PeerState, connectTimeout: number, maxHeaderSize: number): Pool {
    const pools = (peer.pools ??= new Map())
    const key = `${connectTimeout}/${maxHeaderSize}`
    let pool = pools.get(key)
    if (pool === undefined) {
      const c = this.conf
      const p = peer.conf
      pool = new Pool(p.socketPath !== undefined ? 'http://localhost' : `http://${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`, {
        connectTimeout,
        connect: p.socketPath !== undefined ? { socketPath: p.socketPath, timeout: connectTimeout } : { timeout: connectTimeout },
        keepAliveTimeout: c.keepalive > 0 ? c.keepaliveTimeout : 1,
        keepAliveMaxTimeout: c.keepalive > 0 ? c.keepaliveTimeout : 1,
        keepAliveTimeoutThreshold: 0,
        maxRequestsPerClient: c.keepaliveRequests,
        // Timeouts are per request (proxy_read_timeout); a cut-off is not the pool's to make.
        headersTimeout: 0,
        bodyTimeout: 0,
        maxHeaderSize,
        pipelining: 1,
      })
      pools.set(key, pool)
    }
    return pool
  }
}

/**
 * One request's way through a group: the peers tried so far and the tries left (nginx's
 * round-robin peer data and `tried` bitmap). Peers are picked with pick(); each try ends with
 * release().
 */
export class PeerPicker {
  readonly up: UpstreamState
  tries: number
  /** Peers tried by this request: a bitmap for the first 31, a set beyond. */
  #tried = 0
  #triedMore: Set<number> | undefined = undefined
  #backup = false
  /** For `hash`: the running hash and how often it was rehashed. */
  #hash = 0
  #rehash = 0
  #key: string | undefined
  /** For `hash … consistent`: the ring point being tried. */
  #point = -1

  constructor(up: UpstreamState, key: string | undefined) {
    this.up = up
    const c = up.conf
    // A single peer is never retried (nginx's peers->single); a group gets one try per peer.
    this.tries = c.primary.length + c.backup.length === 1 ? 1 : c.primary.length + c.backup.length
    this.#key = key
  }

  /** The next peer, or undefined when none is live ("no live upstreams"). */
  pick(now: number): PeerState | undefined {
    const up = this.up
    const c = up.conf
    if (c.primary.length + c.backup.length === 1 && c.backup.length === 0) {
      const only = up.primary[0]!
      return only.conf.down ? undefined : only
    }
    if (this.#key !== undefined) {
      const p = c.ring !== undefined ? this.#pickConsistent(now) : this.#pickHash(now)
      if (p !== undefined) return p
      // after 20 misses nginx falls back to round robin
    }
    if (!this.#backup) {
      const p = this.#pickRR(up.primary, now)
      if (p !== undefined) return p
      if (up.backup.length > 0) {
        this.#backup = true
        const b = this.#pickRR(up.backup, now)
        if (b !== undefined) return b
      }
    } else {
      const b = this.#pickRR(up.backup, now)
      if (b !== undefined) return b
    }
    // Every peer failed: nginx forgets the failures so that the next request tries again.
    for (const p of up.primary) p.fails = 0
    for (const p of up.backup) p.fails = 0
    return undefined
  }

  #usable(p: PeerState, now: number): boolean {
    if (p.conf.down) return false
    const i = p.conf.index
    if (i < 31 ? (this.#tried & (1 << i)) !== 0 : this.#triedMore?.has(i) === true) return false
    if (p.conf.maxFails > 0 && p.fails >= p.conf.maxFails && now - p.checked <= p.conf.failTimeout) return false
    return true
  }

  /** nginx's smooth weighted round robin over the peers not tried yet. */
  #pickRR(list: readonly PeerState[], now: number): PeerState | undefined {
    let best: PeerState | undefined
    let total = 0
    for (const p of list) {
      if (!this.#usable(p, now)) continue
      p.currentWeight += p.effectiveWeight
      total += p.effectiveWeight
      if (p.effectiveWeight < p.conf.weight) p.effectiveWeight++
      if (best === undefined || p.currentWeight > best.currentWeight) best = p
    }
    if (best === undefined) return undefined
    best.currentWeight -= total
    if (now - best.checked > best.conf.failTimeout) best.checked = now
    this.#mark(best)
    return best
  }

  /**
   * `hash key`: the key's CRC32 (with the rehash count before it after the first try), its
   * high 15 bits accumulated, modulo the total weight, picks by walking the weights.
   */
  #pickHash(now: number): PeerState | undefined {
    const list = this.up.primary
    const total = this.up.conf.primary.reduce((n, p) => n + p.weight, 0)
    for (let i = 0; i < 20; i++) {
      const key = this.#rehash > 0 ? `${this.#rehash}${this.#key!}` : this.#key!
      const h = (crc32(Buffer.from(key, 'latin1')) >>> 16) & 0x7fff
      this.#hash += h
      this.#rehash++
      let w = this.#hash % total
      let k = 0
      while (w >= list[k]!.conf.weight) w -= list[k++]!.conf.weight
      const p = list[k]!
      if (!this.#usable(p, now)) continue
      if (now - p.checked > p.conf.failTimeout) p.checked = now
      this.#mark(p)
      return p
    }
    this.#key = undefined
    return undefined
  }

  /** `hash key consistent`: the ring point at or after the key's CRC32, then the points after it. */
  #pickConsistent(now: number): PeerState | undefined {
    const ring = this.up.conf.ring!
    if (this.#point < 0) this.#point = ring.find(crc32(Buffer.from(this.#key!, 'latin1')))
    for (let i = 0; i < 20; i++) {
      const p = this.up.primary[ring.nodeAt(this.#point)]!
      this.#point = ring.next(this.#point)
      if (!this.#usable(p, now)) continue
      if (now - p.checked > p.conf.failTimeout) p.checked = now
      this.#mark(p)
      return p
    }
    this.#key = undefined
    return undefined
  }

  #mark(p: PeerState): void {
    const i = p.conf.index
    if (i < 31) this.#tried |= 1 << i
    else (this.#triedMore ??= new Set()).add(i)
  }

  /**
   * Ends a try (nginx's free_round_robin_peer): a failure counts toward max_fails and lowers
   * the peer's effective weight; a success after a failure clears its failures. Returns the
   * warning to log when the peer just went down.
   */
  release(p: PeerState, failed: boolean, now: number): string | undefined {
    if (this.tries > 0) this.tries--
    const c = this.up.conf
    if (c.primary.length + c.backup.length === 1 && c.backup.length === 0) {
      this.tries = 0
      return undefined
    }
    if (!failed) {
      if (p.accessed < p.checked) p.fails = 0
      return undefined
    }
    p.fails++
    p.accessed = now
    p.checked = now
    let warn: string | undefined
    if (p.conf.maxFails > 0) {
      p.effectiveWeight -= Math.floor(p.conf.weight / p.conf.maxFails)
      if (p.fails >= p.conf.maxFails) warn = 'upstream server temporarily disabled'
    }
    if (p.effectiveWeight < 0) p.effectiveWeight = 0
    return warn
  }
}
