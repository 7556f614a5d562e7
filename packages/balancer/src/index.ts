// @nresty/balancer: named exports only.
export { Chash } from './chash.ts'
export type { ChashKey, ChashPick } from './chash.ts'
export { RoundRobin } from './roundrobin.ts'
export { Swrr } from './swrr.ts'
export type { Nodes } from './internal/nodes.ts'
