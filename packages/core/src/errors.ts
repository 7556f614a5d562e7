import { getSystemErrorMessage } from 'node:util'

// Thrown errors of @nresty/core. Each has a stable `code`; match on `code`, not `instanceof`,
// since two installed copies of the package would have two classes.

export const ERROR_CODES = {
  /** An API used in a phase where ngx_lua forbids it. */
  PHASE: 'NGX_ERR_PHASE',
  /** A bad argument to an API (type, range, control characters). */
  ARG: 'NGX_ERR_ARG',
  /** An API used in a state that forbids it (after headers were sent, twice, …). */
  STATE: 'NGX_ERR_STATE',
  /** A gateway definition that cannot run. */
  CONF: 'NGX_ERR_CONF',
} as const
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

export class NgxApiError extends Error {
  override readonly name: string = 'NgxApiError'
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** `API disabled in the context of header_filter_by_lua*` — ngx_lua's words. */
export function phaseError(contextName: string): NgxApiError {
  return new NgxApiError(ERROR_CODES.PHASE, `API disabled in the context of ${contextName}`)
}

export function argError(message: string): NgxApiError {
  return new NgxApiError(ERROR_CODES.ARG, message)
}

export function stateError(message: string): NgxApiError {
  return new NgxApiError(ERROR_CODES.STATE, message)
}

// glibc's strerror() words where libuv's differ; others are libuv's, capitalized.
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
}

/** An OS error as nginx prints it: `98: Address already in use`. */
export function systemErrorText(e: NodeJS.ErrnoException): string {
  const errno = Math.abs(e.errno ?? 0)
  if (errno === 0) return e.message
  const text = STRERROR[e.code ?? ''] ?? getSystemErrorMessage(-errno)
  return `${errno}: ${text.charAt(0).toUpperCase()}${text.slice(1)}`
}

/** A gateway definition error, worded as nginx words `[emerg]` messages. */
export class ConfError extends Error {
  override readonly name: string = 'ConfError'
  readonly code: ErrorCode = ERROR_CODES.CONF
}
