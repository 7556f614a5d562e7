// What every `ngx` object (a request's, and the one of init, init_worker, exit_worker and
// timers) carries on its prototype: ngx_lua's constants, its request-independent functions,
// and the members read from the worker's Runtime or made once per object (ngx.socket,
// ngx.timer, ngx.thread). Defined once here, put on both classes' prototypes.
import { decodeArgs, encodeArgs } from './args.ts'
import type { Args } from './args.ts'
import { CORE_CONSTANTS, HTTP_METHODS, HTTP_STATUS, LOG_LEVELS } from './constants.ts'
import {
  crc32Long, crc32Short, decodeBase64, encodeBase64, hmacSha1, md5, md5Bin, sha1Bin,
} from './encoding.ts'
import { escapeUri, quoteSqlStr, unescapeUri } from './escape.ts'
import type { CosocketOwner } from './cosocket.ts'
import { BalancerApi } from './balancer.ts'
import type { NgxBalancer, NgxConfig, NgxProcess, NgxWorker } from './ngx.ts'
import { NGX_RE } from './re.ts'
import type { NgxRe } from './re.ts'
import type { Runtime } from './request.ts'
import type { SharedDict } from './shdict.ts'
import { sleep } from './sleep.ts'
import { SocketApi } from './socket-api.ts'
import type { NgxSocket } from './socket-api.ts'
import { ThreadApi } from './thread.ts'
import type { NgxThread, ThreadOwner } from './thread.ts'
import { TimerApi } from './timer.ts'
import type { NgxTimer, TimerOwner } from './timer.ts'
import { cookieTime, httpTime, localtime, now, parseHttpTime, time, today, updateTime, utctime } from './time.ts'

/** What the shared members need of an `ngx` object. */
interface NgxHost extends CosocketOwner, TimerOwner, ThreadOwner {
  readonly _rt: Runtime
  _socketApi: SocketApi | undefined
  _timerApi: TimerApi | undefined
  _threadApi: ThreadApi | undefined
}

const MEMBERS: PropertyDescriptorMap = {
  config: { get(this: NgxHost): NgxConfig { return this._rt.config } },
  worker: { get(this: NgxHost): NgxWorker { return this._rt.worker } },
  process: { get(this: NgxHost): NgxProcess { return this._rt.process } },
  shared: { get(this: NgxHost): Readonly<Record<string, SharedDict>> { return this._rt.shared } },
  re: { get(): NgxRe { return NGX_RE } },
  socket: { get(this: NgxHost): NgxSocket { return (this._socketApi ??= new SocketApi(this)) } },
  timer: { get(this: NgxHost): NgxTimer { return (this._timerApi ??= new TimerApi(this)) } },
  thread: { get(this: NgxHost): NgxThread { return (this._threadApi ??= new ThreadApi(this)) } },
  // Used once or twice per try of a proxied request, in its balancer phase only.
  balancer: { get(this: NgxHost): NgxBalancer { return new BalancerApi(this as unknown as { _phase: string }) } },
  sleep: { value(this: NgxHost, seconds: number): Promise<void> { return sleep(this, seconds) } },
}

/** Puts the constants, functions and shared members onto an `ngx` class's prototype. */
export function addNgxFunctions(proto: object): void {
  Object.defineProperties(proto, MEMBERS)
  Object.assign(proto, CORE_CONSTANTS, HTTP_STATUS, HTTP_METHODS, LOG_LEVELS, {
    now, time, updateTime, today, localtime, utctime, httpTime, cookieTime, parseHttpTime,
    encodeBase64, decodeBase64, md5, md5Bin, sha1Bin, hmacSha1, crc32Short, crc32Long,
    escapeUri, unescapeUri, encodeArgs, quoteSqlStr,
    decodeArgs: (s: string, max?: number): Args => decodeArgs(s, max).args,
  })
}
