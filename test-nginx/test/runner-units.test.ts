// The runner's small pieces: version conditions, body filters, durations, known-failure files,
// TAP lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareVersions, filterBody, parseDuration, readKnownFailures, skipNginx, summaryLine, tapLines } from '../src/runner.ts'
import { PerlError } from '../src/perl.ts'

describe('skip_nginx', () => {
  it('compares the target version with one or two conditions', () => {
    expect(compareVersions('1.22.1', '1.9.15')).toBeGreaterThan(0)
    expect(compareVersions('1.22', '1.22.0')).toBe(0)
    expect(skipNginx('3: < 1.21.1', '1.22.1')).toBe(false)
    expect(skipNginx('3: < 1.25.0', '1.22.1')).toBe(true)
    expect(skipNginx('2: >= 1.22.1', '1.22.1')).toBe(true)
    expect(skipNginx('1: > 1.19.0 and < 1.22.0', '1.22.1')).toBe(false)
    expect(skipNginx('1: < 1.19.0 or > 1.22.0', '1.22.1')).toBe(true)
    expect(() => skipNginx('3: about 1.2', '1.22.1')).toThrow(PerlError)
  })
})

describe('response_body_filters', () => {
  it('applies the named filters in order', () => {
    expect(filterBody('hello', 'md5_hex')).toBe('5d41402abc4b2a76b9719d911017c592')
    expect(filterBody('hello', 'sha1_hex length')).toBe('40')
    expect(filterBody('hello World', 'uc')).toBe('HELLO WORLD')
    expect(filterBody('Hello', 'lcfirst')).toBe('hello')
    expect(filterBody('hello', 'ucfirst')).toBe('Hello')
    expect(() => filterBody('x', 'rot13')).toThrow(/not supported/)
  })
})

describe('parseDuration', () => {
  it('seconds, s and ms', () => {
    expect([parseDuration('3'), parseDuration('0.5s'), parseDuration('200ms')]).toEqual([3000, 500, 200])
    expect(() => parseDuration('soon')).toThrow(PerlError)
  })
})

describe('known failures and TAP', () => {
  it('reads `target: name` lines for the target and *', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-known-'))
    try {
      writeFileSync(join(dir, 'a.t.known'), '# comment\n*: TEST 1: a\nnginx: TEST 2: b\nnresty: TEST 3: c\n')
      expect([...readKnownFailures(join(dir, 'a.t'), 'nresty')]).toEqual(['TEST 1: a', 'TEST 3: c'])
      expect([...readKnownFailures(join(dir, 'none.t'), 'nresty')]).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it('formats each status and the summary', () => {
    expect(tapLines(1, '/t/a.t', 'nginx', { name: 'TEST 1: x', status: 'pass', messages: [] })).toEqual(['ok 1 - [nginx] a.t TEST 1: x'])
    expect(tapLines(2, '/t/a.t', 'nginx', { name: 'TEST 2: y', status: 'fail', messages: ['a\nb'] })).toEqual(['not ok 2 - [nginx] a.t TEST 2: y', '#   a', '#   b'])
    expect(tapLines(3, '/t/a.t', 'nginx', { name: 'TEST 3: z', status: 'skip', messages: ['why'] })).toEqual(['ok 3 - [nginx] a.t TEST 3: z # SKIP why'])
    expect(summaryLine([
      { name: 'a', status: 'pass', messages: [] }, { name: 'b', status: 'fail', messages: [] }, { name: 'c', status: 'skip', messages: [] },
    ])).toBe('1 passed, 1 failed, 1 skipped')
  })
})
