// The messages between the master and its threads (structured-clone data only).
import type { LogLevelName } from './gateway.ts'
import type { GatewaySource } from './load.ts'
import type { ShdictZone } from './shdict.ts'

/** workerData of a thread the master starts. */
export interface ThreadData {
  readonly role: 'loader' | 'worker'
  /** Where the gateway comes from: a module, or an nginx.conf. */
  readonly source: GatewaySource
  readonly prefix: string
  readonly errorLog: string | undefined
  readonly errorLogLevel: LogLevelName | undefined
  /** The worker count of the generation (the master's override, or undefined for the gateway's). */
  readonly count: number | undefined
  readonly slot: number
  readonly reusePort: boolean
  /** Ports by listen group; the gateway's own where undefined. */
  readonly ports: readonly number[] | undefined
  /** How long an idle keep-alive connection stays open once the worker stops (ms). */
  readonly idleGraceMs: number
  /** The shared dicts' buffers (workers; the loader gets them in a message). */
  readonly zones: ReadonlyMap<string, ShdictZone> | undefined
}

/** What the master needs to know of a gateway before it starts workers. */
export interface GatewaySummary {
  readonly workers: number
  readonly listens: readonly { readonly host: string; readonly port: number }[]
  readonly pidPath: string
  readonly errorLog: { readonly path: string; readonly level: string }
  readonly sharedDicts: readonly (readonly [string, number])[]
  readonly workerHeapLimit: number | undefined
}

export type ToMaster =
  | { readonly t: 'loaded'; readonly summary: GatewaySummary }
  | { readonly t: 'init-done' }
  | { readonly t: 'ready'; readonly ports: readonly number[]; readonly pid: number }
  | { readonly t: 'failed'; readonly message: string }

export type FromMaster =
  | { readonly t: 'zones'; readonly zones: ReadonlyMap<string, ShdictZone> }
  | { readonly t: 'quit' }
  | { readonly t: 'stop' }
  | { readonly t: 'reopen' }
