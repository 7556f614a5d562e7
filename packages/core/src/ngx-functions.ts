// What every `ngx` object (a request's, and the one of init, init_worker, exit_worker and
// timers) carries on its prototype: ngx_lua's constants and its request-independent
// functions, assigned once per class rather than per object.
import { decodeArgs, encodeArgs } from './args.ts'
import type { Args } from './args.ts'
import { CORE_CONSTANTS, HTTP_METHODS, HTTP_STATUS, LOG_LEVELS } from './constants.ts'
import {
  crc32Long, crc32Short, decodeBase64, encodeBase64, hmacSha1, md5, md5Bin, sha1Bin,
} from './encoding.ts'
import { escapeUri, quoteSqlStr, unescapeUri } from './escape.ts'
import { cookieTime, httpTime, localtime, now, parseHttpTime, time, today, updateTime, utctime } from './time.ts'

/** Copies the constants and functions onto an `ngx` class's prototype. */
export function addNgxFunctions(proto: object): void {
  Object.assign(proto, CORE_CONSTANTS, HTTP_STATUS, HTTP_METHODS, LOG_LEVELS, {
    now, time, updateTime, today, localtime, utctime, httpTime, cookieTime, parseHttpTime,
    encodeBase64, decodeBase64, md5, md5Bin, sha1Bin, hmacSha1, crc32Short, crc32Long,
    escapeUri, unescapeUri, encodeArgs, quoteSqlStr,
    decodeArgs: (s: string, max?: number): Args => decodeArgs(s, max).args,
  })
}
