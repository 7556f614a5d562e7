// @nresty/lrucache: named exports only.
export { LRUCache } from './lrucache.ts'
export type { LruStaleResult } from './lrucache.ts'
export { PureFfiLRUCache } from './pureffi.ts'
