// The master: nginx's master process on the main thread. It loads the gateway in a loader
// thread (which runs `init`), writes the pid file, starts N worker threads that each import the
// gateway and listen with SO_REUSEPORT, respawns crashed workers in their slot, and handles
// reload (a new generation starts, then the old one drains), graceful and fast stop, and log
// reopening — from method calls, or from signals when `signals: true` (the nresty command).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { isIPv6 } from 'node:net'
import { availableParallelism } from 'node:os'
import { dirname, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { ResourceLimits } from 'node:worker_threads'
import { LOG_LEVELS, NRESTY_VERSION } from './constants.ts'
import { ConfError, systemErrorText } from './errors.ts'
import type { LogLevelName } from './gateway.ts'
import { moduleUrl } from './load.ts'
import type { GatewaySource } from './load.ts'
import { ErrorLog } from './log.ts'
import { createZone, recoverZone, zoneHandle } from './shdict.ts'
import type { ShdictZone } from './shdict.ts'
import type { FromMaster, GatewaySummary, ThreadData, ToMaster } from './master-protocol.ts'

export interface MasterOptions {
  /** The module exporting the gateway: a path (relative to the cwd) or a URL. Or give `conf`. */
  readonly module?: string | URL
  /** An nginx.conf to run instead of a module: absolute, or relative to the prefix. */
  readonly conf?: string
  /** With `conf`: directives read before the file, as `nginx -g` gives them. */
  readonly globals?: string
  /** The export holding the gateway; default `gateway` (then the default export). */
  readonly exportName?: string
  /** Server root for relative paths (`logs/`); default the gateway's, else the cwd. */
  readonly prefix?: string
  /** Overrides the gateway's error log (`'stderr'` is handy in tests). */
  readonly errorLog?: string
  readonly errorLogLevel?: LogLevelName
  /** Overrides the gateway's `workers`. */
  readonly workers?: number | 'auto'
  /**
   * Handle HUP (reload), QUIT (graceful stop), TERM and INT (fast stop) and USR1 (reopen logs)
   * on this process, as the nresty command does. Default false.
   */
  readonly signals?: boolean
  /**
   * How long a stopping worker leaves an idle keep-alive connection open, so that a request
   * already sent on it is answered (with `Connection: close`). Default 1000 ms.
   */
  readonly idleGraceMs?: number
  /** How long a fast stop waits for workers before terminating them; default 5000 ms. */
  readonly stopTimeoutMs?: number
}

export interface WorkerInfo {
  /** ngx.worker.id(). */
  readonly slot: number
  /** ngx.worker.pid(). */
  readonly pid: number
  readonly threadId: number
  readonly generation: number
  readonly state: 'starting' | 'running' | 'exiting'
}

export interface Master {
  /** The OS process id (the pid file holds it). */
  readonly pid: number
  /** The bound addresses of the current generation, by listen group. */
  readonly addresses: readonly AddressInfo[]
  /** 1 at start, one more per successful reload. */
  readonly generation: number
  readonly errorLog: ErrorLog
  /** The workers alive now (every generation), ordered by generation then slot. */
  workers(): readonly WorkerInfo[]
  /**
   * HUP: loads the gateway again and starts a new generation of workers; once they listen,
   * the old ones stop accepting, finish their requests and exit. A definition that fails to
   * load, or workers that fail to start, leave the running generation serving: false.
   */
  reload(): Promise<boolean>
  /** USR1: reopens the error and access logs of the master and every worker. */
  reopenLogs(): void
  /** QUIT (graceful, the default) or TERM (fast). Resolves once every worker has exited. */
  stop(graceful?: boolean): Promise<void>
  /**
   * What `kill -9 <worker pid>` does to an nginx worker: the thread is stopped wherever it is
   * (inside a shared dict operation, too) and respawned. False when no live worker has that pid.
   */
  killWorker(pid: number): boolean
  /** Called with the thread id of each worker thread that exits (the shared dicts recover locks here). */
  onWorkerExit(fn: (threadId: number) => void): void
  /** Settles when the master has stopped. */
  readonly closed: Promise<void>
}

/** Platforms where SO_REUSEPORT spreads connections over the sockets bound to one address. */
const REUSEPORT_PLATFORMS: ReadonlySet<string> = new Set(['linux', 'freebsd', 'sunos', 'aix'])
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const WORKER_URL = new URL(FROM_SOURCE ? './worker-main.ts' : './worker-main.js', import.meta.url)
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGUSR1: 10, SIGTERM: 15 } as const
const START_TIMEOUT_MS = 60_000

/**
 * Starts a master and its workers. Resolves once every worker listens; rejects (with nginx's
 * `[emerg]` wording in the message) when the gateway cannot load or a worker cannot start.
 *
 * @example
 * const master = await startMaster({ module: './gateway.ts', workers: 2, signals: true })
 */
export async function startMaster(options: MasterOptions): Promise<Master> {
  const m = new MasterProcess(options)
  await m.start()
  return m
}

class WorkerHandle {
  readonly worker: Worker
  readonly slot: number
  readonly gen: Generation
  readonly threadId: number
  readonly startedAt: number = Date.now()
  pid: number
  state: 'starting' | 'running' | 'exiting' = 'starting'
  /** Why it died: an uncaught error, running out of memory, or a failed start. */
  cause: string | undefined = undefined
  ports: readonly number[] = []
  ready: Promise<void>
  settleReady!: (err?: Error) => void

  constructor(worker: Worker, slot: number, gen: Generation) {
    this.worker = worker
    this.slot = slot
    this.gen = gen
    this.threadId = worker.threadId
    this.pid = process.pid + worker.threadId
    this.ready = new Promise<void>((ok, fail) => {
      this.settleReady = (err) => (err === undefined ? ok() : fail(err))
    })
    this.ready.catch(() => undefined)
  }

  send(m: FromMaster): void {
    this.worker.postMessage(m)
  }
}

class Generation {
  readonly n: number
  readonly summary: GatewaySummary
  readonly count: number
  ports: number[]
  readonly slots: (WorkerHandle | undefined)[]
  readonly respawns: (NodeJS.Timeout | undefined)[]
  /** Per slot: crashes in a row (the respawn backoff). */
  readonly crashes: number[]

  /** The shared dict zones this generation's workers open. */
  readonly zones: ReadonlyMap<string, ShdictZone>

  constructor(n: number, summary: GatewaySummary, count: number, ports: number[], zones: ReadonlyMap<string, ShdictZone>) {
    this.n = n
    this.zones = zones
    this.summary = summary
    this.count = count
    this.ports = ports
    this.slots = new Array<WorkerHandle | undefined>(count).fill(undefined)
    this.respawns = new Array<NodeJS.Timeout | undefined>(count).fill(undefined)
    this.crashes = new Array<number>(count).fill(0)
  }
}

class MasterProcess implements Master {
  readonly pid: number = process.pid
  readonly closed: Promise<void>
  private resolveClosed!: () => void
  private readonly opts: MasterOptions
  private readonly source: GatewaySource
  private readonly prefix: string
  private log: ErrorLog | undefined
  private pidPath: string | undefined
  private current: Generation | undefined
  private genSeq = 0
  /** Every live worker thread, of every generation. */
  private readonly live = new Set<WorkerHandle>()
  /** Ports the kernel chose for `listen ...:0`, kept for later workers and generations. */
  private readonly chosenPorts = new Map<string, number>()
  private readonly exitHooks: ((threadId: number) => void)[] = []
  /** lua_shared_dict zones by name; a reload keeps a zone whose name and size stay. */
  private zones = new Map<string, { readonly size: number; readonly zone: ShdictZone }>()
  private reloading: Promise<boolean> | undefined
  private stopping: 'graceful' | 'fast' | undefined
  private stopTimer: NodeJS.Timeout | undefined
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>()

  constructor(opts: MasterOptions) {
    this.opts = opts
    if (opts.conf !== undefined) this.source = { kind: 'conf', path: opts.conf, globals: opts.globals }
    else if (opts.module !== undefined) this.source = { kind: 'module', url: moduleUrl(opts.module), exportName: opts.exportName ?? 'gateway' }
    else throw new TypeError('startMaster needs a "module" or a "conf"')
    this.prefix = resolve(opts.prefix ?? '.')
    this.closed = new Promise((ok) => {
      this.resolveClosed = ok
    })
  }

  get errorLog(): ErrorLog {
    return this.log!
  }

  get generation(): number {
    return this.current?.n ?? 0
  }

  get addresses(): readonly AddressInfo[] {
    const g = this.current
    if (g === undefined) return []
    return g.summary.listens.map((l, i) => ({ address: l.host, family: isIPv6(l.host) ? 'IPv6' : 'IPv4', port: g.ports[i]! }))
  }

  workers(): readonly WorkerInfo[] {
    return [...this.live]
      .sort((a, b) => a.gen.n - b.gen.n || a.slot - b.slot)
      .map((h) => ({ slot: h.slot, pid: h.pid, threadId: h.threadId, generation: h.gen.n, state: h.state }))
  }

  onWorkerExit(fn: (threadId: number) => void): void {
    this.exitHooks.push(fn)
  }

  killWorker(pid: number): boolean {
    const h = [...this.live].find((w) => w.pid === pid)
    if (h === undefined) return false
    h.cause ??= 'killed'
    void h.worker.terminate()
    return true
  }

  async start(): Promise<void> {
    mkdirSync(resolve(this.prefix, 'logs'), { recursive: true })
    const summary = await this.load()
    this.log = this.openLog(summary)
    // Before the pid file exists: a signal sent as soon as it appears must find its handler
    // (node's default for QUIT, HUP and USR1 would end or ignore the process).
    if (this.opts.signals === true) this.installSignals()
    try {
      this.pidPath = summary.pidPath
      writePidFile(summary.pidPath)
      const gen = await this.startGeneration(summary)
      this.current = gen
      this.adoptZones()
    } catch (e) {
      this.log.write(LOG_LEVELS.EMERG, (e as Error).message)
      for (const [sig, fn] of this.signalHandlers) process.off(sig, fn)
      this.signalHandlers.clear()
      if (this.pidPath !== undefined) rmSync(this.pidPath, { force: true })
      await this.log.close()
      throw e
    }
    this.log.write(LOG_LEVELS.NOTICE, `nresty/${NRESTY_VERSION} master started`)
  }

  private openLog(summary: GatewaySummary): ErrorLog {
    const path = this.opts.errorLog ?? summary.errorLog.path
    const abs = path === 'stderr' ? 'stderr' : resolve(this.prefix, path)
    if (abs !== 'stderr') mkdirSync(dirname(abs), { recursive: true })
    return new ErrorLog({ path: abs, level: this.opts.errorLogLevel ?? (summary.errorLog.level as LogLevelName) })
  }

  private workerCount(summary: GatewaySummary): number {
    const w = this.opts.workers
    let n = w === undefined ? summary.workers : w === 'auto' ? availableParallelism() : w
    if (!Number.isInteger(n) || n < 1) throw new ConfError('"worker_processes" directive invalid value')
    if (n > 1 && !REUSEPORT_PLATFORMS.has(process.platform)) {
      this.log?.write(LOG_LEVELS.WARN, `SO_REUSEPORT does not spread connections on ${process.platform}: running 1 worker instead of ${n}`)
      n = 1
    }
    return n
  }

  private threadData(role: 'loader' | 'worker', slot: number, count: number | undefined, ports: readonly number[] | undefined, zones?: ReadonlyMap<string, ShdictZone>): ThreadData {
    return {
      role,
      source: this.source,
      prefix: this.prefix,
      errorLog: this.opts.errorLog,
      errorLogLevel: this.opts.errorLogLevel,
      count,
      slot,
      reusePort: REUSEPORT_PLATFORMS.has(process.platform),
      ports,
      idleGraceMs: this.opts.idleGraceMs ?? 1000,
      zones,
    }
  }

  private spawn(data: ThreadData, resourceLimits?: ResourceLimits): Worker {
    const base = { workerData: data, name: data.role === 'loader' ? 'nresty loader' : `nresty worker ${data.slot}` }
    const limits = resourceLimits === undefined ? {} : { resourceLimits }
    // Workers resolve @nresty/* as this thread did: from source when the master runs from source.
    const conditions = FROM_SOURCE ? ['--conditions=@nresty/source'] : []
    try {
      return new Worker(WORKER_URL, { ...base, ...limits, execArgv: [...process.execArgv, ...conditions] })
    } catch {
      // Some of the process's flags are not accepted by a worker thread.
      return new Worker(WORKER_URL, { ...base, ...limits, execArgv: conditions })
    }
  }

  /** Loads the gateway in a loader thread, which also runs `init`. */
  private load(): Promise<GatewaySummary> {
    const w = this.spawn(this.threadData('loader', 0, this.opts.workers === undefined ? undefined : this.workerCountHint(), undefined))
    return new Promise<GatewaySummary>((ok, fail) => {
      let summary: GatewaySummary | undefined
      let settled = false
      const settle = (e: Error | undefined): void => {
        if (settled) return
        settled = true
        void w.terminate()
        if (e !== undefined) fail(e)
        else ok(summary!)
      }
      w.on('message', (m: ToMaster) => {
        if (m.t === 'loaded') {
          summary = m.summary
          w.postMessage({ t: 'zones', zones: this.zonesFor(m.summary) } satisfies FromMaster)
        } else if (m.t === 'init-done') settle(undefined)
        else if (m.t === 'failed') settle(new ConfError(m.message))
      })
      w.on('error', (e) => settle(new ConfError(`the gateway loader failed: ${describeError(e)}`)))
      w.on('exit', (code) => {
        // init may have used the shared dicts: recover what a killed loader held.
        this.runExitHooks(w.threadId, process.pid)
        settle(new ConfError(`the gateway loader exited with code ${code}`))
      })
    })
  }

  private workerCountHint(): number | undefined {
    const w = this.opts.workers
    return w === 'auto' ? availableParallelism() : w
  }

  private portKey(host: string, index: number): string {
    return `${host}#${index}`
  }

  private async startGeneration(summary: GatewaySummary): Promise<Generation> {
    const count = this.workerCount(summary)
    const ports = summary.listens.map((l, i) => (l.port !== 0 ? l.port : (this.chosenPorts.get(this.portKey(l.host, i)) ?? 0)))
    const gen = new Generation(++this.genSeq, summary, count, ports, new Map([...this.pendingZones].map(([name, z]) => [name, z.zone])))
    this.log!.write(LOG_LEVELS.NOTICE, 'start worker processes')
    try {
      // Ephemeral ports: the first worker lets the kernel choose, the others bind the same ones.
      const first = this.startWorker(gen, 0)
      if (ports.includes(0)) {
        await this.whenReady(first)
        gen.ports = [...first.ports]
        summary.listens.forEach((l, i) => {
          if (l.port === 0) this.chosenPorts.set(this.portKey(l.host, i), gen.ports[i]!)
        })
      }
      const rest: WorkerHandle[] = []
      for (let slot = 1; slot < count; slot++) rest.push(this.startWorker(gen, slot))
      await Promise.all([first, ...rest].map((h) => this.whenReady(h)))
    } catch (e) {
      for (const h of gen.slots) {
        if (h !== undefined && h.state !== 'exiting') {
          h.state = 'exiting'
          void h.worker.terminate()
        }
      }
      throw e
    }
    return gen
  }

  private whenReady(h: WorkerHandle): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((_ok, fail) => {
      timer = setTimeout(() => fail(new ConfError(`worker process ${h.pid} did not start in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)
    })
    return Promise.race([h.ready, timeout]).finally(() => clearTimeout(timer))
  }

  private startWorker(gen: Generation, slot: number): WorkerHandle {
    const limit = gen.summary.workerHeapLimit
    const w = this.spawn(
      this.threadData('worker', slot, gen.count, gen.ports.includes(0) ? undefined : gen.ports, gen.zones),
      limit === undefined ? undefined : { maxOldGenerationSizeMb: Math.max(16, Math.ceil(limit / 1048576)) },
    )
    const h = new WorkerHandle(w, slot, gen)
    gen.slots[slot] = h
    this.live.add(h)
    this.log!.write(LOG_LEVELS.NOTICE, `start worker process ${h.pid}`)
    w.on('message', (m: ToMaster) => {
      if (m.t === 'ready') {
        h.ports = m.ports
        if (h.state === 'starting') h.state = 'running'
        h.settleReady()
      } else if (m.t === 'failed') {
        h.cause = m.message
      }
    })
    w.on('error', (e) => {
      h.cause = describeError(e)
    })
    w.on('exit', (code) => this.onExit(h, code))
    return h
  }

  private onExit(h: WorkerHandle, code: number): void {
    this.live.delete(h)
    this.runExitHooks(h.threadId, h.pid)
    const gen = h.gen
    if (gen.slots[h.slot] === h) gen.slots[h.slot] = undefined
    if (h.state === 'starting') h.settleReady(new ConfError(h.cause ?? `worker process ${h.pid} exited with code ${code} while starting`))
    const expected = h.state === 'exiting' && code === 0
    if (expected) {
      this.log!.write(LOG_LEVELS.NOTICE, `worker process ${h.pid} exited with code 0`)
    } else {
      const why = h.cause === undefined ? `with code ${code}` : `with code ${code}: ${h.cause}`
      this.log!.write(LOG_LEVELS.ALERT, `worker process ${h.pid} exited ${why}`)
    }
    if (this.stopping !== undefined) {
      if (this.live.size === 0) void this.finishStop()
      return
    }
    // A worker of the serving generation died (or a respawned one could not start): respawn
    // the slot. Workers that fail during a start or reload fail that start or reload instead.
    if (gen === this.current && h.state !== 'exiting') this.respawn(gen, h)
  }

  /** Zones for a loaded definition: kept when name and size match, made otherwise. */
  private zonesFor(summary: GatewaySummary): Map<string, ShdictZone> {
    const next = new Map<string, { readonly size: number; readonly zone: ShdictZone }>()
    for (const [name, size] of summary.sharedDicts) {
      const had = this.zones.get(name) ?? this.pendingZones.get(name)
      next.set(name, had !== undefined && had.size === size ? had : { size, zone: zoneHandle(createZone(name, size)) })
    }
    // Adopted by the generation that starts with them (startGeneration).
    this.pendingZones = next
    return new Map([...next].map(([name, z]) => [name, z.zone]))
  }

  private pendingZones = new Map<string, { readonly size: number; readonly zone: ShdictZone }>()

  /** The serving generation's zones become the ones a later reload keeps (or drops). */
  private adoptZones(): void {
    this.zones = this.pendingZones
    this.pendingZones = new Map()
  }

  private runExitHooks(threadId: number, pid: number): void {
    // A thread killed inside a shared dict operation holds its zone's lock: repair and release.
    const owner = threadId + 1
    for (const zones of [this.zones, this.pendingZones]) {
      for (const [name, { zone }] of zones) {
        if (recoverZone(zone, owner)) this.log?.write(LOG_LEVELS.ALERT, `shared memory zone "${name}" was locked by ${pid}`)
      }
    }
    for (const fn of this.exitHooks) {
      try {
        fn(threadId)
      } catch (e) {
        this.log?.write(LOG_LEVELS.ALERT, `worker exit hook failed: ${describeError(e)}`)
      }
    }
  }

  private respawn(gen: Generation, dead: WorkerHandle): void {
    const slot = dead.slot
    const lived = Date.now() - dead.startedAt
    const crashes = lived > 10_000 ? 1 : gen.crashes[slot]! + 1
    gen.crashes[slot] = crashes
    // Right away the first time; then 100 ms, 200 ms, … up to 5 s while it keeps dying young.
    const delay = crashes <= 1 ? 0 : Math.min(5000, 100 * 2 ** (crashes - 2))
    const go = (): void => {
      gen.respawns[slot] = undefined
      if (this.stopping !== undefined || gen !== this.current || gen.slots[slot] !== undefined) return
      this.startWorker(gen, slot)
    }
    if (delay === 0) go()
    else gen.respawns[slot] = setTimeout(go, delay)
  }

  reload(): Promise<boolean> {
    return (this.reloading ??= this.doReload().finally(() => {
      this.reloading = undefined
    }))
  }

  private async doReload(): Promise<boolean> {
    if (this.stopping !== undefined || this.current === undefined) return false
    this.log!.write(LOG_LEVELS.NOTICE, 'reconfiguring')
    let gen: Generation
    try {
      const summary = await this.load()
      gen = await this.startGeneration(summary)
    } catch (e) {
      this.log!.write(LOG_LEVELS.EMERG, (e as Error).message)
      return false
    }
    if (this.stopping !== undefined) {
      for (const h of gen.slots) this.tell(h, this.stopping === 'graceful' ? 'quit' : 'stop')
      return false
    }
    const old = this.current
    this.current = gen
    this.adoptZones()
    if (migrateReqOff()) {
      this.log!.write(LOG_LEVELS.WARN, 'net.ipv4.tcp_migrate_req is 0: a connection still queued on an old worker\'s listener when it closes is reset; set it to 1 (Linux 5.14+) for reloads that lose no connection')
    }
    this.retire(old, 'quit')
    return true
  }

  private tell(h: WorkerHandle | undefined, what: 'quit' | 'stop'): void {
    if (h === undefined) return
    if (h.state === 'exiting' && what === 'quit') return
    h.state = 'exiting'
    h.send({ t: what })
  }

  private retire(gen: Generation, what: 'quit' | 'stop'): void {
    for (let slot = 0; slot < gen.count; slot++) {
      clearTimeout(gen.respawns[slot])
      gen.respawns[slot] = undefined
    }
    for (const h of this.live) if (h.gen === gen) this.tell(h, what)
  }

  reopenLogs(): void {
    this.log?.write(LOG_LEVELS.NOTICE, 'reopening logs')
    this.log?.reopen()
    for (const h of this.live) if (h.state === 'running') h.send({ t: 'reopen' })
  }

  stop(graceful = true): Promise<void> {
    const mode = graceful ? 'graceful' : 'fast'
    if (this.stopping === 'fast' || this.stopping === mode) return this.closed
    this.stopping = mode
    for (const h of [...this.live]) {
      if (h.state === 'starting') {
        h.state = 'exiting'
        void h.worker.terminate()
      } else this.tell(h, graceful ? 'quit' : 'stop')
    }
    for (const g of new Set([...this.live].map((h) => h.gen).concat(this.current ?? []))) this.retire(g, graceful ? 'quit' : 'stop')
    if (!graceful) {
      this.stopTimer = setTimeout(() => {
        for (const h of this.live) void h.worker.terminate()
      }, this.opts.stopTimeoutMs ?? 5000)
    }
    if (this.live.size === 0) void this.finishStop()
    return this.closed
  }

  private finishing = false

  private async finishStop(): Promise<void> {
    if (this.finishing) return
    this.finishing = true
    clearTimeout(this.stopTimer)
    for (const [sig, fn] of this.signalHandlers) process.off(sig, fn)
    this.signalHandlers.clear()
    if (this.pidPath !== undefined) rmSync(this.pidPath, { force: true })
    this.log!.write(LOG_LEVELS.NOTICE, 'exit')
    await this.log!.close()
    this.resolveClosed()
  }

  private installSignals(): void {
    const on = (sig: keyof typeof SIGNALS, what: string, fn: () => unknown): void => {
      const handler = (): void => {
        this.log!.write(LOG_LEVELS.NOTICE, `signal ${SIGNALS[sig]} (${sig}) received, ${what}`)
        void fn()
      }
      this.signalHandlers.set(sig, handler)
      process.on(sig, handler)
    }
    on('SIGHUP', 'reconfiguring', () => this.reload())
    on('SIGQUIT', 'shutting down', () => this.stop(true))
    on('SIGTERM', 'exiting', () => this.stop(false))
    on('SIGINT', 'exiting', () => this.stop(false))
    on('SIGUSR1', 'reopening logs', () => this.reopenLogs())
  }
}


/**
 * Whether Linux will reset, rather than hand to another listener of the SO_REUSEPORT group,
 * the connections queued on a listener that closes (net.ipv4.tcp_migrate_req = 0).
 */
function migrateReqOff(): boolean {
  if (process.platform !== 'linux') return false
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'latin1').trim() === '0'
  } catch {
    // Kernels before 5.14 have no such setting: closing a listener always resets its queue.
    return true
  }
}

function writePidFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, `${process.pid}\n`)
  } catch (e) {
    throw new ConfError(`open() "${path}" failed (${systemErrorText(e as NodeJS.ErrnoException)})`)
  }
}

function describeError(e: unknown): string {
  const err = e as { code?: string; stack?: string; message?: string }
  if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') return `out of memory (${err.message ?? ''})`
  if (e instanceof Error) return `uncaught ${e.stack ?? e.message}`
  return `uncaught ${String(e)}`
}
