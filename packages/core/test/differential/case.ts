// The shape of a differential case, and the helpers the case files share: the Lua prelude
// loaded into the reference and its TypeScript twin, request builders.
import type { LocationDef, ServerDef } from '../../src/index.ts'
import type { RequestParts } from './client.ts'

/** One `location {}` for both servers: the directives inside it, and the nresty equivalent. */
export interface LocationPair {
  /** What goes between `location <spec> {` and `}` in nginx.conf (Lua handlers, `return`, …). */
  readonly nginx: string
  readonly nresty: LocationDef
}

/**
 * A virtual server of its own (same port, selected by `Host: <name>`), for cases that need
 * server-level settings. Cases may share one by referring to the same object.
 */
export interface ServerPair {
  readonly name: string
  /** Server-level directives for nginx.conf. */
  readonly nginx: string
  readonly nresty: Omit<ServerDef, 'listen' | 'serverName' | 'locations'>
}

export interface DiffCase {
  /** The behaviour, as a sentence; also the test name and the key in KNOWN_DIFFERENCES. */
  readonly name: string
  /** The raw request bytes (latin1); a number is a pause in ms between writes. */
  readonly request: RequestParts
  /**
   * Locations this case needs, by match spec (`'= /x'`, `'@name'`). A spec may appear in
   * several cases only as the very same LocationPair object.
   */
  readonly locations?: Readonly<Record<string, LocationPair>>
  /** Put the locations in this server instead of the default `localhost` one. */
  readonly server?: ServerPair
  /** Files for the reference's prefix (nresty serves no static files). */
  readonly files?: Readonly<Record<string, string>>
  /** Each pattern must match a line of the error log of both servers written for this case. */
  readonly errorLog?: readonly RegExp[]
  /** Final responses to wait for (pipelining); 0 = wait for the server to close. Default 1. */
  readonly responses?: number
  /** How long to wait for them. Default 2000 ms. */
  readonly timeoutMs?: number
}

export interface CaseGroup {
  readonly title: string
  readonly cases: readonly DiffCase[]
}

export const HOST = 'Host: localhost\r\n'

/** `GET <path> HTTP/1.1` with `Host: localhost` and the extra header lines (each ending CRLF). */
export function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\n${HOST}${extra}\r\n`
}

/** A request with a method and a body (Content-Length set unless given in `extra`). */
export function send(method: string, path: string, body: string, extra = ''): string {
  const length = /content-length|transfer-encoding/i.test(extra) ? '' : `Content-Length: ${body.length}\r\n`
  return `${method} ${path} HTTP/1.1\r\n${HOST}${length}${extra}\r\n${body}`
}

/** Lua's `tostring` for what ngx_lua hands out: nil for absent values. */
export function str(v: unknown): string {
  return v === undefined || v === null ? 'nil' : String(v)
}

/**
 * A stable dump of a table (Lua) / object or array (TS): keys sorted as strings, arrays as
 * `{1=…,2=…}`, strings quoted. Same output as `dump` in LUA_PRELUDE.
 */
export function dump(v: unknown): string {
  if (Array.isArray(v)) return dumpEntries(v.map((e, i) => [String(i + 1), e] as const))
  if (v !== null && typeof v === 'object') return dumpEntries(Object.entries(v))
  if (typeof v === 'string') return `"${v}"`
  return str(v)
}

function dumpEntries(entries: readonly (readonly [string, unknown])[]): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return `{${sorted.map(([k, e]) => `${k}=${dump(e)}`).join(',')}}`
}

/** Loaded by `init_by_lua_block`: globals the Lua handlers of the cases use. */
export const LUA_PRELUDE = `
function dump(v)
  local t = type(v)
  if t == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local out = {}
    for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. "=" .. dump(v[k]) end
    return "{" .. table.concat(out, ",") .. "}"
  elseif t == "string" then
    return '"' .. v .. '"'
  end
  return tostring(v)
end

-- pcall's error without the "content_by_lua(nginx.conf:12):3: " position Lua puts in front
-- (a TypeScript error message carries no position)
function errmsg(err)
  return (string.gsub(tostring(err), "^.-:%d+: ", "", 1))
end
`
