// A log file opened for appending, written through sonic-boom; shared by the error and access logs.

import { openSync } from 'node:fs'
import sonicBoom from 'sonic-boom'
import type { SonicBoom } from 'sonic-boom'
import { ConfError, systemErrorText } from './errors.ts'

function openAppend(path: string): number {
  try {
    return openSync(path, 'a', 0o644)
  } catch (e) {
    throw new ConfError(`open() "${path}" failed (${systemErrorText(e as NodeJS.ErrnoException)})`)
  }
}

const liveFiles = new Set<LogFile>()
let exitHooked = false

function flushOnExit(): void {
  for (const f of liveFiles) f.flush()
}

export interface LogFileOptions {
  /** Blocking writes, one per line. */
  readonly sync?: boolean
  /** Bytes to gather before a write (nginx's `buffer=`); 0 writes as soon as the fd is free. */
  readonly bufferSize?: number
  /** With a buffer, write what has gathered at least this often (ms). */
  readonly flushInterval?: number
}

/**
 * A log file opened for appending (or fd 2 for `'stderr'`), written through sonic-boom. Opening
 * is synchronous, so a missing directory fails at once with nginx's `open() "…" failed (2: …)`.
 * Lines still buffered when the process exits are written synchronously on 'exit'.
 */
export class LogFile {
  readonly path: string
  /** Write errors since opening; a log never throws on write. */
  errors = 0
  private readonly opts: LogFileOptions
  private boom: SonicBoom
  private dirty = 0
  private timer: NodeJS.Timeout | undefined
  private closing: Promise<void> | undefined

  constructor(path: string, opts: LogFileOptions = {}) {
    this.path = path
    this.opts = opts
    this.boom = this.open(path === 'stderr' ? 2 : openAppend(path))
    const every = opts.flushInterval ?? 0
    if ((opts.bufferSize ?? 0) > 0 && every > 0) {
      this.timer = setInterval(() => this.tick(), every)
      this.timer.unref()
    }
    liveFiles.add(this)
    if (!exitHooked) {
      exitHooked = true
      process.on('exit', flushOnExit)
    }
  }

  private open(fd: number): SonicBoom {
    const boom = new sonicBoom.SonicBoom({ fd, sync: this.opts.sync ?? false, minLength: this.opts.bufferSize ?? 0 })
    boom.on('error', () => this.errors++)
    return boom
  }

  private tick(): void {
    if (this.dirty === 0 || this.closing !== undefined) return
    // Twice after the last write: a flush during an in-flight write may leave the tail behind.
    this.dirty--
    this.boom.flush()
  }

  write(s: string): void {
    if (this.closing !== undefined) return
    this.dirty = 2
    this.boom.write(s)
  }

  /** Writes out everything buffered, synchronously. */
  flush(): void {
    if (this.closing !== undefined) return
    try {
      this.boom.flushSync()
    } catch {
      this.errors++
    }
  }

  /** Opens the path anew (USR1 after a rename); returns the error and keeps the old file on failure. */
  reopen(): Error | undefined {
    if (this.path === 'stderr' || this.closing !== undefined) return undefined
    let fd: number
    try {
      fd = openAppend(this.path)
    } catch (e) {
      return e as Error
    }
    const old = this.boom
    this.boom = this.open(fd)
    old.end()
    return undefined
  }

  /** Writes out what is buffered and closes the file (fd 2 stays open). */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing
    liveFiles.delete(this)
    if (this.timer !== undefined) clearInterval(this.timer)
    const boom = this.boom
    this.closing = new Promise<void>((resolve) => {
      boom.once('close', () => resolve())
      boom.once('error', () => resolve())
      boom.end()
    })
    return this.closing
  }
}
