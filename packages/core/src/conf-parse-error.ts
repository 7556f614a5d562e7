// The error an nginx.conf front end throws: nginx's own words plus where nginx says it
// happened, printed as `nginx -t` prints it (`nginx: [emerg] unexpected "}" in /p/conf/nginx.conf:3`).
import { ConfError } from './errors.ts'

/** The levels nginx uses for configuration errors. */
export type ConfErrorLevel = 'emerg' | 'crit' | 'error'

/** nginx's NGX_MAX_CONF_ERRSTR: a configuration error's text is cut to this many bytes. */
const MAX_ERRSTR = 1024

function clip(text: string): string {
  if (text.length * 3 <= MAX_ERRSTR) return text
  const b = Buffer.from(text, 'utf8')
  return b.length <= MAX_ERRSTR ? text : b.toString('utf8', 0, MAX_ERRSTR)
}

/** Where a configuration error is reported: a file and line, or nginx's `-g` command line. */
export type ConfPlace = { readonly file: string; readonly line: number } | 'command line'

/**
 * A configuration error located as nginx locates it.
 *
 * - `text` is the bare message (`unexpected "}"`), cut to 1024 bytes as nginx cuts it,
 * - `located` adds the place (`unexpected "}" in /p/conf/nginx.conf:3`): what follows
 *   `[emerg] pid#tid: ` in error.log,
 * - `message` is the line `nginx -t` prints on stderr (`nginx: [emerg] unexpected "}" in …:3`).
 *
 * `file` and `line` are undefined for errors nginx prints with no place (the main file cannot be
 * opened, a read fails); `file` is `''` and `line` 0 for the `-g` command line.
 *
 * @example
 * throw new ConfFileError('invalid port in "80x" of the "listen" directive', { file: d.file, line: d.endLine })
 */
export class ConfFileError extends ConfError {
  override readonly name: string = 'ConfFileError'
  readonly text: string
  readonly level: ConfErrorLevel
  readonly file: string | undefined
  readonly line: number | undefined
  readonly located: string

  constructor(message: string, place: ConfPlace | undefined, level: ConfErrorLevel = 'emerg') {
    const text = clip(message)
    const where = place === undefined ? '' : place === 'command line' ? ' in command line' : ` in ${place.file}:${place.line}`
    super(`nginx: [${level}] ${text}${where}`)
    this.text = text
    this.level = level
    this.located = text + where
    if (place === 'command line') {
      this.file = ''
      this.line = 0
    } else {
      this.file = place?.file
      this.line = place?.line
    }
  }
}
