// ngx.sleep(seconds): a promise resolved after that long (milliseconds resolution; 0 yields
// once). Allowed where ngx_lua allows it (rewrite, access, content, timers); killing the
// thread that sleeps rejects it with THREAD_KILLED.
import { argError } from './errors.ts'
import { assertAlive, assertYieldPhase, onKill } from './thread.ts'
import type { ThreadOwner } from './thread.ts'

/**
 * ngx.sleep. Throws `invalid sleep duration "-1000"` (the milliseconds) for a negative time,
 * `bad argument #1 to 'sleep' (number expected, got string)` for a non-number, and the phase
 * error outside rewrite, access, content and timers.
 */
export function sleep(owner: ThreadOwner, seconds: number): Promise<void> {
  assertYieldPhase(owner._phase)
  if (typeof seconds !== 'number') throw argError(`bad argument #1 to 'sleep' (number expected, got ${seconds === undefined ? 'nil' : typeof seconds})`)
  const ms = Math.trunc(seconds * 1000)
  if (!(ms >= 0)) throw argError(`invalid sleep duration "${ms}"`)
  assertAlive()
  return new Promise((resolve, reject) => {
    let off: () => void = () => undefined
    const wake = (): void => {
      off()
      resolve()
    }
    // 0 yields to the event loop once: timers made with delay 0 before it run first.
    const immediate = ms === 0 ? setImmediate(wake) : undefined
    const timer = ms === 0 ? undefined : setTimeout(wake, ms)
    off = onKill(owner, (reason) => {
      if (immediate !== undefined) clearImmediate(immediate)
      if (timer !== undefined) clearTimeout(timer)
      reject(reason)
    })
  })
}
