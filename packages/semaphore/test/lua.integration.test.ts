// ngx.semaphore from Lua (through @nresty/lua's resty runner, in this process), and the other
// small lua-resty-core modules the bridge supplies itself: ngx.base64, ngx.errlog, ngx.balancer.
// Each answer was measured on the reference OpenResty (test-nginx/t/lua/004-core-modules.t).
import { describe, expect, it } from 'vitest'
import { resty } from '../../lua/src/resty.ts'

async function run(code: string): Promise<{ status: number; out: string; err: string }> {
  const out: Buffer[] = []
  let err = ''
  const status = await resty(['-e', code], { out: (b) => { out.push(Buffer.from(b)) }, err: (t) => { err += t } })
  return { status, out: Buffer.concat(out).toString('latin1'), err }
}

describe('ngx.semaphore', () => {
  it('waits until a post, times out, counts, and refuses bad numbers', async () => {
    const r = await run(`
      local semaphore = require "ngx.semaphore"
      local sema = semaphore.new(0)
      ngx.say("count ", sema:count())
      ngx.timer.at(0.05, function() sema:post(1) end)
      ngx.say("wait ", sema:wait(1))
      local ok, err = sema:wait(0.05)
      ngx.say("again ", ok, " ", err)
      ngx.say("post ", sema:post(2), " count ", sema:count())
      ngx.say(pcall(semaphore.new, -1))
      ngx.say(pcall(semaphore.new, "x"))
      ngx.say(pcall(sema.post, sema, 0))
      ngx.say(pcall(sema.wait, sema, {}))
      ngx.say(semaphore.version)
    `)
    expect(r.err).toBe('')
    expect(r.out).toBe([
      'count 0', 'wait truenil', 'again false timeout', 'post true count 2',
      'falseno negative number',
      "falsebad argument #1 to 'new' (number expected, got string)",
      'falsepositive number required',
      "falsebad argument #1 to 'wait' (number expected, got table)",
      '0.1.28', '',
    ].join('\n'))
  })
})

describe('lua-resty-core modules of the bridge', () => {
  it('ngx.base64 encodes and decodes url-safe, refusing what is not a string', async () => {
    const r = await run(`
      local b64 = require "ngx.base64"
      ngx.say(b64.encode_base64url("\\255\\254hello"), " ", ngx.encode_base64(b64.decode_base64url("_-5oZWxsbw")))
      ngx.say(b64.decode_base64url("@@"))
      ngx.say(b64.encode_base64url(12))
    `)
    expect(r.out).toBe('__5oZWxsbw /+5oZWxsbw==\nnilinvalid input\nnilmust provide a string\n')
  })

  it('ngx.errlog writes raw lines and answers as nginx without the capture patch', async () => {
    const r = await run(`
      local errlog = require "ngx.errlog"
      ngx.say(type(errlog.get_sys_filter_level()))
      ngx.say(errlog.get_logs(10))
      ngx.say(pcall(errlog.raw_log, "x", "m"))
    `)
    expect(r.out).toBe("number\nnilmissing the capture error log patch for nginx\nfalsebad argument #1 to 'raw_log' (must be a number)\n")
  })

  it('ngx.balancer outside a proxied request: no upstream found', async () => {
    const r = await run(`
      local balancer = require "ngx.balancer"
      ngx.say(balancer.set_current_peer("127.0.0.1", 80))
    `)
    expect(r.out).toBe('nilno upstream found\n')
  })
})
