// The entry of every thread the master starts. A loader imports the gateway module, checks
// it, reports what the master needs (workers, listens, zones, pid file) and runs `init`; a
// worker imports the module for itself (its own module state, as a forked nginx worker has),
// runs `initWorker`, listens with SO_REUSEPORT, and obeys the master's quit/stop/reopen.
import { parentPort, threadId, workerData } from 'node:worker_threads'
import { reopenAll } from './access-log.ts'
import { compileGateway } from './conf.ts'
import type { CompiledGateway } from './conf.ts'
import { LOG_LEVELS } from './constants.ts'
import { runLifePhase } from './context.ts'
import { loadSource } from './load.ts'
import type { ErrorLog } from './log.ts'
import type { FromMaster, GatewaySummary, ThreadData, ToMaster } from './master-protocol.ts'
import { createRuntime } from './request.ts'
import type { ShdictZone } from './shdict.ts'
import { initError, openErrorLog, serveWorker } from './server.ts'

const port = parentPort!
const data = workerData as ThreadData

function send(m: ToMaster): void {
  port.postMessage(m)
}

function errorText(e: unknown): string {
  if (e instanceof Error && e.name === 'ConfError') return e.message
  return e instanceof Error ? (e.stack ?? e.message) : String(e)
}

function summarize(gw: CompiledGateway): GatewaySummary {
  return {
    workers: gw.workers,
    listens: gw.listens.map((l) => ({ host: l.host, port: l.port })),
    pidPath: gw.pidPath,
    errorLog: gw.errorLog,
    sharedDicts: [...gw.sharedDicts],
    workerHeapLimit: gw.workerHeapLimit,
  }
}

async function runLoader(): Promise<void> {
  let errorLog: ErrorLog | undefined
  try {
    const gateway = await loadSource(data.source, data.prefix)
    const gw = compileGateway(gateway.def, data.prefix)
    const zones = new Promise<ReadonlyMap<string, ShdictZone>>((ok) => {
      port.on('message', (m: FromMaster) => {
        if (m.t === 'zones') ok(m.zones)
      })
    })
    send({ t: 'loaded', summary: summarize(gw) })
    // The master makes (or keeps, on reload) the zones the definition declares.
    const shared = await zones
    // init runs once per generation, as init_by_lua runs in the master on start and reload.
    if (gw.init.length > 0) {
      errorLog = openErrorLog(gw, data.errorLog, data.errorLogLevel, process.pid)
      const rt = createRuntime(gw, errorLog, { type: 'master', id: 0, count: data.count ?? gw.workers, pid: process.pid, masterPid: process.pid }, shared)
      const failed = await runLifePhase(rt, 'init', gw.init)
      if (failed !== undefined) throw initError(failed)
    }
    send({ t: 'init-done' })
  } catch (e) {
    send({ t: 'failed', message: errorText(e) })
  } finally {
    await errorLog?.close()
  }
}

async function runWorker(): Promise<void> {
  const pid = process.pid + threadId
  let errorLog: ErrorLog | undefined
  try {
    const gateway = await loadSource(data.source, data.prefix)
    const gw = compileGateway(gateway.def, data.prefix)
    errorLog = openErrorLog(gw, data.errorLog, data.errorLogLevel, pid)
    const log = errorLog
    const ws = await serveWorker(gw, log, {
      type: 'worker', id: data.slot, count: data.count ?? gw.workers, pid, masterPid: process.pid,
    }, { reusePort: data.reusePort, ports: data.ports ?? [], zones: data.zones ?? new Map() })
    port.on('message', (m: FromMaster) => {
      if (m.t === 'zones') return
      if (m.t === 'reopen') {
        log.reopen()
        for (const err of reopenAll()) log.write(LOG_LEVELS.EMERG, err.message)
        return
      }
      log.write(LOG_LEVELS.NOTICE, m.t === 'quit' ? 'gracefully shutting down' : 'exiting')
      // Right after a poll phase, when libuv has just accepted what was queued: a connection
      // still in a listener's queue when it closes is reset (unless the kernel migrates it:
      // net.ipv4.tcp_migrate_req), so close when that queue is most likely empty.
      setImmediate(() => {
        void ws.shutdown({ graceful: m.t === 'quit', idleGraceMs: data.idleGraceMs }).then(async () => {
          log.write(LOG_LEVELS.NOTICE, 'exit')
          await log.close()
          process.exit(0)
        })
      })
    })
    send({ t: 'ready', ports: ws.addresses.map((a) => a.port), pid })
  } catch (e) {
    send({ t: 'failed', message: errorText(e) })
    await errorLog?.close()
    process.exit(2)
  }
}

// Not awaited at the top level: node delivers the master's messages to parentPort only once
// the thread's main module has finished evaluating.
if (data.role === 'loader') void runLoader()
else void runWorker()
