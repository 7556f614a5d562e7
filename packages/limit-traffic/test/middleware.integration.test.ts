// The middleware factories in a running server (limitReq / limitCount / limitConn), and the
// Redis store shared by two separate servers through the machine's Redis, failing open or
// closed when Redis is not there.
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { serve } from '../../core/test/harness.ts'
import type { TestServer } from '../../core/test/harness.ts'
import { limitConn, limitCount, limitReq, RedisLimitCount, RedisLimitReq } from '../src/index.ts'

const REDIS_URL = process.env.NRESTY_REDIS_URL ?? 'redis://127.0.0.1:6379'
const redisOpts = (): { host: string; port: number } => {
  const u = new URL(REDIS_URL)
  return { host: u.hostname, port: Number(u.port || 6379) }
}

let servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function start(...args: Parameters<typeof serve>): Promise<TestServer> {
  const s = await serve(...args)
  servers.push(s)
  return s
}

async function get(s: TestServer, path: string): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const r = await fetch(s.url(path))
  return { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() }
}

/** A port where nothing listens. */
async function deadPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as AddressInfo).port
  await new Promise((r) => srv.close(r))
  return port
}

const content = (ngx: { say: (...a: unknown[]) => unknown }): void => {
  ngx.say('ok')
}

describe('limitReq / limitCount / limitConn handlers', () => {
  it('limitReq: 503 with Retry-After past rate + burst; the burst is delayed', async () => {
    const s = await start({ '/': { access: limitReq({ dict: 'req', rate: 2, burst: 1, key: () => 'all' }), content } }, {}, { sharedDicts: { req: '1m' } })
    expect((await get(s, '/')).status).toBe(200)
    const t0 = Date.now()
    const [x, y] = await Promise.all([get(s, '/'), get(s, '/')])
    const [ok, rejected] = x.status === 200 ? [x, y] : [y, x]
    expect(ok.status).toBe(200) // excess 1: slept 0.5 s (less what elapsed since the first)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350)
    expect(rejected.status).toBe(503)
    expect(rejected.retryAfter).toBe('1')
  })

  it('limitReq with status 429 and nodelay; requests without a key are not limited', async () => {
    const s = await start({ '/': {
      access: limitReq({ dict: 'req', rate: 1, burst: 0, status: 429, delay: false, key: (ngx) => ngx.var.arg_k }),
      content,
    } }, {}, { sharedDicts: { req: '1m' } })
    expect((await get(s, '/?k=a')).status).toBe(200)
    expect((await get(s, '/?k=a')).status).toBe(429)
    expect((await get(s, '/?k=b')).status).toBe(200)
    expect((await get(s, '/')).status).toBe(200)
    expect((await get(s, '/')).status).toBe(200)
  })

  it('limitCount: the limit per window, Retry-After = the window left; errs answer 500 and log', async () => {
    const s = await start({
      '/': { access: limitCount({ dict: 'cnt', limit: 2, window: 30, status: 429 }), content },
      '/abused': { access: [(ngx) => { ngx.shared.cnt!.set('x', 'str') }, limitCount({ dict: 'cnt', limit: 2, window: 30, key: () => 'x' })], content },
    }, {}, { sharedDicts: { cnt: '1m' } })
    expect((await get(s, '/')).status).toBe(200)
    expect((await get(s, '/')).status).toBe(200)
    const r = await get(s, '/')
    expect(r.status).toBe(429)
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(29)
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(30)
    expect((await get(s, '/abused')).status).toBe(500)
    expect(s.errorLog()).toContain('failed to limit count: not a number')
  })

  it('limitConn: at most max + burst at once; leaving() in the log phase brings the count back to 0', async () => {
    const conn = limitConn({ dict: 'conn', max: 2, burst: 1, defaultConnDelay: 0.05, key: () => 'all' })
    const s = await start({
      '/': { access: conn.access, content: async (ngx) => { await ngx.sleep(0.2); ngx.say('ok') }, log: conn.log },
      '/count': { content: (ngx) => ngx.say(String(ngx.shared.conn!.get('all'))) },
    }, {}, { sharedDicts: { conn: '1m' } })
    const results = await Promise.all(Array.from({ length: 6 }, () => get(s, '/')))
    const statuses = results.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 200, 503, 503, 503])
    await new Promise((r) => setTimeout(r, 50))
    expect((await get(s, '/count')).body).toBe('0\n')
  })
})

describe('Redis store', () => {
  it('two servers share one limit.count through Redis', async () => {
    const prefix = `nresty-test:${randomUUID()}:`
    const mk = (): ReturnType<typeof limitCount> => limitCount({ redis: { redis: redisOpts(), prefix }, limit: 10, window: 60, key: () => 'k' })
    const a = await start({ '/': { access: mk(), content } })
    const b = await start({ '/': { access: mk(), content } })
    const statuses: number[] = []
    for (let i = 0; i < 30; i++) statuses.push((await get(i % 2 === 0 ? a : b, '/')).status)
    expect(statuses.filter((x) => x === 200)).toHaveLength(10)
    expect(statuses.slice(0, 10).every((x) => x === 200)).toBe(true)
    const r = new Redis(redisOpts())
    try {
      expect(await r.get(`${prefix}k`)).toBe('-20')
      const ttl = await r.pttl(`${prefix}k`)
      expect(ttl).toBeGreaterThan(50_000)
      await r.del(`${prefix}k`)
    } finally {
      r.disconnect()
    }
  })

  it('two servers share one limit.req through Redis (burst 0: one request per 1/rate)', async () => {
    const prefix = `nresty-test:${randomUUID()}:`
    const mk = (): ReturnType<typeof limitReq> => limitReq({ redis: { redis: redisOpts(), prefix }, rate: 1, burst: 0, key: () => 'k' })
    const a = await start({ '/': { access: mk(), content } })
    const b = await start({ '/': { access: mk(), content } })
    expect((await get(a, '/')).status).toBe(200)
    expect((await get(b, '/')).status).toBe(503)
    expect((await get(a, '/')).status).toBe(503)
  })

  it('RedisLimitReq: the shdict arithmetic, dry runs, uncommit, rate changes', async () => {
    const prefix = `nresty-test:${randomUUID()}:`
    const lim = new RedisLimitReq({ redis: redisOpts(), prefix, rate: 2, burst: 1 })
    try {
      expect(await lim.incoming('k')).toEqual({ ok: true, value: { delay: 0, excess: 0 } })
      expect(await lim.uncommit('k')).toEqual({ ok: false, err: 'not found' })
      expect(await lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, excess: 0 } })
      const second = await lim.incoming('k', true) // about 1000 − the few ms since
      expect(second.ok && second.value.excess).toBeGreaterThan(0.9)
      expect(second.ok && second.value.delay).toBeCloseTo(second.ok ? second.value.excess / 2 : 0, 12)
      expect(await lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
      expect(await lim.uncommit('k')).toEqual({ ok: true, value: true })
      lim.setBurst(5)
      lim.setRate(1000)
      expect(lim.rate).toBe(1000)
      expect((await lim.incoming('k', true)).ok).toBe(true)
    } finally {
      await lim.close()
    }
  })

  it('RedisLimitCount: dry runs and uncommit', async () => {
    const prefix = `nresty-test:${randomUUID()}:`
    const lim = new RedisLimitCount({ redis: redisOpts(), prefix, limit: 1, window: 5 })
    try {
      expect(await lim.uncommit('k')).toEqual({ ok: true, value: 1 })
      expect(await lim.incoming('k')).toEqual({ ok: true, value: { delay: 0, remaining: 0 } })
      expect(await lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, remaining: 0 } })
      expect(await lim.incoming('k', true)).toEqual({ ok: false, err: 'rejected' })
      expect(await lim.uncommit('k')).toEqual({ ok: true, value: 0 })
    } finally {
      await lim.close()
    }
  })

  it('Redis down: fails open (admits) or closed (rejects), and logs it', async () => {
    const port = await deadPort()
    const down = { host: '127.0.0.1', port }
    const s = await start({
      '/open': { access: limitReq({ redis: { redis: down, onRedisError: 'open' }, rate: 1, burst: 0, key: () => 'k' }), content },
      '/closed': { access: limitCount({ redis: { redis: down, onRedisError: 'closed' }, limit: 1, window: 1, key: () => 'k' }), content },
    })
    expect((await get(s, '/open')).status).toBe(200)
    expect((await get(s, '/open')).status).toBe(200)
    expect((await get(s, '/closed')).status).toBe(503)
    const log = s.errorLog()
    expect(log).toMatch(/\[warn\].*limit req: redis failed \(.+\), failing open/)
    expect(log).toMatch(/\[warn\].*limit count: redis failed \(.+\), failing closed/)
  })

  it('uses a given ioredis client and leaves it open', async () => {
    const client = new Redis(redisOpts())
    const prefix = `nresty-test:${randomUUID()}:`
    const logged: string[] = []
    const lim = new RedisLimitCount({ redis: client, prefix, limit: 3, window: 5, log: (m) => logged.push(m) })
    try {
      expect(await lim.incoming('k', true)).toEqual({ ok: true, value: { delay: 0, remaining: 2 } })
      await lim.close()
      expect(await client.get(`${prefix}k`)).toBe('2')
      await client.del(`${prefix}k`)
    } finally {
      client.disconnect()
    }
    expect(logged).toEqual([])
  })
})
