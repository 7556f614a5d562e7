import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { AccessLog, closeAll, COMBINED_FORMAT, escapeLogValue, flushAll, reopenAll } from './access-log.ts'
import type { VarLookup } from './template.ts'

const dir = mkdtempSync(join(tmpdir(), 'nresty-access-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(async () => {
  vi.useRealTimers()
  await closeAll()
})

const from =
  (vars: Record<string, string>): VarLookup =>
  (name) =>
    vars[name]

const BASE = {
  remote_addr: '127.0.0.1',
  time_local: '21/Nov/2026:12:22:40 +0000',
  request: 'GET /dollar2?q=1 HTTP/1.1',
  status: '200',
  body_bytes_sent: '7',
}

describe('escapeLogValue', () => {
  it('returns plain printable ASCII unchanged, spaces included', () => {
    const s = 'GET /a b?c=d HTTP/1.1'
    expect(escapeLogValue(s)).toBe(s)
  })

  it('escapes quotes, backslashes, control bytes and bytes from 0x7f as upper-case \\xHH', () => {
    // reference: OpenResty logged X-Foo: q"b\s<01><7f><c3><a9> - as below
    expect(escapeLogValue('q"b\\s\x01\x7f\xc3\xa9 -')).toBe('q\\x22b\\x5Cs\\x01\\x7F\\xC3\\xA9 -')
    // reference: OpenResty logged User-Agent: <ff><80>tab<09>here as below
    expect(escapeLogValue('\xff\x80tab\there')).toBe('\\xFF\\x80tab\\x09here')
  })

  it('escapes text beyond Latin-1 as its UTF-8 bytes', () => {
    expect(escapeLogValue('a€b')).toBe('a\\xE2\\x82\\xACb')
    expect(escapeLogValue('ש')).toBe('\\xD7\\xA9')
    expect(escapeLogValue('😀!')).toBe('\\xF0\\x9F\\x98\\x80!')
  })
})

describe('AccessLog', () => {
  it('writes the combined format exactly as nginx does', async () => {
    const path = join(dir, 'combined.log')
    const log = new AccessLog({ path, format: COMBINED_FORMAT })
    log.write(from({ ...BASE, http_referer: 'http://r', http_user_agent: 'UA "x"' }))
    log.write(from({ ...BASE, request: 'GET /t/%zz"x HTTP/1.1', status: '400', body_bytes_sent: '157' }))
    await log.close()
    // reference: OpenResty wrote these two lines (the second for a request without Referer or User-Agent)
    expect(readFileSync(path, 'utf8')).toBe(
      '127.0.0.1 - - [21/Nov/2026:12:22:40 +0000] "GET /dollar2?q=1 HTTP/1.1" 200 7 "http://r" "UA \\x22x\\x22"\n' +
        '127.0.0.1 - - [21/Nov/2026:12:22:40 +0000] "GET /t/%zz\\x22x HTTP/1.1" 400 157 "-" "-"\n',
    )
  })

  it('prints - for a variable that is not found and nothing for an empty one', async () => {
    const path = join(dir, 'empty.log')
    const log = new AccessLog({ path, format: COMBINED_FORMAT })
    log.write(from({ ...BASE, remote_user: 'bob', http_referer: '', http_user_agent: '' }))
    const t1 = new AccessLog({ path, format: '[$remote_user] [$http_referer] [$arg_a] [$http_x_foo]' })
    t1.write(from({ arg_a: '1' }))
    t1.write(from({ remote_user: 'bob', http_referer: '', arg_a: '', http_x_foo: '' }))
    await closeAll()
    // reference: OpenResty wrote `- bob ... "" ""` for empty Referer and User-Agent headers,
    // and `[-] [-] [1] [-]` / `[bob] [] [] []` for the second format
    expect(readFileSync(path, 'utf8')).toBe(
      '127.0.0.1 - bob [21/Nov/2026:12:22:40 +0000] "GET /dollar2?q=1 HTTP/1.1" 200 7 "" ""\n[-] [-] [1] [-]\n[bob] [] [] []\n',
    )
  })

  it('writes a format without variables as it is', async () => {
    const path = join(dir, 'const.log')
    const log = new AccessLog({ path, format: 'hit' })
    log.write(from({}))
    await log.close()
    expect(readFileSync(path, 'utf8')).toBe('hit\n')
  })

  it('rejects a bad format when it is created', () => {
    expect(() => new AccessLog({ path: join(dir, 'bad.log'), format: '${abc ' })).toThrow(
      'the closing bracket in "abc" variable is missing',
    )
    expect(existsSync(join(dir, 'bad.log'))).toBe(false)
  })

  it('reports a missing directory like nginx', () => {
    expect(() => new AccessLog({ path: '/nonexist/access.log', format: 'x' })).toThrow(
      'open() "/nonexist/access.log" failed (2: No such file or directory)',
    )
  })

  it('buffers lines instead of writing each one, and flushAll() writes them out', () => {
    const path = join(dir, 'buffered.log')
    const log = new AccessLog({ path, format: '$n' })
    log.write(from({ n: '1' }))
    log.write(from({ n: '2' }))
    expect(readFileSync(path, 'utf8')).toBe('')
    flushAll()
    expect(readFileSync(path, 'utf8')).toBe('1\n2\n')
  })

  it('writes buffered lines within about a second without any flush call', async () => {
    const path = join(dir, 'periodic.log')
    const log = new AccessLog({ path, format: '$n' })
    log.write(from({ n: 'tick' }))
    await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toBe('tick\n'), { timeout: 2500, interval: 50 })
  })

  it('shares one buffer between logs with the same path, so lines keep their order', async () => {
    const path = join(dir, 'shared.log')
    const a = new AccessLog({ path, format: 'a $n' })
    const b = new AccessLog({ path: join(dir, '.', 'shared.log'), format: 'b $n' })
    for (let i = 0; i < 3; i++) {
      a.write(from({ n: String(i) }))
      b.write(from({ n: String(i) }))
    }
    await a.close()
    b.write(from({ n: 'last' }))
    await b.close()
    expect(readFileSync(path, 'utf8')).toBe('a 0\nb 0\na 1\nb 1\na 2\nb 2\nb last\n')
  })

  it('reopenAll() moves writing to a new file after a rename', async () => {
    const path = join(dir, 'rotate.log')
    const log = new AccessLog({ path, format: '$n' })
    log.write(from({ n: 'old' }))
    flushAll()
    renameSync(path, `${path}.1`)
    expect(reopenAll()).toEqual([])
    log.write(from({ n: 'new' }))
    await closeAll()
    await vi.waitFor(() => expect(readFileSync(`${path}.1`, 'utf8')).toBe('old\n'))
    expect(readFileSync(path, 'utf8')).toBe('new\n')
  })

  it('ignores writes after it was closed', async () => {
    const path = join(dir, 'closed.log')
    const log = new AccessLog({ path, format: '$n' })
    await log.close()
    log.write(from({ n: 'late' }))
    expect(readFileSync(path, 'utf8')).toBe('')
  })

  it('loses no buffered line when the process exits', () => {
    const path = join(dir, 'exit.log')
    const script = `
      import { AccessLog } from ${JSON.stringify(new URL('./access-log.ts', import.meta.url).pathname)}
      const log = new AccessLog({ path: ${JSON.stringify(path)}, format: '$n' })
      for (let i = 0; i < 3000; i++) log.write((name) => name === 'n' ? String(i) : undefined)
      process.exit(0)
    `
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(3000)
    expect(lines[2999]).toBe('2999')
  })
})
