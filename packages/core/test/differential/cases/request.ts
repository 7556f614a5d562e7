// The request side: body size limits and timeouts, URI and POST args, request headers,
// variables, and what nginx's request parsing accepts or refuses.
import { dump, get, HOST, send } from '../case.ts'
import type { CaseGroup, DiffCase, LocationPair } from '../case.ts'
import { SAY, VARS } from './output.ts'

const BODY: LocationPair = {
  nginx: 'client_max_body_size 10; content_by_lua_block { ngx.req.read_body(); ngx.say("body=", ngx.req.get_body_data()) }',
  nresty: { clientMaxBodySize: 10, content: async (ngx) => { await ngx.req.readBody(); ngx.say('body=', ngx.req.getBodyData()) } },
}
const BODY_UNREAD: LocationPair = {
  nginx: 'client_max_body_size 10; content_by_lua_block { ngx.say("no read") }',
  nresty: { clientMaxBodySize: 10, content: (ngx) => ngx.say('no read') },
}
const BODY_SLOW: LocationPair = {
  nginx: 'client_body_timeout 1s; content_by_lua_block { ngx.req.read_body(); ngx.say("body=", ngx.req.get_body_data()) }',
  nresty: { clientBodyTimeout: '1s', content: async (ngx) => { await ngx.req.readBody(); ngx.say('body=', ngx.req.getBodyData()) } },
}
const X100 = 'x'.repeat(100)
const TOO_LARGE = (what: string): RegExp => new RegExp(`\\[error\\] .*client intended to send too large ${what}`)

const BODY_CASES: DiffCase[] = [
  { name: 'a body within client_max_body_size is read', request: send('POST', '/body', 'hello'), locations: { '= /body': BODY } },
  {
    name: 'a Content-Length over client_max_body_size gets the 413 page and a close',
    request: send('POST', '/body', X100),
    locations: { '= /body': BODY },
    errorLog: [TOO_LARGE('body: 100 bytes')],
  },
  {
    name: 'a Content-Length over client_max_body_size gets 413 even if the handler never reads it',
    request: send('POST', '/body0', X100),
    locations: { '= /body0': BODY_UNREAD },
    errorLog: [TOO_LARGE('body: 100 bytes')],
  },
  {
    name: 'a chunked body within client_max_body_size is read',
    request: send('POST', '/body', '5\r\nhello\r\n0\r\n\r\n', 'Transfer-Encoding: chunked\r\n'),
    locations: { '= /body': BODY },
  },
  {
    name: 'a chunked body over client_max_body_size gets the 413 page',
    request: send('POST', '/body', `64\r\n${X100}\r\n0\r\n\r\n`, 'Transfer-Encoding: chunked\r\n'),
    locations: { '= /body': BODY },
    errorLog: [TOO_LARGE('chunked body: 0\\+100 bytes')],
  },
  {
    name: 'a chunked body over client_max_body_size that the handler never reads is discarded, no 413',
    request: send('POST', '/body0', `64\r\n${X100}\r\n0\r\n\r\n`, 'Transfer-Encoding: chunked\r\n'),
    locations: { '= /body0': BODY_UNREAD },
  },
  {
    name: 'a request pipelined after a 413 is not answered',
    request: send('POST', '/body', X100) + get('/say'),
    responses: 2,
    locations: { '= /body': BODY, '= /say': SAY },
    errorLog: [TOO_LARGE('body: 100 bytes')],
  },
  {
    name: 'Expect: 100-continue with a Content-Length over the limit gets the 413 alone',
    request: send('POST', '/body', '', 'Content-Length: 100\r\nExpect: 100-continue\r\n'),
    locations: { '= /body': BODY },
    errorLog: [TOO_LARGE('body: 100 bytes')],
  },
  {
    name: 'a body that stops coming: the connection is closed after client_body_timeout',
    request: send('POST', '/body/slow', 'he', 'Content-Length: 5\r\n'),
    locations: { '= /body/slow': BODY_SLOW },
    timeoutMs: 4000,
  },
]

const ARGS: LocationPair = {
  nginx: `content_by_lua_block {
    ngx.say(dump(ngx.req.get_uri_args()))
    ngx.say("args=", ngx.var.args, " is_args=[", ngx.var.is_args, "] arg_a=", ngx.var.arg_a, " query_string=", ngx.var.query_string)
    ngx.say("uri=", ngx.var.uri, " request_uri=", ngx.var.request_uri)
  }`,
  nresty: { content: (ngx) => {
    ngx.say(dump(ngx.req.getUriArgs().args))
    ngx.say('args=', ngx.var['args'], ' is_args=[', ngx.var['is_args'], '] arg_a=', ngx.var['arg_a'], ' query_string=', ngx.var['query_string'])
    ngx.say('uri=', ngx.var['uri'], ' request_uri=', ngx.var['request_uri'])
  } },
}
const POST_ARGS: LocationPair = {
  nginx: 'content_by_lua_block { ngx.req.read_body(); local a, err = ngx.req.get_post_args(); ngx.say(dump(a), " ", tostring(err)) }',
  nresty: { content: async (ngx) => {
    await ngx.req.readBody()
    const r = ngx.req.getPostArgs()
    ngx.say(dump(r.args), ' ', r.truncated ? 'truncated' : 'nil')
  } },
}
const URI: LocationPair = {
  nginx: 'content_by_lua_block { ngx.say("uri=", ngx.var.uri, " request_uri=", ngx.var.request_uri, " args=", ngx.var.args) }',
  nresty: { content: (ngx) => ngx.say('uri=', ngx.var['uri'], ' request_uri=', ngx.var['request_uri'], ' args=', ngx.var['args']) },
}

const argsCase = (q: string, name: string): DiffCase => ({ name, request: get(`/args${q}`), locations: { '= /args': ARGS } })
const postCase = (name: string, headers: string, body: string): DiffCase => ({
  name, request: send('POST', '/post', body, headers), locations: { '= /post': POST_ARGS },
})
const FORM = 'Content-Type: application/x-www-form-urlencoded\r\n'

const ARGS_HEADERS_VARS: DiffCase[] = [
  argsCase('', 'no query string: empty args, $args nil'),
  argsCase('?', 'a lone "?": empty args'),
  argsCase('?a=1&a=2&b&c=&=d&e=%20f+g&%61=h&&x=1;y=2', 'URI args: repeats, bare keys, empty values, escapes, "+"'),
  argsCase('?a=%zz&b=%4', 'URI args with bad escapes are kept as they are'),
  argsCase('?A=1&a=2', 'URI arg names are case-sensitive'),
  argsCase('?a==b&c=d=e', 'URI arg values keep further "="'),
  argsCase('?%00=x&y=%00', 'URI args with escaped NUL bytes'),
  {
    name: 'get_uri_args(2) stops at two args and says truncated',
    request: get('/args2?a=1&b=2&c=3'),
    locations: { '= /args2': {
      nginx: 'content_by_lua_block { local a, err = ngx.req.get_uri_args(2); ngx.say(dump(a), " ", tostring(err)) }',
      nresty: { content: (ngx) => { const r = ngx.req.getUriArgs(2); ngx.say(dump(r.args), ' ', r.truncated ? 'truncated' : 'nil') } },
    } },
  },
  {
    name: 'get_uri_args() stops at 100 args by default',
    request: get(`/args3?${Array.from({ length: 105 }, (_, i) => `k${i}=${i}`).join('&')}`),
    locations: { '= /args3': {
      nginx: 'content_by_lua_block { local a, err = ngx.req.get_uri_args(); local n = 0; for _ in pairs(a) do n = n + 1 end; ngx.say(n, " ", tostring(err)) }',
      nresty: { content: (ngx) => { const r = ngx.req.getUriArgs(); ngx.say(Object.keys(r.args).length, ' ', r.truncated ? 'truncated' : 'nil') } },
    } },
  },
  postCase('POST args from a form body', FORM, 'a=1&a=2&b=%20+x&c&=d'),
  postCase('POST args without a Content-Type are empty', '', 'a=1'),
  postCase('POST args of a multipart body are empty', 'Content-Type: multipart/form-data; boundary=x\r\n', 'a=1'),
  postCase('POST args of an empty form body', FORM, ''),
  {
    name: 'get_post_args before the body is read fails',
    request: send('POST', '/postnoread', 'a=1', FORM),
    locations: { '= /postnoread': {
      nginx: 'content_by_lua_block { local ok, a, err = pcall(ngx.req.get_post_args); ngx.say(tostring(ok), " ", ok and dump(a) or errmsg(a), " ", tostring(err)) }',
      nresty: { content: (ngx) => {
        try {
          const r = ngx.req.getPostArgs()
          ngx.say('true ', dump(r.args), ' nil')
        } catch (e) {
          ngx.say('false ', (e as Error).message, ' nil')
        }
      } },
    } },
  },
  {
    name: 'get_headers: raw names, repeats as arrays, empty values; a header with "_" is dropped',
    request: get('/hdrs', 'X-Foo: 1\r\nx-foo: 2\r\nX_Foo: 3\r\nCookie: a=1\r\nCookie: b=2\r\nEmpty:\r\n'),
    locations: { '= /hdrs': {
      nginx: `content_by_lua_block {
        ngx.say(dump(ngx.req.get_headers(0, true)))
        ngx.say(dump(ngx.req.get_headers()))
        ngx.say(dump(ngx.req.get_headers()["x-foo"]))
      }`,
      nresty: { content: (ngx) => {
        ngx.say(dump(ngx.req.getHeaders(0, true).headers))
        ngx.say(dump(ngx.req.getHeaders().headers))
        ngx.say(dump(ngx.req.getHeaders().headers['x-foo']))
      } },
    } },
  },
  {
    name: 'get_headers(2) stops at two headers and says truncated',
    request: get('/hdrs2', 'X-Foo: 1\r\nX-Bar: 2\r\n'),
    locations: { '= /hdrs2': {
      nginx: 'content_by_lua_block { local h, err = ngx.req.get_headers(2); ngx.say(dump(h), " ", tostring(err)) }',
      nresty: { content: (ngx) => { const r = ngx.req.getHeaders(2); ngx.say(dump(r.headers), ' ', r.truncated ? 'truncated' : 'nil') } },
    } },
  },
  { name: 'variables: status, host, scheme, protocol, headers, cookies, request', request: get('/vars', 'X-Foo: f\r\nCookie: a=1; b=2\r\n'), locations: { '= /vars': VARS } },
  { name: 'variables of an HTTP/1.0 request without Host', request: 'GET /vars HTTP/1.0\r\n\r\n', locations: { '= /vars': VARS } },
  { name: '$host is the Host header lower-cased, without the port', request: 'GET /vars HTTP/1.1\r\nHost: LocalHost:8080\r\n\r\n', locations: { '= /vars': VARS } },
  { name: 'a header name with "_" is ignored', request: get('/vars', 'X_Foo: u\r\n'), locations: { '= /vars': VARS } },
  { name: 'absolute-form request target: $host from the URL', request: 'GET http://example.com/vars HTTP/1.1\r\nHost: localhost\r\n\r\n', locations: { '= /vars': VARS } },
  { name: 'absolute-form request target for the same host', request: 'GET http://localhost/say HTTP/1.1\r\nHost: other\r\n\r\n', locations: { '= /say': SAY } },
  { name: '$uri is decoded, $request_uri is not', request: get('/uri/a%2Fb%20c?q=%41'), locations: { '/uri/': URI } },
  { name: '"." and ".." segments are resolved', request: get('/uri/a/../b'), locations: { '/uri/': URI } },
  { name: 'escaped ".." segments are resolved', request: get('/uri/%2e%2e/x'), locations: { '/uri/': URI } },
  { name: 'repeated slashes are merged', request: get('//uri//a'), locations: { '/uri/': URI } },
]

const CLIENT_ERROR = (what: string): RegExp => new RegExp(`\\[info\\] .*client sent ${what}`)
const MALFORMED: DiffCase[] = [
  { name: 'a garbage request line gets 400', request: 'GARBAGE\r\n\r\n', errorLog: [CLIENT_ERROR('invalid method while reading client request line')] },
  { name: 'a method with bad characters gets 400', request: `G@T /say HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /say': SAY }, errorLog: [CLIENT_ERROR('invalid method')] },
  { name: 'a header name with a space gets 400', request: get('/say', 'Bad Header: x\r\n'), locations: { '= /say': SAY }, errorLog: [CLIENT_ERROR('invalid header line')] },
  { name: 'a header line without a colon is accepted', request: get('/say', 'NoColon\r\n'), locations: { '= /say': SAY } },
  {
    name: 'a header line longer than large_client_header_buffers gets 400',
    request: get('/say', `X-Big: ${'a'.repeat(10 * 1024)}\r\n`),
    locations: { '= /say': SAY },
    errorLog: [CLIENT_ERROR('too long header line')],
  },
  {
    name: 'a request line longer than large_client_header_buffers gets 414',
    request: get(`/say?${'a'.repeat(10 * 1024)}`),
    locations: { '= /say': SAY },
    errorLog: [CLIENT_ERROR('too long URI')],
  },
  {
    name: 'headers over the buffers in total get 400',
    request: get('/say', Array.from({ length: 5 }, (_, i) => `X-B${i}: ${'a'.repeat(7000)}\r\n`).join('')),
    locations: { '= /say': SAY },
    errorLog: [CLIENT_ERROR('too long header line')],
  },
  { name: 'HTTP/1.0 without Host is answered', request: 'GET /say HTTP/1.0\r\n\r\n', locations: { '= /say': SAY } },
  {
    name: 'HTTP/1.1 without Host gets 400',
    request: 'GET /say HTTP/1.1\r\n\r\n',
    locations: { '= /say': SAY },
    errorLog: [CLIENT_ERROR('HTTP/1.1 request without "Host" header')],
  },
  { name: 'a path going above "/" gets 400', request: get('/../x'), errorLog: [CLIENT_ERROR('invalid request while reading client request line')] },
  { name: 'an escaped NUL in the path gets 400', request: get('/%00'), errorLog: [CLIENT_ERROR('invalid request')] },
  { name: 'HTTP/2.0 in the request line gets 505', request: `GET /say HTTP/2.0\r\n${HOST}\r\n`, locations: { '= /say': SAY }, errorLog: [CLIENT_ERROR('invalid version')] },
  { name: 'an HTTP/0.9 request gets the bare body', request: 'GET /say\r\n', locations: { '= /say': SAY }, responses: 0, timeoutMs: 1000 },
  {
    name: 'two Host headers get 400',
    request: `GET /say HTTP/1.1\r\n${HOST}${HOST}\r\n`,
    locations: { '= /say': SAY },
    errorLog: [CLIENT_ERROR('duplicate host header')],
  },
  { name: 'a Host with a slash gets 400', request: 'GET /say HTTP/1.1\r\nHost: a/b\r\n\r\n', locations: { '= /say': SAY }, errorLog: [CLIENT_ERROR('invalid host')] },
  { name: 'an unknown method is answered', request: `FOO /say HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /say': SAY } },
  { name: 'a lower-case method gets 400', request: `get /say HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /say': SAY }, errorLog: [CLIENT_ERROR('invalid method')] },
  { name: 'a space inside the request target gets 400', request: `GET /say x HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /say': SAY }, errorLog: [CLIENT_ERROR('invalid request')] },
  {
    name: 'Content-Length together with chunked Transfer-Encoding gets 400',
    request: send('POST', '/body', '3\r\nabc\r\n0\r\n\r\n', 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n'),
    locations: { '= /body': BODY },
  },
  {
    name: 'a non-numeric Content-Length gets 400',
    request: send('POST', '/body', '', 'Content-Length: abc\r\n'),
    locations: { '= /body': BODY },
    errorLog: [CLIENT_ERROR('invalid "Content-Length" header')],
  },
  { name: 'an unknown Transfer-Encoding gets 501', request: send('POST', '/body', '', 'Transfer-Encoding: gzip\r\n'), locations: { '= /body': BODY } },
  { name: 'LF-only line ends are accepted', request: 'GET /say HTTP/1.1\nHost: localhost\n\n', locations: { '= /say': SAY } },
]

export const REQUEST_GROUPS: readonly CaseGroup[] = [
  { title: 'request body', cases: BODY_CASES },
  { title: 'args, request headers and variables', cases: ARGS_HEADERS_VARS },
  { title: 'malformed requests', cases: MALFORMED },
]
