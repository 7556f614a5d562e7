// The response side: ngx.header and ngx.status, the return directive, add_header, error_page,
// and server-level settings inherited by locations.
import { dump, get, HOST, send, str } from '../case.ts'
import type { CaseGroup, DiffCase, LocationPair, ServerPair } from '../case.ts'
import type { Handler } from '../../../src/index.ts'

/** `/hdr/<n>`: a content handler that plays with headers and status. */
function hdr(n: number, name: string, lua: string, ts: Handler, extra: Partial<DiffCase> = {}): DiffCase {
  const path = `/hdr/${n}`
  return { name, request: get(path), locations: { [`= ${path}`]: { nginx: `content_by_lua_block { ${lua} }`, nresty: { content: ts } } }, ...extra }
}

const AFTER_HEADERS = (what: string): RegExp => new RegExp(`\\[error\\] .*attempt to set ${what} after sending out response headers`)

const HEADERS: DiffCase[] = [
  hdr(1, 'ngx.header.content_type sets Content-Type', 'ngx.header.content_type = "text/plain; charset=utf-8"; ngx.say("x")',
    (ngx) => { ngx.header['content_type'] = 'text/plain; charset=utf-8'; ngx.say('x') }),
  hdr(2, 'an array value sends the header once per element', 'ngx.header["X-Multi"] = {"a", "b"}; ngx.say("x")',
    (ngx) => { ngx.header['X-Multi'] = ['a', 'b']; ngx.say('x') }),
  hdr(3, 'clearing content_type sends no Content-Type', 'ngx.header.content_type = nil; ngx.say("x")',
    (ngx) => { ngx.header['content_type'] = null; ngx.say('x') }),
  hdr(4, 'setting a header after output is refused and logged', 'ngx.say("x"); ngx.header["X-Late"] = "1"',
    (ngx) => { ngx.say('x'); ngx.header['X-Late'] = '1' }, { errorLog: [AFTER_HEADERS('ngx\\.header\\.HEADER')] }),
  hdr(5, 'CR LF in a header value is sent escaped', 'ngx.header["X-Bad"] = "a\\r\\nb"; ngx.say("x")',
    (ngx) => { ngx.header['X-Bad'] = 'a\r\nb'; ngx.say('x') }),
  hdr(6, 'underscores in a field name become dashes', 'ngx.header.x_under_score = "1"; ngx.say("x")',
    (ngx) => { ngx.header['x_under_score'] = '1'; ngx.say('x') }),
  hdr(7, 'underscores in a bracketed name become dashes too', 'ngx.header["X_Raw"] = "1"; ngx.say("x")',
    (ngx) => { ngx.header['X_Raw'] = '1'; ngx.say('x') }),
  hdr(8, 'ngx.resp.get_headers before output, lower-cased and raw',
    'ngx.header["X-A"] = "1"; ngx.header["X-B"] = {"1", "2"}; ngx.header.content_type = "text/x"; ngx.say(dump(ngx.resp.get_headers()), "\\n", dump(ngx.resp.get_headers(0, true)))',
    (ngx) => {
      ngx.header['X-A'] = '1'
      ngx.header['X-B'] = ['1', '2']
      ngx.header['content_type'] = 'text/x'
      ngx.say(dump(ngx.resp.getHeaders().headers), '\n', dump(ngx.resp.getHeaders(0, true).headers))
    }),
  hdr(80, 'ngx.resp.get_headers after the first output shows Transfer-Encoding',
    'ngx.say("x"); ngx.say(dump(ngx.resp.get_headers()))',
    (ngx) => { ngx.say('x'); ngx.say(dump(ngx.resp.getHeaders().headers)) }),
  hdr(9, 'a Content-Length set by the handler is sent', 'ngx.header["Content-Length"] = 3; ngx.print("abc")',
    (ngx) => { ngx.header['Content-Length'] = 3; ngx.print('abc') }),
  hdr(10, 'an empty header value sends no header', 'ngx.header["X-Empty"] = ""; ngx.say("x")',
    (ngx) => { ngx.header['X-Empty'] = ''; ngx.say('x') }),
  hdr(11, 'a relative Location set by the handler stays relative', 'ngx.header.location = "/rel"; ngx.say("x")',
    (ngx) => { ngx.header['location'] = '/rel'; ngx.say('x') }),
  hdr(12, 'number values are sent as Lua prints them', 'ngx.header["X-Num"] = 12; ngx.header["X-Float"] = 1.5; ngx.say("x")',
    (ngx) => { ngx.header['X-Num'] = 12; ngx.header['X-Float'] = 1.5; ngx.say('x') }),
  hdr(13, 'setting nil removes a header', 'ngx.header["X-Gone"] = "1"; ngx.header["X-Gone"] = nil; ngx.say("x")',
    (ngx) => { ngx.header['X-Gone'] = '1'; ngx.header['X-Gone'] = null; ngx.say('x') }),
  hdr(14, 'two Set-Cookie values', 'ngx.header["Set-Cookie"] = {"a=1", "b=2"}; ngx.say("x")',
    (ngx) => { ngx.header['Set-Cookie'] = ['a=1', 'b=2']; ngx.say('x') }),
  hdr(15, 'reading ngx.header ignores case and "_"', 'ngx.header["X-Foo"] = "1"; ngx.say(ngx.header["x_foo"], " ", ngx.header["X-FOO"], " ", tostring(ngx.header["nope"]))',
    (ngx) => { ngx.header['X-Foo'] = '1'; ngx.say(ngx.header['x_foo'], ' ', ngx.header['X-FOO'], ' ', str(ngx.header['nope'])) }),
  hdr(16, 'ngx.status = 201 before output', 'ngx.status = 201; ngx.say("x")', (ngx) => { ngx.status = 201; ngx.say('x') }),
  hdr(17, 'LF in a header value is sent escaped', 'ngx.header["X-Bad2"] = "a\\nb"; ngx.say("x")', (ngx) => { ngx.header['X-Bad2'] = 'a\nb'; ngx.say('x') }),
  hdr(18, 'an empty array sends no header', 'ngx.header["X-Multi"] = {}; ngx.say("x")', (ngx) => { ngx.header['X-Multi'] = []; ngx.say('x') }),
  hdr(19, 'a header set twice under two spellings keeps the last',
    'ngx.header["Content-Type"] = "text/html"; ngx.header["X-Dup"] = "1"; ngx.header["x-dup"] = "2"; ngx.say(dump(ngx.resp.get_headers()))',
    (ngx) => { ngx.header['Content-Type'] = 'text/html'; ngx.header['X-Dup'] = '1'; ngx.header['x-dup'] = '2'; ngx.say(dump(ngx.resp.getHeaders().headers)) }),
  hdr(20, 'a Content-Length larger than the body leaves the response short', 'ngx.header["Content-Length"] = 10; ngx.print("abc")',
    (ngx) => { ngx.header['Content-Length'] = 10; ngx.print('abc') }),
  hdr(21, 'setting ngx.status after output is refused and logged', 'ngx.say("x"); ngx.status = 404',
    (ngx) => { ngx.say('x'); ngx.status = 404 }, { errorLog: [AFTER_HEADERS('ngx\\.status')] }),
  hdr(22, 'the handler may set Server and Date', 'ngx.header["Server"] = "mine"; ngx.header["Date"] = "d"; ngx.say("x")',
    (ngx) => { ngx.header['Server'] = 'mine'; ngx.header['Date'] = 'd'; ngx.say('x') }),
  hdr(23, 'ngx.header.Connection = "close" is sent beside the server\'s own Connection header', 'ngx.header["Connection"] = "close"; ngx.say("x")',
    (ngx) => { ngx.header['Connection'] = 'close'; ngx.say('x') }),
  hdr(24, 'a Transfer-Encoding: chunked header set by the handler', 'ngx.header["Transfer-Encoding"] = "chunked"; ngx.say("x")',
    (ngx) => { ngx.header['Transfer-Encoding'] = 'chunked'; ngx.say('x') }),
  hdr(25, 'a header name with a space is sent escaped', 'ngx.header["X-Bad Name"] = "1"; ngx.say("x")', (ngx) => { ngx.header['X-Bad Name'] = '1'; ngx.say('x') }),
  hdr(26, 'ngx.status = 204 drops the body', 'ngx.status = 204; ngx.say("x")', (ngx) => { ngx.status = 204; ngx.say('x') }),
  hdr(27, 'ngx.status = 304 drops the body', 'ngx.status = 304; ngx.say("x")', (ngx) => { ngx.status = 304; ngx.say('x') }),
  hdr(28, 'an unknown 2xx status has no reason phrase', 'ngx.status = 299; ngx.say("x")', (ngx) => { ngx.status = 299; ngx.say('x') }),
  hdr(29, 'status 700 is sent as it is', 'ngx.status = 700; ngx.say("x")', (ngx) => { ngx.status = 700; ngx.say('x') }),
  hdr(30, 'Cache-Control and Content-Encoding set by field name', 'ngx.header.cache_control = "no-cache"; ngx.header.content_encoding = "gzip"; ngx.say("x")',
    (ngx) => { ngx.header['cache_control'] = 'no-cache'; ngx.header['content_encoding'] = 'gzip'; ngx.say('x') }),
  hdr(31, 'ngx.status = 500 with output sends the output', 'ngx.status = 500; ngx.say("x")', (ngx) => { ngx.status = 500; ngx.say('x') }),
  hdr(32, 'ngx.resp.add_header adds a second value', 'ngx.header["X-A"] = "1"; require("ngx.resp").add_header("X-A", "2"); ngx.say("x")',
    (ngx) => { ngx.header['X-A'] = '1'; ngx.resp.addHeader('X-A', '2'); ngx.say('x') }),
  hdr(33, 'a 70000-byte say', 'ngx.say(string.rep("a", 70000))', (ngx) => { ngx.say('a'.repeat(70000)) }),
  hdr(34, 'headers set before an error stay on the 500 page', 'ngx.header["X-A"] = "1"; error("x")',
    (ngx) => { ngx.header['X-A'] = '1'; throw new Error('x') }, { errorLog: [/\[error\] .*aborted: .*x/] }),
  hdr(35, 'headers set before ngx.exit(404) stay on the page', 'ngx.header["X-A"] = "1"; ngx.exit(404)',
    (ngx) => { ngx.header['X-A'] = '1'; ngx.exit(404) }),
  hdr(36, 'the error page replaces a Content-Type set before ngx.exit(404)', 'ngx.header.content_type = "application/json"; ngx.exit(404)',
    (ngx) => { ngx.header['content_type'] = 'application/json'; ngx.exit(404) }),
  hdr(37, 'the error page replaces a Content-Length set before ngx.exit(404)', 'ngx.header["Content-Length"] = 5; ngx.exit(404)',
    (ngx) => { ngx.header['Content-Length'] = 5; ngx.exit(404) }),
  hdr(38, 'headers set before ngx.exit(418) are sent', 'ngx.header["X-A"] = "1"; ngx.exit(418)',
    (ngx) => { ngx.header['X-A'] = '1'; ngx.exit(418) }),
  hdr(39, 'ngx.exit(200) keeps a status set before', 'ngx.status = 404; ngx.exit(ngx.HTTP_OK)', (ngx) => { ngx.status = 404; ngx.exit(ngx.HTTP_OK) }),
  hdr(40, 'ngx.exit(204) replaces a status set before', 'ngx.status = 201; ngx.exit(204)', (ngx) => { ngx.status = 201; ngx.exit(204) }),
  hdr(41, 'ngx.exit(201) keeps a status set before', 'ngx.status = 404; ngx.exit(201)', (ngx) => { ngx.status = 404; ngx.exit(201) }),
  hdr(42, 'ngx.exit(ngx.OK) in content sends the status set before', 'ngx.status = 404; ngx.exit(ngx.OK)', (ngx) => { ngx.status = 404; ngx.exit(ngx.OK) }),
]

export const RET1: LocationPair = { nginx: 'return 200 "text $uri";', nresty: { return: [200, 'text $uri'] } }
export const RET2: LocationPair = { nginx: 'return 302 /relative;', nresty: { return: [302, '/relative'] } }

function ret(n: number, name: string, nginx: string, nresty: LocationPair['nresty'], request = get(`/ret${n}`)): DiffCase {
  return { name, request, locations: { [`= /ret${n}`]: { nginx, nresty } } }
}

const RETURN: DiffCase[] = [
  { name: 'return with text sends it with default_type', request: get('/ret1'), locations: { '= /ret1': RET1 } },
  { name: 'return 302 with a relative URL makes it absolute with $host and the port', request: get('/ret2'), locations: { '= /ret2': RET2 } },
  { name: 'return 302 over HTTP/1.0 without Host uses the server address', request: 'GET /ret2 HTTP/1.0\r\n\r\n', locations: { '= /ret2': RET2 } },
  { name: 'return 302 with a Host that has a port', request: 'GET /ret2 HTTP/1.1\r\nHost: localhost:1234\r\n\r\n', locations: { '= /ret2': RET2 } },
  ret(3, 'return 301 with a URL built from $host', 'return 301 http://$host/x;', { return: [301, 'http://$host/x'] }),
  ret(4, 'return 444 closes without a response', 'return 444;', { return: 444 }),
  ret(5, 'return 418 sends the status without a body', 'return 418;', { return: 418 }),
  ret(6, 'return 404 sends the page', 'return 404;', { return: 404 }),
  ret(7, 'return 200 sends an empty 200', 'return 200;', { return: 200 }),
  ret(8, 'return 204 sends 204', 'return 204;', { return: 204 }),
  ret(9, 'return 302 keeps a space in the URL', 'return 302 "http://h/a b";', { return: [302, 'http://h/a b'] }),
  ret(10, 'return 500 with text sends the text, no page', 'return 500 "err body";', { return: [500, 'err body'] }),
  ret(11, 'return 301 without a URL sends the page with an empty Location', 'return 301;', { return: 301 }),
]

const SAY_X: Handler = (ngx) => ngx.say('x')
const AH_EMPTY: LocationPair = {
  nginx: 'add_header X-A ""; add_header X-V $arg_v; content_by_lua_block { ngx.say("x") }',
  nresty: { addHeader: { 'X-A': '', 'X-V': '$arg_v' }, content: SAY_X },
}
const ADD_HEADER: DiffCase[] = [
  { name: 'add_header on a 200', request: get('/ah200'), locations: { '= /ah200': { nginx: 'add_header X-A 1; content_by_lua_block { ngx.say("x") }', nresty: { addHeader: { 'X-A': '1' }, content: SAY_X } } } },
  {
    name: 'add_header is not sent with a 404 page',
    request: get('/ah404'),
    locations: { '= /ah404': { nginx: 'add_header X-A 1; content_by_lua_block { ngx.exit(404) }', nresty: { addHeader: { 'X-A': '1' }, content: (ngx) => ngx.exit(404) } } },
  },
  {
    name: 'add_header always is sent with a 404 page',
    request: get('/ah404always'),
    locations: { '= /ah404always': {
      nginx: 'add_header X-A 1 always; content_by_lua_block { ngx.exit(404) }',
      nresty: { addHeader: { 'X-A': { value: '1', always: true } }, content: (ngx) => ngx.exit(404) },
    } },
  },
  {
    name: 'add_header is not sent when the handler sets status 404',
    request: get('/ahstatus'),
    locations: { '= /ahstatus': { nginx: 'add_header X-A 1; content_by_lua_block { ngx.status = 404; ngx.say("x") }', nresty: { addHeader: { 'X-A': '1' }, content: (ngx) => { ngx.status = 404; ngx.say('x') } } } },
  },
  ...['', '?v=zz'].map((q): DiffCase => ({
    name: `add_header with an empty value sends nothing${q === '' ? ' (empty variable too)' : '; a variable value is sent'}`,
    request: get(`/ahempty${q}`),
    locations: { '= /ahempty': AH_EMPTY },
  })),
  {
    name: 'add_header on a return 302',
    request: get('/ahret'),
    locations: { '= /ahret': { nginx: 'add_header X-A 1; return 302 /x;', nresty: { addHeader: { 'X-A': '1' }, return: [302, '/x'] } } },
  },
]

const CUSTOM: LocationPair = {
  nginx: 'content_by_lua_block { ngx.say("custom status=", ngx.status, " var=", ngx.var.status, " uri=", ngx.var.uri, " method=", ngx.req.get_method()) }',
  nresty: { content: (ngx) => ngx.say('custom status=', ngx.status, ' var=', ngx.var['status'], ' uri=', ngx.var['uri'], ' method=', ngx.req.getMethod()) },
}
const EP_NAMED: LocationPair = {
  nginx: 'content_by_lua_block { ngx.say("epnamed status=", ngx.status) }',
  nresty: { content: (ngx) => ngx.say('epnamed status=', ngx.status) },
}
const EP: LocationPair = {
  nginx: 'error_page 404 /custom; content_by_lua_block { ngx.exit(404) }',
  nresty: { errorPage: { 404: '/custom' }, content: (ngx) => ngx.exit(404) },
}

const ERROR_PAGE: DiffCase[] = [
  { name: 'error_page to a location: the target sees the status and GET', request: get('/ep'), locations: { '= /ep': EP, '= /custom': CUSTOM } },
  {
    name: 'error_page applies to return 404',
    request: get('/ep2'),
    locations: { '= /ep2': { nginx: 'error_page 404 /custom; return 404;', nresty: { errorPage: { 404: '/custom' }, return: 404 } }, '= /custom': CUSTOM },
  },
  {
    name: 'error_page to a named location',
    request: get('/ep3'),
    locations: { '= /ep3': { nginx: 'error_page 404 @epnamed; content_by_lua_block { ngx.exit(404) }', nresty: { errorPage: { 404: '@epnamed' }, content: (ngx) => ngx.exit(404) } }, '@epnamed': EP_NAMED },
  },
  {
    name: 'error_page for the 500 of a failed handler',
    request: get('/ep4'),
    locations: { '= /ep4': { nginx: 'error_page 500 /custom; content_by_lua_block { error("x") }', nresty: { errorPage: { 500: '/custom' }, content: () => { throw new Error('x') } } }, '= /custom': CUSTOM },
    errorLog: [/\[error\] .*aborted: .*x/],
  },
  {
    name: 'error_page pointing at the failing location itself gives the plain page',
    request: get('/ep5'),
    locations: { '= /ep5': { nginx: 'error_page 404 /ep5; content_by_lua_block { ngx.exit(404) }', nresty: { errorPage: { 404: '/ep5' }, content: (ngx) => ngx.exit(404) } } },
  },
  { name: 'error_page turns a POST into a GET for the target', request: send('POST', '/ep', ''), locations: { '= /ep': EP, '= /custom': CUSTOM } },
  { name: 'error_page answers a HEAD without a body', request: `HEAD /ep HTTP/1.1\r\n${HOST}\r\n`, locations: { '= /ep': EP, '= /custom': CUSTOM } },
]

const SRV: ServerPair = {
  name: 'srv.test',
  nginx: 'add_header X-Server on; error_page 404 /srv-404; rewrite_by_lua_block { ngx.ctx.from = "server" }',
  nresty: { addHeader: { 'X-Server': 'on' }, errorPage: { 404: '/srv-404' }, rewrite: (ngx) => { ngx.ctx['from'] = 'server' } },
}
const SRV_LOCATIONS: Readonly<Record<string, LocationPair>> = {
  '= /srv/inherit': {
    nginx: 'content_by_lua_block { ngx.say("from=", ngx.ctx.from) }',
    nresty: { content: (ngx) => ngx.say('from=', ngx.ctx['from']) },
  },
  '= /srv/own': {
    nginx: 'add_header X-Own 1; rewrite_by_lua_block { ngx.ctx.from = "location" } content_by_lua_block { ngx.say("from=", ngx.ctx.from) }',
    nresty: { addHeader: { 'X-Own': '1' }, rewrite: (ngx) => { ngx.ctx['from'] = 'location' }, content: (ngx) => ngx.say('from=', ngx.ctx['from']) },
  },
  '= /srv/missing': { nginx: 'content_by_lua_block { ngx.exit(404) }', nresty: { content: (ngx) => ngx.exit(404) } },
  '= /srv-404': {
    nginx: 'content_by_lua_block { ngx.say("server page for ", ngx.status, " from=", ngx.ctx.from) }',
    nresty: { content: (ngx) => ngx.say('server page for ', ngx.status, ' from=', ngx.ctx['from']) },
  },
}
const DENY: ServerPair = { name: 'deny.test', nginx: 'return 403;', nresty: { return: 403 } }
const srvGet = (host: string, path: string): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`

const SERVER_LEVEL: DiffCase[] = [
  {
    name: 'a location inherits the server add_header and rewrite handler',
    request: srvGet('srv.test', '/srv/inherit'),
    server: SRV,
    locations: SRV_LOCATIONS,
  },
  {
    name: 'a location with its own add_header and rewrite handler replaces the server ones',
    request: srvGet('srv.test', '/srv/own'),
    server: SRV,
    locations: SRV_LOCATIONS,
  },
  { name: 'a server-level error_page applies in its locations', request: srvGet('SRV.test', '/srv/missing'), server: SRV, locations: SRV_LOCATIONS },
  {
    name: 'a server-level return answers before any location',
    request: srvGet('deny.test', '/say'),
    server: DENY,
    locations: { '= /say': { nginx: 'content_by_lua_block { ngx.say("not reached") }', nresty: { content: (ngx) => ngx.say('not reached') } } },
  },
]

const STATIC: LocationPair = { nginx: '', nresty: {} }
const NO_CONTENT: DiffCase[] = [
  { name: 'a location without a handler serves a file from root', request: get('/static/f.txt'), locations: { '/static/': STATIC }, files: { 'html/static/f.txt': 'static file\n' } },
  { name: 'a location without a handler answers 404 for a missing file', request: get('/static/missing'), locations: { '/static/': STATIC } },
  { name: 'an exact location without a handler answers 404', request: get('/nocontent'), locations: { '= /nocontent': { nginx: '', nresty: {} } } },
  { name: 'a uri no location matches answers 404', request: get('/nothing/here') },
]

export const RESPONSE_GROUPS: readonly CaseGroup[] = [
  { title: 'ngx.header and ngx.status', cases: HEADERS },
  { title: 'return', cases: RETURN },
  { title: 'add_header', cases: ADD_HEADER },
  { title: 'error_page', cases: ERROR_PAGE },
  { title: 'server-level settings', cases: SERVER_LEVEL },
  { title: 'locations without a content handler', cases: NO_CONTENT },
]
