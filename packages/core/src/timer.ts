// ngx.timer: ngx.timer.at / every / running_count / pending_count, and the worker's timers.
// A timer's handler runs with its own `ngx` (phase 'timer', its own ngx.ctx), may use
// cosockets, sleep and light threads, and counts as running until it and its light threads
// are done. lua_max_pending_timers and lua_max_running_timers apply with ngx_lua's words;
// when the worker stops gracefully, pending timers run at once with premature = true.
import type { CosocketConf } from './cosocket.ts'
import { LOG_LEVELS } from './constants.ts'
import { NgxContext } from './context.ts'
import { argError, ERROR_CODES, NgxApiError, phaseError } from './errors.ts'
import type { LogContext } from './log.ts'
import type { Ngx } from './ngx.ts'
import { handlerError } from './output.ts'
import { CONTEXT_NAME } from './phase.ts'
import type { Phase } from './phase.ts'
import type { Runtime } from './request.ts'
import { fail, ok } from './result.ts'
import type { Result } from './result.ts'
import { isNgxSignal } from './signals.ts'
import { abortThreads, holdForThreads, runAsEntry } from './thread.ts'

/** A timer's handler: its own `ngx`, whether the worker is exiting, and the extra arguments. */
export type TimerHandler<A extends unknown[] = unknown[]> = (ngx: Ngx, premature: boolean, ...args: A) => unknown

/** ngx.timer.at's err strings. */
export type TimerErr = 'too many pending timers' | 'process exiting'

/** `ngx.timer`. */
export interface NgxTimer {
  /**
   * Runs `fn(ngx, premature, ...args)` after `delay` seconds (0: once the caller yields).
   * `{ ok: true, value: 1 }`, or `too many pending timers`, `process exiting` (a delay > 0
   * once the worker exits).
   */
  at<A extends unknown[]>(delay: number, fn: TimerHandler<A>, ...args: A): Result<1, TimerErr>
  /** Like `at`, again every `delay` seconds until the worker exits. Throws `delay cannot be zero`. */
  every<A extends unknown[]>(delay: number, fn: TimerHandler<A>, ...args: A): Result<1, TimerErr>
  /** Timers whose handler runs now. */
  runningCount(): number
  /** Timers waiting to run. */
  pendingCount(): number
}

/** Who creates timers: a request, or an `ngx` outside requests (init_worker, a timer). */
export interface TimerOwner {
  readonly _rt: Runtime
  readonly _phase: Phase
  /** The lua_socket_* settings the timer's cosockets get (the creator's). */
  readonly _cosocketConf: CosocketConf
  /** What the timer's error-log lines carry: `context: ngx.timer` and the creator's client. */
  _timerLogContext(): LogContext
}

/** lua_max_pending_timers and lua_max_running_timers (1024 and 256 by default). */
export interface TimerLimits {
  readonly maxPending: number
  readonly maxRunning: number
}

export const DEFAULT_TIMER_LIMITS: TimerLimits = Object.freeze({ maxPending: 1024, maxRunning: 256 })

interface TimerEntry {
  readonly fn: TimerHandler
  readonly args: readonly unknown[]
  /** The period of an `every` timer (ms), 0 for `at`. */
  readonly every: number
  readonly conf: CosocketConf
  readonly logCtx: LogContext
  /** When it is due (Date.now() ms) and its creation order, for the premature run's order. */
  due: number
  seq: number
  timeout: ReturnType<typeof setTimeout> | undefined
  immediate: ReturnType<typeof setImmediate> | undefined
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
}

function describe(fn: TimerHandler): string {
  return fn.name === '' ? 'anonymous' : fn.name
}

/** One worker's timers (on its Runtime). */
export class Timers {
  readonly limits: TimerLimits
  readonly #rt: Runtime
  readonly #pending = new Set<TimerEntry>()
  #running = 0
  #seq = 0
  #idle: (() => void)[] = []

  constructor(rt: Runtime, limits: TimerLimits = DEFAULT_TIMER_LIMITS) {
    this.#rt = rt
    this.limits = limits
  }

  get pendingCount(): number {
    return this.#pending.size
  }

  get runningCount(): number {
    return this.#running
  }

  /** ngx.timer.at (`every` false) and ngx.timer.every. */
  add(owner: TimerOwner, delay: number, fn: TimerHandler, args: readonly unknown[], every: boolean): Result<1, TimerErr> {
    const name = every ? 'every' : 'at'
    if (typeof delay !== 'number' || Number.isNaN(delay)) {
      throw argError(`bad argument #1 to '${name}' (number expected, got ${delay === undefined ? 'nil' : typeof delay})`)
    }
    if (typeof fn !== 'function') throw argError(`bad argument #2 to '${name}' (function expected)`)
    // A negative delay runs at once, as on the reference.
    const ms = Math.max(0, Math.trunc(delay * 1000))
    if (every && ms === 0) throw argError('delay cannot be zero')
    if (this.#rt.exiting && (ms > 0 || every)) return fail('process exiting')
    if (this.#pending.size >= this.limits.maxPending) return fail('too many pending timers')
    const t: TimerEntry = {
      fn, args, every: every ? ms : 0, conf: owner._cosocketConf, logCtx: owner._timerLogContext(),
      due: 0, seq: 0, timeout: undefined, immediate: undefined,
    }
    this.#arm(t, ms)
    return ok(1)
  }

  #arm(t: TimerEntry, ms: number): void {
    t.due = Date.now() + ms
    t.seq = ++this.#seq
    this.#pending.add(t)
    // delay 0: when the caller yields (an immediate runs before the next timers are looked at).
    if (ms === 0) t.immediate = setImmediate(() => this.#fire(t, false))
    else t.timeout = setTimeout(() => this.#fire(t, false), ms)
  }

  #fire(t: TimerEntry, premature: boolean): void {
    if (!this.#pending.delete(t)) return
    t.timeout = undefined
    t.immediate = undefined
    // An `every` timer is armed again when it fires (runs may overlap), as ngx_lua's is.
    if (t.every > 0 && !premature && !this.#rt.exiting) this.#arm(t, t.every)
    if (this.#running >= this.limits.maxRunning) {
      this.#rt.errorLog.write(LOG_LEVELS.ALERT, `failed to run timer with function ${describe(t.fn)}: ${this.limits.maxRunning} lua_max_running_timers are not enough`)
      this.#checkIdle()
      return
    }
    this.#run(t, premature)
  }

  #run(t: TimerEntry, premature: boolean): void {
    this.#running++
    const ngx = new NgxContext(this.#rt, 'timer', { cosocket: t.conf, logCtx: t.logCtx })
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      ngx._endHandler()
      this.#running--
      this.#checkIdle()
    }
    const failed = (e: unknown): void => {
      abortThreads(ngx)
      // ngx.exit ends a timer quietly.
      if (!isNgxSignal(e)) ngx._logRaw(LOG_LEVELS.ERR, `timer handler aborted: ${handlerError(e)}`)
      end()
    }
    const entryDone = (): void => {
      if (!holdForThreads(ngx, end)) end()
    }
    ngx._onThreadSignal = end
    try {
      const ret = runAsEntry(() => t.fn(ngx, premature, ...t.args))
      if (isThenable(ret)) {
        const gen = ngx._aborts
        ret.then(() => {
          if (ngx._aborts === gen) entryDone()
        }, (e: unknown) => {
          if (ngx._aborts === gen) failed(e)
        })
      } else {
        entryDone()
      }
    } catch (e) {
      failed(e)
    }
  }

  #checkIdle(): void {
    if (this.#running !== 0 || this.#pending.size !== 0 || this.#idle.length === 0) return
    for (const f of this.#idle.splice(0)) f()
  }

  /**
   * The worker stops gracefully: every pending timer (`every` ones included, once) runs now
   * with premature = true, in the order they were due. Timers made from then on need delay 0.
   */
  abortPending(): void {
    const list = [...this.#pending].sort((a, b) => a.due - b.due || a.seq - b.seq)
    for (const t of list) {
      this.#cancel(t)
      this.#pending.add(t)
      this.#fire(t, true)
    }
  }

  /** The worker stops at once: pending timers are dropped. */
  cancelPending(): void {
    for (const t of this.#pending) this.#cancel(t)
    this.#pending.clear()
    this.#checkIdle()
  }

  #cancel(t: TimerEntry): void {
    if (t.timeout !== undefined) clearTimeout(t.timeout)
    if (t.immediate !== undefined) clearImmediate(t.immediate)
    t.timeout = undefined
    t.immediate = undefined
  }

  /** Resolves once no timer runs or waits (what a stopping worker awaits before exit_worker). */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#pending.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }
}

/** `ngx.timer` bound to its creator. */
export class TimerApi implements NgxTimer {
  readonly #owner: TimerOwner

  constructor(owner: TimerOwner) {
    this.#owner = owner
  }

  #check(create: boolean): Timers {
    const phase = this.#owner._phase
    if (phase === 'init') throw new NgxApiError(ERROR_CODES.PHASE, 'no request')
    if (create && phase === 'exit_worker') throw phaseError(CONTEXT_NAME.exit_worker)
    return this.#owner._rt.timers
  }

  at<A extends unknown[]>(delay: number, fn: TimerHandler<A>, ...args: A): Result<1, TimerErr> {
    return this.#check(true).add(this.#owner, delay, fn as TimerHandler, args, false)
  }

  every<A extends unknown[]>(delay: number, fn: TimerHandler<A>, ...args: A): Result<1, TimerErr> {
    return this.#check(true).add(this.#owner, delay, fn as TimerHandler, args, true)
  }

  runningCount(): number {
    return this.#check(false).runningCount
  }

  pendingCount(): number {
    return this.#check(false).pendingCount
  }
}
