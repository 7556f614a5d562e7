// Reading the request body (ngx.req.read_body) from node's IncomingMessage: bounded by
// client_max_body_size (413), client_body_timeout between reads (408), and a client that
// goes away (499). Outcomes that end the request do so the way ngx_lua does: the handler
// that awaited is ended with ngx.exit(status).
import { LOG_LEVELS } from './constants.ts'
import type { NgxRequest } from './request.ts'
import { EXIT } from './signals.ts'

export function readBody(r: NgxRequest): Promise<void> {
  if (r._bodyRead || r._bodyDiscarded) return Promise.resolve()
  const inc = r._in
  if (inc.complete && inc.readableLength === 0 && r._bodyChunks === 0) {
    r._bodyRead = true
    return Promise.resolve()
  }
  const max = r._loc.clientMaxBodySize
  const timeout = r._loc.clientBodyTimeout
  if (r._main._expectContinue) {
    r._main._expectContinue = false
    r._main._res?.writeContinue()
  }
  return new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let timer: NodeJS.Timeout | undefined
    const arm = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      timer = setTimeout(() => end(408, 'client timed out (110: Connection timed out) while reading client request body'), timeout)
    }
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer)
      inc.off('data', onData)
      inc.off('end', onEnd)
      inc.off('error', onError)
      inc.off('aborted', onAborted)
    }
    const end = (status: number, msg: string): void => {
      cleanup()
      inc.pause()
      r._logRaw(status === 413 ? LOG_LEVELS.ERR : LOG_LEVELS.INFO, msg)
      r._exitCode = status
      reject(EXIT)
    }
    const onData = (c: Buffer): void => {
      const before = size
      size += c.length
      r._bodyChunks++
      if (max !== 0 && size > max) return end(413, `client intended to send too large chunked body: ${before}+${c.length} bytes`)
      chunks.push(c)
      arm()
    }
    const onEnd = (): void => {
      cleanup()
      r._body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      r._bodyRead = true
      resolve()
    }
    const onError = (): void => end(400, 'client prematurely closed connection while reading client request body')
    const onAborted = (): void => end(499, 'client prematurely closed connection while reading client request body')
    inc.on('data', onData)
    inc.on('end', onEnd)
    inc.on('error', onError)
    inc.on('aborted', onAborted)
    arm()
  })
}

export function discardBody(r: NgxRequest): void {
  if (r._bodyRead || r._bodyDiscarded) return
  r._bodyDiscarded = true
  r._in.resume()
}
