// @nresty/limit-traffic: named exports only.
export { LimitReq } from './limit-req.ts'
export type { LimitReqOptions, LimitReqState } from './limit-req.ts'
export { LimitCount } from './limit-count.ts'
export type { LimitCountState } from './limit-count.ts'
export { LimitConn } from './limit-conn.ts'
export type { LimitConnState } from './limit-conn.ts'
export { combine } from './traffic.ts'
export type { Limiter } from './traffic.ts'
export { RedisLimitCount, RedisLimitReq } from './redis-store.ts'
export type { RedisLimitCountOptions, RedisLimitReqOptions, RedisStoreOptions } from './redis-store.ts'
export { limitConn, limitCount, limitReq } from './middleware.ts'
export type {
  LimitConnHandlerOptions, LimitConnHandlers, LimitCountHandlerOptions, LimitKey, LimitReqHandlerOptions,
} from './middleware.ts'
export { ABUSED, REJECTED } from './errors.ts'
export type { LimitErr } from './errors.ts'
