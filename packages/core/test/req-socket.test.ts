// ngx.req.socket(): the request body read as a cosocket while the client sends it slowly,
// the receive patterns at the end of the body, timeouts, and the refusals, with the
// reference OpenResty's answers (measured; see src/cosocket.md).
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { parseRaw, rawRequest, request, serverPerTest } from './harness.ts'
import type { RawResponse } from './harness.ts'

const start = serverPerTest()
const j = (v: unknown): string => JSON.stringify(v)

/** Sends `parts` with `gapMs` between them, then reads the response until the server closes. */
function slowRequest(port: number, parts: readonly string[], gapMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    sock.on('data', (c) => chunks.push(c))
    sock.on('end', () => resolve(parseRaw(Buffer.concat(chunks).toString('latin1'))))
    sock.on('error', reject)
    let i = 0
    const next = (): void => {
      if (i >= parts.length || sock.destroyed) return
      sock.write(parts[i++]!)
      setTimeout(next, gapMs)
    }
    next()
  })
}

const head = (path: string, len: number): string =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: ${len}\r\n\r\n`

describe('ngx.req.socket', () => {
  it('reads a body sent slowly with every pattern, then answers closed', async () => {
    const body = 'abcline one\r\nfoo--barXYZrest'
    const t = await start({ '/t': { content: async (ngx) => {
      const r = ngx.req.socket()
      if (!r.ok) return ngx.say(r.err)
      const s = r.value
      s.setTimeout(1000)
      ngx.say('again: ', j(ngx.req.socket()))
      ngx.say('receive(3): ', j(await s.receive(3)))
      ngx.say('*l: ', j(await s.receive()))
      ngx.say('until: ', j(await s.receiveUntil('--')()))
      ngx.say('any(2): ', j(await s.receiveAny(2)))
      ngx.say('*a: ', j(await s.receive('*a')))
      ngx.say('after: ', j(await s.receive(1)))
      ngx.say('after: ', j(await s.receive('*a')))
      await ngx.req.readBody()
      ngx.say('body data: ', j(ngx.req.getBodyData()))
    } } })
    const parts = [head('/t', body.length), ...body.match(/.{1,4}/gs)!]
    const res = await slowRequest(t.port, parts, 15)
    expect(res.body).toBe([
      'again: {"ok":false,"err":"request body already exists"}',
      'receive(3): {"ok":true,"value":"abc"}',
      '*l: {"ok":true,"value":"line one"}',
      'until: {"ok":true,"value":"foo"}',
      'any(2): {"ok":true,"value":"ba"}',
      '*a: {"ok":true,"value":"rXYZrest"}',
      'after: {"ok":false,"err":"closed","partial":""}',
      'after: {"ok":false,"err":"closed"}',
      'body data: nil',
      '',
    ].join('\n'))
  })

  it('a read past the end answers closed with the partial data', async () => {
    const t = await start({
      '/n': { content: async (ngx) => {
        const r = ngx.req.socket()
        if (!r.ok) return
        ngx.say(j(await r.value.receive(100)), ' ', j(await r.value.receive(1)))
      } },
      '/l': { content: async (ngx) => {
        const r = ngx.req.socket()
        if (!r.ok) return
        ngx.say(j(await r.value.receive()), ' ', j(await r.value.receive()))
      } },
      '/u': { content: async (ngx) => {
        const r = ngx.req.socket()
        if (!r.ok) return
        const it = r.value.receiveUntil('XY')
        ngx.say(j(await it()), ' ', j(await it()), ' ', j(await it()))
      } },
    })
    expect((await request(t.port, 'POST', '/n', 'short')).body).toBe('{"ok":false,"err":"closed","partial":"short"} {"ok":false,"err":"closed"}\n')
    expect((await request(t.port, 'POST', '/l', 'l1\nl2')).body).toBe('{"ok":true,"value":"l1"} {"ok":false,"err":"closed","partial":"l2"}\n')
    expect((await request(t.port, 'POST', '/u', 'aXYbXYc')).body).toBe(
      '{"ok":true,"value":"a"} {"ok":true,"value":"b"} {"ok":false,"err":"closed","partial":"c"}\n')
  })

  it('times out with the partial data when the client pauses, and reads on after', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const r = ngx.req.socket()
      if (!r.ok) return
      r.value.setTimeout(60)
      ngx.say(j(await r.value.receive(10)))
      r.value.setTimeout(1000)
      ngx.say(j(await r.value.receive(9)))
    } } })
    const res = await slowRequest(t.port, [`${head('/t', 12)}abc`, 'defghijkl'], 200)
    expect(res.body).toBe('{"ok":false,"err":"timeout","partial":"abc"}\n{"ok":true,"value":"defghijkl"}\n')
    expect(t.errorLog()).toMatch(/\[error\] .*lua tcp socket read timed out, client: 127\.0\.0\.1/)
  })

  it('answers no body, chunked request bodies not supported yet, request body already exists', async () => {
    const t = await start({
      '/t': { content: (ngx) => { ngx.say(j(ngx.req.socket())) } },
      '/read': { content: async (ngx) => { await ngx.req.readBody(); ngx.say(j(ngx.req.socket())) } },
      '/discard': { content: (ngx) => { ngx.req.discardBody(); ngx.say(j(ngx.req.socket())) } },
      '/rewrite': {
        rewrite: async (ngx) => {
          const r = ngx.req.socket()
          ngx.ctx.r = r.ok ? await r.value.receive(2) : r
        },
        content: (ngx) => ngx.say(j(ngx.ctx.r), ' ', j(ngx.req.socket())),
      },
    })
    expect((await request(t.port, 'GET', '/t')).body).toBe('{"ok":false,"err":"no body"}\n')
    expect((await request(t.port, 'POST', '/t', '')).body).toBe('{"ok":false,"err":"no body"}\n')
    expect((await request(t.port, 'POST', '/t', '3\r\nabc\r\n0\r\n\r\n', { 'Transfer-Encoding': 'chunked' })).body).toBe(
      '{"ok":false,"err":"chunked request bodies not supported yet"}\n')
    expect((await request(t.port, 'POST', '/read', 'abc')).body).toBe('{"ok":false,"err":"request body already exists"}\n')
    expect((await request(t.port, 'POST', '/discard', 'abc')).body).toBe('{"ok":false,"err":"no body"}\n')
    expect((await request(t.port, 'POST', '/rewrite', 'abcd')).body).toBe(
      '{"ok":true,"value":"ab"} {"ok":false,"err":"request body already exists"}\n')
  })

  it('leaves what the handler did not read to be discarded: the next request on the connection is served', async () => {
    const t = await start({ '/t': { content: async (ngx) => {
      const r = ngx.req.socket()
      ngx.say(r.ok ? j(await r.value.receive(2)) : r.err)
    } } })
    const res = await rawRequest(t.port, [
      'POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 8\r\n\r\nabcdefgh',
      'POST /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 3\r\n\r\nxyz',
    ])
    expect(res.raw.match(/\{"ok":true,"value":"(ab|xy)"\}/g)).toEqual(['{"ok":true,"value":"ab"}', '{"ok":true,"value":"xy"}'])
  })

  it('is refused in log and in timers; two reads at once answer socket busy reading', async () => {
    const res: string[] = []
    const t = await start({ '/t': {
      content: async (ngx) => {
        const r = ngx.req.socket()
        if (!r.ok) return
        const first = r.value.receive(4)
        ngx.say(j(await r.value.receive(1)))
        ngx.say(j(await first))
        ngx.timer.at(0, (tn) => {
          try {
            tn.req.socket()
          } catch (e) {
            res.push((e as Error).message)
          }
        })
        await ngx.sleep(0.01)
      },
      log: (ngx) => {
        try {
          ngx.req.socket()
        } catch (e) {
          res.push((e as Error).message)
        }
      },
    } })
    const out = await slowRequest(t.port, [`${head('/t', 4)}ab`, 'cd'], 30)
    expect(out.body).toBe('{"ok":false,"err":"socket busy reading"}\n{"ok":true,"value":"abcd"}\n')
    expect(res).toEqual(['API disabled in the current context', 'API disabled in the context of log_by_lua*'])
  })
})
