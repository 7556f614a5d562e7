// Output: say/print argument rendering, eof, flush, send_headers, ngx.log; HEAD, HTTP/1.0,
// keep-alive and pipelining.
import { get, HOST, send, str } from '../case.ts'
import type { CaseGroup, DiffCase, LocationPair } from '../case.ts'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export const SAY: LocationPair = {
  nginx: 'content_by_lua_block { ngx.say("hello") }',
  nresty: { content: (ngx) => ngx.say('hello') },
}
export const FLUSH_ONLY: LocationPair = {
  nginx: 'content_by_lua_block { ngx.say("a"); ngx.flush(true); ngx.say("b") }',
  nresty: { content: async (ngx) => { ngx.say('a'); await ngx.flush(true); ngx.say('b') } },
}
export const SUB404: LocationPair = {
  nginx: 'content_by_lua_block { ngx.exit(404) }',
  nresty: { content: (ngx) => ngx.exit(404) },
}
export const VARS: LocationPair = {
  nginx: `
    rewrite_by_lua_block { ngx.ctx.rs = ngx.status; ngx.ctx.vs = ngx.var.status }
    content_by_lua_block {
      ngx.say("rewrite status=", ngx.ctx.rs, " var.status=", ngx.ctx.vs)
      ngx.say("content status=", ngx.status, " var.status=", ngx.var.status)
      ngx.say("host=", ngx.var.host, " server_name=", ngx.var.server_name, " scheme=", ngx.var.scheme, " proto=", ngx.var.server_protocol, " method=", ngx.var.request_method)
      ngx.say("http_x=", ngx.var.http_x_foo, " cookie_a=", ngx.var.cookie_a, " unknown=", ngx.var.nonexistent_var, " cl=", ngx.var.content_length, " request=", ngx.var.request)
      ngx.say("http_version=", ngx.req.http_version(), " method=", ngx.req.get_method())
    }`,
  nresty: {
    rewrite: (ngx) => { ngx.ctx['rs'] = ngx.status; ngx.ctx['vs'] = ngx.var['status'] },
    content: (ngx) => {
      const v = ngx.var
      ngx.say('rewrite status=', ngx.ctx['rs'], ' var.status=', ngx.ctx['vs'])
      ngx.say('content status=', ngx.status, ' var.status=', v['status'])
      ngx.say('host=', v['host'], ' server_name=', v['server_name'], ' scheme=', v['scheme'], ' proto=', v['server_protocol'], ' method=', v['request_method'])
      ngx.say('http_x=', v['http_x_foo'], ' cookie_a=', v['cookie_a'], ' unknown=', v['nonexistent_var'], ' cl=', v['content_length'], ' request=', v['request'])
      ngx.say('http_version=', ngx.req.httpVersion(), ' method=', ngx.req.getMethod())
    },
  },
}

/** `/out/<name>`: one say/print call and its rendering. */
function out(name: string, what: string, lua: string, ts: LocationPair['nresty']['content'], extra: Partial<DiffCase> = {}): DiffCase {
  return {
    name: what,
    request: get(`/out/${name}`),
    locations: { [`= /out/${name}`]: { nginx: `content_by_lua_block { ${lua} }`, nresty: ts === undefined ? {} : { content: ts } } },
    ...extra,
  }
}

const OUTPUT: DiffCase[] = [
  { name: 'ngx.say sends its line with the default type', request: get('/say'), locations: { '= /say': SAY } },
  out('nested', 'ngx.print renders nested arrays, numbers, booleans and ngx.null',
    'ngx.print({"a", {"b", 1, 2.5, true, false, ngx.null}, "c"}, 3, "\\n")',
    (ngx) => ngx.print(['a', ['b', 1, 2.5, true, false, ngx.null], 'c'], 3, '\n')),
  out('nil', 'ngx.say renders nil as "nil"', 'ngx.say("a", nil, "b")', (ngx) => ngx.say('a', undefined, 'b')),
  out('nums', 'ngx.say renders numbers as Lua prints them',
    'ngx.say(1e20, " ", 0.1, " ", 3.0, " ", -0.0, " ", 1/0, " ", -1/0, " ", 123456789012, " ", 1e15, " ", 1e16, " ", 2^53, " ", 1/3)',
    (ngx) => ngx.say(1e20, ' ', 0.1, ' ', 3.0, ' ', -0, ' ', 1 / 0, ' ', -1 / 0, ' ', 123456789012, ' ', 1e15, ' ', 1e16, ' ', 2 ** 53, ' ', 1 / 3)),
  out('hash', 'ngx.say of a hash table fails the request with 500 (non-array table found)',
    'ngx.say({a=1})', (ngx) => ngx.say({ a: 1 }),
    { errorLog: [/\[error\] .*aborted: .*bad argument #1 to 'say' \(non-array table found\)/] }),
  out('nestedhash', 'ngx.say of an array holding a hash fails with 500',
    'ngx.say({"a", {b=1}})', (ngx) => ngx.say(['a', { b: 1 }]),
    { errorLog: [/bad argument #1 to 'say' \(non-array table found\)/] }),
  out('func', 'ngx.say of a function fails with 500',
    'ngx.say(function() end)', (ngx) => ngx.say(() => undefined),
    { errorLog: [/bad argument #1 to 'say' \(string, number, boolean, nil, ngx.null, or array table expected, but got function\)/] }),
  out('hashafter', 'a bad ngx.say argument after output cuts the connection',
    'ngx.say("x"); ngx.say({a=1})', (ngx) => { ngx.say('x'); ngx.say({ a: 1 }) },
    { errorLog: [/bad argument #1 to 'say' \(non-array table found\)/] }),
  out('empty', 'ngx.say() sends just a newline', 'ngx.say()', (ngx) => ngx.say()),
  out('emptyprint', 'ngx.print("") sends headers and an empty body', 'ngx.print("")', (ngx) => ngx.print('')),
  out('nothing', 'a content handler without output sends an empty 200', '', () => undefined),
  out('sayret', 'ngx.say after ngx.eof answers nil, "seen eof"',
    'ngx.say("x"); ngx.eof(); local ok, err = ngx.say("y"); ngx.log(ngx.ERR, "say after eof: ", tostring(ok), " ", tostring(err))',
    (ngx) => {
      ngx.say('x')
      ngx.eof()
      const r = ngx.say('y')
      ngx.log(ngx.ERR, 'say after eof: ', r.ok ? '1' : 'nil', ' ', r.ok ? 'nil' : r.err)
    },
    { errorLog: [/\[error\] .*say after eof: nil seen eof, client: 127\.0\.0\.1/] }),
  {
    name: 'ngx.eof ends the response; the handler goes on',
    request: get('/eof'),
    locations: { '= /eof': {
      nginx: 'content_by_lua_block { ngx.say("a"); ngx.eof(); ngx.log(ngx.ERR, "after eof") }',
      nresty: { content: (ngx) => { ngx.say('a'); ngx.eof(); ngx.log(ngx.ERR, 'after eof') } },
    } },
    errorLog: [/\[error\] .*: after eof, client/],
  },
  {
    name: 'ngx.send_headers then ngx.say',
    request: get('/sendheaders'),
    locations: { '= /sendheaders': {
      nginx: 'content_by_lua_block { ngx.send_headers(); ngx.say("a") }',
      nresty: { content: (ngx) => { ngx.sendHeaders(); ngx.say('a') } },
    } },
  },
  {
    name: 'ngx.log joins its arguments (nil as "nil") at the given level',
    request: get('/logit'),
    locations: { '= /logit': {
      nginx: 'content_by_lua_block { ngx.log(ngx.ERR, "hello ", 1, " ", true, " ", nil); ngx.log(ngx.WARN, "w"); ngx.say("x") }',
      nresty: { content: (ngx) => { ngx.log(ngx.ERR, 'hello ', 1, ' ', true, ' ', undefined); ngx.log(ngx.WARN, 'w'); ngx.say('x') } },
    } },
    errorLog: [/\[error\] .*: hello 1 true nil, client: 127\.0\.0\.1/, /\[warn\] .*: w, client: 127\.0\.0\.1/],
  },
  {
    name: 'a handler that waits before its output',
    request: get('/asyncish'),
    locations: { '= /asyncish': {
      nginx: 'content_by_lua_block { ngx.sleep(0.01); ngx.say("slept") }',
      nresty: { content: async (ngx) => { await sleep(10); ngx.say('slept') } },
    } },
  },
  { name: 'ngx.flush(true) between two says sends a chunked response', request: get('/flushonly'), locations: { '= /flushonly': FLUSH_ONLY } },
]

const HEAD_10_KEEPALIVE: DiffCase[] = [
  { name: 'HEAD: ngx.say output sends headers only', request: `HEAD /say HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /say': SAY } },
  { name: 'HEAD: flushed output sends headers only', request: `HEAD /flushonly HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /flushonly': FLUSH_ONLY } },
  {
    name: 'HEAD: a return with text sends its Content-Length',
    request: `HEAD /head/ret HTTP/1.1\r\n${HOST}\r\n`,
    locations: { '= /head/ret': { nginx: 'return 200 "text $uri";', nresty: { return: [200, 'text $uri'] } } },
  },
  { name: 'HEAD: an error page sends its Content-Length', request: `HEAD /sub404 HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /sub404': SUB404 } },
  { name: 'HTTP/1.0: the response has a Content-Length and the connection closes', request: `GET /say HTTP/1.0\r\n${HOST}\r\n`, locations: { '= /say': SAY } },
  { name: 'HTTP/1.0 with Connection: keep-alive keeps the connection', request: `GET /say HTTP/1.0\r\n${HOST}Connection: keep-alive\r\n\r\n`, locations: { '= /say': SAY } },
  { name: 'HTTP/1.0: flushed output is still buffered whole', request: `GET /flushonly HTTP/1.0\r\n${HOST}\r\n`, locations: { '= /flushonly': FLUSH_ONLY } },
  {
    name: 'HTTP/1.0 keep-alive: flushed output is buffered whole',
    request: `GET /flushonly HTTP/1.0\r\n${HOST}Connection: keep-alive\r\n\r\n`,
    locations: { '= /flushonly': FLUSH_ONLY },
  },
  { name: 'HTTP/1.0 POST with a body the handler does not read', request: `POST /say HTTP/1.0\r\n${HOST}Content-Length: 5\r\n\r\nhello`, locations: { '= /say': SAY } },
  { name: 'HTTP/1.1 with Connection: close', request: get('/say', 'Connection: close\r\n'), locations: { '= /say': SAY } },
  {
    name: 'two pipelined requests get two responses in order',
    request: get('/say') + get('/vars'),
    responses: 2,
    locations: { '= /say': SAY, '= /vars': VARS },
  },
  {
    name: 'a pipelined request after a 404 page is answered',
    request: get('/sub404') + get('/say'),
    responses: 2,
    locations: { '= /sub404': SUB404, '= /say': SAY },
  },
  {
    name: 'Expect: 100-continue gets 100 Continue when the body is read',
    request: [send('POST', '/body/read', '', 'Content-Length: 5\r\nExpect: 100-continue\r\n'), 100, 'hello'],
    locations: { '= /body/read': {
      nginx: 'content_by_lua_block { ngx.req.read_body(); ngx.say("body=", ngx.req.get_body_data()) }',
      nresty: { content: async (ngx) => { await ngx.req.readBody(); ngx.say('body=', str(ngx.req.getBodyData())) } },
    } },
  },
  {
    name: 'Expect: 100-continue to a handler that never reads the body',
    request: [send('POST', '/say', '', 'Content-Length: 5\r\nExpect: 100-continue\r\n'), 200, 'hello'],
    locations: { '= /say': SAY },
  },
]

export const OUTPUT_GROUPS: readonly CaseGroup[] = [
  { title: 'output', cases: OUTPUT },
  { title: 'HEAD, HTTP/1.0, keep-alive and pipelining', cases: HEAD_10_KEEPALIVE },
]
