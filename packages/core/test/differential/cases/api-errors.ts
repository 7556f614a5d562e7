// API misuse caught by the handler: Lua's pcall and its TypeScript twin (try/catch that
// rethrows nresty's exit/exec/redirect signals, which pcall lets through in ngx_lua).
import { get } from '../case.ts'
import type { CaseGroup, DiffCase } from '../case.ts'
import { isNgxSignal } from '../../../src/index.ts'
import type { Ngx } from '../../../src/index.ts'

function pcall(n: number, name: string, lua: string, ts: (ngx: Ngx) => unknown, extra: Partial<DiffCase> = {}): DiffCase {
  const path = `/pcall/${n}`
  return {
    name,
    request: get(path),
    locations: { [`= ${path}`]: {
      nginx: `content_by_lua_block {
        local ok, err = pcall(function() ${lua} end)
        ngx.say(tostring(ok), " ", ok and tostring(err) or errmsg(err))
      }`,
      nresty: { content: async (ngx) => {
        try {
          await ts(ngx)
          ngx.say('true nil')
        } catch (e) {
          if (isNgxSignal(e)) throw e
          ngx.say('false ', e instanceof Error ? e.message : String(e))
        }
      } },
    } },
    ...extra,
  }
}

const API_ERRORS: DiffCase[] = [
  pcall(1, 'ngx.redirect with CR LF throws "unsafe byte"', 'ngx.redirect("/a\\r\\nb")', (ngx) => ngx.redirect('/a\r\nb')),
  pcall(2, 'ngx.redirect with status 200 throws', 'ngx.redirect("/x", 200)', (ngx) => ngx.redirect('/x', 200)),
  pcall(3, 'ngx.exec("") throws "The uri argument is empty"', 'ngx.exec("")', (ngx) => ngx.exec('')),
  pcall(4, 'ngx.say of a hash throws', 'ngx.say({a=1})', (ngx) => ngx.say({ a: 1 })),
  pcall(5, 'ngx.say of a function throws', 'ngx.say(function() end)', (ngx) => ngx.say(() => undefined)),
  pcall(6, 'set_uri("") throws', 'ngx.req.set_uri("")', (ngx) => ngx.req.setUri('')),
  pcall(7, 'set_uri with CR LF throws', 'ngx.req.set_uri("/a\\r\\nb")', (ngx) => ngx.req.setUri('/a\r\nb')),
  pcall(8, 'set_uri with jump in content throws "API disabled"', 'ngx.req.set_uri("/x", true)', (ngx) => ngx.req.setUri('/x', true)),
  pcall(9, 'capture("") throws', 'ngx.location.capture("")', (ngx) => ngx.location.capture('')),
  pcall(10, 'ngx.status = 99 is sent as it is', 'ngx.status = 99', (ngx) => { ngx.status = 99 }),
  pcall(11, 'ngx.redirect with LF throws "unsafe byte"', 'ngx.redirect("/a\\nb")', (ngx) => ngx.redirect('/a\nb')),
  pcall(12, 'ngx.header value with CR LF is sent escaped', 'ngx.header["X"] = "a\\r\\nb"', (ngx) => { ngx.header['X'] = 'a\r\nb' }),
  pcall(13, 'ngx.say of an array holding a hash throws', 'ngx.say({"a", {b=1}})', (ngx) => ngx.say(['a', { b: 1 }])),
  pcall(14, 'get_post_args without reading the body throws', 'ngx.req.get_post_args()', (ngx) => ngx.req.getPostArgs()),
  pcall(15, 'ngx.status = 1000 is sent as it is', 'ngx.status = 1000', (ngx) => { ngx.status = 1000 }),
  pcall(16, 'ngx.redirect("") sends a 302 with an empty Location', 'ngx.redirect("")', (ngx) => ngx.redirect('')),
  pcall(17, 'ngx.exec with CR LF in the uri goes on to a 404', 'ngx.exec("/x\\r\\n")', (ngx) => ngx.exec('/x\r\n')),
  pcall(18, 'capture with CR LF in the uri is not refused', 'ngx.location.capture("/a\\r\\nb")', (ngx) => ngx.location.capture('/a\r\nb')),
  pcall(19, 'set_header with CR LF in the value is not refused', 'ngx.req.set_header("X", "a\\r\\nb")', (ngx) => ngx.req.setHeader('X', 'a\r\nb')),
  pcall(20, 'a header name with CR LF is sent escaped', 'ngx.header["X\\r\\nY"] = "1"', (ngx) => { ngx.header['X\r\nY'] = '1' }),
  pcall(21, 'read_body twice is fine', 'ngx.req.read_body(); ngx.req.read_body()', async (ngx) => { await ngx.req.readBody(); await ngx.req.readBody() }),
  pcall(22, 'set_method with an unknown id throws', 'ngx.req.set_method(12345)', (ngx) => ngx.req.setMethod(12345)),
  pcall(23, 'set_uri_args with an array value', 'ngx.req.set_uri_args({a={1,2}}); ngx.say(ngx.var.args)',
    (ngx) => { ngx.req.setUriArgs({ a: [1, 2] }); ngx.say(ngx.var['args']) }),
  pcall(24, 'encode_args of true, false, a string with a space, an array',
    'ngx.say(ngx.encode_args({a=true}), "|", ngx.encode_args({b=false}), "|", ngx.encode_args({c="x y"}), "|", ngx.encode_args({d={1,2}}))',
    (ngx) => ngx.say(ngx.encodeArgs({ a: true }), '|', ngx.encodeArgs({ b: false }), '|', ngx.encodeArgs({ c: 'x y' }), '|', ngx.encodeArgs({ d: [1, 2] }))),
  pcall(25, 'ngx.print(nil) prints "nil"', 'ngx.print(nil)', (ngx) => ngx.print(undefined)),
  pcall(26, 'ngx.log with a bad level throws', 'ngx.log(99, "x")', (ngx) => ngx.log(99, 'x')),
  pcall(27, 'ngx.flush() without waiting, then say', 'ngx.flush(); ngx.say("after flush no wait")',
    (ngx) => { void ngx.flush(); ngx.say('after flush no wait') }),
]

export const API_ERROR_GROUPS: readonly CaseGroup[] = [{ title: 'API misuse under pcall / try', cases: API_ERRORS }]
