// @nresty/semaphore: named exports only.
export { Semaphore } from './semaphore.ts'
export type { SemaphoreWaitErr } from './semaphore.ts'
