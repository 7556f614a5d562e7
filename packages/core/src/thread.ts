// Light threads (ngx.thread.spawn / wait / kill): async functions run beside the handler that
// spawned them (ngx_lua's "entry thread"). The handler's phase ends when the entry and all its
// light threads are done; ngx.exit / exec / redirect from any of them, or an error in the
// entry, kills the others. The thread running now is tracked with AsyncLocalStorage, so that
// wait / kill know their caller (only the parent may wait or kill) and a killed thread is
// stopped at its next ngx call. Results and err strings are ngx_lua's (measured; thread.md).
import { AsyncLocalStorage } from 'node:async_hooks'
import { argError, ERROR_CODES, NgxApiError } from './errors.ts'
import { CTX_RAC, PHASE_BIT, assertPhase } from './phase.ts'
import type { Phase } from './phase.ts'
import { fail, ok } from './result.ts'
import type { Fail, Ok, Result } from './result.ts'
import { EXEC, EXIT, JUMP, NgxSignal } from './signals.ts'

/** Where light threads, ngx.sleep and cosockets work: rewrite, access, content and timers. */
export const CTX_YIELD: number = CTX_RAC | PHASE_BIT.timer

/**
 * Throws ngx_lua's error unless yielding APIs work in `phase`: `no request found` in init,
 * `API disabled in the context of log_by_lua*` (and the like) elsewhere.
 */
export function assertYieldPhase(phase: Phase): void {
  if ((PHASE_BIT[phase] & CTX_YIELD) !== 0) return
  if (phase === 'init') throw new NgxApiError(ERROR_CODES.PHASE, 'no request found')
  assertPhase(phase, CTX_YIELD)
}

class ThreadKilled extends NgxSignal {
  constructor() {
    super('exit')
  }

  override toString(): string {
    return '[ngx.thread.kill signal]'
  }
}

/**
 * What a killed thread's pending wait (sleep, thread.wait, semaphore) rejects with, and what
 * a killed thread's next ngx call throws. An NgxSignal: catch-all blocks must rethrow it.
 */
export const THREAD_KILLED: NgxSignal = new ThreadKilled()

/** What owns light threads: a request, or a timer's `ngx`. */
export interface ThreadOwner {
  readonly _phase: Phase
  /** The light threads of the handler running now (undefined until the first spawn). */
  _threads: ThreadGroup | undefined
  /** Incremented whenever a handler's threads are aborted: a continuation of that handler is stale. */
  _aborts: number
  /** Incremented on every kill: while 0, no thread of this owner can be a killed one. */
  _kills: number
  /** A light thread ended its handler with ngx.exit / exec / redirect (the others are killed). */
  _threadSignal(signal: NgxSignal): void
  /** A light thread failed (logged; the others go on). */
  _threadError(e: unknown): void
}

/** `thread.status`: as coroutine.status() answers for a light thread in ngx_lua. */
export type ThreadStatus = 'running' | 'zombie' | 'dead'

/** A light thread failed: Lua's `false, err` (err is what it threw). */
export interface ThreadFailed {
  readonly ok: false
  readonly err: unknown
  readonly thrown: true
}

/**
 * What `ngx.thread.wait` gives: the value the first finished thread returned, what it threw
 * (`thrown: true`), or `already waited or killed`.
 */
export type ThreadResult<T> = Ok<T> | ThreadFailed | Fail<'already waited or killed'>

/** `ngx.thread.kill`'s err strings. */
export type KillErr = 'already waited or killed' | 'already terminated' | 'killer not parent'

type Cancel = (reason: unknown) => void

const RUNNING = 0
const ZOMBIE = 1
const DEAD = 2
const NOOP = (): void => undefined
const current = new AsyncLocalStorage<LightThread>()

/** The light threads of one handler run (ngx_lua's entry thread and its user threads). */
export class ThreadGroup {
  readonly _owner: ThreadOwner
  readonly _running: Set<LightThread> = new Set()
  /** The entry's pending waits, cancelled when the group is aborted. */
  _entryCancels: Set<Cancel> | undefined = undefined
  /** Set once the entry is done: called when the last thread ends. */
  _onIdle: (() => void) | undefined = undefined

  constructor(owner: ThreadOwner) {
    this._owner = owner
  }
}

/** A light thread: `ngx.thread.spawn`'s result, to pass to `wait` and `kill`. */
export class LightThread<T = unknown> {
  readonly _group: ThreadGroup
  /** The thread that spawned it; undefined for the entry handler. */
  readonly _parent: LightThread | undefined
  _state: number = RUNNING
  _result: ThreadResult<T> | undefined = undefined
  _killed = false
  /** Pending waits to cancel when killed. */
  _cancels: Set<Cancel> | undefined = undefined
  /** The parent's wait on this thread. */
  _waiter: ((t: LightThread) => void) | undefined = undefined

  constructor(group: ThreadGroup, parent: LightThread | undefined) {
    this._group = group
    this._parent = parent
  }

  /** `running` until it ends, `zombie` when it ended and was not waited for, `dead` after. */
  get status(): ThreadStatus {
    return this._state === RUNNING ? 'running' : this._state === ZOMBIE ? 'zombie' : 'dead'
  }

  /** Killed by ngx.thread.kill, ngx.exit, or an error of its handler. */
  get killed(): boolean {
    return this._killed
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'
}

/** The caller, when it is a light thread of `owner`'s running handler (else the entry). */
function caller(owner: ThreadOwner): LightThread | undefined {
  const t = current.getStore()
  return t !== undefined && t._group._owner === owner ? t : undefined
}

/** Throws THREAD_KILLED when the code running now belongs to a killed light thread. */
export function assertAlive(): void {
  const t = current.getStore()
  if (t !== undefined && t._killed) throw THREAD_KILLED
}

/** Runs `fn` as the entry of a handler (outside any light thread's context). */
export function runAsEntry<R>(fn: () => R): R {
  return current.getStore() === undefined ? fn() : current.exit(fn)
}

/**
 * Registers `cancel` to run if the code running now (a light thread, or `owner`'s entry
 * handler while it has light threads) is killed before the returned function is called.
 * Waits that must end when their thread is killed use it (ngx.sleep, semaphores).
 */
export function onKill(owner: ThreadOwner | undefined, cancel: Cancel): () => void {
  const t = current.getStore()
  if (t !== undefined) {
    if (t._state !== RUNNING) return NOOP
    const set = (t._cancels ??= new Set())
    set.add(cancel)
    return () => set.delete(cancel)
  }
  const g = owner?._threads
  if (g === undefined || g._onIdle !== undefined) return NOOP
  const set = (g._entryCancels ??= new Set())
  set.add(cancel)
  return () => set.delete(cancel)
}

function settleThread(t: LightThread, result: ThreadResult<unknown>): void {
  if (t._state !== RUNNING) return
  const g = t._group
  t._state = ZOMBIE
  t._result = result
  t._cancels = undefined
  g._running.delete(t)
  if (!result.ok && 'thrown' in result) {
    const e = result.err
    if (e === EXIT || e === EXEC || e === JUMP) {
      // ngx.exit / exec / redirect in a light thread ends its whole handler.
      const owner = g._owner
      if (owner._threads === g) abortThreads(owner)
      current.exit(() => owner._threadSignal(e as NgxSignal))
      return
    }
    if (e !== THREAD_KILLED) g._owner._threadError(e)
  }
  const w = t._waiter
  if (w !== undefined) w(t)
  idleCheck(g)
}

function idleCheck(g: ThreadGroup): void {
  if (g._running.size !== 0) return
  const f = g._onIdle
  if (f === undefined) return
  g._onIdle = undefined
  current.exit(f)
}

function killThread(t: LightThread): void {
  if (t._state === DEAD) return
  const running = t._state === RUNNING
  t._state = DEAD
  t._killed = true
  t._group._owner._kills++
  if (!running) return
  t._group._running.delete(t)
  const cancels = t._cancels
  t._cancels = undefined
  if (cancels !== undefined) for (const c of cancels) c(THREAD_KILLED)
}

/**
 * Kills every light thread of `owner`'s running handler and cancels the entry's pending
 * waits (ngx.exit, an error in the entry, the request ending early). Continuations of that
 * handler are stale afterwards (`_aborts` moved on).
 */
export function abortThreads(owner: ThreadOwner): void {
  const g = owner._threads
  if (g === undefined) return
  owner._threads = undefined
  owner._aborts++
  owner._kills++
  g._onIdle = undefined
  for (const t of [...g._running]) killThread(t)
  const entry = g._entryCancels
  g._entryCancels = undefined
  if (entry !== undefined) for (const c of entry) c(THREAD_KILLED)
}

/**
 * The entry handler returned. True when light threads still run: `resume` is called once the
 * last one ends (the phase goes on then). False when none runs (the group is dropped).
 */
export function holdForThreads(owner: ThreadOwner, resume: () => void): boolean {
  const g = owner._threads
  if (g === undefined) return false
  if (g._running.size === 0) {
    owner._threads = undefined
    return false
  }
  g._entryCancels = undefined
  g._onIdle = () => {
    if (owner._threads === g) owner._threads = undefined
    resume()
  }
  return true
}

/** ngx.thread.spawn: runs `fn(...args)` at once, as a light thread of `owner`'s handler. */
export function spawnThread<A extends unknown[], T>(owner: ThreadOwner, fn: (...args: A) => T, args: A): LightThread<Awaited<T>> {
  assertYieldPhase(owner._phase)
  if (typeof fn !== 'function') throw argError('bad argument #1 to \'spawn\' (function expected)')
  assertAlive()
  const g = (owner._threads ??= new ThreadGroup(owner))
  const t = new LightThread<Awaited<T>>(g, caller(owner))
  g._running.add(t)
  let ret: unknown
  try {
    ret = current.run(t, fn as (...a: unknown[]) => unknown, ...args)
  } catch (e) {
    settleThread(t, { ok: false, err: e, thrown: true })
    return t
  }
  if (isThenable(ret)) {
    ret.then((v) => settleThread(t, ok(v)), (e: unknown) => settleThread(t, { ok: false, err: e, thrown: true }))
  } else {
    settleThread(t, ok(ret))
  }
  return t
}

function checkThreadArg(t: unknown, i: number, name: string): LightThread {
  if (!(t instanceof LightThread)) throw argError(`bad argument #${i} to '${name}' (light thread expected)`)
  return t
}

/**
 * ngx.thread.wait: the result of the first of `threads` to finish (one already finished
 * answers at once). Throws `at least one coroutine should be specified`, `only the parent
 * coroutine can wait on the thread`; answers `already waited or killed` for a dead thread.
 */
export function waitThreads<T>(owner: ThreadOwner, threads: readonly LightThread<T>[]): Promise<ThreadResult<T>> {
  assertYieldPhase(owner._phase)
  if (threads.length === 0) throw new NgxApiError(ERROR_CODES.ARG, 'at least one coroutine should be specified')
  assertAlive()
  const me = caller(owner)
  for (let i = 0; i < threads.length; i++) {
    const t = checkThreadArg(threads[i], i + 1, 'wait')
    if (t._group._owner !== owner || t._parent !== me) {
      throw new NgxApiError(ERROR_CODES.STATE, 'only the parent coroutine can wait on the thread')
    }
    if (t._state === ZOMBIE) {
      t._state = DEAD
      return Promise.resolve(t._result as ThreadResult<T>)
    }
    if (t._state === DEAD) return Promise.resolve(fail('already waited or killed'))
  }
  return new Promise((resolve, reject) => {
    const clear = (): void => {
      for (const t of threads) t._waiter = undefined
      off()
    }
    const done = (t: LightThread): void => {
      clear()
      t._state = DEAD
      resolve(t._result as ThreadResult<T>)
    }
    for (const t of threads) t._waiter = done
    const off = onKill(owner, (reason) => {
      for (const t of threads) t._waiter = undefined
      reject(reason)
    })
  })
}

/**
 * ngx.thread.kill: `1`, or `already waited or killed` (dead), `already terminated` (finished,
 * not waited for), `killer not parent`.
 */
export function killThreadApi(owner: ThreadOwner, thread: LightThread): Result<1, KillErr> {
  assertYieldPhase(owner._phase)
  const t = checkThreadArg(thread, 1, 'kill')
  assertAlive()
  if (t._group._owner !== owner || t._parent !== caller(owner)) return fail('killer not parent')
  if (t._state === DEAD) return fail('already waited or killed')
  if (t._state === ZOMBIE) {
    // Measured: the zombie is gone after this (a later wait answers already waited or killed).
    t._state = DEAD
    return fail('already terminated')
  }
  killThread(t)
  idleCheck(t._group)
  return ok(1)
}

/** `ngx.thread`: light threads of the handler (or timer) that owns this `ngx`. */
export interface NgxThread {
  /**
   * Runs `fn(...args)` now as a light thread; it goes on beside the caller after its first
   * await. The handler's phase ends when all its light threads are done.
   */
  spawn<A extends unknown[], T>(fn: (...args: A) => T, ...args: A): LightThread<Awaited<T>>
  /** The first of `threads` to finish: its value, or what it threw (`thrown: true`). */
  wait<T>(...threads: LightThread<T>[]): Promise<ThreadResult<T>>
  kill(thread: LightThread): Result<1, KillErr>
  /**
   * For code that waits on its own promises (a semaphore, a queue): registers `cancel` to run
   * if the current light thread (or the entry handler) is killed first. Returns the function
   * that unregisters it. Not an ngx_lua API.
   */
  onKill(cancel: (reason: unknown) => void): () => void
}

/** `ngx.thread` bound to one owner. */
export class ThreadApi implements NgxThread {
  readonly #owner: ThreadOwner

  constructor(owner: ThreadOwner) {
    this.#owner = owner
  }

  spawn<A extends unknown[], T>(fn: (...args: A) => T, ...args: A): LightThread<Awaited<T>> {
    return spawnThread(this.#owner, fn, args)
  }

  wait<T>(...threads: LightThread<T>[]): Promise<ThreadResult<T>> {
    return waitThreads(this.#owner, threads)
  }

  kill(thread: LightThread): Result<1, KillErr> {
    return killThreadApi(this.#owner, thread)
  }

  onKill(cancel: (reason: unknown) => void): () => void {
    return onKill(this.#owner, cancel)
  }
}
