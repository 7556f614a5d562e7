// Loading a gateway module by path or URL: what the master's loader and each worker thread do,
// since handlers cannot cross threads and each worker must have its own module state.
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadConfGateway } from './conf-gateway.ts'
import { ConfFileError } from './conf-parse.ts'
import { ConfError } from './errors.ts'
import type { Gateway } from './gateway.ts'

/**
 * Where a master's threads get the gateway from: a module, or an nginx.conf (`path` absolute or
 * relative to the prefix; `globals` are `nresty -g` directives).
 */
export type GatewaySource =
  | { readonly kind: 'module'; readonly url: string; readonly exportName: string }
  | { readonly kind: 'conf'; readonly path: string; readonly globals: string | undefined }

/** Loads the gateway a source names (each worker thread does this for itself). */
export async function loadSource(source: GatewaySource, prefix: string): Promise<Gateway> {
  if (source.kind === 'conf') {
    try {
      return loadConfGateway(source.path, prefix, source.globals).gateway
    } catch (e) {
      // The master logs `[emerg] <message>`: nginx's line is the located text.
      if (e instanceof ConfFileError) throw new ConfError(e.located)
      throw e
    }
  }
  return loadGateway(source.url, source.exportName)
}

/** A module specifier as a URL string: file paths are resolved against `base` (the cwd). */
export function moduleUrl(spec: string | URL, base: string = process.cwd()): string {
  if (spec instanceof URL) return spec.href
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return spec
  return pathToFileURL(isAbsolute(spec) ? spec : resolve(base, spec)).href
}

/**
 * Imports `url` and returns its gateway: the export named `exportName`, else the default
 * export. Throws ConfError naming the module when it cannot be imported or exports no gateway.
 */
export async function loadGateway(url: string, exportName: string): Promise<Gateway> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(url)) as Record<string, unknown>
  } catch (e) {
    throw new ConfError(`cannot load the gateway module "${url}": ${describeLoadError(e)}`)
  }
  const g = (mod[exportName] ?? mod['default']) as Gateway | undefined
  if (g === null || typeof g !== 'object' || typeof g.def !== 'object' || g.def === null) {
    throw new ConfError(`the module "${url}" has no export "${exportName}" made by defineGateway()`)
  }
  return g
}

/**
 * A syntax error's stack starts with `file:line`, then a code frame: say it on one line as
 * `SyntaxError: … in file:line`. Other errors keep their stack (where the module threw).
 */
function describeLoadError(e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  if (e.name === 'SyntaxError') {
    const where = /^(\S+:\d+)\n/.exec(e.stack ?? '')?.[1]
    const code = (e as NodeJS.ErrnoException).code
    return `SyntaxError${code === undefined ? '' : ` [${code}]`}: ${e.message}${where === undefined ? '' : ` in ${where}`}`
  }
  return e.stack ?? e.message
}
