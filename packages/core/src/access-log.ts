// nginx's access log: a log_format template rendered per request with escape=default, written
// through a buffer shared by every access log with the same path.

import { resolve } from 'node:path'
import { LogFile } from './log-file.ts'
import { compileTemplate } from './template.ts'
import type { Template, VarLookup } from './template.ts'

/** nginx's predefined `combined` log_format. */
export const COMBINED_FORMAT: string =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'

/** Bytes gathered before a write, like `access_log … buffer=`. */
const BUFFER_SIZE = 8192
/** What is buffered reaches the file at least this often (ms). */
const FLUSH_INTERVAL = 1000

// "\xHH" for every byte value; the code units that need it are '"', '\', < 0x20 and >= 0x7f.
const HEX = '0123456789ABCDEF'
const BYTE_ESCAPES: readonly string[] = Array.from({ length: 256 }, (_, b) => `\\x${HEX[b >> 4]}${HEX[b & 15]}`)

function needsEscape(c: number): boolean {
  return c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c
}

function escapeCodePoint(cp: number): string {
  if (cp < 0x100) return BYTE_ESCAPES[cp] as string
  // Beyond Latin-1 the value is text, not bytes: escape each byte of its UTF-8 form.
  if (cp < 0x800) return (BYTE_ESCAPES[0xc0 | (cp >> 6)] as string) + BYTE_ESCAPES[0x80 | (cp & 0x3f)]
  if (cp < 0x10000) {
    return (BYTE_ESCAPES[0xe0 | (cp >> 12)] as string) + BYTE_ESCAPES[0x80 | ((cp >> 6) & 0x3f)] + BYTE_ESCAPES[0x80 | (cp & 0x3f)]
  }
  return (
    (BYTE_ESCAPES[0xf0 | (cp >> 18)] as string) +
    BYTE_ESCAPES[0x80 | ((cp >> 12) & 0x3f)] +
    BYTE_ESCAPES[0x80 | ((cp >> 6) & 0x3f)] +
    BYTE_ESCAPES[0x80 | (cp & 0x3f)]
  )
}

/**
 * nginx's access-log `escape=default`: `"`, `\`, control bytes and bytes >= 0x7f become `\xHH`
 * (upper-case hex). Values are byte strings (one code unit per byte, as headers arrive); a code
 * unit above 0xFF is taken as text and escaped as its UTF-8 bytes.
 */
export function escapeLogValue(v: string): string {
  let i = 0
  const n = v.length
  while (i < n && !needsEscape(v.charCodeAt(i))) i++
  if (i === n) return v
  let out = v.slice(0, i)
  let start = i
  for (; i < n; i++) {
    const c = v.charCodeAt(i)
    if (!needsEscape(c)) continue
    if (start < i) out += v.slice(start, i)
    const cp = c >= 0xd800 && c <= 0xdbff ? (v.codePointAt(i) as number) : c
    out += escapeCodePoint(cp)
    if (cp > 0xffff) i++
    start = i + 1
  }
  if (start < n) out += v.slice(start)
  return out
}

interface SharedFile {
  readonly file: LogFile
  users: number
}

const files = new Map<string, SharedFile>()

export interface AccessLogOptions {
  /** The file to append to; logs with the same absolute path share one buffer. */
  readonly path: string
  /** A log_format, e.g. COMBINED_FORMAT. */
  readonly format: string
}

/** One `access_log path format;` directive. */
export class AccessLog {
  readonly path: string
  readonly template: Template
  private shared: SharedFile | undefined

  constructor(opts: AccessLogOptions) {
    this.template = compileTemplate(opts.format)
    this.path = resolve(opts.path)
    let shared = files.get(this.path)
    if (shared === undefined) {
      shared = { file: new LogFile(this.path, { bufferSize: BUFFER_SIZE, flushInterval: FLUSH_INTERVAL }), users: 0 }
      files.set(this.path, shared)
    }
    shared.users++
    this.shared = shared
  }

  /** Renders one line; a variable that is not found prints `-`, an empty one prints nothing. */
  write(lookup: VarLookup): void {
    const shared = this.shared
    if (shared === undefined) return
    const t = this.template
    const line = t.constant ?? t.render(lookup, escapeLogValue, '-')
    shared.file.write(line + '\n')
  }

  /** Writes out the shared buffer, synchronously. */
  flush(): void {
    this.shared?.file.flush()
  }

  /** Lets go of the shared file; the last user closes it. */
  close(): Promise<void> {
    const shared = this.shared
    if (shared === undefined) return Promise.resolve()
    this.shared = undefined
    if (--shared.users > 0) return Promise.resolve()
    files.delete(this.path)
    return shared.file.close()
  }
}

/** Writes out every access log buffer, synchronously (shutdown, before USR1's reopen). */
export function flushAll(): void {
  for (const s of files.values()) s.file.flush()
}

/** Reopens every access log file (USR1); returns the errors of those that could not be opened. */
export function reopenAll(): Error[] {
  const errors: Error[] = []
  for (const s of files.values()) {
    const err = s.file.reopen()
    if (err !== undefined) errors.push(err)
  }
  return errors
}

/** Flushes and closes every access log file. */
export async function closeAll(): Promise<void> {
  const all = [...files.values()]
  files.clear()
  await Promise.all(all.map((s) => s.file.close()))
}
