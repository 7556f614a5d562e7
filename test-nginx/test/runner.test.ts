// The runner end to end on fixture files, on nresty and (when installed) the reference nginx:
// intentionally wrong expectations fail with readable messages, unevaluable blocks are skipped
// with the reason, known failures are counted apart, TAP lines and the summary line.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readKnownFailures, runFile, summaryLine, tapLines } from '../src/runner.ts'
import type { BlockResult } from '../src/runner.ts'
import { nginxTarget, nrestyTarget } from '../src/target.ts'
import type { Target } from '../src/target.ts'

const fixtures = join(import.meta.dirname, 'fixtures')
const targets: Target[] = []
const nresty = nrestyTarget()
if (typeof nresty !== 'string') targets.push(nresty)
const nginx = nginxTarget()
if (typeof nginx !== 'string') targets.push(nginx)

function byName(results: BlockResult[]): Record<string, BlockResult> {
  return Object.fromEntries(results.map((r) => [r.name.replace(/:.*/, ''), r]))
}

describe.each(targets.map((t) => [t.kind, t] as const))('on %s', (kind, target) => {
  it('wrong expectations fail, each with a readable message', async () => {
    const r = byName(await runFile(join(fixtures, 'wrong.t'), { target }))
    expect(Object.values(r).map((x) => x.status)).toEqual(['fail', 'fail', 'fail', 'fail', 'fail', 'fail'])
    expect(r['TEST 1']?.messages[0]).toBe(
      'request 0: response_body differs:\n--- expected\n+++ got\n   "line one"\n - "line 2"\n + "line two"\n   "line three"\n   ""',
    )
    expect(r['TEST 2']?.messages).toEqual(['request 0: status: expected 201, got 200'])
    expect(r['TEST 3']?.messages).toEqual([
      'request 0: header Content-Type: expected "text/html", got "text/plain"',
      'request 0: header Content-Length should be absent, got "29"',
    ])
    expect(r['TEST 4']?.messages[0]).toBe('error_log: pattern "this line is not in the log" not found in the error log')
    expect(r['TEST 4']?.messages[1]).toMatch(/^no_error_log: pattern "\[error\]" found in the error log\n {2}in: ".*\[error\].*rewrite or internal redirection cycle/)
    expect(r['TEST 5']?.messages).toEqual(['the server started, but must_die expected it to fail'])
    expect(r['TEST 6']?.messages).toEqual(['request 0: client socket timed out after 200 ms'])
  })

  it('blocks it cannot evaluate are skipped with the reason', async () => {
    const r = byName(await runFile(join(fixtures, 'skips.t'), { target }))
    expect(r['TEST 1']).toMatchObject({ status: 'skip', messages: ['section "http2" is not supported by the runner'] })
    expect(r['TEST 2']?.status).toBe('skip')
    expect(r['TEST 2']?.messages[0]).toMatch(/^unsupported Perl at line 1: unknown function or bareword "my"/)
    expect(r['TEST 3']).toMatchObject({ status: 'skip', messages: ['--- SKIP'] })
    expect(r['TEST 4']?.status).toBe(kind === 'nresty' ? 'pass' : 'skip')
    expect(r['TEST 5']).toMatchObject({ status: 'skip', messages: ['No environment $TEST_NGINX_NO_SUCH_THING defined'] })
  })

  it('ONLY and LAST', async () => {
    const r = await runFile(join(fixtures, 'only.t'), { target })
    expect(r.map((x) => [x.status, x.messages])).toEqual([
      ['skip', ['another block has --- ONLY']], ['pass', []], ['skip', ['another block has --- ONLY']],
    ])
  })

  it('known failures are counted apart; a listed block that passes says so', async () => {
    const file = join(fixtures, 'known.t')
    const results = await runFile(file, { target, knownFailures: readKnownFailures(file, kind) })
    expect(results.map((x) => x.status)).toEqual(['pass', 'known', 'pass'])
    expect(results[2]?.messages).toEqual(['listed as a known failure but passed: remove it from the list'])
    expect(summaryLine(results)).toBe('2 passed, 0 failed, 0 skipped, 1 known failures')
    expect(tapLines(2, file, kind, results[1]!)[0]).toBe(`not ok 2 - [${kind}] known.t TEST 2: fails, and is listed # TODO known failure`)
  })

  it('abort, wait, grep_error_log with accumulated logs, TEST_NGINX variables, must_die', async () => {
    const r = await runFile(join(fixtures, 'features.t'), { target })
    expect(r.map((x) => [x.name.replace(/:.*/, ''), x.status, x.messages])).toEqual([
      ['TEST 1', 'pass', []], ['TEST 2', 'pass', []], ['TEST 3', 'pass', []], ['TEST 4', 'pass', []], ['TEST 5', 'pass', []],
      ['TEST 6', 'pass', []], ['TEST 7', 'skip', ['skip_nginx: 3: >= 1.19.0 (nginx 1.22.1)']],
      ['TEST 8', 'pass', []], ['TEST 9', 'skip', ['skip_eval: $ENV{TEST_NGINX_SERVER_PORT} > 0']],
    ])
  })
})

describe.runIf(typeof nginx !== 'string')('mock servers behind the reference nginx', () => {
  it('tcp_listen / tcp_query / tcp_reply through proxy_pass', async () => {
    const r = await runFile(join(fixtures, 'mock-proxy.t'), { target: nginx as Target })
    expect(r[0]).toMatchObject({ status: 'pass', messages: [] })
    expect(r[1]?.status).toBe('fail')
    expect(r[1]?.messages[0]).toMatch(/^tcp_query: expected "GET \/other HTTP\/1.0", got "GET \/up HTTP\/1.0\\r\\nHost: up.test/)
  })
})

describe('the test-nginx command', () => {
  it('prints TAP lines and the summary, and exits 1 on failures', () => {
    const cli = join(import.meta.dirname, '..', 'src', 'cli.ts')
    const out = spawnSync(process.execPath, [cli, '--target', 'nresty', join(fixtures, 'known.t'), join(fixtures, 'skips.t')], { encoding: 'utf8' })
    expect(out.status).toBe(0)
    expect(out.stdout).toContain('ok 1 - [nresty] known.t TEST 1: passes\n')
    expect(out.stdout).toContain('ok 6 - [nresty] skips.t TEST 3: SKIP # SKIP --- SKIP\n')
    expect(out.stdout.trimEnd().split('\n').slice(-2)).toEqual(['1..8', '3 passed, 0 failed, 4 skipped, 1 known failures'])
    const bad = spawnSync(process.execPath, [cli, '--target', 'nresty', join(fixtures, 'wrong.t')], { encoding: 'utf8' })
    expect(bad.status).toBe(1)
    expect(bad.stdout).toMatch(/\n0 passed, 6 failed, 0 skipped\n$/)
    const unknown = spawnSync(process.execPath, [cli, '--target', 'apache', 'x.t'], { encoding: 'utf8' })
    expect([unknown.status, unknown.stderr]).toEqual([2, 'test-nginx: unknown target "apache" (nresty or nginx)\n'])
  })
})
