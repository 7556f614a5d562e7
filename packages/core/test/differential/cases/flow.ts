// Control flow: ngx.exit in each phase, errors thrown by handlers, ngx.redirect, ngx.exec.
import { get } from '../case.ts'
import type { CaseGroup, DiffCase, LocationPair } from '../case.ts'
import type { Handler, Ngx } from '../../../src/index.ts'

type Phase = 'rewrite' | 'access' | 'content'
/** What runs before ngx.exit: nothing, a say, a say + flush(true), or setting a Location header. */
type Pre = 'none' | 'say' | 'flush' | 'location'

const CONTENT_REACHED: Handler = (ngx) => ngx.say('content reached')

const PRE_LUA: Record<Pre, string> = {
  none: '',
  say: 'ngx.say("pre");',
  flush: 'ngx.say("pre"); ngx.flush(true);',
  location: 'ngx.header.Location = "/target";',
}

/** `pre`, then `ngx.exit(code)` unless code is undefined; synchronous unless it flushes. */
function step(pre: Pre, code: number | undefined): Handler {
  const end = (ngx: Ngx): void => { if (code !== undefined) ngx.exit(code) }
  switch (pre) {
    case 'none': return end
    case 'say': return (ngx) => { ngx.say('pre'); end(ngx) }
    case 'location': return (ngx) => { ngx.header['Location'] = '/target'; end(ngx) }
    case 'flush': return async (ngx) => { ngx.say('pre'); await ngx.flush(true); end(ngx) }
  }
}

function exitCase(phase: Phase, pre: Pre, code: number | undefined, name: string, extra: Partial<DiffCase> = {}): DiffCase {
  const path = `/exit/${phase}/${pre}/${code ?? 'none'}`
  const lua = `${PRE_LUA[pre]} ${code === undefined ? '' : `ngx.exit(${code})`}`
  const pair: LocationPair = phase === 'content'
    ? {
        nginx: `content_by_lua_block { ${lua} ngx.say("content reached") }`,
        nresty: { content: async (ngx) => { await step(pre, code)(ngx); ngx.say('content reached') } },
      }
    : {
        nginx: `${phase}_by_lua_block { ${lua} } content_by_lua_block { ngx.say("content reached") }`,
        nresty: { [phase]: step(pre, code), content: CONTENT_REACHED },
      }
  return { name, request: get(path), locations: { [`= ${path}`]: pair }, ...extra }
}

/** What the reference does for ngx.exit(code) before any output. */
const EXIT_EFFECT: readonly (readonly [code: number, effect: string])[] = [
  [0, 'ends the handler (ngx.OK)'],
  [200, 'sends an empty 200'],
  [201, 'sends an empty 201'],
  [204, 'sends 204 without a body'],
  [301, 'sends the 301 page'],
  [302, 'sends the 302 page'],
  [400, 'sends the 400 page and closes'],
  [403, 'sends the 403 page'],
  [404, 'sends the 404 page'],
  [413, 'sends the 413 page and closes'],
  [444, 'closes without a response'],
  [499, 'closes without a response'],
  [500, 'sends the 500 page and closes'],
  [503, 'sends the 503 page'],
  [-1, 'closes without a response (ngx.ERROR)'],
  [408, 'closes without a response'],
  [418, 'sends 418 without a page or Content-Type'],
  [600, 'sends 600 without a page or Content-Type'],
]

const AFTER_OUTPUT = (code: number): RegExp =>
  new RegExp(`\\[error\\] .*attempt to set status ${code} via ngx\\.exit after sending out the response status 200`)

const EXIT: DiffCase[] = []
for (const phase of ['rewrite', 'access', 'content'] as const) {
  for (const [code, effect] of EXIT_EFFECT) {
    const what = code === 0 && phase === 'content' ? 'ends the request (ngx.OK)' : effect
    EXIT.push(exitCase(phase, 'none', code, `${phase}: ngx.exit(${code}) ${what}`))
  }
}
for (const phase of ['rewrite', 'access', 'content'] as const) {
  EXIT.push(exitCase(phase, 'say', undefined, `${phase}: a handler that says and returns ${phase === 'content' ? 'sends its output' : 'ends the request'}`))
  EXIT.push(exitCase(phase, 'flush', undefined, `${phase}: a handler that flushes and returns ${phase === 'content' ? 'sends its output' : 'ends the request'}`))
}
EXIT.push(exitCase('access', 'say', 0, 'access: say then ngx.exit(ngx.OK) ends the request after the handler'))
EXIT.push(exitCase('access', 'say', 500, 'access: say then ngx.exit(500) keeps the 200 sent', { errorLog: [AFTER_OUTPUT(500)] }))
for (const phase of ['rewrite', 'content'] as const) {
  for (const code of [301, 302, 200]) EXIT.push(exitCase(phase, 'location', code, `${phase}: ngx.header.Location then ngx.exit(${code})`))
  for (const code of [500, 404, 302]) {
    EXIT.push(exitCase(phase, 'say', code, `${phase}: say then ngx.exit(${code}) keeps the 200 sent and logs it`, { errorLog: [AFTER_OUTPUT(code)] }))
  }
  EXIT.push(exitCase(phase, 'say', 200, `${phase}: say then ngx.exit(200) ends the response`))
  EXIT.push(exitCase(phase, 'say', 0, `${phase}: say then ngx.exit(ngx.OK)`))
  EXIT.push(exitCase(phase, 'say', 444, `${phase}: say then ngx.exit(444) closes`))
  EXIT.push(exitCase(phase, 'say', -1, `${phase}: say then ngx.exit(ngx.ERROR) closes`))
  EXIT.push(exitCase(phase, 'flush', 500, `${phase}: flush then ngx.exit(500) ends the chunked response and logs it`, { errorLog: [AFTER_OUTPUT(500)] }))
  for (const code of [200, 0]) EXIT.push(exitCase(phase, 'flush', code, `${phase}: flush then ngx.exit(${code}) ends the chunked response`))
  for (const code of [444, -1]) EXIT.push(exitCase(phase, 'flush', code, `${phase}: flush then ngx.exit(${code}) cuts the chunked response`))
}

const ABORTED_BOOM = /\[error\] .*aborted: .*boom/

function errCase(name: string, path: string, nginx: string, nresty: LocationPair['nresty'], errorLog: readonly RegExp[]): DiffCase {
  return { name, request: get(path), locations: { [`= ${path}`]: { nginx, nresty } }, errorLog }
}

const ERRORS: DiffCase[] = [
  errCase('a rewrite handler that throws sends the 500 page and closes', '/err/rewrite',
    'rewrite_by_lua_block { error("boom") } content_by_lua_block { ngx.say("ok") }',
    { rewrite: () => { throw new Error('boom') }, content: (ngx) => ngx.say('ok') }, [ABORTED_BOOM]),
  errCase('an access handler that throws sends the 500 page and closes', '/err/access',
    'access_by_lua_block { error("boom") } content_by_lua_block { ngx.say("ok") }',
    { access: () => { throw new Error('boom') }, content: (ngx) => ngx.say('ok') }, [ABORTED_BOOM]),
  errCase('a content handler that throws sends the 500 page and closes', '/err/content',
    'content_by_lua_block { error("boom") }', { content: () => { throw new Error('boom') } }, [ABORTED_BOOM]),
  errCase('a content handler that throws after a flush cuts the chunked response', '/err/after',
    'content_by_lua_block { ngx.say("partial"); ngx.flush(true); error("boom") }',
    { content: async (ngx) => { ngx.say('partial'); await ngx.flush(true); throw new Error('boom') } }, [ABORTED_BOOM]),
  errCase('a content handler that throws after an unflushed say closes the connection', '/err/aftersay',
    'content_by_lua_block { ngx.say("partial"); error("boom") }',
    { content: (ngx) => { ngx.say('partial'); throw new Error('boom') } }, [ABORTED_BOOM]),
  errCase('throwing a non-error value logs "unknown reason"', '/err/table',
    'content_by_lua_block { error({code = 1}) }',
    { content: () => { throw { code: 1 } } }, [/\[error\] .*aborted: (runtime error: )?unknown reason/]),
  errCase('throwing nothing logs "unknown reason"', '/err/nil',
    'content_by_lua_block { error() }',
    { content: () => { throw undefined } }, [/\[error\] .*aborted: (runtime error: )?unknown reason/]),
  errCase('a runtime error (indexing nil) sends the 500 page', '/err/nilidx',
    'content_by_lua_block { local t = nil; return t.x }',
    { content: () => { const t = undefined as unknown as Record<string, unknown>; return t['x'] } }, [/\[error\] .*aborted: /]),
]

export const OTHER: LocationPair = {
  nginx: 'content_by_lua_block { ngx.say("uri=", ngx.var.uri, " args=", ngx.var.args, " request_uri=", ngx.var.request_uri, " internal=", ngx.req.is_internal(), " ctx=", ngx.ctx.x) }',
  nresty: { content: (ngx) => ngx.say('uri=', ngx.var['uri'], ' args=', ngx.var['args'], ' request_uri=', ngx.var['request_uri'], ' internal=', ngx.req.isInternal(), ' ctx=', ngx.ctx['x']) },
}
const NAMED: LocationPair = {
  nginx: 'content_by_lua_block { ngx.say("named uri=", ngx.var.uri, " args=", ngx.var.args) }',
  nresty: { content: (ngx) => ngx.say('named uri=', ngx.var['uri'], ' args=', ngx.var['args']) },
}
const LOOP: LocationPair = {
  nginx: 'content_by_lua_block { ngx.exec("/loop") }',
  nresty: { content: (ngx) => ngx.exec('/loop') },
}

/** `/<kind>/<n>`: the call in a content handler followed by ngx.say("not reached"). */
function callCase(kind: 'redir' | 'exec', n: string, name: string, lua: string, ts: (ngx: Ngx) => void, extra: Partial<DiffCase> = {}): DiffCase {
  const path = `/${kind}/${n}`
  return {
    name,
    request: get(path),
    locations: {
      [`= ${path}`]: {
        nginx: `content_by_lua_block { ${lua}; ngx.say("not reached") }`,
        nresty: { content: (ngx) => { ts(ngx); ngx.say('not reached') } },
      },
      '= /other': OTHER,
      '@named': NAMED,
      '= /loop': LOOP,
    },
    ...extra,
  }
}

const ONLY_REDIRECT_CODES = /only ngx\.HTTP_MOVED_TEMPORARILY, ngx\.HTTP_MOVED_PERMANENTLY, ngx\.HTTP_PERMANENT_REDIRECT, ngx\.HTTP_SEE_OTHER, and ngx\.HTTP_TEMPORARY_REDIRECT are allowed/

const REDIRECT_1 = callCase('redir', '1', 'ngx.redirect("/x") sends the 302 page', 'ngx.redirect("/x")', (ngx) => ngx.redirect('/x'))

const REDIRECT: DiffCase[] = [
  {
    name: 'ngx.redirect in rewrite sends a 302 with the Location as given',
    request: get('/redir/rw'),
    locations: { '= /redir/rw': {
      nginx: 'rewrite_by_lua_block { ngx.redirect("/x") } content_by_lua_block { ngx.say("not reached") }',
      nresty: { rewrite: (ngx) => ngx.redirect('/x'), content: (ngx) => ngx.say('not reached') },
    } },
  },
  REDIRECT_1,
  callCase('redir', '2', 'ngx.redirect to an absolute URL with 301', 'ngx.redirect("http://a/b", 301)', (ngx) => ngx.redirect('http://a/b', 301)),
  callCase('redir', '3', 'ngx.redirect with CR LF in the uri fails with 500', 'ngx.redirect("/a\\r\\nb")', (ngx) => ngx.redirect('/a\r\nb'),
    { errorLog: [/unsafe byte "0x0d" in redirect uri "\/a\\x0D\\x0Ab"/] }),
  callCase('redir', '4', 'ngx.redirect with status 200 fails with 500', 'ngx.redirect("/x", 200)', (ngx) => ngx.redirect('/x', 200),
    { errorLog: [ONLY_REDIRECT_CODES] }),
  callCase('redir', '5', 'ngx.redirect after output fails and cuts the connection', 'ngx.say("x"); ngx.redirect("/x")', (ngx) => { ngx.say('x'); ngx.redirect('/x') },
    { errorLog: [/attempt to call ngx\.redirect after sending out the headers/] }),
  callCase('redir', '6', 'ngx.redirect with 303', 'ngx.redirect("/x", 303)', (ngx) => ngx.redirect('/x', 303)),
  callCase('redir', '7', 'ngx.redirect with 307', 'ngx.redirect("/x", 307)', (ngx) => ngx.redirect('/x', 307)),
  callCase('redir', '8', 'ngx.redirect with 308', 'ngx.redirect("/x", 308)', (ngx) => ngx.redirect('/x', 308)),
  callCase('redir', '9', 'ngx.redirect to a relative path keeps it relative', 'ngx.redirect("rel/x")', (ngx) => ngx.redirect('rel/x')),
  callCase('redir', '10', 'ngx.redirect keeps a space and a quote in the uri', 'ngx.redirect("/a b\\"c")', (ngx) => ngx.redirect('/a b"c')),
  callCase('redir', '11', 'ngx.redirect with 304 fails with 500', 'ngx.redirect("/x", 304)', (ngx) => ngx.redirect('/x', 304),
    { errorLog: [ONLY_REDIRECT_CODES] }),
  callCase('redir', '12', 'ngx.redirect keeps the query string', 'ngx.redirect("/x?a=1")', (ngx) => ngx.redirect('/x?a=1')),
  {
    name: 'ngx.redirect with a Host that has a port sends the Location as given',
    request: 'GET /redir/1 HTTP/1.1\r\nHost: example.com:1234\r\n\r\n',
    locations: REDIRECT_1.locations ?? {},
  },
]

const EXEC: DiffCase[] = [
  {
    name: 'ngx.exec in rewrite with string args',
    request: get('/exec/rw'),
    locations: {
      '= /exec/rw': {
        nginx: 'rewrite_by_lua_block { ngx.exec("/other", "a=1") } content_by_lua_block { ngx.say("not reached") }',
        nresty: { rewrite: (ngx) => ngx.exec('/other', 'a=1'), content: (ngx) => ngx.say('not reached') },
      },
      '= /other': OTHER,
    },
  },
  callCase('exec', '1', 'ngx.exec to a location: new $uri, same $request_uri, internal', 'ngx.exec("/other")', (ngx) => ngx.exec('/other')),
  callCase('exec', '2', 'ngx.exec to a named location keeps $uri and $args', 'ngx.exec("@named")', (ngx) => ngx.exec('@named')),
  callCase('exec', '3', 'ngx.exec with table args escapes them', 'ngx.exec("/other", {a="1 2"})', (ngx) => ngx.exec('/other', { a: '1 2' })),
  callCase('exec', '4', 'ngx.exec with a query string in the uri', 'ngx.exec("/other?a=1")', (ngx) => ngx.exec('/other?a=1')),
  callCase('exec', '5', 'ngx.exec with a query string and string args', 'ngx.exec("/other?a=1", "b=2")', (ngx) => ngx.exec('/other?a=1', 'b=2')),
  callCase('exec', '6', 'ngx.exec with a query string and table args', 'ngx.exec("/other?a=1", {b=2})', (ngx) => ngx.exec('/other?a=1', { b: 2 })),
  callCase('exec', '7', 'ngx.exec in a loop ends with 500 after 10 redirects', 'ngx.exec("/loop")', (ngx) => ngx.exec('/loop'),
    { errorLog: [/rewrite or internal redirection cycle while internally redirecting to "\/loop"/] }),
  callCase('exec', '8', 'ngx.exec after output fails and cuts the connection', 'ngx.say("x"); ngx.exec("/other")', (ngx) => { ngx.say('x'); ngx.exec('/other') },
    { errorLog: [/attempt to call ngx\.exec after sending out response headers/] }),
  callCase('exec', '9', 'ngx.exec to a missing named location sends 500', 'ngx.exec("@missing")', (ngx) => ngx.exec('@missing'),
    { errorLog: [/\[error\] .*could not find named location "@missing"/] }),
  callCase('exec', '10', 'ngx.exec("") fails with 500', 'ngx.exec("")', (ngx) => ngx.exec(''),
    { errorLog: [/The uri argument is empty/] }),
  callCase('exec', '11', 'ngx.exec to a named location ignores args, with a warning', 'ngx.exec("@named", "a=1")', (ngx) => ngx.exec('@named', 'a=1'),
    { errorLog: [/\[warn\] .*query strings a=1 ignored when exec'ing named location @named/] }),
  callCase('exec', '12', 'ngx.exec with a boolean arg', 'ngx.exec("/other", {a=true})', (ngx) => ngx.exec('/other', { a: true })),
  callCase('exec', '13', 'ngx.exec to a uri no location matches sends 404', 'ngx.exec("/nolocation")', (ngx) => ngx.exec('/nolocation')),
  callCase('exec', '14', 'ngx.exec to "uri?" gives empty $args', 'ngx.exec("/other?")', (ngx) => ngx.exec('/other?')),
]

export const FLOW_GROUPS: readonly CaseGroup[] = [
  { title: 'ngx.exit in each phase', cases: EXIT },
  { title: 'handler errors', cases: ERRORS },
  { title: 'ngx.redirect', cases: REDIRECT },
  { title: 'ngx.exec', cases: EXEC },
]
