// ngx.* constants with ngx_lua's values.

export const NGX_OK = 0
export const NGX_ERROR = -1
export const NGX_AGAIN = -2
export const NGX_DONE = -4
export const NGX_DECLINED = -5

export const CORE_CONSTANTS = {
  OK: 0,
  ERROR: -1,
  AGAIN: -2,
  DONE: -4,
  DECLINED: -5,
} as const

/** Method ids for `ngx.req.set_method` and subrequests. */
export const HTTP_METHODS = {
  HTTP_GET: 2,
  HTTP_HEAD: 4,
  HTTP_POST: 8,
  HTTP_PUT: 16,
  HTTP_DELETE: 32,
  HTTP_MKCOL: 64,
  HTTP_COPY: 128,
  HTTP_MOVE: 256,
  HTTP_OPTIONS: 512,
  HTTP_PROPFIND: 1024,
  HTTP_PROPPATCH: 2048,
  HTTP_LOCK: 4096,
  HTTP_UNLOCK: 8192,
  HTTP_PATCH: 16384,
  HTTP_TRACE: 32768,
} as const

const METHOD_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(HTTP_METHODS).map(([k, v]) => [v, k.slice(5)]),
)

/** The method name for an `ngx.HTTP_*` id, or undefined. */
export function methodName(id: number): string | undefined {
  return METHOD_NAMES.get(id)
}

export const HTTP_STATUS = {
  HTTP_CONTINUE: 100,
  HTTP_SWITCHING_PROTOCOLS: 101,
  HTTP_OK: 200,
  HTTP_CREATED: 201,
  HTTP_ACCEPTED: 202,
  HTTP_NO_CONTENT: 204,
  HTTP_PARTIAL_CONTENT: 206,
  HTTP_SPECIAL_RESPONSE: 300,
  HTTP_MOVED_PERMANENTLY: 301,
  HTTP_MOVED_TEMPORARILY: 302,
  HTTP_SEE_OTHER: 303,
  HTTP_NOT_MODIFIED: 304,
  HTTP_TEMPORARY_REDIRECT: 307,
  HTTP_PERMANENT_REDIRECT: 308,
  HTTP_BAD_REQUEST: 400,
  HTTP_UNAUTHORIZED: 401,
  HTTP_PAYMENT_REQUIRED: 402,
  HTTP_FORBIDDEN: 403,
  HTTP_NOT_FOUND: 404,
  HTTP_NOT_ALLOWED: 405,
  HTTP_NOT_ACCEPTABLE: 406,
  HTTP_REQUEST_TIMEOUT: 408,
  HTTP_CONFLICT: 409,
  HTTP_GONE: 410,
  HTTP_UPGRADE_REQUIRED: 426,
  HTTP_TOO_MANY_REQUESTS: 429,
  HTTP_CLOSE: 444,
  HTTP_ILLEGAL: 451,
  HTTP_INTERNAL_SERVER_ERROR: 500,
  HTTP_METHOD_NOT_IMPLEMENTED: 501,
  HTTP_NOT_IMPLEMENTED: 501,
  HTTP_BAD_GATEWAY: 502,
  HTTP_SERVICE_UNAVAILABLE: 503,
  HTTP_GATEWAY_TIMEOUT: 504,
  HTTP_VERSION_NOT_SUPPORTED: 505,
  HTTP_INSUFFICIENT_STORAGE: 507,
} as const

export const LOG_LEVELS = {
  STDERR: 0,
  EMERG: 1,
  ALERT: 2,
  CRIT: 3,
  ERR: 4,
  WARN: 5,
  NOTICE: 6,
  INFO: 7,
  DEBUG: 8,
} as const

/** `ngx.null`: the null sentinel (Lua's `ngx.null` light userdata maps to JS `null`). */
export const NGX_NULL: null = null

/** nginx's reason phrases, used in the status line (nginx words some differently from node). */
export const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [100, 'Continue'], [101, 'Switching Protocols'],
  [200, 'OK'], [201, 'Created'], [202, 'Accepted'], [204, 'No Content'], [206, 'Partial Content'],
  [301, 'Moved Permanently'], [302, 'Moved Temporarily'], [303, 'See Other'], [304, 'Not Modified'],
  [307, 'Temporary Redirect'], [308, 'Permanent Redirect'],
  [400, 'Bad Request'], [401, 'Unauthorized'], [402, 'Payment Required'], [403, 'Forbidden'],
  [404, 'Not Found'], [405, 'Not Allowed'], [406, 'Not Acceptable'], [408, 'Request Time-out'],
  [409, 'Conflict'], [410, 'Gone'], [411, 'Length Required'], [412, 'Precondition Failed'],
  [413, 'Request Entity Too Large'], [414, 'Request-URI Too Large'], [415, 'Unsupported Media Type'],
  [416, 'Requested Range Not Satisfiable'], [421, 'Misdirected Request'], [429, 'Too Many Requests'],
  [500, 'Internal Server Error'], [501, 'Not Implemented'], [502, 'Bad Gateway'],
  [503, 'Service Temporarily Unavailable'], [504, 'Gateway Time-out'],
  [505, 'HTTP Version Not Supported'], [507, 'Insufficient Storage'],
])

export const NRESTY_VERSION = '0.1.0'
/** nginx version nresty behaves as (1.22.1 → 1022001), for `ngx.config.nginx_version`. */
export const NGINX_VERSION_NUMBER = 1022001
/** ngx_lua version of the reference nresty is checked against (0.10.23 → 10023). */
export const NGX_LUA_VERSION_NUMBER = 10023
