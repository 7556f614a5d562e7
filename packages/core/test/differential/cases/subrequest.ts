// Subrequests (ngx.location.capture) and header/body filters.
import { dump, get, str } from '../case.ts'
import type { CaseGroup, DiffCase, LocationPair } from '../case.ts'
import type { CaptureResult, Ngx } from '../../../src/index.ts'
import { OTHER } from './flow.ts'
import { SUB404 } from './output.ts'
import { RET1, RET2 } from './response.ts'

const SUBREQUEST_TARGETS: Readonly<Record<string, LocationPair>> = {
  '= /sub404': SUB404,
  '= /subhdr': {
    nginx: 'content_by_lua_block { ngx.header["X-Sub"] = "1"; ngx.header.content_type = "text/plain"; ngx.status = 201; ngx.say("sub") }',
    nresty: { content: (ngx) => { ngx.header['X-Sub'] = '1'; ngx.header['content_type'] = 'text/plain'; ngx.status = 201; ngx.say('sub') } },
  },
  '= /subexit500': { nginx: 'content_by_lua_block { ngx.exit(500) }', nresty: { content: (ngx) => ngx.exit(500) } },
  '= /subexit200': { nginx: 'content_by_lua_block { ngx.exit(200) }', nresty: { content: (ngx) => ngx.exit(200) } },
  '= /suberror': { nginx: 'content_by_lua_block { ngx.exit(ngx.ERROR) }', nresty: { content: (ngx) => ngx.exit(ngx.ERROR) } },
  '= /suberr': { nginx: 'content_by_lua_block { error("suberr") }', nresty: { content: () => { throw new Error('suberr') } } },
  '= /subpartial': {
    nginx: 'content_by_lua_block { ngx.say("part"); ngx.flush(true); error("late") }',
    nresty: { content: async (ngx) => { ngx.say('part'); await ngx.flush(true); throw new Error('late') } },
  },
  '= /subupper': {
    nginx: 'content_by_lua_block { ngx.say("lower") } body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }',
    nresty: { content: (ngx) => ngx.say('lower'), bodyFilter: (ngx) => { ngx.arg[1] = String(ngx.arg[1]).toUpperCase() } },
  },
  '= /other': OTHER,
  '= /ret1': RET1,
  '= /ret2': RET2,
}

/** `/cap/<n>`: a content handler that captures and prints what it got. */
function cap(n: number, name: string, lua: string, ts: (ngx: Ngx) => Promise<unknown>, extra: Partial<DiffCase> = {}): DiffCase {
  const path = `/cap/${n}`
  return {
    name,
    request: get(path),
    locations: { [`= ${path}`]: { nginx: `content_by_lua_block { ${lua} }`, nresty: { content: ts } }, ...SUBREQUEST_TARGETS },
    ...extra,
  }
}
const summary = (r: CaptureResult): string => `${r.status} len=${r.bodyBuffer.length} ${dump(r.header)}`
const LUA_SUMMARY = 'r.status, " len=", #r.body, " ", dump(r.header)'

const CAPTURE: DiffCase[] = [
  cap(1, 'capturing a 404: status, empty body, truncated',
    `local r = ngx.location.capture("/sub404"); ngx.say(${LUA_SUMMARY}, " t=", tostring(r.truncated))`,
    async (ngx) => { const r = await ngx.location.capture('/sub404'); ngx.say(summary(r), ' t=', str(r.truncated)) }),
  cap(2, 'capturing a response with headers and status 201',
    'local r = ngx.location.capture("/subhdr"); ngx.say(r.status, " ", r.body, dump(r.header))',
    async (ngx) => { const r = await ngx.location.capture('/subhdr'); ngx.say(r.status, ' ', r.body, dump(r.header)) }),
  cap(3, 'capture_multi returns the results in order',
    'local a, b = ngx.location.capture_multi({{"/sub404"}, {"/subhdr"}}); ngx.say(a.status, " ", b.status, " ", b.body)',
    async (ngx) => { const [a, b] = await ngx.location.captureMulti([['/sub404'], ['/subhdr']]); ngx.say(a?.status, ' ', b?.status, ' ', b?.body) }),
  cap(4, 'capturing ngx.exit(500): status only, no page',
    `local r = ngx.location.capture("/subexit500"); ngx.say(${LUA_SUMMARY})`,
    async (ngx) => { ngx.say(summary(await ngx.location.capture('/subexit500'))) }),
  cap(5, 'capture args are added to the query string',
    'local r = ngx.location.capture("/other?x=1", {args = {y = 2}}); ngx.say(r.status, " ", r.body)',
    async (ngx) => { const r = await ngx.location.capture('/other?x=1', { args: { y: 2 } }); ngx.say(r.status, ' ', r.body) }),
  cap(6, 'capturing a uri no location matches',
    `local r = ngx.location.capture("/nonexistent_loc"); ngx.say(${LUA_SUMMARY})`,
    async (ngx) => { ngx.say(summary(await ngx.location.capture('/nonexistent_loc'))) }),
  cap(7, 'capturing a handler that throws gives 500',
    `local r = ngx.location.capture("/suberr"); ngx.say(${LUA_SUMMARY})`,
    async (ngx) => { ngx.say(summary(await ngx.location.capture('/suberr'))) },
    { errorLog: [/\[error\] .*aborted: .*suberr/] }),
  cap(8, 'capturing a return 302: Location as written',
    `local r = ngx.location.capture("/ret2"); ngx.say(${LUA_SUMMARY})`,
    async (ngx) => { ngx.say(summary(await ngx.location.capture('/ret2'))) }),
  cap(9, 'capturing a response cut short after a flush: partial body, truncated',
    'local r = ngx.location.capture("/subpartial"); ngx.say(r.status, " body=", r.body, " ", dump(r.header), " t=", tostring(r.truncated))',
    async (ngx) => { const r = await ngx.location.capture('/subpartial'); ngx.say(r.status, ' body=', r.body, ' ', dump(r.header), ' t=', str(r.truncated)) },
    { errorLog: [/\[error\] .*aborted: .*late/] }),
  cap(10, 'capturing a return with text: body and headers',
    'local r = ngx.location.capture("/ret1"); ngx.say(r.status, " body=", r.body, " ", dump(r.header))',
    async (ngx) => { const r = await ngx.location.capture('/ret1'); ngx.say(r.status, ' body=', r.body, ' ', dump(r.header)) }),
  cap(11, 'capturing ngx.exit(200): empty body',
    'local r = ngx.location.capture("/subexit200"); ngx.say(r.status, " body=", r.body, " ", dump(r.header))',
    async (ngx) => { const r = await ngx.location.capture('/subexit200'); ngx.say(r.status, ' body=', r.body, ' ', dump(r.header)) }),
  cap(12, 'a POST subrequest with a body',
    'local r = ngx.location.capture("/other", {method = ngx.HTTP_POST, body = "abc"}); ngx.say(r.status, " ", r.body)',
    async (ngx) => { const r = await ngx.location.capture('/other', { method: ngx.HTTP_POST, body: 'abc' }); ngx.say(r.status, ' ', r.body) }),
  cap(13, 'a subrequest that ends with ngx.ERROR gives status 500',
    'local r = ngx.location.capture("/suberror"); ngx.say(r.status)',
    async (ngx) => { ngx.say((await ngx.location.capture('/suberror')).status) }),
  cap(14, 'body filters run on subrequests',
    'local r = ngx.location.capture("/subupper"); ngx.print(r.body)',
    async (ngx) => { ngx.print((await ngx.location.capture('/subupper')).body) }),
]

const FILTERS: DiffCase[] = [
  {
    name: 'ngx.exit(403) in a header filter replaces the response with the 403 page',
    request: get('/hf/deny'),
    locations: { '= /hf/deny': {
      nginx: 'content_by_lua_block { ngx.say("original") } header_filter_by_lua_block { ngx.exit(403) }',
      nresty: { content: (ngx) => ngx.say('original'), headerFilter: (ngx) => ngx.exit(403) },
    } },
  },
  {
    name: 'ngx.exit(200) in a header filter sends an empty body',
    request: get('/hf/empty'),
    locations: { '= /hf/empty': {
      nginx: 'content_by_lua_block { ngx.say("original") } header_filter_by_lua_block { ngx.exit(200) }',
      nresty: { content: (ngx) => ngx.say('original'), headerFilter: (ngx) => ngx.exit(200) },
    } },
  },
  {
    name: 'a header filter sets a header and reads the status',
    request: get('/hf/set'),
    locations: { '= /hf/set': {
      nginx: 'content_by_lua_block { ngx.status = 201; ngx.say("x") } header_filter_by_lua_block { ngx.header["X-Status"] = ngx.status }',
      nresty: { content: (ngx) => { ngx.status = 201; ngx.say('x') }, headerFilter: (ngx) => { ngx.header['X-Status'] = ngx.status } },
    } },
  },
  {
    name: 'a body filter rewrites each chunk and sees eof',
    request: get('/bf/upper'),
    locations: { '= /bf/upper': {
      nginx: `content_by_lua_block { ngx.say("a"); ngx.flush(true); ngx.say("b") }
        body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) .. (ngx.arg[2] and "[eof]" or "") }`,
      nresty: {
        content: async (ngx) => { ngx.say('a'); await ngx.flush(true); ngx.say('b') },
        bodyFilter: (ngx) => { ngx.arg[1] = String(ngx.arg[1]).toUpperCase() + (ngx.arg[2] ? '[eof]' : '') },
      },
    } },
  },
]

export const SUBREQUEST_GROUPS: readonly CaseGroup[] = [
  { title: 'subrequests', cases: CAPTURE },
  { title: 'header and body filters', cases: FILTERS },
]
