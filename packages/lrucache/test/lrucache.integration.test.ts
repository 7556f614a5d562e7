// The cache in a running server: module state shared by the requests of a worker, expiry on
// the cached clock across requests, and a shared dict behind it.
import { afterEach, describe, expect, it } from 'vitest'
import { serve } from '../../core/test/harness.ts'
import type { TestServer } from '../../core/test/harness.ts'
import { LRUCache } from '../src/index.ts'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function get(path: string): Promise<string> {
  return (await fetch(server!.url(path))).text()
}

describe('LRUCache in a server', () => {
  it('is shared by the requests of the worker; expired items are stale until set again', async () => {
    const cache = new LRUCache<string>(2)
    let backend = 0
    server = await serve({
      '= /t': { content: (ngx) => {
        const key = ngx.var.arg_k!
        let v = cache.get(key)
        const hit = v !== undefined
        if (!hit) {
          const stale = cache.getStale(key)
          v = `v${++backend}`
          cache.set(key, v, 0.05, stale === undefined ? 0 : 1)
        }
        ngx.say(`${key}=${v} ${hit ? 'hit' : 'miss'} flags=${cache.getStale(key)!.flags} count=${cache.count()}`)
      } },
    }, {}, { sharedDicts: { d: '1m' } })
    expect(await get('/t?k=a')).toBe('a=v1 miss flags=0 count=1\n')
    expect(await get('/t?k=a')).toBe('a=v1 hit flags=0 count=1\n')
    await new Promise((r) => setTimeout(r, 80))
    expect(await get('/t?k=a')).toBe('a=v2 miss flags=1 count=1\n') // was stale: refreshed
    expect(await get('/t?k=b')).toBe('b=v3 miss flags=0 count=2\n')
    expect(await get('/t?k=c')).toBe('c=v4 miss flags=0 count=2\n') // evicts a
    expect(await get('/t?k=a')).toBe('a=v5 miss flags=0 count=2\n')
  })
})
