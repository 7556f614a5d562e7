// Each assertion on realistic responses and error-log slices, passing and failing.
import { describe, expect, it } from 'vitest'
import {
  checkBody, checkBodyLike, checkErrorLog, checkGrepOut, checkHeaders, checkRawHeaders, checkStatus, diffText, grepErrorLog, nth,
} from '../src/assert.ts'
import { parseResponses } from '../src/http.ts'
import { perlRegex } from '../src/perl.ts'

const res = parseResponses(Buffer.from(
  'HTTP/1.1 302 Moved Temporarily\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nLocation: http://localhost:1984/foo\r\n' +
  'X-Multi: a\r\nX-Multi: b\r\nX-Empty: \r\nContent-Length: 5\r\n\r\nhello',
), ['GET'])[0]!

const LOG = [
  '2026/11/21 10:00:00 [notice] 100#100: *1 [lua] content_by_lua(nginx.conf:40):2: hello, client: 127.0.0.1, server: localhost, request: "GET /t HTTP/1.1", host: "localhost"',
  '2026/11/21 10:00:00 [error] 100#100: *1 failed to connect: connection refused, client: 127.0.0.1',
  '2026/11/21 10:00:00 [notice] 100#100: *1 [lua] content_by_lua(nginx.conf:40):3: hello, client: 127.0.0.1',
  '',
].join('\n')

describe('body', () => {
  it('exact, with a line diff on failure', () => {
    expect(checkBody('hello', 'hello')).toEqual([])
    const [msg] = checkBody('a\nb\nc\n', 'a\nB\nc\n')
    expect(msg).toBe('response_body differs:\n--- expected\n+++ got\n   "a"\n - "b"\n + "B"\n   "c"\n   ""')
  })
  it('a qr// expectation, and arrays per request', () => {
    expect(checkBody(perlRegex('^hel+o$'), 'hello\n')).toEqual([])
    expect(checkBody(nth(['x\n', 'y\n'], 1), 'y\n')).toEqual([])
    expect(checkBody(perlRegex('^bye'), 'hello')[0]).toMatch(/does not match qr\/\^bye\//)
  })
  it('_like and _unlike', () => {
    expect(checkBodyLike('^he.*o\n', 'hello', false)).toEqual([])
    expect(checkBodyLike('world', 'hello', true)).toEqual([])
    expect(checkBodyLike('hell', 'hello', true)[0]).toMatch(/^response_body matches/)
    expect(checkBodyLike(perlRegex('HELLO', 'i'), 'hello', false)).toEqual([])
  })
})

describe('headers', () => {
  it('values, !absent, several values joined, empty values', () => {
    expect(checkHeaders('Content-Type: text/html\nX-Multi: a, b\n!X-Nope\nX-Empty:\n', res, false)).toEqual([])
    expect(checkHeaders('Content-Type: text/plain\n!Location\n', res, false)).toEqual([
      'header Content-Type: expected "text/plain", got "text/html"',
      'header Location should be absent, got "http://localhost:1984/foo"',
    ])
  })
  it('response_headers_like and raw_response_headers_like', () => {
    expect(checkHeaders('Location: ^http://localhost:\\d+/foo$\n', res, true)).toEqual([])
    expect(checkHeaders('Server: ^openresty', res, true)[0]).toMatch(/does not match/)
    expect(checkRawHeaders('^HTTP/1.1 302 .*\\r\\nServer: nginx', res, false)).toEqual([])
    expect(checkRawHeaders('Set-Cookie', res, true)).toEqual([])
    expect(checkRawHeaders('Location', res, true)[0]).toMatch(/^raw response headers match/)
  })
})

describe('status', () => {
  it('error_code and error_code_like', () => {
    expect(checkStatus('302', 302, false)).toEqual([])
    expect(checkStatus(200, 302, false)).toEqual(['status: expected 200, got 302'])
    expect(checkStatus('^30[12]$', 302, true)).toEqual([])
    expect(checkStatus('^5', 302, true)[0]).toMatch(/does not match/)
  })
})

describe('error log', () => {
  it('error_log: every literal line or qr// must be there', () => {
    expect(checkErrorLog('failed to connect: connection refused\n[notice]\n', LOG, true)).toEqual([])
    expect(checkErrorLog([perlRegex('content_by_lua\\(nginx\\.conf:\\d+\\):3:'), 'hello'], LOG, true)).toEqual([])
    expect(checkErrorLog('[alert]\n', LOG, true)).toEqual(['error_log: pattern "[alert]" not found in the error log'])
  })
  it('no_error_log shows the offending line', () => {
    expect(checkErrorLog('[alert]\n[crit]\n', LOG, false)).toEqual([])
    const [msg] = checkErrorLog('[error]\n', LOG, false)
    expect(msg).toMatch(/^no_error_log: pattern "\[error\]" found in the error log\n {2}in: ".*failed to connect/)
  })
  it('grep_error_log collects every match, one per line', () => {
    expect(grepErrorLog('hello', LOG)).toBe('hello\nhello\n')
    expect(grepErrorLog(perlRegex('\\):\\d+: hello'), LOG)).toBe('):2: hello\n):3: hello\n')
    expect(checkGrepOut('hello\nhello\n', grepErrorLog('hello', LOG))).toEqual([])
    expect(checkGrepOut(perlRegex('^(hello\\n)+$'), 'hello\nhello\n')).toEqual([])
    expect(checkGrepOut('hello\n', 'hello\nhello\n')[0]).toMatch(/grep_error_log_out differs/)
  })
})

describe('diffText', () => {
  it('shows long lines shortened when asked', () => {
    const long = 'x'.repeat(300)
    expect(diffText(long, 'y', false)).toContain('...(300 chars)')
  })
})
