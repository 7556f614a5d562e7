// The gateway definition: a plain data model plus handlers. It is what a TypeScript user
// writes and what the nginx.conf front end fills in. Nothing here runs a request; conf.ts
// compiles it into the per-location structures the request path reads.
import type { LogLevelName } from './log.ts'
import type { Ngx } from './ngx.ts'

export type { LogLevelName }

/** A phase handler. It may be async; `ngx.exit()` ends it (in TypeScript it never returns). */
export type Handler = (ngx: Ngx) => unknown
/** One handler, or several run in order (as several modules would in nginx). */
export type HandlerList = Handler | readonly Handler[]

/** nginx size syntax (`'10k'`, `'1m'`, `'1g'`) or a byte count. */
export type Size = number | string
/** nginx time syntax (`'500ms'`, `'60s'`, `'1m 30s'`) or a number of seconds. */
export type Duration = number | string

/**
 * The rewrite module's `return`: a status (`444`), `[status, text]` for a body,
 * `[301 | 302 | 303 | 307 | 308, url]` for a redirect, or a URL alone (302).
 * Text and URL may hold `$variables`.
 */
export type ReturnSpec = number | string | readonly [status: number, textOrUrl?: string]

/** `add_header name value [always]`; the value may hold `$variables`. */
export interface AddHeaderSpec {
  readonly value: string
  /** Add the header whatever the status (nginx: only 200, 201, 204, 206, 301–304, 307, 308). */
  readonly always?: boolean
}

/** `log_format` name → format string; `combined` is predefined. */
export type LogFormats = Readonly<Record<string, string>>

export interface AccessLogSpec {
  readonly path: string
  /** A name from `logFormats`, default `combined`. */
  readonly format?: string
}

/**
 * The condition of the rewrite module's `if`, as nginx reads `if (…)`. `var` is a variable
 * name without its `$`; `value` and `path` may hold `$variables`; `regex` is PCRE (`~*` and
 * `!~*` match without case). A bare variable is true unless it is empty or `"0"`.
 */
export type IfTest =
  | { readonly var: string }
  | { readonly var: string; readonly op: '=' | '!='; readonly value: string }
  | { readonly var: string; readonly op: '~' | '~*' | '!~' | '!~*'; readonly regex: string }
  | { readonly op: '-f' | '!-f' | '-d' | '!-d' | '-e' | '!-e' | '-x' | '!-x'; readonly path: string }

/**
 * What a location's `if` block sets besides its rewrite steps: when the condition holds, the
 * request goes on with these settings merged over the location's (nginx's "if location").
 * The content handler is the block's own, else the location's.
 */
export type IfLocationDef = Omit<LocationDef, 'rewriteOps' | 'set' | 'return' | 'locations' | 'internal'>

/** `rewrite`'s flag: stop and find the location again, stop here, or redirect (302 / 301). */
export type RewriteFlag = 'last' | 'break' | 'redirect' | 'permanent'

/**
 * One step of the rewrite module, run in order at the start of the (server) rewrite phase.
 * `rewrite` changes `$uri` when `regex` matches it (`$1`… in `replacement`; a `?` in it starts
 * new args, a final `?` drops the old ones); a replacement starting with `http://`, `https://`
 * or `$scheme` redirects. `break` ends the steps. `if` runs `then` when `test` holds.
 */
export type RewriteOp =
  | { readonly op: 'set'; readonly name: string; readonly value: string }
  | { readonly op: 'return'; readonly spec: ReturnSpec }
  | { readonly op: 'rewrite'; readonly regex: string; readonly replacement: string; readonly flag?: RewriteFlag }
  | { readonly op: 'break' }
  | { readonly op: 'if'; readonly test: IfTest; readonly then: readonly RewriteOp[]; readonly location?: IfLocationDef }
  | { readonly op: 'setBy'; readonly name: string; readonly handler: SetHandler; readonly args?: readonly string[] }

/**
 * `set_by_lua $name … args`: runs in its place among the rewrite steps, in the `set` phase, with
 * the rendered `args` as `ngx.arg[1..n]`; what it returns becomes `$name` (a number as Lua prints
 * it, nil or undefined as the empty string). It must not be async (no yielding APIs).
 */
export type SetHandler = (ngx: Ngx) => unknown

/**
 * The lua_socket_* directives for the cosockets (`ngx.socket.*`) of requests at a level, and
 * of the timers they create. Each setting is inherited unless an inner level sets it.
 */
export interface SocketSettings {
  /** lua_socket_connect_timeout (60s); also bounds a backlog wait and sslHandshake. */
  readonly connectTimeout?: Duration
  /** lua_socket_send_timeout (60s). */
  readonly sendTimeout?: Duration
  /** lua_socket_read_timeout (60s). */
  readonly readTimeout?: Duration
  /** lua_socket_keepalive_timeout (60s): how long a pooled connection may stay idle; 0 forever. */
  readonly keepaliveTimeout?: Duration
  /** lua_socket_pool_size (30): idle connections kept per pool. */
  readonly poolSize?: number
  /** lua_socket_buffer_size (4k). */
  readonly bufferSize?: Size
  /** lua_socket_log_errors (on): cosocket failures also go to the error log. */
  readonly logErrors?: boolean
  /**
   * Whether host names are resolved (by the OS resolver). Default true; false answers nginx's
   * `no resolver defined to resolve "host"` (nginx without a `resolver`).
   */
  readonly resolver?: boolean
  /** lua_ssl_trusted_certificate (PEM): what sslHandshake verifies against; default node's CAs. */
  readonly sslTrustedCertificate?: string | Uint8Array | readonly (string | Uint8Array)[]
}

/** Settings every level (http, server, location) may carry; inner levels inherit them. */
export interface LevelSettings {
  readonly rewrite?: HandlerList
  readonly access?: HandlerList
  readonly headerFilter?: HandlerList
  readonly bodyFilter?: HandlerList
  readonly log?: HandlerList
  /** `set $name value` at this level, run before this level's `return`. */
  readonly set?: Readonly<Record<string, string>>
  /** The rewrite module's directives in written order (the conf front end fills this). */
  readonly rewriteOps?: readonly RewriteOp[]
  readonly defaultType?: string
  readonly addHeader?: Readonly<Record<string, string | AddHeaderSpec>>
  readonly clientMaxBodySize?: Size
  readonly clientBodyTimeout?: Duration
  readonly sendTimeout?: Duration
  /** `false` = `access_log off`. */
  readonly accessLog?: false | string | AccessLogSpec
  /** `error_page code … uri`: status → uri (a location path or `@named`). */
  readonly errorPage?: Readonly<Record<number, string>>
  /** lua_socket_*: cosocket timeouts, pool size, … (see SocketSettings). */
  readonly socket?: SocketSettings
  /** proxy_*: how proxyPass talks to the backend (see ProxySettings). */
  readonly proxy?: ProxySettings
}

/** What `proxy_next_upstream` passes a request to the next peer for. */
export type NextUpstreamCondition =
  | 'error' | 'timeout' | 'invalid_header' | 'http_500' | 'http_502' | 'http_503' | 'http_504'
  | 'http_403' | 'http_404' | 'http_429' | 'non_idempotent'

/**
 * The proxy_* directives of a level. Each setting is inherited unless an inner level sets it;
 * `setHeaders`, like nginx's `proxy_set_header`, replaces the whole inherited set.
 */
export interface ProxySettings {
  /**
   * `proxy_set_header name value`: headers sent upstream, values with `$variables`; an empty
   * value drops the header. Defaults: `Host: $proxy_host`, `Connection: close`.
   */
  readonly setHeaders?: Readonly<Record<string, string>>
  /** `proxy_pass_request_headers` (on): the client's headers go upstream. */
  readonly passRequestHeaders?: boolean
  /** `proxy_pass_request_body` (on): the client's body goes upstream. */
  readonly passRequestBody?: boolean
  /** `proxy_http_version` (`'1.0'`): 1.0 closes each upstream connection; 1.1 with `keepalive` reuses them. */
  readonly httpVersion?: '1.0' | '1.1'
  /** `proxy_connect_timeout` (60s). */
  readonly connectTimeout?: Duration
  /** `proxy_send_timeout` (60s): between two successful writes of the request. */
  readonly sendTimeout?: Duration
  /** `proxy_read_timeout` (60s): between two successful reads of the response. */
  readonly readTimeout?: Duration
  /** `proxy_next_upstream` (`['error', 'timeout']`); `false` is `off`. */
  readonly nextUpstream?: false | readonly NextUpstreamCondition[]
  /** `proxy_next_upstream_tries` (0: as many as there are peers). */
  readonly nextUpstreamTries?: number
  /** `proxy_next_upstream_timeout` (0: no limit) for all tries together. */
  readonly nextUpstreamTimeout?: Duration
  /** `proxy_buffering` (on). Off: each chunk from the backend is sent to the client at once. */
  readonly buffering?: boolean
  /** `proxy_hide_header`: response headers not passed to the client (besides nginx's defaults). */
  readonly hideHeaders?: readonly string[]
  /** `proxy_pass_header`: default-hidden headers (`Server`, `Date`, `X-Accel-*`) passed after all. */
  readonly passHeaders?: readonly string[]
  /** `proxy_intercept_errors` (off): a backend status ≥ 300 with an `error_page` gets that page. */
  readonly interceptErrors?: boolean
  /** `proxy_ignore_client_abort` (off). */
  readonly ignoreClientAbort?: boolean
  /** `proxy_ignore_headers`: backend headers not acted on (`X-Accel-Redirect` is followed unless named). */
  readonly ignoreHeaders?: readonly string[]
  /** `proxy_buffer_size` (4k): the backend's status line and headers must fit in it. */
  readonly bufferSize?: Size
}

/** A `server` line of an `upstream` block. */
export interface UpstreamServerDef {
  /** `host:port`, `host` (port 80) or `unix:/path`. */
  readonly address: string
  /** `weight=` (1). */
  readonly weight?: number
  /** `max_fails=` (1; 0 turns failure accounting off). */
  readonly maxFails?: number
  /** `fail_timeout=` (10s): the window failures are counted in, and how long the peer then rests. */
  readonly failTimeout?: Duration
  /** `backup`: used only when every primary peer is down. */
  readonly backup?: boolean
  /** `down`: never used. */
  readonly down?: boolean
}

/** `upstream name { … }`: the peers a `proxyPass` to `http://name` spreads requests over. */
export interface UpstreamDef {
  /** Peers as `'host:port'` or with their parameters. */
  readonly servers: readonly (string | UpstreamServerDef)[]
  /**
   * `keepalive N`: idle connections to this upstream each worker keeps for reuse (with
   * `httpVersion: '1.1'` and no `Connection: close`). Without it each request has its own.
   */
  readonly keepalive?: number
  /** `keepalive_timeout` (60s): how long an idle upstream connection is kept. */
  readonly keepaliveTimeout?: Duration
  /** `keepalive_requests` (1000): requests over one upstream connection at most. */
  readonly keepaliveRequests?: number
  /** `hash key [consistent]`: peers chosen by a key (with `$variables`) instead of round robin. */
  readonly hash?: string | { readonly key: string; readonly consistent?: boolean }
  /**
   * The balancer phase (`balancer_by_lua*`): runs before each try and picks the peer with
   * `ngx.balancer.setCurrentPeer`. It must not be async. Without a peer set, the servers'
   * round robin picks.
   */
  readonly balancer?: Handler
}

export interface LocationDef extends LevelSettings {
  readonly content?: Handler
  /**
   * `proxy_pass`: `'http://host:port[/uri]'` or `'http://upstream_name[/uri]'`; it may hold
   * `$variables`. The location's content handler (not together with `content`).
   */
  readonly proxyPass?: string
  readonly return?: ReturnSpec
  /** `internal`: reachable only by internal redirects and subrequests. */
  readonly internal?: boolean
  /** Nested locations, keyed by their nginx match spec. */
  readonly locations?: Readonly<Record<string, LocationDef>>
}

/** `listen`: a port, `'host:port'`, or an object. */
export type ListenSpec =
  | number
  | string
  | { readonly port: number; readonly host?: string; readonly defaultServer?: boolean; readonly backlog?: number }

export interface ServerDef extends LevelSettings {
  readonly listen: ListenSpec | readonly ListenSpec[]
  readonly serverName?: string | readonly string[]
  readonly serverRewrite?: HandlerList
  readonly return?: ReturnSpec
  readonly clientHeaderTimeout?: Duration
  readonly keepaliveTimeout?: Duration
  /** Locations keyed by their nginx match spec: `'= /x'`, `'^~ /a/'`, `'/p'`, `'~ re'`, `'~* re'`, `'@name'`. */
  readonly locations?: Readonly<Record<string, LocationDef>>
}


export interface ErrorLogSpec {
  /** A path (relative to the prefix), or `'stderr'`. */
  readonly path: string
  readonly level?: LogLevelName
}

export interface GatewayDef extends LevelSettings {
  /** Server root for relative paths (`logs/`); default the current directory. */
  readonly prefix?: string
  /** Default `logs/error.log` at `error`. */
  readonly errorLog?: string | ErrorLogSpec
  readonly logFormats?: LogFormats
  readonly serverRewrite?: HandlerList
  readonly clientHeaderTimeout?: Duration
  readonly keepaliveTimeout?: Duration
  /**
   * `large_client_header_buffers 4 <size>`: the longest request line (else 414) or header line
   * (else 400 "Request Header Or Cookie Too Large"); default 8k. The whole block may be 4× that.
   */
  readonly largeClientHeaderBuffers?: Size
  readonly servers: readonly ServerDef[]

  // ---- process model (startMaster; startServer runs one worker in the calling thread) ----
  /** `worker_processes`: worker threads, or `'auto'` for one per core. Default 1. */
  readonly workers?: number | 'auto'
  /** `worker_connections`: client connections one worker holds at most; default 512. */
  readonly workerConnections?: number
  /**
   * `worker_shutdown_timeout`: how long a gracefully stopping worker (reload, QUIT) waits for
   * its in-flight requests before it closes their connections. Default: it waits, as nginx does.
   */
  readonly workerShutdownTimeout?: Duration
  /** Heap limit of each worker thread (`'512m'`); a worker past it dies and is respawned. */
  readonly workerHeapLimit?: Size
  /** `pid`: the master's pid file, relative to the prefix; default `logs/nginx.pid`. */
  readonly pid?: string
  /** `upstream name { … }` blocks by name. */
  readonly upstreams?: Readonly<Record<string, UpstreamDef>>
  /** `lua_shared_dict name size`: zones every worker sees as `ngx.shared[name]`. */
  readonly sharedDicts?: Readonly<Record<string, Size>>
  /** `lua_max_pending_timers`: timers a worker holds waiting at most (1024). */
  readonly maxPendingTimers?: number
  /** `lua_max_running_timers`: timer handlers a worker runs at once at most (256). */
  readonly maxRunningTimers?: number

  // ---- phases around a worker's life ----
  /**
   * `init_by_lua`: runs once, in the master's loader, before any worker starts (and again on
   * every reload). It may write shared dicts; module state it sets is not seen by the workers,
   * which import the gateway module themselves.
   */
  readonly init?: HandlerList
  /** `init_worker_by_lua`: runs in each worker before it accepts connections. */
  readonly initWorker?: HandlerList
  /** `exit_worker_by_lua`: runs in each worker as it exits. */
  readonly exitWorker?: HandlerList
}

/** A checked gateway definition, as `defineGateway` returns it. */
export interface Gateway {
  readonly def: GatewayDef
}

/**
 * Declares a gateway. The definition is checked when the server starts (conf.ts), with
 * nginx's wording for what is wrong.
 *
 * @example
 * export const gateway = defineGateway({
 *   servers: [{ listen: 8080, locations: { '= /hello': { content: (ngx) => ngx.say('hello') } } }],
 * })
 */
export function defineGateway(def: GatewayDef): Gateway {
  if (def === null || typeof def !== 'object') throw new TypeError('gateway definition must be an object')
  if (!Array.isArray(def.servers)) throw new TypeError('gateway definition needs a "servers" array')
  return { def }
}
