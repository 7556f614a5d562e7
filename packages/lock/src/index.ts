// @nresty/lock: named exports only.
export { Lock } from './lock.ts'
export type { LockErr, LockOptions, UnlockErr } from './lock.ts'
